"""The ``huawei_vrp`` driver against the lab's VRPv8 routers over real SSH (and SFTP to
``cfcard:``), host key checking on: facts, the deploy flow (load and replace, compare, commit
trial, health, confirm or rollback), a refused candidate, passwords never written in clear and
idempotent, redacted secrets, the errors a caller must tell apart (host key, login,
connection), a session lost anywhere in a deploy, and the read-only queries of the maintenance
checks (``ask``).  The routers are the Huawei ones of the Quản Bạ system; no test assumes how an
earlier one (or another file) left a router: each reads it first, or deploys it.  Lab time: a
device minute is ``lab.seconds_per_minute`` seconds."""

from __future__ import annotations

import re
import socket
import time

import pytest
from netmiko.exceptions import NetmikoAuthenticationException

from gbtt import render
from gbtt.deploy import connection_params, deploy
from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams,
                               DriverError, TrustError, driver_for)
from gbtt.drivers.huawei_vrp import (VrpDriver, config_lines, default_route_interface, display_command, is_cipher,
                                     latest_commit_id, parse_display_version, parse_ip_interface_brief, parse_ping,
                                     ping_query)

UBND, NGHIA_THUAN, THANH_VAN, QUAN_BA = ("quan-ba-ubnd-router", "quan-ba-nghia-thuan-router",
                                         "quan-ba-thanh-van-router", "quan-ba-quan-ba-router")
LAN = "GigabitEthernet0/2/0"
SECRETS = ("lab-router-only", "lab-enable-only")


def params(lab, host: str, **extra) -> ConnectionParams:
    extra.setdefault("management_address", lab.address[host])
    return ConnectionParams(address="127.0.0.1", port=lab.ports[host], username="gbtt",
                            password="lab-router-only", secret="lab-enable-only",
                            known_hosts=str(lab.settings.known_hosts), extra=extra)


def settled(lab, host: str) -> None:
    """No fault left by an earlier test, no trial running."""
    lab.fault(host, "clear")
    lab.fault(host, "expire")


def with_ntp(config: str, *servers: str) -> str:
    """``config`` with more NTP servers, after its last one (where VRP shows them)."""
    lines = config.splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("ntp-service unicast-server "))
    return "\n".join([*lines[:last + 1], *(f"ntp-service unicast-server {s}" for s in servers),
                      *lines[last + 1:]]) + "\n"


def with_lan(config: str, old: str, new: str) -> str:
    """``config`` with the line ``old`` of the LAN interface replaced by ``new``."""
    head, _, rest = config.partition(f"interface {LAN}\n")
    assert rest, config
    assert f" {old}\n" in rest.split("#", 1)[0], rest
    return head + f"interface {LAN}\n" + rest.replace(f" {old}\n", f" {new}\n", 1)


def with_aaa(config: str, *lines: str) -> str:
    """``config`` with more lines at the end of its ``aaa`` view."""
    head, _, rest = config.partition("aaa\n")
    body, sep, tail = rest.partition("#\n")
    return head + "aaa\n" + body + "".join(f" {line}\n" for line in lines) + sep + tail


def with_lan_description(config: str, text: str) -> str:
    return re.sub(rf"(interface {re.escape(LAN)}\n) description [^\n]*\n", rf"\1 description {text}\n", config, count=1)


def same(a: str, b: str) -> bool:
    return config_lines(a) == config_lines(b)


def test_registry_knows_the_driver():
    assert driver_for("huawei_vrp") is VrpDriver
    assert (VrpDriver.platform, VrpDriver.device_class) == ("huawei_vrp", "router")


