"""``gbtt lab up|status|down|reset`` on a lab of its own: device state survives down/up, reset
restores the factory state, --limit serves a subset on the same ports, the inventory agrees."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, Lab, lab_base_port, run, tool


@pytest.fixture
def small_lab(tmp_path):
    handle = Lab(tmp_path / "lab", lab_base_port("lifecycle"), 60.0)
    yield handle
    handle.down()


def xconfig(lab, host: str, command: str) -> str:
    with lab.netmiko(host, "cisco_tp") as c:
        return c.send_command(command, expect_string=r"\n(OK|ERROR)\n", read_timeout=20)


def test_state_survives_down_and_up_and_reset_restores_factory(small_lab):
    lab, host = small_lab, "bac-quang-ubnd-codec"
    lab.up("--limit", "bac-quang-ubnd-*")
    xconfig(lab, host, 'xConfiguration SystemUnit Name: "Bắc Quang"')
    lab.down()
    assert (lab.settings.state_dir / "devices" / f"{host}.json").is_file()
    lab.up("--limit", "bac-quang-ubnd-*")
    assert '"Bắc Quang"' in xconfig(lab, host, "xConfiguration SystemUnit Name")
    proc = lab.gbtt("reset")
    assert proc.returncode == 0 and "factory state" in proc.stdout
    assert '"Bắc Quang"' not in xconfig(lab, host, "xConfiguration SystemUnit Name")


def test_limit_serves_a_subset_on_the_inventorys_ports(small_lab):
    lab = small_lab
    lab.up("--limit", "bac-quang")  # a system id: its MCU, codecs and routers
    status = json.loads(lab.gbtt("status", "--format", "json").stdout)
    served = status["devices"]
    system_hosts = {lab.registry.systems["bac-quang"].mcu.host}
    for ep in lab.registry.endpoints_of("bac-quang"):
        system_hosts |= {ep.codec.host, ep.router.host}
    assert set(served) == system_hosts
    assert all(d["port"] == lab.ports[h] for h, d in served.items())
    # the lab inventory points every host at the same port, without asking the lab
    proc = run([tool("ansible-inventory"), "-i", str(ROOT / "inventory" / "lab"), "--host", "bac-quang-mcu"],
               **lab.env)
    hostvars = json.loads(proc.stdout)
    assert hostvars["ansible_host"] == "127.0.0.1" and hostvars["ansible_port"] == lab.ports["bac-quang-mcu"]
    assert hostvars["gbtt_management_address"] == lab.address["bac-quang-mcu"]
    assert hostvars["gbtt_lab"]["known_hosts"] == str(lab.settings.known_hosts)


def test_up_twice_status_and_down_without_a_lab(small_lab):
    lab = small_lab
    assert lab.gbtt("status").returncode == 3  # no lab running
    lab.up("--limit", "*-mcu")
    again = lab.gbtt("up")
    assert again.returncode == 0 and "already running" in again.stdout
    out = lab.gbtt("status").stdout
    assert "13 devices" in out and "12 cisco_cms" in out and "1 pexip_infinity" in out and "no faults" in out
    lab.down()
    assert "no lab running" in lab.gbtt("down").stdout


def test_fault_on_an_unknown_host_or_kind_is_refused(small_lab):
    lab = small_lab
    lab.up("--limit", "tinh-mcu")
    proc = lab.gbtt("fault", "no-such-host", "reboot")
    assert proc.returncode != 0 and "no device 'no-such-host'" in proc.stderr
    proc = lab.gbtt("fault", "tinh-mcu", "melt")
    assert proc.returncode != 0 and "invalid choice" in proc.stderr
