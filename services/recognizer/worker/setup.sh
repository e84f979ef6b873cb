#!/usr/bin/env bash
# Creates the worker's virtual environment at services/recognizer/worker/.venv with the pinned
# packages. Idempotent: a marker in the venv holds the hash of the requirements files it was built
# from, so a second run with unchanged files does nothing.
# Usage: setup.sh [--dev] [--dlib-later | --dlib-build]   (--dev adds the test packages)
#   --dlib-later (or GLIMPSE_DLIB_LATER=1): when dlib must be compiled (no wheel built earlier), install
#                 the prebuilt dlib-bin now and mark the compile as pending (npm start: the page is up in
#                 minutes, not after it)
#   --dlib-build: only that compile (npm start runs it in the background): wheel first, then a
#                 seconds-long swap of dlib-bin for it; the worker notices and moves to it
# Env: PYTHON (default python3); GLIMPSE_DLIB=source (default: dlib compiled against OpenBLAS, ~7 min
# once; the wheel is kept in GLIMPSE_WHEEL_CACHE, ~/.cache/glimpse/wheels) or bin (the prebuilt dlib-bin
# wheel: no compiler, ~4x slower encoding).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'worker      | %s\n' "$*"; }
fail() { say "ERROR: $*"; exit 1; }

DEV=""; LATER="${GLIMPSE_DLIB_LATER:-}"; BUILD_ONLY=""
for a in "$@"; do
  case "$a" in
    --dev) DEV=1 ;;
    --dlib-later) LATER=1 ;;
    --dlib-build) BUILD_ONLY=1 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) fail "unknown argument '$a' (usage: setup.sh [--dev] [--dlib-later | --dlib-build])" ;;
  esac
done

PY="${PYTHON:-python3}"
DLIB="${GLIMPSE_DLIB:-source}"
case "$DLIB" in source | bin) ;; *) fail "GLIMPSE_DLIB must be 'source' or 'bin', not '$DLIB'" ;; esac
VENV=.venv
MARKER="$VENV/.glimpse-setup"
LOG="$VENV/setup.log"
# The dlib compile's state for the worker (app/dlib_build.py reads it): pending | building <pid> | ready | failed <why>
STATE="$VENV/.glimpse-dlib-build"
WHEELS="${GLIMPSE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/glimpse/wheels}"

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

dlib_version="$(sed -n 's/^dlib==//p' requirements-dlib.txt)"
# a wheel this machine built earlier (any clone): installing it takes seconds
cached_wheel() {
  local tag
  tag="$("$VENV/bin/python" -c 'import sys; print("cp%d%d" % sys.version_info[:2])' 2>/dev/null)" || return 1
  compgen -G "$WHEELS/dlib-$dlib_version-$tag-*.whl" | head -n 1
}

if [ -n "$BUILD_ONLY" ]; then
  [ -x "$VENV/bin/python" ] || fail "--dlib-build needs the venv: run setup.sh first"
  [ "$DLIB" = source ] || fail "--dlib-build with GLIMPSE_DLIB=$DLIB: nothing to build"
fi

need_base=1; have "base $base_hash" && need_base=""
need_dev=""; [ -n "$DEV" ] && ! have "dev $dev_hash" && need_dev=1
need_dlib=1; have "dlib $DLIB $dlib_hash" && need_dlib=""
# --dev: a copy of dlib-bin beside the venv's own dlib, for the test that moves a worker from one build to the other
BIN_COPY="$VENV/dlib-bin"
need_bin_copy=""; [ -n "$DEV" ] && ! have "bin-copy $dlib_hash" && need_bin_copy=1
if [ -n "$BUILD_ONLY" ]; then
  need_base=""; need_dev=""; need_bin_copy=""
  [ -n "$need_dlib" ] || { echo ready >"$STATE"; say "dlib is up to date"; exit 0; }
