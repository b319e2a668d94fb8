#!/usr/bin/env bash
# Installs (when absent) and starts a local PostgreSQL server for the verification service's
# tests, creates the test role and database, and prints the URL the tests read from
# RISKATTEST_TEST_POSTGRES_URL. Idempotent: a running server and an existing role are reused.
# Needs root (apt-get, pg_ctlcluster) or sudo.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing postgresql" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  $SUDO pg_createcluster "$version" main >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  $SUDO pg_ctlcluster "$version" main start >&2
fi
for i in $(seq 1 30); do
  $SUDO runuser -u postgres -- psql -p "$port" -qAtc "SELECT 1" >/dev/null 2>&1 && break
  sleep 1
done
psql_admin() { $SUDO runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'riskattest_test'")" != 1 ]; then
  psql_admin -c "CREATE ROLE riskattest_test LOGIN PASSWORD 'riskattest_test' CREATEDB" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'riskattest_test'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE riskattest_test OWNER riskattest_test" >&2
fi
echo "postgres://riskattest_test:riskattest_test@127.0.0.1:$port/riskattest_test"
