"""Shared fixtures: the repository root, a private registry cache, helpers to run commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own registry cache, so no test sees another's cached result."""
    monkeypatch.setenv("GBTT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def mini(tmp_path) -> Path:
    """A writable copy of the miniature province."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


def tool(name: str) -> str:
    """An executable installed beside the running Python (the project's venv)."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def run(args: list[str], cwd: Path = ROOT, input_text: str | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, check=False,
                          input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL)
