"""``ansible-doc`` shows every plugin of the project: each action plugin has its module doc stub,
the inventory and callback plugins their documentation."""

from __future__ import annotations

import pytest

from conftest import ROOT, run, tool

ACTIONS = sorted(p.stem for p in (ROOT / "plugins" / "action").glob("*.py"))


def test_every_action_plugin_has_a_doc_stub():
    stubs = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
    assert ACTIONS and ACTIONS == stubs


@pytest.mark.parametrize("name", ACTIONS)
def test_ansible_doc_shows_the_action_plugin(name: str):
    proc = run([tool("ansible-doc"), name])
    assert proc.returncode == 0, proc.stderr
    assert f"MODULE {name}" in proc.stdout.replace("\x1b[1m", "").replace("\x1b[0m", "")
    assert "EXAMPLES" in proc.stdout and "RETURN VALUES" in proc.stdout


def test_ansible_doc_shows_the_inventory_plugin():
    proc = run([tool("ansible-doc"), "-t", "inventory", "gbtt"])
    assert proc.returncode == 0, proc.stderr
    assert "secrets" in proc.stdout and "lab" in proc.stdout


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "plugins" / "callback").glob("*.py")))
def test_ansible_doc_shows_the_callback_plugin(name: str):
    proc = run([tool("ansible-doc"), "-t", "callback", name])
    assert proc.returncode == 0, proc.stderr
    assert "GBTT_SUMMARY_JSON" in proc.stdout and "aggregate" in proc.stdout
