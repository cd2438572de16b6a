"""The maintenance checks of the Poly codecs (checks/*.yml, checks/judges/poly_group.py).

The judges first, on answers shaped as :meth:`gbtt.drivers.poly_group.PolyDriver.ask` gives them
(the JSON of ``GET /rest/…``), at their limits.  Then the whole run
(:func:`gbtt.maintenance.check_device`) against lab codecs of the Quản Bạ system over real HTTPS:
a codec deployed from the registry, after a call, passes every check; each health fault of the
simulator (the camera or the microphones unplugged, SIP down, another software version, NTP
down or off, a lossy last call, a reboot) turns exactly its check to fail (or warn) and leaves
the others passing; a codec changed at its touch panel differs from its registry.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from gbtt import checks as ck
from gbtt.checks import Context
from gbtt.deploy import deploy
from gbtt.maintenance import check_device

HOST = "quan-ba-quyet-tien-codec"      # Studio X50: deployed, faulted and healed
FAR_END = "quan-ba-quan-ba-codec"      # Studio X50: deployed, answers HOST's test call
CODEC_CHECKS = {"reachable", "software-baseline", "config-compliance", "uptime", "peripherals",
                "last-call-quality", "call-registration", "ntp-synchronised"}
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)


def judge(name: str):
    return ck.judge(f"poly_group.{name}")


def ctx(model: str = "Poly G7500") -> Context:
    return Context("c", "poly_group", "codec", {"gbtt_model": model}, NOW)


def test_every_codec_check_of_the_ce_codec_has_a_poly_entry():
    checks = ck.load()
    assert {c.id for c in checks if c.applies("codec", "poly_group")} == \
        {c.id for c in checks if c.applies("codec", "cisco_ce")} == CODEC_CHECKS


def test_the_limits_are_the_ce_judges():
    ours = ck._judge_module(str(ck.CHECKS / "judges"), "poly_group")
    ce = ck._judge_module(str(ck.CHECKS / "judges"), "cisco_ce")
    for name in ("LOSS_WARN_PERCENT", "LOSS_FAIL_PERCENT", "JITTER_WARN_MS", "JITTER_FAIL_MS"):
        assert getattr(ours, name) == getattr(ce, name)


# =========================================================================================
# Judges: peripherals
# =========================================================================================

def cameras(*connected: bool) -> list[dict]:
    """``GET /rest/cameras/near/all``: people camera n is ``connected[n - 1]``, then a content input."""
    out = [{"cameraIndex": n, "name": "Main" if n == 1 else f"Camera {n}", "model": "EagleEyeCube" if on else "",
            "sourceType": "SRC_PEOPLE", "connected": on} for n, on in enumerate(connected, 1)]
    return out + [{"cameraIndex": len(connected) + 1, "name": "HDMI Input", "model": "", "sourceType": "SRC_CONTENT",
                   "connected": True}]


def audio(microphones: int) -> dict:
    return {"muteLocked": False, "muted": False, "numOfMicsConnected": microphones, "volume": 37}


def test_peripherals_pass():
    verdict = judge("peripherals")([cameras(True, False, False), audio(1)], ctx())
    assert (verdict.status, verdict.value) == ("pass", "1 camera, 1 microphone")
    assert "camera 1 (Main, EagleEyeCube): connected" in verdict.evidence
    assert "camera 2 (Camera 2): not connected" in verdict.evidence
    two = judge("peripherals")([cameras(True, True), audio(2)], ctx("Poly Studio X50"))
    assert (two.status, two.value) == ("pass", "2 cameras, 2 microphones")     # a second camera counts too


def test_peripherals_name_what_is_missing():
    verdict = judge("peripherals")([cameras(False, False), audio(0)], ctx())
    assert (verdict.status, verdict.value) == ("fail", "camera 1 not connected; no microphone connected")
    assert "microphones connected: 0" in verdict.evidence
    nothing = judge("peripherals")([[], {}], ctx())
    assert nothing.value == "camera 1 not detected; the codec did not report its microphones"


# =========================================================================================
# Judges: registration and NTP
# =========================================================================================

def status(sip: str, gatekeeper: str = "off") -> list[dict]:
    return [{"langtag": "LAN_NETWORK_HEADING", "name": "system.status.ipnetwork", "stateList": ["up"]},
            {"langtag": "SIP_SERVER_HEADING", "name": "system.status.sipserver", "stateList": [sip]},
            {"langtag": "GATEKEEPER_HEADING", "name": "system.status.gatekeeper", "stateList": [gatekeeper]}]


def servers(state: str) -> list[dict]:
    return [] if state == "off" else [{"address": "10.23.15.2", "state": state, "model": "", "version": ""}]


@pytest.mark.parametrize("sip, gatekeeper, status_, value", [
    ("up", "off", "pass", "SIP registered (10.23.15.2)"),
    ("down", "off", "fail", "SIP down (registrar 10.23.15.2)"),
    ("unknown", "up", "fail", "SIP unknown (registrar 10.23.15.2)"),     # SIP in use: it counts
    ("off", "up", "pass", "H.323 registered"),
    ("off", "down", "fail", "H.323 gatekeeper down"),
    ("off", "off", "fail", "not registered: neither SIP nor H.323 is in use"),
])
def test_call_registration(sip, gatekeeper, status_, value):
    verdict = judge("call_registration")([status(sip, gatekeeper), servers(sip)], ctx())
    assert (verdict.status, verdict.value) == (status_, value)
    assert f"system.status.sipserver: {sip}" in verdict.evidence


@pytest.mark.parametrize("state, status_, value", [
    ("TIMESERVER_UP", "pass", "synchronised (TIMESERVER_UP)"),
    ("TIMESERVER_DOWN", "fail", "TIMESERVER_DOWN"),
    ("TIMESERVER_OFF", "fail", "TIMESERVER_OFF"),
    (None, "fail", "not reported"),
])
def test_ntp_synchronised(state, status_, value):
    answer = {"systemTime": 1796029200000, **({"timeServerState": state} if state else {})}
    verdict = judge("ntp_synchronised")(answer, ctx())
    assert (verdict.status, verdict.value) == (status_, value)
    assert "systemTime: 2026-11-30T09:00:00+00:00" in verdict.evidence


# =========================================================================================
# Judges: the last call
# =========================================================================================

def cdr(loss: float = 0.0, jitter: float = 9, connected: bool = True) -> list[dict]:
    """``GET /rest/calllog/cdr?limit=1`` of a call whose received media lost ``loss`` % with a
    maximum jitter of ``jitter`` ms; what it sent clean."""
    row = {"rowId": 12, "startTime": 1796029200000, "endTime": 1796034600000, "callDuration": 5400 if connected else 0,
           "remoteSystemName": "Hệ thống huyện Quản Bạ", "callNumber1": "giao-ban@10.23.15.2",
           "transportType": "SIP", "callRate": 2048, "callDirection": "Incoming",
           "disconnectInfo": "remote hang-up", "q850CauseCode": 16}
    if connected:
        row.update({"avgPercentPacketLossTx": 0.0, "avgPercentPacketLossRx": loss, "avgPacketsLostTx": 0,
                    "avgPacketsLostRx": round(900000 * loss / 100), "avgJitterTx": 3.0, "avgJitterRx": 4.0,
                    "maxJitterTx": 6.0, "maxJitterRx": jitter})
    return [row]


@pytest.mark.parametrize("loss, jitter, status_", [
    (0.0, 9, "pass"),
    (1.0, 9, "pass"), (1.01, 9, "warn"),           # loss: warn above 1 %
    (5.0, 9, "warn"), (5.01, 9, "fail"),           # loss: fail above 5 %
    (0.0, 30, "pass"), (0.0, 31, "warn"),          # jitter: warn above 30 ms
    (0.0, 100, "warn"), (0.0, 101, "fail"),        # jitter: fail above 100 ms
    (0.5, 150, "fail"), (7.0, 10, "fail"),
])
def test_last_call_quality_limits(loss, jitter, status_):
    verdict = judge("last_call_quality")(cdr(loss, jitter), ctx())
    assert (verdict.status, verdict.value) == (status_, f"{loss:g} % loss, {jitter:g} ms jitter")
    assert "call 12 (Incoming giao-ban@10.23.15.2) at 2026-11-30T09:00:00+00:00, 5400 s" in verdict.evidence
    assert f"received: {round(900000 * loss / 100)} packets lost ({loss} %)" in verdict.evidence


def test_no_call_yet_or_no_media_is_not_applicable():
    assert judge("last_call_quality")([], ctx()).status == "n/a"
    missed = judge("last_call_quality")(cdr(connected=False), ctx())
    assert (missed.status, missed.value) == ("n/a", "last call carried no media")
    bare = cdr()[0]
    bare = {k: v for k, v in bare.items() if not k.startswith(("avg", "max"))}
    assert judge("last_call_quality")([bare], ctx()).value == "no media statistics"


# =========================================================================================
# The whole run against the lab
# =========================================================================================

@pytest.fixture(scope="module")
def codecs(lab) -> dict[str, dict]:
    return lab.host_variables(HOST, FAR_END)


def call_and_hang_up(lab, caller: str, callee: str) -> None:
    """A person at ``caller`` dials ``callee`` (it answers by itself) and hangs up after a while."""
    http = requests.Session()
    http.trust_env = False
    http.verify = str(lab.settings.ca_bundle)
    url = f"https://127.0.0.1:{lab.ports[caller]}/rest/"
    assert http.post(url + "session", json={"user": "gbtt", "password": "lab-codec-only"}, timeout=10).ok
    dialled = http.post(url + "conferences", json={"address": lab.address[callee], "rate": 2048}, timeout=10).json()
    assert dialled["connections"][0]["state"] == "CONNECTED", dialled
    time.sleep(0.5)
    assert http.delete(url + f"conferences/{dialled['id']}", timeout=10).ok
    http.delete(url + "session", timeout=10)


@pytest.fixture(scope="module")
def deployed(lab, codecs) -> dict:
    """HOST and FAR_END on the configuration the registry renders, as after playbooks/site.yml;
    then HOST calls FAR_END and hangs up, so that it has a last call."""
    for host in (HOST, FAR_END):
        outcome = deploy(host, codecs[host])
        assert not outcome.failed, outcome.message
    call_and_hang_up(lab, HOST, FAR_END)
    return codecs[HOST]


@pytest.fixture
def faults(lab, deployed):
    """Set health faults on HOST (``drift …`` words), up for a month as a codec in service is;
    every fault ends after the test."""
    lab.fault(HOST, "drift", "uptime", "30d")

    def apply(*words: str) -> str:
        return lab.fault(HOST, "drift", *words)
    yield apply
    lab.fault(HOST, "drift", "clear")


def run(variables: dict, host: str = HOST) -> dict[str, tuple[str, str, str]]:
    report = check_device(host, variables, ck.load())
    assert report.reachable
    return {r.check: (r.status, r.value, r.evidence) for r in report.results}


def statuses(results: dict) -> dict[str, str]:
    return {name: result[0] for name, result in results.items()}


def test_a_deployed_codec_after_a_call_passes_every_check(lab, deployed, faults):
    results = run(deployed)
    assert statuses(results) == {name: "pass" for name in CODEC_CHECKS}
    assert results["software-baseline"][1] == lab.registry.province.software_baselines["poly_group"] == "4.1.0"
    assert results["uptime"][1].startswith("30 days, ")
    assert results["peripherals"][1] == "1 camera, 1 microphone"
    mcu = deployed["gbtt_system"]["mcu"]["address"]
    assert results["call-registration"][1] == f"SIP registered ({mcu})"
    assert results["ntp-synchronised"][1] == "synchronised (TIMESERVER_UP)"
    quality = results["last-call-quality"]
    assert quality[1].startswith("0 % loss, ") and quality[1].endswith(" ms jitter")
    assert f"(Outgoing {lab.address[FAR_END]})" in quality[2] and "received: 0 packets lost" in quality[2]


@pytest.mark.parametrize("words, check, status, value", [
    ([["unplug", "camera", "1"]], "peripherals", "fail", "camera 1 not connected"),
    ([["unplug", "microphone", "1"]], "peripherals", "fail", "no microphone connected"),
    ([["sip", "down"]], "call-registration", "fail", "SIP down (registrar 10.23.15.2)"),
    ([["version", "3.11.0"]], "software-baseline", "fail", "3.11.0"),
    ([["ntp", "down"]], "ntp-synchronised", "fail", "TIMESERVER_DOWN"),
    ([["ntp", "off"]], "ntp-synchronised", "fail", "TIMESERVER_OFF"),
    ([["lastcall", "loss", "6", "jitter", "20"]], "last-call-quality", "fail", "6 % loss, 20 ms jitter"),
    ([["lastcall", "jitter", "150"]], "last-call-quality", "fail", None),
    ([["lastcall", "loss", "2.5"]], "last-call-quality", "warn", None),
], ids=lambda v: " ".join(w for f in v for w in f) if isinstance(v, list) else None)
def test_each_fault_fails_exactly_its_check(deployed, faults, words, check, status, value):
    for fault in words:
        faults(*fault)
    results = run(deployed)
    assert statuses(results) == {name: status if name == check else "pass" for name in CODEC_CHECKS}
    if value is not None:
        assert results[check][1] == value


def test_a_reboot_warns_on_uptime_only(lab, deployed, faults):
    lab.fault(HOST, "reboot")
    time.sleep(1.1)   # up 0 s: checks/judges/common.py takes an uptime of 0 for "not reported"
    results = run(deployed)
    assert statuses(results) == {name: "warn" if name == "uptime" else "pass" for name in CODEC_CHECKS}
    assert "rebooted within the last 24 hours" in results["uptime"][2]


def test_clear_heals_every_fault(deployed, faults):
    for words in (["unplug", "camera", "1"], ["sip", "down"], ["version", "3.11.0"], ["ntp", "off"],
                  ["lastcall", "loss", "9"]):
        faults(*words)
    assert {name for name, status in statuses(run(deployed)).items() if status != "pass"} == {
        "peripherals", "call-registration", "software-baseline", "ntp-synchronised", "last-call-quality"}
    assert "cleared" in faults("clear")
    assert statuses(run(deployed)) == {name: "pass" for name in CODEC_CHECKS}


def test_a_codec_changed_at_its_touch_panel_differs_from_its_registry(lab, deployed, faults):
    """A person turned SIP off and set the time by hand: config-compliance shows it, the codec
    registers nowhere and follows no time server; a deploy repairs it all."""
    faults("voIpProt.SIP.enable", "false")
    faults("device.local.ntpServer.mode", "Off")
    try:
        results = run(deployed)
        assert statuses(results) == {**{name: "pass" for name in CODEC_CHECKS}, "config-compliance": "fail",
                                     "call-registration": "fail", "ntp-synchronised": "fail"}
        assert "+voIpProt.SIP.enable: true" in results["config-compliance"][2]
        assert results["config-compliance"][1] == "4 line(s) differ"
        assert results["call-registration"][1] == "not registered: neither SIP nor H.323 is in use"
        assert results["ntp-synchronised"][1] == "TIMESERVER_OFF"
    finally:
        repaired = deploy(HOST, deployed)
        assert repaired.changed and not repaired.failed, repaired.message
    assert statuses(run(deployed)) == {name: "pass" for name in CODEC_CHECKS}
