"""``gbtt approval new|sign|verify|list|revoke`` on a copy of the lab inventory: the files they
write, the round trip that keeps comments (a signature or a revocation is a diff of its own
lines), and the refusals that write nothing."""

from __future__ import annotations

import difflib
import json

import pytest

import linkkit as kit
from conftest import run, tool


@pytest.fixture
def inv(tmp_path):
    return kit.lab_copy(tmp_path)


def gbtt(inv, *args):
    return run([tool("gbtt"), "approval", args[0], "-i", str(inv), *args[1:]])


NEW = ("new", "--interconnect", "tinh-vi-xuyen", "--number", "130/STTTT-CNTT", "--valid-from", "2026-11-01",
       "--valid-until", "2030-12-31", "--purpose", "Giao ban trực tuyến tỉnh – huyện (Điều 5.4b)", "--id", "qd-130")


def test_new_sign_verify_list(inv):
    proc = gbtt(inv, *NEW)
    assert proc.returncode == 0, proc.stderr
    path = inv / "registry" / "approvals" / "qd-130.yml"
    text = path.read_text(encoding="utf-8")
    assert "number: 130/STTTT-CNTT" in text and f"config_sha256: {kit.config_hash(inv, 'tinh-vi-xuyen')}" in text
    assert "signature" not in text
    unsigned = gbtt(inv, "verify", "qd-130")
    assert unsigned.returncode == 1 and "not signed" in unsigned.stdout and "chữ ký" in unsigned.stdout

    path.write_text(text.replace("    purpose:", "    # đã trình Giám đốc Sở ký ngày 01/11\n    purpose:"),
                    encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    proc = gbtt(inv, "sign", "qd-130", "--key", str(kit.DEMO_KEY))
    assert proc.returncode == 0, proc.stderr
    after = path.read_text(encoding="utf-8")
    changed = [x for x in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    assert changed[0] == "+    signature: |" and all(x.startswith("+      ") for x in changed[1:]), changed
    assert "# đã trình Giám đốc Sở ký ngày 01/11" in after

    assert gbtt(inv, "verify", "qd-130").returncode == 0
    listed = json.loads(gbtt(inv, "list", "--format", "json").stdout)
    assert [(x["id"], x["state"], x["signed"]) for x in listed] == [("qd-130", "valid", True)]
    assert "qd-130" in gbtt(inv, "list").stdout


def test_new_refuses_look_alikes_and_writes_nothing(inv):
    args = list(NEW)
    args[args.index("130/STTTT-CNTT")] = "130/S\u0422TTT-CNTT"
    proc = gbtt(inv, *args)
    assert proc.returncode == 2 and "CYRILLIC CAPITAL LETTER TE" in proc.stderr
    assert not list((inv / "registry" / "approvals").glob("*.yml"))


def test_new_refuses_an_unknown_interconnect(inv):
    args = list(NEW)
    args[args.index("tinh-vi-xuyen")] = "tinh-dong-van"
    proc = gbtt(inv, *args)
    assert proc.returncode == 2 and "no interconnect 'tinh-dong-van'" in proc.stderr


def test_sign_refuses_an_approval_of_another_configuration(inv):
    assert gbtt(inv, *NEW).returncode == 0
    links = inv / "registry" / "interconnects.yml"
    links.write_text(links.read_text(encoding="utf-8").replace("bandwidth_kbps: 4000", "bandwidth_kbps: 3000"),
                     encoding="utf-8")
    proc = gbtt(inv, "sign", "qd-130", "--key", str(kit.DEMO_KEY))
    assert proc.returncode == 2 and "another configuration" in proc.stderr
    assert "signature" not in (inv / "registry" / "approvals" / "qd-130.yml").read_text(encoding="utf-8")


def test_revoke_appends_and_keeps_what_is_there(inv):
    assert gbtt(inv, *NEW).returncode == 0
    assert gbtt(inv, "sign", "qd-130", "--key", str(kit.DEMO_KEY)).returncode == 0
    proc = gbtt(inv, "revoke", "qd-130", "--reason", "Cuộc họp bị hủy", "--by", "Nguyễn Văn A")
    assert proc.returncode == 0, proc.stderr
    path = inv / "registry" / "approvals" / "revocations.yml"
    first = path.read_text(encoding="utf-8")
    assert "approval: qd-130" in first and "reason: Cuộc họp bị hủy" in first and first.startswith("---\n# Revoked")
    verify = gbtt(inv, "verify", "qd-130")
    assert verify.returncode == 1 and "revoked" in verify.stdout and "thu hồi" in verify.stdout
    assert gbtt(inv, "revoke", "qd-130", "--reason", "Nhắc lại", "--at", "2026-11-02").returncode == 0
    second = path.read_text(encoding="utf-8")
    assert second.startswith(first) and "reason: Nhắc lại" in second[len(first):]


def test_verify_of_an_unknown_approval_is_a_usage_error(inv):
    proc = gbtt(inv, "verify", "nope")
    assert proc.returncode == 2 and "no approval 'nope'" in proc.stderr
