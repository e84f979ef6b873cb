#!/usr/bin/env bash
# `npm test`: install what is missing, check lint, formatting and the tests' types, then run every test
# tier against real dependencies: unit, Python worker (pytest), integration (real NATS, worker,
# PGlite+pgvector), end-to-end.
set -uo pipefail
cd "$(dirname "$0")/../.."
say() { printf 'glimpse     | %s\n' "$*"; }
bash infra/scripts/prepare.sh --dev --browser || exit 1

# The static checks come first (about 3 minutes on 2 cores): a failure stops the run before any test starts.
for check in lint format:check typecheck:tests; do
  say "npm run $check"
  npm run --silent "$check" || { say "npm run $check failed (npm run format fixes formatting)"; exit 1; }
done

export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
export GLIMPSE_FIXTURES="${GLIMPSE_FIXTURES:-$(cd .. && pwd)/shared/fixtures/faces}"
[ -d "$GLIMPSE_FIXTURES" ] || say "WARNING: no fixture faces at $GLIMPSE_FIXTURES: tests that need them will SKIP"

nats_pid=""
hostport="${NATS_URL#nats://}"
if ! (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null; then
  nats_dir=$(mktemp -d)
  say "starting a temporary nats-server -js on ${hostport}"
  nats-server -js -a "${hostport%:*}" -p "${hostport##*:}" -sd "$nats_dir" >"$nats_dir/log" 2>&1 &
  nats_pid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null && break; sleep 0.1; done
fi
cleanup() { [ -n "$nats_pid" ] && kill "$nats_pid" 2>/dev/null; }
trap cleanup EXIT

out=test-artifacts/results
rm -rf "$out"; mkdir -p "$out"
rc=0
say "unit tests"
npx jest --selectProjects unit --json --outputFile="$out/unit.json" || rc=1
say "bench arithmetic (ratios, targets, the docs splice)"
node --test bench/ || rc=1
say "Python worker tests"
(cd services/recognizer/worker && .venv/bin/python -m pytest -q --junitxml="../../../$out/worker.xml" tests) || rc=1
say "integration tests (real NATS, Python worker, PGlite+pgvector)"
npx jest --selectProjects integration --runInBand --json --outputFile="$out/integration.json" || rc=1
if ls test/e2e/*.test.ts >/dev/null 2>&1; then
  say "end-to-end tests (running stack, headless Chromium)"
  npx jest --selectProjects e2e --runInBand --json --outputFile="$out/e2e.json" || rc=1
fi
node infra/scripts/summarize.js "$out" || rc=1
exit $rc
