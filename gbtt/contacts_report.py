"""The directory of the people who run the meeting systems (Art. 10.3: the DIC keeps the list
of operating staff up to date and circulates it; Art. 13.2: at least 2 trained technical staff
per unit with an endpoint; Art. 16.3: at least 2 line-provider staff on the chair endpoint's
team).

By system, then by unit: the focal officers of the unit's endpoints and its technical staff
(name, unit, phone, email), and the line-provider staff at the system's chair endpoints. A
unit with fewer than 2 technical staff, or a chair endpoint with fewer than 2 line-provider
staff, is flagged. Written as CSV (for spreadsheets), HTML (to read and print) and vCard (for
phones), in Vietnamese.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gbtt import model as m

ROLE_VI = {"focal": "Cán bộ đầu mối", "technical": "Cán bộ kỹ thuật", "controller": "Cán bộ điều khiển cuộc họp",
           "line_staff": "Cán bộ kỹ thuật đường truyền"}
MISSING = "(chưa có)"
MIN_STAFF = 2


@dataclass
class Person:
    id: str
    name: str | None
    unit: str
    roles: list[str]
    phone: str | None
    email: str | None
    endpoints: list[str] = field(default_factory=list)

    @property
    def roles_vi(self) -> str:
        return ", ".join(ROLE_VI[r] for r in self.roles)


@dataclass
class UnitEntry:
    unit: m.Unit
    endpoints: list[m.Endpoint]
    people: list[Person]

    @property
    def technical(self) -> int:
        return sum(1 for p in self.people if "technical" in p.roles)

    @property
    def short(self) -> bool:
        return self.technical < MIN_STAFF


@dataclass
class ChairEntry:
    endpoint: m.Endpoint
    scales: list[str]
    line_staff: list[Person]

    @property
    def short(self) -> bool:
        return len(self.line_staff) < MIN_STAFF


@dataclass
class SystemEntry:
    system: m.System
    units: list[UnitEntry]
    chairs: list[ChairEntry]


def _person(reg: m.Registry, c: m.Contact, extra_roles: tuple[str, ...] = ()) -> Person:
    unit = reg.units.get(c.unit)
    roles = [*extra_roles, *(r for r in c.roles if r not in extra_roles)]
    return Person(c.id, c.name, unit.name if unit else c.unit, roles, c.phone, c.email, list(c.endpoints))


def directory(reg: m.Registry, systems: list[str] | None = None) -> list[SystemEntry]:
    out = []
    for sid in systems or list(reg.systems):
        system = reg.systems[sid]
        endpoints = [e for e in reg.endpoints.values() if e.system == sid]
        by_unit: dict[str, list[m.Endpoint]] = {}
        for ep in endpoints:
            site = reg.sites.get(ep.site)
            if site:
                by_unit.setdefault(site.unit, []).append(ep)
        units = []
        for uid, eps in by_unit.items():
            focal = {cid for ep in eps for cid in ep.focal_officers}
            people = [_person(reg, c, ("focal",) if c.id in focal else ())
                      for c in reg.contacts.values() if c.id in focal or (c.unit == uid and "technical" in c.roles)]
            units.append(UnitEntry(reg.units[uid], eps, people))
        chairs = []
        for ep_id in dict.fromkeys(system.chairs.values()):
            ep = reg.endpoints.get(ep_id)
            if ep is None:
                continue
            staff = [_person(reg, c) for c in reg.contacts.values() if "line_staff" in c.roles and ep_id in c.endpoints]
            chairs.append(ChairEntry(ep, sorted(k for k, v in system.chairs.items() if v == ep_id), staff))
        out.append(SystemEntry(system, units, chairs))
    return out


def shortfalls(entries: list[SystemEntry]) -> dict[str, int]:
    return {"units": len({u.unit.id for s in entries for u in s.units if u.short}),
            "chairs": sum(1 for s in entries for c in s.chairs if c.short)}


# =========================================================================================
# Formats
# =========================================================================================

CSV_FIELDS = ["he_thong", "don_vi", "diem_cau", "ho_ten", "vai_tro", "dien_thoai", "email", "ma_lien_he", "canh_bao"]


def csv_text(entries: list[SystemEntry]) -> str:
    """One row per person and system (UTF-8 with a byte-order mark: spreadsheets read the diacritics)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for s in entries:
        for u in s.units:
            flag = f"đơn vị chỉ có {u.technical} cán bộ kỹ thuật (Điều 13.2: ít nhất {MIN_STAFF})" if u.short else ""
            for p in u.people:
                w.writerow({"he_thong": s.system.name, "don_vi": u.unit.name,
                            "diem_cau": "; ".join(e.name for e in u.endpoints if e.id in p.endpoints) or "",
                            "ho_ten": p.name or MISSING, "vai_tro": p.roles_vi, "dien_thoai": p.phone or MISSING,
                            "email": p.email or MISSING, "ma_lien_he": p.id, "canh_bao": flag})
            if not u.people:
                w.writerow({"he_thong": s.system.name, "don_vi": u.unit.name, "ho_ten": MISSING, "canh_bao": flag})
        for c in s.chairs:
            flag = f"điểm cầu chủ tọa chỉ có {len(c.line_staff)} cán bộ đường truyền (Điều 16.3)" if c.short else ""
            for p in c.line_staff:
                w.writerow({"he_thong": s.system.name, "don_vi": p.unit, "diem_cau": c.endpoint.name,
                            "ho_ten": p.name or MISSING, "vai_tro": p.roles_vi, "dien_thoai": p.phone or MISSING,
                            "email": p.email or MISSING, "ma_lien_he": p.id, "canh_bao": flag})
    return "\ufeff" + buf.getvalue()


def _vcard_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Line folding at 75 octets (RFC 2425), never inside a UTF-8 character."""
    out, current = [], b""
    for ch in line:
        enc = ch.encode("utf-8")
        if len(current) + len(enc) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += enc
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def vcards(entries: list[SystemEntry]) -> str:
    """Every person with a name and a phone, once, as vCard 3.0 (RFC 2426, UTF-8): the version every
    phone's address book imports."""
    people: dict[str, tuple[Person, set[str]]] = {}
    for s in entries:
        for p in [p for u in s.units for p in u.people] + [p for c in s.chairs for p in c.line_staff]:
            if p.name and p.phone:
                entry = people.setdefault(p.id, (p, set()))
                entry[1].add(s.system.name)
    cards = []
    for pid in sorted(people):
        p, systems = people[pid]
        parts = p.name.split()
        family, given, middle = parts[0], parts[-1], " ".join(parts[1:-1])
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:urn:gbtt:contact:{pid}",
                 f"FN:{_vcard_escape(p.name)}",
                 f"N:{_vcard_escape(family)};{_vcard_escape(given)};{_vcard_escape(middle)};;",
                 f"ORG:{_vcard_escape(p.unit)}", f"TITLE:{_vcard_escape(p.roles_vi)}",
                 f"TEL;TYPE=WORK,VOICE:{p.phone}"]
        if p.email:
            lines.append(f"EMAIL;TYPE=INTERNET,WORK:{p.email}")
        lines += [f"CATEGORIES:GBTT,{','.join(_vcard_escape(s) for s in sorted(systems))}",
                  f"NOTE:{_vcard_escape('Hệ thống: ' + '; '.join(sorted(systems)))}", "END:VCARD"]
        cards.append("\r\n".join(_fold(line) for line in lines))
    return "\r\n".join(cards) + "\r\n"
