#!/usr/bin/env bash
# Installs (if absent) and starts a throwaway PostgreSQL on 127.0.0.1:5432 with trust auth,
# creates the database "stackgate_test" and prints its URL. Used by .ci/run and by developers.
set -euo pipefail

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "postgres already listening on 127.0.0.1:5432" >&2
else
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing postgresql from Debian packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  data=${STACKGATE_PGDATA:-/tmp/stackgate-pgdata}
  id -u postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"; mkdir -p "$data"; chown postgres "$data"
    su postgres -s /bin/sh -c "$bindir/initdb -D $data -A trust -U postgres >/dev/null"
  fi
  mkdir -p /var/run/postgresql && chown postgres /var/run/postgresql
  su postgres -s /bin/sh -c "$bindir/pg_ctl -D $data -l $data/server.log -w \
    -o '-c listen_addresses=127.0.0.1 -p 5432 -c max_connections=300 -c fsync=off -c unix_socket_directories=/var/run/postgresql' start" >&2
fi
for i in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "postgres did not come up" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='stackgate_test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE stackgate_test" >&2
echo "postgres://postgres@127.0.0.1:5432/stackgate_test?sslmode=disable"
