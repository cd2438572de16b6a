"""The interconnect job against the lab's MCUs, over real HTTPS: the happy path (up, verified on
both MCUs, audited, idempotent, reported by drift.yml, torn down), the three-level cascade, and
every bypass of the approval gate refused with NO write to any MCU (the simulator's request log
shows no POST, PUT or DELETE).

This file runs its own lab of the 13 MCUs only (the port block of the lifecycle tests, which
never run at the same time in one worker), deployed once with playbooks/mcu.yml: every MCU
then has its inbound dial plan rule.  Each test works on its own copy of the lab inventory.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

import pytest

import linkkit as kit
from conftest import ROOT, Lab, lab_base_port, run, tool
from gbtt import interconnect as ic

pytestmark = pytest.mark.lab

VX_LINK, ALL_LINK = "tinh-vi-xuyen", "tinh-cac-huyen"
HUB = "tinh-mcu"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def mculab(tmp_path_factory):
    handle = Lab(tmp_path_factory.mktemp("iclab"), lab_base_port("lifecycle"), 4.0)
    handle.up("--limit", "*-mcu")
    proc = run([tool("ansible-playbook"), "-i", str(ROOT / "inventory" / "lab"), str(ROOT / "playbooks" / "mcu.yml"),
                "-e", f"gbtt_backup_dir={tmp_path_factory.mktemp('b')}",
                "-e", f"gbtt_audit_log={tmp_path_factory.mktemp('a') / 'audit.log'}"], **handle.env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    yield handle
    handle.down()


@pytest.fixture
def inv(tmp_path, mculab, monkeypatch):
    for k, v in mculab.env.items():
        monkeypatch.setenv(k, v)
    return kit.lab_copy(tmp_path)


def writes_since(lab, t0: float, hosts) -> list[str]:
    time.sleep(0.3)
    lines = lab.settings.request_log.read_text(encoding="utf-8").splitlines()
    return [f"{e['host']}: {e['detail']}" for e in map(json.loads, lines)
            if e["t"] >= t0 and e["host"] in hosts and e["event"] == "request" and e["detail"].split()[0] in WRITES]


def playbook(lab, inv: Path, tmp: Path, *args: str, wait: bool = True):
    cmd = [tool("ansible-playbook"), "-i", str(inv), str(ROOT / "playbooks" / "interconnect.yml"),
           "-e", f"gbtt_backup_dir={tmp / 'backups'}", "-e", f"gbtt_audit_log={tmp / 'audit.log'}", *args]
    if not wait:
        import os
        return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "NO_COLOR": "1",
                                                    "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), **lab.env},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return run(cmd, **lab.env)


def audit(tmp: Path) -> list[dict]:
    path = tmp / "audit.log"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def legs(inv: Path, link: str) -> dict[str, list[dict]]:
    variables = kit.mcu_variables(inv)
    reg = kit.registry.load(kit.source(inv)).registry
    out = {}
    for dev in ic.mcus(reg, reg.interconnects[link]):
        d = kit.driver(variables[dev.host], link)
        try:
            out[dev.host] = d.calls(ic.space(link))
        finally:
            d.close()
    return out


def link_objects(inv: Path, host: str, link: str) -> str:
    d = kit.driver(kit.mcu_variables(inv)[host], link)
    try:
        return d.get_config()
    finally:
        d.close()


def test_happy_path_up_verified_audited_reported_and_torn_down(mculab, inv, tmp_path):
    kit.approval(inv, "qd-123")
    hosts = {HUB, "vi-xuyen-mcu"}

    t0 = time.time()
    dry = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", "--check", "--diff")
    assert dry.returncode == 0 and "changed=1" in dry.stdout, dry.stdout[-3000:]
    assert "@@ coSpaces name=gbtt-link-tinh-vi-xuyen (new) @@" in dry.stdout
    assert "would change 2 MCU(s) and place 1 cascade call(s)" in dry.stdout
    assert writes_since(mculab, t0, hosts) == []

    up = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}")
    assert up.returncode == 0 and "changed=1" in up.stdout, up.stdout[-3000:]
    seen = legs(inv, VX_LINK)
    assert [(x["direction"], x["state"]) for x in seen[HUB]] == [("outgoing", "connected")]
    assert seen[HUB][0]["remote"] == "gbtt-link-tinh-vi-xuyen@10.23.16.2"
    assert [(x["direction"], x["state"]) for x in seen["vi-xuyen-mcu"]] == [("incoming", "connected")]

    entries = audit(tmp_path)
    gates = [(e["stage"], e["result"]) for e in entries if e["event"] == "interconnect-gate" and not e["check"]]
    assert gates == [("before any change", "allowed"), ("before commit on vi-xuyen-mcu", "allowed"),
                     ("before commit on tinh-mcu", "allowed"), ("before the cascade call", "allowed")]
    change = [e for e in entries if e["event"] == "interconnect"][-1]
    assert change["result"] == "changed" and change["approval"] == "qd-123"
    assert change["config_sha256"] == kit.config_hash(inv, VX_LINK)
    assert all(m["backup"] for m in change["mcus"])

    again = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]

    report = tmp_path / "drift.json"
    drift = run([tool("ansible-playbook"), "-i", str(inv), str(ROOT / "playbooks" / "drift.yml"), "--limit", HUB,
                 "-e", f"gbtt_drift_json={report}", "-e", f"gbtt_drift_markdown={tmp_path / 'drift.md'}"],
                **mculab.env)
    assert drift.returncode == 0, drift.stdout[-2000:]
    links = {x["interconnect"]: x for x in json.loads(report.read_text())["interconnects"]}
    assert links[VX_LINK]["up"] is True and links[VX_LINK]["approved"] and not links[VX_LINK]["finding"]

    assert run([tool("gbtt"), "approval", "revoke", "-i", str(inv), "qd-123", "--reason", "Hết cuộc họp"]).returncode == 0
    drift = run([tool("ansible-playbook"), "-i", str(inv), str(ROOT / "playbooks" / "drift.yml"), "--limit", HUB,
                 "-e", f"gbtt_drift_json={report}", "-e", f"gbtt_drift_markdown={tmp_path / 'drift.md'}",
                 "-e", "gbtt_fail_on_drift=true"], **mculab.env)
    assert drift.returncode != 0
    links = {x["interconnect"]: x for x in json.loads(report.read_text())["interconnects"]}
    assert "up without a valid approval" in links[VX_LINK]["finding"] and "revoked" in links[VX_LINK]["reason"]
    assert "up without a valid approval" in (tmp_path / "drift.md").read_text()

    down = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", "-e", "state=absent")
    assert down.returncode == 0 and "changed=1" in down.stdout, down.stdout[-3000:]
    assert legs(inv, VX_LINK) == {"vi-xuyen-mcu": [], HUB: []}
    assert "gbtt-link" not in link_objects(inv, HUB, VX_LINK) + link_objects(inv, "vi-xuyen-mcu", VX_LINK)
    assert "10.23.16.2" not in link_objects(inv, HUB, VX_LINK)
    assert [e["state"] for e in audit(tmp_path) if e["event"] == "interconnect"][-1] == "absent"
    gone = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", "-e", "state=absent")
    assert gone.returncode == 0 and "changed=0" in gone.stdout


def test_a_cascade_across_platforms_cisco_hub_pexip_spoke(mculab, inv, tmp_path):
    """The same job, playbook and gate for a link between two MCU platforms: the province's
    Cisco Meeting Server dials Quản Bạ's Pexip Infinity (the lab's mixed system), each MCU's
    objects rendered from its own templates/interconnect/<platform>.j2."""
    link, spoke = "tinh-quan-ba", "quan-ba-mcu"
    (inv / "registry" / "interconnects.yml").write_text(  # one link per pair: this one instead of the lab's
        "interconnects:\n"
        f"  - {{id: {link}, name: \"Tỉnh – huyện Quản Bạ\", hub: tinh, spokes: [quan-ba], bandwidth_kbps: 4000,\n"
        "     purpose: \"Giao ban trực tuyến tỉnh với huyện Quản Bạ\"}\n", encoding="utf-8")
    variables = kit.mcu_variables(inv)
    assert (variables[HUB]["gbtt_platform"], variables[spoke]["gbtt_platform"]) == ("cisco_cms", "pexip_infinity")
    kit.approval(inv, "qd-125", link=link)
    dry = playbook(mculab, inv, tmp_path, "-e", f"interconnect={link}", "--check", "--diff")
    assert dry.returncode == 0 and "would change 2 MCU(s) and place 1 cascade call(s)" in dry.stdout, dry.stdout[-3000:]

    up = playbook(mculab, inv, tmp_path, "-e", f"interconnect={link}")
    assert up.returncode == 0 and "changed=1" in up.stdout, up.stdout[-3000:]
    seen = legs(inv, link)
    assert [(x["direction"], x["state"]) for x in seen[HUB]] == [("outgoing", "connected")]
    assert seen[HUB][0]["remote"] == "gbtt-link-tinh-quan-ba@10.23.15.2"
    assert [(x["direction"], x["state"]) for x in seen[spoke]] == [("incoming", "connected")]
    change = [e for e in audit(tmp_path) if e["event"] == "interconnect"][-1]
    assert change["result"] == "changed" and change["config_sha256"] == kit.config_hash(inv, link)

    again = playbook(mculab, inv, tmp_path, "-e", f"interconnect={link}")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]

    down = playbook(mculab, inv, tmp_path, "-e", f"interconnect={link}", "-e", "state=absent")
    assert down.returncode == 0 and "changed=1" in down.stdout, down.stdout[-3000:]
    assert legs(inv, link) == {spoke: [], HUB: []}
    assert "gbtt-link" not in link_objects(inv, spoke, link)


def test_three_level_cascade_province_to_every_district(mculab, inv, tmp_path):
    kit.approval(inv, "qd-124", link=ALL_LINK)
    up = playbook(mculab, inv, tmp_path, "-e", f"interconnect={ALL_LINK}")
    assert up.returncode == 0, up.stdout[-3000:]
    seen = legs(inv, ALL_LINK)
    assert len(seen[HUB]) == 10 and all(x["state"] == "connected" for x in seen[HUB])
    spokes = {h: v for h, v in seen.items() if h != HUB}
    assert len(spokes) == 10 and all([(x["direction"], x["state"]) for x in v] == [("incoming", "connected")]
                                     for v in spokes.values())
    down = playbook(mculab, inv, tmp_path, "-e", f"interconnect={ALL_LINK}", "-e", "state=absent")
    assert down.returncode == 0 and all(v == [] for v in legs(inv, ALL_LINK).values())


# -- every bypass is refused, with no write ------------------------------------------------

def _impostor(inv, tmp):
    kit.approval(inv, key=kit.other_key(tmp))


def _replayed(inv, tmp):
    reg = kit.registry.load(kit.source(inv)).registry
    kit.approval(inv, "a2", link=ALL_LINK, edit_after_signing={
        "interconnect": VX_LINK, "systems": list(reg.interconnects[VX_LINK].systems),
        "config_sha256": kit.config_hash(inv, VX_LINK)})


def _stale(inv, tmp):
    kit.approval(inv)
    path = inv / "registry" / "interconnects.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("bandwidth_kbps: 4000", "bandwidth_kbps: 6000"),
                    encoding="utf-8")


def _revoked(inv, tmp):
    kit.approval(inv)
    assert run([tool("gbtt"), "approval", "revoke", "-i", str(inv), "a1", "--reason", "thu hồi"]).returncode == 0


BYPASSES = {
    "missing": lambda inv, tmp: None,
    "expired": lambda inv, tmp: kit.approval(inv, valid_from="2026-01-01", valid_until=kit.moment(-dt.timedelta(hours=2))),
    "not yet valid": lambda inv, tmp: kit.approval(inv, valid_from=kit.moment(dt.timedelta(days=2))),
    "other systems": lambda inv, tmp: kit.approval(inv, systems=["tinh", "bac-me"]),
    "key not in allowed_signers": _impostor,
    "field edited after signing": lambda inv, tmp: kit.approval(inv, edit_after_signing={"valid_until": "2099-12-31"}),
    "replayed from another link": _replayed,
    "configuration changed after approval": _stale,
    "revoked": _revoked,
    "signature 'yes'": lambda inv, tmp: kit.approval(inv, key=None, extra={"signature": "yes"}),
    "approved: yes in the file": lambda inv, tmp: kit.approval(inv, key=None, extra={"approved": "yes"}),
    "look-alike document number": lambda inv, tmp: kit.approval(inv, number="123/S\u0422TTT-CNTT"),
    "clock skew beyond the allowance": lambda inv, tmp: kit.approval(inv, valid_from=kit.moment(dt.timedelta(seconds=420))),
}


@pytest.mark.parametrize("case", list(BYPASSES))
def test_every_bypass_is_refused_with_no_write(mculab, inv, tmp_path, case):
    variables = kit.mcu_variables(inv)     # (before: some cases make the registry invalid)
    BYPASSES[case](inv, tmp_path)
    t0 = time.time()
    result = ic.build(inv, VX_LINK, variables.__getitem__, audit_log=tmp_path / "audit.log")
    assert result.refused and result.failed and not result.changed
    assert "Điều 4.2" in result.message and "Art. 4.2" in result.message
    assert writes_since(mculab, t0, variables) == []
    assert [(e["stage"], e["result"]) for e in audit(tmp_path)] == [("before any change", "refused")]


@pytest.mark.parametrize("extra", [["-e", "approval=yes"], ["-e", "approval=true"], ["-e", "approved=yes"],
                                   ["-e", '{"approval": true}'], ["-e", "gbtt_interconnect_approved=true"]])
def test_flags_on_the_command_line_do_not_open_the_gate(mculab, inv, tmp_path, extra):
    t0 = time.time()
    proc = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", *extra)
    assert proc.returncode != 0
    assert "TỪ CHỐI liên thông" in proc.stdout and "REFUSED interconnect" in proc.stdout, proc.stdout[-2000:]
    assert writes_since(mculab, t0, kit.mcu_variables(inv)) == []
    assert [e["result"] for e in audit(tmp_path)] == ["refused"]


def test_revoked_between_the_check_and_the_commit(mculab, inv, tmp_path):
    """The MCUs answer slowly; once the first gate has allowed the link, the approval is revoked:
    the gate before the first commit refuses it and nothing is written."""
    kit.approval(inv, "qd-125")
    mculab.fault("vi-xuyen-mcu", "latency", "1.5")
    try:
        t0 = time.time()
        proc = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", wait=False)
        deadline = time.time() + 60
        while not any(e.get("stage") == "before any change" for e in audit(tmp_path)):
            assert time.time() < deadline and proc.poll() is None, "the first gate never ran"
            time.sleep(0.05)
        revoke = run([tool("gbtt"), "approval", "revoke", "-i", str(inv), "qd-125", "--reason", "Hủy họp"])
        assert revoke.returncode == 0, revoke.stderr
        out, _ = proc.communicate(timeout=120)
    finally:
        mculab.fault("vi-xuyen-mcu", "clear")
    assert proc.returncode != 0 and "thu hồi" in out, out[-2000:]
    stages = [(e["stage"], e["result"]) for e in audit(tmp_path) if e["event"] == "interconnect-gate"]
    assert stages == [("before any change", "allowed"), ("before commit on vi-xuyen-mcu", "refused")]
    assert writes_since(mculab, t0, {HUB, "vi-xuyen-mcu"}) == []


def test_teardown_needs_no_approval(mculab, inv, tmp_path):
    kit.approval(inv, "qd-126")
    assert playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}").returncode == 0
    for f in (inv / "registry" / "approvals").glob("*.yml"):
        f.unlink()
    down = playbook(mculab, inv, tmp_path, "-e", f"interconnect={VX_LINK}", "-e", "state=absent")
    assert down.returncode == 0 and "changed=1" in down.stdout, down.stdout[-2000:]
    assert all(v == [] for v in legs(inv, VX_LINK).values())


def test_a_cascade_that_does_not_come_up_is_rolled_back(mculab, inv, tmp_path):
    """Vị Xuyên's MCU stops resolving calls to its coSpaces (changed out of band): the call
    fails, the run ends it and rolls both MCUs back to where they were, and says so."""
    kit.approval(inv, "qd-127")
    variables = kit.mcu_variables(inv)
    before = {h: link_objects(inv, h, VX_LINK) for h in (HUB, "vi-xuyen-mcu")}
    mculab.fault("vi-xuyen-mcu", "drift", "inboundDialPlanRule", "10.23.16.2", "resolveTocoSpaces", "false")
    try:
        result = ic.build(inv, VX_LINK, variables.__getitem__, audit_log=tmp_path / "audit.log", verify_timeout=2)
    finally:
        mculab.fault("vi-xuyen-mcu", "drift", "inboundDialPlanRule", "10.23.16.2", "resolveTocoSpaces", "true")
    assert result.failed and not result.refused
    assert "did not come up" in result.message and "MCUs restored" in result.message
    assert all(o.restored for o in result.mcus if o.changed)
    assert {h: link_objects(inv, h, VX_LINK) for h in before} == before
    assert all(v == [] for v in legs(inv, VX_LINK).values())
    entry = [e for e in audit(tmp_path) if e["event"] == "interconnect"][-1]
    assert entry["result"] == "failed" and all(m["restored"] for m in entry["mcus"])
