"""A copy of the lab inventory (and the production registry it layers) with a meetings folder."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

ICT = dt.timezone(dt.timedelta(hours=7))


def at(text: str) -> dt.datetime:
    """A time in the province's offset: ``2026-12-03 08:00``."""
    return dt.datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=ICT)


@pytest.fixture
def inv(tmp_path) -> Path:
    for name in ("hagiang", "lab"):
        shutil.copytree(ROOT / "inventory" / name, tmp_path / name, ignore=shutil.ignore_patterns(".lab", "meetings"))
    (tmp_path / "lab" / "meetings").mkdir()
    return tmp_path / "lab"


def write(inv: Path, mid: str, **fields) -> Path:
    """A meeting file from ``fields`` (lists and mappings in flow style)."""
    lines = []
    for key, value in fields.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v!r}" if isinstance(v, str) and " " in v else f"  {k}: {_flow(v)}"
                      for k, v in value.items()]
        else:
            lines.append(f"{key}: {_flow(value)}")
    path = inv / "meetings" / f"{mid}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _flow(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, str) and any(c in value for c in ":#\"'") and not value[:4].isdigit():
        return '"' + value.replace('"', '\\"') + '"'
    return str(value)
