"""The six-monthly report of Art. 10.4 (the DIC to the Provincial Party and People's Committees)
and Art. 11.5 (a district to the DIC): per system, what it is and what happened to it in the
period, from the registry and the records the other jobs leave:

* the endpoints and devices (platforms, models, software versions from the latest maintenance);
* the meetings held (``.gbtt/records/meetings``, playbooks/meeting.yml);
* the maintenance status and the checks that failed (``.gbtt/records/maintenance``);
* the interconnections made, with their approvals (the audit log and the registry);
* the changes and failures (the audit log: deploys, interconnects, meetings);
* the drift found (``.gbtt/records/drift``, playbooks/drift.yml).

:func:`build` gathers it; :mod:`gbtt.report_cli` writes it as HTML (with the network picture,
:mod:`gbtt.picture`) and Markdown, in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from gbtt import drift as drift_mod
from gbtt import maintenance as mtn
from gbtt import model as m
from gbtt import registry as reg_mod

KIND_VI = {"provincial": "Hệ thống GBTT của tỉnh", "ict": "Hệ thống GBTT ngành TT&TT",
           "district": "Hệ thống GBTT cấp huyện", "other": "Điểm cầu khác"}
CLASS_VI = {"codec": "Thiết bị đầu cuối (codec)", "mcu": "Thiết bị điều khiển đa điểm (MCU)", "router": "Bộ định tuyến"}
DUE_VI = {"ok": "Đã bảo trì đúng hạn", "soon": "Sắp đến hạn bảo trì", "overdue": "QUÁ HẠN bảo trì",
          "never": "CHƯA từng bảo trì"}


class ReportError(Exception):
    """The period or the inventory cannot be reported on."""


def period(text: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """``2026H2`` → [1 July 2026, 1 January 2027) in ``tz``; ``2026H1`` → [1 January, 1 July)."""
    match = re.fullmatch(r"(\d{4})H([12])", text.strip())
    if not match:
        raise ReportError(f"period {text!r}: write the year and the half, e.g. 2026H2 (July to December) or 2026H1")
    year, half = int(match[1]), int(match[2])
    start = dt.datetime(year, 1 if half == 1 else 7, 1, tzinfo=tz)
    end = dt.datetime(year, 7, 1, tzinfo=tz) if half == 1 else dt.datetime(year + 1, 1, 1, tzinfo=tz)
    return start, end


def _when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@dataclass
class Section:
    """One system in the report."""
    system: m.System
    kind_vi: str
    operator: str
    endpoints: list[m.Endpoint]
    devices: list[dict] = field(default_factory=list)          # host, class, platform, model, version, place
    meetings: list[dict] = field(default_factory=list)
    maintenance: dict = field(default_factory=dict)
    interconnections: list[dict] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)
    changes: int = 0
    failures: list[dict] = field(default_factory=list)
    drift: list[dict] = field(default_factory=list)            # host, runs in drift, latest state

    @property
    def versions(self) -> list[tuple[str, str, int]]:
        """(platform, version, devices), most devices first."""
        counts = Counter((d["platform"], d["version"] or "chưa rõ") for d in self.devices)
        return [(p, v, n) for (p, v), n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


@dataclass
class Report:
    province: str
    period: str
    start: dt.datetime
    end: dt.datetime
    generated: str
    sections: list[Section]
    status: dict[str, str]            # host -> ok | fail | drift | unreachable (for the picture)
    links: list[dict]                 # the interconnects for the picture
    sender: str = ""                  # who reports: the DIC (Art. 10.4), or a district (Art. 11.5)
    recipients: list[str] = field(default_factory=list)

    @property
    def period_vi(self) -> str:
        half = "6 tháng đầu năm" if self.start.month == 1 else "6 tháng cuối năm"
        return f"{half} {self.start.year} (từ {self.start:%d/%m/%Y} đến {self.end - dt.timedelta(days=1):%d/%m/%Y})"

    @property
    def totals(self) -> dict[str, int]:
        s = self.sections
        return {"systems": len(s), "endpoints": sum(len(x.endpoints) for x in s),
                "devices": sum(len(x.devices) for x in s),
                "meetings": len({mt["meeting"] for x in s for mt in x.meetings}),
                "maintained": sum(1 for x in s if x.maintenance.get("in_period")),
                "overdue": sum(1 for x in s if x.maintenance.get("state") in ("overdue", "never")),
                "changes": sum(x.changes for x in s), "failures": sum(len(x.failures) for x in s),
                "drift": sum(1 for x in s for d in x.drift if d["runs"]),
                "interconnections": len({(i["link"], i["when"]) for x in s for i in x.interconnections})}


def _audit(path: Path | None, start: dt.datetime, end: dt.datetime) -> list[dict]:
    if path is None or not Path(path).is_file():
        return []
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        when = _when(entry.get("when"))
        if when and start <= when < end and not entry.get("check"):
            out.append(entry)
    return out


def _meetings(folder: Path, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The end records of the meetings held in the period."""
    out = []
    for path in sorted(Path(folder).glob("*/*-end.json")) if Path(folder).is_dir() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        held = _when(doc.get("connected_at")) or _when(doc.get("ended_at"))
        if held and start <= held < end:
            out.append(doc)
    return out


