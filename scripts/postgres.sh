#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests, on loopback only: `scripts/postgres.sh start|stop|url`.
# Installs Debian's postgresql when missing; never touches a system cluster (own data
# directory under $POSTGRES_TEST_DIR, own port, socket in the data directory).
# PostgreSQL refuses to run as root: when run as root the cluster belongs to the `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${POSTGRES_TEST_DIR:-$PWD/.test-services/postgres}"
# As root the cluster runs as `postgres`, which may not be able to reach a clone under a private
# directory (e.g. `mktemp -d`, mode 700): then the data lives in a folder of its own under /tmp,
# named after this clone so that `stop` finds it again.
if [ -z "${POSTGRES_TEST_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 \
   && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
  DIR="/tmp/feature-service-postgres-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)/postgres"
fi
PORT="${POSTGRES_TEST_PORT:-5433}"
USER_NAME=feature
PASSWORD=feature-test
DB=features
URL="postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(bin_dir)" ] || [ ! -x "$(bin_dir)/initdb" ]; then
      echo "postgres: installing postgresql" >&2
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
      # The package may start a system cluster on 5432: this script does not need it.
      ($SUDO service postgresql stop || true) >/dev/null 2>&1
    fi
    BIN="$(bin_dir)"
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR" "$(dirname "$DIR")"
      chmod 700 "$DIR"
      pwfile="$(mktemp)"
      echo "$PASSWORD" > "$pwfile"
      [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
      as_owner "$BIN/initdb" -D "$DIR" -U "$USER_NAME" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
        -E UTF8 --no-locale >"$DIR/../postgres-initdb.log" 2>&1 || { cat "$DIR/../postgres-initdb.log" >&2; exit 1; }
      rm -f "$pwfile"
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      # fsync off: test data only, and it keeps the suite quick.
      as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null \
        || { echo "postgres did not start; see $DIR/server.log" >&2; exit 1; }
    fi
    if ! as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U "$USER_NAME" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
      as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U "$USER_NAME" -d postgres -qc "CREATE DATABASE $DB" >/dev/null
    fi
    echo "$URL"
    ;;
  stop)
    # pg_ctl waits until the postmaster and every backend have exited; `immediate` if that fails.
    BIN="$(bin_dir)"
    if [ -n "$BIN" ] && [ -f "$DIR/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DIR" -m fast -w -t 60 stop >/dev/null 2>&1 \
        || as_owner "$BIN/pg_ctl" -D "$DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    ;;
  psql)
    shift
    as_owner "$(bin_dir)/psql" -h "$DIR" -p "$PORT" -U "$USER_NAME" -d "$DB" "$@"
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: $0 start|stop|url|psql [args]" >&2; exit 2 ;;
esac
