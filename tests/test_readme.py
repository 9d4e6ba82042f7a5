"""The README stands on its own: every make target is in it, and it points at nothing a reader lacks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def make_targets() -> list[str]:
    """The targets `make help` lists (the ones with a `## description`)."""
    return re.findall(r"^([a-z][a-z-]*):.*?## ", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_every_make_target_is_in_the_readme() -> None:
    missing = [target for target in make_targets() if f"`make {target}" not in README]
    assert len(make_targets()) > 20
    assert not missing, f"README.md does not describe: {missing}"


def test_the_readme_refers_to_no_document_the_reader_does_not_have() -> None:
    assert not re.search(r"\bthe seed\b", README, re.IGNORECASE)
    for link in re.findall(r"\]\(([^)#]+)\)", README):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_the_readme_shows_how_to_run_the_cli_and_pytest_from_the_virtual_environment() -> None:
    assert ".venv/bin/flask --app wsgi" in README
    assert ".venv/bin/python -m pytest" in README
