"""The deploy playbooks against the lab, through the real ansible-playbook: a first run changes,
a second changes nothing, check mode touches nothing, faults end as the issue says, and no
secret shows up anywhere, even at -vvvv."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from conftest import ROOT, run, tool

LAB_INV = str(ROOT / "inventory" / "lab")
SECRETS = ("lab-codec-only", "lab-router-only", "lab-enable-only", "lab-mcu-only", "lab-technician-only",
           "lab-operator-only")


def playbook(lab, tmp_path: Path, name: str, *args: str, env: dict | None = None):
    proc = run([tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / name),
                "-e", f"gbtt_backup_dir={tmp_path / 'backups'}", "-e", f"gbtt_audit_log={tmp_path / 'audit.log'}",
                *args], **{**lab.env, **(env or {})})
    recap = {m["host"]: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m["counts"])}
             for m in re.finditer(r"^(?P<host>[\w.-]+)\s+: (?P<counts>ok=.*)$", proc.stdout, re.M)}
    return proc, recap


def codecs_of(lab, system: str) -> list[str]:
    return [ep.codec.host for ep in lab.registry.endpoints_of(system)]


def test_codec_deploy_is_idempotent_with_backups_and_audit(lab, tmp_path):
    hosts = codecs_of(lab, "quang-binh")[:3]
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", ",".join(hosts), "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[h]["changed"] == 1 and recap[h]["failed"] == 0 for h in hosts)
    assert "+xConfiguration Conference AutoAnswer Mute: On" in proc.stdout
    audit = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert {a["host"] for a in audit} == set(hosts) and all(a["result"] == "changed" for a in audit)
    for h in hosts:
        backups = list((tmp_path / "backups" / h).glob("*.cfg"))
        assert len(backups) == 1 and stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    again, recap = playbook(lab, tmp_path, "codec.yml", "--limit", ",".join(hosts))
    assert again.returncode == 0 and all(recap[h]["changed"] == 0 for h in hosts), again.stdout[-2000:]


def test_check_mode_touches_nothing(lab, tmp_path):
    host = codecs_of(lab, "quang-binh")[3]
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", host, "--check", "--diff")
    assert proc.returncode == 0 and recap[host]["changed"] == 1
    assert not (tmp_path / "audit.log").exists() and not (tmp_path / "backups").exists()
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", host)
    assert recap[host]["changed"] == 1  # the check run left the codec as it was


def test_mcu_deploy_is_idempotent(lab, tmp_path):
    proc, recap = playbook(lab, tmp_path, "mcu.yml", "--limit", "quang-binh-mcu")
    assert proc.returncode == 0 and recap["quang-binh-mcu"]["changed"] == 1, proc.stdout[-2000:]
    proc, recap = playbook(lab, tmp_path, "mcu.yml", "--limit", "quang-binh-mcu")
    assert recap["quang-binh-mcu"]["changed"] == 0


@pytest.mark.parametrize("strategy", ["linear", "free"])
def test_the_builtin_strategies_deploy_the_same(lab, tmp_path, strategy):
    """ansible.cfg's gbtt strategy runs device tasks on controller threads; Ansible's own
    strategies (forked workers) give the same results."""
    hosts = codecs_of(lab, "quang-binh")[12:14] if strategy == "linear" else codecs_of(lab, "quang-binh")[14:16]
    env = {"ANSIBLE_STRATEGY": strategy}
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", ",".join(hosts), "--diff", env=env)
    assert proc.returncode == 0 and all(recap[h]["changed"] == 1 for h in hosts), proc.stdout[-2000:]
    assert "+xConfiguration Conference AutoAnswer Mute: On" in proc.stdout
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", ",".join(hosts), env=env)
    assert proc.returncode == 0 and all(recap[h]["changed"] == 0 for h in hosts)


def test_faults_fail_the_host_without_writing_and_the_run_goes_on(lab, tmp_path):
    refused, changed_key, fine = codecs_of(lab, "quang-binh")[4:7]
    lab.fault(refused, "refuse_login")
    lab.fault(changed_key, "hostkey")
    try:
        proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", f"{refused},{changed_key},{fine}",
                               env={"GBTT_SUMMARY_JSON": str(tmp_path / "summary.json")})
    finally:
        lab.fault(refused, "clear")
        lab.fault(changed_key, "clear")
    assert proc.returncode != 0
    assert recap[refused]["failed"] == 1 and recap[changed_key]["failed"] == 1
    assert recap[fine]["changed"] == 1  # the others are deployed all the same
    assert "login refused (not retried)" in proc.stdout
    assert "refused before any write" in proc.stdout
    logins = [e for e in lab.log_entries(refused) if e["event"] == "login"]
    assert len(logins) <= 2  # one attempt (paramiko may try twice within one connection), no loop
    # the summary after the recap: totals, then one line per device that did not stay in sync
    summary = proc.stdout.split("GBTT SUMMARY", 1)[1].splitlines()[1:]
    assert summary[0] == "3 devices: 0 in sync, 1 changed, 2 failed"
    lines = {line.split()[1]: line.split()[0] for line in summary[1:4]}
    assert lines == {fine: "changed", refused: "failed", changed_key: "failed"}
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert doc["totals"]["failed"] == 2 and doc["totals"]["changed"] == 1
    assert {h["host"]: h["state"] for h in doc["hosts"]} == lines


def test_drop_mid_push_restores_the_codec_and_reports_it(lab, tmp_path):
    host = codecs_of(lab, "quang-binh")[7]
    before = None
    with lab.netmiko(host, "cisco_tp") as c:
        before = c.send_command("xConfiguration Conference", expect_string=r"\n(OK|ERROR)\n")
    lab.fault(host, "drop", "4")  # a few lines after login: mid-push
    try:
        proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", host)
    finally:
        lab.fault(host, "clear")
    assert recap[host]["failed"] == 1
    assert "(restored to the previous configuration)" in proc.stdout, proc.stdout[-2000:]
    with lab.netmiko(host, "cisco_tp") as c:
        after = c.send_command("xConfiguration Conference", expect_string=r"\n(OK|ERROR)\n")
    assert after == before


def test_no_secret_in_any_output_even_at_maximum_verbosity(lab, tmp_path):
    hosts = codecs_of(lab, "quang-binh")[8:10] + ["quang-binh-mcu"]
    proc, _ = playbook(lab, tmp_path, "site.yml", "--limit", ",".join(hosts), "-vvvv", "--diff")
    texts = [proc.stdout, proc.stderr]
    if (tmp_path / "audit.log").exists():
        texts.append((tmp_path / "audit.log").read_text())
    for folder, _, files in os.walk(tmp_path):
        texts += files
    for secret in SECRETS:
        assert not any(secret in t for t in texts), f"{secret} leaked"


def test_drift_is_reported_and_repaired(lab, tmp_path):
    host, refused = codecs_of(lab, "quang-binh")[10:12]
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", f"{host},{refused}")
    assert recap[host]["failed"] == 0
    lab.fault(host, "drift", "SystemUnit Name", "Phòng họp cũ")  # a person at the codec
    lab.fault(refused, "refuse_login")
    report = tmp_path / "drift.json"
    drift = ("drift.yml", "-e", f"gbtt_drift_json={report}", "-e", f"gbtt_drift_markdown={tmp_path / 'drift.md'}",
             "-e", "gbtt_fail_on_drift=true")
    try:   # --limit names devices only: the report is written on the controller all the same
        proc, recap = playbook(lab, tmp_path, *drift, "--limit", f"{host},{refused}")
    finally:
        lab.fault(refused, "clear")
    assert proc.returncode != 0 and "drift found (Art. 3.3" in proc.stdout
    doc = json.loads(report.read_text())
    assert doc["counts"] == {"drift": 1, "failed": 1}
    entry = next(h for h in doc["hosts"] if h["host"] == host)
    assert entry["state"] == "drift" and "Phòng họp cũ" in entry["diff"]
    assert "## " + host + ": drift" in (tmp_path / "drift.md").read_text()
    proc, recap = playbook(lab, tmp_path, "site.yml", "--limit", host)
    assert recap[host]["changed"] == 1
    proc, _ = playbook(lab, tmp_path, *drift, "--limit", host)
    assert proc.returncode == 0 and json.loads(report.read_text())["counts"] == {"in sync": 1}


def test_backup_playbook_saves_without_changing(lab, tmp_path):
    host = "quang-binh-mcu"
    proc, recap = playbook(lab, tmp_path, "backup.yml", "--limit", host)
    assert proc.returncode == 0 and recap[host]["changed"] == 0
    saved = list((tmp_path / "backups" / host).glob("*.cfg"))
    assert len(saved) == 1 and saved[0].read_text().strip()


def test_router_change_failing_its_health_check_is_rolled_back(lab, tmp_path):
    host = [ep.router.host for ep in lab.registry.endpoints_of("quang-binh")][0]
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        before = c.send_command("show running-config")
    # the health check looks for the management interface at this address: none has it
    proc, recap = playbook(lab, tmp_path, "router.yml", "--limit", host,
                           "-e", "gbtt_management_address=10.99.99.99", "-e", "router_confirm_timeout=600")
    assert recap[host]["failed"] == 1
    assert "health check failed after the change, rolled back" in proc.stdout
    with lab.netmiko(host, "cisco_ios") as c:
        c.enable()
        after = c.send_command("show running-config")

    def config_lines(text: str) -> list[str]:
        return [x for x in text.splitlines() if x.strip() and x != "file prompt quiet"
                and not x.startswith(("!", "Building configuration", "Current configuration"))]
    assert config_lines(after) == config_lines(before)
    audit = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert audit[-1]["host"] == host and audit[-1]["result"] == "failed" and audit[-1]["restored"] is True


def test_role_settings_that_differ_per_host_are_templated_per_host(lab, tmp_path):
    """The roles read their settings with ``settings_from`` and template a value once per run for
    the hosts that give it the same value: one naming the host is still the host's own."""
    hosts = codecs_of(lab, "quang-binh")[4:6]
    per_host = str(tmp_path / "audit-{{ inventory_hostname }}.log")
    proc, recap = playbook(lab, tmp_path, "codec.yml", "--limit", ",".join(hosts), "-e", f"codec_audit_log={per_host}",
                           "-e", "codec_confirm_timeout=120")
    assert proc.returncode == 0 and all(recap[h]["changed"] == 1 for h in hosts), proc.stdout[-3000:]
    for h in hosts:
        entries = [json.loads(x) for x in (tmp_path / f"audit-{h}.log").read_text().splitlines()]
        assert [e["host"] for e in entries] == [h]
    assert not (tmp_path / "audit.log").exists()
    assert {h.name for h in (tmp_path / "backups").iterdir()} == set(hosts)   # gbtt_backup_dir, shared
