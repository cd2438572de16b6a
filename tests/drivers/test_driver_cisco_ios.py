"""The ``cisco_ios`` driver against the lab's routers over real SSH (and SCP to ``flash:``),
host key checking on: facts, the deploy flow (replace, compare, commit with a revert timer,
health, confirm or rollback), a rejected candidate, redacted secrets, the errors a caller
must tell apart (host key, login, connection), and the read-only queries of the maintenance
checks (``ask``).  The routers are those of the Hoàng Su Phì system, one per test; lab time: a
device minute is ``lab.seconds_per_minute`` seconds."""

from __future__ import annotations

import re
import socket
import time

import pytest

from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams,
                               DriverError, TrustError, driver_for)
from gbtt.drivers.cisco_ios import (IosDriver, default_route_interface, parse_interface_brief, parse_ping,
                                    parse_show_version, ping_query, show_command)

UPLINK = "GigabitEthernet0/0/0"


def params(lab, host: str, **extra) -> ConnectionParams:
    extra.setdefault("management_address", lab.address[host])
    return ConnectionParams(address="127.0.0.1", port=lab.ports[host], username="gbtt",
                            password="lab-router-only", secret="lab-enable-only",
                            known_hosts=str(lab.settings.known_hosts), extra=extra)


def with_lines(config: str, *lines: str) -> str:
    """``config`` (as the router shows it) with more global lines before its closing ``!`` and
    ``end``, where the router puts them."""
    body = config.splitlines()
    while body and body[-1].strip() in ("end", "!"):
        body.pop()
    return "\n".join([*body, *lines, "!", "end"]) + "\n"


def with_uplink_shut(config: str) -> str:
    return config.replace(f"interface {UPLINK}\n", f"interface {UPLINK}\n shutdown\n", 1)


def test_registry_knows_the_driver():
    assert driver_for("cisco_ios") is IosDriver
    assert (IosDriver.platform, IosDriver.device_class) == ("cisco_ios", "router")


def test_facts_and_config(lab):
    host = "hoang-su-phi-ubnd-router"
    with IosDriver(host, params(lab, host)) as dev:
        facts = dev.get_facts()
        config = dev.get_config()
    assert facts["hostname"] == host and facts["vendor"] == "Cisco"
    assert "ISR" in facts["model"] and facts["serial"]
    assert facts["os_version"] == "17.09.05" and facts["uptime"] >= 0
    assert config.startswith("version ") and config.endswith("end\n")
    assert f"hostname {host}\n" in config and "Last configuration change" not in config


def test_deploy_commit_health_confirm_and_idempotence(lab):
    host = "hoang-su-phi-vinh-quang-router"
    codec = host.replace("-router", "-codec")
    with IosDriver(host, params(lab, host, ping_targets=[lab.address[codec]])) as dev:
        before = dev.get_config()
        intended = with_lines(before, "ntp server 10.23.0.61")
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff == "+ntp server 10.23.0.61\n"
        assert dev.backup() == before
        dev.commit(confirm_timeout=60)
        checks = dev.health()
        assert [c.name for c in checks] == ["management reachable", "WAN up", f"ping {lab.address[codec]}"]
        assert all(c.ok for c in checks), checks
        assert UPLINK in checks[1].detail
        dev.confirm()
        time.sleep(lab.seconds_per_minute * 1.5)   # past the revert timer, had it still run
        assert dev.get_config() == intended
        dev.load_candidate(intended)                 # the same again: nothing to do
        assert dev.compare() == ""
    with IosDriver(host, params(lab, host)) as dev:  # kept, and NAPALM's file prompt is gone
        after = dev.get_config()
        assert after == intended and "file prompt" not in after
    # a new deploy of the same configuration (with the template's comments, which IOS drops):
    # in sync from `show running-config` alone, nothing copied to flash
    mark = len(lab.log_entries(host))
    with IosDriver(host, params(lab, host)) as dev:
        dev.load_candidate("! rendered by gbtt\n" + intended.replace("\n!\n", "\n!  a comment\n", 1))
        assert dev.compare() == ""
    session = lab.log_entries(host)[mark:]
    assert not [e for e in session if e["event"] == "scp"]
    assert [e["event"] for e in session].count("login") == 1
    # one line more: copied to flash, and the router's own diff
    with IosDriver(host, params(lab, host)) as dev:
        dev.load_candidate(with_lines(intended, "ntp server 10.23.0.62"))
        assert dev.compare() == "+ntp server 10.23.0.62\n"
    assert [e for e in lab.log_entries(host)[mark:] if e["event"] == "scp"]


