"""playbooks/meeting.yml on the lab, over real HTTPS (MCUs) and SSH (codecs): a full test →
connect → end cycle with the calls visible on the MCU and on the codecs and the microphones
muted; an interconnected meeting through the approval gate and a cascade; refusals with no
write; an endpoint that does not answer; check mode; only participants touched (Art. 9.2c)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT, Lab, lab_base_port, run, tool
from gbtt import meeting_run
from gbtt.deploy import connection_params
from gbtt.drivers.base import driver_for

pytestmark = pytest.mark.lab

CODECS = ["tinh-ubnd-codec", "tinh-dong-van-codec", "tinh-meo-vac-codec", "tinh-yen-minh-codec",
          "dong-van-ubnd-codec", "dong-van-lung-cu-codec",
          # the mixed system (Pexip MCU): Poly G7500, Cisco Room Kit, Poly Studio X50
          "quan-ba-ubnd-codec", "quan-ba-bat-dai-son-codec", "quan-ba-nghia-thuan-codec"]
BYSTANDER = "tinh-yen-minh-codec"   # in the lab, not in the meetings
WRITES = ("POST", "PUT", "PATCH", "DELETE")

ONE_B = """---
title: "Giao ban trực tuyến (lab)"
host_unit: ubnd-tinh
scale: 1b
start: 2026-12-10 08:00
duration: 2h
participants:
  endpoints: [tinh-dong-van, tinh-meo-vac]
seating:
  tinh-ubnd: "Chủ tọa"
  tinh-dong-van: "Toàn cảnh"
  tinh-meo-vac: 1
"""
FOUR_B = """---
title: "Hội nghị 03 cấp (lab)"
host_unit: ubnd-tinh
scale: 4b
start: 2026-12-18 08:00
duration: 2h
participants:
  endpoints: [tinh-dong-van, dong-van-ubnd, dong-van-lung-cu]
seating:
  dong-van-ubnd: "Chủ tọa"
"""
MIXED = """---
title: "Giao ban huyện Quản Bạ (lab, thiết bị nhiều hãng)"
host_unit: ubnd-quan-ba
scale: 3b
start: 2026-12-11 08:00
duration: 2h
participants:
  endpoints: [quan-ba-bat-dai-son, quan-ba-nghia-thuan]
seating:
  quan-ba-ubnd: "Chủ tọa"
  quan-ba-nghia-thuan: "Toàn cảnh"
