#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for Flowdeck's Postgres tests and benchmarks, and
# prints its connection string on the last line of stdout:
#
#   export FLOWDECK_TEST_PG_URL=$(bash test/support/pg-up.sh | tail -n 1)
#   npm test
#   bash test/support/pg-down.sh
#
# Installs Debian's `postgresql` with apt when the server binaries are missing (root, or sudo -n). As root
# the server runs as the `postgres` user (initdb refuses root). Idempotent: a cluster already running in
# the folder is reused. Nothing listens anywhere but 127.0.0.1.
#
# Env: FLOWDECK_PG_DIR (default /tmp/flowdeck-pg), FLOWDECK_PG_PORT (default 55432).
set -euo pipefail

DIR="${FLOWDECK_PG_DIR:-/tmp/flowdeck-pg}"
PORT="${FLOWDECK_PG_PORT:-55432}"
DB=flowdeck_test
log() { printf '[pg-up] %s\n' "$*" >&2; }

SUDO=()
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && SUDO=(sudo -n); }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
  log "installing Debian's postgresql (apt)"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q </dev/null >&2
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends postgresql </dev/null >&2
fi
BIN="$(bindir)"
[ -x "$BIN/initdb" ] || { log "no initdb after installing postgresql"; exit 1; }

# As root, everything runs as the postgres user; otherwise as the caller.
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); fi

mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    log "initdb $DIR/data"
    "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  log "starting on 127.0.0.1:$PORT"
  # A small cluster: fsync stays on (the tests check durability claims); connections enough for several workers.
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB" start >&2 \
    || { tail -n 30 "$DIR/server.log" >&2; exit 1; }
fi
if ! "${AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atc "select 1 from pg_database where datname = '$DB'" postgres | grep -q 1; then
  "${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi
echo "postgres://postgres@127.0.0.1:$PORT/$DB"
