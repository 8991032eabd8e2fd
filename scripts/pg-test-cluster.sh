#!/bin/sh
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg-test-cluster.sh start DIR   initdb (UTF-8 locale) in DIR, start it on a free
#                                          port, create database "pingan"; prints its URL
#   scripts/pg-test-cluster.sh stop DIR    stop it (fast) and remove DIR
#   scripts/pg-test-cluster.sh restart DIR stop and start again on the same port (data kept)
#   scripts/pg-test-cluster.sh halt DIR    stop it, keep DIR (start again with `resume`)
#   scripts/pg-test-cluster.sh resume DIR  start a halted cluster
#
# PostgreSQL refuses to run as root: when run as root the cluster belongs to
# the user "postgres" (Debian's package creates it), or to "pingan-pg",
# created here if neither exists.  Binaries come from Debian's postgresql-15
# (PG_BIN overrides the directory).  Authentication is `trust` on
# 127.0.0.1 and the socket in DIR only: never for production.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart|halt|resume DIR" >&2; exit 2; }

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/initdb" ] || { echo "$0: no PostgreSQL binaries (install postgresql-15)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres
  else
    id pingan-pg >/dev/null 2>&1 || useradd --system --no-create-home pingan-pg
    owner=pingan-pg
  fi
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
  port=$(cat "$dir/port")
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
}

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U pingan --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  # room for several servers' pools in the tests; fsync stays on
  cat >>"$dir/data/postgresql.conf" <<CONF
max_connections = 200
shared_buffers = 128MB
CONF
  free_port >"$dir/port"
  pg_start
  as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U pingan pingan
  echo "postgresql://pingan@127.0.0.1:$(cat "$dir/port")/pingan"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
halt)
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
resume)
  pg_start
  ;;
restart)
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  pg_start
  ;;
*)
  echo "usage: $0 start|stop|restart|halt|resume DIR" >&2; exit 2 ;;
esac
