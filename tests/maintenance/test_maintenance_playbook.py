"""playbooks/maintenance.yml as a scheduled job runs it: unattended, over a whole system of the
lab province, through the real ansible-playbook; it leaves one record per system and the
reports, continues past an unreachable device (recorded as failed checks), and
`gbtt maintenance due` then tells the truth.  The Bắc Mê system is this file's."""

from __future__ import annotations

import json

import yaml

from conftest import ROOT, run, tool
from gbtt import checks as ck
from gbtt import maintenance as mt
from gbtt.maintenance import check_device

SYSTEM, GROUP = "bac-me", "sys_bac_me"
OPERATOR_IDS = ("operator-fire-safety", "operator-power", "operator-environment", "operator-camera-care")


def maintenance(lab, tmp_path, *extra: str):
    return run([tool("ansible-playbook"), "-i", str(ROOT / "inventory" / "lab"),
                str(ROOT / "playbooks" / "maintenance.yml"), "--limit", GROUP,
                "-e", f"gbtt_records_dir={tmp_path / 'records'}", "-e", f"gbtt_reports_dir={tmp_path / 'reports'}",
                *extra], **lab.env)


def confirmations(tmp_path):
    path = tmp_path / "confirm.yml"
    path.write_text(yaml.safe_dump({"gbtt_operator_checks": {"confirmed_by": "Nguyễn Văn An",
                                                             "items": {"*": {i: "pass" for i in OPERATOR_IDS}}}},
                                   allow_unicode=True), encoding="utf-8")
    return f"@{path}"


def due(lab, tmp_path, *extra):
    return run([tool("gbtt"), "maintenance", "due", "-i", str(ROOT / "inventory" / "lab"), "--records",
                str(tmp_path / "records"), "--system", SYSTEM, *extra])


def test_an_unattended_run_leaves_records_and_reports_and_due_tells_the_truth(lab, tmp_path):
    assert due(lab, tmp_path).returncode == 1                      # never maintained
    proc = maintenance(lab, tmp_path, "-e", confirmations(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    (first,) = mt.records(tmp_path / "records", SYSTEM)
    doc = mt.read(first)
    hosts = {d["host"] for d in doc["devices"]}
    expected = {dev.host for dev in lab.registry.devices() if dev.system == SYSTEM}
    assert hosts == expected and doc["missing"] == [] and doc["complete"], doc["missing"]
    assert all(d["reachable"] for d in doc["devices"])
    codec = next(d for d in doc["devices"] if d["device_class"] == "codec")
    assert {r["check"] for r in codec["results"]} >= {"reachable", "software-baseline", "config-compliance",
                                                       "peripherals", "call-registration", "ntp-synchronised"}
    assert all(r["status"] == "pass" for rows in doc["operator"].values() for r in rows)
    (run_dir,) = (tmp_path / "reports").iterdir()
    html = (run_dir / f"{SYSTEM}.html").read_text(encoding="utf-8")
    assert "Hệ thống giao ban trực tuyến huyện Bắc Mê" in html and "Hồ sơ bảo trì đầy đủ" in html
    assert (run_dir / "index.html").is_file() and (run_dir / f"{SYSTEM}.csv").is_file()

    ok = due(lab, tmp_path, "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["systems"][0]["state"] == "ok"

    # a router stops taking the login: the run goes on, the router is recorded, the record is
    # incomplete, and the system stays maintained on the day of the first (complete) record
    router = next(h for h in sorted(expected) if h.endswith("-router"))
    lab.fault(router, "refuse_login")
    try:
        again = maintenance(lab, tmp_path, "-e", confirmations(tmp_path))
    finally:
        lab.fault(router, "clear")
    assert again.returncode == 0, again.stdout[-3000:]
    first_doc, second_doc = (mt.read(p) for p in mt.records(tmp_path / "records", SYSTEM))
    assert second_doc["previous"] == first.name and not second_doc["complete"]
    refused = next(d for d in second_doc["devices"] if d["host"] == router)
    statuses = {r["check"]: r["status"] for r in refused["results"]}
    assert statuses.pop("reachable") == "fail" and set(statuses.values()) == {"not-run"}
    assert all(d["reachable"] for d in second_doc["devices"] if d["host"] != router)
    later = json.loads(due(lab, tmp_path, "--format", "json").stdout)["systems"][0]
    assert later["state"] == "ok" and later["last"] == later["last_attempt"]
    newest = sorted((tmp_path / "reports").iterdir())[-1]
    assert "So với lần kiểm tra trước" in (newest / f"{SYSTEM}.html").read_text(encoding="utf-8")


def test_without_the_operators_confirmation_the_record_is_incomplete(lab, tmp_path):
    proc = maintenance(lab, tmp_path, "-e", "gbtt_fail_on_findings=true")
    assert proc.returncode != 0                                    # findings: the scheduler sees a failure
    (path,) = mt.records(tmp_path / "records", SYSTEM)
    doc = mt.read(path)
    assert not doc["complete"]
    assert {r["status"] for rows in doc["operator"].values() for r in rows} == {"unconfirmed"}
    assert due(lab, tmp_path).returncode == 1


def test_a_healthy_deployed_system_passes_every_check(lab, tmp_path):
    """After playbooks/site.yml, every check of every device of the system passes; the lab's
    devices all booted with the lab, so `uptime` warns (rebooted within the last day) and nothing
    else may; a codec that has not been in a call yet has no call quality (n/a)."""
    deploy = run([tool("ansible-playbook"), "-i", str(ROOT / "inventory" / "lab"), str(ROOT / "playbooks" / "site.yml"),
                  "--limit", GROUP, "-e", f"gbtt_backup_dir={tmp_path / 'backups'}",
                  "-e", f"gbtt_audit_log={tmp_path / 'audit.log'}"], **lab.env)
    assert deploy.returncode == 0, deploy.stdout[-3000:]
    proc = maintenance(lab, tmp_path, "-e", confirmations(tmp_path), "-e", "gbtt_fail_on_findings=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    (path,) = mt.records(tmp_path / "records", SYSTEM)
    doc = mt.read(path)
    odd = [(d["host"], r["check"], r["status"], r["value"]) for d in doc["devices"] for r in d["results"]
           if r["status"] not in ("pass", "n/a") and not (r["check"] == "uptime" and r["status"] == "warn")]
    assert odd == [] and doc["complete"]
    assert {r["status"] for d in doc["devices"] for r in d["results"] if r["check"] == "last-call-quality"} <= {"n/a", "pass"}
    # then someone changes the MCU by hand (Art. 3.3): only config-compliance fails, and says what
    mcu = f"{SYSTEM}-mcu"
    variables = lab.host_variables(mcu)[mcu]
    lab.fault(mcu, "drift", "coSpace", f"gbtt-{SYSTEM}-3a", "defaultLayout", "allEqual")
    try:
        report = check_device(mcu, variables, ck.load())
    finally:
        lab.fault(mcu, "drift", "coSpace", f"gbtt-{SYSTEM}-3a", "defaultLayout", "onePlusN")
    failed = {r.check: r for r in report.results if r.status not in ("pass", "n/a", "warn")}
    assert list(failed) == ["config-compliance"] and "defaultLayout" in failed["config-compliance"].evidence
    again = {r.check: r.status for r in check_device(mcu, variables, ck.load()).results}
    assert again["config-compliance"] == "pass"
