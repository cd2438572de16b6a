"""``gbtt maintenance due|checks``: when each system is due for its annual maintenance
(Art. 12.4), from the records ``playbooks/maintenance.yml`` writes; the declared checks."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from gbtt import checks as ck
from gbtt import maintenance as mt
from gbtt import registry as reg_mod

EXIT_OK, EXIT_DUE, EXIT_USAGE = 0, 1, 2
DEFAULT_RECORDS = ".gbtt/records/maintenance"
STATE_TEXT = {"ok": "ok", "soon": "due soon", "overdue": "OVERDUE", "never": "NEVER maintained"}


def cmd_due(args: argparse.Namespace) -> int:
    try:
        source = reg_mod._single(reg_mod.find_sources(args.inventory), args.inventory)
    except reg_mod.SourceError as exc:
        print(f"gbtt maintenance due: {exc}", file=sys.stderr)
        return EXIT_USAGE
    loaded = reg_mod.load(source)
    if loaded.report.errors:
        print(f"gbtt maintenance due: {args.inventory}: the registry does not validate (gbtt validate)", file=sys.stderr)
        return EXIT_USAGE
    reg = loaded.registry
    tz = ZoneInfo(reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh")
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            print(f"gbtt maintenance due: --today {args.today!r}: write YYYY-MM-DD", file=sys.stderr)
            return EXIT_USAGE
    else:
        today = dt.datetime.now(tz).date()
    systems = args.system or list(reg.systems)
    unknown = [s for s in systems if s not in reg.systems]
    if unknown:
        print(f"gbtt maintenance due: unknown system(s) {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    rows = mt.due(Path(args.records), systems, today, args.within, tz)
    late = [r for r in rows if r.state in ("overdue", "never")]
    if args.format == "json":
        print(json.dumps({"today": today.isoformat(), "within": args.within,
                          "systems": [r.as_dict() for r in rows]}, ensure_ascii=False, indent=1))
    else:
        width = max(len(s) for s in systems)
        for r in rows:
            last = r.last.isoformat() if r.last else "never"
            due = r.due.isoformat() if r.due else "now"
            extra = ""
            if r.last_attempt and r.last_attempt != r.last:
                extra = f" (last run {r.last_attempt.isoformat()} incomplete)"
            print(f"{r.system:<{width}}  last {last:<10}  due {due:<10}  {STATE_TEXT[r.state]}{extra}")
        print(f"{len(late)} of {len(rows)} system(s) overdue or never maintained; "
              f"{sum(1 for r in rows if r.state == 'soon')} due within {args.within} day(s) (today {today})")
    return EXIT_DUE if late else EXIT_OK


def cmd_checks(args: argparse.Namespace) -> int:
    try:
        checks = ck.load(Path(args.checks)) if args.checks else ck.load()
    except ck.CheckError as exc:
        print(f"gbtt maintenance checks: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for c in checks:
        where = "operator" if c.operator else f"{','.join(c.classes)} on {','.join(sorted(c.platforms))}"
        print(f"{c.id:<22} {c.severity:<8} {where:<40} {c.title_en}")
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("maintenance", help="annual maintenance (Art. 12.4): due dates, checks",
                       description="Records are written by playbooks/maintenance.yml; see docs/maintenance.md.")
    msub = p.add_subparsers(dest="maintenance_command", required=True)
    d = msub.add_parser("due", help="which systems are due for maintenance; exit 1 when one is overdue",
                        description="A system is maintained on the day of its last complete record (every "
                                    "device reached, every operator item confirmed) and due on its anniversary "
                                    "(29 February: 28 February). Exit 0: none overdue; 1: some overdue or never "
                                    "maintained; 2: usage error.")
    d.add_argument("-i", "--inventory", default="inventory/hagiang")
    d.add_argument("--records", default=DEFAULT_RECORDS, help=f"records folder (default: {DEFAULT_RECORDS})")
    d.add_argument("--within", type=int, default=0, metavar="DAYS", help="also list systems due within DAYS")
    d.add_argument("--system", action="append", help="only this system (repeatable)")
    d.add_argument("--today", help="the day to judge (YYYY-MM-DD; default: today in the province)")
    d.add_argument("--format", choices=["text", "json"], default="text")
    d.set_defaults(func=cmd_due)
    f = msub.add_parser("confirm", help="ask a person the operator checklist and write the vars file for the "
                        "playbook (-e @FILE)", description="Items left empty stay unconfirmed (never passed).")
    f.add_argument("-o", "--output", default="confirm.yml")
    f.add_argument("--endpoint", action="append", help="answer for this endpoint id (repeatable; default: all)")
    f.add_argument("--checks", help="checks folder (default: the project's checks/)")
    f.add_argument("--force", action="store_true", help="replace an existing file")
    f.set_defaults(func=cmd_confirm)
    c = msub.add_parser("checks", help="list the declared checks (checks/*.yml)")
    c.add_argument("--checks", help="checks folder (default: the project's checks/)")
    c.set_defaults(func=cmd_checks)


def cmd_confirm(args: argparse.Namespace) -> int:
    """Ask a person each operator item of checks/ and write the vars file the playbook takes."""
    import yaml
    try:
        items = [c for c in (ck.load(Path(args.checks)) if args.checks else ck.load()) if c.operator]
    except ck.CheckError as exc:
        print(f"gbtt maintenance confirm: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.output)
    if out.exists() and not args.force:
        print(f"gbtt maintenance confirm: {out} exists; --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    ask = input
    print("Xác nhận các hạng mục bảo trì do người vận hành kiểm tra (Điều 3 Quy chế).\n"
          "Trả lời: d = đạt, k = không đạt, b = bỏ qua (không áp dụng); Enter để trống = chưa xác nhận.")
    name = ask("Họ và tên người xác nhận: ").strip()
    if not name:
        print("gbtt maintenance confirm: no name given: nothing written (an item counts only with a name)",
              file=sys.stderr)
        return EXIT_USAGE
    answers: dict[str, dict] = {}
    codes = {"d": "pass", "k": "fail", "b": "n/a"}
    for scope in args.endpoint or ["*"]:
        where = "mọi điểm cầu" if scope == "*" else f"điểm cầu {scope}"
        for check in items:
            while True:
                reply = ask(f"[{where}] {check.title_vi} (d/k/b): ").strip().lower()
                if reply in codes or reply == "":
                    break
                print("  trả lời d, k, b hoặc để trống")
            if not reply:
                continue
            entry: dict | str = codes[reply]
            if reply == "k":
                note = ask("  ghi chú (tình trạng, đã báo ai): ").strip()
                entry = {"status": "fail", "note": note} if note else "fail"
            answers.setdefault(scope, {})[check.id] = entry
    doc = {"gbtt_operator_checks": {"confirmed_by": name, "confirmed_at": dt.datetime.now().astimezone().isoformat(
        timespec="minutes"), "items": answers}}
    out.write_text("---\n# Written by gbtt maintenance confirm; pass it to playbooks/maintenance.yml with -e @"
                   f"{out.name}\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"wrote {out}: {sum(len(v) for v in answers.values())} answer(s) by {name}")
    return EXIT_OK
