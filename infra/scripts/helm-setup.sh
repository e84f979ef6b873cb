#!/usr/bin/env bash
# Creates test/helm/.venv with the pinned chart checkers (Helm SDK, kubernetes-validate, checkov; test/helm/requirements.txt)
# that infra/helm/check.sh and test/integration/helm.test.ts run. Idempotent: a marker holds the hash of the
# requirements it was built from, so a second run with an unchanged file does nothing. prepare.sh --dev calls it.
# Env: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/../../test/helm"
# shellcheck source=lib/venv.sh
. ../../infra/scripts/lib/venv.sh

venv_init helm
venv_current && exit 0
venv_install "the chart checkers (test/helm/requirements.txt; checkov takes a few minutes the first time)"
venv_check "the Helm SDK or a validator does not load" \
  "$VENV/bin/python" -c 'import helm_python, kubernetes_validate, cloudcoil.models.keda; print("helm", helm_python.helm_sdk_version())'
venv_check "checkov does not run" "$VENV/bin/checkov" --version
venv_mark
