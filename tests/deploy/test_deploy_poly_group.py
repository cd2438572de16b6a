"""The codec playbook (playbooks/codec.yml) on the lab's Poly codecs of the Quản Bạ system,
through the real ansible-playbook: check mode shows the diff and touches nothing, a run changes
what drifted (backup, audit), the next changes nothing; a codec that refuses a value is put
back and the run says so; a connection dropped part-way is reported not restored and the next
run repairs it; a refused login writes nothing; no secret shows at -vvvv.

Hosts: quan-ba-nghia-thuan-codec, quan-ba-cao-ma-po-codec and quan-ba-tung-vai-codec (each test
first deploys, or drifts, what it starts from)."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from pathlib import Path

import requests

from conftest import ROOT, run, tool

LAB_INV = str(ROOT / "inventory" / "lab")
SECRETS = ("lab-codec-only", "lab-technician-only", "lab-operator-only")
ONE, TWO, THREE = "quan-ba-nghia-thuan-codec", "quan-ba-cao-ma-po-codec", "quan-ba-tung-vai-codec"


def playbook(lab, tmp_path: Path, *args: str, env: dict | None = None):
    proc = run([tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / "codec.yml"),
                "-e", f"gbtt_backup_dir={tmp_path / 'backups'}", "-e", f"gbtt_audit_log={tmp_path / 'audit.log'}",
                *args], **{**lab.env, **(env or {})})
    recap = {m["host"]: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m["counts"])}
             for m in re.finditer(r"^(?P<host>[\w.-]+)\s+: (?P<counts>ok=.*)$", proc.stdout, re.M)}
    return proc, recap


def settings(lab, host: str, *names: str) -> dict[str, str]:
    """The codec's values of ``names``, read over its REST API without gbtt's driver."""
    http = requests.Session()
    http.trust_env = False
    http.verify = str(lab.settings.ca_bundle)
    url = f"https://127.0.0.1:{lab.ports[host]}/rest/"
    assert http.post(url + "session", json={"user": "gbtt", "password": "lab-codec-only"}, timeout=10).ok
    doc = http.post(url + "config", json={"names": list(names)}, timeout=10).json()
    http.delete(url + "session", timeout=10)
    return {v["name"]: v["value"] for v in doc["vars"]}


def audit(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]


def test_check_mode_shows_the_diff_then_a_run_changes_it_and_the_next_nothing(lab, tmp_path):
    proc, recap = playbook(lab, tmp_path / "before", "--limit", f"{ONE},{TWO}")      # the state to start from
    assert proc.returncode == 0 and all(recap[h]["failed"] == 0 for h in (ONE, TWO)), proc.stdout[-3000:]
    lab.fault(ONE, "drift", "device.local.deviceName", "Phòng họp cũ")          # a person at the codec
    lab.fault(ONE, "drift", "call.autoAnswer.answerP2PCall", "No")
    check, recap = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}", "--check", "--diff")
    assert check.returncode == 0 and recap[ONE]["changed"] == 1 and recap[TWO]["changed"] == 0, check.stdout[-3000:]
    for line in ('-device.local.deviceName: "Phòng họp cũ"', '+device.local.deviceName: "UBND xã Nghĩa Thuận"',
                 "-call.autoAnswer.answerP2PCall: No", "+call.autoAnswer.answerP2PCall: Yes"):
        assert line in check.stdout, check.stdout[-3000:]
    assert not (tmp_path / "audit.log").exists() and not (tmp_path / "backups").exists()
    assert settings(lab, ONE, "device.local.deviceName")["device.local.deviceName"] == "Phòng họp cũ"
    proc, recap = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}")
    assert proc.returncode == 0 and recap[ONE]["changed"] == 1 and recap[TWO]["changed"] == 0
    assert settings(lab, ONE, "device.local.deviceName", "call.autoAnswer.answerP2PCall") == {
        "device.local.deviceName": "UBND xã Nghĩa Thuận", "call.autoAnswer.answerP2PCall": "Yes"}
    (entry,) = audit(tmp_path)
    assert (entry["host"], entry["result"], entry["diff"]) == (ONE, "changed", "+2 -2")
    (backup,) = (tmp_path / "backups" / ONE).glob("*.cfg")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert 'device.local.deviceName: "Phòng họp cũ"' in backup.read_text().splitlines()
    again, recap = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}")
    assert again.returncode == 0 and recap[ONE]["changed"] == 0 and recap[TWO]["changed"] == 0


def test_a_value_the_codec_refuses_leaves_it_unchanged_and_is_reported(lab, tmp_path):
    """The registry gives a line rate the codec does not offer (2000 kbit/s): the settings
    written before it are put back, the host fails, the others of the run are deployed."""
    proc, _ = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}")
    assert proc.returncode == 0, proc.stdout[-3000:]
    lab.fault(ONE, "drift", "device.local.deviceName", "Phòng họp cũ")
    lab.fault(TWO, "drift", "device.local.deviceName", "Phòng họp cũ")
    endpoint = copy.deepcopy(lab.host_variables(ONE)[ONE]["gbtt_endpoint"])
    endpoint["line"]["bandwidth_kbps"] = 2000
    extra = tmp_path / "endpoint.json"
    extra.write_text(json.dumps({"gbtt_endpoint": endpoint}, ensure_ascii=False), encoding="utf-8")
    proc, recap = playbook(lab, tmp_path, "--limit", ONE, "-e", f"@{extra}")
    assert proc.returncode != 0 and recap[ONE]["failed"] == 1
    assert "configuration refused, device unchanged" in proc.stdout, proc.stdout[-3000:]
    assert "call.preferredSpeed.outgoing: the codec refused it (INVALID_VALUE" in proc.stdout
    assert "(1 change(s) written before it were restored)" in proc.stdout
    assert settings(lab, ONE, "device.local.deviceName", "call.preferredSpeed.outgoing") == {
        "device.local.deviceName": "Phòng họp cũ", "call.preferredSpeed.outgoing": "2048"}
    assert audit(tmp_path)[-1]["result"] == "failed" and audit(tmp_path)[-1]["restored"] is True
    proc, recap = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}")          # the registry's own: repaired
    assert proc.returncode == 0 and recap[ONE]["changed"] == 1 and recap[TWO]["changed"] == 1


def test_a_connection_dropped_mid_push_is_reported_and_the_next_run_repairs_it(lab, tmp_path):
    proc, _ = playbook(lab, tmp_path, "--limit", THREE)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for name, value in (("device.local.deviceName", "Phòng họp cũ"), ("call.autoAnswer.answerP2PCall", "No"),
                        ("device.local.timezone", "Etc_UTC"), ("voIpProt.SIP.transport", "Auto")):
        lab.fault(THREE, "drift", name, value)
    before = settings(lab, THREE, "device.local.deviceName", "call.autoAnswer.answerP2PCall")
    lab.fault(THREE, "drop", "4")            # the login, the two reads (settings, presets), one write
    try:
        proc, recap = playbook(lab, tmp_path, "--limit", THREE)
    finally:
        lab.fault(THREE, "clear")
    assert proc.returncode != 0 and recap[THREE]["failed"] == 1
    assert "connection lost writing line" in proc.stdout and "(NOT restored: check the device)" in proc.stdout, \
        proc.stdout[-3000:]
    assert audit(tmp_path)[-1]["restored"] is False
    after = settings(lab, THREE, "device.local.deviceName", "call.autoAnswer.answerP2PCall")
    assert after != before                                       # the first write landed
    proc, recap = playbook(lab, tmp_path, "--limit", THREE)
    assert proc.returncode == 0 and recap[THREE]["changed"] == 1
    proc, recap = playbook(lab, tmp_path, "--limit", THREE)
    assert recap[THREE]["changed"] == 0


def test_a_refused_login_writes_nothing_and_the_run_goes_on(lab, tmp_path):
    lab.fault(TWO, "drift", "device.local.deviceName", "Phòng họp cũ")
    lab.fault(ONE, "refuse_login")
    try:
        proc, recap = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}")
    finally:
        lab.fault(ONE, "clear")
    assert proc.returncode != 0 and recap[ONE]["failed"] == 1 and recap[TWO]["changed"] == 1
    assert "login refused (not retried)" in proc.stdout
    refused = [e for e in lab.log_entries(ONE) if e["event"] == "login"][-1]
    assert refused["detail"] == "gbtt: refused"


def test_no_secret_in_any_output_even_at_maximum_verbosity(lab, tmp_path):
    lab.fault(TWO, "drift", "device.local.deviceName", "Phòng họp cũ")
    proc, _ = playbook(lab, tmp_path, "--limit", f"{ONE},{TWO}", "-vvvv", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    texts = [proc.stdout, proc.stderr]
    if (tmp_path / "audit.log").exists():
        texts.append((tmp_path / "audit.log").read_text())
    for folder, _, files in os.walk(tmp_path):
        texts += [(Path(folder) / f).read_text(errors="replace") for f in files]
    for secret in SECRETS:
        assert not any(secret in t for t in texts), f"{secret} leaked"
