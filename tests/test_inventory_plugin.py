"""The inventory plugin through the real ``ansible-inventory``: hosts, groups, vars, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gbtt import inventory, registry

from conftest import MINI, ROOT, run, tool

HAGIANG = ROOT / "inventory" / "hagiang"


def ansible_inventory(*args: str, **env: str):
    return run([tool("ansible-inventory"), *args], **env)


def unwrap(value):
    """ansible-inventory writes registry strings as {"__ansible_unsafe": text}: never templated."""
    if isinstance(value, dict):
        if value.keys() == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def listing(path: Path, raw: bool = False) -> dict:
    proc = ansible_inventory("-i", str(path), "--list")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    return doc if raw else unwrap(doc)


def hosts_of(doc: dict, group: str) -> set[str]:
    """Every host of a group, through its children (as Ansible resolves them)."""
    g = doc.get(group, {})
    out = set(g.get("hosts", []))
    for child in g.get("children", []):
        out |= hosts_of(doc, child)
    return out


@pytest.fixture
def mini_inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(MINI, inv / "registry")
    (inv / "mini.gbtt.yml").write_text("plugin: gbtt\nregistry: registry\nsecrets: plain\n")
    return inv


def test_province_counts_in_ansible_inventory_list():
    doc = listing(HAGIANG)
    hostvars = doc["_meta"]["hostvars"]
    assert len(hostvars) == 493  # 240 endpoints x (codec + router) + 13 MCUs
    assert len(hosts_of(doc, "codecs")) == 240 and len(hosts_of(doc, "routers")) == 240
    assert len(hosts_of(doc, "mcus")) == 13
    # Art. 1: 22 provincial endpoints, 12 ICT endpoints, 195 communes + 11 district PCs in the district systems
    assert len(hosts_of(doc, "sys_tinh") & hosts_of(doc, "codecs")) == 22
    assert len(hosts_of(doc, "sys_cntt") & hosts_of(doc, "codecs")) == 12
    assert len(hosts_of(doc, "systems_district") & hosts_of(doc, "codecs")) == 206
    assert len(hosts_of(doc, "border_clusters") & hosts_of(doc, "codecs")) == 8
    assert len(hosts_of(doc, "chair_endpoints") & hosts_of(doc, "codecs")) == 15  # 3 + 1 + 11
    assert len([g for g in doc if g.startswith("sys_")]) == 13
    assert len([g for g in doc if g.startswith("district_")]) == 11
    assert {g for g in doc if g.startswith("provider_")} == {"provider_vnpt_hg", "provider_viettel_hg"}
    assert {g for g in doc if g.startswith("platform_")} == {"platform_cisco_ce", "platform_cisco_cms",
                                                             "platform_cisco_ios"}
    host = hostvars["tinh-cum-thanh-thuy-codec"]
    assert host["gbtt_endpoint"]["site"]["commune"] == "thanh-thuy"
    assert host["gbtt_endpoint"]["name"].startswith("Cụm") and host["gbtt_endpoint"]["camera_presets"]
    assert host["gbtt_system"]["kind"] == "provincial" and host["gbtt_platform"] == "cisco_ce"
    assert host["gbtt_province"]["timezone"] == "Asia/Ho_Chi_Minh"
    # group_vars beside the inventory still apply
    assert host["gbtt_codec_password"] == "{{ vault_gbtt_codec_password }}"


def test_graph_shows_the_province_tree():
    proc = ansible_inventory("-i", str(HAGIANG), "--graph", "sys_dong_van")
    assert proc.returncode == 0, proc.stderr
    assert "dong-van-lung-cu-codec" in proc.stdout and "dong-van-mcu" in proc.stdout


def test_registry_strings_reach_ansible_as_unsafe_text():
    raw = listing(HAGIANG, raw=True)["_meta"]["hostvars"]["tinh-ubnd-codec"]
    assert set(raw["gbtt_endpoint"]["name"]) == {"__ansible_unsafe"}
    assert set(raw["ansible_host"]) == {"__ansible_unsafe"}


def test_lab_inventory_layers_synthetic_contacts_and_keeps_them_out_of_host_vars():
    lab = registry.load(ROOT / "inventory" / "lab").registry
    prod = registry.load(HAGIANG).registry
    officer = lab.contacts[lab.endpoints["tinh-ubnd"].focal_officers[0]]
    assert officer.name and officer.phone.startswith("0900 000") and officer.email.endswith("@lab.invalid")
    blank = prod.contacts[prod.endpoints["tinh-ubnd"].focal_officers[0]]
    assert blank.name is None and blank.phone is None  # never invented people in production
    # personal data stays in the registry (reports read it there), not in every host's variables
    text = json.dumps(listing(ROOT / "inventory" / "lab"), ensure_ascii=False)
    assert officer.phone not in text and officer.email not in text and "focal_officers" not in text


def test_plugin_output_matches_the_python_build(mini_inventory: Path):
    doc = listing(mini_inventory)
    data = inventory.build(registry.load(mini_inventory).registry)
    assert set(doc["_meta"]["hostvars"]) == set(data.hostvars)
    for name, group in data.groups.items():
        assert set(doc[name].get("hosts", [])) == set(group.hosts), name
        assert set(doc[name].get("children", [])) == set(group.children), name


def test_host_vars_file_beats_the_registry(mini_inventory: Path):
    (mini_inventory / "host_vars").mkdir()
    (mini_inventory / "host_vars" / "tinh-ubnd-codec.yml").write_text("---\ngbtt_model: Override\n")
    hv = listing(mini_inventory)["_meta"]["hostvars"]
    assert hv["tinh-ubnd-codec"]["gbtt_model"] == "Override"
    assert hv["tinh-ubnd-router"]["gbtt_model"] is None


@pytest.mark.parametrize("case", ["duplicate_address", "norway", "newline_injection", "missing_chair"])
def test_invalid_registry_is_refused_with_the_validator_messages(case: str):
    source = ROOT / "tests" / "errors" / case / "case.gbtt.yml"
    proc = ansible_inventory("-i", str(source), "--list")
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    expected = (ROOT / "tests" / "errors" / case / "expected.txt").read_text()
    for line in expected.splitlines():
        line = line.strip()
        if line.startswith(("tests/", "hint:")):
            assert " ".join(line.split()) in out, line


def test_plaintext_production_secret_is_refused(tmp_path: Path, mini_inventory: Path):
    (mini_inventory / "mini.gbtt.yml").write_text("plugin: gbtt\nregistry: registry\n")  # production: vault
    creds = mini_inventory / "group_vars" / "all"
    creds.mkdir(parents=True)
    (creds / "credentials.yml").write_text(
        "---\nvault_gbtt_codec_password: hunter2\nvault_gbtt_router_password: null\n"
        "vault_gbtt_router_enable_secret: null\nvault_gbtt_mcu_password: null\n")
    proc = ansible_inventory("-i", str(mini_inventory), "--list")
    assert proc.returncode != 0
    assert "vault_gbtt_codec_password is not vault-encrypted" in proc.stdout + proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr
