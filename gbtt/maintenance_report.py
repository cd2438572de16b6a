"""Maintenance reports for province staff, in Vietnamese: HTML (to look at), Markdown and CSV.

One report per system per run (from its record), and an index of the run.  A report shows the
summary, the failed checks first with how to fix them, the table of every device and check,
the operator's checklist, and what changed since the previous record of the system.
Templates: ``templates/reports/maintenance.html.j2`` and ``maintenance_index.html.j2``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable
from zoneinfo import ZoneInfo

import jinja2

from gbtt import checks as ck
from gbtt import maintenance as mt

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports"
STATUS_VI = {"pass": "Đạt", "warn": "Cảnh báo", "fail": "Không đạt", "error": "Lỗi khi kiểm tra",
             "not-run": "Không kiểm tra được", "n/a": "Không áp dụng", "unconfirmed": "Chưa xác nhận"}
SEVERITY_VI = {"critical": "Nghiêm trọng", "major": "Quan trọng", "minor": "Thấp"}
CLASS_VI = {"codec": "Thiết bị đầu cuối", "router": "Bộ định tuyến", "mcu": "MCU"}
#: failed first, most severe first
_STATUS_RANK = {"fail": 0, "not-run": 1, "error": 2, "unconfirmed": 3, "warn": 4, "pass": 5, "n/a": 6}
_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2}


@dataclass
class Row:
    where: str                # device host or endpoint (operator items)
    place: str                # endpoint name, or "MCU của hệ thống"
    kind: str                 # device class in Vietnamese, or "Người vận hành"
    check: ck.Check
    status: str
    value: str
    evidence: str
    change: str = ""          # compared with the previous record: "mới" / "đã khắc phục" / ""

    @property
    def status_vi(self) -> str:
        return STATUS_VI.get(self.status, self.status)

    @property
    def failing(self) -> bool:
        return self.status in ck.FAILING


@dataclass
class SystemReport:
    record: dict
    rows: list[Row]
    previous: dict | None
    fixed: list[Row] = field(default_factory=list)
    when_local: str = ""
    previous_local: str = ""

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ck.STATUSES}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def failing(self) -> list[Row]:
        return sorted((r for r in self.rows if r.status in ck.FAILING or r.status == "warn"),
                      key=lambda r: (_STATUS_RANK[r.status], _SEVERITY_RANK[r.check.severity], r.where, r.check.id))

    @property
    def devices(self) -> int:
        return len(self.record.get("devices") or [])

    @property
    def unreachable(self) -> int:
        return sum(1 for d in self.record.get("devices") or [] if not d.get("reachable"))


def _local(when: str, tz: str) -> str:
    return dt.datetime.fromisoformat(when).astimezone(ZoneInfo(tz)).strftime("%H:%M ngày %d/%m/%Y")


def build(record: dict, previous: dict | None, checks: Iterable[ck.Check], tz: str = "Asia/Ho_Chi_Minh"
          ) -> SystemReport:
    by_id = {c.id: c for c in checks}
    unknown = ck.Check("?", "?", "?", "minor", "", "", "")

    def prev_status(where: str, check: str) -> str | None:
        if previous is None:
            return None
        for d in previous.get("devices") or []:
            if d["host"] == where:
                return next((r["status"] for r in d["results"] if r["check"] == check), None)
        rows = (previous.get("operator") or {}).get(where) or []
        return next((r["status"] for r in rows if r["check"] == check), None)

    rows: list[Row] = []
    fixed: list[Row] = []

    def add(where: str, place: str, kind: str, r: dict) -> None:
        check = by_id.get(r["check"]) or replace(unknown, id=r["check"], title_vi=r["check"], title_en=r["check"])
        before = prev_status(where, r["check"])
        row = Row(where, place, kind, check, r["status"], r.get("value", ""), r.get("evidence", ""))
        if previous is not None and row.failing and before not in ck.FAILING:
            row.change = "mới phát sinh"
        elif previous is not None and row.failing:
            row.change = "chưa khắc phục"
        elif before in ck.FAILING and not row.failing:
            row.change = "đã khắc phục"
            fixed.append(row)
        rows.append(row)

    for d in record.get("devices") or []:
        place = d.get("endpoint_name") or ("MCU của hệ thống" if d["device_class"] == "mcu" else d.get("endpoint") or "")
        for r in d["results"]:
            add(d["host"], place, CLASS_VI.get(d["device_class"], d["device_class"]), r)
    names = {d.get("endpoint"): d.get("endpoint_name") for d in record.get("devices") or []}
    for ep, items in (record.get("operator") or {}).items():
        for r in items:
            add(ep, names.get(ep) or ep, "Người vận hành xác nhận", r)
    return SystemReport(record, rows, previous, fixed, _local(record["when"], tz),
                        _local(previous["when"], tz) if previous else "")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(STATUS_VI=STATUS_VI, SEVERITY_VI=SEVERITY_VI)
    return env


def html(report: SystemReport, province: str = "Hà Giang") -> str:
    return _env().get_template("maintenance.html.j2").render(r=report, province=province)


def markdown(report: SystemReport, province: str = "Hà Giang") -> str:
    rec = report.record
    c = report.counts
    lines = [f"# Báo cáo bảo trì định kỳ: {rec.get('system_name') or rec['system']}", "",
             f"Tỉnh {province}. Thực hiện lúc {report.when_local}, người thực hiện: {rec['who']} "
             f"(Điều 12.4 Quy chế: bảo trì ít nhất mỗi năm một lần).", "",
             f"- Thiết bị kiểm tra: {report.devices} (không kết nối được: {report.unreachable})",
             f"- Kết quả: {c['pass']} đạt, {c['warn']} cảnh báo, {c['fail']} không đạt, "
             f"{c['not-run']} không kiểm tra được, {c['error']} lỗi khi kiểm tra, {c['unconfirmed']} chưa xác nhận",
             f"- Hồ sơ: {'đầy đủ' if rec.get('complete') else 'CHƯA ĐẦY ĐỦ (còn thiết bị chưa kết nối hoặc hạng mục chưa xác nhận)'}",
             ""]
    if report.previous:
        lines += [f"So với lần kiểm tra trước ({report.previous_local}): "
                  f"{sum(1 for r in report.rows if r.change == 'mới phát sinh')} lỗi mới, "
                  f"{len(report.fixed)} đã khắc phục, "
                  f"{sum(1 for r in report.rows if r.change == 'chưa khắc phục')} chưa khắc phục.", ""]
    lines += ["## Các hạng mục cần xử lý", ""]
    if report.failing:
        lines += ["| Mức độ | Kết quả | Thiết bị / điểm cầu | Hạng mục | Giá trị | Cách khắc phục |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in report.failing:
            lines.append(f"| {SEVERITY_VI[r.check.severity]} | {r.status_vi} {('(' + r.change + ')') if r.change else ''} "
                         f"| {r.where} ({r.place}) | {r.check.title_vi} | {_md(r.value or r.evidence)} | {r.check.hint_vi} |")
    else:
        lines.append("Không có hạng mục nào không đạt.")
    lines += ["", "## Kết quả chi tiết", "", "| Thiết bị / điểm cầu | Loại | Hạng mục | Kết quả | Giá trị |",
              "| --- | --- | --- | --- | --- |"]
    for r in report.rows:
        lines.append(f"| {r.where} | {r.kind} | {r.check.title_vi} | {r.status_vi} | {_md(r.value)} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")[:200]


CSV_HEADER = ("he_thong", "thiet_bi", "diem_cau", "loai", "hang_muc", "ten_hang_muc", "muc_do", "ket_qua",
              "gia_tri", "so_voi_lan_truoc", "bang_chung")


def csv_text(report: SystemReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in report.rows:
        w.writerow((report.record["system"], r.where, r.place, r.kind, r.check.id, r.check.title_vi,
                    SEVERITY_VI[r.check.severity], r.status_vi, r.value, r.change, r.evidence))
    return out.getvalue()


def index_html(reports: list[SystemReport], when: str, province: str = "Hà Giang") -> str:
    return _env().get_template("maintenance_index.html.j2").render(reports=reports, when=when, province=province)


def write(folder: Path, reports: list[SystemReport], when: dt.datetime, province: str = "Hà Giang",
          tz: str = "Asia/Ho_Chi_Minh") -> Path:
    """Write ``<folder>/<UTC stamp>/<system>.html|.md|.csv`` and ``index.html``; the run's folder."""
    run = Path(folder) / mt._stamp(when)
    run.mkdir(parents=True, exist_ok=True)
    for rep in reports:
        system = rep.record["system"]
        (run / f"{system}.html").write_text(html(rep, province), encoding="utf-8")
        (run / f"{system}.md").write_text(markdown(rep, province), encoding="utf-8")
        (run / f"{system}.csv").write_text("\ufeff" + csv_text(rep), encoding="utf-8")   # BOM: Excel reads UTF-8
    local = when.astimezone(ZoneInfo(tz)).strftime("%H:%M ngày %d/%m/%Y")
    (run / "index.html").write_text(index_html(reports, local, province), encoding="utf-8")
    return run
