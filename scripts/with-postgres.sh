#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on a free loopback port, then remove it.
# Usage: scripts/with-postgres.sh COMMAND...   (sets TEST_DATABASE_URL for the command)
# The server runs without fsync (fast tests); PG_DURABLE=1 keeps PostgreSQL's durable defaults,
# for figures that mean something (make loadtest-postgres).
set -euo pipefail

pgbin=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$dir/initdb" ]; then pgbin="$dir"; break; fi
done
if [ -z "$pgbin" ]; then
  pgbin="$(dirname "$(command -v initdb || true)")"
fi
if [ ! -x "$pgbin/initdb" ]; then
  echo "PostgreSQL server binaries not found (install the postgresql package)." >&2
  exit 1
fi

tmp="$(mktemp -d /tmp/reemploi-pg.XXXXXX)"
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = "0" ]; then chown postgres "$tmp"; fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# Exiting from the INT and TERM traps runs the EXIT trap, so an interrupted run leaves no cluster.
trap 'exit 130' INT
trap 'exit 143' TERM

durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${PG_DURABLE:-}" = "1" ]; then durability=""; fi

as_pg "$pgbin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp $durability -c max_connections=200" \
  start >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres reemploi_test

echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" \
  "($([ -n "$durability" ] && echo "fsync off, for tests" || echo "durable defaults"))"
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/reemploi_test"
"$@"
