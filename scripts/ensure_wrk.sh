#!/usr/bin/env bash
# The benchmark's load generator: wrk from Debian's packages (installed when missing and we are root).
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk </dev/null
else
    echo "ensure_wrk: wrk is missing; install it (Debian/Ubuntu: sudo apt-get install wrk)" >&2
    exit 1
fi