def _latest_maintenance(folder: Path, system: str, end: dt.datetime) -> dict | None:
    recs = [mtn.read(p) for p in mtn.records(folder, system)] if Path(folder).is_dir() else []
    recs = [r for r in recs if _when(r["when"]) < end]
    return recs[-1] if recs else None


def _device_status(record: dict | None) -> dict[str, str]:
    out = {}
    for dev in (record or {}).get("devices", []):
        statuses = {r["status"] for r in dev.get("results", [])}
        out[dev["host"]] = ("unreachable" if not dev.get("reachable") else "fail" if statuses & {"fail", "error"}
                            else "ok")
    return out


def build(source: reg_mod.Source | str | Path, period_text: str, *, records: Path, audit_log: Path | None,
          systems: list[str] | None = None, now: dt.datetime | None = None) -> Report:
    """The report of ``period_text`` (e.g. ``2026H2``) for ``systems`` (default: all).
    ``records``: the folder holding ``maintenance/``, ``meetings/`` and ``drift/``."""
    from gbtt import interconnect as ic
    from gbtt import picture
    if not isinstance(source, reg_mod.Source):
        source = reg_mod._single(reg_mod.find_sources(source), source)
    loaded = reg_mod.load(source)
    if loaded.report.errors:
        raise ReportError(f"{source.config or source.name}: the inventory does not validate (gbtt validate)")
    reg = loaded.registry
    tz = ZoneInfo(reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh")
    start, end = period(period_text, tz)
    now = now or dt.datetime.now(dt.timezone.utc)
    wanted = systems or list(reg.systems)
    unknown = [s for s in wanted if s not in reg.systems]
    if unknown:
        raise ReportError(f"unknown system(s) {', '.join(unknown)} (known: {', '.join(reg.systems)})")
    audit = _audit(audit_log, start, end)
    meetings = _meetings(Path(records) / "meetings", start, end)
    drifts = drift_mod.history(Path(records) / "drift", start, end)
    approval_problems = dict(ic.approval_status(reg, source, min(now, end)))   # approval -> what stands against it
    due = {d.system: d for d in mtn.due(Path(records) / "maintenance", wanted, min(now, end).astimezone(tz).date(),
                                        30, tz)}
    status: dict[str, str] = {}
    sections = []
    for sid in wanted:
        system = reg.systems[sid]
        record = _latest_maintenance(Path(records) / "maintenance", sid, end)
        maintained = _device_status(record)
        section = Section(system, KIND_VI.get(system.kind, system.kind),
                          reg.units[system.operating_agency].name if system.operating_agency in reg.units
                          else system.operating_agency,
                          [e for e in reg.endpoints.values() if e.system == sid])
        section.devices = _devices(reg, system, section.endpoints, record)
        hosts = {d["host"] for d in section.devices}
        section.meetings = [_meeting_row(doc, tz) for doc in meetings if sid in doc.get("systems", [])]
        section.maintenance = _maintenance_row(record, due.get(sid), start, end, tz)
        section.interconnections, section.approvals = _links(reg, sid, audit, approval_problems, tz)
        deploys = [e for e in audit if e.get("host") in hosts and "event" not in e]
        section.changes = sum(1 for e in deploys if e.get("result") == "changed")
        section.failures = [{"when": _local(e["when"], tz), "what": e.get("host") or e.get("meeting") or
                             e.get("interconnect"), "message": e.get("message", "")}
                            for e in audit if e.get("result") == "failed" and _touches(e, sid, hosts, reg)]
        section.drift = _drift_rows(drifts, section.devices)
        for d in section.devices:   # the worse of what is known: the latest maintenance and the latest drift run
            latest = next((r["state"] for r in section.drift if r["host"] == d["host"]), None)
            known = [maintained[d["host"]]] if d["host"] in maintained else []
            if latest is not None:
                known.append({"drift": "drift", "unreachable": "unreachable", "failed": "fail"}.get(latest, "ok"))
            status[d["host"]] = picture.worst(known)
        sections.append(section)
    links = [{"id": link.id, "hub": link.hub, "spokes": list(link.spokes),
              "state": "approved" if any(a.interconnect == link.id and not approval_problems.get(a)
                                         for a in reg.approvals.values()) else "unapproved"}
             for link in reg.interconnects.values()]
    sender, recipients = _addressing(reg, [reg.systems[s] for s in wanted])
    return Report(reg.province.name if reg.province else "", period_text, start, end,
                  now.astimezone(tz).strftime("%d/%m/%Y %H:%M"), sections, status, links, sender, recipients)


def _addressing(reg: m.Registry, systems: list[m.System]) -> tuple[str, list[str]]:
    """A district reporting on its own system writes to the DIC (Art. 11.5); otherwise the DIC
    writes to the Provincial Party Committee and the Provincial People's Committee (Art. 10.4)."""
    dic = reg.units.get(reg.province.approving_authority) if reg.province else None
    districts = {s.district for s in systems}
    if all(s.kind == "district" for s in systems) and len(districts) == 1:
        unit = next((u for u in reg.units.values() if u.kind == "people_committee" and u.level == "district"
                     and u.district in districts), None)
        return (unit.name if unit else systems[0].name), [dic.name if dic else "Sở Thông tin và Truyền thông"]
    heads = [u.name for u in reg.units.values() if u.level == "province" and u.kind in ("party_office", "people_committee")]
    return (dic.name if dic else ""), heads


def _local(when: str, tz) -> str:
    return dt.datetime.fromisoformat(when).astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _devices(reg: m.Registry, system: m.System, endpoints: list[m.Endpoint], record: dict | None) -> list[dict]:
    versions = {}
    for dev in (record or {}).get("devices", []):
        for r in dev.get("results", []):
            if r["check"] == "software-baseline" and r.get("value"):
                versions[dev["host"]] = r["value"]
    rows = [{"host": system.mcu.host, "class": "mcu", "platform": system.mcu.platform, "model": system.mcu.model or "",
             "version": versions.get(system.mcu.host), "place": system.name}]
    for ep in endpoints:
        for dev in (ep.codec, ep.router):
            rows.append({"host": dev.host, "class": dev.device_class, "platform": dev.platform, "model": dev.model or "",
                         "version": versions.get(dev.host), "place": ep.name})
    return rows


def _meeting_row(doc: dict, tz) -> dict:
    return {"meeting": doc["meeting"], "title": doc["title"], "clause": doc["clause"],
            "when": _local(doc.get("connected_at") or doc["ended_at"], tz),
            "took_part": len(doc.get("took_part", [])), "invited": len(doc.get("participants", [])),
            "absent": doc.get("absent", []), "faults": doc.get("faults", []),
            "interconnect": doc.get("interconnect")}


def _maintenance_row(record: dict | None, due, start, end, tz) -> dict:
    row = {"state": due.state if due else "never", "state_vi": DUE_VI[due.state if due else "never"],
           "due": due.due.strftime("%d/%m/%Y") if due and due.due else "ngay", "in_period": False,
           "last": None, "complete": None, "failed": []}
    if record:
        when = dt.datetime.fromisoformat(record["when"])
        row.update(last=_local(record["when"], tz), complete=record["complete"], in_period=start <= when < end,
                   failed=[{"device": d["host"], "place": d.get("endpoint_name") or "", "check": r["check"],
                            "value": r.get("value", "")}
                           for d in record["devices"] for r in d.get("results", []) if r["status"] in ("fail", "error")])
    return row


def _links(reg: m.Registry, sid: str, audit: list[dict], problems: dict, tz) -> tuple[list[dict], list[dict]]:
    mine = {link.id for link in reg.interconnects.values() if sid in link.systems}
    made = [{"when": _local(e["when"], tz), "link": e["interconnect"], "state": e.get("state", "present"),
             "result": e.get("result"), "approval": e.get("approval"),
             "number": reg.approvals[e["approval"]].number if e.get("approval") in reg.approvals else ""}
            for e in audit if e.get("event") == "interconnect" and e.get("interconnect") in mine]
    approvals = [{"id": a.id, "number": a.number, "link": a.interconnect, "valid_until": a.valid_until,
                  "valid": not problems.get(a), "problems": "; ".join(p.vi for p in problems.get(a, []))}
                 for a in reg.approvals.values() if a.interconnect in mine]
    return made, approvals


def _touches(entry: dict, sid: str, hosts: set[str], reg: m.Registry) -> bool:
    if entry.get("host") in hosts:
        return True
    link = reg.interconnects.get(entry.get("interconnect") or "")
    return bool(link and sid in link.systems) or sid in entry.get("systems", ())


def _drift_rows(reports: list[dict], devices: list[dict]) -> list[dict]:
    hosts = {d["host"] for d in devices}
    runs: Counter = Counter()
    latest: dict[str, str] = {}
    for doc in reports:
        for h in doc.get("hosts", []):
            if h["host"] in hosts:
                latest[h["host"]] = h["state"]
                if h["state"] == "drift":
                    runs[h["host"]] += 1
    return [{"host": h, "runs": runs[h], "state": latest[h]} for h in sorted(latest)]