def test_rejected_candidate_is_a_config_error_and_changes_nothing(lab):
    host = "hoang-su-phi-ban-may-router"
    with IosDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_lines(before, "ntp server 10.23.0.62", "ntp servr 10.23.0.99"))
        with pytest.raises(ConfigError) as rejected:
            dev.commit(confirm_timeout=60)
        assert "ntp servr 10.23.0.99" in rejected.value.message
        assert "lab-router-only" not in str(rejected.value)
        assert dev.get_config() == before
        dev.discard()
        assert dev.compare() == ""
    time.sleep(lab.seconds_per_minute * 1.5)       # no revert timer was left behind either
    with IosDriver(host, params(lab, host)) as dev:
        assert dev.get_config() == before


def test_failed_health_rolls_back_a_pending_commit(lab):
    host = "hoang-su-phi-thang-tin-router"
    with IosDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_uplink_shut(before))
        assert f"interface {UPLINK}\n +shutdown" in dev.compare()
        dev.commit(confirm_timeout=90)                 # rounded to 2 minutes
        checks = {c.name: c for c in dev.health()}
        assert not checks["management reachable"].ok and "administratively down" in checks["management reachable"].detail
        assert not checks["WAN up"].ok and "no default route" in checks["WAN up"].detail
        dev.rollback()
        assert dev.get_config() == before
        assert all(c.ok for c in dev.health())
    with IosDriver(host, params(lab, host)) as dev:
        assert dev.get_config() == before
    with lab.netmiko(host, "cisco_ios") as cli:         # saved, without NAPALM's file prompt
        cli.enable()
        startup = cli.send_command("show startup-config")
        assert "file prompt" not in startup and f"interface {UPLINK}\n description Uplink\n ip address" in startup


def test_rollback_of_a_commit_without_timer(lab):
    host = "hoang-su-phi-then-chu-phin-router"
    with IosDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_lines(before, "ntp server 10.23.0.63"))
        dev.commit()
        dev.confirm()                                   # nothing pending: a no-op
        assert "ntp server 10.23.0.63" in dev.get_config()
        dev.rollback()
        assert dev.get_config() == before


def test_confirm_after_the_timer_expired_says_the_router_went_back(lab):
    host = "hoang-su-phi-tu-nhan-router"
    with IosDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_lines(before, "ntp server 10.23.0.64"))
        dev.commit(confirm_timeout=30)                  # at least a minute
        time.sleep(lab.seconds_per_minute * 1.5)
        with pytest.raises(CommitError) as late:
            dev.confirm()
        assert late.value.restored
        assert dev.get_config() == before


def test_drift_fault_fails_the_wan_check(lab):
    host = "hoang-su-phi-chien-pho-router"
    with IosDriver(host, params(lab, host, ping_targets=["192.0.2.1"])) as dev:
        checks = {c.name: c for c in dev.health()}
        assert checks["management reachable"].ok and checks["WAN up"].ok
        assert not checks["ping 192.0.2.1"].ok and checks["ping 192.0.2.1"].detail == "0/3 replies"
        lab.fault(host, "drift", f"interface {UPLINK}", " shutdown")
        checks = {c.name: c for c in dev.health()}
        assert not checks["management reachable"].ok and not checks["WAN up"].ok
    named = params(lab, host, wan_interface="GigabitEthernet0/0/1")
    with IosDriver(host, named) as dev:
        checks = {c.name: c for c in dev.health()}
        assert not checks["WAN up"].ok and "GigabitEthernet0/0/1" in checks["WAN up"].detail


def test_changed_host_key_is_a_trust_error_and_nothing_is_sent(lab):
    host = "hoang-su-phi-po-lo-router"
    known_hosts = lab.settings.known_hosts.read_bytes()
    seen = len(lab.log_entries(host))
    lab.fault(host, "hostkey")
    try:
        with pytest.raises(TrustError):
            IosDriver(host, params(lab, host)).open()
        after = lab.log_entries(host)[seen:]
        assert not [e for e in after if e["event"] in ("login", "command", "exec", "scp")], after
        assert lab.settings.known_hosts.read_bytes() == known_hosts
    finally:
        lab.fault(host, "clear")
    with IosDriver(host, params(lab, host)) as dev:     # its own key again: trusted
        assert dev.get_facts()["hostname"] == host


def test_unknown_host_is_a_trust_error(lab, tmp_path):
    host = "hoang-su-phi-po-lo-router"
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    for known_hosts in (str(empty), str(tmp_path / "missing"), None):
        p = params(lab, host)
        p.known_hosts = known_hosts
        with pytest.raises(TrustError):
            IosDriver(host, p).open()


def test_refused_login_is_an_authentication_error(lab):
    host = "hoang-su-phi-ban-phung-router"
    lab.fault(host, "refuse_login")
    try:
        with pytest.raises(AuthenticationError) as refused:
            IosDriver(host, params(lab, host)).open()
        assert "lab-router-only" not in str(refused.value)
    finally:
        lab.fault(host, "clear")
    wrong_enable = params(lab, host)
    wrong_enable.secret = "not-the-enable-secret"
    with pytest.raises(AuthenticationError, match="enable"):
        IosDriver(host, wrong_enable).open()


