#!/usr/bin/env bash
# Stops the throwaway cluster test/support/pg-up.sh started (and keeps its folder for the next start,
# unless --clean is given). Safe to call when nothing runs.
set -uo pipefail
DIR="${FLOWDECK_PG_DIR:-/tmp/flowdeck-pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); fi
if [ -n "$BIN" ] && [ -f "$DIR/data/postmaster.pid" ]; then
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >&2 || true
fi
if [ "${1:-}" = --clean ]; then rm -rf "$DIR"; fi
exit 0