def test_facts_and_config(lab):
    settled(lab, UBND)
    with VrpDriver(UBND, params(lab, UBND)) as dev:
        facts = dev.get_facts()
        config = dev.get_config()
    assert facts["vendor"] == "Huawei" and facts["model"] == "NetEngine 8000 M1C" and facts["serial"]
    assert facts["os_version"] == "V800R022C10SPC500" and facts["uptime"] >= 0
    assert re.search(rf"^sysname {re.escape(facts['hostname'])}$", config, re.M)
    assert config.startswith("#\n") and config.endswith("\nreturn\n") and "!Last configuration" not in config
    assert re.search(r"^ local-user gbtt password irreversible-cipher \$1c\$\S+\$$", config, re.M)


def test_deploy_commit_trial_health_confirm_and_idempotence(lab):
    host = NGHIA_THUAN
    settled(lab, host)
    codec = host.replace("-router", "-codec")
    with VrpDriver(host, params(lab, host, ping_targets=[lab.address[codec]])) as dev:
        before = dev.get_config()
        intended = with_ntp(before, "10.23.0.61")
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff.startswith("--- running\n+++ candidate\n@@ ")
        assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == \
            ["+ntp-service unicast-server 10.23.0.61"]
        assert dev.backup() == before
        dev.commit(confirm_timeout=60)
        checks = dev.health()
        assert [c.name for c in checks] == ["management reachable", "WAN up", f"ping {lab.address[codec]}"]
        assert all(c.ok for c in checks), checks
        assert LAN in checks[0].detail and LAN in checks[1].detail
        dev.confirm()
        time.sleep(lab.seconds_per_minute * 1.5)     # past the trial, had it still run
        assert same(dev.get_config(), intended)
        dev.load_candidate(intended)                  # the same again: nothing to do
        assert dev.compare() == ""
    with lab.netmiko(host, "huawei_vrpv8") as cli:    # saved, and the candidate file is gone
        assert "ntp-service unicast-server 10.23.0.61" in cli.send_command("display saved-configuration")
        assert "gbtt-candidate.cfg" not in cli.send_command("dir")
    # a deploy of the same configuration: in sync from display current-configuration alone
    mark = len(lab.log_entries(host))
    with VrpDriver(host, params(lab, host)) as dev:
        dev.load_candidate(intended.replace("#\n", "#\n\n", 3))   # separators and blank lines do not count
        assert dev.compare() == ""
    session = lab.log_entries(host)[mark:]
    assert not [e for e in session if e["event"] == "scp"]
    assert [e["event"] for e in session].count("login") == 1
    commands = [e["detail"] for e in session if e["event"] == "command" and e["detail"].strip()]
    assert commands.count("display current-configuration") == 1
    assert set(commands) <= {"screen-length 0 temporary", "display current-configuration", "quit"}, commands


def test_a_refused_candidate_is_a_config_error_and_changes_nothing(lab):
    host = THANH_VAN
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        bad = with_ntp(before, "10.23.0.62", "10.23.0.99").replace("unicast-server 10.23.0.99",
                                                                   "unicast-servr 10.23.0.99")
        dev.load_candidate(bad)
        assert "+ntp-service unicast-servr 10.23.0.99" in dev.compare()
        with pytest.raises(ConfigError) as refused:
            dev.commit(confirm_timeout=60)
        assert "ntp-service unicast-servr 10.23.0.99" in refused.value.message
        assert "Unrecognized command" in refused.value.message
        assert not any(secret in str(refused.value) for secret in SECRETS)
        assert dev.get_config() == before
        dev.discard()
        assert dev.compare() == ""
    time.sleep(lab.seconds_per_minute * 1.5)        # no trial was left behind either
    with VrpDriver(host, params(lab, host)) as dev:
        assert dev.get_config() == before
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert "gbtt-candidate.cfg" not in cli.send_command("dir")


