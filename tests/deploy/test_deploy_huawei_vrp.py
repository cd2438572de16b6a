"""The router playbook (playbooks/router.yml, the real ansible-playbook) on the lab's Huawei
VRPv8 routers of the Quản Bạ system: check mode shows the diff and touches nothing, a run
changes (backup, audit), the next changes nothing; a change that fails its health check is
rolled back and said so; refused logins and changed host keys fail the host before any write;
no secret shows anywhere, even at -vvvv.  No test assumes how a router was left: each drifts
it first when it needs a change to happen."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from conftest import ROOT, run, tool
from gbtt.deploy import connection_params
from gbtt.drivers.huawei_vrp import VrpDriver, config_lines

LAB_INV = str(ROOT / "inventory" / "lab")
SECRETS = ("lab-codec-only", "lab-router-only", "lab-enable-only", "lab-mcu-only", "lab-technician-only",
           "lab-operator-only")
UBND, NGHIA_THUAN, THANH_VAN, QUAN_BA = ("quan-ba-ubnd-router", "quan-ba-nghia-thuan-router",
                                         "quan-ba-thanh-van-router", "quan-ba-quan-ba-router")


def playbook(lab, tmp_path: Path, *args: str):
    proc = run([tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / "router.yml"),
                "-e", f"gbtt_backup_dir={tmp_path / 'backups'}", "-e", f"gbtt_audit_log={tmp_path / 'audit.log'}",
                *args], **lab.env)
    recap = {m["host"]: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m["counts"])}
             for m in re.finditer(r"^(?P<host>[\w.-]+)\s+: (?P<counts>ok=.*)$", proc.stdout, re.M)}
    return proc, recap


def running(lab, host: str) -> str:
    params, _ = connection_params(lab.host_variables(host)[host])
    with VrpDriver(host, params) as dev:
        return dev.get_config()


def drifted(lab, host: str, server: str) -> str:
    """The router with one NTP server the registry does not have (a deploy has to remove it)."""
    lab.fault(host, "clear")
    lab.fault(host, "expire")
    lab.fault(host, "drift", "ntp-service", "unicast-server", server)
    return running(lab, host)


def test_check_mode_then_a_change_then_nothing_to_do(lab, tmp_path):
    hosts = [QUAN_BA, NGHIA_THUAN]
    before = {host: drifted(lab, host, "10.23.0.97") for host in hosts}
    proc, recap = playbook(lab, tmp_path, "--limit", ",".join(hosts), "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[h]["changed"] == 1 and recap[h]["failed"] == 0 for h in hosts), recap
    assert "-ntp-service unicast-server 10.23.0.97" in proc.stdout
    assert not (tmp_path / "audit.log").exists() and not (tmp_path / "backups").exists()
    assert all(running(lab, h) == before[h] for h in hosts)             # check mode touched nothing

    proc, recap = playbook(lab, tmp_path, "--limit", ",".join(hosts), "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[h]["changed"] == 1 and recap[h]["failed"] == 0 for h in hosts), recap
    for host in hosts:
        assert "ntp-service unicast-server 10.23.0.97" not in running(lab, host)
        (backup,) = (tmp_path / "backups" / host).glob("*.cfg")
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert config_lines(backup.read_text()) == config_lines(before[host])
    audit = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert {a["host"] for a in audit} == set(hosts) and all(a["result"] == "changed" for a in audit)

    again, recap = playbook(lab, tmp_path, "--limit", ",".join(hosts))
    assert again.returncode == 0 and all(recap[h]["changed"] == 0 for h in hosts), again.stdout[-2000:]


def test_a_change_failing_its_health_check_is_rolled_back(lab, tmp_path):
    host = THANH_VAN
    before = drifted(lab, host, "10.23.0.96")
    # the health check looks for the management interface at this address: none has it
    proc, recap = playbook(lab, tmp_path, "--limit", host, "-e", "gbtt_management_address=10.99.99.99",
                           "-e", "router_confirm_timeout=600")
    assert recap[host]["failed"] == 1
    assert "health check failed after the change, rolled back" in proc.stdout
    assert "no interface has 10.99.99.99" in proc.stdout
    assert config_lines(running(lab, host)) == config_lines(before)
    audit = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert audit[-1]["host"] == host and audit[-1]["result"] == "failed" and audit[-1]["restored"] is True


def test_faults_fail_the_host_without_writing(lab, tmp_path):
    refused, changed_key = UBND, QUAN_BA
    for host in (refused, changed_key):
        drifted(lab, host, "10.23.0.95")
    lab.fault(refused, "refuse_login")
    lab.fault(changed_key, "hostkey")
    try:
        proc, recap = playbook(lab, tmp_path, "--limit", f"{refused},{changed_key}")
    finally:
        lab.fault(refused, "clear")
        lab.fault(changed_key, "clear")
    assert proc.returncode != 0
    assert recap[refused]["failed"] == 1 and recap[changed_key]["failed"] == 1
    assert "login refused (not retried)" in proc.stdout and "refused before any write" in proc.stdout
    for host in (refused, changed_key):
        assert "ntp-service unicast-server 10.23.0.95" in running(lab, host)
    assert not (tmp_path / "audit.log").exists()


def test_no_secret_in_any_output_even_at_maximum_verbosity(lab, tmp_path):
    host = UBND
    drifted(lab, host, "10.23.0.94")
    proc, recap = playbook(lab, tmp_path, "--limit", host, "-vvvv", "--diff")
    assert recap[host]["changed"] == 1 and recap[host]["failed"] == 0, proc.stdout[-2000:]
    texts = [proc.stdout, proc.stderr, (tmp_path / "audit.log").read_text()]
    texts += [path.read_text() for path in (tmp_path / "backups").rglob("*.cfg")]
    texts.append(lab.settings.request_log.read_text(encoding="utf-8"))
    for secret in SECRETS:
        assert not any(secret in text for text in texts), f"{secret} leaked"
    assert "-ntp-service unicast-server 10.23.0.94" in proc.stdout          # the diff is shown
