"""The regulation's rules over a schema-valid registry.

Each check returns diagnostics; none stops at the first problem.  Errors make the
registry unusable (nothing may be deployed from it); warnings are data still to be
collected (names and phones of people, line circuits) and staffing minima of the
regulation, counted so that the gap is visible.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import defaultdict
from typing import Iterable, Iterator

from gbtt import model as m
from gbtt.approvals import moment, number_problem
from gbtt.diagnostics import Diagnostic, error, warning
from gbtt.schema import SCALES


def check(reg: m.Registry, invalid: Iterable[tuple[str, str]] = ()) -> list[Diagnostic]:
    ctx = _Ctx(reg, set(invalid))
    out: list[Diagnostic] = []
    for fn in (_province, _units, _sites, _systems, _endpoints, _devices, _art1_counts, _districts_covered,
               _contacts, _interconnects, _approvals, _revocations, _staffing):
        out.extend(fn(ctx))
    return out


class _Ctx:
    def __init__(self, reg: m.Registry, invalid: set[tuple[str, str]]):
        self.reg = reg
        self.invalid = invalid

    def ref(self, section: str, value: str | None, src: m.Src, what: str, hint: str | None = None
            ) -> Iterator[Diagnostic]:
        """A dangling-reference error, unless ``value`` resolves (or names an entry already reported)."""
        if value is None or value in getattr(self.reg, section) or (section, value) in self.invalid:
            return
        known = list(getattr(self.reg, section))
        import difflib
        close = difflib.get_close_matches(value, known, n=1)
        text = hint or (f"did you mean {close[0]!r}?" if close else f"define {section[:-1]} {value!r} "
                        f"in the '{section}' section, or refer to an existing one")
        yield error("dangling reference", f"{what} {value!r} does not exist", text, src)


def _province(c: _Ctx) -> Iterator[Diagnostic]:
    p = c.reg.province
    if p is None:
        return
    yield from c.ref("units", p.approving_authority, p.src.at("approving_authority"), "approving authority unit")
    try:
        import zoneinfo
        zoneinfo.ZoneInfo(p.timezone)
    except (ImportError, ValueError, OSError):
        yield error("invalid value", f"unknown time zone {p.timezone!r}", "Vietnam is 'Asia/Ho_Chi_Minh'",
                    p.src.at("timezone"))
    net = _network(p.management_network)
    if net is None:
        yield error("invalid address", f"{p.management_network!r} has host bits set",
                    "write the network address, e.g. 10.23.0.0/16", p.src.at("management_network"))
    elif not net.is_private:
        yield error("invalid address", f"management network {net} is not a private range",
                    "use a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
                    p.src.at("management_network"))
    hours = list(p.office_hours)
    for i, (start, end) in enumerate(hours):
        if not start < end or (i + 1 < len(hours) and not end <= hours[i + 1][0]):
            yield error("invalid value", f"office hours {start}-{end} are not a session in order",
                        "list the working sessions in the day's order, each ending after it starts and before "
                        "the next begins, e.g. 07:30-11:30 then 13:30-17:00", p.src.at("office_hours", i))
    both = sorted(set(p.extra_days_off) & set(p.extra_working_days))
    if both:
        yield error("invalid value", f"{', '.join(both)} both a day off and a working day",
                    "keep each date in one of extra_days_off and extra_working_days", p.src.at("extra_days_off"))


def _network(text: str) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(text)
    except ValueError:
        return None


def _unit_place(c: _Ctx, obj, src: m.Src, need_district: bool, need_commune: bool) -> Iterator[Diagnostic]:
    if need_district and not obj.district:
        yield error("missing key", f"{obj.id} needs a district", "add 'district:'", src)
    if need_commune and not obj.commune:
        yield error("missing key", f"{obj.id} needs a commune", "add 'commune:'", src)
    if obj.district:
        yield from c.ref("districts", obj.district, src.at("district"), "district")
    if obj.commune and obj.district in c.reg.districts:
        communes = {x.id for x in c.reg.districts[obj.district].communes}
        if obj.commune not in communes:
            yield error("dangling reference", f"commune {obj.commune!r} is not in district {obj.district!r}",
                        "use a commune id of that district (see geography.yml)", src.at("commune"))


def _units(c: _Ctx) -> Iterator[Diagnostic]:
    for u in c.reg.units.values():
        yield from _unit_place(c, u, u.src, u.level in ("district", "commune"), u.level == "commune")


def _sites(c: _Ctx) -> Iterator[Diagnostic]:
    for s in c.reg.sites.values():
        yield from c.ref("units", s.unit, s.src.at("unit"), "unit")
        yield from _unit_place(c, s, s.src, True, False)


def _systems(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    province_net = _network(reg.province.management_network) if reg.province else None
    subnets: list[tuple[ipaddress.IPv4Network, m.System]] = []
    for s in reg.systems.values():
        yield from c.ref("units", s.operating_agency, s.src.at("operating_agency"), "operating agency unit")
        yield from c.ref("units", s.funding_owner, s.src.at("funding_owner"), "funding owner unit")
        if s.approving_authority:
            yield from c.ref("units", s.approving_authority, s.src.at("approving_authority"), "approving authority")
        yield from c.ref("sites", s.mcu.site, s.mcu.src.at("site"), "MCU site")
        if s.kind == "district":
            if not s.district:
                yield error("missing key", f"district system {s.id!r} needs 'district:'",
                            "name the district this system serves", s.src)
            else:
                yield from c.ref("districts", s.district, s.src.at("district"), "district")
        net = _network(s.management_subnet)
        if net is None:
            yield error("invalid address", f"{s.management_subnet!r} has host bits set",
                        "write the network address, e.g. 10.23.1.0/24", s.src.at("management_subnet"))
        else:
            if province_net and not net.subnet_of(province_net):
                yield error("address outside plan", f"subnet {net} is outside the province's management "
                            f"network {province_net}", "see docs/addressing.md", s.src.at("management_subnet"))
            for other_net, other in subnets:
                if net.overlaps(other_net):
                    yield error("duplicate address", f"subnet {net} of {s.id!r} overlaps {other_net} of {other.id!r}",
                                "give each system its own subnet (docs/addressing.md)",
                                s.src.at("management_subnet"), also=[other.src.at("management_subnet")])
            subnets.append((net, s))
        # Art. 5: every scale clause of the kind has a chair endpoint of this system
        allowed = SCALES[s.kind]
        for scale, ep_id in s.chairs.items():
            src = s.src.at("chairs", scale)
            if scale not in allowed:
                owner = next((k for k, v in SCALES.items() if scale in v), "interconnected meetings")
                yield error("invalid value", f"scale {scale} is not a clause of {s.kind} systems (it belongs to "
                            f"{owner})", f"{s.kind} systems chair clauses {', '.join(allowed) or '(none)'}",
                            s.src.at("chairs", scale), at_key=True)
                continue
            ep = reg.endpoints.get(ep_id)
            if ep is None:
                yield from c.ref("endpoints", ep_id, src, f"chair endpoint for scale {scale}")
            elif ep.system != s.id:
                yield error("chair not in system", f"chair endpoint {ep_id!r} for scale {scale} belongs to system "
                            f"{ep.system!r}, not {s.id!r}", "a chair must be an endpoint of the system it chairs "
                            "(Art. 5)", src, also=[ep.src])
        for scale in allowed:
            if scale not in s.chairs:
                yield error("missing chair endpoint", f"system {s.id!r} has no chair endpoint for scale {scale} "
                            f"(Art. 5)", f"add '{scale}: <endpoint id>' under chairs", s.src.at("chairs"))


def _endpoints(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    for ep in reg.endpoints.values():
        yield from c.ref("systems", ep.system, ep.src.at("system"), "system")
        yield from c.ref("sites", ep.site, ep.src.at("site"), "site")
        for i, contact in enumerate(ep.focal_officers):
            yield from c.ref("contacts", contact, ep.src.at("focal_officers", i), "focal officer")
        prov = reg.units.get(ep.line.provider)
        if prov is None:
            yield from c.ref("units", ep.line.provider, ep.line.src.at("provider"), "line provider")
        elif prov.kind != "line_provider":
            yield error("invalid value", f"line provider {prov.id!r} is a {prov.kind}, not a line provider",
                        "name a unit of kind line_provider (e.g. vnpt-hg, viettel-hg)", ep.line.src.at("provider"))
        system = reg.systems.get(ep.system)
        site = reg.sites.get(ep.site)
        if ep.border_cluster and system and system.kind != "provincial":
            yield error("invalid value", "border_cluster is only for endpoints of the provincial system (Art. 1)",
                        "remove it or set it to false", ep.src.at("border_cluster"))
        if system and system.kind == "district" and site and system.district and site.district != system.district:
            yield error("endpoint outside district", f"endpoint {ep.id!r} of district system {system.id!r} is at "
                        f"site {site.id!r} in district {site.district!r}",
                        "a district system links the district's own communes (Art. 1): move the endpoint to "
                        "the system of its district", ep.src.at("site"))
        ids = {p.get("id") for p in ep.camera_presets}
        if len(ids) != len(ep.camera_presets):
            yield error("duplicate id", f"camera preset numbers repeat on {ep.id!r}", "number presets once each",
                        ep.src.at("camera_presets"))


def _devices(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    hosts: dict[str, m.Device] = {}
    addrs: dict[str, m.Device] = {}
    province_net = _network(reg.province.management_network) if reg.province else None
    nets = {sid: _network(s.management_subnet) for sid, s in reg.systems.items()}
    ntp = set(reg.province.ntp_servers) if reg.province else set()
    for d in reg.devices():
        first = hosts.get(d.host)
        if first is not None:
            yield error("duplicate host name", f"host name {d.host!r} is used twice",
                        "every device needs its own host name (rule: <endpoint>-codec, <endpoint>-router, "
                        "<system>-mcu)", d.src.at("host"), also=[first.src.at("host")])
        else:
            hosts[d.host] = d
        first = addrs.get(d.address)
        if first is not None:
            yield error("duplicate address", f"address {d.address} of {d.host!r} is also used by {first.host!r}",
                        "every device needs its own management address (docs/addressing.md)",
                        d.src.at("address"), also=[first.src.at("address")])
        else:
            addrs[d.address] = d
        ip = ipaddress.IPv4Address(d.address)
        net = nets.get(d.system)
        if d.address in ntp:
            yield error("duplicate address", f"address {d.address} of {d.host!r} is an NTP server of the province",
                        "pick a free address (docs/addressing.md)", d.src.at("address"))
        if net is not None and ip not in net:
            yield error("address outside plan", f"address {d.address} of {d.host!r} is outside its system's "
                        f"subnet {net}", "see docs/addressing.md for the address of each device",
                        d.src.at("address"))
        elif net is not None and ip in (net.network_address, net.broadcast_address):
            yield error("invalid address", f"address {d.address} is the network or broadcast address of {net}",
                        "see docs/addressing.md", d.src.at("address"))
        elif net is None and province_net is not None and ip not in province_net:
            yield error("address outside plan", f"address {d.address} of {d.host!r} is outside the province's "
                        f"management network {province_net}", "see docs/addressing.md", d.src.at("address"))


def _art1_counts(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    expected = reg.province.expected_endpoints if reg.province else {}
    by_kind: dict[str, list[m.System]] = defaultdict(list)
    for s in reg.systems.values():
        by_kind[s.kind].append(s)
    for kind in ("provincial", "ict"):
        systems = by_kind.get(kind, [])
        if len(systems) > 1:
            yield error("wrong count", f"{len(systems)} systems of kind {kind}; the regulation has one (Art. 1)",
                        "merge them or change the kind of the extra ones", systems[1].src.at("kind"),
                        also=[systems[0].src.at("kind")])
        if kind in expected:
            if not systems:
                yield error("wrong count", f"no {kind} system, but province.expected_endpoints names one",
                            "add the system or remove its expected count", reg.province.src.at("expected_endpoints"))
                continue
            n = len(reg.endpoints_of(systems[0].id))
            if n != expected[kind]:
                yield error("wrong count", f"the {kind} system {systems[0].id!r} has {n} endpoints; Art. 1 "
                            f"says {expected[kind]}", "add or remove endpoints, or correct "
                            f"province.expected_endpoints.{kind} if the regulation changed",
                            systems[0].src.at("id"), also=[reg.province.src.at("expected_endpoints", kind)])


def _districts_covered(c: _Ctx) -> Iterator[Diagnostic]:
    """Art. 1: one system per district linking the district People's Committee with every commune."""
    reg = c.reg
    systems_of: dict[str, list[m.System]] = defaultdict(list)
    for s in reg.systems.values():
        if s.kind == "district" and s.district:
            systems_of[s.district].append(s)
    for d in reg.districts.values():
        systems = systems_of.get(d.id, [])
        if not systems:
            yield error("wrong count", f"district {d.id!r} ({d.name}) has no district system (Art. 1)",
                        "add a system of kind district for it", d.src)
            continue
        if len(systems) > 1:
            yield error("wrong count", f"district {d.id!r} has {len(systems)} district systems",
                        "keep one system per district (Art. 1)", systems[1].src, also=[systems[0].src])
        covered = set()
        for ep in reg.endpoints_of(systems[0].id):
            site = reg.sites.get(ep.site)
            if site and site.commune:
                covered.add(site.commune)
        for com in d.communes:
            if com.id not in covered:
                yield error("wrong count", f"commune {com.id!r} ({com.name}) has no endpoint in the system of "
                            f"district {d.id!r}", "add its endpoint to the district system (Art. 1)", com.src)


