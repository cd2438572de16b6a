"""The lab's VRPv8 routers through stock netmiko ``huawei_vrpv8`` over real SSH (and SFTP to
``cfcard:`` through paramiko on the same connection), host key checking on: the two-stage
configuration as an operator types it, ``load configuration file … replace`` with a file that
must fail and change nothing, ``commit trial`` kept by ``commit`` or reverted by its timer (lab
time: a device minute is a few seconds) or the ``expire`` fault, a reboot that loses what was
not saved, drift.  The routers are the Huawei ones of the Quản Bạ system; each test reads how
it finds them first."""

from __future__ import annotations

import io
import re
import time

import pytest
from netmiko.exceptions import NetmikoAuthenticationException

SYSTEM = r"(?m)^\[[~*][^\]\r\n]*\]"
USER = r"(?m)^<[^<>\r\n]+>"
ANY = r"(?m)^(?:<[^<>\r\n]+>|\[[~*][^\]\r\n]*\])"


def config(cli) -> str:
    """The running configuration without its "!" lines (they say when it changed)."""
    text = cli.send_command("display current-configuration", expect_string=ANY)
    return "\n".join(line for line in text.splitlines() if not line.startswith("!") and line.strip())


def typed(cli, *lines: str) -> str:
    """Lines typed in the system view (netmiko's own send_config_set spends seconds in timing
    reads: test_two_stage_configuration_as_typed uses it)."""
    if not cli.find_prompt().startswith("["):
        cli.send_command("system-view", expect_string=SYSTEM)
    return "".join(cli.send_command(line, expect_string=ANY) for line in lines)


def upload(cli, name: str, text: str) -> None:
    sftp = cli.remote_conn_pre.open_sftp()
    try:
        sftp.putfo(io.BytesIO(text.encode()), name)
    finally:
        sftp.close()


def with_ntp(text: str, server: str) -> str:
    line = "\nntp-service unicast-server "
    return text.replace(line, f"{line}{server}{line}", 1)


def settle(lab, host: str) -> None:
    lab.fault(host, "clear")
    lab.fault(host, "expire")


def test_facts_and_configuration(lab):
    host = "quan-ba-ubnd-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        prompt = cli.find_prompt()
        assert re.fullmatch(r"<\S+>", prompt) and cli.base_prompt == prompt[1:-1]
        version = cli.send_command("display version", expect_string=USER)
        assert "VRP (R) software, Version 8.221 (NetEngine 8000 V800R022C10SPC500)" in version
        assert re.search(r"^HUAWEI NetEngine 8000 M1C uptime is \d+ days?, \d+ hours?, \d+ minutes?$", version, re.M)
        text = cli.send_command("display current-configuration", expect_string=USER)
        assert text.startswith("!Software Version V800R022C10SPC500\n") and text.rstrip().endswith("return")
        assert f"sysname {prompt[1:-1]}" in text


def test_two_stage_configuration_as_typed(lab):
    host = "quan-ba-nghia-thuan-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        out = cli.send_config_set(["ntp-service unicast-server 10.23.0.51"])
        assert "Error" not in out and cli.find_prompt().startswith("[*")
        assert config(cli) == before                                  # not committed yet
        assert "+ntp-service unicast-server 10.23.0.51" in cli.send_command(
            "display configuration candidate changes", expect_string=SYSTEM)
        assert "Error" not in cli.commit()
        assert "ntp-service unicast-server 10.23.0.51" in config(cli)
        typed(cli, "undo ntp-service unicast-server 10.23.0.51", "commit")
        assert config(cli) == before
        out = cli.send_config_set(["ntp-service unicast-servr 10.23.0.52"])
        assert "Error: Unrecognized command found at '^' position." in out
        cli.send_command("return", expect_string=USER)


def test_load_replace_commit_and_rollback(lab):
    host = "quan-ba-thanh-van-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        upload(cli, "candidate.cfg", with_ntp(before, "10.23.0.53"))
        assert "candidate.cfg" in cli.send_command("dir", expect_string=USER)
        ids = re.findall(r"^\s*\d+\s+(\d{10})\s", cli.send_command("display configuration commit list",
                                                                    expect_string=USER), re.M)
        cli.send_command("system-view", expect_string=SYSTEM)
        assert "Error" not in cli.send_command("load configuration file candidate.cfg replace", expect_string=SYSTEM)
        assert cli.find_prompt().startswith("[*")
        cli.send_command("commit", expect_string=SYSTEM)
        cli.send_command("return", expect_string=USER)
        assert "ntp-service unicast-server 10.23.0.53" in config(cli)
        out = cli.send_command(f"rollback configuration to commit-id {ids[0]}", expect_string=r"\[Y/N\]")
        out += cli.send_command("y", expect_string=USER)
        assert "rolled back" in out and config(cli) == before
    assert [e for e in lab.log_entries(host) if e["event"] == "scp" and "candidate.cfg" in e["detail"]]


