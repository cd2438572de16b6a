"""Meetings as data, and their plan by the regulation (Art. 4.5, 5, 7, 8).

A meeting is one small file, ``<inventory>/meetings/<id>.yml``::

    title: "Giao ban trực tuyến tháng 12/2026"
    host_unit: ubnd-tinh          # the unit that convenes it (units.yml)
    scale: 1b                     # the clause of Art. 5
    start: 2026-12-03 08:00       # the opening, in the province's time (or with an offset)
    duration: 2h30m               # or minutes
    participants:                 # default: every endpoint of the system
      districts: [dong-van, meo-vac]
      endpoints: [tinh-tinh-uy]
    seating:                      # Art. 8.2c: the camera preset of an endpoint, by name or number
      tinh-ubnd: "Chủ tọa"

The system and the chair endpoint are derived from the scale and the host unit (the chairs of
``systems.yml``), never typed. Optional: ``test`` and ``connect`` (when the test and the official
connection are planned; proposed when absent), ``invitation_sent``, ``convener`` (the priority
of Art. 4.5 when the host unit does not tell it: ``central``, ``provincial_council``),
``interconnect`` and ``approval`` (scale 4), ``unavailable`` (why the provincial system cannot
serve: the meeting moves to the ICT system, Art. 5.2c).

:func:`plan_all` plans every meeting of a folder together: the lead times of Art. 7 against the
start, and the conflicts on a system resolved by the priority of Art. 4.5, with the fallback of
Art. 5.2c. Each decision carries its explanation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from gbtt import model as m
from gbtt import registry as reg_mod
from gbtt.workcal import WorkCalendar
from gbtt.yamlio import Locator, YamlProblem, fast_load

# Art. 5: clause -> (system kind, what the clause is, in the regulation's words)
SCALES: dict[str, tuple[str, str]] = {
    "1a": ("provincial", "Tỉnh ủy họp với Huyện ủy, Thành ủy"),
    "1b": ("provincial", "HĐND, UBND tỉnh họp với HĐND, UBND các huyện, thành phố"),
    "1c": ("provincial", "Sở Tài chính họp với UBND hoặc Phòng Tài chính Kế hoạch các huyện, thành phố"),
    "2a": ("ict", "Sở Thông tin và Truyền thông họp với UBND hoặc Phòng Văn hóa và Thông tin các huyện, "
                  "thành phố"),
    "2b": ("ict", "Các cơ quan, đơn vị cấp tỉnh họp với đơn vị cấp huyện"),
    "2c": ("ict", "Cuộc họp của Khoản 1 Điều 5 khi Hệ thống GBTT của tỉnh không thể tổ chức"),
    "3a": ("district", "Huyện ủy, Thành ủy họp với Đảng ủy các xã, phường, thị trấn"),
    "3b": ("district", "HĐND, UBND huyện, thành phố họp với HĐND, UBND các xã, phường, thị trấn"),
    "3c": ("district", "Cuộc họp trực tuyến khác có quy mô trên địa bàn huyện, thành phố"),
    "4a": ("interconnect", "Cuộc họp Trung ương đến tỉnh, chuyển tiếp đến các huyện, xã"),
    "4b": ("interconnect", "Cuộc họp do Tỉnh ủy, HĐND, UBND tỉnh chủ trì, kết nối đến các huyện, xã"),
    "4c": ("interconnect", "Cuộc họp khác có quy mô 03 cấp (tỉnh, huyện, xã)"),
}
CLAUSE_VI = {"1": "Khoản 1", "2": "Khoản 2", "3": "Khoản 3", "4": "Khoản 4"}

# Art. 4.5: priority, 1 first. Units the article does not name come last.
PRIORITY = {"central": 1, "provincial_party": 2, "provincial_council": 3, "provincial_committee": 4,
            "district": 5, "other": 6}
PRIORITY_EN = {"central": "a central agency", "provincial_party": "the Provincial Party Committee",
               "provincial_council": "the Provincial People's Council",
               "provincial_committee": "the Provincial People's Committee",
               "district": "a district Party or People's Committee", "other": "a unit Art. 4.5 does not rank"}

INVITATION_LEAD = dt.timedelta(days=2)        # Art. 7.4
CONNECT_LEAD = dt.timedelta(hours=1, minutes=30)   # Art. 7.1
TEST_LENGTH = dt.timedelta(minutes=60)        # the slot proposed for a test connection

_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?([+-][0-9]{2}:[0-9]{2}|Z)?$"
MOMENT = {"type": "string", "pattern": _MOMENT, "x-what": "a time such as 2026-12-03 08:00"}
ID = {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}
IDS = {"type": "array", "items": ID, "minItems": 1, "uniqueItems": True}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["title", "host_unit", "scale", "start", "duration"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "host_unit": ID,
        "scale": {"enum": sorted(SCALES)},
        "start": MOMENT,
        "duration": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1440},
                               {"type": "string", "pattern": r"^([0-9]+h)?([0-9]+m(in)?)?$", "minLength": 2}]},
        "participants": {"type": "object", "additionalProperties": False, "minProperties": 1,
                         "properties": {"systems": IDS, "districts": IDS, "endpoints": IDS}},
        "seating": {"type": "object", "propertyNames": ID,
                    "additionalProperties": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 35},
                                                       {"type": "string", "minLength": 1}]}},
        "test": MOMENT, "connect": MOMENT, "invitation_sent": MOMENT,
        "convener": {"enum": sorted(PRIORITY)},
        "interconnect": ID, "approval": ID,
        "unavailable": {"type": "string", "minLength": 1},
        "notes": {"type": "string"},
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class MeetingError(Exception):
    """A meeting file that cannot be read: the message names the file, line and fix."""


@dataclass
class Meeting:
    id: str
    file: str
    title: str
    host_unit: str
    scale: str
    start: dt.datetime
    duration: dt.timedelta
    participants: dict[str, list[str]]
    seating: dict[str, str | int]
    test: dt.datetime | None = None
    connect: dt.datetime | None = None
    invitation_sent: dt.datetime | None = None
    convener: str | None = None
    interconnect: str | None = None
    approval: str | None = None
    unavailable: str | None = None
    notes: str = ""

    @property
    def end(self) -> dt.datetime:
        return self.start + self.duration


def parse_moment(text: str, tz: dt.tzinfo) -> dt.datetime:
    """``2026-12-03 08:00`` (the province's time) or with an offset (``…+07:00``, ``…Z``)."""
    t = dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    return t.replace(tzinfo=tz) if t.tzinfo is None else t


def parse_duration(value: int | str) -> dt.timedelta:
    if isinstance(value, int):
        return dt.timedelta(minutes=value)
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m(?:in)?)?", value)
    return dt.timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))