def test_failed_health_rolls_back_the_trial(lab):
    host = QUAN_BA
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_lan(before, "undo shutdown", "shutdown"))
        assert "- undo shutdown\n+ shutdown" in dev.compare()
        dev.commit(confirm_timeout=90)
        checks = {c.name: c for c in dev.health()}
        management = checks["management reachable"]
        assert not management.ok and "administratively down" in management.detail
        assert not checks["WAN up"].ok and "no default route" in checks["WAN up"].detail
        dev.rollback()
        assert dev.get_config() == before
        assert all(c.ok for c in dev.health())
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert same(cli.send_command("display saved-configuration"), before)
        assert "trial rollback" in cli.send_command("display configuration commit list verbose")


def test_rollback_of_a_commit_without_trial(lab):
    host = NGHIA_THUAN
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_ntp(before, "10.23.0.63"))
        dev.commit()
        dev.confirm()                                  # nothing pending: a no-op
        assert "ntp-service unicast-server 10.23.0.63" in dev.get_config()
        dev.rollback()
        assert dev.get_config() == before
        with pytest.raises(DriverError, match="nothing to roll back"):
            dev.rollback()
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert "ntp-service unicast-server 10.23.0.63" not in cli.send_command("display saved-configuration")
        assert "rollback to commit ID" in cli.send_command("display configuration commit list verbose")


def test_confirm_after_the_trial_ran_out_says_the_router_went_back(lab):
    host = THANH_VAN
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_ntp(before, "10.23.0.64"))
        dev.commit(confirm_timeout=30)                 # at least 60 seconds
        assert "ntp-service unicast-server 10.23.0.64" in dev.get_config()
        time.sleep(lab.seconds_per_minute * 1.5)
        with pytest.raises(CommitError) as late:
            dev.confirm()
        assert late.value.restored and "trial ran out" in late.value.message
        assert dev.get_config() == before
    revert = [e for e in lab.log_entries(host) if e["event"] == "revert"]
    assert revert and "not confirmed" in revert[-1]["detail"]


def test_the_expire_fault_ends_a_trial_at_once(lab):
    host = THANH_VAN
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        dev.load_candidate(with_ntp(before, "10.23.0.65"))
        dev.commit(confirm_timeout=3600)
        lab.fault(host, "expire")
        assert dev.get_config() == before
        dev.rollback()                                  # the trial is over already: nothing left to undo
        assert dev.get_config() == before


def test_drift_fails_the_health_checks(lab):
    host = UBND
    settled(lab, host)
    with VrpDriver(host, params(lab, host, ping_targets=["192.0.2.1"])) as dev:
        before = dev.get_config()
        checks = {c.name: c for c in dev.health()}
        assert checks["management reachable"].ok and checks["WAN up"].ok
        assert not checks["ping 192.0.2.1"].ok and checks["ping 192.0.2.1"].detail == "0/3 replies"
        lab.fault(host, "drift", f"interface {LAN}", " shutdown")
        try:
            checks = {c.name: c for c in dev.health()}
            assert not checks["management reachable"].ok and not checks["WAN up"].ok
        finally:
            lab.fault(host, "drift", f"interface {LAN}", " undo shutdown")
        assert dev.get_config() == before
    with VrpDriver(host, params(lab, host, wan_interface="GigabitEthernet0/2/1")) as dev:
        checks = {c.name: c for c in dev.health()}
        assert not checks["WAN up"].ok and "GigabitEthernet0/2/1" in checks["WAN up"].detail


def test_changed_host_key_is_a_trust_error_and_nothing_is_sent(lab):
    host = UBND
    known_hosts = lab.settings.known_hosts.read_bytes()
    seen = len(lab.log_entries(host))
    lab.fault(host, "hostkey")
    try:
        with pytest.raises(TrustError):
            VrpDriver(host, params(lab, host)).open()
        after = lab.log_entries(host)[seen:]
        assert not [e for e in after if e["event"] in ("login", "command", "exec", "scp")], after
        assert lab.settings.known_hosts.read_bytes() == known_hosts
    finally:
        lab.fault(host, "clear")
    with VrpDriver(host, params(lab, host)) as dev:     # its own key again: trusted
        assert dev.get_facts()["os_version"]


