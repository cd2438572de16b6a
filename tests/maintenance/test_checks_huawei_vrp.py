"""The maintenance checks of the Huawei VRPv8 routers (checks/*.yml, checks/judges/huawei_vrp.py).

The judges first, on outputs shaped as VRPv8 prints them (``display ntp-service status``,
``display interface`` in its physical and logical forms, ``ping``), at their thresholds (those
of the IOS routers).  Then the whole run (:func:`gbtt.maintenance.check_device`) against a lab
router of the Quản Bạ system over real SSH: deployed from the registry it passes; each health
fault of the simulator (a lossy or slow line, interface errors, NTP unsynchronised, another
software version) and a drifted configuration turns exactly its check to fail or warn and
leaves the others as they were; a router that refuses the login or does not answer fails
``reachable`` and runs nothing else.
"""

from __future__ import annotations

import socket

import pytest

from gbtt import checks as ck
from gbtt.checks import Context
from gbtt.deploy import deploy
from gbtt.drivers.huawei_vrp import parse_ping
from gbtt.maintenance import check_device

HOST = "quan-ba-ubnd-router"              # deployed, then faulted and healed test by test
REFUSING = "quan-ba-nghia-thuan-router"   # refuses logins in one test
ROUTER_CHECKS = {"reachable", "software-baseline", "config-compliance", "uptime", "ntp-synchronised",
                 "interface-errors", "line-to-mcu"}


def judge(name: str):
    return ck.judge(f"huawei_vrp.{name}")


CTX = Context("r", "huawei_vrp", "router", {}, None)


def test_the_router_checks_are_those_of_the_ios_routers():
    checks = ck.load()
    ours = {c.id for c in checks if c.applies("router", "huawei_vrp")}
    assert ours == ROUTER_CHECKS == {c.id for c in checks if c.applies("router", "cisco_ios")}


# =========================================================================================
# Judges: NTP
# =========================================================================================

NTP_SYNCED = """\
 clock status: synchronized
 clock stratum: 3
 reference clock ID: 10.23.0.10
 nominal frequency: 100.0000 Hz
 actual frequency: 99.9998 Hz
 clock precision: 2^18
 clock offset: 0.1930 ms
 root delay: 1.12 ms
 root dispersion: 2.35 ms
 peer dispersion: 10.00 ms
 reference time: 03:15:02.118 UTC Mar 3 2025(EB6F7E06.1E76C8B4)
 synchronization state: clock synchronized
"""
NTP_UNSYNCED = """\
 clock status: unsynchronized
 clock stratum: 16
 reference clock ID: none
 nominal frequency: 100.0000 Hz
 actual frequency: 100.0000 Hz
 clock precision: 2^18
 clock offset: 0.0000 ms
 root delay: 0.00 ms
 root dispersion: 0.00 ms
 peer dispersion: 0.00 ms
 reference time: 00:00:00.000 UTC Jan 1 1900(00000000.00000000)
 synchronization state: clock not set
"""


def test_ntp_synchronised_to_a_server_passes():
    verdict = judge("ntp_synchronised")(NTP_SYNCED, CTX)
    assert (verdict.status, verdict.value) == ("pass", "stratum 3, 10.23.0.10")
    assert verdict.evidence.startswith("clock status: synchronized")


def test_ntp_unsynchronised_fails():
    verdict = judge("ntp_synchronised")(NTP_UNSYNCED, CTX)
    assert (verdict.status, verdict.value) == ("fail", "unsynchronised (stratum 16)")


def test_ntp_on_its_own_clock_warns():
    text = NTP_SYNCED.replace("clock stratum: 3", "clock stratum: 2").replace("ID: 10.23.0.10", "ID: LOCAL(0)")
    verdict = judge("ntp_synchronised")(text, CTX)
    assert (verdict.status, verdict.value) == ("warn", "stratum 2, LOCAL(0)")
    assert "its own clock" in verdict.evidence


def test_ntp_judge_does_not_pass_what_it_cannot_read():
    with pytest.raises(ValueError, match="not the output of display ntp-service status"):
        judge("ntp_synchronised")("Error: Unrecognized command found at '^' position.\n", CTX)


# =========================================================================================
# Judges: interface errors
# =========================================================================================