def _where(path: Path, data_path: tuple) -> str:
    line, col = Locator({path.name: path}).locate(path.name, data_path)
    return f"{path}:{line}" + (f":{col}" if col else "") if line else str(path)


def load_file(path: Path, tz: dt.tzinfo) -> Meeting:
    """One meeting file; :class:`MeetingError` naming the file, the line and the fix."""
    path = Path(path)
    try:
        data = fast_load(path.read_text(encoding="utf-8"), str(path))
    except YamlProblem as p:
        raise MeetingError(f"{path}:{p.line}: {p.message} ({p.hint})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MeetingError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise MeetingError(f"{path}: a meeting is a mapping: title, host_unit, scale, start, duration "
                           "(see docs/meetings.md)")
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        field_path = "/".join(map(str, e.absolute_path)) or "meeting"
        what = e.schema.get("x-what") if isinstance(e.schema, dict) else None
        message = f"{field_path}: {e.message}" + (f" (write {what})" if what else "")
        raise MeetingError(f"{_where(path, tuple(e.absolute_path))}: {message} (see docs/meetings.md)")
    duration = parse_duration(data["duration"])
    if duration <= dt.timedelta(0):
        raise MeetingError(f"{_where(path, ('duration',))}: duration {data['duration']!r} is no time: "
                           "write e.g. 2h, 90m or 1h30m")
    moments = {}
    for name in ("start", "test", "connect", "invitation_sent"):
        if name in data:
            try:
                moments[name] = parse_moment(data[name], tz)
            except ValueError as exc:
                raise MeetingError(f"{_where(path, (name,))}: {name}: {data[name]!r} is not a time ({exc}): "
                                   "write e.g. 2026-12-03 08:00") from None
    return Meeting(path.stem, str(path), data["title"], data["host_unit"], data["scale"], moments["start"],
                   duration, {k: list(v) for k, v in (data.get("participants") or {}).items()},
                   dict(data.get("seating") or {}), moments.get("test"), moments.get("connect"),
                   moments.get("invitation_sent"), data.get("convener"), data.get("interconnect"),
                   data.get("approval"), data.get("unavailable"), data.get("notes", ""))


