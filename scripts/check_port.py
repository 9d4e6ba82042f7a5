"""Exit 1 with one line naming the setting when HOST:PORT is taken; used by make run/dev/serve.

Usage: python scripts/check_port.py HOST:PORT SETTING
"""

from __future__ import annotations

import socket
import sys


def main(address: str, setting: str) -> int:
    host, _, port = address.rpartition(":")
    if not port.isdigit():  # a unix socket or a name gunicorn resolves: nothing to probe here
        return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind((host or "127.0.0.1", int(port)))
        except OSError:
            print(
                f"Port {port} on {host or '127.0.0.1'} is already in use: stop what holds it, "
                f"or pick another port with {setting} (e.g. make dev {setting}={int(port) + 1}).",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
