#!/usr/bin/env bash
# Runs the whole suite on SQLite and PostgreSQL. PostgreSQL comes from LINECLOSE_TEST_DATABASE_URL,
# else a server already on 127.0.0.1:5432, else (Debian, root) a throwaway cluster started here.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

cleanup() { :; }
trap 'cleanup' EXIT

if [ -z "${LINECLOSE_TEST_DATABASE_URL:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$initdb" ] && [ "$(id -u)" = 0 ]; then
    pgbin=$(dirname "$initdb")
    dir=$(mktemp -d /tmp/lineclose-pg.XXXXXX)
    chown postgres "$dir"
    port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    su postgres -c "$pgbin/initdb -D $dir/data -A trust -U postgres >/dev/null"
    su postgres -c "$pgbin/pg_ctl -D $dir/data -o '-c listen_addresses=127.0.0.1 -p $port -k $dir' -l $dir/log -w start >/dev/null"
    cleanup() { su postgres -c "$pgbin/pg_ctl -D $dir/data -m immediate stop >/dev/null" || true; rm -rf "$dir"; }
    export LINECLOSE_TEST_PG_ADMIN_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    echo "started a throwaway PostgreSQL on 127.0.0.1:$port"
  else
    echo "no PostgreSQL available: the PostgreSQL suites will be skipped (see the pytest header)"
  fi
fi

$BIN/ruff check src tests benchmarks
$BIN/mypy src
$BIN/python -m pytest -q "$@"
