"""A system of mixed platforms, from the inventory alone: the lab's Quản Bạ system has a Pexip
Infinity MCU, Poly and Cisco codecs, Huawei and Cisco routers (inventory/lab/registry overlays).
The same playbooks deploy it (the whole system in one run, then nothing to do) and maintain it
(one record, every device reachable, the same checks per class whatever the platform, none in
error).  The cascade across platforms is tests/interconnect/test_interconnect_lab.py's."""

from __future__ import annotations

from collections import Counter

import yaml

from conftest import ROOT, run, tool
from gbtt import checks as ck
from gbtt import maintenance as mt

SYSTEM, GROUP = "quan-ba", "sys_quan_ba"
LAB_INV = str(ROOT / "inventory" / "lab")
OPERATOR_IDS = ("operator-fire-safety", "operator-power", "operator-environment", "operator-camera-care")


def test_the_lab_system_mixes_platforms_of_every_class(lab):
    platforms = Counter((d.device_class, d.platform) for d in lab.registry.devices() if d.system == SYSTEM)
    assert {p for (_, p) in platforms} == {"poly_group", "cisco_ce", "huawei_vrp", "cisco_ios", "pexip_infinity"}
    assert platforms[("mcu", "pexip_infinity")] == 1


def test_one_run_deploys_the_whole_mixed_system_and_a_second_changes_nothing(lab, tmp_path):
    args = [tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / "site.yml"), "--limit", GROUP,
            "-e", f"gbtt_backup_dir={tmp_path / 'backups'}", "-e", f"gbtt_audit_log={tmp_path / 'audit.log'}"]
    first = run(args, **lab.env)
    assert first.returncode == 0, first.stdout[-4000:]
    hosts = {d.host for d in lab.registry.devices() if d.system == SYSTEM}
    assert all(f"{h} " in first.stdout for h in hosts)
    assert "failed=0" in first.stdout and "failed=1" not in first.stdout
    second = run(args, **lab.env)
    assert second.returncode == 0, second.stdout[-4000:]
    assert "changed=1" not in second.stdout, second.stdout[-4000:]


def test_the_maintenance_job_maintains_the_mixed_system(lab, tmp_path):
    confirm = tmp_path / "confirm.yml"
    confirm.write_text(yaml.safe_dump({"gbtt_operator_checks": {"confirmed_by": "Nguyễn Văn An",
                                                               "items": {"*": {i: "pass" for i in OPERATOR_IDS}}}},
                                      allow_unicode=True), encoding="utf-8")
    deploy = run([tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / "site.yml"), "--limit", GROUP,
                  "-e", f"gbtt_backup_dir={tmp_path / 'backups'}"], **lab.env)
    assert deploy.returncode == 0, deploy.stdout[-3000:]
    proc = run([tool("ansible-playbook"), "-i", LAB_INV, str(ROOT / "playbooks" / "maintenance.yml"), "--limit", GROUP,
                "-e", f"gbtt_records_dir={tmp_path / 'records'}", "-e", f"gbtt_reports_dir={tmp_path / 'reports'}",
                "-e", f"@{confirm}"], **lab.env)
    assert proc.returncode == 0, proc.stdout[-4000:]
    (record,) = mt.records(tmp_path / "records", SYSTEM)
    doc = mt.read(record)
    assert doc["complete"] and doc["missing"] == []
    checks = ck.load()
    by_platform = {}
    for device in doc["devices"]:
        assert device["reachable"], device["host"]
        results = {r["check"]: r for r in device["results"]}
        errors = {c: r["detail"] for c, r in results.items() if r["status"] == "error"}
        assert not errors, (device["host"], errors)
        assert results["config-compliance"]["status"] == "pass", (device["host"], results["config-compliance"])
        assert results["software-baseline"]["status"] == "pass", device["host"]
        expected = {c.id for c in checks if c.applies(device["device_class"], device["platform"])}
        assert set(results) == expected, device["host"]
        by_platform.setdefault(device["device_class"], {})[device["platform"]] = set(results)
    for device_class, platforms in by_platform.items():
        assert len(set(map(frozenset, platforms.values()))) == 1, (device_class, platforms)
    html = next((tmp_path / "reports").iterdir()) / f"{SYSTEM}.html"
    assert "Hệ thống giao ban trực tuyến huyện Quản Bạ" in html.read_text(encoding="utf-8")
