#!/usr/bin/env bash
# `npm test`, the README's test command, and what .ci/run runs after its static checks: prepares the
# machine (scripts/prepare-machine.sh), builds when a source changed since the last build, brings up the
# testbed hosts (images built on first use), then runs vitest with the given arguments
# (`npm test -- test/e2e/apply.test.ts`). Prints the time of each step at the end.
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

# The build's last output: any source newer than it means the build is out of date.
BUILT=dist/src/config/validators.generated.js
build() {
  if [ -f "$BUILT" ] && [ -z "$(find src scripts package.json tsconfig.json tsconfig.build.json \
    -newer "$BUILT" \( -name '*.ts' -o -name '*.json' -o -name '*.sh' -o -name '*.awk' \) | head -1)" ]; then
    echo "up to date"
  else
    npm run build --silent
  fi
}

if [ ! -x node_modules/.bin/vitest ]; then step "npm install" npm install --no-audit --no-fund; fi
step machine bash scripts/prepare-machine.sh test
step build build
step "testbed up" node dist/scripts/testbed.js up 3 </dev/null
status=0
step vitest npx vitest run "$@" || status=$?
echo "test steps:"
printf '%s\n' "${TIMINGS[@]}"
exit $status
