"""gbtt inventory set / contact add|remove: a one-field change is a one-line diff (comments,
order, quoting kept), and an edit that would break the registry leaves the file as it was."""

from __future__ import annotations

import difflib
import shutil

import pytest

from conftest import MINI, ROOT, run, tool


@pytest.fixture
def reg(tmp_path):
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


def changed_lines(before: str, after: str) -> list[str]:
    return [x for x in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if x[:1] in "+-" and not x.startswith(("+++", "---"))]


def gbtt(*args):
    return run([tool("gbtt"), *args])


def test_set_one_field_is_a_one_line_diff(reg):
    path = reg / "endpoints" / "dong-van.yml"
    before = path.read_text(encoding="utf-8")
    proc = gbtt("inventory", "set", "-i", str(reg), "endpoints.dong-van-ubnd.line.bandwidth_kbps", "4096")
    assert proc.returncode == 0, proc.stderr
    diff = changed_lines(before, path.read_text(encoding="utf-8"))
    assert len(diff) == 2 and "bandwidth_kbps: 2048" in diff[0] and "bandwidth_kbps: 4096" in diff[1]


def test_a_change_inside_a_wrapped_line_rewrites_that_entry_only(reg):
    path = reg / "contacts.yml"
    before = path.read_text(encoding="utf-8")
    proc = gbtt("inventory", "set", "-i", str(reg), "contacts.vnpt-hg-tinh-ubnd-1.phone", '"0219 3866 123"')
    assert proc.returncode == 0, proc.stderr
    diff = changed_lines(before, path.read_text(encoding="utf-8"))
    assert all("vnpt-hg-tinh-ubnd-1" in x or "endpoints: [tinh-ubnd]" in x for x in diff) and len(diff) <= 3
    assert path.read_text(encoding="utf-8").startswith(before.splitlines()[0])        # the header comment stays


def test_an_edit_that_breaks_the_registry_changes_nothing(reg):
    path = reg / "endpoints" / "dong-van.yml"
    before = path.read_text(encoding="utf-8")
    proc = gbtt("inventory", "set", "-i", str(reg), "endpoints.dong-van-ubnd.line.bandwidth_kbps", "10")
    assert proc.returncode == 1 and "unchanged" in proc.stderr and "minimum of 64" in proc.stderr
    assert path.read_text(encoding="utf-8") == before
    bad = gbtt("inventory", "set", "-i", str(reg), "endpoints.nowhere.line.bandwidth_kbps", "4096")
    assert bad.returncode == 2 and "no endpoint 'nowhere'" in bad.stderr


def test_contact_add_next_to_its_unit_and_remove(reg):
    path = reg / "contacts.yml"
    before = path.read_text(encoding="utf-8")
    proc = gbtt("contact", "add", "so-tttt-kt3", "-i", str(reg), "--unit", "so-tttt", "--name", "Lê Thị Cúc",
                "--phone", "0900 000 333", "--email", "cuc@lab.invalid")
    assert proc.returncode == 0, proc.stderr
    after = path.read_text(encoding="utf-8")
    diff = changed_lines(before, after)
    assert diff == ["+  - {id: so-tttt-kt3, unit: so-tttt, roles: [technical], name: Lê Thị Cúc, "
                    "phone: 0900 000 333, email: cuc@lab.invalid}"]
    lines = after.splitlines()
    assert "so-tttt-kt2" in lines[lines.index(diff[0][1:]) - 1]                     # beside its unit
    assert gbtt("contact", "add", "so-tttt-kt3", "-i", str(reg), "--unit", "so-tttt").returncode == 2
    assert gbtt("contact", "remove", "-i", str(reg), "so-tttt-kt3").returncode == 0
    assert path.read_text(encoding="utf-8") == before


def test_removing_a_focal_officer_still_referenced_is_refused(reg):
    path = reg / "contacts.yml"
    before = path.read_text(encoding="utf-8")
    proc = gbtt("contact", "remove", "-i", str(reg), "ubnd-dong-van-kt1")        # dong-van-ubnd's focal officer
    assert proc.returncode == 1 and "unchanged" in proc.stderr
    assert path.read_text(encoding="utf-8") == before


def test_the_lab_inventory_edits_its_own_layer(tmp_path):
    inv = tmp_path / "lab"
    shutil.copytree(ROOT / "inventory" / "lab", inv, ignore=shutil.ignore_patterns(".lab"))
    source = inv / "lab.gbtt.yml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "  - ../hagiang/registry", f"  - {ROOT / 'inventory' / 'hagiang' / 'registry'}"), encoding="utf-8")
    proc = gbtt("inventory", "set", "-i", str(inv), "interconnects.tinh-vi-xuyen.bandwidth_kbps", "6000")
    assert proc.returncode == 0, proc.stderr
    assert "bandwidth_kbps: 6000" in (inv / "registry" / "interconnects.yml").read_text(encoding="utf-8")
