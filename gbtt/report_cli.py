"""``gbtt report semiannual|contacts``: the documents province staff read, in Vietnamese.

* ``semiannual --period 2026H2``: the six-monthly report (Art. 10.4, 11.5), HTML with the
  network picture and Markdown (:mod:`gbtt.reports`).
* ``contacts``: the directory of operating staff (Art. 10.3, 13.2, 16.3), CSV, HTML and vCard
  (:mod:`gbtt.contacts_report`); exit 1 with ``--strict`` when a unit or chair endpoint is short
  of staff.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from gbtt import contacts_report as cr
from gbtt import registry as reg_mod
from gbtt import reports as rp

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports"
EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def semiannual_html(report: rp.Report, reg) -> str:
    from gbtt import picture
    svg = picture.svg(reg, report.status, report.links, title=f"Tỉnh {report.province}")
    return _env().get_template("semiannual.html.j2").render(r=report, picture=svg)


def semiannual_markdown(report: rp.Report) -> str:
    t = report.totals
    lines = [f"# Báo cáo tình hình quản lý, vận hành các hệ thống giao ban trực tuyến", "",
             f"{report.period_vi}, tỉnh {report.province}. Lập ngày {report.generated} (Điều 10, Điều 11 Quy chế "
             "ban hành kèm theo Quyết định số 1373/QĐ-UBND).", "",
             f"Đơn vị báo cáo: **{report.sender}**. Kính gửi: {'; '.join(report.recipients)}.", "", "## Tổng hợp", "",
             "| Chỉ tiêu | Số lượng |", "| --- | ---: |",
             f"| Hệ thống | {t['systems']} |", f"| Điểm cầu | {t['endpoints']} |",
             f"| Cuộc họp đã tổ chức | {t['meetings']} |", f"| Hệ thống được bảo trì trong kỳ | {t['maintained']} |",
             f"| Hệ thống quá hạn bảo trì | {t['overdue']} |", f"| Lần kết nối liên thông | {t['interconnections']} |",
             f"| Lần thay đổi cấu hình | {t['changes']} |", f"| Lần thực hiện lỗi | {t['failures']} |",
             f"| Thiết bị bị thay đổi cấu hình ngoài quy trình | {t['drift']} |", ""]
    for n, s in enumerate(report.sections, 1):
        mn = s.maintenance
        lines += [f"## {n}. {s.system.name}", "",
                  f"{s.kind_vi}; cơ quan vận hành: {s.operator}; {len(s.endpoints)} điểm cầu, {len(s.devices)} thiết bị.",
                  "", "| Nền tảng | Phiên bản phần mềm | Số thiết bị |", "| --- | --- | ---: |",
                  *[f"| {p} | {v} | {c} |" for p, v, c in s.versions], "",
                  f"**Cuộc họp:** {len(s.meetings)} cuộc trong kỳ."]
        lines += [f"- {mt['when']}: {mt['title']} (cấp độ {mt['clause']}), {mt['took_part']}/{mt['invited']} điểm cầu"
                  + (f"; vắng: {', '.join(mt['absent'])}" if mt["absent"] else "") for mt in s.meetings]
        lines += ["", f"**Bảo trì:** {mn['state_vi']}" + (f", lần gần nhất {mn['last']}" if mn["last"] else "")
                  + f"; hạn tiếp theo {mn['due']}."]
        lines += [f"- Không đạt: {f['device']} ({f['place']}): {f['check']} {f['value']}" for f in mn["failed"]]
        lines += ["", f"**Liên thông:** {len(s.interconnections)} lần trong kỳ."]
        lines += [f"- {i['when']}: {i['link']} ({'kết nối' if i['state'] == 'present' else 'hủy'}), văn bản {i['number']}"
                  for i in s.interconnections]
        lines += [f"- Văn bản {a['number']} (hiệu lực đến {a['valid_until']}): "
                  + ("còn hiệu lực" if a["valid"] else f"không còn hiệu lực: {a['problems']}") for a in s.approvals]
        drifted = [d for d in s.drift if d["runs"]]
        lines += ["", f"**Thay đổi và sự cố:** {s.changes} lần thay đổi cấu hình; {len(s.failures)} lần lỗi; "
                      f"{len(drifted)} thiết bị thay đổi ngoài quy trình."]
        lines += [f"- {f['when']} {f['what']}: {f['message']}" for f in s.failures]
        lines += [f"- {d['host']}: {d['runs']} lần phát hiện thay đổi ngoài quy trình" for d in drifted]
        lines.append("")
    return "\n".join(lines)


def _source(inventory: str) -> reg_mod.Source:
    return reg_mod._single(reg_mod.find_sources(inventory), inventory)


def cmd_semiannual(args: argparse.Namespace) -> int:
    try:
        source = _source(args.inventory)
        report = rp.build(source, args.period, records=Path(args.records), audit_log=Path(args.audit_log),
                          systems=args.system)
    except (rp.ReportError, reg_mod.SourceError) as exc:
        print(f"gbtt report semiannual: {exc}", file=sys.stderr)
        return EXIT_USAGE
    reg = reg_mod.load(source).registry
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"bao-cao-6-thang-{args.period}"
    (out / f"{stem}.html").write_text(semiannual_html(report, reg), encoding="utf-8")
    (out / f"{stem}.md").write_text(semiannual_markdown(report), encoding="utf-8")
    t = report.totals
    print(f"{report.period}: {t['systems']} system(s), {t['meetings']} meeting(s), {t['maintained']} maintained "
          f"({t['overdue']} overdue), {t['changes']} change(s), {t['failures']} failure(s), {t['drift']} drifted device(s)")
    print(f"wrote {out / (stem + '.html')} and {out / (stem + '.md')}")
    return EXIT_OK


def cmd_contacts(args: argparse.Namespace) -> int:
    try:
        loaded = reg_mod.load(_source(args.inventory))
    except reg_mod.SourceError as exc:
        print(f"gbtt report contacts: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if loaded.report.errors:
        print(f"gbtt report contacts: {args.inventory}: the inventory does not validate (gbtt validate)", file=sys.stderr)
        return EXIT_USAGE
    reg = loaded.registry
    unknown = [s for s in args.system or [] if s not in reg.systems]
    if unknown:
        print(f"gbtt report contacts: unknown system(s) {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    entries = cr.directory(reg, args.system)
    short = cr.shortfalls(entries)
    tz = ZoneInfo(reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh")
    people = len({p.id for s in entries for u in s.units for p in u.people}
                 | {p.id for s in entries for c in s.chairs for p in c.line_staff})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    html = _env().get_template("contacts.html.j2").render(
        entries=entries, short=short, people=people, min_staff=cr.MIN_STAFF,
        province=reg.province.name if reg.province else "", generated=dt.datetime.now(tz).strftime("%d/%m/%Y"))
    (out / "danh-ba.html").write_text(html, encoding="utf-8")
    (out / "danh-ba.csv").write_text(cr.csv_text(entries), encoding="utf-8")
    (out / "danh-ba.vcf").write_bytes(cr.vcards(entries).encode("utf-8"))
    print(f"{people} people in {len(entries)} system(s); {short['units']} unit(s) with fewer than {cr.MIN_STAFF} "
          f"technical staff, {short['chairs']} chair endpoint(s) with fewer than {cr.MIN_STAFF} line-provider staff")
    print(f"wrote {out / 'danh-ba.html'}, {out / 'danh-ba.csv'} and {out / 'danh-ba.vcf'}")
    return EXIT_FLAGGED if args.strict and (short["units"] or short["chairs"]) else EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="documents for province staff (Vietnamese): six-monthly report, contact list",
                       description=__doc__.split("\n\n")[0])
    rsub = p.add_subparsers(dest="report_command", required=True)
    s = rsub.add_parser("semiannual", help="the six-monthly report of Art. 10.4 / 11.5 (HTML with the network picture, "
                                           "Markdown)")
    s.add_argument("--period", required=True, help="e.g. 2026H2 (July-December) or 2026H1")
    s.add_argument("--system", action="append", help="only this system (repeatable; a district reports its own)")
    s.add_argument("-i", "--inventory", default="inventory/hagiang")
    s.add_argument("--records", default=".gbtt/records", help="the records folder (maintenance/, meetings/, drift/)")
    s.add_argument("--audit-log", default=".gbtt/audit.log")
    s.add_argument("--out", default=".gbtt/reports", help="where to write (default: .gbtt/reports)")
    s.set_defaults(func=cmd_semiannual)
    c = rsub.add_parser("contacts", help="the directory of operating staff (CSV, HTML, vCard); flags units short of staff")
    c.add_argument("--system", action="append", help="only this system (repeatable)")
    c.add_argument("-i", "--inventory", default="inventory/hagiang")
    c.add_argument("--out", default=".gbtt/reports", help="where to write (default: .gbtt/reports)")
    c.add_argument("--strict", action="store_true", help="exit 1 when a unit or chair endpoint is short of staff")
    c.set_defaults(func=cmd_contacts)