def test_unknown_host_is_a_trust_error(lab, tmp_path):
    host = UBND
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    for known_hosts in (str(empty), str(tmp_path / "missing"), None):
        p = params(lab, host)
        p.known_hosts = known_hosts
        with pytest.raises(TrustError):
            VrpDriver(host, p).open()


def test_refused_login_is_an_authentication_error(lab):
    host = UBND
    lab.fault(host, "refuse_login")
    try:
        with pytest.raises(AuthenticationError) as refused:
            VrpDriver(host, params(lab, host)).open()
        assert "lab-router-only" not in str(refused.value)
    finally:
        lab.fault(host, "clear")
    wrong = params(lab, host)
    wrong.password = "not-the-router-password"
    with pytest.raises(AuthenticationError) as refused:
        VrpDriver(host, wrong).open()
    assert "not-the-router-password" not in str(refused.value)


def test_refused_and_dropped_connections_are_connect_errors(lab):
    host = UBND
    with socket.socket() as probe:                      # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    nowhere = params(lab, host)
    nowhere.port = free
    with pytest.raises(ConnectError):
        VrpDriver(host, nowhere).open()
    dev = VrpDriver(host, params(lab, host))
    dev.open()
    try:
        lab.fault(host, "drop", "0")
        with pytest.raises(ConnectError):
            dev.get_config()
    finally:
        dev.close()
        lab.fault(host, "clear")


def test_secrets_are_redacted_from_the_diff(lab):
    host = UBND
    settled(lab, host)
    contact = "psk-Zx81-ubnd"                             # a secret the caller names (extra["secrets"])
    with VrpDriver(host, params(lab, host, secrets=[contact])) as dev:
        before = dev.get_config()
        intended = with_aaa(before, "local-user quantri password irreversible-cipher Quantri-Pass-93",
                            "local-user quantri service-type ssh")
        intended = with_lan_description(intended, f"LAN {contact}")
        assert contact in intended
        dev.load_candidate(intended)
        diff = dev.compare()
        dev.discard()
        assert dev.compare() == ""
    assert "+ local-user quantri password <redacted>" in diff
    assert "+ local-user quantri service-type ssh" in diff
    assert "+ description LAN <redacted>" in diff
    for secret in ("Quantri-Pass-93", "$1c$", contact, *SECRETS):
        assert secret not in diff, diff


def test_a_local_user_password_is_typed_at_the_hidden_prompt_never_written(lab):
    """A new local user gets its password at VRP's prompt (not in the candidate file, not in
    the lab's log); the next deploy of the same candidate changes nothing (the password opens
    the account); a new password is a change; the user goes with its lines."""
    host = QUAN_BA
    settled(lab, host)
    first, second = "Vanhanh-Pass-42", "Vanhanh-Pass-43"
    with VrpDriver(host, params(lab, host)) as dev:
        before = dev.get_config()
        user_lines = ("local-user vanhanh service-type ssh", "local-user vanhanh level 1")
        intended = with_aaa(before, f"local-user vanhanh password irreversible-cipher {first}", *user_lines)
        dev.load_candidate(intended)
        diff = dev.compare()
        assert "+ local-user vanhanh password <redacted>" in diff and first not in diff
        dev.commit(confirm_timeout=60)
        with lab.netmiko(host, "huawei_vrpv8") as cli:            # the file the router loaded
            loaded = cli.send_command("more gbtt-candidate.cfg")
        assert "local-user vanhanh service-type ssh" in loaded
        assert "local-user vanhanh password" not in loaded and first not in loaded
        assert not any(secret in loaded for secret in SECRETS)
        dev.confirm()
        after = dev.get_config()
        cipher = re.search(r"^ local-user vanhanh password irreversible-cipher (\S+)$", after, re.M).group(1)
        assert is_cipher(cipher)
        dev.load_candidate(intended)
        assert dev.compare() == ""                      # the password opens the account: no change
    with lab.netmiko(host, "huawei_vrpv8", username="vanhanh", password=first) as cli:   # it opens the account
        assert "Time Zone(ICT)" in cli.send_command("display clock")
    with VrpDriver(host, params(lab, host)) as dev:     # a new password: a change, then in sync again
        rotated = intended.replace(first, second)
        dev.load_candidate(rotated)
        diff = dev.compare()
        assert "- local-user vanhanh password <redacted>" in diff and "+ local-user vanhanh password <redacted>" in diff
        dev.commit(confirm_timeout=60)
        dev.confirm()
        dev.load_candidate(rotated)
        assert dev.compare() == ""
        assert dev.get_config() != after
    with pytest.raises(NetmikoAuthenticationException):
        lab.netmiko(host, "huawei_vrpv8", username="vanhanh", password=first)
    with VrpDriver(host, params(lab, host)) as dev:     # the user goes with its lines
        dev.load_candidate(before)
        assert "- local-user vanhanh password <redacted>" in dev.compare()
        dev.commit(confirm_timeout=60)
        dev.confirm()
        assert dev.get_config() == before
    logged = lab.settings.request_log.read_text(encoding="utf-8")
    assert first not in logged and second not in logged
    assert "(hidden input)" in logged


