#!/bin/sh
# Runs once, when the postgres container initialises an empty volume (docker-entrypoint-initdb.d):
# creates one database per PostgreSQL service, listed in POSTGRES_DATABASES (comma-separated),
# owned by POSTGRES_USER. Each service then applies its own migrations at start-up.
# On an existing volume, add a database by hand:
#   docker compose exec postgres createdb -U "$POSTGRES_USER" <name>
set -eu
for db in $(echo "${POSTGRES_DATABASES:-}" | tr ',' ' '); do
  case "$db" in
    *[!a-z0-9_]*) echo "init-databases: refusing database name '$db' (use [a-z0-9_])" >&2; exit 1 ;;
  esac
  if psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    echo "init-databases: $db exists"
  else
    echo "init-databases: creating $db"
    psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
  fi
done
