"""The maintenance checks of the Cisco CE/RoomOS codecs (checks/*.yml, checks/judges/cisco_ce.py).

The judges first, on answers shaped as :meth:`gbtt.drivers.cisco_ce.CeDriver.ask` gives them (path
-> value, as the codec spells them), at their limits.  Then the whole run
(:func:`gbtt.maintenance.check_device`) against lab codecs of the Xín Mần system over real SSH:
a codec deployed from the registry, after a call, passes every check; each health fault of the
simulator (a camera, the displays or the microphones unplugged, SIP failing, another software
version, NTP unsynchronised, a lossy last call, a reboot) turns exactly its check to fail (or
warn) and leaves the others passing; a codec never deployed differs from its registry.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from gbtt import checks as ck
from gbtt.checks import Context
from gbtt.deploy import deploy
from gbtt.maintenance import check_device

HOST = "xin-man-ubnd-codec"           # Room Kit Pro: deployed once, then faulted and healed
FAR_END = "xin-man-khuon-lung-codec"  # Room Kit: deployed, answers HOST's test call
FRESH = "xin-man-na-chi-codec"        # Room Kit: never deployed
CODEC_CHECKS = {"reachable", "software-baseline", "config-compliance", "uptime", "peripherals",
                "last-call-quality", "call-registration", "ntp-synchronised"}
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)


def judge(name: str):
    return ck.judge(f"cisco_ce.{name}")


def ctx(model: str = "Cisco Webex Room Kit Pro") -> Context:
    return Context("c", "cisco_ce", "codec", {"gbtt_model": model}, NOW)


# =========================================================================================
# Judges: peripherals
# =========================================================================================

def cameras(*connected: bool) -> dict[str, str]:
    """``xStatus Cameras`` of a codec whose camera n is ``connected[n - 1]``."""
    out = {}
    for n, plugged in enumerate(connected, 1):
        out[f"Cameras Camera {n} Connected"] = str(plugged)
        out[f"Cameras Camera {n} Manufacturer"] = "Cisco" if plugged else ""
        out[f"Cameras Camera {n} Model"] = ("Quad Camera" if n == 1 else "PTZ 4K") if plugged else ""
        out[f"Cameras Camera {n} SerialNumber"] = f"FOC0000000{n}" if plugged else ""
    return out


def microphones(*states: str) -> dict[str, str]:
    return {f"Audio Input Connectors Microphone {n} ConnectionStatus": state
            for n, state in enumerate(states, 1)}


def outputs(*connected: bool) -> dict[str, str]:
    out = {}
    for n, plugged in enumerate(connected, 1):
        out[f"Video Output Connector {n} Connected"] = str(plugged)
        out[f"Video Output Connector {n} ConnectedDevice Name"] = "Display" if plugged else ""
    return out


def test_peripherals_all_connected_pass():
    verdict = judge("peripherals")([cameras(True, True), microphones("Connected", "NotConnected"),
                                    outputs(True, False, False)], ctx())
    assert (verdict.status, verdict.value) == ("pass", "2 cameras, 1 microphone, 1 display")
    assert "Cameras Camera 2 Model: PTZ 4K" in verdict.evidence
    kit = judge("peripherals")([cameras(True), microphones("Connected"), outputs(True, True)],
                               ctx("Cisco Webex Room Kit"))
    assert (kit.status, kit.value) == ("pass", "1 camera, 1 microphone, 2 displays")


def test_peripherals_name_what_is_missing():
    verdict = judge("peripherals")([cameras(True, False), microphones("NotConnected", "Unknown"),
                                    outputs(False, False)], ctx())
    assert verdict.status == "fail"
    assert verdict.value == ("camera 2 not connected; no microphone connected (2 input(s)); "
                             "no display connected (2 output(s))")
    assert "Cameras Camera 2 Connected: False" in verdict.evidence


def test_a_camera_of_the_model_that_is_not_even_listed_fails():
    """A Room Kit Pro has two cameras: one that the codec does not list at all is missing too."""
    verdict = judge("peripherals")([cameras(True), microphones("Connected"), outputs(True)], ctx())
    assert (verdict.status, verdict.value) == ("fail", "camera 2 not detected")


# =========================================================================================
# Judges: registration and NTP
# =========================================================================================

def sip(status: str, reason: str = "", uri: str = "xin-man-ubnd@10.23.13.2") -> dict[str, str]:
    return {"SIP Proxy 1 Address": "10.23.13.2", "SIP Proxy 1 Status": "Active",
            "SIP Registration 1 Reason": reason, "SIP Registration 1 Status": status,
            "SIP Registration 1 URI": uri if status != "Inactive" else ""}


def h323(status: str, reason: str = "") -> dict[str, str]:
    return {"H323 Gatekeeper Address": "10.23.13.3" if status != "Inactive" else "",
            "H323 Gatekeeper Port": "1719", "H323 Gatekeeper Reason": reason,
            "H323 Gatekeeper Status": status}


@pytest.mark.parametrize("sip_answer, h323_answer, status, value", [
    (sip("Registered"), h323("Inactive"), "pass", "SIP registered (xin-man-ubnd@10.23.13.2)"),
    (sip("Failed", "Request Timeout"), h323("Inactive"), "fail", "SIP Failed: Request Timeout"),
    (sip("Registering"), h323("Registered"), "fail", "SIP Registering"),   # SIP in use: it counts
    (sip("Inactive"), h323("Registered"), "pass", "H.323 registered (10.23.13.3)"),
    (sip("Inactive"), h323("Rejected", "Duplicate alias"), "fail", "H.323 Rejected: Duplicate alias"),
    (sip("Inactive"), h323("Inactive"), "fail", "not registered: neither SIP nor H.323 is in use"),
])
def test_call_registration(sip_answer, h323_answer, status, value):
    verdict = judge("call_registration")([sip_answer, h323_answer], ctx())
    assert (verdict.status, verdict.value) == (status, value)
    assert "SIP Registration 1 Status: " in verdict.evidence


@pytest.mark.parametrize("state, status, value", [
    ("Synced", "pass", "Synced (10.23.0.123)"),
    ("NotSynced", "fail", "NotSynced"),
    ("Discarded", "fail", "Discarded"),
    ("Unknown", "fail", "Unknown"),
    ("Off", "fail", "Off"),
])
def test_ntp_synchronised(state, status, value):
    answer = {"NetworkServices NTP CurrentAddress": "10.23.0.123" if state == "Synced" else "",
              "NetworkServices NTP Status": state}
    verdict = judge("ntp_synchronised")(answer, ctx())
    assert (verdict.status, verdict.value) == (status, value)
    assert f"NetworkServices NTP Status: {state}" in verdict.evidence


def test_ntp_not_reported_fails():
    verdict = judge("ntp_synchronised")({}, ctx())
    assert (verdict.status, verdict.value) == ("fail", "not reported")


# =========================================================================================
# Judges: the last call
# =========================================================================================

def history(loss: float = 0.0, jitter: float = 5, packets: int = 9000,
            basic: bool = False) -> dict[str, str]:
    """``CallHistory Get Limit: 1 DetailLevel: Full`` of a call whose incoming video lost
    ``loss`` % with ``jitter`` ms; the other media clean."""
    entry = {"CallHistoryId": "12", "CallId": "12", "CallbackNumber": "sip:xin-man-mcu@10.23.13.2",
             "DisplayName": "Hệ thống huyện Xín Mần", "RemoteNumber": "giao-ban@10.23.13.2",
             "Direction": "Incoming", "CallType": "Video", "Protocol": "Sip",
             "OccurrenceType": "Received", "IsAcknowledged": "Acknowledged", "CallRate": "2048",
             "StartTime": "2026-11-30T01:00:00Z", "EndTime": "2026-11-30T02:30:00Z", "DaysAgo": "0",
             "Duration": "5400", "DisconnectCauseType": "RemoteDisconnect",
             "DisconnectCause": "Normal call clearing"}
    if not basic:
        for channel in ("Audio Incoming", "Audio Outgoing", "Video Incoming", "Video Outgoing"):
            lossy = channel == "Video Incoming"
            lost = round(packets * loss / 100) if lossy else 0
            entry[f"{channel} PacketLoss"] = f"{lost}/{packets}"
            entry[f"{channel} PacketLossPercent"] = f"{loss if lossy else 0:.2f}"
            entry[f"{channel} MaxJitter"] = f"{jitter if lossy else 3:g}"
    return {**{f"Entry 0 {key}": value for key, value in entry.items()},
            "ResultInfo Offset": "0", "ResultInfo Limit": "1"}


@pytest.mark.parametrize("loss, jitter, status", [
    (0.0, 5, "pass"),
    (1.0, 5, "pass"), (1.01, 5, "warn"),           # loss: warn above 1 %
    (5.0, 5, "warn"), (5.01, 5, "fail"),           # loss: fail above 5 %
    (0.0, 30, "pass"), (0.0, 31, "warn"),          # jitter: warn above 30 ms
    (0.0, 100, "warn"), (0.0, 101, "fail"),        # jitter: fail above 100 ms
    (0.5, 150, "fail"), (7.0, 10, "fail"),
])
def test_last_call_quality_limits(loss, jitter, status):
    verdict = judge("last_call_quality")(history(loss, jitter), ctx())
    assert (verdict.status, verdict.value) == (status, f"{loss:g} % loss, {jitter:g} ms jitter")
    assert "call 12 (Incoming giao-ban@10.23.13.2) at 2026-11-30T01:00:00Z, 5400 s" in verdict.evidence
    lost = round(9000 * loss / 100)
    assert f"Video Incoming: {lost}/9000 packets lost ({loss:.2f} %)" in verdict.evidence


def test_last_call_quality_limits_are_the_module_constants():
    module = ck._judge_module(str(ck.CHECKS / "judges"), "cisco_ce")
    assert (module.LOSS_WARN_PERCENT, module.LOSS_FAIL_PERCENT) == (1.0, 5.0)
    assert (module.JITTER_WARN_MS, module.JITTER_FAIL_MS) == (30.0, 100.0)


def test_no_call_yet_or_no_media_is_not_applicable():
    empty = {"ResultInfo Offset": "0", "ResultInfo Limit": "1"}
    assert judge("last_call_quality")(empty, ctx()).status == "n/a"
    unanswered = judge("last_call_quality")(history(packets=0), ctx())
    assert (unanswered.status, unanswered.value) == ("n/a", "last call carried no media")
    basic = judge("last_call_quality")(history(basic=True), ctx())
    assert (basic.status, basic.value) == ("n/a", "no media statistics")
    assert "DetailLevel: Full" in basic.evidence


# =========================================================================================
# The whole run against the lab
# =========================================================================================

@pytest.fixture(scope="module")
def codecs(lab) -> dict[str, dict]:
    """The variables of the Xín Mần codecs as the playbooks see them (the lab's ports)."""
    return lab.host_variables(HOST, FAR_END, FRESH)


@pytest.fixture(scope="module")
def deployed(lab, codecs) -> dict:
    """HOST and FAR_END on the configuration the registry renders, as after playbooks/site.yml;
    then HOST calls FAR_END (which answers by itself) and hangs up, so that it has a last call."""
    for host in (HOST, FAR_END):
        outcome = deploy(host, codecs[host])
        assert not outcome.failed, outcome.message
    with lab.netmiko(HOST, "cisco_tp") as conn:
        dialled = conn.send_command(f"xCommand Dial Number: {lab.address[FAR_END]}",
                                    expect_string=r"\*\* end", read_timeout=20)
        assert "DialResult (status=OK)" in dialled, dialled
        time.sleep(0.5)
        conn.send_command("xCommand Call Disconnect", expect_string=r"\*\* end", read_timeout=20)
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
    assert results["software-baseline"][1] == lab.registry.province.software_baselines["cisco_ce"]
    assert results["uptime"][1].startswith("30 days, ")
    assert results["peripherals"][1] == "2 cameras, 2 microphones, 2 displays"
    mcu = deployed["gbtt_system"]["mcu"]["address"]
    assert results["call-registration"][1] == f"SIP registered (xin-man-ubnd@{mcu})"
    assert results["ntp-synchronised"][1].startswith("Synced (")
    quality = results["last-call-quality"]
    assert quality[1].startswith("0 % loss, ") and quality[1].endswith(" ms jitter")
    assert f"Outgoing {lab.address[FAR_END]}" in quality[2] and "Video Incoming: 0/" in quality[2]


@pytest.mark.parametrize("words, check, status, value", [
    ([["unplug", "camera", "2"]], "peripherals", "fail", "camera 2 not connected"),
    ([["unplug", "display", "1"], ["unplug", "display", "2"]], "peripherals", "fail",
     "no display connected (3 output(s))"),
    ([["unplug", "microphone", "1"], ["unplug", "microphone", "2"]], "peripherals", "fail",
     "no microphone connected (8 input(s))"),
    ([["sip", "failed"]], "call-registration", "fail", "SIP Failed: Request Timeout"),
    ([["sip", "failed", "401", "Unauthorized"]], "call-registration", "fail",
     "SIP Failed: 401 Unauthorized"),
    ([["version", "ce9.15.3.17"]], "software-baseline", "fail", "ce9.15.3.17"),
    ([["ntp", "unsynced"]], "ntp-synchronised", "fail", "NotSynced"),
    ([["ntp", "discarded"]], "ntp-synchronised", "fail", "Discarded"),
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
    for words in (["unplug", "camera", "1"], ["sip", "failed"], ["version", "ce9.15.3.17"],
                  ["ntp", "off"], ["lastcall", "loss", "9"]):
        faults(*words)
    assert {name for name, status in statuses(run(deployed)).items() if status != "pass"} == {
        "peripherals", "call-registration", "software-baseline", "ntp-synchronised", "last-call-quality"}
    assert "cleared" in faults("clear")
    assert statuses(run(deployed)) == {name: "pass" for name in CODEC_CHECKS}


def test_a_codec_never_deployed_differs_from_its_registry(codecs):
    """FRESH has the lab's factory configuration: config-compliance fails because nothing ever
    wrote the registry's settings to it (its name, addresses, NTP servers, SIP account …); for
    the same reason it has no SIP account to register (SIP Inactive, H.323 off) and no NTP server
    to follow; it never placed a call; it came up with the lab (uptime: a reboot today)."""
    results = run(codecs[FRESH], FRESH)
    assert statuses(results) == {
        "reachable": "pass", "software-baseline": "pass", "peripherals": "pass",
        "config-compliance": "fail", "call-registration": "fail", "ntp-synchronised": "fail",
        "last-call-quality": "n/a", "uptime": "warn"}
    assert "+xConfiguration SIP URI: " in results["config-compliance"][2]
    assert results["call-registration"][1] == "not registered: neither SIP nor H.323 is in use"
    assert results["ntp-synchronised"][1] == "NotSynced"
    assert results["last-call-quality"][1] == "no call yet"
