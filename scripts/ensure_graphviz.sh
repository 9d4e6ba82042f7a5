#!/usr/bin/env bash
# Graphviz's dot, which draws db-relations.png: from Debian's packages (installed when missing and we are root).
set -euo pipefail
command -v dot >/dev/null && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "ensure_graphviz: installing graphviz with apt-get"
    apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q graphviz </dev/null
else
    echo "ensure_graphviz: Graphviz's dot is missing, so db-relations.png cannot be drawn;" \
        "install it (Debian/Ubuntu: sudo apt-get install graphviz, macOS: brew install graphviz)" >&2
    exit 1
fi
