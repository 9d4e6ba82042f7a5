"""Create .env from env.example, or add to an existing .env the settings it lacks (values are never changed).

Used by `make setup-env` (and so by `make dev`): a clone made before a setting existed still gets it,
so `make dev` and api.http (which reads ADMIN_EMAIL, ADMIN_PASSWORD and PORT from .env) agree.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

SETTING = re.compile(r"^([A-Z][A-Z0-9_]*)=")


def settings(text: str) -> dict[str, str]:
    """Uncommented KEY=value lines, in order."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = SETTING.match(line)
        if match:
            found.setdefault(match.group(1), line)
    return found


def main(example: Path, target: Path) -> int:
    if not target.exists():
        shutil.copyfile(example, target)
        print(f"created {target} from {example}")
        return 0
    current = target.read_text()
    present = set(settings(current))  # a commented-out line is not a setting
    missing = [line for key, line in settings(example.read_text()).items() if key not in present]
    if not missing:
        print(f"{target} is up to date with {example}")
        return 0
    with target.open("a") as out:
        out.write(("" if current.endswith("\n") or not current else "\n") + f"\n# Added from {example}:\n")
        out.write("\n".join(missing) + "\n")
    print(f"{target}: added {', '.join(line.split('=', 1)[0] for line in missing)} from {example}")
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:] + ["env.example", ".env"][len(sys.argv) - 1 :]
    sys.exit(main(Path(arguments[0]), Path(arguments[1])))
