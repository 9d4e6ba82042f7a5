# Shared by setup_database.sh and fix_permissions.sh (sourced, not run): the settings,
# SQL quoting, and a psql connection as a PostgreSQL superuser.

DB_USER="${DB_USER:-ecommerce_user}"
DB_PASSWORD="${DB_PASSWORD:-ecommerce_2024_secure}"
DB_NAME="${DB_NAME:-ecommerce_backend}"
DB_HOST="${PGHOST:-127.0.0.1}"
DB_PORT="${PGPORT:-5432}"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# sql_literal VALUE: VALUE as an SQL string literal ('it''s').
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

PSQL_OPTS=(-X -q -t -A -v ON_ERROR_STOP=1 -d postgres)
PSQL=()

# try_superuser CMD...: keep CMD as $PSQL if it reaches PostgreSQL as a superuser.
try_superuser() {
    local answer
    answer=$(echo "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" | "$@" 2>/dev/null) || return 1
    [[ $answer == t ]] || return 1
    PSQL=("$@")
}

# Sets $PSQL: TCP as postgres (trust or PGPASSWORD), TCP as the current user (Homebrew),
# then peer authentication over the local socket via sudo or, as root, su.
find_superuser() {
    try_superuser psql -w -h "$DB_HOST" -p "$DB_PORT" -U postgres "${PSQL_OPTS[@]}" && return
    try_superuser psql -w -h "$DB_HOST" -p "$DB_PORT" "${PSQL_OPTS[@]}" && return
    if command -v sudo >/dev/null; then
        try_superuser sudo -n -u postgres psql -p "$DB_PORT" "${PSQL_OPTS[@]}" && return
    fi
    if [[ $(id -u) -eq 0 ]]; then
        try_superuser su postgres -s /bin/sh -c "unset PGHOST PGUSER; exec psql -p $DB_PORT ${PSQL_OPTS[*]}" && return
    fi
    die "cannot connect to PostgreSQL at $DB_HOST:$DB_PORT as a superuser. Tried:
  psql -h $DB_HOST -p $DB_PORT -U postgres   (set PGPASSWORD if it asks for a password)
  psql -h $DB_HOST -p $DB_PORT               (as $(id -un))
  sudo -u postgres psql / su postgres -c psql (peer authentication)
Is PostgreSQL running? Try: bash scripts/ensure_services.sh"
}

# run_sql DATABASE SQL: run SQL in DATABASE as the superuser and print the rows, one a line.
run_sql() {
    printf '\\connect %s\n%s\n' "$(sql_literal "$1")" "$2" | "${PSQL[@]}"
}
