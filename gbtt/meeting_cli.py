"""``gbtt meeting plan|list``: a meeting planned by the regulation from its file.

``plan FILE`` checks the scale → system → chair mapping (Art. 5), the participants the system
reaches, the lead times (Art. 7) and the conflicts with the other meetings of the same folder
(Art. 4.5, 5.2c); prints the schedule and, with ``--out``, writes the iCalendar file and the
invitation (Markdown, HTML, text). Exit 0: ready to invite; 1: the plan cannot be held as it is
(a lead time missed, a conflict lost, a participant refused); 2: bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from gbtt import meeting_docs as docs
from gbtt import meetings as mt
from gbtt import registry as reg_mod

EXIT_OK, EXIT_NOT_READY, EXIT_USAGE = 0, 1, 2


def _now(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    t = dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("--now needs an offset, e.g. 2026-11-29T09:00+07:00")
    return t


def cmd_plan(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        now = _now(args.now)
        if not path.is_file():
            raise mt.MeetingError(f"{path}: no such meeting file (meetings are <inventory>/meetings/<id>.yml)")
        inventory = Path(args.inventory) if args.inventory else mt.inventory_of(path)
        if path.resolve().parent != mt.folder_of(_config(inventory)).resolve():
            raise mt.MeetingError(f"{path}: not in the meetings folder of {inventory} "
                                  f"({mt.folder_of(_config(inventory))}): move it there, or name the inventory with -i")
        loaded, plans, cal = mt.planned(inventory, path.stem, now=now)
    except (mt.MeetingError, reg_mod.SourceError, ValueError) as exc:
        print(f"gbtt meeting plan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    plan = plans[path.stem]
    if args.format == "json":
        print(json.dumps(mt.describe(plan), ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(docs.schedule(plan, cal.tz, now))
    if args.out and plan.system is not None and plan.chair is not None:
        for written in docs.write(Path(args.out), loaded.registry, plan, cal.tz, now):
            print(f"wrote {written}", file=sys.stderr)
    return EXIT_OK if plan.ok else EXIT_NOT_READY


def _config(inventory: Path) -> Path:
    sources = reg_mod.find_sources(inventory)
    return reg_mod._single(sources, inventory).config or inventory


def cmd_list(args: argparse.Namespace) -> int:
    try:
        loaded, plans, cal = mt.planned(Path(args.inventory), now=_now(args.now))
    except (mt.MeetingError, reg_mod.SourceError, ValueError) as exc:
        print(f"gbtt meeting list: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps([mt.describe(p) for p in sorted(plans.values(), key=lambda p: p.meeting.start)],
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    for p in sorted(plans.values(), key=lambda p: p.meeting.start):
        state = "ready" if p.ok else "NOT READY"
        print(f"{p.meeting.start.astimezone(cal.tz):%Y-%m-%d %H:%M}  {p.meeting.id:<28} {p.clause}  "
              f"{(p.system.id if p.system else '—'):<10} {len(p.participants):>3} endpoints  {state}")
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("meeting", help="meetings by the regulation (Art. 5, 7, 8): plan, list",
                       description=__doc__.split("\n\n")[0])
    msub = p.add_subparsers(dest="meeting_command", required=True)
    pl = msub.add_parser("plan", help="plan one meeting: system, chair, lead times, conflicts; calendar and invitation",
                         description="Exit 0: ready to invite; 1: not ready (lead time, conflict, participant); "
                                     "2: bad input.")
    pl.add_argument("file", help="the meeting file, <inventory>/meetings/<id>.yml")
    pl.add_argument("-i", "--inventory", help="the inventory (default: the folder holding meetings/)")
    pl.add_argument("--out", help="write <id>.ics, <id>.giay-moi.{md,html,txt} and <id>.plan.json here")
    pl.add_argument("--now", help="plan as of this time (ISO with offset; default: now)")
    pl.add_argument("--format", choices=["text", "json"], default="text")
    pl.set_defaults(func=cmd_plan)
    ls = msub.add_parser("list", help="every meeting of the inventory, planned together")
    ls.add_argument("-i", "--inventory", default="inventory/hagiang")
    ls.add_argument("--now", help="plan as of this time (ISO with offset; default: now)")
    ls.add_argument("--format", choices=["text", "json"], default="text")
    ls.set_defaults(func=cmd_list)
