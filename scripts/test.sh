#!/usr/bin/env bash
# `npm test`, the README's test command, and what .ci/run runs after its static checks: prepares the
# machine (scripts/prepare-machine.sh), builds when a source changed since the last build, makes the
# testbed key and host images (each e2e worker then starts hosts of its own, test/e2e/setup.ts), then runs
# vitest with the given arguments (`npm test -- test/e2e/apply.test.ts`). Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

TIMINGS=()
step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name =="
  local status=0
  "$@" || status=$?
  TIMINGS+=("$(printf '  %-12s %5d s' "$name" $((SECONDS - start)))")
  return $status
}

if [ ! -x node_modules/.bin/vitest ]; then step "npm install" npm install --no-audit --no-fund; fi
step machine bash scripts/prepare-machine.sh test
step build bash scripts/build-if-stale.sh
# The key and host images only: each e2e worker starts hosts of its own (test/e2e/setup.ts).
step "testbed" node dist/scripts/testbed.js images </dev/null
status=0
step vitest npx vitest run "$@" || status=$?
echo "test steps:"
printf '%s\n' "${TIMINGS[@]}"
exit $status
