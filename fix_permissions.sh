#!/usr/bin/env bash
# Give the application role full control of its databases, for databases created by hand or
# by another role: ownership of each database, its public schema (PostgreSQL 15 no longer lets
# every role CREATE there) and the tables and views in it. Idempotent.
#
# Settings: DB_USER, DB_NAME (defaults as in setup_database.sh), PGHOST/PGPORT.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/postgres_common.sh"

find_superuser

user=$(sql_literal "$DB_USER")
for db in "$DB_NAME" "${DB_NAME}_test"; do
    if [[ $(run_sql postgres "SELECT 1 FROM pg_database WHERE datname = $(sql_literal "$db")") != 1 ]]; then
        echo "database $db: missing, skipped (create it with setup_database.sh)"
        continue
    fi
    run_sql "$db" "
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), $user) \\gexec
SELECT format('GRANT ALL PRIVILEGES ON DATABASE %I TO %I', current_database(), $user) \\gexec
SELECT format('ALTER SCHEMA public OWNER TO %I', $user) \\gexec
SELECT format('GRANT ALL ON SCHEMA public TO %I', $user) \\gexec
SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, $user)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $user) \\gexec
SELECT format('GRANT ALL ON ALL TABLES IN SCHEMA public TO %I', $user) \\gexec
SELECT format('GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %I', $user) \\gexec
"
    echo "database $db: owned by $DB_USER, with its public schema and tables"
done
