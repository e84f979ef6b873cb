#!/usr/bin/env bash
# Creates test/fuzz/.venv with the pinned API fuzzer (schemathesis, test/fuzz/requirements.txt) that
# test/integration/fuzz.test.ts runs. Idempotent: a marker holds the hash of the requirements it was
# built from, so a second run with an unchanged file does nothing. prepare.sh --dev calls it.
# Env: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/../../test/fuzz"
# shellcheck source=lib/venv.sh
. ../../infra/scripts/lib/venv.sh

venv_init fuzz
venv_current && exit 0
venv_install "the API fuzzer (test/fuzz/requirements.txt)"
venv_check "schemathesis does not run" "$VENV/bin/st" --version
venv_mark
