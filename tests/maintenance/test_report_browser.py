"""The maintenance report as a person sees it: headless Chromium opens the HTML, takes a
screenshot, and the key content is on screen, in Vietnamese — the failed checks first with the
fix, the summary figures, the comparison with the previous record.  Markdown and CSV carry the
same rows.  (Chromium: Debian's /usr/bin/chromium, which .ci/run installs.)"""

from __future__ import annotations

import csv
import datetime as dt
import io
import pytest

from conftest import browser

from gbtt import checks as ck
from gbtt import maintenance as mt
from gbtt import maintenance_report as rpt

UTC = dt.timezone.utc
CHECKS = [ck.load_file(p) for p in sorted(ck.CHECKS.glob("*.yml"))]


def result(check, status, value="", evidence=""):
    severity = next(c.severity for c in CHECKS if c.id == check)
    return {"check": check, "status": status, "severity": severity, "value": value, "evidence": evidence}


def codec(host, ep, name, camera="pass"):
    return {"host": host, "device_class": "codec", "platform": "cisco_ce", "system": "dong-van", "endpoint": ep,
            "endpoint_name": name, "reachable": True,
            "results": [result("reachable", "pass", "reachable"), result("software-baseline", "pass", "ce11.17.1.5"),
                        result("peripherals", camera, "camera 1 not connected" if camera == "fail" else "all connected")]}


def router(host, ep, name, reachable=True):
    if reachable:
        rows = [result("reachable", "pass"), result("line-to-mcu", "pass", "0 % loss, 12 ms avg")]
    else:
        rows = [result("reachable", "fail", "unreachable", "connection refused"),
                result("line-to-mcu", "not-run", "", "không kết nối được thiết bị (device not reached): connection refused")]
    return {"host": host, "device_class": "router", "platform": "cisco_ios", "system": "dong-van", "endpoint": ep,
            "endpoint_name": name, "reachable": reachable, "results": rows}


@pytest.fixture
def reports(tmp_path):
    records = tmp_path / "records"
    before = dt.datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    now = dt.datetime(2026, 11, 29, 2, 30, tzinfo=UTC)
    mt.write_record(records, "dong-van", [codec("dong-van-ubnd-codec", "dong-van-ubnd", "UBND huyện Đồng Văn"),
                                          codec("dong-van-lung-cu-codec", "dong-van-lung-cu", "UBND xã Lũng Cú", "fail"),
                                          router("dong-van-lung-cu-router", "dong-van-lung-cu", "UBND xã Lũng Cú")],
                    {}, who="Nguyễn Văn An", when=before, system_name="Hệ thống giao ban trực tuyến huyện Đồng Văn")
    path = mt.write_record(records, "dong-van", [
        codec("dong-van-ubnd-codec", "dong-van-ubnd", "UBND huyện Đồng Văn", "fail"),
        codec("dong-van-lung-cu-codec", "dong-van-lung-cu", "UBND xã Lũng Cú"),
        router("dong-van-lung-cu-router", "dong-van-lung-cu", "UBND xã Lũng Cú", reachable=False)],
        mt.operator_results([c for c in CHECKS if c.operator], ["dong-van-ubnd"], {}),
        who="Trần Thị Bình", when=now, system_name="Hệ thống giao ban trực tuyến huyện Đồng Văn")
    previous, current = (mt.read(p) for p in mt.records(records, "dong-van"))
    report = rpt.build(current, previous, CHECKS)
    return rpt.write(tmp_path / "reports", [report], now), report, path


def test_the_report_rows_compare_with_the_previous_record(reports):
    _, report, _ = reports
    changes = {(r.where, r.check.id): r.change for r in report.rows if r.change}
    assert changes[("dong-van-ubnd-codec", "peripherals")] == "mới phát sinh"
    assert changes[("dong-van-lung-cu-codec", "peripherals")] == "đã khắc phục"
    assert changes[("dong-van-lung-cu-router", "reachable")] == "mới phát sinh"
    first = report.failing[0]
    assert (first.status, first.check.id) == ("fail", "reachable")       # failed first, most severe first
    assert not report.record["complete"]


def test_markdown_and_csv_carry_the_same_rows(reports):
    run_dir, report, _ = reports
    md = (run_dir / "dong-van.md").read_text(encoding="utf-8")
    assert "# Báo cáo bảo trì định kỳ: Hệ thống giao ban trực tuyến huyện Đồng Văn" in md
    assert "Trần Thị Bình" in md and "CHƯA ĐẦY ĐỦ" in md and "1 đã khắc phục" in md
    text = (run_dir / "dong-van.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(report.rows)
    assert {"thiet_bi": "dong-van-ubnd-codec", "ket_qua": "Không đạt"}.items() <= next(
        r for r in rows if r["hang_muc"] == "peripherals" and r["thiet_bi"] == "dong-van-ubnd-codec").items()


def test_a_person_opening_the_report_sees_the_failures_first(reports, tmp_path):
    run_dir, _, _ = reports
    with browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto((run_dir / "dong-van.html").as_uri())
        shot = page.screenshot(path=str(tmp_path / "dong-van.png"), full_page=True)
        assert len(shot) > 30_000                              # a drawn page, not a blank one
        assert page.locator("#title").inner_text() == "Báo cáo bảo trì định kỳ hệ thống giao ban trực tuyến"
        assert page.locator("#system").inner_text().startswith("Hệ thống giao ban trực tuyến huyện Đồng Văn")
        for selector in ("#title", "#summary", "#completeness", "#failures"):
            box = page.locator(selector).bounding_box()
            assert page.locator(selector).is_visible() and box and box["y"] < 900, selector  # first screen
        assert "CHƯA ĐẦY ĐỦ" in page.locator("#completeness").inner_text()
        summary = page.locator("#summary").inner_text()
        assert "3\nthiết bị được kiểm tra" in summary
        first = page.locator("tr.failing").first
        assert first.is_visible()
        row = first.inner_text()
        assert "Không đạt" in row and "dong-van-lung-cu-router" in row and "Kết nối được" in row
        assert "Kiểm tra nguồn điện" in row                       # the fix, beside the failure
        comparison = page.locator("#comparison").inner_text()
        assert "lỗi mới phát sinh" in comparison and "1 đã khắc phục" in comparison
        red = page.locator("tr.failing td.status").first.evaluate("e => getComputedStyle(e).color")
        assert red == "rgb(207, 34, 46)"                          # failures stand out in red

        page.goto((run_dir / "index.html").as_uri())
        page.screenshot(path=str(tmp_path / "index.png"))
        link = page.locator("#systems a")
        assert link.inner_text() == "Hệ thống giao ban trực tuyến huyện Đồng Văn" and link.is_visible()
        link.click()
        assert page.url.endswith("/dong-van.html")