def test_a_backup_loads_back(lab):
    host = UBND
    settled(lab, host)
    with VrpDriver(host, params(lab, host)) as dev:
        saved = dev.backup()
        dev.load_candidate(saved)
        assert dev.compare() == ""


# =========================================================================================
# A session lost anywhere in a deploy: the router ends intended or as it was, truthfully said
# =========================================================================================

#: lines typed before the lab drops the session, spread over a whole deploy: login and reading
#: (3-6), copying and loading the candidate, commit trial (7-11), the health checks and a
#: rollback they trigger (12-13), the confirmation and its save (14-19), the cleanup (21)
LOST_AFTER = [5, 7, 9, 11, 12, 14, 15, 16, 17, 19, 21]


@pytest.mark.parametrize("lines", LOST_AFTER)
def test_a_session_lost_anywhere_leaves_the_router_intended_or_as_it_was(lab, lines, tmp_path):
    host = THANH_VAN
    settled(lab, host)
    variables = lab.host_variables(host)[host]
    lab.fault(host, "drift", "ntp-service", "unicast-server", "10.23.0.98")     # something to change
    with driver_for("huawei_vrp")(host, connection_params(variables)[0]) as dev:
        before = dev.get_config()
    lab.fault(host, "drop", str(lines))
    try:
        out = deploy(host, variables, confirm_timeout=60, backup_dir=tmp_path)
    finally:
        lab.fault(host, "clear")
    lab.fault(host, "expire")                       # the router's own trial timer runs out
    with driver_for("huawei_vrp")(host, connection_params(variables)[0]) as dev:
        after = dev.get_config()
    in_sync = not deploy(host, variables, check=True).changed
    assert in_sync or same(after, before), f"{lines} lines: neither intended nor as it was ({out.message})"
    if same(after, before) and not in_sync:
        assert out.failed, f"{lines} lines: the router was left as it was, but the run said {out.message!r}"
    if out.restored:
        assert same(after, before), f"{lines} lines: said restored, but is not ({out.message})"
    if out.failed and in_sync:
        assert "the change had gone through" in out.message, out.message
    if in_sync or out.restored:                     # written or put back: what runs is what boots
        with lab.netmiko(host, "huawei_vrpv8") as cli:
            assert same(cli.send_command("display saved-configuration"), after), f"{lines} lines: not saved"
    assert not any(secret in out.message for secret in SECRETS)


def test_the_last_deploy_leaves_it_intended(lab):
    host = THANH_VAN
    settled(lab, host)
    variables = lab.host_variables(host)[host]
    assert not deploy(host, variables, confirm_timeout=60).failed
    assert not deploy(host, variables, check=True).changed


