"""The maintenance checks of the Cisco IOS XE routers (checks/*.yml, checks/judges/cisco_ios.py).

The judges first, on outputs shaped as the routers print them, at their thresholds.  Then the
whole run (:func:`gbtt.maintenance.check_device`) against lab routers of the Yên Minh system
over real SSH: a router deployed from the registry passes; each health fault of the simulator
(a lossy line, interface errors, NTP unsynchronised, another software version) turns exactly
its check to fail and leaves the others as they were; a router that refuses the login or does
not answer fails ``reachable`` and runs nothing else.
"""

from __future__ import annotations

import socket

import pytest

from gbtt import checks as ck
from gbtt.checks import Context
from gbtt.deploy import deploy
from gbtt.drivers.cisco_ios import parse_ping
from gbtt.maintenance import check_device

HOST = "yen-minh-thang-mo-router"          # deployed once, then faulted and healed test by test
REFUSING = "yen-minh-phu-lung-router"      # refuses logins in one test
ROUTER_CHECKS = {"reachable", "software-baseline", "config-compliance", "uptime", "ntp-synchronised",
                 "interface-errors", "line-to-mcu"}


def judge(name: str):
    return ck.judge(f"cisco_ios.{name}")


CTX = Context("r", "cisco_ios", "router", {}, None)


# =========================================================================================
# Judges: NTP
# =========================================================================================

NTP_SYNCED = """\
Clock is synchronized, stratum 3, reference is 10.23.0.10
nominal freq is 250.0000 Hz, actual freq is 249.9990 Hz, precision is 2**10
ntp uptime is 123456700 (1/100 of seconds), resolution is 4000
reference time is E1E5A2B6.1E76C8B4 (10:15:02.118 ICT Mon Mar 3 2025)
clock offset is 0.5000 msec, root delay is 1.00 msec
root dispersion is 3.20 msec, peer dispersion is 0.12 msec
loopfilter state is 'CTRL' (Normal Controlled Loop), drift is 0.000004000 s/s
system poll interval is 64, last update was 12 sec ago.
"""
NTP_UNSYNCED = """\
Clock is unsynchronized, stratum 16, no reference clock
nominal freq is 250.0000 Hz, actual freq is 250.0000 Hz, precision is 2**10
ntp uptime is 1500 (1/100 of seconds), resolution is 4000
reference time is 00000000.00000000 (07:00:00.000 ICT Mon Jan 1 1900)
clock offset is 0.0000 msec, root delay is 0.00 msec
root dispersion is 18.08 msec, peer dispersion is 0.00 msec
loopfilter state is 'FSET' (Drift set from file), drift is 0.000000000 s/s
system poll interval is 64, never updated.
"""


def test_ntp_synchronised_to_a_server_passes():
    verdict = judge("ntp_synchronised")(NTP_SYNCED, CTX)
    assert (verdict.status, verdict.value) == ("pass", "stratum 3, 10.23.0.10")
    assert verdict.evidence.startswith("Clock is synchronized")


def test_ntp_unsynchronised_or_off_fails():
    verdict = judge("ntp_synchronised")(NTP_UNSYNCED, CTX)
    assert (verdict.status, verdict.value) == ("fail", "unsynchronised (stratum 16)")
    verdict = judge("ntp_synchronised")("%NTP is not enabled.\n", CTX)
    assert (verdict.status, verdict.value) == ("fail", "NTP not enabled")


def test_ntp_on_its_own_clock_warns():
    text = NTP_SYNCED.replace("stratum 3, reference is 10.23.0.10", "stratum 8, reference is 127.127.1.1")
    verdict = judge("ntp_synchronised")(text, CTX)
    assert (verdict.status, verdict.value) == ("warn", "stratum 8, 127.127.1.1")
    assert "its own clock" in verdict.evidence


def test_ntp_judge_does_not_pass_what_it_cannot_read():
    with pytest.raises(ValueError, match="not the output of show ntp status"):
        judge("ntp_synchronised")("% Invalid input detected at '^' marker.\n", CTX)


# =========================================================================================
# Judges: interface errors
# =========================================================================================

