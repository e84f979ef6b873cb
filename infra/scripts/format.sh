#!/usr/bin/env bash
# `npm run format`: ESLint's safe fixes, then Prettier over TypeScript and JavaScript, then Ruff (fixes and
# format) over the Python worker. `npm run lint` and `npm run format:check` (part of `npm test`) check the same.
set -uo pipefail
cd "$(dirname "$0")/../.."
files='**/*.{ts,tsx,js,mjs,cjs}'
npx eslint --fix . || echo "format: ESLint still reports the problems above (fix them by hand)"
npx prettier --write --log-level warn "$files"
# Prettier needs a second pass on a few member chains (`jest.fn().mockResolvedValue({...})`) to settle.
npx prettier --list-different "$files" | xargs -r npx prettier --write --log-level warn
cd services/recognizer/worker || exit 1
.venv/bin/ruff check --fix --quiet . || echo "format: Ruff still reports the problems above (fix them by hand)"
.venv/bin/ruff format --quiet .