def folder_of(inventory: Path) -> Path:
    inventory = Path(inventory)
    return (inventory.parent if inventory.is_file() else inventory) / "meetings"


def load_folder(folder: Path, tz: dt.tzinfo) -> list[Meeting]:
    return [load_file(p, tz) for p in sorted(Path(folder).glob("*.yml"))]


# =========================================================================================
# The plan of one meeting
# =========================================================================================

@dataclass
class Step:
    """A lead time of Art. 7: when the step happens (or is proposed) against its deadline."""
    name: str            # invitation | test | connect
    article: str
    deadline: dt.datetime
    at: dt.datetime | None          # planned or done; None when it can no longer be met
    given: bool                     # typed in the file (else proposed)
    ok: bool
    short_by: dt.timedelta | None = None   # how late, when not ok
    note: str = ""


@dataclass
class Plan:
    meeting: Meeting
    clause: str                               # the clause that applies (2c after a fallback)
    system: m.System | None = None            # the system of the meeting (the hub, for scale 4)
    systems: list[m.System] = field(default_factory=list)   # every system the meeting uses
    interconnect: m.Interconnect | None = None
    approval: m.Approval | None = None
    chair: m.Endpoint | None = None
    participants: list[m.Endpoint] = field(default_factory=list)   # the chair first
    refused: list[tuple[str, str]] = field(default_factory=list)   # (participant as written, why)
    steps: list[Step] = field(default_factory=list)
    priority: str = "other"
    decisions: list[str] = field(default_factory=list)      # why the plan is what it is
    problems: list[str] = field(default_factory=list)       # what keeps it from being held as planned
    placed: bool = True                       # False: lost a conflict with no fallback

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refused and self.placed and all(s.ok for s in self.steps)

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """When the meeting holds its systems: from the official connection to its end."""
        connect = next((s.at or s.deadline for s in self.steps if s.name == "connect"),
                       self.meeting.start - CONNECT_LEAD)
        return min(connect, self.meeting.start), self.meeting.end

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)


def _by_kind(reg: m.Registry, kind: str) -> list[m.System]:
    return [s for s in reg.systems.values() if s.kind == kind]


def _district_of(reg: m.Registry, ep: m.Endpoint) -> str | None:
    site = reg.sites.get(ep.site)
    return site.district if site else None


def priority_of(reg: m.Registry, meeting: Meeting) -> str:
    """Art. 4.5, from the convener when given, else the scale and the host unit."""
    if meeting.convener:
        return meeting.convener
    if meeting.scale == "4a":
        return "central"
    unit = reg.units.get(meeting.host_unit)
    if unit is None:
        return "other"
    if unit.level == "province":
        return {"party_office": "provincial_party", "people_committee": "provincial_committee"}.get(unit.kind, "other")
    if unit.level == "district" and unit.kind in ("party_office", "people_committee"):
        return "district"
    return "other"


def _chair(system: m.System, clause: str, reg: m.Registry, host_unit: str) -> tuple[m.Endpoint | None, str]:
    """The chair endpoint of ``clause`` on ``system`` (for a cascade: the hub's chair of the host unit)."""
    ep_id = system.chairs.get(clause)
    if ep_id is None and clause.startswith("4"):
        own = [e for e in system.chairs.values() if (s := reg.sites.get(reg.endpoints[e].site)) and s.unit == host_unit]
        ep_id = own[0] if own else system.chairs.get("1b") or next(iter(system.chairs.values()), None)
    if ep_id is None:
        return None, (f"system {system.id!r} has no chair endpoint for clause {clause} "
                      f"(chairs in systems.yml: {', '.join(sorted(system.chairs)) or 'none'})")
    return reg.endpoints.get(ep_id), ""


