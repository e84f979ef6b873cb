#!/usr/bin/env bash
# `npm start`: prepare a fresh clone, then run the whole stack in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/prepare.sh
exec node infra/scripts/stack.js
