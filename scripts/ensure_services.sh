#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer, starting (or, as root on Debian/Ubuntu, installing)
# local ones when they do not. Used by `make setup` and `make test`; safe to re-run, needs no terminal.
#
# PostgreSQL: PGHOST/PGPORT (default 127.0.0.1:5432).
# Redis: REDIS_URL if set, else REDIS_HOST/REDIS_PORT (default 127.0.0.1:6379).
set -euo pipefail

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
WAIT_SECONDS="${WAIT_SECONDS:-20}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "ensure_services: $*"; }
die() { echo "ensure_services: $*" >&2; exit 1; }

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == /* ]]; }
can_apt_install() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; }

apt_updated=""
apt_install() {
    log "installing $* with apt-get"
    if [[ -z $apt_updated ]]; then
        apt-get update -q </dev/null || die "apt-get update failed"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null || die "apt-get install $* failed"
}

# wait_for WHAT CMD...: retry CMD once a second until it succeeds or WAIT_SECONDS pass.
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + WAIT_SECONDS))
    until "$@"; do
        ((SECONDS < deadline)) || die "$what did not answer within ${WAIT_SECONDS}s"
        sleep 1
    done
}

# --- PostgreSQL -----------------------------------------------------------------------------

pg_up() {
    command -v pg_isready >/dev/null && pg_isready -q -h "$PGHOST" -p "$PGPORT"
}

pg_installed() {
    [[ -n $(ls /etc/postgresql 2>/dev/null) ]] && command -v pg_ctlcluster >/dev/null
}

start_postgres() {
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    log "starting PostgreSQL $version (cluster main)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null ||
        pg_ctlcluster "$version" main start </dev/null ||
        service postgresql start </dev/null ||
        die "could not start PostgreSQL $version; see /var/log/postgresql/"
}

ensure_postgres() {
    if pg_up; then
        log "PostgreSQL OK at $PGHOST:$PGPORT"
        return
    fi
    is_local "$PGHOST" || die "PostgreSQL at $PGHOST:$PGPORT is not reachable (it is not local, so it is not started here)"
    if ! pg_installed; then
        can_apt_install || die "PostgreSQL is not installed. Install it, then re-run:
  Debian/Ubuntu: sudo apt-get install postgresql
  macOS:         brew install postgresql@15 && brew services start postgresql@15"
        apt_install postgresql
    fi
    pg_up || start_postgres
    wait_for "PostgreSQL at $PGHOST:$PGPORT (logs: /var/log/postgresql/)" pg_up
    log "PostgreSQL OK at $PGHOST:$PGPORT"
}

# --- Redis ----------------------------------------------------------------------------------

redis_up() {
    if command -v redis-cli >/dev/null; then
        [[ $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
    else
        # No redis-cli (e.g. Redis runs in a container): speak the protocol directly.
        local reply
        reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "PING\r\n" >&3 && read -r line <&3 && echo "$line"' \
            _ "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null) || return 1
        [[ $reply == +PONG* ]]
    fi
}

# A REDIS_URL with credentials, TLS or a remote host is only checked, never started.
check_remote_redis() {
    if [[ -x $ROOT/.venv/bin/python ]]; then
        "$ROOT/.venv/bin/python" "$ROOT/scripts/check_redis.py" || exit 1
    elif command -v redis-cli >/dev/null; then
        [[ $(redis-cli -u "$REDIS_URL" ping 2>/dev/null) == PONG ]] || die "Redis at REDIS_URL did not answer PING"
        log "Redis OK at REDIS_URL"
    else
        die "cannot check REDIS_URL: install redis-tools, or run 'make install-deps' first"
    fi
}

ensure_redis() {
    if [[ -n ${REDIS_URL:-} ]]; then
        if [[ $REDIS_URL =~ ^redis://(127\.0\.0\.1|localhost)(:([0-9]+))?(/[0-9]*)?$ ]]; then
            REDIS_HOST=127.0.0.1
            REDIS_PORT=${BASH_REMATCH[3]:-6379}
        else
            check_remote_redis
            return
        fi
    fi
    if redis_up; then
        log "Redis OK at $REDIS_HOST:$REDIS_PORT"
        return
    fi
    is_local "$REDIS_HOST" || die "Redis at $REDIS_HOST:$REDIS_PORT is not reachable (it is not local, so it is not started here)"
    if ! command -v redis-server >/dev/null; then
        can_apt_install || die "Redis is not installed. Install it, then re-run:
  Debian/Ubuntu: sudo apt-get install redis-server redis-tools
  macOS:         brew install redis"
        apt_install redis-server redis-tools
    fi
    if ! redis_up; then
        log "starting redis-server on 127.0.0.1:$REDIS_PORT"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no </dev/null ||
            die "could not start redis-server"
    fi
    wait_for "Redis at $REDIS_HOST:$REDIS_PORT" redis_up
    log "Redis OK at $REDIS_HOST:$REDIS_PORT"
}

ensure_postgres
ensure_redis