def _participants(reg: m.Registry, meeting: Meeting, systems: list[m.System], hub: m.System
                  ) -> tuple[list[m.Endpoint], list[tuple[str, str]]]:
    """The endpoints the meeting's participants name, and those refused with why."""
    ids = {s.id for s in systems}
    spec = meeting.participants or {"systems": [s.id for s in systems]}
    chosen: dict[str, m.Endpoint] = {}
    refused: list[tuple[str, str]] = []
    for sid in spec.get("systems", []):
        if sid not in reg.systems:
            refused.append((f"system {sid}", "no such system in the registry"))
        elif sid not in ids:
            refused.append((f"system {sid}", f"not reached by a clause {meeting.scale} meeting on "
                            f"{', '.join(sorted(ids))}"))
        else:
            chosen.update({e.id: e for e in reg.endpoints.values() if e.system == sid})
    for did in spec.get("districts", []):
        if did not in reg.districts:
            refused.append((f"district {did}", "no such district in the registry"))
            continue
        found = [e for e in reg.endpoints.values() if e.system in ids and _district_of(reg, e) == did
                 and (e.system == hub.id or reg.systems[e.system].kind != "district"
                      or reg.systems[e.system].district == did)]
        if not found:
            refused.append((f"district {did}", f"no endpoint of {', '.join(sorted(ids))} is in this district"))
        chosen.update({e.id: e for e in found})
    for eid in spec.get("endpoints", []):
        ep = reg.endpoints.get(eid)
        if ep is None:
            refused.append((f"endpoint {eid}", "no such endpoint in the registry"))
        elif ep.system not in ids:
            refused.append((f"endpoint {eid}", f"on system {ep.system!r}, which a clause {meeting.scale} meeting on "
                            f"{', '.join(sorted(ids))} does not reach (an interconnection needs a scale 4 meeting "
                            "and an approval, Art. 4.2)"))
        else:
            chosen[eid] = ep
    return list(chosen.values()), refused


def _interconnect(reg: m.Registry, meeting: Meeting, hub: m.System | None) -> tuple[m.Interconnect | None, str]:
    links = [ln for ln in reg.interconnects.values() if hub is None or ln.hub == hub.id]
    if meeting.interconnect:
        link = reg.interconnects.get(meeting.interconnect)
        if link is None:
            return None, (f"no interconnect {meeting.interconnect!r} in the registry "
                          f"(known: {', '.join(reg.interconnects) or 'none'})")
        return link, ""
    wanted = set(meeting.participants.get("systems", []))
    wanted |= {s.id for s in reg.systems.values() if s.kind == "district"
               and s.district in meeting.participants.get("districts", [])}
    wanted |= {reg.endpoints[e].system for e in meeting.participants.get("endpoints", []) if e in reg.endpoints}
    fits = [ln for ln in links if wanted <= {ln.hub, *ln.spokes}]
    if len(fits) == 1 or (fits and not wanted):
        return (fits[0] if len(fits) == 1 else max(fits, key=lambda ln: len(ln.spokes))), ""
    if not fits:
        return None, ("no interconnect joins the systems of the participants "
                      f"({', '.join(sorted(wanted)) or 'none named'}): define one in interconnects.yml "
                      "and get its approval (Art. 4.2)")
    return None, f"several interconnects fit ({', '.join(ln.id for ln in fits)}): name one with interconnect:"


def _systems(reg: m.Registry, meeting: Meeting, clause: str, plan: Plan) -> None:
    kind = SCALES[clause][0]
    unit = reg.units.get(meeting.host_unit)
    if kind in ("provincial", "ict"):
        found = _by_kind(reg, kind)
        if len(found) != 1:
            plan.problems.append(f"the registry has {len(found)} systems of kind {kind!r}; clause {clause} needs one")
            return
        plan.system, plan.systems = found[0], found
    elif kind == "district":
        district = unit.district if unit else None
        found = [s for s in _by_kind(reg, "district") if s.district == district]
        if not found:
            plan.problems.append(f"host unit {meeting.host_unit!r} is in no district with a district system "
                                 f"(clause {clause} meetings run on the host's district system, Art. 5.3)")
            return
        plan.system, plan.systems = found[0], found
    else:
        provincial = _by_kind(reg, "provincial")
        link, why = _interconnect(reg, meeting, provincial[0] if provincial else None)
        if link is None:
            plan.problems.append(why)
            return
        plan.interconnect = link
        plan.system = reg.systems.get(link.hub)
        plan.systems = [reg.systems[s] for s in (link.hub, *link.spokes) if s in reg.systems]