def interface(name: str, *, state: str = "up", protocol: str = "up", address: str | None = "10.23.14.12/24",
              packets: int = 1_000_000, input_errors: int = 0, crc: int = 0, output_errors: int = 0,
              drops: int = 0, queue_drops: int = 0) -> str:
    """One interface of ``show interfaces`` as an ISR 1100 prints it."""
    return "\n".join([
        f"{name} is {state}, line protocol is {protocol} ",
        "  Hardware is ISR-1GE, address is 0082.f3e9.c695 (bia 0082.f3e9.c695)",
        *([f"  Internet address is {address}"] if address else []),
        "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, ",
        "     reliability 255/255, txload 1/255, rxload 1/255",
        "  Encapsulation ARPA, loopback not set",
        "  Last clearing of \"show interface\" counters never",
        f"  Input queue: 0/375/{queue_drops}/0 (size/max/drops/flushes); Total output drops: {drops}",
        "  Queueing strategy: fifo",
        "  5 minute input rate 2000 bits/sec, 2 packets/sec",
        f"     {packets} packets input, {packets * 120} bytes, 0 no buffer",
        "     Received 0 broadcasts (0 IP multicasts)",
        "     0 runts, 0 giants, 0 throttles ",
        f"     {input_errors} input errors, {crc} CRC, {input_errors - crc} frame, 0 overrun, 0 ignored",
        "     0 watchdog, 0 multicast, 0 pause input",
        f"     {packets} packets output, {packets * 120} bytes, 0 underruns",
        f"     {output_errors} output errors, 0 collisions, 0 interface resets",
        "     0 unknown protocol drops",
        "     0 output buffer failures, 0 output buffers swapped out",
    ]) + "\n"


SPARE = interface("GigabitEthernet0/0/1", state="administratively down", protocol="down", address=None,
                  packets=0)


def interfaces_verdict(**uplink):
    return judge("interface_errors")(interface("GigabitEthernet0/0/0", **uplink) + SPARE, CTX)


def test_interfaces_without_errors_pass():
    verdict = interfaces_verdict()
    assert (verdict.status, verdict.value) == ("pass", "no errors or drops on GigabitEthernet0/0/0")
    assert "0 input errors, 0 CRC" in verdict.evidence


@pytest.mark.parametrize("packets, errors, status", [
    (100_000, 100, "warn"),         # exactly 0.1 % of the input packets
    (100_000, 101, "fail"),         # more than 0.1 %
    (10_000_000, 1000, "warn"),     # 0.01 %, and exactly 1000
    (10_000_000, 1001, "fail"),     # more than 1000, whatever the traffic
    (50, 1, "fail"),                # one in 50 packets
])
def test_interface_error_thresholds(packets, errors, status):
    assert interfaces_verdict(packets=packets, input_errors=errors, crc=errors).status == status
    assert interfaces_verdict(packets=packets, input_errors=errors).status == status      # not CRC: frame


def test_a_failure_says_why_and_what_was_counted():
    verdict = interfaces_verdict(packets=120_000, input_errors=1500, crc=1200, drops=300)
    assert verdict.status == "fail"
    assert verdict.value == ("GigabitEthernet0/0/0: 1500 input errors (1200 CRC), 300 output drops, 0 input drops "
                             "in 120000 packets")
    assert verdict.evidence.startswith("GigabitEthernet0/0/0: 1500 CRC/input errors, more than 1000\n")
    assert "     1500 input errors, 1200 CRC, 300 frame, 0 overrun, 0 ignored" in verdict.evidence
    verdict = interfaces_verdict(packets=120_000, input_errors=200, crc=200)
    assert "200 CRC/input errors, more than 0.1% of its 120000 input packets" in verdict.evidence


@pytest.mark.parametrize("counter", ["drops", "queue_drops", "output_errors"])
def test_drops_and_output_errors_warn(counter):
    verdict = interfaces_verdict(**{counter: 3})
    assert verdict.status == "warn" and verdict.value.startswith("GigabitEthernet0/0/0: 0 input errors (0 CRC), ")


def test_only_interfaces_up_with_an_address_count():
    down_with_errors = interface("GigabitEthernet0/0/1", state="down", protocol="down", input_errors=5000, crc=5000)
    no_address = interface("GigabitEthernet0/1/0", address=None, drops=40)
    text = interface("GigabitEthernet0/0/0") + down_with_errors + no_address + \
        interface("Loopback0", address="10.23.255.1/32", packets=0)
    verdict = judge("interface_errors")(text, CTX)
    assert (verdict.status, verdict.value) == ("pass", "no errors or drops on GigabitEthernet0/0/0, Loopback0")
    noisy_loopback = interface("GigabitEthernet0/0/0") + interface("Loopback0", address="10.23.255.1/32", drops=1)
    assert judge("interface_errors")(noisy_loopback, CTX).value.startswith("Loopback0: ")