# =========================================================================================
# Maintenance queries (checks/*.yml)
# =========================================================================================

def test_ask_display_and_ping_over_ssh(lab):
    host = UBND
    settled(lab, host)
    lab.fault(host, "drift", "clear")
    mcu = lab.address["quan-ba-mcu"]
    with VrpDriver(host, params(lab, host)) as dev:
        hostname = dev.get_facts()["hostname"]
        status = dev.ask({"display": "display ntp-service status"})
        assert status.startswith(" clock status: synchronized\n clock stratum: 3\n")
        assert dev.ask({"display": "display current-configuration | include ^sysname"}).strip() == f"sysname {hostname}"
        result = dev.ask({"ping": {"target": mcu, "repeat": 20}})
        assert {k: v for k, v in result.items() if k != "text"} == {
            "sent": 20, "received": 20, "loss_percent": 0.0, "rtt_min_ms": 1, "rtt_avg_ms": 1, "rtt_max_ms": 2}
        assert f"PING {mcu}: 56  data bytes" in result["text"]
        lab.fault(host, "drift", "line", "loss", "10", "latency", "180")
        try:
            lossy = dev.ask({"ping": {"target": mcu, "repeat": "20"}})
        finally:
            lab.fault(host, "drift", "line", "clear")
        assert (lossy["received"], lossy["loss_percent"]) == (18, 10.0) and 170 <= lossy["rtt_avg_ms"] <= 190
        dead = dev.ask({"ping": {"target": "192.0.2.7", "repeat": 3, "timeout": 1}})
        assert (dead["received"], dead["loss_percent"], dead["rtt_avg_ms"]) == (0, 100.0, None)
        with pytest.raises(DriverError, match="rejected 'display nonsense'") as rejected:
            dev.ask({"display": "display nonsense"})
        assert not isinstance(rejected.value, ConfigError)
        mark = len(lab.log_entries(host))
        for query in ({"display": "system-view"}, {"display": "display version\nsave"}, {"show": "show version"},
                      {"display": "display current-configuration | redirect x"}, {"ping": {"target": "quan-ba-mcu"}}):
            with pytest.raises(ConfigError):
                dev.ask(query)
        assert not [e for e in lab.log_entries(host)[mark:] if e["event"] == "command"]   # nothing sent
        assert dev.get_facts()["hostname"] == hostname          # the session goes on


@pytest.mark.parametrize("value", [
    "system-view", "dis version", "display", "display version\nsave", "display version\r", "save",
    "display current-configuration | save x", "display current-configuration |", "display current | include",
    "display version | no-more x", "", 42, None,
])
def test_display_queries_are_only_display_commands(value):
    with pytest.raises(ConfigError):
        display_command("r1", value)


def test_display_queries_keep_their_filters():
    assert display_command("r1", "display ntp-service status") == "display ntp-service status"
    assert display_command("r1", "  display  current-configuration | include ^ntp ") == \
        "display current-configuration | include ^ntp"
    assert display_command("r1", "display interface | i CRC | ex 0 packets | no-more") == \
        "display interface | i CRC | ex 0 packets | no-more"
    assert display_command("r1", "DISPLAY VERSION") == "DISPLAY VERSION"


@pytest.mark.parametrize("value", [
    {"target": "10.23.0.256"}, {"target": "mcu.example"}, {"target": "::1"}, {"repeat": 5},
    {"target": "10.23.15.2", "repeat": 0}, {"target": "10.23.15.2", "repeat": 101},
    {"target": "10.23.15.2", "repeat": True}, {"target": "10.23.15.2", "timeout": 11}, "10.23.15.2",
])
def test_ping_queries_are_checked(value):
    with pytest.raises(ConfigError):
        ping_query("r1", value)


