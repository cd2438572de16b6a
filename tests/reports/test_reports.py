"""The six-monthly report and the contact list: built from the registry and the records the
jobs leave (maintenance, meetings, drift, the audit log); Markdown, CSV and vCard read back;
each HTML document opened in headless Chromium as a person would, with its key figures and the
network picture on screen."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import vobject

from conftest import ROOT, browser, run, tool
from gbtt import contacts_report as cr
from gbtt import drift
from gbtt import maintenance as mtn
from gbtt import registry
from gbtt import reports as rp

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def inv(tmp_path) -> Path:
    inv = tmp_path / "lab"
    shutil.copytree(ROOT / "inventory" / "lab", inv, ignore=shutil.ignore_patterns(".lab", "meetings"))
    source = inv / "lab.gbtt.yml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "  - ../hagiang/registry", f"  - {ROOT / 'inventory' / 'hagiang' / 'registry'}"), encoding="utf-8")
    return inv


def result(check, status, value=""):
    return {"check": check, "status": status, "severity": "major", "value": value, "evidence": ""}


def device(host, ep, name, *rows, reachable=True, cls="codec", platform="cisco_ce"):
    return {"host": host, "device_class": cls, "platform": platform, "system": "dong-van", "endpoint": ep,
            "endpoint_name": name, "reachable": reachable, "results": list(rows)}


def meeting_end(folder: Path, mid: str, title: str, systems, when: dt.datetime, took, absent, faults=()):
    target = folder / "meetings" / mid
    target.mkdir(parents=True, exist_ok=True)
    doc = {"meeting": mid, "title": title, "clause": "3b", "systems": systems, "phase": "end",
           "connected_at": when.isoformat(), "ended_at": (when + dt.timedelta(hours=2)).isoformat(),
           "participants": [{"endpoint": e} for e in took + absent], "took_part": took, "absent": absent,
           "faults": list(faults)}
    (target / f"{when:%Y%m%dT%H%M%SZ}-end.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def records(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "records"
    mtn.write_record(folder / "maintenance", "dong-van", [
        device("dong-van-ubnd-codec", "dong-van-ubnd", "UBND huyện Đồng Văn",
               result("reachable", "pass"), result("software-baseline", "pass", "ce11.17.1.5")),
        device("dong-van-lung-cu-codec", "dong-van-lung-cu", "UBND xã Lũng Cú",
               result("software-baseline", "fail", "ce9.15.3.17"), result("peripherals", "fail", "camera 1 not connected")),
        device("dong-van-mcu", None, None, result("software-baseline", "pass", "3.9.2"), cls="mcu", platform="cisco_cms"),
    ], {}, who="Trần Thị Bình", when=dt.datetime(2026, 9, 15, 2, 0, tzinfo=UTC),
        system_name="Hệ thống giao ban trực tuyến huyện Đồng Văn")
    meeting_end(folder, "giao-ban-q3", "Giao ban quý III", ["dong-van"], dt.datetime(2026, 9, 20, 1, 0, tzinfo=UTC),
                ["dong-van-ubnd", "dong-van-lung-cu"], ["dong-van-pho-bang"], ["dong-van-pho-bang: RemoteNoAnswer"])
    meeting_end(folder, "giao-ban-thang-12", "Giao ban tháng 12", ["tinh"], dt.datetime(2026, 12, 10, 1, 0, tzinfo=UTC),
                ["tinh-ubnd", "tinh-dong-van"], [])
    meeting_end(folder, "nam-ngoai", "Họp năm trước", ["dong-van"], dt.datetime(2025, 12, 10, 1, 0, tzinfo=UTC),
                ["dong-van-ubnd"], [])
    doc = drift.report({"dong-van-lung-cu-router": {"changed": True, "msg": "drift", "drift": "-x\n+y"},
                        "dong-van-ubnd-codec": {"changed": False}}, when=dt.datetime(2026, 10, 1, 2, 0, tzinfo=UTC))
    drift.write(doc, None, None, folder / "drift")
    later = drift.report({"dong-van-lung-cu-router": {"changed": False}}, when=dt.datetime(2026, 10, 8, 2, 0, tzinfo=UTC))
    drift.write(later, None, None, folder / "drift")
    audit = tmp_path / "audit.log"
    lines = [{"when": "2026-08-01T02:00:00+00:00", "host": "dong-van-ubnd-codec", "result": "changed", "check": False,
              "message": "changed (+3 -1)"},
             {"when": "2026-08-02T02:00:00+00:00", "host": "dong-van-lung-cu-router", "result": "failed", "check": False,
              "message": "commit refused: rolled back"},
             {"when": "2026-08-03T02:00:00+00:00", "host": "dong-van-ubnd-codec", "result": "changed", "check": True},
             {"when": "2026-10-05T02:00:00+00:00", "event": "interconnect", "interconnect": "tinh-cac-huyen",
              "state": "present", "result": "changed", "approval": "lab-124-stttt-cntt", "check": False},
             {"when": "2026-05-05T02:00:00+00:00", "host": "dong-van-ubnd-codec", "result": "changed", "check": False}]
    audit.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return folder, audit


def test_the_semiannual_report_gathers_the_period_from_every_record(inv, records):
    folder, audit = records
    report = rp.build(inv, "2026H2", records=folder, audit_log=audit, systems=["tinh", "dong-van"], now=NOW)
    assert (report.start.isoformat(), report.end.isoformat()) == ("2026-07-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00")
    tinh, dv = report.sections
    assert [m["title"] for m in dv.meetings] == ["Giao ban quý III"]            # last year's is out of the period
    assert dv.meetings[0]["took_part"] == 2 and dv.meetings[0]["absent"] == ["dong-van-pho-bang"]
    assert [m["title"] for m in tinh.meetings] == ["Giao ban tháng 12"]
    assert dv.maintenance["in_period"] and dv.maintenance["last"] == "15/09/2026 09:00"
    assert {(f["device"], f["check"]) for f in dv.maintenance["failed"]} == {
        ("dong-van-lung-cu-codec", "software-baseline"), ("dong-van-lung-cu-codec", "peripherals")}
    assert tinh.maintenance["state"] == "never" and not tinh.maintenance["in_period"]
    assert ("cisco_ce", "ce9.15.3.17", 1) in dv.versions and ("cisco_cms", "3.9.2", 1) in dv.versions
    assert dv.changes == 1                                          # check-mode and May entries are not counted
    assert [f["what"] for f in dv.failures] == ["dong-van-lung-cu-router"]
    assert [(i["link"], i["number"]) for i in dv.interconnections] == [("tinh-cac-huyen", "124/STTTT-CNTT")]
    assert any(a["valid"] and a["link"] == "tinh-cac-huyen" for a in dv.approvals)
    assert {d["host"]: (d["runs"], d["state"]) for d in dv.drift} == {
        "dong-van-lung-cu-router": (1, "in sync"), "dong-van-ubnd-codec": (0, "in sync")}
    assert report.status["dong-van-lung-cu-codec"] == "fail" and report.status["dong-van-ubnd-codec"] == "ok"
    assert report.status["tinh-ubnd-codec"] == "unknown"
    totals = report.totals
    assert (totals["meetings"], totals["maintained"], totals["failures"], totals["drift"]) == (2, 1, 1, 1)
    assert any(link["id"] == "tinh-cac-huyen" and link["state"] == "approved" for link in report.links)
    assert report.sender == "Sở Thông tin và Truyền thông tỉnh Hà Giang"          # Art. 10.4: the DIC writes…
    assert report.recipients == ["Văn phòng Tỉnh ủy Hà Giang", "Văn phòng HĐND - UBND tỉnh Hà Giang"]
    district = rp.build(inv, "2026H2", records=folder, audit_log=audit, systems=["dong-van"], now=NOW)
    assert district.sender == "Ủy ban nhân dân huyện Đồng Văn"                   # Art. 11.5: …a district to the DIC
    assert district.recipients == ["Sở Thông tin và Truyền thông tỉnh Hà Giang"]


def test_a_bad_period_or_system_is_refused(inv, records):
    folder, audit = records
    with pytest.raises(rp.ReportError, match="e.g. 2026H2"):
        rp.build(inv, "2026-2", records=folder, audit_log=audit)
    with pytest.raises(rp.ReportError, match="unknown system"):
        rp.build(inv, "2026H2", records=folder, audit_log=audit, systems=["atlantis"])


def test_the_command_writes_html_and_markdown(inv, records, tmp_path):
    folder, audit = records
    proc = run([tool("gbtt"), "report", "semiannual", "--period", "2026H2", "-i", str(inv), "--records", str(folder),
                "--audit-log", str(audit), "--out", str(tmp_path / "out"), "--system", "dong-van"])
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "bao-cao-6-thang-2026H2.md").read_text(encoding="utf-8")
    assert "# Báo cáo tình hình quản lý, vận hành các hệ thống giao ban trực tuyến" in md
    assert "6 tháng cuối năm 2026 (từ 01/07/2026 đến 31/12/2026)" in md
    assert "| Cuộc họp đã tổ chức | 1 |" in md and "Giao ban quý III (cấp độ 3b), 2/3 điểm cầu; vắng: dong-van-pho-bang" in md
    assert "Văn bản 124/STTTT-CNTT" in md


def test_a_person_opening_the_semiannual_report_sees_the_figures_and_the_picture(inv, records, tmp_path):
    folder, audit = records
    proc = run([tool("gbtt"), "report", "semiannual", "--period", "2026H2", "-i", str(inv), "--records", str(folder),
                "--audit-log", str(audit), "--out", str(tmp_path / "out")])
    assert proc.returncode == 0, proc.stderr
    page_file = tmp_path / "out" / "bao-cao-6-thang-2026H2.html"
    with browser() as b:
        page = b.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(page_file.as_uri())
        shot = page.screenshot(path=str(tmp_path / "bao-cao.png"), full_page=True)
        assert len(shot) > 60_000
        assert page.locator("#title").is_visible()
        assert page.locator("#period").inner_text().startswith("6 tháng cuối năm 2026")
        for selector, value in (("#n-systems", "13"), ("#n-meetings", "2"), ("#n-maintained", "1"),
                                ("#n-failures", "1"), ("#n-drift", "1")):
            assert page.locator(selector).inner_text() == value, selector
        box = page.locator("#summary").bounding_box()
        assert page.locator("#summary").is_visible() and box["y"] < 1000            # the figures on the first screen
        svg = page.locator("#picture svg")
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        assert svg.is_visible() and box["width"] > 800 and box["height"] > 300
        assert page.locator("#picture [data-endpoint]").count() == len(registry.load(inv).registry.endpoints)
        assert page.locator('#picture [data-state="fail"]').count() >= 1
        assert page.locator("#legend").is_visible()
        assert "Đồng Văn" in page.locator("#picture").inner_text()
        section = page.locator("#system-dong-van")
        assert "Giao ban quý III" in section.inner_text() and "vắng: dong-van-pho-bang" in section.inner_text()


# ---------------------------------------------------------------------------------------------
# The contact list
# ---------------------------------------------------------------------------------------------

def test_the_directory_flags_units_and_chairs_short_of_staff(inv):
    contacts = inv / "registry" / "contacts.yml"
    text = contacts.read_text(encoding="utf-8")
    for cid in ("ubnd-dong-van-kt2", "vnpt-hg-tinh-ubnd-2"):
        start = text.index(f"  - id: {cid}\n")
        end = text.index("  - id: ", start + 5)
        text = text[:start] + text[end:]
    text = text.replace("      - ubnd-dong-van-kt2\n", "")
    contacts.write_text(text, encoding="utf-8")
    loaded = registry.load(inv)
    entries = cr.directory(loaded.registry, ["tinh", "dong-van"])
    short = {u.unit.id for s in entries for u in s.units if u.short}
    assert "ubnd-dong-van" in short
    chairs = {c.endpoint.id: c for s in entries for c in s.chairs}
    assert chairs["tinh-ubnd"].short and not chairs["tinh-tinh-uy"].short
    assert cr.shortfalls(entries)["chairs"] == 1


def test_the_contact_files_read_back(inv, tmp_path):
    proc = run([tool("gbtt"), "report", "contacts", "-i", str(inv), "--out", str(tmp_path / "out"),
                "--system", "dong-van", "--system", "tinh"])
    assert proc.returncode == 0, proc.stderr
    reg = registry.load(inv).registry
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "danh-ba.csv").read_text(encoding="utf-8-sig"))))
    kt1 = reg.contacts["ubnd-dong-van-kt1"]
    row = next(r for r in rows if r["ma_lien_he"] == "ubnd-dong-van-kt1")
    assert (row["ho_ten"], row["dien_thoai"], row["don_vi"]) == (kt1.name, kt1.phone, reg.units["ubnd-dong-van"].name)
    assert "Cán bộ kỹ thuật" in row["vai_tro"]
    cards = list(vobject.readComponents((tmp_path / "out" / "danh-ba.vcf").read_text(encoding="utf-8")))
    by_uid = {c.uid.value: c for c in cards}
    card = by_uid["urn:gbtt:contact:ubnd-dong-van-kt1"]
    assert card.fn.value == kt1.name and card.tel.value == kt1.phone and card.email.value == kt1.email
    assert card.org.value == [reg.units["ubnd-dong-van"].name]
    assert len(cards) == len({r["ma_lien_he"] for r in rows})
    with browser() as b:
        page = b.new_page(viewport={"width": 1200, "height": 900})
        page.goto((tmp_path / "out" / "danh-ba.html").as_uri())
        page.screenshot(path=str(tmp_path / "danh-ba.png"), full_page=True)
        assert page.locator("#title").is_visible()
        assert page.locator("#n-short-units").inner_text() == "0"
        table = page.locator("#system-dong-van + table")
        assert kt1.name in table.inner_text() and table.is_visible()


def test_strict_exits_1_when_staff_are_short(inv, tmp_path):
    contacts = inv / "registry" / "contacts.yml"
    text = contacts.read_text(encoding="utf-8")
    start = text.index("  - id: vnpt-hg-tinh-ubnd-2\n")
    contacts.write_text(text[:start] + text[text.index("  - id: ", start + 5):], encoding="utf-8")
    proc = run([tool("gbtt"), "report", "contacts", "-i", str(inv), "--out", str(tmp_path / "out"), "--strict"])
    assert proc.returncode == 1 and "1 chair endpoint(s) with fewer than 2" in proc.stdout
