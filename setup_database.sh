#!/usr/bin/env bash
# Create the application role (with CREATEDB, for the per-run test databases) and its two databases
# (the app's, and the tests' base name) on a local PostgreSQL.
# Idempotent: what already exists is left as it is. Used by `make setup-db` and `make test`.
#
# Settings: DB_USER, DB_PASSWORD, DB_NAME (defaults below), PGHOST/PGPORT (127.0.0.1:5432).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/postgres_common.sh"

find_superuser

user=$(sql_literal "$DB_USER")
if [[ $(run_sql postgres "SELECT 1 FROM pg_roles WHERE rolname = $user") == 1 ]]; then
    echo "role $DB_USER: exists"
    # The test suite creates a database of its own per run (and drops it), so the role needs CREATEDB.
    if [[ $(run_sql postgres "SELECT rolcreatedb FROM pg_roles WHERE rolname = $user") != t ]]; then
        run_sql postgres "SELECT format('ALTER ROLE %I CREATEDB', $user) \\gexec"
        echo "role $DB_USER: granted CREATEDB"
    fi
else
    run_sql postgres "SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', $user, $(sql_literal "$DB_PASSWORD")) \\gexec" ||
        [[ $(run_sql postgres "SELECT 1 FROM pg_roles WHERE rolname = $user") == 1 ]]
    echo "role $DB_USER: created"
fi

for db in "$DB_NAME" "${DB_NAME}_test"; do
    if [[ $(run_sql postgres "SELECT 1 FROM pg_database WHERE datname = $(sql_literal "$db")") == 1 ]]; then
        echo "database $db: exists"
    else
        # Another run of this script (a second make test) may create it at the same moment: that is fine too.
        run_sql postgres "SELECT format('CREATE DATABASE %I OWNER %I', $(sql_literal "$db"), $user) \\gexec" ||
            [[ $(run_sql postgres "SELECT 1 FROM pg_database WHERE datname = $(sql_literal "$db")") == 1 ]]
        echo "database $db: created"
    fi
done

echo "DATABASE_URL=postgresql://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$DB_NAME"