def plan_one(reg: m.Registry, meeting: Meeting, cal: WorkCalendar, now: dt.datetime, clause: str | None = None
             ) -> Plan:
    """The plan of ``meeting`` on the system of ``clause`` (default: its own scale)."""
    clause = clause or meeting.scale
    plan = Plan(meeting, clause, priority=priority_of(reg, meeting))
    if meeting.host_unit not in reg.units:
        plan.problems.append(f"host_unit {meeting.host_unit!r} is not a unit of the registry")
    _systems(reg, meeting, clause, plan)
    if plan.system is None:
        return plan
    plan.chair, why = _chair(plan.system, clause, reg, meeting.host_unit)
    if plan.chair is None:
        plan.problems.append(why or f"the chair endpoint of {plan.system.id!r} is not in the registry")
        return plan
    participants, plan.refused = _participants(reg, meeting, plan.systems, plan.system)
    plan.participants = [plan.chair] + [e for e in participants if e.id != plan.chair.id]
    if plan.interconnect is not None:   # a cascade holds the hub and the spokes it reaches, not every spoke
        used = {e.system for e in plan.participants}
        plan.systems = [s for s in plan.systems if s.id == plan.system.id or s.id in used]
    for eid in meeting.seating:
        if eid not in {e.id for e in plan.participants}:
            plan.problems.append(f"seating names {eid!r}, which does not take part in the meeting")
    plan.steps = lead_times(meeting, clause, cal, now)
    return plan


# =========================================================================================
# Lead times (Art. 7)
# =========================================================================================

def _step(name: str, article: str, deadline: dt.datetime, given: dt.datetime | None, proposed: dt.datetime | None,
          now: dt.datetime, note: str = "") -> Step:
    if given is not None:
        ok = given <= deadline
        return Step(name, article, deadline, given, True, ok, None if ok else given - deadline, note)
    if proposed is not None and proposed >= now - dt.timedelta(seconds=59):
        return Step(name, article, deadline, proposed, False, True, None, note)
    if now <= deadline:
        return Step(name, article, deadline, now, False, True, None, note)
    return Step(name, article, deadline, None, False, False, now - deadline, note)


def lead_times(meeting: Meeting, clause: str, cal: WorkCalendar, now: dt.datetime) -> list[Step]:
    start = meeting.start
    invite_by = start - INVITATION_LEAD
    invitation = _step("invitation", "7.4", invite_by, meeting.invitation_sent, None, now,
                       "to the operating agency and the line providers")
    if clause.startswith("4"):
        test_by, unit = cal.previous_working_day_end(start), "one working day"
        article = "7.3"
    else:
        test_by, unit = cal.previous_session_end(start), "one working session"
        article = "7.2"
    session = next(cal.sessions_before(test_by + dt.timedelta(seconds=1)))
    proposed_test = max(session.start, test_by - TEST_LENGTH)
    test = _step("test", article, test_by, meeting.test, proposed_test, now, f"at least {unit} before the opening")
    off = cal.days_off_between((test_by + dt.timedelta(seconds=1)).date(), cal.local(start).date())
    if off:
        test.note += "; days off between: " + ", ".join(f"{d:%d/%m} {n}" for d, n in off)
    connect_by = start - CONNECT_LEAD
    connect = _step("connect", "7.1", connect_by, meeting.connect, connect_by, now, "at least 1.5 hours before")
    return [invitation, test, connect]


# =========================================================================================
# Every meeting of a folder: conflicts (Art. 4.5) and the fallback (Art. 5.2c)
# =========================================================================================