def test_refused_and_dropped_connections_are_connect_errors(lab):
    host = "hoang-su-phi-dan-van-router"
    with socket.socket() as probe:                      # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    nowhere = params(lab, host)
    nowhere.port = free
    with pytest.raises(ConnectError):
        IosDriver(host, nowhere).open()
    dev = IosDriver(host, params(lab, host))
    dev.open()
    try:
        lab.fault(host, "drop", "0")
        with pytest.raises(ConnectError):
            dev.get_config()
    finally:
        dev.close()
        lab.fault(host, "clear")


def test_secrets_are_redacted_from_the_diff(lab):
    host = "hoang-su-phi-tung-san-router"
    community = "Comm-Tung-San-41"
    contact = "psk-Zx81-tung-san"                       # a secret the caller names (extra["secrets"])
    with IosDriver(host, params(lab, host, secrets=[contact])) as dev:
        before = dev.get_config()
        intended = re.sub(r"(?m)^enable secret .*$", "enable secret 0 Enable-New-77", before)
        dev.load_candidate(with_lines(intended, "username admin privilege 15 secret 0 Admin-Pass-93",
                                      f"snmp-server community {community} RO", f"snmp-server contact {contact}",
                                      "ntp server 10.23.0.65"))
        diff = dev.compare()
        dev.discard()
        assert dev.compare() == ""
    assert "+ntp server 10.23.0.65" in diff
    assert "+enable secret 9 <redacted>" in diff and "-enable secret 9 <redacted>" in diff
    assert "+username admin privilege 15 secret 9 <redacted>" in diff
    for secret in ("Enable-New-77", "Admin-Pass-93", "$9$", community, contact):
        assert secret not in diff, diff


def test_parsers_read_real_ios_output():
    brief = parse_interface_brief(
        "Interface              IP-Address      OK? Method Status                Protocol\n"
        "GigabitEthernet0/0/0   10.23.18.11     YES NVRAM  up                    up\n"
        "GigabitEthernet0/0/1   unassigned      YES unset  administratively down down\n")
    assert brief["GigabitEthernet0/0/0"].up and brief["GigabitEthernet0/0/1"].status == "administratively down"
    routes = ("Gateway of last resort is 172.16.1.1 to network 0.0.0.0\n\n"
              "S*    0.0.0.0/0 [1/0] via 172.16.1.1\n"
              "      10.0.0.0/8 is variably subnetted, 2 subnets, 2 masks\n"
              "C        10.23.18.0/24 is directly connected, GigabitEthernet0/0/0\n"
              "L        10.23.18.11/32 is directly connected, GigabitEthernet0/0/0\n"
              "      172.16.0.0/16 is variably subnetted, 2 subnets, 2 masks\n"
              "      172.16.0.0/24 is subnetted, 1 subnets\n"
              "C        172.16.1.0 is directly connected, Dialer1\n")
    assert default_route_interface(routes) == ("Dialer1", "")
    assert default_route_interface("Gateway of last resort is not set\n")[0] is None


# =========================================================================================
# Maintenance queries (checks/*.yml)
# =========================================================================================

def test_ask_show_and_ping_over_ssh(lab):
    host = "hoang-su-phi-tan-tien-router"
    mcu = lab.address["hoang-su-phi-mcu"]
    with IosDriver(host, params(lab, host)) as dev:
        status = dev.ask({"show": "show ntp status"})
        assert status.startswith("Clock is synchronized, stratum 3, reference is ")
        assert dev.ask({"show": "show running-config | include ^hostname"}).strip() == f"hostname {host}"
        result = dev.ask({"ping": {"target": mcu, "repeat": 20}})
        assert {k: v for k, v in result.items() if k != "text"} == {
            "sent": 20, "received": 20, "loss_percent": 0.0, "rtt_min_ms": 1, "rtt_avg_ms": 1, "rtt_max_ms": 2}
        assert f"Sending 20, 100-byte ICMP Echos to {mcu}, timeout is 2 seconds:" in result["text"]
        lab.fault(host, "drift", "line", "loss", "10", "latency", "180")
        try:
            lossy = dev.ask({"ping": {"target": mcu, "repeat": "20"}})
        finally:
            lab.fault(host, "drift", "line", "clear")
        assert (lossy["received"], lossy["loss_percent"]) == (18, 10.0) and 170 <= lossy["rtt_avg_ms"] <= 190
        dead = dev.ask({"ping": {"target": "192.0.2.7", "repeat": 3, "timeout": 1}})
        assert (dead["received"], dead["loss_percent"], dead["rtt_avg_ms"]) == (0, 100.0, None)
        with pytest.raises(DriverError, match="rejected 'show nonsense'") as rejected:
            dev.ask({"show": "show nonsense"})
        assert not isinstance(rejected.value, ConfigError)
        for query in ({"show": "configure terminal"}, {"show": "show run | redirect flash:x"},
                      {"command": "show version"}, {"ping": {"target": "hoang-su-phi-mcu"}}):
            with pytest.raises(ConfigError):
                dev.ask(query)
        assert dev.get_facts()["hostname"] == host             # the session goes on after refused queries


