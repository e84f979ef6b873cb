#!/usr/bin/env bash
# Creates test/fuzz/.venv with the pinned API fuzzer (schemathesis, test/fuzz/requirements.txt) that
# test/integration/fuzz.test.ts runs. Idempotent: a marker holds the hash of the requirements it was
# built from, so a second run with an unchanged file does nothing. prepare.sh --dev calls it.
# Env: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/../../test/fuzz"

say() { printf 'fuzz        | %s\n' "$*"; }
fail() { say "ERROR: $*"; exit 1; }

PY="${PYTHON:-python3}"
VENV=.venv
MARKER="$VENV/.glimpse-setup"
LOG="$VENV/setup.log"
want="requirements $(sha256sum requirements.txt | cut -d' ' -f1)"

command -v "$PY" >/dev/null || fail "'$PY' not found: install Python 3.10 or newer"
# A venv whose interpreter no longer runs (Python upgraded or removed underneath it) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then rm -rf "$VENV"; fi
if [ -f "$MARKER" ] && grep -qx "$want" "$MARKER"; then exit 0; fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $PWD/$VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV" >/dev/null 2>&1 || { rm -rf "$VENV"; fail "'$PY -m venv' failed: install the venv module (Debian: apt-get install python3-venv)"; }
fi
say "installing the API fuzzer (test/fuzz/requirements.txt)"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r requirements.txt >"$LOG" 2>&1; then
  tail -n 30 "$LOG" >&2
  fail "pip install failed (full log: $PWD/$LOG)"
fi
"$VENV/bin/st" --version >>"$LOG" 2>&1 || { tail -n 10 "$LOG" >&2; fail "schemathesis does not run (log: $PWD/$LOG)"; }
# The marker is written only after every step succeeded, so a failed run is retried in full.
echo "$want" >"$MARKER"
