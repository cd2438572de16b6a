"""The molecule scenarios (molecule/<scenario>/): each starts its own lab, converges its role,
checks idempotence (a second converge changes nothing) and verifies the devices read back."""

from __future__ import annotations

import os

import pytest

from conftest import ROOT, BIN, run, tool

SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")
                   if (p.parent / "converge.yml").exists() and p.parent.name != "shared")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str, tmp_path):
    env = {"MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "ephemeral"), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    proc = run([tool("molecule"), "test", "-s", scenario], **env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "idempotence" in out and "1 successful" in out
