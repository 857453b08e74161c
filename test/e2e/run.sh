#!/usr/bin/env bash
# Runs the end-to-end tests in a real VS Code (code-server 4.100.3) with playwright-core + Debian chromium.
#   bash test/e2e/run.sh                 # setup (cached) + smoke + every test/e2e/**/*.e2e.ts
#   bash test/e2e/run.sh test/e2e/x.e2e.ts   # only the given files (after setup)
# Env: FLOWDECK_E2E_SKIP_SMOKE=1 skips the harness smoke test when other e2e tests run;
#      FLOWDECK_VSIX=path uses a ready .vsix instead of building one with `npm run package`.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/e2e/setup.sh >/dev/null

shopt -s globstar nullglob
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(test/e2e/**/*.e2e.ts)
  if [ "${FLOWDECK_E2E_SKIP_SMOKE:-0}" != 1 ] || [ "${#files[@]}" -eq 0 ]; then files=(test/e2e/smoke.ts "${files[@]}"); fi
fi

needs_vsix=0
for f in "${files[@]}"; do case "$f" in *.e2e.ts) needs_vsix=1 ;; esac; done
if [ "$needs_vsix" = 1 ] && [ -z "${FLOWDECK_VSIX:-}" ]; then
  version=$(node -p 'require("./package.json").version')
  echo "[e2e] building flowdeck-$version.vsix (npm run package)" >&2
  npm run --silent package >&2
  export FLOWDECK_VSIX="$PWD/flowdeck-$version.vsix"
fi

mkdir -p test-results/e2e
# One test file at a time: each starts a code-server and a chromium, and the machine has 2 cores.
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
