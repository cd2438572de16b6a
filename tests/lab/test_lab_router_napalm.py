"""The lab's routers through stock NAPALM ``ios`` and netmiko ``cisco_ios`` over real SSH (and
SCP to ``flash:``) on loopback, host key checking on: every configuration method NAPALM has,
a replace with a typo that must fail and change nothing, and a commit whose revert timer
expires (lab time: a device minute is a few seconds, see the lab fixture)."""

from __future__ import annotations

import time

import pytest
from napalm import get_network_driver
from napalm.base.exceptions import ReplaceConfigException


def napalm(lab, host: str):
    driver = get_network_driver("ios")(
        "127.0.0.1", "gbtt", "lab-router-only", timeout=30,
        optional_args={"port": lab.ports[host], "secret": "lab-enable-only", "ssh_strict": True,
                       "alt_host_keys": True, "alt_key_file": str(lab.settings.known_hosts),
                       "allow_agent": False, "use_keys": False})
    driver.open()
    return driver


def running(dev) -> str:
    """The running configuration without IOS's comment lines ("! Last configuration change at …")
    and without the ``file prompt quiet`` NAPALM turns on for its file operations (until close)."""
    text = dev.get_config(retrieve="running")["running"]
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith("!") and line.strip() and line != "file prompt quiet")


def with_line(config: str, line: str) -> str:
    """``config`` (as read from the device) with one more global line before ``end``."""
    lines = [x for x in config.splitlines() if x.strip() != "end"]
    return "\n".join(lines + [line, "end"]) + "\n"


def test_facts_and_config(lab):
    host = "meo-vac-ubnd-router"
    dev = napalm(lab, host)
    try:
        facts = dev.get_facts()
        assert facts["hostname"] == host and facts["vendor"] == "Cisco" and facts["serial_number"]
        assert "ISR" in facts["model"]
        config = dev.get_config()
        assert f"hostname {host}" in config["running"] and config["startup"]
    finally:
        dev.close()


def test_replace_compare_commit_rollback(lab):
    host = "meo-vac-pai-lung-router"
    dev = napalm(lab, host)
    try:
        before = running(dev)
        dev.load_replace_candidate(config=with_line(before, "ntp server 10.23.0.51"))
        diff = dev.compare_config()
        assert "+ntp server 10.23.0.51" in diff
        dev.commit_config()
        assert "ntp server 10.23.0.51" in running(dev)
        dev.rollback()
        assert running(dev) == before
    finally:
        dev.close()
    scp = [e for e in lab.log_entries(host) if e["event"] == "scp"]
    assert scp, "the candidate went over SCP"


def test_replace_with_a_typo_fails_and_leaves_running_unchanged(lab):
    host = "meo-vac-pa-vi-router"
    dev = napalm(lab, host)
    try:
        before = running(dev)
        dev.load_replace_candidate(config=with_line(before, "ntp servr 10.23.0.99"))
        with pytest.raises(ReplaceConfigException):
            dev.commit_config()
        assert running(dev) == before
        dev.discard_config()
        assert dev.compare_config() == ""
    finally:
        dev.close()


def test_commit_confirm_kept_when_confirmed(lab):
    host = "meo-vac-giang-chu-phin-router"
    dev = napalm(lab, host)
    try:
        before = running(dev)
        dev.load_replace_candidate(config=with_line(before, "ntp server 10.23.0.52"))
        dev.commit_config(revert_in=60)
        assert dev.has_pending_commit()
        dev.confirm_commit()
        assert not dev.has_pending_commit()
        time.sleep(lab.seconds_per_minute * 2)
        assert "ntp server 10.23.0.52" in running(dev)
    finally:
        dev.close()


def test_commit_reverts_when_the_timer_expires(lab):
    host = "meo-vac-sung-tra-router"
    dev = napalm(lab, host)
    try:
        before = running(dev)
        dev.load_replace_candidate(config=with_line(before, "ntp server 10.23.0.53"))
        dev.commit_config(revert_in=60)
        assert "ntp server 10.23.0.53" in running(dev)
    finally:
        dev.close()
    time.sleep(lab.seconds_per_minute * 1 + 1.0)  # one device minute, then some
    dev = napalm(lab, host)
    try:
        assert running(dev) == before
        assert not dev.has_pending_commit()
    finally:
        dev.close()


def test_expire_fault_reverts_a_pending_commit_at_once(lab):
    host = "meo-vac-son-vi-router"
    dev = napalm(lab, host)
    try:
        before = running(dev)
        dev.load_replace_candidate(config=with_line(before, "ntp server 10.23.0.54"))
        dev.commit_config(revert_in=600)
        lab.fault(host, "expire")
        assert running(dev) == before
    finally:
        dev.close()


def test_reboot_loses_unsaved_configuration(lab):
    host = "meo-vac-xin-cai-router"
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        c.send_config_set(["ntp server 10.23.0.77"])
        assert "ntp server 10.23.0.77" in c.send_command("show running-config")
    lab.fault(host, "reboot")
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        assert "ntp server 10.23.0.77" not in c.send_command("show running-config")
        c.send_config_set(["ntp server 10.23.0.78"])
        c.save_config()
    lab.fault(host, "reboot")
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        assert "ntp server 10.23.0.78" in c.send_command("show running-config")


def test_invalid_config_line_and_drift(lab):
    host = "meo-vac-ta-lung-router"
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        out = c.send_config_set(["ntp servr 1.2.3.4"], error_pattern=None)
        assert "% Invalid input detected at '^' marker." in out
    lab.fault(host, "drift", "hostname", "someone-changed-it")
    dev = napalm(lab, host)
    try:
        assert dev.get_facts()["hostname"] == "someone-changed-it"
    finally:
        dev.close()