def test_no_interface_up_fails_and_garbage_is_not_read():
    verdict = judge("interface_errors")(interface("GigabitEthernet0/0/0", state="down", protocol="down"), CTX)
    assert (verdict.status, verdict.value) == ("fail", "no interface up with an address")
    with pytest.raises(ValueError, match="not the output of show interfaces"):
        judge("interface_errors")("% Invalid input detected at '^' marker.\n", CTX)


# =========================================================================================
# Judges: the line to the MCU
# =========================================================================================

def ping(received: int, sent: int, rtt: tuple[int, int, int] | None) -> dict:
    """The driver's result of a ping as IOS prints it."""
    marks = "!" * received + "." * (sent - received)
    text = (f"Type escape sequence to abort.\nSending {sent}, 100-byte ICMP Echos to 10.23.14.2, timeout is 2 "
            f"seconds:\n{marks}\nSuccess rate is {100 * received // sent} percent ({received}/{sent})")
    if rtt:
        text += ", round-trip min/avg/max = {}/{}/{} ms".format(*rtt)
    result = parse_ping(text + "\n")
    assert result is not None
    return result


@pytest.mark.parametrize("received, sent, rtt, status, value", [
    (20, 20, (8, 12, 20), "pass", "0 % loss, 12 ms avg"),
    (20, 20, (140, 149, 160), "pass", "0 % loss, 149 ms avg"),
    (20, 20, (140, 150, 160), "warn", "0 % loss, 150 ms avg"),
    (20, 20, (280, 299, 310), "warn", "0 % loss, 299 ms avg"),
    (20, 20, (290, 300, 310), "fail", "0 % loss, 300 ms avg"),
    (99, 100, (8, 12, 20), "warn", "1 % loss, 12 ms avg"),
    (96, 100, (8, 12, 20), "warn", "4 % loss, 12 ms avg"),
    (19, 20, (8, 12, 20), "fail", "5 % loss, 12 ms avg"),
    (18, 20, (162, 180, 198), "fail", "10 % loss, 180 ms avg"),
    (0, 20, None, "fail", "100 % loss"),
])
def test_line_thresholds(received, sent, rtt, status, value):
    verdict = judge("line_to_mcu")(ping(received, sent, rtt), CTX)
    assert (verdict.status, verdict.value) == (status, value)
    assert f"Success rate is {100 * received // sent} percent" in verdict.evidence


def test_line_judge_needs_a_ping_result():
    with pytest.raises(ValueError, match="not a ping result"):
        judge("line_to_mcu")("Success rate is 100 percent (5/5)", CTX)


# =========================================================================================
# The checks against lab routers
# =========================================================================================

@pytest.fixture(scope="module")
def routers(lab) -> dict[str, dict]:
    """The variables of the Yên Minh routers as the playbooks see them (the lab's ports)."""
    return lab.host_variables(HOST, REFUSING)


@pytest.fixture(scope="module")
def deployed(lab, routers) -> dict:
    """HOST on the configuration the registry renders, as after playbooks/site.yml."""
    outcome = deploy(HOST, routers[HOST])
    assert not outcome.failed, outcome.message
    return routers[HOST]


def run(variables: dict, host: str = HOST) -> dict[str, tuple[str, str, str]]:
    report = check_device(host, variables, ck.load())
    return {r.check: (r.status, r.value, r.evidence) for r in report.results}


def statuses(results: dict) -> dict[str, str]:
    """Each check's status, but ``uptime``'s: it says how long ago the lab started (a reboot
    today: warn; within its first minute, ``0 minutes``, which checks/judges/common.py reads
    as an unknown uptime), not how healthy the router is."""
    return {name: result[0] for name, result in results.items() if name != "uptime"}


@pytest.fixture(scope="module")
def healthy(deployed) -> dict[str, str]:
    results = run(deployed)
    return statuses(results)


@pytest.fixture
def faults(lab, deployed):
    """Set health faults on HOST (``drift …`` words); every one ends after the test."""
    def apply(*words: str) -> str:
        return lab.fault(HOST, "drift", *words)
    yield apply
    lab.fault(HOST, "drift", "clear")


def test_a_deployed_router_passes(deployed, healthy):
    results = run(deployed)
    assert set(results) == ROUTER_CHECKS
    assert statuses(results) == {name: "pass" for name in ROUTER_CHECKS - {"uptime"}}
    assert results["software-baseline"][1] == "17.09.05"
    assert results["ntp-synchronised"][1] == "stratum 3, 10.23.0.10"
    assert results["interface-errors"][1].startswith("no errors or drops on GigabitEthernet0/0/0")
    assert results["line-to-mcu"][1] == "0 % loss, 1 ms avg"
    assert "Sending 20, 100-byte ICMP Echos to 10.23.14.2" in results["line-to-mcu"][2]
    assert statuses(results) == healthy


