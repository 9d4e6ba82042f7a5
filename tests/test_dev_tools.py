"""The helpers behind make dev: .env kept in step with env.example, and a busy port named in one line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=30)


def test_setup_env_creates_env_from_the_example(tmp_path: Path) -> None:
    result = run_script(str(ROOT / "scripts/sync_env.py"), str(ROOT / "env.example"), str(tmp_path / ".env"))
    assert result.returncode == 0
    assert (tmp_path / ".env").read_text() == (ROOT / "env.example").read_text()


def test_setup_env_adds_missing_settings_and_keeps_existing_values(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ADMIN_EMAIL=me@example.com\n# ADMIN_PASSWORD=\n")
    result = run_script(str(ROOT / "scripts/sync_env.py"), str(ROOT / "env.example"), str(env))
    text = env.read_text()
    assert result.returncode == 0
    assert "ADMIN_EMAIL=me@example.com" in text
    assert text.count("ADMIN_EMAIL=") == 1
    assert "\nADMIN_PASSWORD=admin-dev-password\n" in text  # the commented-out line was no setting
    assert "\nPORT=5001\n" in text
    assert "ADMIN_PASSWORD" in result.stdout


def test_a_busy_port_is_reported_in_one_line_naming_the_setting() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_script(str(ROOT / "scripts/check_port.py"), f"127.0.0.1:{port}", "PORT")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"Port {port}" in result.stderr and f"PORT={port + 1}" in result.stderr


def test_a_free_port_passes_silently() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_script(str(ROOT / "scripts/check_port.py"), f"127.0.0.1:{port}", "PORT")
    assert (result.returncode, result.stderr) == (0, "")