def port(name: str, *, state: str = "UP", protocol: str = "UP", address: str | None = "10.23.15.11/24",
         packets: int = 1_000_000, crc: int = 0, symbol: int = 0, alignment: int = 0, lost: int = 0,
         underrun: int = 0) -> str:
    """One physical port of ``display interface`` as VRPv8 prints it."""
    return "\n".join([
        f"{name} current state : {state} (ifindex: 4)",
        f"Line protocol current state : {protocol}",
        "Description: LAN",
        "Route Port,The Maximum Transmit Unit is 1500",
        f"Internet Address is {address}" if address else "Internet protocol processing : disabled",
        "IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is 00e0-fc12-3456",
        "Statistics last cleared:never",
        "    Last 300 seconds input rate: 3072 bits/sec, 3 packets/sec",
        f"    Input: {packets * 128} bytes, {packets} packets",
        f"    Output: {packets * 128} bytes, {packets} packets",
        "    Input:",
        f"      Unicast: {packets} packets, Multicast: 0 packets",
        "      Broadcast: 0 packets, JumboOctets: 0 packets",
        f"      CRC: {crc} packets, Symbol: {symbol} packets",
        "      Overrun: 0 packets, InRangeLength: 0 packets",
        f"      LongPacket: 0 packets, Jabber: 0 packets, Alignment: {alignment} packets",
        "      Fragment: 0 packets, Undersized Frame: 0 packets",
        "      RxPause: 0 packets",
        "    Output:",
        f"      Unicast: {packets} packets, Multicast: 0 packets",
        "      Broadcast: 0 packets, JumboOctets: 0 packets",
        f"      Lost: {lost} packets, Overflow: 0 packets, Underrun: {underrun} packets",
        "      System: 0 packets, Overruns: 0 packets",
        "      TxPause: 0 packets",
        "    Local fault: normal, Remote fault: normal.",
    ]) + "\n"


def logical(name: str, *, address: str | None = None, errors: int = 0, drops: int = 0) -> str:
    """A logical interface (loopback, NULL0) of ``display interface``."""
    return "\n".join([
        f"{name} current state : UP (ifindex: 2)",
        "Line protocol current state : UP (spoofing)",
        "Description:",
        f"Internet Address is {address}" if address else "Internet protocol processing : disabled",
        "    Input: 100 packets,12800 bytes", "           100 unicast,0 broadcast,0 multicast",
        f"           {errors} errors,{drops} drops",
        "    Output:100 packets,12800 bytes", "           100 unicast,0 broadcast,0 multicast",
        "           0 errors,0 drops",
    ]) + "\n"


SPARE = port("GigabitEthernet0/2/2", state="Administratively DOWN", protocol="DOWN", address=None, packets=0)


def interfaces_verdict(**uplink):
    return judge("interface_errors")(port("GigabitEthernet0/2/0", **uplink) + SPARE + logical("NULL0"), CTX)


def test_interfaces_without_errors_pass():
    verdict = interfaces_verdict()
    assert (verdict.status, verdict.value) == ("pass", "no errors or drops on GigabitEthernet0/2/0")
    assert "      CRC: 0 packets, Symbol: 0 packets" in verdict.evidence


