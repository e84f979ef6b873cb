# shellcheck shell=bash
# Shared by fuzz-setup.sh, helm-setup.sh and pg-setup.sh: a Python venv (.venv) in the current folder, built
# from ./requirements.txt, with a marker holding the hash of the requirements it was built from, so a second
# run with an unchanged file does nothing. Source it after `cd` into that folder, then:
#   venv_init TAG                  # say/fail print "TAG | ..."; sets PY (env PYTHON, default python3), VENV, MARKER, LOG
#   venv_current && exit 0         # up to date? (a venv whose interpreter no longer runs is removed first)
#   venv_install "what it is"      # creates the venv when missing, pip-installs requirements.txt
#   venv_check "what failed" CMD…  # runs CMD with its output in $LOG; on failure shows the log tail and exits
#   venv_mark                      # last: written only after every step succeeded, so a failed run is retried in full

venv_init() {
  VENV_TAG="$1"
  PY="${PYTHON:-python3}"
  VENV=.venv
  MARKER="$VENV/.glimpse-setup"
  LOG="$VENV/setup.log"
  VENV_WANT="requirements $(sha256sum requirements.txt | cut -d' ' -f1)"
}

say() { printf '%-11s | %s\n' "$VENV_TAG" "$*"; }
fail() { say "ERROR: $*"; exit 1; }

venv_current() {
  # A venv whose interpreter no longer runs (Python upgraded or removed underneath it) is rebuilt.
  if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then rm -rf "$VENV"; fi
  [ -f "$MARKER" ] && grep -qx "$VENV_WANT" "$MARKER"
}

venv_install() {
  command -v "$PY" >/dev/null || fail "'$PY' not found: install Python 3.10 or newer"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $PWD/$VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV" >/dev/null 2>&1 || { rm -rf "$VENV"; fail "'$PY -m venv' failed: install the venv module (Debian: apt-get install python3-venv)"; }
  fi
  say "installing $1"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r requirements.txt >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    fail "pip install failed (full log: $PWD/$LOG)"
  fi
}

venv_check() {
  local what="$1"
  shift
  "$@" >>"$LOG" 2>&1 || { tail -n 10 "$LOG" >&2; fail "$what (log: $PWD/$LOG)"; }
}

venv_mark() { echo "$VENV_WANT" >"$MARKER"; }