"""


@pytest.fixture(scope="module")
def mlab(tmp_path_factory):
    """MCUs and six codecs, deployed; the interconnect tinh-cac-huyen built."""
    handle = Lab(tmp_path_factory.mktemp("mlab"), lab_base_port("lifecycle"), 4.0)
    handle.up("--limit", "*-mcu," + ",".join(CODECS))
    scratch = tmp_path_factory.mktemp("mlab-run")
    common = ["-e", f"gbtt_backup_dir={scratch / 'b'}", "-e", f"gbtt_audit_log={scratch / 'audit.log'}"]
    proc = run([tool("ansible-playbook"), "-i", str(ROOT / "inventory" / "lab"), str(ROOT / "playbooks" / "site.yml"),
                "--limit", "mcus," + ",".join(CODECS), *common], **handle.env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = run([tool("ansible-playbook"), "-i", str(ROOT / "inventory" / "lab"),
                str(ROOT / "playbooks" / "interconnect.yml"), "-e", "interconnect=tinh-cac-huyen", *common], **handle.env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    yield handle
    handle.down()


@pytest.fixture
def inv(tmp_path, mlab) -> Path:
    """The lab inventory copied, with the two meetings of these tests."""
    inv = tmp_path / "lab"
    shutil.copytree(ROOT / "inventory" / "lab", inv, ignore=shutil.ignore_patterns(".lab", "meetings"))
    source = inv / "lab.gbtt.yml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "  - ../hagiang/registry", f"  - {ROOT / 'inventory' / 'hagiang' / 'registry'}"), encoding="utf-8")
    (inv / "meetings").mkdir()
    (inv / "meetings" / "giao-ban.yml").write_text(ONE_B, encoding="utf-8")
    (inv / "meetings" / "ba-cap.yml").write_text(FOUR_B, encoding="utf-8")
    (inv / "meetings" / "quan-ba.yml").write_text(MIXED, encoding="utf-8")
    return inv


def meeting(lab: Lab, inv: Path, mid: str, phase: str, *extra: str):
    tmp = inv.parent
    return run([tool("ansible-playbook"), "-i", str(inv), str(ROOT / "playbooks" / "meeting.yml"),
                "-e", f"meeting={mid}", "-e", f"phase={phase}", "-e", f"gbtt_meeting_records={tmp / 'records' / 'meetings'}",
                "-e", f"gbtt_backup_dir={tmp / 'backups'}", "-e", f"gbtt_audit_log={tmp / 'audit.log'}", *extra],
               **lab.env)


def device(lab: Lab, inv: Path, host: str, scope: str | None = None):
    variables = lab.host_variables(host, inventory=inv)[host]
    params, _ = connection_params(variables)
    if scope:
        params.extra["scope"] = scope
    driver = driver_for(variables["gbtt_platform"])(host, params)
    driver.open()
    return driver


def mcu_legs(lab, inv, host, mid) -> list[dict]:
    d = device(lab, inv, host, f"meeting:{mid}")
    try:
        return d.calls(meeting_run.space(mid))
    finally:
        d.close()


def codec_state(lab, inv, host) -> dict:
    d = device(lab, inv, host)
    try:
        return {"calls": d.codec_calls(), "muted": d.microphones_muted(), "standby": d.standby_state()}
    finally:
        d.close()


def records(inv: Path, mid: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((inv.parent / "records" / "meetings" / mid)
                                                                      .glob("*.json"))]


def requests_since(lab: Lab, t0: float, host: str) -> list[str]:
    """What reached ``host`` since ``t0`` (logins, commands, calls; not its own standby timer)."""
    return [f"{e['event']}: {e['detail']}" for e in lab.log_entries(host) if e["t"] >= t0 and e["event"] != "standby"]


def writes_since(lab: Lab, t0: float, hosts) -> list[str]:
    out = []
    for host in hosts:
        out += [f"{host}: {e['detail']}" for e in lab.log_entries(host) if e["t"] >= t0 and e["event"] == "request"
                and e["detail"].split()[0] in WRITES]
    return out


def test_test_connect_end_on_the_lab(mlab, inv):
    t0 = time.time()
    address = {h: mlab.address[h] for h in CODECS}
    # the test connection: everyone reached, then the test call ends
    proc = meeting(mlab, inv, "giao-ban", "test")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "3 of 3 endpoint(s) in the call; test call ended" in proc.stdout
    assert mcu_legs(mlab, inv, "tinh-mcu", "giao-ban") == []
    # the official connection: the MCU's legs and the codecs' calls, every microphone muted
    proc = meeting(mlab, inv, "giao-ban", "connect")
    assert proc.returncode == 0, proc.stdout[-3000:]
    legs = {leg["remote"]: leg for leg in mcu_legs(mlab, inv, "tinh-mcu", "giao-ban")}
    for host in ("tinh-ubnd-codec", "tinh-dong-van-codec", "tinh-meo-vac-codec"):
        assert legs[address[host]]["state"] == "connected" and legs[address[host]]["direction"] == "outgoing"
        state = codec_state(mlab, inv, host)
        assert [c["state"] for c in state["calls"]] == ["connected"], (host, state)
        assert state["muted"] is True, (host, state)
    assert address[BYSTANDER] not in legs
    connect = records(inv, "giao-ban")[-1]
    assert connect["phase"] == "connect" and connect["result"] == "ok"
    presets = {p["endpoint"]: p["preset"] for p in connect["participants"]}
    assert presets == {"tinh-ubnd": "2 Chủ tọa", "tinh-dong-van": "1 Toàn cảnh", "tinh-meo-vac": "1 Toàn cảnh"}
    # a second run changes nothing
    again = meeting(mlab, inv, "giao-ban", "connect")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]
    # the end: calls over, space removed, codecs in standby, the meeting recorded
    proc = meeting(mlab, inv, "giao-ban", "end")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert mcu_legs(mlab, inv, "tinh-mcu", "giao-ban") == []
    mcu = device(mlab, inv, "tinh-mcu", "meeting:giao-ban")
    try:
        assert "gbtt-meeting-giao-ban" not in mcu.get_config()
    finally:
        mcu.close()
    for host in ("tinh-ubnd-codec", "tinh-dong-van-codec", "tinh-meo-vac-codec"):
        state = codec_state(mlab, inv, host)
        assert state["calls"] == [] and state["standby"] == "Standby", (host, state)
    end = records(inv, "giao-ban")[-1]
    assert end["phase"] == "end" and end["took_part"] == ["tinh-ubnd", "tinh-dong-van", "tinh-meo-vac"]
    assert end["absent"] == [] and end["connected_at"] == connect["when"] and end["faults"] == []
    # Art. 9.2c: the endpoint not in the meeting was never touched
    assert requests_since(mlab, t0, BYSTANDER) == []
    events = [json.loads(x) for x in (inv.parent / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert [e["phase"] for e in events if e["event"] == "meeting"] == ["test", "connect", "connect", "end"]
    # the six-monthly report reads the meeting from these records
    today = dt.date.today()
    period = f"{today.year}H{1 if today.month <= 6 else 2}"
    proc = run([tool("gbtt"), "report", "semiannual", "--period", period, "-i", str(inv), "--system", "tinh",
                "--records", str(inv.parent / "records"), "--audit-log", str(inv.parent / "audit.log"),
                "--out", str(inv.parent / "reports")])
    assert proc.returncode == 0, proc.stderr
    md = (inv.parent / "reports" / f"bao-cao-6-thang-{period}.md").read_text(encoding="utf-8")
    assert "Giao ban trực tuyến (lab) (cấp độ 1b), 3/3 điểm cầu" in md and "| Cuộc họp đã tổ chức | 1 |" in md


def test_a_meeting_of_the_mixed_system_on_the_same_playbook(mlab, inv):
    """Quản Bạ's Pexip Infinity dials a Cisco codec and two Poly codecs; the Poly chair is seated
    by the preset name of the registry (a Poly preset has only a number)."""
    codecs = ("quan-ba-ubnd-codec", "quan-ba-bat-dai-son-codec", "quan-ba-nghia-thuan-codec")
    proc = meeting(mlab, inv, "quan-ba", "connect")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "3 of 3 endpoint(s) in the call" in proc.stdout
    legs = {leg["remote"]: leg for leg in mcu_legs(mlab, inv, "quan-ba-mcu", "quan-ba")}
    for host in codecs:
        assert legs[mlab.address[host]]["state"] == "connected", (host, legs)
        state = codec_state(mlab, inv, host)
        assert [c["state"] for c in state["calls"]] == ["connected"] and state["muted"] is True, (host, state)
    presets = {p["endpoint"]: p["preset"] for p in records(inv, "quan-ba")[-1]["participants"]}
    assert presets == {"quan-ba-ubnd": "2 Chủ tọa", "quan-ba-bat-dai-son": None,          # not seated
                       "quan-ba-nghia-thuan": "1 Toàn cảnh"}, presets
    again = meeting(mlab, inv, "quan-ba", "connect")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]
    proc = meeting(mlab, inv, "quan-ba", "end")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert mcu_legs(mlab, inv, "quan-ba-mcu", "quan-ba") == []
    for host in codecs:
        assert codec_state(mlab, inv, host)["calls"] == [], host


def test_an_interconnected_meeting_passes_the_gate_and_cascades(mlab, inv):
    proc = meeting(mlab, inv, "ba-cap", "connect")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "4 of 4 endpoint(s) in the call; 1 of 1 cascade leg(s) connected through tinh-cac-huyen" in proc.stdout
    hub = mcu_legs(mlab, inv, "tinh-mcu", "ba-cap")
    spoke = mcu_legs(mlab, inv, "dong-van-mcu", "ba-cap")
    assert any(leg["remote"].startswith("gbtt-meeting-ba-cap@") and leg["state"] == "connected" for leg in hub)
    assert any(leg["direction"] == "incoming" and leg["state"] == "connected" for leg in spoke)
    assert {leg["remote"] for leg in spoke if leg["direction"] == "outgoing"} == \
        {mlab.address["dong-van-ubnd-codec"], mlab.address["dong-van-lung-cu-codec"]}
    gates = [json.loads(x) for x in (inv.parent / "audit.log").read_text(encoding="utf-8").splitlines()
             if '"interconnect-gate"' in x]
    assert [g["stage"] for g in gates] == ["before any change", "before dial-out"]
    assert all(g["result"] == "allowed" for g in gates)
    proc = meeting(mlab, inv, "ba-cap", "end")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert mcu_legs(mlab, inv, "tinh-mcu", "ba-cap") == [] and mcu_legs(mlab, inv, "dong-van-mcu", "ba-cap") == []


def test_without_a_valid_approval_an_interconnected_meeting_writes_nothing(mlab, inv):
    for f in (inv / "registry" / "approvals").glob("*.yml"):
        f.unlink()
    t0 = time.time()
    proc = meeting(mlab, inv, "ba-cap", "connect")
    assert proc.returncode != 0
    assert "not approved (Art. 4.2)" in proc.stdout and "no approval names interconnect" in proc.stdout
    assert writes_since(mlab, t0, ["tinh-mcu", "dong-van-mcu"]) == []
    assert all(requests_since(mlab, t0, h) == [] for h in CODECS)


def test_a_meeting_that_lost_its_system_is_refused_before_any_device(mlab, inv):
    (inv / "meetings" / "tinh-uy.yml").write_text(
        '---\ntitle: "Hội nghị Tỉnh ủy"\nhost_unit: tinh-uy\nscale: 1a\nstart: 2026-12-10 08:30\nduration: 2h\n'
        "participants:\n  endpoints: [tinh-dong-van]\n", encoding="utf-8")
    (inv / "meetings" / "giao-ban.yml").write_text(ONE_B.replace("tinh-dong-van, tinh-meo-vac", "tinh-cum-ma-le"),
                                                   encoding="utf-8")
    t0 = time.time()
    proc = meeting(mlab, inv, "giao-ban", "connect")
    assert proc.returncode != 0 and "is not ready to run" in proc.stdout and "taken by 'tinh-uy'" in proc.stdout, proc.stdout[-1500:]
    assert writes_since(mlab, t0, ["tinh-mcu", "cntt-mcu"]) == []


def test_an_endpoint_that_does_not_answer_is_reported_and_the_others_connect(mlab, inv):
    mlab.fault("tinh-meo-vac-codec", "drift", "Conference AutoAnswer Mode", "Off")
    try:
        proc = meeting(mlab, inv, "giao-ban", "connect", "-e", "gbtt_meeting_verify_timeout=3")
        assert proc.returncode != 0
        assert "2 of 3 endpoint(s) in the call; NOT in the call: tinh-meo-vac" in proc.stdout
        legs = {leg["remote"]: leg["state"] for leg in mcu_legs(mlab, inv, "tinh-mcu", "giao-ban")}
        assert legs[mlab.address["tinh-dong-van-codec"]] == "connected"
        record = records(inv, "giao-ban")[-1]
        assert [p["endpoint"] for p in record["participants"] if not p["in_call"]] == ["tinh-meo-vac"]
        meeting(mlab, inv, "giao-ban", "end")
    finally:
        mlab.fault("tinh-meo-vac-codec", "drift", "Conference AutoAnswer Mode", "On")
    end = records(inv, "giao-ban")[-1]
    assert end["took_part"] == ["tinh-ubnd", "tinh-dong-van"] and end["absent"] == ["tinh-meo-vac"]


def test_check_mode_writes_nothing(mlab, inv):
    t0 = time.time()
    proc = meeting(mlab, inv, "giao-ban", "connect", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "would build the meeting space" in proc.stdout and "gbtt-meeting-giao-ban" in proc.stdout
    assert writes_since(mlab, t0, ["tinh-mcu"]) == []
    assert not (inv.parent / "records").exists()