def test_a_file_with_a_typo_fails_and_changes_nothing(lab):
    host = "quan-ba-thanh-van-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        upload(cli, "typo.cfg", with_ntp(before, "10.23.0.54").replace("ntp-service unicast-server 10.23.0.54",
                                                                       "ntp-service unicast-servr 10.23.0.54"))
        cli.send_command("system-view", expect_string=SYSTEM)
        out = cli.send_command("load configuration file typo.cfg replace", expect_string=SYSTEM)
        assert "ntp-service unicast-servr 10.23.0.54" in out and "The candidate configuration is not changed" in out
        assert cli.find_prompt().startswith("[~")
        cli.send_command("return", expect_string=USER)
        assert config(cli) == before


def test_commit_trial_kept_when_confirmed(lab):
    host = "quan-ba-quan-ba-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        out = typed(cli, "ntp-service unicast-server 10.23.0.55", "commit trial 60")
        assert "The system will revert to previous configuration if the trial configuration is not confirmed in 60 " \
               "seconds" in out
        refused = cli.send_command("sysname x", expect_string=SYSTEM)
        assert "Error: The system is in the configuration trial mode" in refused
        cli.send_command("commit", expect_string=SYSTEM)
        cli.send_command("return", expect_string=USER)
        time.sleep(lab.seconds_per_minute * 1.5)
        assert "ntp-service unicast-server 10.23.0.55" in config(cli)
        typed(cli, "undo ntp-service unicast-server 10.23.0.55", "commit", "quit")
        assert config(cli) == before


def test_commit_trial_reverts_when_its_timer_runs_out(lab):
    host = "quan-ba-quan-ba-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        typed(cli, "ntp-service unicast-server 10.23.0.56", "commit trial 60")
        cli.send_command("return", expect_string=USER)
        assert "ntp-service unicast-server 10.23.0.56" in config(cli)
    time.sleep(lab.seconds_per_minute * 1 + 1.0)       # one device minute, then some
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert config(cli) == before
        assert "trial rollback" in cli.send_command("display configuration commit list verbose", expect_string=USER)


def test_expire_fault_and_abort_trial(lab):
    host = "quan-ba-quan-ba-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        before = config(cli)
        typed(cli, "ntp-service unicast-server 10.23.0.57", "commit trial 3600")
        lab.fault(host, "expire")
        cli.send_command("return", expect_string=USER)
        assert config(cli) == before
        typed(cli, "ntp-service unicast-server 10.23.0.58", "commit trial 3600")
        out = cli.send_command("abort trial", expect_string=r"\[Y/N\]")
        out += cli.send_command("y", expect_string=SYSTEM)
        assert "rolled back" in out
        cli.send_command("return", expect_string=USER)
        assert config(cli) == before


def test_reboot_loses_what_was_not_saved(lab):
    host = "quan-ba-nghia-thuan-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        saved = cli.send_command("display saved-configuration", expect_string=USER)
        typed(cli, "ntp-service unicast-server 10.23.0.77", "commit", "quit")
        assert "ntp-service unicast-server 10.23.0.77" in config(cli)
    lab.fault(host, "reboot")
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert "ntp-service unicast-server 10.23.0.77" not in config(cli)
        assert cli.send_command("display saved-configuration", expect_string=USER) == saved
        typed(cli, "ntp-service unicast-server 10.23.0.78", "commit", "quit")
        assert "Info: Save the configuration successfully." in cli.save_config()
    lab.fault(host, "reboot")
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        assert "ntp-service unicast-server 10.23.0.78" in config(cli)
        typed(cli, "undo ntp-service unicast-server 10.23.0.78", "commit", "quit")
        cli.save_config()


def test_drift_and_local_user_logins(lab):
    host = "quan-ba-ubnd-router"
    settle(lab, host)
    with lab.netmiko(host, "huawei_vrpv8") as cli:
        name = cli.base_prompt
    lab.fault(host, "drift", "sysname", "someone-changed-it")
    try:
        with lab.netmiko(host, "huawei_vrpv8") as cli:
            assert cli.find_prompt() == "<someone-changed-it>"
    finally:
        lab.fault(host, "drift", "sysname", name)
    with pytest.raises(NetmikoAuthenticationException):
        lab.netmiko(host, "huawei_vrpv8", username="nobody", password="Nobody-Pass-1")