def _contacts(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    for ct in reg.contacts.values():
        unit = reg.units.get(ct.unit)
        if unit is None:
            yield from c.ref("units", ct.unit, ct.src.at("unit"), "unit")
        for i, ep in enumerate(ct.endpoints):
            yield from c.ref("endpoints", ep, ct.src.at("endpoints", i), "endpoint")
        if "line_staff" in ct.roles and unit is not None and unit.kind != "line_provider":
            yield error("invalid value", f"contact {ct.id!r} is line_staff but works for {unit.id!r}, "
                        f"a {unit.kind}", "line staff belong to a line provider unit", ct.src.at("unit"))
        blank = [f for f in ("name", "phone", "email") if not getattr(ct, f)]
        if blank:
            yield warning("contact details to fill in", f"contact {ct.id!r} ({unit.name if unit else ct.unit}): "
                          f"{', '.join(blank)} to fill in", "write the person's details; never invent them",
                          ct.src.at(blank[0]) if len(blank) < 3 else ct.src)
    for ep in reg.endpoints.values():
        if not ep.line.circuit:
            yield warning("line circuit to fill in", f"endpoint {ep.id!r}: line circuit id to fill in",
                          "copy the circuit id from the line provider's contract", ep.line.src.at("circuit"))


def _staffing(c: _Ctx) -> Iterator[Diagnostic]:
    """Art. 13.2: 2 technical staff per unit with endpoints; Art. 16.3: 2 line staff per chair endpoint."""
    reg = c.reg
    technical: dict[str, int] = defaultdict(int)
    for ct in reg.contacts.values():
        if "technical" in ct.roles and ct.complete:
            technical[ct.unit] += 1
    units_with_endpoints: dict[str, m.Site] = {}
    for ep in reg.endpoints.values():
        site = reg.sites.get(ep.site)
        if site and site.unit not in units_with_endpoints:
            units_with_endpoints[site.unit] = site
    for unit_id, site in units_with_endpoints.items():
        n = technical.get(unit_id, 0)
        if n < 2:
            unit = reg.units.get(unit_id)
            yield warning("Art. 13.2 technical staff", f"unit {unit_id!r} ({unit.name if unit else '?'}) has {n} "
                          "technical contact(s) with name, phone and email; at least 2 are required",
                          "fill in or add contacts with role technical for this unit",
                          unit.src if unit else site.src)
    line_staff: dict[str, int] = defaultdict(int)
    for ct in reg.contacts.values():
        if "line_staff" in ct.roles and ct.complete:
            for ep in ct.endpoints:
                line_staff[(ct.unit, ep)] += 1
    for s in reg.systems.values():
        for ep_id in sorted(set(s.chairs.values())):
            ep = reg.endpoints.get(ep_id)
            if ep is None:
                continue
            n = line_staff.get((ep.line.provider, ep_id), 0)
            if n < 2:
                yield warning("Art. 16.3 line staff", f"chair endpoint {ep_id!r}: line provider {ep.line.provider!r} "
                              f"has {n} staff with name, phone and email on its team; at least 2 are required",
                              "fill in or add line_staff contacts of the provider naming this endpoint",
                              ep.line.src)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _interconnects(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    pairs: dict[tuple[str, str], str] = {}
    for link in reg.interconnects.values():
        yield from c.ref("systems", link.hub, link.src.at("hub"), "hub system")
        seen = {link.hub}
        for i, sid in enumerate(link.spokes):
            where = link.src.at("spokes", i)
            if sid in seen:
                yield error("duplicate id", f"interconnect {link.id!r} lists system {sid!r} twice "
                            + ("(it is the hub)" if sid == link.hub else ""), "list each spoke once, not the hub",
                            where)
                continue
            seen.add(sid)
            yield from c.ref("systems", sid, where, "spoke system")
            pair = (link.hub, sid)
            if pair in pairs:
                yield error("duplicate id", f"systems {link.hub!r} and {sid!r} are already linked by interconnect "
                            f"{pairs[pair]!r}", "one interconnect per pair of systems: extend that one instead",
                            where)
            pairs[pair] = link.id
            hub, spoke = reg.systems.get(link.hub), reg.systems.get(sid)
            if hub and spoke and hub.mcu.address == spoke.mcu.address:
                yield error("invalid value", f"systems {link.hub!r} and {sid!r} share one MCU: there is nothing to "
                            "cascade", "remove the spoke", where)


def _approvals(c: _Ctx) -> Iterator[Diagnostic]:
    reg = c.reg
    tz = reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh"
    for a in reg.approvals.values():
        yield from c.ref("units", a.authority, a.src.at("authority"), "approving authority")
        problem = number_problem(a.number)
        if problem:
            yield error("invalid value", problem, "copy the number from the signed document, typing it on a "
                        "Vietnamese keyboard layout", a.src.at("number"))
        if _date(a.issued) is None:
            yield error("invalid value", f"{a.issued!r} is not a calendar date", "write YYYY-MM-DD", a.src.at("issued"))
        window = {}
        for f in ("valid_from", "valid_until"):
            try:
                window[f] = moment(getattr(a, f), tz, end=f == "valid_until")
            except ValueError:
                yield error("invalid value", f"{getattr(a, f)!r} is not a calendar date or time",
                            "write YYYY-MM-DD or YYYY-MM-DDTHH:MM+07:00", a.src.at(f))
        if len(window) == 2 and window["valid_until"] <= window["valid_from"]:
            yield error("invalid value", f"approval {a.id!r} ends ({a.valid_until}) before it starts ({a.valid_from})",
                        "correct the validity window", a.src.at("valid_until"))
        if a.interconnect is not None:
            link = reg.interconnects.get(a.interconnect)
            if link is None:
                yield warning("dangling reference", f"approval {a.id!r} is for interconnect {a.interconnect!r}, "
                              "which the registry does not define", "it authorises nothing until that "
                              "interconnect exists", a.src.at("interconnect"))
            elif set(link.systems) != set(a.systems):
                yield warning("approval mismatch", f"approval {a.id!r} covers systems {', '.join(a.systems)}, but "
                              f"interconnect {link.id!r} links {', '.join(link.systems)}",
                              "the interconnect job refuses it (Art. 4.2): ask for an approval of this link",
                              a.src.at("systems"))
            if a.config_sha256 is None:
                yield warning("approval mismatch", f"approval {a.id!r} is not bound to a configuration "
                              "(config_sha256)", "create it with `gbtt approval new`, which records the hash",
                              a.src.at("interconnect"))
        if len(set(a.systems)) != len(a.systems):
            yield error("duplicate id", f"approval {a.id!r} lists a system twice", "list each system once",
                        a.src.at("systems"))
        for i, sid in enumerate(a.systems):
            system = reg.systems.get(sid)
            if system is None:
                yield from c.ref("systems", sid, a.src.at("systems", i), "system")
                continue
            authority = reg.approving_authority(system)
            if authority and a.authority != authority:
                yield error("wrong authority", f"approval {a.id!r} is issued by {a.authority!r}, but system {sid!r} "
                            f"is approved by {authority!r} (Art. 4.2)",
                            "the approving authority is province.approving_authority or the system's own setting",
                            a.src.at("authority"))
        for i, eid in enumerate(a.endpoints):
            ep = reg.endpoints.get(eid)
            if ep is None:
                yield from c.ref("endpoints", eid, a.src.at("endpoints", i), "endpoint")
            elif ep.system not in a.systems:
                yield error("invalid value", f"endpoint {eid!r} is in system {ep.system!r}, which this approval "
                            "does not list", "add the system or remove the endpoint", a.src.at("endpoints", i))


def _revocations(c: _Ctx) -> Iterator[Diagnostic]:
    tz = c.reg.province.timezone if c.reg.province else "Asia/Ho_Chi_Minh"
    for r in c.reg.revocations:
        if r.approval not in c.reg.approvals:
            yield warning("dangling reference", f"revocation of approval {r.approval!r}, which the registry does "
                          "not define", "keep it: a revocation is never undone", r.src.at("approval"))
        try:
            moment(r.revoked, tz)
        except ValueError:
            yield error("invalid value", f"{r.revoked!r} is not a calendar date or time",
                        "write YYYY-MM-DD or YYYY-MM-DDTHH:MM+07:00", r.src.at("revoked"))
