#!/usr/bin/env bash
# Creates test/pg/.venv with pgserver (PostgreSQL 16 + pgvector, test/pg/requirements.txt), which the
# Postgres runs of the matcher integration tests start (test/support/postgres.ts). When run as root it also
# creates the unprivileged system user `glimpsepg`, because initdb and postgres refuse to run as root.
# Idempotent: a marker holds the hash of the requirements it was built from. prepare.sh --dev calls it.
# Env: PYTHON (default python3), GLIMPSE_PG_USER (default glimpsepg).
set -euo pipefail
cd "$(dirname "$0")/../../test/pg"
# shellcheck source=lib/venv.sh
. ../../infra/scripts/lib/venv.sh

venv_init pg
PG_USER="${GLIMPSE_PG_USER:-glimpsepg}"
if [ "$(id -u)" = 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
  say "creating the unprivileged system user $PG_USER (postgres will not run as root)"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" || fail "useradd $PG_USER failed"
fi

venv_current && exit 0
venv_install "pgserver (PostgreSQL + pgvector for the matcher's Postgres tests)"
bin="$("$VENV/bin/python" -c 'import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))' 2>>"$LOG")" \
  || fail "pgserver does not import (log: $PWD/$LOG)"
venv_check "postgres does not run" "$bin/postgres" --version
# The tests find the binaries through this file rather than asking Python each time.
echo "$bin" >"$VENV/pg-bin"
venv_mark