@pytest.mark.parametrize("packets, errors, status", [
    (100_000, 100, "warn"),         # exactly 0.1 % of the input packets
    (100_000, 101, "fail"),         # more than 0.1 %
    (10_000_000, 1000, "warn"),     # 0.01 %, and exactly 1000
    (10_000_000, 1001, "fail"),     # more than 1000, whatever the traffic
    (50, 1, "fail"),                # one in 50 packets
])
def test_interface_error_thresholds(packets, errors, status):
    assert interfaces_verdict(packets=packets, crc=errors).status == status
    assert interfaces_verdict(packets=packets, symbol=errors).status == status         # not CRC: other input errors
    assert interfaces_verdict(packets=packets, crc=errors // 2, alignment=errors - errors // 2).status == status


def test_a_failure_says_why_and_what_was_counted():
    verdict = interfaces_verdict(packets=120_000, crc=1200, symbol=300, lost=300)
    assert verdict.status == "fail"
    assert verdict.value == ("GigabitEthernet0/2/0: 1500 input errors (1200 CRC), 300 output drops, 0 input drops "
                             "in 120000 packets")
    assert verdict.evidence.startswith("GigabitEthernet0/2/0: 1500 CRC/input errors, more than 1000\n")
    assert "      CRC: 1200 packets, Symbol: 300 packets" in verdict.evidence
    verdict = interfaces_verdict(packets=120_000, crc=200)
    assert "200 CRC/input errors, more than 0.1% of its 120000 input packets" in verdict.evidence


@pytest.mark.parametrize("counter", ["lost", "underrun"])
def test_drops_and_output_errors_warn(counter):
    verdict = interfaces_verdict(**{counter: 3})
    assert verdict.status == "warn" and verdict.value.startswith("GigabitEthernet0/2/0: 0 input errors (0 CRC), ")


def test_only_interfaces_up_with_an_address_count():
    down_with_errors = port("GigabitEthernet0/2/1", state="DOWN", protocol="DOWN", crc=5000)
    no_address = port("GigabitEthernet0/2/3", address=None, lost=40)
    text = port("GigabitEthernet0/2/0") + down_with_errors + no_address + logical("LoopBack0", address="10.23.255.1/32")
    verdict = judge("interface_errors")(text, CTX)
    assert (verdict.status, verdict.value) == ("pass", "no errors or drops on GigabitEthernet0/2/0, LoopBack0")
    noisy = port("GigabitEthernet0/2/0") + logical("LoopBack0", address="10.23.255.1/32", drops=1)
    assert judge("interface_errors")(noisy, CTX).value.startswith("LoopBack0: 0 input errors (0 CRC), 0 output drops, "
                                                                  "1 input drops")


def test_no_interface_up_fails_and_garbage_is_not_read():
    verdict = judge("interface_errors")(port("GigabitEthernet0/2/0", state="DOWN", protocol="DOWN"), CTX)
    assert (verdict.status, verdict.value) == ("fail", "no interface up with an address")
    with pytest.raises(ValueError, match="not the output of display interface"):
        judge("interface_errors")("Error: Wrong parameter found at '^' position.\n", CTX)


# =========================================================================================
# Judges: the line to the MCU
# =========================================================================================

def ping(received: int, sent: int, rtt: tuple[int, int, int] | None) -> dict:
    """The driver's result of a ping as VRP prints it."""
    text = (f"  PING 10.23.15.2: 56  data bytes, press CTRL_C to break\n\n  --- 10.23.15.2 ping statistics ---\n"
            f"    {sent} packet(s) transmitted\n    {received} packet(s) received\n"
            f"    {100 * (sent - received) / sent:.2f}% packet loss\n")
    if rtt:
        text += "    round-trip min/avg/max = {}/{}/{} ms\n".format(*rtt)
    result = parse_ping(text)
    assert result is not None
    return result


@pytest.mark.parametrize("received, sent, rtt, status, value", [
    (20, 20, (8, 12, 20), "pass", "0 % loss, 12 ms avg"),
    (20, 20, (140, 149, 160), "pass", "0 % loss, 149 ms avg"),
    (20, 20, (140, 150, 160), "warn", "0 % loss, 150 ms avg"),
    (20, 20, (290, 300, 310), "fail", "0 % loss, 300 ms avg"),
    (99, 100, (8, 12, 20), "warn", "1 % loss, 12 ms avg"),
    (19, 20, (8, 12, 20), "fail", "5 % loss, 12 ms avg"),
    (0, 20, None, "fail", "100 % loss"),
])
def test_line_thresholds(received, sent, rtt, status, value):
    verdict = judge("line_to_mcu")(ping(received, sent, rtt), CTX)
    assert (verdict.status, verdict.value) == (status, value)
    assert f"{received} packet(s) received" in verdict.evidence


def test_line_judge_needs_a_ping_result():
    with pytest.raises(ValueError, match="not a ping result"):
        judge("line_to_mcu")("0.00% packet loss", CTX)


# =========================================================================================
# The checks against a lab router
# =========================================================================================

@pytest.fixture(scope="module")
def routers(lab) -> dict[str, dict]:
    return lab.host_variables(HOST, REFUSING)


@pytest.fixture(scope="module")
def deployed(lab, routers) -> dict:
    """HOST on the configuration the registry renders, no health fault, as after playbooks/site.yml."""
    lab.fault(HOST, "clear")
    lab.fault(HOST, "expire")
    lab.fault(HOST, "drift", "clear")
    outcome = deploy(HOST, routers[HOST])
    assert not outcome.failed, outcome.message
    return routers[HOST]


def run(variables: dict, host: str = HOST) -> dict[str, tuple[str, str, str]]:
    report = check_device(host, variables, ck.load())
    return {r.check: (r.status, r.value, r.evidence) for r in report.results}


def statuses(results: dict) -> dict[str, str]:
    """Each check's status, but ``uptime``'s (it says how long ago the lab started)."""
    return {name: result[0] for name, result in results.items() if name != "uptime"}


@pytest.fixture(scope="module")
def healthy(deployed) -> dict[str, str]:
    return statuses(run(deployed))


@pytest.fixture
def faults(lab, deployed):
    def apply(*words: str) -> str:
        return lab.fault(HOST, "drift", *words)
    yield apply
    lab.fault(HOST, "drift", "clear")


def test_a_deployed_router_passes(lab, deployed, healthy):
    results = run(deployed)
    assert set(results) == ROUTER_CHECKS
    assert statuses(results) == {name: "pass" for name in ROUTER_CHECKS - {"uptime"}}
    assert results["software-baseline"][1] == "V800R022C10SPC500"
    assert results["ntp-synchronised"][1] == "stratum 3, 10.23.0.10"
    assert results["interface-errors"][1] == "no errors or drops on GigabitEthernet0/2/0"
    assert results["line-to-mcu"][1] == "0 % loss, 1 ms avg"
    assert f"PING {lab.address['quan-ba-mcu']}: 56  data bytes" in results["line-to-mcu"][2]
    assert statuses(results) == healthy


def test_a_lossy_line_fails_the_line_check_only(deployed, healthy, faults):
    assert "10 % loss, 180 ms latency" in faults("line", "loss", "10", "latency", "180")
    results = run(deployed)
    assert statuses(results) == {**healthy, "line-to-mcu": "fail"}
    value = results["line-to-mcu"][1]
    assert value.startswith("10 % loss, ") and 170 <= int(value.split(", ")[1].split()[0]) <= 190
    assert "18 packet(s) received" in results["line-to-mcu"][2]


def test_a_slow_line_warns(deployed, healthy, faults):
    faults("line", "latency", "180")
    results = run(deployed)
    assert statuses(results) == {**healthy, "line-to-mcu": "warn"}


def test_interface_errors_fail_the_interface_check_only(deployed, healthy, faults):
    faults("errors", "crc", "1200", "input", "1500", "drops", "300")
    results = run(deployed)
    assert statuses(results) == {**healthy, "interface-errors": "fail"}
    assert results["interface-errors"][1].startswith(
        "GigabitEthernet0/2/0: 1500 input errors (1200 CRC), 300 output drops, 0 input drops in ")


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
    faults("version", "V800R021C10SPC600")      # the "!Software Version" comment line is no configuration
    results = run(deployed)
    assert statuses(results) == {**healthy, "software-baseline": "fail"}
    assert results["software-baseline"][1] == "V800R021C10SPC600"
    assert "the approved baseline is 'V800R022C10SPC500'" in results["software-baseline"][2]


def test_a_drifted_configuration_fails_compliance_only_until_deployed(lab, deployed, healthy):
    lab.fault(HOST, "drift", "ntp-service", "unicast-server", "10.23.0.99")
    try:
        results = run(deployed)
        assert statuses(results) == {**healthy, "config-compliance": "fail"}
        assert "+ntp-service unicast-server 10.23.0.99" not in results["config-compliance"][2]
        assert "-ntp-service unicast-server 10.23.0.99" in results["config-compliance"][2]
    finally:
        assert not deploy(HOST, deployed).failed
    assert statuses(run(deployed)) == healthy


def test_health_faults_end(deployed, healthy, lab):
    for words in (["line", "loss", "50"], ["errors", "crc", "5"], ["ntp", "unsynced"],
                  ["version", "V800R021C10SPC600"]):
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


def test_a_router_that_does_not_answer_runs_nothing_else(routers):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port_ = probe.getsockname()[1]
    results = run({**routers[REFUSING], "ansible_port": port_}, REFUSING)
    status, value, evidence = results["reachable"]
    assert (status, value) == ("fail", "không kết nối được (unreachable)")
    assert f"cannot connect to 127.0.0.1:{port_}" in evidence
    assert {name: status for name, (status, _, _) in results.items() if name != "reachable"} == {
        name: "not-run" for name in ROUTER_CHECKS - {"reachable"}}
