#!/usr/bin/env python3
"""Regenerate the expected output of every golden error case.

Each folder here is one class of bad input: a ``case.gbtt.yml`` layering one bad file
over the miniature province of ``tests/fixtures/mini``.  This script runs
``gbtt validate`` on each and writes what it printed, and its exit code, to
``expected.txt``.  Review the result as a diff; never edit an expected file by hand.

    python tests/errors/regen.py            # all cases
    python tests/errors/regen.py norway     # one case
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def cases() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / "case.gbtt.yml").is_file())


def run_case(case: Path) -> str:
    """What ``gbtt validate`` prints for ``case`` (run from the repository root), with its exit code."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "gbtt", "validate", str(case.relative_to(ROOT)), "--no-cache", "--color", "never"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return proc.stdout + proc.stderr + f"exit: {proc.returncode}\n"


def main(argv: list[str]) -> int:
    selected = [HERE / a for a in argv] if argv else cases()
    for case in selected:
        out = run_case(case)
        (case / "expected.txt").write_text(out, encoding="utf-8")
        print(f"{case.name}: {out.splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
