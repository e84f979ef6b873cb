#!/usr/bin/env bash
# Creates the worker's virtual environment at services/recognizer/worker/.venv with the pinned
# packages. Idempotent: a marker in the venv holds the hash of the requirements files it was built
# from, so a second run with unchanged files does nothing.
# Usage: setup.sh [--dev]   (--dev adds the test packages)
# Env: PYTHON (default python3); GLIMPSE_DLIB=source (default: dlib compiled against OpenBLAS, ~7 min
# once) or bin (the prebuilt dlib-bin wheel: no compiler, ~4x slower encoding).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'worker      | %s\n' "$*"; }
fail() { say "ERROR: $*"; exit 1; }

DEV=""
for a in "$@"; do
  case "$a" in
    --dev) DEV=1 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) fail "unknown argument '$a' (usage: setup.sh [--dev])" ;;
  esac
done

PY="${PYTHON:-python3}"
DLIB="${GLIMPSE_DLIB:-source}"
case "$DLIB" in source | bin) ;; *) fail "GLIMPSE_DLIB must be 'source' or 'bin', not '$DLIB'" ;; esac
VENV=.venv
MARKER="$VENV/.glimpse-setup"
LOG="$VENV/setup.log"

command -v "$PY" >/dev/null || fail "'$PY' not found: install Python 3.10 or newer (Debian: apt-get install python3 python3-venv)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || fail "Python 3.10 or newer is needed, '$PY' is $("$PY" --version 2>&1)"

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
base_hash="$(hash_of requirements.txt requirements-nodeps.txt)"
dev_hash="$(hash_of requirements-dev.txt)"
dlib_hash="$(hash_of requirements-dlib.txt requirements-dlib-bin.txt)"
have() { [ -f "$MARKER" ] && grep -qx "$1" "$MARKER"; }

# A venv whose interpreter no longer runs (Python upgraded or removed underneath it) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  say "existing $VENV is broken, recreating it"
  rm -rf "$VENV"
fi

need_base=1; have "base $base_hash" && need_base=""
need_dev=""; [ -n "$DEV" ] && ! have "dev $dev_hash" && need_dev=1
need_dlib=1; have "dlib $DLIB $dlib_hash" && need_dlib=""
if [ -z "$need_base" ] && [ -z "$need_dev" ] && [ -z "$need_dlib" ]; then
  say "venv is up to date ($PWD/$VENV)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $PWD/$VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV" >/dev/null 2>&1 \
    || { rm -rf "$VENV"; fail "'$PY -m venv' failed: install the venv module (Debian: apt-get install python3-venv)"; }
fi

pip_try() { "$VENV/bin/python" -m pip "$1" --disable-pip-version-check --no-input "${@:2}" >>"$LOG" 2>&1; }
pip_install() {
  if ! pip_try install "$@"; then
    tail -n 30 "$LOG" >&2
    fail "pip install $* failed (full log: $PWD/$LOG)"
  fi
}

# dlib-bin and dlib install the same module: only one of them may be present.
dlib_bin() {
  pip_try uninstall -y dlib || true
  say "installing the prebuilt dlib-bin (requirements-dlib-bin.txt)"
  pip_install -r requirements-dlib-bin.txt
}
dlib_has_blas() { "$VENV/bin/python" -c 'import dlib, sys; sys.exit(not dlib.DLIB_USE_BLAS)' >>"$LOG" 2>&1; }
# libopenblas.so (unversioned) comes with the development files, which dlib's build needs.
has_openblas() {
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libopenblas\.so ' || pkg-config --exists openblas 2>/dev/null
}
dlib_source() {
  if ! has_openblas || ! command -v c++ >/dev/null; then
    say "WARNING: no OpenBLAS development files or no C++ compiler (Debian: apt-get install build-essential libopenblas-dev):"
    say "WARNING: using the prebuilt dlib-bin, which encodes faces ~4x slower (the next run looks again)"
    dlib_bin
    dlib_done=""
    return
  fi
  pip_try uninstall -y dlib-bin || true
  say "building dlib against OpenBLAS (about 7 minutes the first time on 2 cores; pip caches the result)"
  if CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" pip_try install -r requirements-dlib.txt && dlib_has_blas; then
    return
  fi
  tail -n 15 "$LOG" >&2
  say "WARNING: dlib did not build with BLAS (log: $PWD/$LOG): using the prebuilt dlib-bin, ~4x slower encoding"
  dlib_bin
}

# The marker is rewritten only after every step succeeded, so a failed run is retried in full.
: >"$LOG"
if [ -n "$need_base" ]; then
  say "installing runtime packages (requirements.txt; about a minute the first time)"
  pip_install -r requirements.txt
  say "installing face-recognition without its dependencies (requirements-nodeps.txt)"
  pip_install --no-deps -r requirements-nodeps.txt
fi
dlib_done=1
if [ -n "$need_dlib" ]; then
  if [ "$DLIB" = bin ]; then dlib_bin; else dlib_source; fi
fi
if [ -n "$need_dev" ]; then
  say "installing test packages (requirements-dev.txt)"
  pip_install -r requirements-dev.txt
fi

say "checking that the models load"
"$VENV/bin/python" -c 'import dlib, face_recognition' >>"$LOG" 2>&1 \
  || { tail -n 30 "$LOG" >&2; fail "face_recognition does not import (full log: $PWD/$LOG)"; }
if dlib_has_blas; then say "dlib with BLAS"; else say "dlib without BLAS"; fi

{
  echo "base $base_hash"
  [ -n "$dlib_done" ] && echo "dlib $DLIB $dlib_hash"
  if [ -n "$DEV" ]; then echo "dev $dev_hash"; elif have "dev $dev_hash"; then echo "dev $dev_hash"; fi
} >"$MARKER.tmp"
mv "$MARKER.tmp" "$MARKER"
say "venv ready: $PWD/$VENV (run the worker with: cd $PWD && .venv/bin/python -m app)"
