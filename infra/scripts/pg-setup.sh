#!/usr/bin/env bash
# Creates test/pg/.venv with pgserver (PostgreSQL 16 + pgvector, test/pg/requirements.txt), which the
# Postgres runs of the matcher integration tests start (test/support/postgres.ts). When run as root it also
# creates the unprivileged system user `glimpsepg`, because initdb and postgres refuse to run as root.
# Idempotent: a marker holds the hash of the requirements it was built from. prepare.sh --dev calls it.
# Env: PYTHON (default python3), GLIMPSE_PG_USER (default glimpsepg).
set -euo pipefail
cd "$(dirname "$0")/../../test/pg"

say() { printf 'pg          | %s\n' "$*"; }
fail() { say "ERROR: $*"; exit 1; }

PY="${PYTHON:-python3}"
PG_USER="${GLIMPSE_PG_USER:-glimpsepg}"
VENV=.venv
MARKER="$VENV/.glimpse-setup"
LOG="$VENV/setup.log"
want="requirements $(sha256sum requirements.txt | cut -d' ' -f1)"

if [ "$(id -u)" = 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
  say "creating the unprivileged system user $PG_USER (postgres will not run as root)"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" || fail "useradd $PG_USER failed"
fi

# A venv whose interpreter no longer runs (Python upgraded or removed underneath it) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then rm -rf "$VENV"; fi
if [ -f "$MARKER" ] && grep -qx "$want" "$MARKER"; then exit 0; fi

command -v "$PY" >/dev/null || fail "'$PY' not found: install Python 3.10 or newer"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $PWD/$VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV" >/dev/null 2>&1 || { rm -rf "$VENV"; fail "'$PY -m venv' failed: install the venv module (Debian: apt-get install python3-venv)"; }
fi
say "installing pgserver (PostgreSQL + pgvector for the matcher's Postgres tests)"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r requirements.txt >"$LOG" 2>&1; then
  tail -n 30 "$LOG" >&2
  fail "pip install failed (full log: $PWD/$LOG)"
fi
bin="$("$VENV/bin/python" -c 'import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))' 2>>"$LOG")" \
  || fail "pgserver does not import (log: $PWD/$LOG)"
"$bin/postgres" --version >>"$LOG" 2>&1 || { tail -n 10 "$LOG" >&2; fail "postgres does not run (log: $PWD/$LOG)"; }
# The tests find the binaries through this file rather than asking Python each time.
echo "$bin" >"$VENV/pg-bin"
# The marker is written only after every step succeeded, so a failed run is retried in full.
echo "$want" >"$MARKER"
