"""What a meeting plan gives people: the schedule, an iCalendar file and the invitation.

The invitation (giấy mời họp trực tuyến) is in Vietnamese and carries what Art. 8.1 asks: the
chair endpoint's focal officer (full name, phone), the scale and scope, the system's name, the
times (meeting, official connection, test slot), and what helps coordination (participants,
line-provider staff at the chair, the operating agency). It is sent to the operating agency and
the line providers (Art. 7.4). Markdown, HTML and plain text are made from one set of facts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import icalendar
import jinja2

from gbtt import model as m
from gbtt.meetings import CLAUSE_VI, SCALES, Plan, describe

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "meetings"
WEEKDAYS_VI = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
STEP_VI = {"invitation": "Phát hành giấy mời", "test": "Kết nối thử", "connect": "Kết nối chính thức"}
STEP_EN = {"invitation": "invitation sent", "test": "test connection", "connect": "official connection"}


def when_vi(t: dt.datetime) -> str:
    """``08 giờ 00, Thứ Năm, ngày 03/12/2026``."""
    return f"{t:%H} giờ {t:%M}, {WEEKDAYS_VI[t.weekday()]}, ngày {t:%d/%m/%Y}"


def span(td: dt.timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{mins} min"] * bool(mins or not minutes)
    return " ".join(parts)


@dataclass
class Person:
    name: str
    phone: str
    unit: str
    email: str = ""


def _people(reg: m.Registry, ids, role: str | None = None) -> list[Person]:
    out = []
    for cid in ids:
        c = reg.contacts.get(cid)
        if c is None or (role and role not in c.roles):
            continue
        unit = reg.units.get(c.unit)
        out.append(Person(c.name or "(chưa có họ tên trong danh bạ)", c.phone or "(chưa có số điện thoại)",
                          unit.name if unit else c.unit, c.email or ""))
    return out


def facts(reg: m.Registry, plan: Plan, tz: dt.tzinfo) -> dict:
    """Everything the invitation and the calendar say, in Vietnamese where people read it."""
    mt = plan.meeting
    local = {s.name: s.at.astimezone(tz) if s.at else None for s in plan.steps}
    host = reg.units.get(mt.host_unit)
    chair = plan.chair
    chair_site = reg.sites.get(chair.site) if chair else None
    providers = sorted({e.line.provider for e in plan.participants})
    line_staff = [c.id for c in reg.contacts.values() if "line_staff" in c.roles and chair and chair.id in c.endpoints]
    operator = reg.units.get(plan.system.operating_agency) if plan.system else None
    by_system: dict[str, list[str]] = {}
    for ep in plan.participants:
        by_system.setdefault(reg.systems[ep.system].name, []).append(ep.name)
    test_at = local.get("test")
    return {
        "id": mt.id, "title": mt.title, "host": host.name if host else mt.host_unit,
        "clause": plan.clause, "clause_vi": f"điểm {plan.clause[1]} {CLAUSE_VI[plan.clause[0]]} Điều 5",
        "scope": SCALES[plan.clause][1],
        "fallback": plan.clause != mt.scale,
        "system": plan.system.name if plan.system else "",
        "systems": [s.name for s in plan.systems],
        "interconnect": plan.interconnect.name or plan.interconnect.id if plan.interconnect else None,
        "approval": f"{plan.approval.number} ({plan.approval.authority})" if plan.approval else None,
        "start": when_vi(mt.start.astimezone(tz)), "end": f"{mt.end.astimezone(tz):%H} giờ {mt.end.astimezone(tz):%M}",
        "duration": span(mt.duration).replace(" d", " ngày").replace(" h", " giờ").replace(" min", " phút"),
        "connect": when_vi(local["connect"]) if local.get("connect") else "",
        "test": when_vi(test_at) if test_at else "",
        "test_end": f"{test_at + dt.timedelta(hours=1):%H} giờ {test_at + dt.timedelta(hours=1):%M}" if test_at else "",
        "chair": chair.name if chair else "", "chair_room": (chair_site.room or chair_site.name) if chair_site else "",
        "focal": _people(reg, chair.focal_officers) if chair else [],
        "line_staff": _people(reg, line_staff),
        "providers": [reg.units[p].name if p in reg.units else p for p in providers],
        "operator": operator.name if operator else "",
        "participants": by_system, "count": len(plan.participants),
        "notes": mt.notes,
    }


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(["html"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def invitation(reg: m.Registry, plan: Plan, tz: dt.tzinfo, fmt: str = "md") -> str:
    """The invitation as ``md``, ``html`` or ``txt``."""
    return _env().get_template(f"invitation.{fmt}.j2").render(f=facts(reg, plan, tz))


def calendar(reg: m.Registry, plan: Plan, tz: dt.tzinfo, stamp: dt.datetime) -> bytes:
    """An iCalendar file: the test connection, the official connection and the meeting."""
    f = facts(reg, plan, tz)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//gbtt//Hà Giang online meetings//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Họp trực tuyến: {plan.meeting.title}")
    mt = plan.meeting
    where = f"{f['chair']} ({f['chair_room']}) — {f['system']}"
    focal = "; ".join(f"{p.name}, {p.phone}" for p in f["focal"])
    description = (f"{f['title']}\nĐơn vị chủ trì: {f['host']}\nQuy mô: {f['clause_vi']}: {f['scope']}\n"
                   f"Hệ thống: {f['system']}\nĐiểm cầu chủ tọa: {f['chair']}\nCán bộ đầu mối: {focal}\n"
                   f"Số điểm cầu: {f['count']}")
    events = []
    test = plan.step("test")
    if test and test.at:
        events.append(("test", f"Kết nối thử: {mt.title}", test.at, test.at + dt.timedelta(hours=1)))
    connect = plan.step("connect")
    if connect and connect.at:
        events.append(("connect", f"Kết nối chính thức: {mt.title}", connect.at, mt.start))
    events.append(("meeting", mt.title, mt.start, mt.end))
    for kind, summary, begin, end in events:
        ev = icalendar.Event()
        ev.add("uid", f"{mt.id}-{kind}@gbtt")
        ev.add("dtstamp", stamp.astimezone(dt.timezone.utc))
        ev.add("dtstart", begin.astimezone(tz))
        ev.add("dtend", end.astimezone(tz))
        ev.add("summary", summary)
        ev.add("location", where)
        ev.add("description", description)
        ev.add("categories", ["GBTT", f"Cấp độ {plan.clause}"])
        if kind != "meeting":
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", dt.timedelta(minutes=-30))
            ev.add_component(alarm)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def schedule(plan: Plan, tz: dt.tzinfo, now: dt.datetime) -> str:
    """The plan for the engineer, in English (names as written)."""
    mt = plan.meeting
    lines = [f"meeting {mt.id}: {mt.title}",
             f"  clause {plan.clause}" + (f" (filed as {mt.scale})" if plan.clause != mt.scale else "")
             + f" on {', '.join(s.id for s in plan.systems) or '—'}; chair {plan.chair.id if plan.chair else '—'}; "
             f"{len(plan.participants)} endpoint(s); priority: {plan.priority}",
             f"  opens {mt.start.astimezone(tz):%a %Y-%m-%d %H:%M}, ends {mt.end.astimezone(tz):%H:%M} "
             f"({span(mt.duration)})"]
    for s in plan.steps:
        label = STEP_EN[s.name]
        deadline = f"by {s.deadline.astimezone(tz):%a %Y-%m-%d %H:%M} (Art. {s.article}: {s.note})"
        if s.ok:
            at = s.at.astimezone(tz) if s.at else None
            if s.name == "invitation" and not s.given:
                lines.append(f"  ok    invitation: to send {deadline}")
                continue
            how = "planned" if s.given else ("now" if at and abs((at - now).total_seconds()) < 60 else "proposed")
            lines.append(f"  ok    {label}: {how} {at:%a %Y-%m-%d %H:%M}, {deadline}" if at else f"  ok    {label}: {deadline}")
        else:
            what = "late" if s.given else "can no longer be met"
            lines.append(f"  MISS  {label}: {what} by {span(s.short_by)}: due {deadline}"
                         + (f"; planned {s.at.astimezone(tz):%a %Y-%m-%d %H:%M}" if s.at else ""))
    lines += [f"  refused: {p}: {why}" for p, why in plan.refused]
    lines += [f"  decision: {d}" for d in plan.decisions]
    lines += [f"  problem: {p}" for p in plan.problems]
    lines.append(f"  => {'ready to invite' if plan.ok else 'NOT READY'}")
    return "\n".join(lines) + "\n"


def write(folder: Path, reg: m.Registry, plan: Plan, tz: dt.tzinfo, now: dt.datetime) -> list[Path]:
    """The calendar, the invitation in three formats and the plan as JSON, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    mid = plan.meeting.id
    for name, data in ((f"{mid}.ics", calendar(reg, plan, tz, now)),
                       (f"{mid}.giay-moi.md", invitation(reg, plan, tz, "md").encode()),
                       (f"{mid}.giay-moi.html", invitation(reg, plan, tz, "html").encode()),
                       (f"{mid}.giay-moi.txt", invitation(reg, plan, tz, "txt").encode()),
                       (f"{mid}.plan.json", (json.dumps(describe(plan), ensure_ascii=False, indent=1) + "\n").encode())):
        path = folder / name
        path.write_bytes(data)
        out.append(path)
    return out