def test_parsers_read_real_vrp_output():
    """Outputs as VRPv8 prints them (the NE40E ``display version`` of napalm-huawei-vrp's test data)."""
    version = parse_display_version(
        "Huawei Versatile Routing Platform Software\n"
        "VRP (R) software, Version 8.211 (NE40E V800R021C10SPC600)\n"
        "Copyright (C) 2012-2022 Huawei Technologies Co., Ltd.\n"
        "HUAWEI NE40E-X8A uptime is 405 days, 12 hours, 9 minutes\n"
        "Patch Version: V800R021SPH016\n")
    assert version == {"vendor": "Huawei", "model": "NE40E-X8A", "os_version": "V800R021C10SPC600",
                       "uptime": 405 * 86400 + 12 * 3600 + 9 * 60}
    ping = parse_ping("  PING 10.23.15.2: 56  data bytes, press CTRL_C to break\n"
                      "    Reply from 10.23.15.2: bytes=56 Sequence=1 ttl=255 time=162 ms\n"
                      "    Request time out\n\n"
                      "  --- 10.23.15.2 ping statistics ---\n    2 packet(s) transmitted\n"
                      "    1 packet(s) received\n    50.00% packet loss\n    round-trip min/avg/max = 162/162/162 ms\n")
    assert {k: v for k, v in ping.items() if k != "text"} == {
        "sent": 2, "received": 1, "loss_percent": 50.0, "rtt_min_ms": 162, "rtt_avg_ms": 162, "rtt_max_ms": 162}
    assert parse_ping("Error: Failed to resolve the host name mcu.\n") is None
    brief = parse_ip_interface_brief(
        "Interface                         IP Address/Mask      Physical   Protocol  VPN\n"
        "GigabitEthernet0/2/0              10.23.15.11/24       up         up        --\n"
        "GigabitEthernet0/2/2              unassigned           *down      down      --\n"
        "NULL0                             unassigned           up         up(s)     --\n")
    assert brief["GigabitEthernet0/2/0"].up and brief["GigabitEthernet0/2/0"].ip == "10.23.15.11"
    assert "administratively down" in brief["GigabitEthernet0/2/2"].describe() and brief["NULL0"].up
    routes = ("Destination/Mask    Proto   Pre  Cost        Flags NextHop         Interface\n\n"
              "        0.0.0.0/0   Static  60   0             RD  10.23.15.1      GigabitEthernet0/2/0\n"
              "     10.23.15.0/24  Direct  0    0             D   10.23.15.11     GigabitEthernet0/2/0\n")
    assert default_route_interface(routes) == ("GigabitEthernet0/2/0", "")
    assert default_route_interface(routes.splitlines()[-1])[0] is None
    assert latest_commit_id(" No.  CommitId      Label   User   Date\n 1    1000000114    -    gbtt   2025\n"
                            " 2    1000000113    -    gbtt   2025\n") == 1000000114
    assert is_cipher("$1c$IpUXHB2k\"D$eTmy%|D,_V9dBmWsy)d2FK}w-b=^!\"*V6M:<vh}R$") and not is_cipher("Pass-word-1")


def test_the_template_renders_what_the_router_shows(lab):
    """The rendered intended configuration parses in the lab router's grammar and renders back
    the same, but for the password (the driver's business)."""
    from gbtt.lab.huawei_vrp import Config, Interfaces
    variables = lab.host_variables(UBND)[UBND]
    params_, secrets = connection_params(variables)
    text = render.render_context(UBND, variables, secrets)
    config, errors = Config.parse(text, Interfaces())
    assert errors == []
    config.complete()
    def masked(source: str) -> list[str]:
        return [re.sub(r"irreversible-cipher \S+", "irreversible-cipher *", line) for line in config_lines(source)]

    assert masked(config.render()) == masked(text)
    assert "port shaping 4" in text and "lab-router-only" in text      # in memory only: the driver keeps it there