@pytest.mark.parametrize("value", [
    "configure terminal", "sh version", "show", "show version\nreload", "show run\r", "reload",
    "show running-config | redirect flash:copy.txt", "show running-config | tee flash:copy.txt",
    "show running-config | append flash:copy.txt", "show running-config |", "show running-config | include",
    "", 42, None,
])
def test_show_queries_are_only_show_commands(value):
    with pytest.raises(ConfigError):
        show_command("r1", value)


def test_show_queries_keep_their_filters():
    assert show_command("r1", "show ntp status") == "show ntp status"
    assert show_command("r1", "  show   running-config | include ^ntp ") == "show running-config | include ^ntp"
    assert show_command("r1", "show interfaces | i errors | ex  0 input") == "show interfaces | i errors | ex 0 input"
    assert show_command("r1", "SHOW CLOCK") == "SHOW CLOCK"


@pytest.mark.parametrize("value", [
    {"target": "10.23.0.256"}, {"target": "mcu.example"}, {"target": "::1"}, {"repeat": 5},
    {"target": "10.23.14.2", "repeat": 0}, {"target": "10.23.14.2", "repeat": 101},
    {"target": "10.23.14.2", "repeat": True}, {"target": "10.23.14.2", "repeat": 2.5},
    {"target": "10.23.14.2", "timeout": 11}, {"target": "10.23.14.2", "size": 1500}, "10.23.14.2",
])
def test_ping_queries_are_checked(value):
    with pytest.raises(ConfigError):
        ping_query("r1", value)


def test_ping_queries():
    assert ping_query("r1", {"target": "10.23.14.2"}) == ("10.23.14.2", 5, 2)
    assert ping_query("r1", {"target": " 10.23.14.2", "repeat": "20", "timeout": 1}) == ("10.23.14.2", 20, 1)


def test_ping_and_version_parsers_read_real_ios_output():
    lossy = parse_ping("Type escape sequence to abort.\n"
                       "Sending 20, 100-byte ICMP Echos to 10.23.14.2, timeout is 2 seconds:\n"
                       "!!!!!.!!!!!!!!!!!.!!\n"
                       "Success rate is 90 percent (18/20), round-trip min/avg/max = 162/181/197 ms\n")
    assert {k: v for k, v in lossy.items() if k != "text"} == {
        "sent": 20, "received": 18, "loss_percent": 10.0, "rtt_min_ms": 162, "rtt_avg_ms": 181, "rtt_max_ms": 197}
    assert lossy["text"].endswith("162/181/197 ms")
    assert parse_ping("Success rate is 0 percent (0/5)\n")["rtt_avg_ms"] is None
    assert parse_ping("% Unrecognized host or address, or protocol not running.\n") is None
    xe = parse_show_version(
        "Cisco IOS XE Software, Version 17.09.05\n"
        "Cisco IOS Software [Cupertino], ISR Software (ARMV8EL_LINUX_IOSD-UNIVERSALK9_IAS-M), Version 17.9.5, "
        "RELEASE SOFTWARE (fc3)\n"
        "ROM: 17.9(1r)\n\n"
        "r1 uptime is 1 year, 2 weeks, 3 days, 4 hours, 5 minutes\n"
        "Uptime for this control processor is 1 year, 2 weeks, 3 days, 4 hours, 7 minutes\n"
        "cisco ISR1111-4P (1RU) processor with 1518210K/6147K bytes of memory.\n"
        "Processor board ID FGL2231L0AB\n")
    assert xe == {"hostname": "r1", "vendor": "Cisco", "model": "ISR1111-4P", "serial": "FGL2231L0AB",
                  "os_version": "17.09.05", "uptime": 31536000 + 17 * 86400 + 4 * 3600 + 5 * 60}
    classic = parse_show_version(
        "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.7(3)M4, RELEASE SOFTWARE (fc1)\n"
        "r2 uptime is 9 minutes\n"
        "Cisco CISCO2911/K9 (revision 1.0) with 483328K/40960K bytes of memory.\n")
    assert (classic["os_version"], classic["uptime"], classic["model"]) == ("15.7(3)M4", 540, "CISCO2911/K9")