def _overlap(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _fallback(reg: m.Registry, plan: Plan, cal: WorkCalendar, now: dt.datetime) -> tuple[Plan | None, str]:
    """The meeting of ``plan`` (clause 1) moved to the ICT system (clause 2c), if every participant
    has an endpoint of the ICT system in its district."""
    moved = plan_one(reg, plan.meeting, cal, now, clause="2c")
    if moved.system is None or moved.chair is None:
        return None, "; ".join(moved.problems) or "no ICT system"
    ict_by_district: dict[str, m.Endpoint] = {}
    for ep in reg.endpoints.values():
        if ep.system == moved.system.id and ep.id != moved.chair.id:
            ict_by_district.setdefault(_district_of(reg, ep) or "", ep)
    mapped, missing = [moved.chair], []
    for ep in plan.participants[1:]:
        site = reg.sites.get(ep.site)
        unit = reg.units.get(site.unit) if site else None
        counterpart = ict_by_district.get(_district_of(reg, ep) or "") if unit and unit.level == "district" else None
        if counterpart is None:
            missing.append(ep.id)
        elif counterpart not in mapped:
            mapped.append(counterpart)
    if missing:
        return None, f"the ICT system has no endpoint for {', '.join(missing)}"
    moved.participants = mapped
    moved.refused = plan.refused
    moved.decisions = list(plan.decisions)
    return moved, ""


def plan_all(reg: m.Registry, meetings: list[Meeting], cal: WorkCalendar, now: dt.datetime) -> dict[str, Plan]:
    """Every meeting planned, conflicts decided in the order of Art. 4.5 (then the earlier
    invitation, then the earlier start, then the id)."""
    plans = {mt.id: plan_one(reg, mt, cal, now) for mt in meetings}
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    order = sorted(meetings, key=lambda mt: (PRIORITY[plans[mt.id].priority], mt.invitation_sent or far,
                                             mt.start, mt.id))
    booked: dict[str, list[Plan]] = {}

    def clash(plan: Plan) -> Plan | None:
        return next((other for s in plan.systems for other in booked.get(s.id, [])
                     if _overlap(plan.window, other.window)), None)

    for mt in order:
        plan = plans[mt.id]
        if plan.system is None:
            continue
        if mt.unavailable and plan.clause.startswith("1"):
            moved, why = _fallback(reg, plan, cal, now)
            if moved is None:
                plan.problems.append(f"the provincial system cannot serve ({mt.unavailable}) and the ICT system "
                                     f"cannot take the meeting (Art. 5.2c): {why}")
            else:
                moved.decisions.append(f"moved to the ICT system {moved.system.id!r} (Art. 5.2c): the provincial "
                                       f"system cannot serve: {mt.unavailable}")
                plans[mt.id] = plan = moved
        winner = clash(plan)
        if winner is not None:
            rule = _why_first(winner, plan)
            if plan.clause.startswith("1"):
                moved, why = _fallback(reg, plan, cal, now)
                other = clash(moved) if moved else None
                if moved is not None and other is None:
                    moved.decisions.append(
                        f"moved to the ICT system {moved.system.id!r} (Art. 5.2c): {plan.system.id!r} is taken "
                        f"by {winner.meeting.id!r} from {winner.window[0]:%d/%m %H:%M}, which goes first ({rule})")
                    plans[mt.id] = plan = moved
                else:
                    why = why or f"the ICT system is taken by {other.meeting.id!r}"
                    plan.placed = False
                    plan.decisions.append(f"not placed: {plan.system.id!r} is taken by {winner.meeting.id!r}, which "
                                          f"goes first ({rule}), and the fallback to the ICT system (Art. 5.2c) "
                                          f"is not possible: {why}")
            else:
                plan.placed = False
                plan.decisions.append(f"not placed: {', '.join(s.id for s in plan.systems)} taken by "
                                      f"{winner.meeting.id!r}, which goes first ({rule}); move one of them")
        if plan.placed:
            for s in plan.systems:
                booked.setdefault(s.id, []).append(plan)
    return plans


def _why_first(winner: Plan, loser: Plan) -> str:
    a, b = PRIORITY[winner.priority], PRIORITY[loser.priority]
    if a < b:
        return f"Art. 4.5: {PRIORITY_EN[winner.priority]} before {PRIORITY_EN[loser.priority]}"
    w, l_ = winner.meeting.invitation_sent, loser.meeting.invitation_sent
    if w and (not l_ or w < l_):
        return f"equal priority under Art. 4.5; its invitation went out first ({w:%d/%m %H:%M})"
    return "equal priority under Art. 4.5 and no earlier invitation; the earlier or first-named meeting"


# =========================================================================================
# Approval of a scale 4 meeting
# =========================================================================================

def check_approval(source: reg_mod.Source, plan: Plan, now: dt.datetime) -> None:
    """A scale 4 meeting needs its interconnect's approval: valid now (the gate of the
    interconnect job) and over the whole meeting."""
    from gbtt import approvals as ap
    from gbtt import interconnect as ic
    if plan.interconnect is None:
        return
    decision = ic.gate(source, plan.interconnect.id, pin=plan.meeting.approval, now=now)
    if not decision.allowed:
        plan.problems.append(f"interconnect {plan.interconnect.id!r} is not approved (Art. 4.2): "
                             f"{decision.reasons()[0]}")
        return
    approval = decision.registry.approvals[decision.approval]
    plan.approval = approval
    tz = decision.registry.province.timezone if decision.registry.province else "Asia/Ho_Chi_Minh"
    until = ap.moment(approval.valid_until, tz, end=True)
    if until < plan.meeting.end:
        plan.problems.append(f"approval {approval.id!r} ends on {approval.valid_until}, before the meeting ends "
                             f"({plan.meeting.end:%Y-%m-%d %H:%M})")
    else:
        plan.decisions.append(f"interconnect {plan.interconnect.id!r} approved by {approval.number} "
                              f"(approval {approval.id!r}, valid until {approval.valid_until})")


def planned(inventory: Path | str, meeting_id: str | None = None, now: dt.datetime | None = None
            ) -> tuple[reg_mod.LoadResult, dict[str, Plan], WorkCalendar]:
    """Load the inventory and every meeting beside it, and plan them."""
    loaded = reg_mod.load(inventory)
    if loaded.report.errors:
        first = loaded.report.errors[0]
        raise MeetingError(f"the inventory does not validate ({len(loaded.report.errors)} error(s); first: "
                           f"{first.file}:{first.line or ''}: {first.message}): run gbtt validate")
    reg = loaded.registry
    try:
        cal = WorkCalendar.of(reg.province)
    except ValueError as exc:
        raise MeetingError(f"{reg.province.src.file}: office_hours: {exc}") from None
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = folder_of(loaded.source.config or Path(inventory))
    meetings = load_folder(folder, cal.tz)
    if meeting_id is not None and meeting_id not in {mt.id for mt in meetings}:
        raise MeetingError(f"no meeting {meeting_id!r} in {folder} (known: "
                           f"{', '.join(mt.id for mt in meetings) or 'none'})")
    plans = plan_all(reg, meetings, cal, now)
    for plan in plans.values():
        if meeting_id in (None, plan.meeting.id):
            check_approval(loaded.source, plan, now)
    return loaded, plans, cal


def inventory_of(meeting_file: Path) -> Path:
    """The inventory a meeting file belongs to: the folder holding its ``meetings/`` folder."""
    return Path(meeting_file).resolve().parent.parent


def describe(plan: Plan) -> dict[str, Any]:
    """The plan as plain data (JSON output, templates)."""
    mt = plan.meeting
    return {
        "id": mt.id, "title": mt.title, "host_unit": mt.host_unit, "scale": mt.scale, "clause": plan.clause,
        "system": plan.system.id if plan.system else None, "systems": [s.id for s in plan.systems],
        "interconnect": plan.interconnect.id if plan.interconnect else None,
        "approval": plan.approval.id if plan.approval else None,
        "chair": plan.chair.id if plan.chair else None, "participants": [e.id for e in plan.participants],
        "refused": [{"participant": p, "why": w} for p, w in plan.refused],
        "start": mt.start.isoformat(), "end": mt.end.isoformat(), "priority": plan.priority,
        "steps": [{"name": s.name, "article": s.article, "deadline": s.deadline.isoformat(),
                   "at": s.at.isoformat() if s.at else None, "given": s.given, "ok": s.ok,
                   "short_by_minutes": int(s.short_by.total_seconds() // 60) if s.short_by else None,
                   "note": s.note} for s in plan.steps],
        "decisions": plan.decisions, "problems": plan.problems, "placed": plan.placed, "ok": plan.ok,
    }
