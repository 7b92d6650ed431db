#!/usr/bin/env bash
# `npm run build` unless dist/ is newer than every source: what `npm test` and .ci/run call, so a build
# that just happened (npm ci runs the package's prepare script, which is the build) is not done twice.
set -euo pipefail
cd "$(dirname "$0")/.."

# The build's last output: any source newer than it means the build is out of date.
BUILT=dist/src/config/validators.generated.js
if [ -f "$BUILT" ] && [ -z "$(find src scripts package.json tsconfig.json tsconfig.build.json \
  -newer "$BUILT" \( -name '*.ts' -o -name '*.json' -o -name '*.sh' -o -name '*.awk' \) | head -1)" ]; then
  echo "up to date"
else
  npm run build --silent
fi