def test_a_router_not_deployed_differs_from_its_registry(lab, routers):
    results = run(routers[REFUSING], REFUSING)
    assert results["config-compliance"][0] == "fail" and "differ" in results["config-compliance"][1]
    assert results["reachable"][0] == "pass" and results["ntp-synchronised"][0] == "pass"


def test_a_lossy_line_fails_the_line_check_only(deployed, healthy, faults):
    assert "10 % loss, 180 ms latency" in faults("line", "loss", "10", "latency", "180")
    results = run(deployed)
    assert statuses(results) == {**healthy, "line-to-mcu": "fail"}
    status, value, evidence = results["line-to-mcu"]
    assert value.startswith("10 % loss, ") and 170 <= int(value.split(", ")[1].split()[0]) <= 190
    assert "Success rate is 90 percent (18/20)" in evidence


def test_a_slow_line_warns(deployed, healthy, faults):
    faults("line", "latency", "180")
    results = run(deployed)
    assert statuses(results) == {**healthy, "line-to-mcu": "warn"}
    assert results["line-to-mcu"][1].startswith("0 % loss, 1")


def test_interface_errors_fail_the_interface_check_only(deployed, healthy, faults):
    faults("errors", "crc", "1200", "input", "1500", "drops", "300")
    results = run(deployed)
    assert statuses(results) == {**healthy, "interface-errors": "fail"}
    value = results["interface-errors"][1]
    assert value.startswith("GigabitEthernet0/0/0: 1500 input errors (1200 CRC), 300 output drops, 0 input drops in ")


def test_drops_alone_warn(deployed, healthy, faults):
    faults("errors", "drops", "300", "packets", "5000000")
    results = run(deployed)
    assert statuses(results) == {**healthy, "interface-errors": "warn"}


def test_ntp_unsynchronised_fails_the_ntp_check_only(deployed, healthy, faults):
    faults("ntp", "unsynced")
    results = run(deployed)
    assert statuses(results) == {**healthy, "ntp-synchronised": "fail"}
    assert results["ntp-synchronised"][1] == "unsynchronised (stratum 16)"


def test_another_version_fails_the_baseline_check_only(deployed, healthy, faults):
    faults("version", "17.09.04")       # the same train: the configuration's "version 17.9" stays
    results = run(deployed)
    assert statuses(results) == {**healthy, "software-baseline": "fail"}
    assert results["software-baseline"][1] == "17.09.04"
    assert "the approved baseline is '17.09.05'" in results["software-baseline"][2]


def test_another_train_also_shows_in_the_configuration(deployed, healthy, faults):
    faults("version", "16.12.04")       # its configuration says "version 16.12", the registry's 17.9
    results = run(deployed)
    assert statuses(results) == {**healthy, "software-baseline": "fail", "config-compliance": "fail"}
    assert "version 16.12" in results["config-compliance"][2]


def test_health_faults_end(deployed, healthy, lab):
    for words in (["line", "loss", "50"], ["errors", "crc", "5"], ["ntp", "unsynced"], ["version", "16.12.04"]):
        lab.fault(HOST, "drift", *words)
    assert "errors, line, ntp, software" in lab.fault(HOST, "drift", "clear")
    assert statuses(run(deployed)) == healthy


def test_a_router_refusing_the_login_runs_nothing_else(lab, routers):
    lab.fault(REFUSING, "refuse_login")
    try:
        results = run(routers[REFUSING], REFUSING)
    finally:
        lab.fault(REFUSING, "clear")
    assert results["reachable"][:2] == ("fail", "bị từ chối đăng nhập (login refused)")
    assert {name: status for name, (status, _, _) in results.items() if name != "reachable"} == {
        name: "not-run" for name in ROUTER_CHECKS - {"reachable"}}
    assert all(evidence.startswith("không kết nối được thiết bị (device not reached): ") for name, (_, _, evidence) in results.items()
               if name != "reachable")


def test_a_router_that_does_not_answer_runs_nothing_else(routers):
    with socket.socket() as probe:              # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    results = run({**routers[REFUSING], "ansible_port": port}, REFUSING)
    status, value, evidence = results["reachable"]
    assert (status, value) == ("fail", "không kết nối được (unreachable)") and f"cannot connect to 127.0.0.1:{port}" in evidence
    assert {name: status for name, (status, _, _) in results.items() if name != "reachable"} == {
        name: "not-run" for name in ROUTER_CHECKS - {"reachable"}}
