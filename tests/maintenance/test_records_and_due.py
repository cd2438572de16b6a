"""Maintenance records (append-only, chained), the operator checklist, due dates around the
anniversary and leap years, and `gbtt maintenance due` as a scheduled job sees it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from conftest import ROOT, run, tool
from gbtt import checks as ck
from gbtt import maintenance as mt

UTC = dt.timezone.utc


def device(host="x-codec", reachable=True, status="pass"):
    return {"host": host, "device_class": "codec", "platform": "cisco_ce", "system": "dong-van",
            "endpoint": "dong-van-ubnd", "endpoint_name": "UBND huyện Đồng Văn", "reachable": reachable,
            "results": [{"check": "reachable", "status": "pass" if reachable else "fail", "severity": "critical",
                         "value": "", "evidence": ""},
                        {"check": "peripherals", "status": status, "severity": "major", "value": "", "evidence": ""}]}


def record(folder, when, complete=True, system="dong-van"):
    return mt.write_record(folder, system, [device(reachable=complete)], {}, who="test", when=when)


def test_records_are_append_only_and_chained(tmp_path):
    when = dt.datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    first = record(tmp_path, when)
    second = record(tmp_path, when)            # same second: a new file, the first untouched
    assert first != second and first.read_text() != "" and first.name == "20261129T030000Z.json"
    doc = mt.read(second)
    assert doc["previous"] == first.name
    assert doc["previous_sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert mt.read(first)["previous"] is None
    assert [p.name for p in mt.records(tmp_path, "dong-van")] == [first.name, second.name]


def test_an_existing_record_is_never_overwritten(tmp_path):
    when = dt.datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    (tmp_path / "dong-van").mkdir()
    squatter = tmp_path / "dong-van" / "20261129T030000Z.json"
    squatter.write_text('{"when": "2026-11-29T03:00:00+00:00", "devices": []}')
    path = record(tmp_path, when)
    assert path != squatter and squatter.read_text().startswith('{"when"')


def test_a_record_with_an_unreachable_device_or_missing_devices_is_not_complete(tmp_path):
    when = dt.datetime(2026, 11, 29, tzinfo=UTC)
    assert not mt.read(record(tmp_path, when, complete=False))["complete"]
    full = mt.write_record(tmp_path, "dong-van", [device()], {}, when=when, expected=["x-codec", "y-router"])
    doc = mt.read(full)
    assert doc["missing"] == ["y-router"] and not doc["complete"]


OPERATOR = [ck.load_file(p) for p in sorted(ck.CHECKS.glob("operator-*.yml"))]


def test_operator_items_are_never_passed_by_default():
    rows = mt.operator_results(OPERATOR, ["a", "b"], {})
    assert {r["status"] for rs in rows.values() for r in rs} == {"unconfirmed"}
    rows = mt.operator_results(OPERATOR, ["a"], {"items": {"*": {"operator-power": "pass"}}})
    assert {r["status"] for r in rows["a"]} == {"unconfirmed"}          # nobody's name: not confirmed


def test_operator_confirmations_per_endpoint_and_for_all():
    ids = [c.id for c in OPERATOR]
    conf = {"confirmed_by": "Nguyễn Văn An",
            "items": {"*": {i: "pass" for i in ids},
                      "b": {"operator-power": {"status": "fail", "note": "UPS hỏng"}, "operator-fire-safety": "maybe"}}}
    rows = mt.operator_results(OPERATOR, ["a", "b"], conf)
    assert {r["status"] for r in rows["a"]} == {"pass"}
    b = {r["check"]: r for r in rows["b"]}
    assert b["operator-power"]["status"] == "fail" and b["operator-power"]["value"] == "UPS hỏng"
    assert b["operator-fire-safety"]["status"] == "unconfirmed"         # not pass/fail/n/a
    assert b["operator-environment"]["evidence"] == "người xác nhận: Nguyễn Văn An"


@pytest.mark.parametrize("last, today, state", [
    ("2025-11-29", "2026-11-28", "ok"),
    ("2025-11-29", "2026-11-29", "soon"),        # due today
    ("2025-11-29", "2026-11-30", "overdue"),
    ("2024-02-29", "2025-02-28", "soon"),        # a leap day is due on 28 February
    ("2024-02-29", "2025-03-01", "overdue"),
    ("2023-03-01", "2024-02-29", "ok"),          # 365 days later, but the anniversary is 1 March
    ("2023-03-01", "2024-03-02", "overdue"),
])
def test_due_on_the_anniversary(tmp_path, last, today, state):
    day = dt.date.fromisoformat(last)
    record(tmp_path, dt.datetime.combine(day, dt.time(10), UTC))
    (row,) = mt.due(tmp_path, ["dong-van"], dt.date.fromisoformat(today), tz=UTC)
    assert row.state == state and row.last == day


def test_incomplete_records_do_not_count_and_never_is_due(tmp_path):
    record(tmp_path, dt.datetime(2025, 1, 10, tzinfo=UTC))
    record(tmp_path, dt.datetime(2026, 1, 5, tzinfo=UTC), complete=False)
    rows = {r.system: r for r in mt.due(tmp_path, ["dong-van", "meo-vac"], dt.date(2026, 2, 1), tz=UTC)}
    assert rows["dong-van"].state == "overdue" and rows["dong-van"].last == dt.date(2025, 1, 10)
    assert rows["dong-van"].last_attempt == dt.date(2026, 1, 5)
    assert rows["meo-vac"].state == "never" and rows["meo-vac"].due is None


def test_due_within_days(tmp_path):
    record(tmp_path, dt.datetime(2025, 12, 20, tzinfo=UTC))
    (row,) = mt.due(tmp_path, ["dong-van"], dt.date(2026, 11, 29), within=30, tz=UTC)
    assert row.state == "soon" and row.due == dt.date(2026, 12, 20)


def test_the_due_command_exits_non_zero_when_a_system_is_overdue(tmp_path):
    for system in ("tinh", "cntt"):
        record(tmp_path, dt.datetime(2026, 1, 2, 3, tzinfo=UTC), system=system)
    base = [tool("gbtt"), "maintenance", "due", "-i", str(ROOT / "inventory" / "lab"), "--records", str(tmp_path)]
    ok = run([*base, "--system", "tinh", "--system", "cntt", "--today", "2026-11-29"])
    assert ok.returncode == 0 and "0 of 2 system(s) overdue" in ok.stdout, ok.stdout + ok.stderr
    late = run([*base, "--system", "tinh", "--today", "2027-01-03", "--format", "json"])
    assert late.returncode == 1
    assert json.loads(late.stdout)["systems"][0] == {"system": "tinh", "last": "2026-01-02",
                                                    "last_attempt": "2026-01-02", "due": "2027-01-02",
                                                    "state": "overdue"}
    everyone = run(base)
    assert everyone.returncode == 1 and "NEVER maintained" in everyone.stdout
    bad = run([*base, "--system", "nowhere"])
    assert bad.returncode == 2 and "unknown system" in bad.stderr


def test_check_files_with_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "judges").mkdir()
    (tmp_path / "judges" / "j.py").write_text("def ok(answer, ctx):\n    return None\n")
    (tmp_path / "a.yml").write_text("id: a\ntitle: {vi: x, en: y}\nseverity: huge\nhint: {vi: x, en: y}\n"
                                    "classes: [codec]\nplatforms:\n  cisco_ce: {ask: {status: X}, judge: j.ok}\n")
    with pytest.raises(ck.CheckError, match=r"a\.yml:3.*severity"):
        ck.load(tmp_path)
    (tmp_path / "a.yml").write_text("id: a\ntitle: {vi: x, en: y}\nseverity: minor\nhint: {vi: x, en: y}\n"
                                    "classes: [codec]\nplatforms:\n  cisco_ce: {ask: {status: X}, judge: j.missing}\n")
    with pytest.raises(ck.CheckError, match=r"a\.yml:7.*no function 'missing'"):
        ck.load(tmp_path)
    (tmp_path / "a.yml").write_text("id: b\ntitle: {vi: x, en: y}\nseverity: minor\nhint: {vi: x, en: y}\n"
                                    "operator: true\n")
    with pytest.raises(ck.CheckError, match="name the file b.yml"):
        ck.load(tmp_path)


def test_every_check_of_the_project_loads_with_titles_in_both_languages():
    checks = ck.load()
    assert {"reachable", "software-baseline", "config-compliance", "uptime", "peripherals", "call-registration",
            "ntp-synchronised", "interface-errors", "line-to-mcu", "mcu-licences", "mcu-capacity",
            "mcu-certificate", "last-call-quality"} <= {c.id for c in checks}
    assert len([c for c in checks if c.operator]) >= 4
    for c in checks:
        assert c.title_vi != c.title_en and any(ch in c.title_vi + c.hint_vi for ch in "ăâđêôơưạảấầẩậắằẳặẹẻếềểệịỉọỏốồổộớờởợụủứừửựỳỷ")


def test_the_operator_answers_at_a_prompt_and_gets_the_vars_file(tmp_path):
    out = tmp_path / "confirm.yml"
    answers = "Nguyễn Văn An\n" + "\n".join({"operator-camera-care": "d", "operator-environment": "k\nUPS hỏng",
                                             "operator-fire-safety": "d", "operator-power": ""}[c.id]
                                            for c in OPERATOR) + "\n"
    proc = run([tool("gbtt"), "maintenance", "confirm", "-o", str(out)], input_text=answers)
    assert proc.returncode == 0, proc.stderr
    import yaml
    conf = yaml.safe_load(out.read_text(encoding="utf-8"))["gbtt_operator_checks"]
    rows = {r["check"]: r for r in mt.operator_results(OPERATOR, ["a"], conf)["a"]}
    assert rows["operator-camera-care"]["status"] == "pass" and rows["operator-power"]["status"] == "unconfirmed"
    assert rows["operator-environment"]["status"] == "fail" and rows["operator-environment"]["value"] == "UPS hỏng"
    again = run([tool("gbtt"), "maintenance", "confirm", "-o", str(out)], input_text=answers)
    assert again.returncode == 2 and "exists" in again.stderr                       # never overwritten by accident
    nameless = run([tool("gbtt"), "maintenance", "confirm", "-o", str(tmp_path / "x.yml")], input_text="\n")
    assert nameless.returncode == 2 and not (tmp_path / "x.yml").exists()