fi
if [ -z "$need_base" ] && [ -z "$need_dev" ] && [ -z "$need_dlib" ] && [ -z "$need_bin_copy" ]; then
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
  # The wheel is built before dlib-bin is removed, so a running worker's venv always has a dlib.
  if [ -z "$(cached_wheel)" ]; then
    say "building dlib against OpenBLAS (about 7 minutes the first time on 2 cores; the wheel is kept in $WHEELS)"
    mkdir -p "$WHEELS"
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" pip_try wheel -v --no-deps -w "$WHEELS" -r requirements-dlib.txt || true
  fi
  local wheel
  wheel="$(cached_wheel || true)"
  if [ -n "$wheel" ]; then
    say "installing $wheel"
    pip_try uninstall -y dlib-bin || true
    if pip_try install --no-deps --force-reinstall "$wheel" && dlib_has_blas; then
      return
    fi
  fi
  tail -n 15 "$LOG" >&2
  say "WARNING: dlib did not build with BLAS (log: $PWD/$LOG): using the prebuilt dlib-bin, ~4x slower encoding"
  dlib_bin
}
dlib_installed() { "$VENV/bin/python" -c 'import dlib' >>"$LOG" 2>&1; }
# --dlib-later: a wheel at hand is installed now; otherwise dlib-bin serves until the background build.
dlib_later() {
  if [ -n "$(cached_wheel)" ] || ! has_openblas || ! command -v c++ >/dev/null; then dlib_source; return; fi
  if ! dlib_installed; then dlib_bin; fi
  say "dlib-bin for now; npm start compiles dlib against OpenBLAS in the background and the worker moves to it"
  echo pending >"$STATE"
  dlib_done=""
}

# The marker is rewritten only after every step succeeded, so a failed run is retried in full.
if [ -n "$BUILD_ONLY" ]; then
  exec 9>"$VENV/.glimpse-dlib-build.lock"
  flock -n 9 || { say "another dlib build is running"; exit 0; }
  LOG="$VENV/dlib-build.log"
  trap 'echo pending >"$STATE"; exit 130' INT TERM
  echo "building $$" >"$STATE"
fi
: >"$LOG"
if [ -n "$need_base" ]; then
  say "installing runtime packages (requirements.txt; about a minute the first time)"
  pip_install -r requirements.txt
  say "installing face-recognition without its dependencies (requirements-nodeps.txt)"
  pip_install --no-deps -r requirements-nodeps.txt
fi
dlib_done=1
if [ -n "$need_dlib" ]; then
  if [ "$DLIB" = bin ]; then dlib_bin
  elif [ -n "$LATER" ]; then dlib_later
  else
    # wait for a background build (npm start) rather than compile the same wheel twice
    [ -n "$BUILD_ONLY" ] || { exec 9>"$VENV/.glimpse-dlib-build.lock"; flock 9; }
    dlib_source
  fi
fi
if [ -n "$need_dev" ]; then
  say "installing test packages (requirements-dev.txt)"
  pip_install -r requirements-dev.txt
fi
if [ -n "$need_bin_copy" ]; then
  say "installing a copy of dlib-bin into $BIN_COPY (tests/test_dlib_upgrade.py)"
  rm -rf "$BIN_COPY"
  pip_install --no-deps --target "$BIN_COPY" -r requirements-dlib-bin.txt
fi

say "checking that the models load"
"$VENV/bin/python" -c 'import dlib, face_recognition' >>"$LOG" 2>&1 \
  || { tail -n 30 "$LOG" >&2; fail "face_recognition does not import (full log: $PWD/$LOG)"; }
if dlib_has_blas; then say "dlib with BLAS"; else say "dlib without BLAS"; fi

if [ -n "$BUILD_ONLY" ]; then
  trap - INT TERM
  # a failed compile is not retried at every start (as without --dlib-later); the state says why
  { grep -v '^dlib ' "$MARKER" 2>/dev/null || true; echo "dlib $DLIB $dlib_hash"; } >"$MARKER.tmp"
  mv "$MARKER.tmp" "$MARKER"
  if ! dlib_has_blas; then echo "failed: dlib did not build with BLAS (log: $PWD/$LOG)" >"$STATE"; exit 1; fi
  echo ready >"$STATE"
  say "dlib with OpenBLAS installed: the worker moves its engine processes to it"
  exit 0
fi
if [ -z "$LATER" ] || [ -n "$dlib_done" ]; then
  if dlib_has_blas; then echo ready >"$STATE"; else rm -f "$STATE"; fi
fi
{
  echo "base $base_hash"
  [ -n "$dlib_done" ] && echo "dlib $DLIB $dlib_hash"
  if [ -n "$DEV" ]; then echo "dev $dev_hash"; elif have "dev $dev_hash"; then echo "dev $dev_hash"; fi
  if [ -n "$DEV" ] || have "bin-copy $dlib_hash"; then echo "bin-copy $dlib_hash"; fi
} >"$MARKER.tmp"
mv "$MARKER.tmp" "$MARKER"
say "venv ready: $PWD/$VENV (run the worker with: cd $PWD && .venv/bin/python -m app)"
