#!/usr/bin/env python3
"""Generate the registry of Hà Giang province from data/hagiang_units_2017.yml.

This tool was run once to write the first version of ``inventory/hagiang/registry/`` (the
province's districts, communes, units, sites, the 13 online-meeting systems of Decision
1373/QĐ-UBND with their 240 endpoints, and the contact slots to fill in) and of the lab's
synthetic contacts ``inventory/lab/registry/contacts.yml``.  From then on the registry is
edited by hand and reviewed as a diff: do not re-run this tool over it.  It refuses to
overwrite an existing file unless given ``--force``; ``--out DIR`` writes the files under
another root, e.g. to compare a fresh generation with the hand-edited registry.

The output is deterministic: the same data file always gives byte-identical files.  The
conventions (identifiers, names, the addressing plan) are those of docs/registry.md and
docs/addressing.md.

Usage::

    python tools/gen_hagiang.py [--data data/hagiang_units_2017.yml] [--out .] [--force]

Python 3.11, standard library plus PyYAML (only to read the data file).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "hagiang_units_2017.yml"
REGISTRY = Path("inventory/hagiang/registry")
LAB_REGISTRY = Path("inventory/lab/registry")

# --- the plan (docs/addressing.md) -------------------------------------------------------
PROVINCE_CODE = 23                      # Hà Giang's vehicle-plate code: 10.23.0.0/16
NETWORK = ipaddress.IPv4Network(f"10.{PROVINCE_CODE}.0.0/16")
NTP_SERVERS = [f"10.{PROVINCE_CODE}.0.10", f"10.{PROVINCE_CODE}.0.11"]
from gbtt.plan import (  # noqa: E402  (the plan and equipment shared with gbtt.synth)
    BW_HIGH, BW_LOW, CNTT_OCTET, CODEC_BASE, CODEC_CHAIR, CODEC_OTHER, FIRST_DISTRICT_OCTET, MAX_ENDPOINTS,
    MCU_HOST_OCTET, MCU_MODEL_OTHER, MCU_MODEL_TINH, PRESETS_CHAIR, PRESETS_OTHER, ROUTER_BASE, ROUTER_MODEL,
    TINH_OCTET,
)

MAX_ENDPOINT_NAME = 48
MAX_LINE = 120

from gbtt.plan import COMMUNE_WORD, DISTRICT_WORD, Commune, district_title  # noqa: E402

# --- the lab's synthetic people ----------------------------------------------------------
LAB_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
LAB_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc"]
LAB_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hương", "Lan", "Long", "Mai", "Nam", "Sơn", "Thảo", "Tuấn"]

GENERATED = "Generated once by tools/gen_hagiang.py from data/hagiang_units_2017.yml; now edited by hand."


# =========================================================================================
# The model built from the data file
# =========================================================================================

def slug(text: str) -> str:
    """A data slug (``dong_van``) as a registry id (``dong-van``)."""
    return text.replace("_", "-")


@dataclass
class District:
    id: str
    name: str
    type: str
    borders_china: bool
    seat: str
    uncertain: bool
    communes: list[Commune]

    @property
    def title(self) -> str:
        return district_title(self.type, self.name)


@dataclass
class Unit:
    id: str
    name: str
    kind: str
    level: str
    district: str
    commune: str | None = None
    group: str = ""                   # comment line of the group the unit opens, if any


@dataclass
class Site:
    id: str
    name: str
    unit: str
    district: str
    commune: str | None = None
    comment: str = ""


@dataclass
class Endpoint:
    id: str
    system: str
    site: str
    name: str
    border_cluster: bool
    focal_officer: str
    provider: str
    chair: bool
    number: int                       # 1-based position in its system's endpoints file
    subnet: ipaddress.IPv4Network
    group: str = ""

    @property
    def bandwidth(self) -> int:
        return BW_HIGH if self.chair or self.system in ("tinh", "cntt") else BW_LOW

    @property
    def router_address(self) -> str:
        return str(self.subnet.network_address + ROUTER_BASE + self.number)

    @property
    def codec_address(self) -> str:
        return str(self.subnet.network_address + CODEC_BASE + self.number)


@dataclass
class System:
    id: str
    name: str
    kind: str
    district: str | None
    operator: str
    subnet: ipaddress.IPv4Network
    chairs: dict[str, str]
    mcu_model: str
    mcu_site: str
    comment: list[str]
    file_comment: list[str]
    endpoints: list[Endpoint] = field(default_factory=list)

    @property
    def mcu_address(self) -> str:
        return str(self.subnet.network_address + MCU_HOST_OCTET)


@dataclass
class Contact:
    id: str
    unit: str
    roles: list[str]
    endpoints: list[str]


@dataclass
class Model:
    as_of: str
    districts: list[District]
    clusters: list[tuple[District, Commune]]
    units: list[Unit]
    sites: list[Site]
    systems: list[System]
    contacts: list[tuple[str, list[Contact]]]    # (group comment, contacts)


def read_data(path: Path) -> tuple[str, list[District], list[tuple[District, Commune]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    districts = []
    for d in raw["districts"]:
        communes = [Commune(slug(c["slug"]), c["name"], c["type"]) for c in d["communes"]]
        districts.append(District(slug(d["slug"]), d["name"], d["type"], bool(d["borders_china"]),
                                  d.get("seat", ""), bool(d.get("uncertain", False)), communes))
    by_id = {d.id: d for d in districts}
    clusters = []
    for b in raw["border_clusters"]:
        d = by_id[slug(b["district"])]
        matches = [c for c in d.communes if c.name == b["commune"]]
        if len(matches) != 1:
            raise SystemExit(f"border cluster {b['commune']!r}: {len(matches)} communes of that name in {d.id}")
        clusters.append((d, matches[0]))
    return str(raw["as_of"]), districts, clusters


def build(path: Path) -> Model:
    as_of, districts, clusters = read_data(path)
    capital = "ha-giang"

    # ---- units ----
    units = [
        Unit("tinh-uy", "Văn phòng Tỉnh ủy Hà Giang", "party_office", "province", capital,
             group="Province level: the chair units of the provincial and ICT systems (Art. 5.1, 5.2)"),
        Unit("ubnd-tinh", "Văn phòng HĐND - UBND tỉnh Hà Giang", "people_committee", "province", capital),
        Unit("so-tai-chinh", "Sở Tài chính tỉnh Hà Giang", "department", "province", capital),
        Unit("so-tttt", "Sở Thông tin và Truyền thông tỉnh Hà Giang", "department", "province", capital),
        Unit("ttcntt", "Trung tâm Công nghệ thông tin và Truyền thông tỉnh Hà Giang", "ict_center", "province",
             capital, group="The ICT Center: operating agency of the provincial and ICT systems (Art. 6)"),
        Unit("vnpt-hg", "Viễn thông Hà Giang (VNPT Hà Giang)", "line_provider", "province", capital,
             group="Line providers (Art. 16)"),
        Unit("viettel-hg", "Viettel Hà Giang", "line_provider", "province", capital),
    ]
    for d in districts:
        units.append(Unit(f"ubnd-{d.id}", f"Ủy ban nhân dân {d.title}", "people_committee", "district", d.id,
                          group=f"{d.title[0].upper()}{d.title[1:]} ({d.id}): People's Committee, "
                                f"Culture and Information Office, {len(d.communes)} communes"))
        units.append(Unit(f"pvhtt-{d.id}", f"Phòng Văn hóa và Thông tin {d.title}", "culture_office",
                          "district", d.id))
        for c in d.communes:
            units.append(Unit(f"ubnd-{d.id}-{c.id}", f"Ủy ban nhân dân {c.title}", "people_committee", "commune",
                              d.id, c.id))

    # ---- sites ----
    room = "Phòng họp trực tuyến"
    sites = [
        Site("tinh-uy", f"{room} Văn phòng Tỉnh ủy", "tinh-uy", capital, comment="chair of scale 1a (Art. 5.1a)"),
        Site("ubnd-tinh-tang-2", f"{room} tầng 2, Văn phòng HĐND - UBND tỉnh", "ubnd-tinh", capital,
             comment="chair of scale 1b (Art. 5.1b)"),
        Site("so-tai-chinh", f"{room} Sở Tài chính", "so-tai-chinh", capital,
             comment="chair of scale 1c (Art. 5.1c)"),
        Site("so-tttt", f"{room} Sở Thông tin và Truyền thông", "so-tttt", capital,
             comment="chair of scales 2a-2c (Art. 5.2)"),
        Site("ttcntt", "Phòng máy chủ, Trung tâm Công nghệ thông tin và Truyền thông tỉnh Hà Giang", "ttcntt",
             capital, comment="hosts the MCUs of the provincial and ICT systems (Art. 6); no endpoint"),
    ]
    for d in districts:
        seat = f"; seat: {d.seat}" + (" (single source)" if d.uncertain else "")
        sites.append(Site(f"ubnd-{d.id}", f"{room} UBND {d.title}", f"ubnd-{d.id}", d.id,
                          comment=f"also hosts the MCU {d.id}-mcu{seat}"))
        sites.append(Site(f"pvhtt-{d.id}", f"{room} Phòng Văn hóa và Thông tin {d.title}", f"pvhtt-{d.id}", d.id))
        for c in d.communes:
            sites.append(Site(f"ubnd-{d.id}-{c.id}", f"{room} UBND {c.title}", f"ubnd-{d.id}-{c.id}", d.id, c.id))
    site_by_id = {s.id: s for s in sites}

    # ---- systems and their endpoints ----
    def subnet(octet: int) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"10.{PROVINCE_CODE}.{octet}.0/24")

    systems: list[System] = []
    tinh = System(
        "tinh", "Hệ thống giao ban trực tuyến của tỉnh", "provincial", None, "ttcntt", subnet(TINH_OCTET),
        {"1a": "tinh-tinh-uy", "1b": "tinh-ubnd", "1c": "tinh-so-tai-chinh"}, MCU_MODEL_TINH, "ttcntt",
        ["Art. 1.1a: the provincial system, 22 endpoints. Operated by the ICT Center (Art. 6),",
         "funded by the provincial budget through the ICT Center (Art. 4.3); chairs of Art. 5.1."],
        ["The 22 endpoints of the provincial system (Art. 1.1a): the Provincial Party Committee Office,",
         "the Provincial People's Committee, the Department of Finance (the chairs of Art. 5.1a-c),",
         "the People's Committees of the 11 districts/city and the 8 border commune clusters."])
    cntt = System(
        "cntt", "Hệ thống giao ban trực tuyến của ngành Thông tin và Truyền thông", "ict", None, "ttcntt",
        subnet(CNTT_OCTET), {"2a": "cntt-so-tttt", "2b": "cntt-so-tttt", "2c": "cntt-so-tttt"}, MCU_MODEL_OTHER,
        "ttcntt",
        ["Art. 1.1b: the ICT-sector system, 12 endpoints. Operated by the ICT Center (Art. 6),",
         "funded by the provincial budget through the ICT Center (Art. 4.3); chair of Art. 5.2: the DIC."],
        ["The 12 endpoints of the ICT-sector system (Art. 1.1b): the Department of Information and",
         "Communications (the chair of Art. 5.2) and the Culture and Information Office of each of",
         "the 11 districts/city."])
    systems += [tinh, cntt]
    for i, d in enumerate(districts):
        systems.append(System(
            d.id, f"Hệ thống giao ban trực tuyến {d.title}", "district", d.id, f"ubnd-{d.id}",
            subnet(FIRST_DISTRICT_OCTET + i), {k: f"{d.id}-ubnd" for k in ("3a", "3b", "3c")}, MCU_MODEL_OTHER,
            f"ubnd-{d.id}",
            [f"Art. 1.1c: the system of {d.title} ({len(d.communes) + 1} endpoints). Operated (Art. 6)",
             "and funded (Art. 4.3) by the district; chair of Art. 5.3: the district People's Committee."],
            [f"The endpoints of the system of {d.title} (Art. 1.1c): the district People's",
             f"Committee (the chair of Art. 5.3), then its {len(d.communes)} communes, wards and townships",
             "in the order of the data file (GSO code order)."]))

    def add(system: System, eid: str, site: str, name: str, *, chair: bool = False, border: bool = False,
            group: str = "") -> None:
        provider = "viettel-hg" if system.kind == "district" else "vnpt-hg"
        unit = site_by_id[site].unit
        system.endpoints.append(Endpoint(eid, system.id, site, name, border, f"{unit}-kt1", provider, chair,
                                         len(system.endpoints) + 1, system.subnet, group))

    add(tinh, "tinh-tinh-uy", "tinh-uy", "Văn phòng Tỉnh ủy", chair=True,
        group="Chair endpoints of Art. 5.1a, 5.1b and 5.1c")
    add(tinh, "tinh-ubnd", "ubnd-tinh-tang-2", "UBND tỉnh", chair=True)
    add(tinh, "tinh-so-tai-chinh", "so-tai-chinh", "Sở Tài chính", chair=True)
    for k, d in enumerate(districts):
        add(tinh, f"tinh-{d.id}", f"ubnd-{d.id}", f"UBND {d.title}",
            group="" if k else "The People's Committees of the 11 districts/city")
    for k, (d, c) in enumerate(clusters):
        add(tinh, f"tinh-cum-{c.id}", f"ubnd-{d.id}-{c.id}", f"Cụm xã biên giới {c.name}", border=True,
            group="" if k else "The 8 border commune clusters, at the People's Committee of the named "
                               "commune")
    add(cntt, "cntt-so-tttt", "so-tttt", "Sở Thông tin và Truyền thông", chair=True,
        group="Chair endpoint of Art. 5.2")
    for k, d in enumerate(districts):
        add(cntt, f"cntt-{d.id}", f"pvhtt-{d.id}", f"Phòng VH-TT {d.title}",
            group="" if k else "The Culture and Information Offices of the 11 districts/city")
    for d, s in zip(districts, systems[2:]):
        add(s, f"{d.id}-ubnd", f"ubnd-{d.id}", f"UBND {d.title}", chair=True,
            group="Chair endpoint of Art. 5.3")
        for k, c in enumerate(d.communes):
            add(s, f"{d.id}-{c.id}", f"ubnd-{d.id}-{c.id}", f"UBND {c.title}",
                group="" if k else f"The {len(d.communes)} communes, wards and townships of {d.title}")

    # ---- contacts ----
    all_eps = [e for s in systems for e in s.endpoints]
    hosting = {site_by_id[e.site].unit for e in all_eps} | {"ttcntt"}
    controllers = {"ttcntt"} | {f"ubnd-{d.id}" for d in districts}
    chairs = [e for e in all_eps if e.chair]
    contacts: list[tuple[str, list[Contact]]] = []
    for u in units:
        if u.kind == "line_provider":
            team = [Contact(f"{u.id}-{e.id}-{n}", u.id, ["line_staff"], [e.id])
                    for e in chairs if e.provider == u.id for n in (1, 2)]
            if team:
                contacts.append((f"{u.id} — {u.name}: line staff on the team of each chair endpoint it "
                                 "serves (Art. 16.3)", team))
        elif u.id in hosting:
            roles = ["technical", "controller"] if u.id in controllers else ["technical"]
            why = "technical staff (Art. 13.2)" + (", meeting controllers (Art. 9.1, 12)"
                                                   if "controller" in roles else "")
            contacts.append((f"{u.id} — {u.name}: {why}",
                             [Contact(f"{u.id}-kt{n}", u.id, roles, []) for n in (1, 2)]))

    return Model(as_of, districts, clusters, units, sites, systems, contacts)


# =========================================================================================
# Writing YAML by hand: block style, quoted Vietnamese, comments where they help
# =========================================================================================

def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def header(lines: list[str]) -> list[str]:
    return ["---"] + [f"# {x}" if x else "#" for x in lines] + [f"# {GENERATED}"]


def kv(indent: int, key: str, value: str, comment: str = "", first: bool = False) -> str:
    pad = " " * indent
    lead = f"{pad[:-2]}- " if first else pad
    return f"{lead}{key}: {value}" + (f"  # {comment}" if comment else "")


def block_list(indent: int, key: str, items: list[str]) -> list[str]:
    return [f"{' ' * indent}{key}:"] + [f"{' ' * (indent + 2)}- {x}" for x in items]


def province_yml(m: Model) -> list[str]:
    out = header([
        "Province-wide settings of the online-meeting network of Hà Giang: the decision the data",
        "implements, the authority that approves interconnections (Art. 4.2), time and NTP, the",
        "management network (docs/addressing.md), the approved software per platform (checked at the",
        "annual maintenance, Art. 12) and the endpoint counts of Art. 1, checked by validation.",
    ])
    out += [
        "province:",
        '  name: "Hà Giang"',
        "  slug: ha-giang",
        kv(2, "as_of", q(m.as_of), "the date the data describes"),
        kv(2, "regulation", q("1373/QĐ-UBND"), "Decision 1373/QĐ-UBND of 24 July 2017"),
        "  # Art. 4.2: the unit that approves connecting the provincial or ICT system to another system.",
        "  # Since 2025 the Departments of Information and Communications merged into the Departments",
        "  # of Science and Technology: this is a setting, change it here (and add that unit).",
        "  approving_authority: so-tttt",
        "  timezone: Asia/Ho_Chi_Minh",
    ]
    out += block_list(2, "ntp_servers", NTP_SERVERS)
    out += [
        kv(2, "management_network", str(NETWORK), "every device address lies inside it"),
        "  software_baselines:  # approved software per platform (annual maintenance)",
        '    cisco_ce: "ce11.17.1.5"',
        '    cisco_cms: "3.9.2"',
        '    cisco_ios: "17.09.05"',
        "  expected_endpoints:  # the counts of Art. 1, checked by validation",
        f"    provincial: {len(m.systems[0].endpoints)}",
        f"    ict: {len(m.systems[1].endpoints)}",
    ]
    return out


def geography_yml(m: Model) -> list[str]:
    n = sum(len(d.communes) for d in m.districts)
    out = header([
        f"The geography of Hà Giang as of {m.as_of}: {len(m.districts)} districts/city and their {n} communes,",
        "wards and townships, in the order of the data file. The district systems of Art. 1.1c link each",
        "district's People's Committee with every one of its communes; validation checks that each commune",
        "has an endpoint in its district's system. Ids are per district: two districts may have",
        "communes with the same id (Tả Lủng in Đồng Văn and in Mèo Vạc).",
    ])
    out.append("districts:")
    for i, d in enumerate(m.districts, 1):
        counts = [(sum(c.type == t for c in d.communes), word) for t, word in COMMUNE_WORD.items()]
        mix = ", ".join(f"{k} {word}" for k, word in counts if k)
        seat = f"; seat {d.seat}" + (" (single source)" if d.uncertain else "")
        out.append(f"  # {i}/{len(m.districts)} {d.title}: {len(d.communes)} units ({mix}){seat}")
        out += [
            kv(4, "id", d.id, first=True),
            kv(4, "name", q(d.name)),
            kv(4, "type", d.type),
            kv(4, "borders_china", "true" if d.borders_china else "false"),
            "    communes:",
        ]
        out += [f"      - {{id: {c.id}, name: {q(c.name)}, type: {c.type}}}" for c in d.communes]
    return out


def units_yml(m: Model) -> list[str]:
    out = header([
        "The organisations of the network: the chair units of Art. 5, the ICT Center that operates the",
        "provincial and ICT systems (Art. 6), the line providers (Art. 16), and per district/city its",
        "People's Committee (operator of the district system), its Culture and Information Office (ICT",
        "system) and the People's Committee of every commune, ward and township (Art. 1.1c, 13).",
    ])
    out.append("units:")
    for u in m.units:
        if u.group:
            out.append(f"  # {u.group}")
        out += [kv(4, "id", u.id, first=True), kv(4, "name", q(u.name)), kv(4, "kind", u.kind),
                kv(4, "level", u.level), kv(4, "district", u.district)]
        if u.commune:
            out.append(kv(4, "commune", u.commune))
    return out


def sites_yml(m: Model) -> list[str]:
    out = header([
        "The rooms that host the network's equipment: one per unit with an endpoint (same id as the",
        "unit), except the People's Committee's chair room of Art. 5.1b (ubnd-tinh-tang-2), plus the",
        "ICT Center, which hosts the MCUs of the provincial and ICT systems (Art. 6). A site may host",
        "endpoints of several systems (the People's Committee of a district hosts its endpoint of the",
        "provincial system, its own chair and its MCU). Line providers have no site.",
    ])
    out.append("sites:")
    unit_group = {u.id: u.group for u in m.units}
    for s in m.sites:
        if unit_group.get(s.unit) and s.unit != "ttcntt":
            out.append(f"  # {unit_group[s.unit].split(':')[0]}")
        out += [kv(4, "id", s.id, s.comment, first=True), kv(4, "name", q(s.name)), kv(4, "unit", s.unit),
                kv(4, "district", s.district)]
        if s.commune:
            out.append(kv(4, "commune", s.commune))
    return out


def systems_yml(m: Model) -> list[str]:
    out = header([
        "The online-meeting systems of Art. 1: the provincial system, the ICT-sector system and one",
        "system per district/city, each with its operating agency (Art. 6), its funding owner",
        "(Art. 4.3), its management subnet (docs/addressing.md), the chair endpoint of each meeting",
        "scale of Art. 5 and its MCU. approving_authority is not set: interconnection approvals",
        "(Art. 4.2) come from province.approving_authority.",
    ])
    out.append("systems:")
    for s in m.systems:
        out += [f"  # {x}" for x in s.comment]
        out += [kv(4, "id", s.id, first=True), kv(4, "name", q(s.name)), kv(4, "kind", s.kind)]
        if s.district:
            out.append(kv(4, "district", s.district))
        article = {"provincial": "5.1", "ict": "5.2", "district": "5.3"}[s.kind]
        out += [
            kv(4, "operating_agency", s.operator, "Art. 6"),
            kv(4, "funding_owner", s.operator, "Art. 4.3"),
            kv(4, "management_subnet", str(s.subnet)),
            f"    chairs:  # Art. {article}: the chair endpoint of each scale clause",
        ]
        out += [f"      {k}: {v}" for k, v in s.chairs.items()]
        out += [
            "    mcu:",
            kv(6, "host", f"{s.id}-mcu"),
            kv(6, "platform", "cisco_cms"),
            kv(6, "model", q(s.mcu_model)),
            kv(6, "address", s.mcu_address),
            kv(6, "site", s.mcu_site),
        ]
    return out


def endpoints_yml(m: Model, s: System) -> list[str]:
    provider = s.endpoints[0].provider
    out = header(s.file_comment + [
        "",
        f"Endpoint number n (1-based, its position in this file at generation) has router .{ROUTER_BASE}+n",
        f"and codec .{CODEC_BASE}+n in {s.subnet} (docs/addressing.md). Add new endpoints at the end with the",
        "next free number; never renumber (that readdresses devices in the field).",
        f"Line provider {provider} for every endpoint is a planning assumption, to confirm with the line",
        "providers; circuit ids are to fill in from their contracts.",
    ])
    out.append("endpoints:")
    for e in s.endpoints:
        if e.group:
            out.append(f"  # {e.group}")
        out += [
            kv(4, "id", e.id, first=True),
            kv(4, "system", e.system),
            kv(4, "site", e.site),
            kv(4, "name", q(e.name)),
            kv(4, "border_cluster", "true" if e.border_cluster else "false"),
        ]
        out += block_list(4, "focal_officers", [e.focal_officer])
        out += [
            "    line:",
            kv(6, "provider", e.provider),
            kv(6, "circuit", "null", "to fill in"),
            kv(6, "bandwidth_kbps", str(e.bandwidth)),
            "    codec:",
            kv(6, "host", f"{e.id}-codec"),
            kv(6, "platform", "cisco_ce"),
            kv(6, "model", q(CODEC_CHAIR if e.chair else CODEC_OTHER)),
            kv(6, "address", e.codec_address),
            "    router:",
            kv(6, "host", f"{e.id}-router"),
            kv(6, "platform", "cisco_ios"),
            kv(6, "model", q(ROUTER_MODEL)),
            kv(6, "address", e.router_address),
            "    camera_presets:" + ("  # Art. 8.2: frames matching the seating plan" if e.chair else ""),
        ]
        out += [f"      - {{id: {i}, name: {q(n)}}}" for i, n in (PRESETS_CHAIR if e.chair else PRESETS_OTHER)]
    return out


def lab_person(i: int) -> tuple[str, str]:
    """The i-th synthetic person: a name from the lists and a phone 0900 000 xxx (i < 1000)."""
    f = LAB_FAMILY[i % len(LAB_FAMILY)]
    mid = LAB_MIDDLE[(i // len(LAB_FAMILY)) % len(LAB_MIDDLE)]
    g = LAB_GIVEN[(i // (len(LAB_FAMILY) * len(LAB_MIDDLE))) % len(LAB_GIVEN)]
    return f"{f} {mid} {g}", f"0900 000 {i + 1:03d}"


def contacts_yml(m: Model, lab: bool) -> list[str]:
    if lab:
        out = ["---", "# LAB ONLY — synthetic people, never use in production."] + [f"# {x}" for x in [
            "The same contact ids, units, roles and endpoints as inventory/hagiang/registry/contacts.yml,",
            "with invented names (drawn in turn from short lists), phones 0900 000 xxx and addresses",
            "@lab.invalid, so that the lab validates without 'to fill in' warnings. The lab inventory",
            "layers this file over the production one (a file here replaces the file of the same name).",
            GENERATED,
        ]]
    else:
        out = header([
            "The people of the network: two technical staff per unit that keeps an endpoint (Art. 13.2;",
            "the ICT Center's and each district People's Committee's are also meeting controllers, Art. 9.1,",
            "12: they operate the systems), and two line-provider staff on the team of each chair endpoint",
            "(Art. 16.3). Each endpoint's focal officer (Art. 8.2) is the unit's kt1. Personal data is not",
            "known to the project: null means to fill in (validation lists it), never invent it.",
        ])
    out.append("contacts:")
    i = 0
    for group, people in m.contacts:
        out += [f"  # {x}" for x in textwrap.wrap(group, MAX_LINE - 4)]
        for c in people:
            out += [kv(4, "id", c.id, first=True), kv(4, "unit", c.unit)]
            out += block_list(4, "roles", c.roles)
            if lab:
                name, phone = lab_person(i)
                out += [kv(4, "name", q(name)), kv(4, "phone", q(phone)), kv(4, "email", f"{c.id}@lab.invalid")]
            else:
                out += [kv(4, "name", "null", "to fill in"), kv(4, "phone", "null"), kv(4, "email", "null")]
            if c.endpoints:
                out += block_list(4, "endpoints", c.endpoints)
            i += 1
    return out


APPROVALS_README = """\
# Interconnection approvals (Art. 4.2)

One YAML file per approval goes here, holding one entry of the `approvals` section (format:
docs/registry.md). Using the equipment of the provincial or ICT system to connect to another
system needs a written directive or approval of the approving authority
(`province.approving_authority`, the DIC as of 2017); the toolkit checks meetings that
bridge systems against these files.

None exist as of 2017: this folder starts empty.
"""


def addressing_md(m: Model) -> str:
    tinh, cntt = m.systems[0], m.systems[1]
    rows = []
    for s in m.systems:
        n = len(s.endpoints)
        last_r = s.subnet.network_address + ROUTER_BASE + n
        last_c = s.subnet.network_address + CODEC_BASE + n
        rows.append(f"| `{s.id}` | {s.name} | `{s.subnet}` | `{s.mcu_address}` | {n} | "
                    f".{ROUTER_BASE + 1}–.{str(last_r).rsplit('.', 1)[1]} | "
                    f".{CODEC_BASE + 1}–.{str(last_c).rsplit('.', 1)[1]} |")
    first_d, last_d = m.systems[2].subnet, m.systems[-1].subnet
    ex = tinh.endpoints[0]
    ex2 = m.systems[3].endpoints[2]
    big = max(m.systems, key=lambda s: len(s.endpoints))
    return f"""\
# Management addressing plan

Every managed device of the online-meeting network (MCU, endpoint codec, endpoint router) has
one management address, written in the registry (`inventory/hagiang/registry/`) next to the
device. The plan below is how those addresses were chosen; validation enforces its invariants
(every address inside `province.management_network` and inside its system's
`management_subnet`, no address used twice, no device on an NTP server's address, no
network or broadcast address). The registry was generated once from this plan by
`tools/gen_hagiang.py`; since then it is edited by hand, and new devices follow the same rules.

## The province: `{NETWORK}`

The second octet is the province's code: **{PROVINCE_CODE} is Hà Giang's vehicle-plate code**.
The national generator uses each province's own code, so the management networks of two
provinces never overlap and an address tells which province it belongs to.

| range | use |
| --- | --- |
| `10.{PROVINCE_CODE}.0.0/24` | shared services at the ICT Center: NTP `{NTP_SERVERS[0]}` and `{NTP_SERVERS[1]}` (`province.ntp_servers`); the rest reserved |
| `10.{PROVINCE_CODE}.{TINH_OCTET}.0/24` | the provincial system `tinh` (Art. 1.1a) |
| `10.{PROVINCE_CODE}.{CNTT_OCTET}.0/24` | the ICT-sector system `cntt` (Art. 1.1b) |
| `10.{PROVINCE_CODE}.3.0/24` – `10.{PROVINCE_CODE}.10.0/24` | reserved for further province-level systems (e.g. other endpoints of Art. 1.1d) |
| `{first_d}` – `{last_d}` | the 11 district systems (Art. 1.1c), one /24 each, in the order of `data/hagiang_units_2017.yml` |
| `10.{PROVINCE_CODE}.{FIRST_DISTRICT_OCTET + len(m.districts)}.0/24` and above | free |

## One /24 per system

Each system (`systems.yml`) has its own `management_subnet`, a /24. Inside it:

| address | device |
| --- | --- |
| `.0` | network address (never a device) |
| `.1` | gateway of the subnet, provided by the network: not managed by this project, not in the registry |
| `.{MCU_HOST_OCTET}` | the system's MCU (`mcu.address`) |
| `.3` – `.{ROUTER_BASE}` | reserved for further system-level devices |
| `.{ROUTER_BASE + 1}` – `.{ROUTER_BASE + MAX_ENDPOINTS}` | endpoint routers: endpoint number *n* has router `.{ROUTER_BASE}+n` |
| `.{ROUTER_BASE + MAX_ENDPOINTS + 1}` – `.{CODEC_BASE}` | reserved |
| `.{CODEC_BASE + 1}` – `.{CODEC_BASE + MAX_ENDPOINTS}` | endpoint codecs: endpoint number *n* has codec `.{CODEC_BASE}+n` |
| `.{CODEC_BASE + MAX_ENDPOINTS + 1}` – `.254` | reserved |
| `.255` | broadcast address (never a device) |

The endpoint number *n* was the endpoint's 1-based position in its system's endpoints file
(`endpoints/<system>.yml`) at generation, so router and codec of one endpoint share the last
digits: `{ex.id}` (n = 1) has router `{ex.router_address}` and codec `{ex.codec_address}`;
`{ex2.id}` (n = {ex2.number} in system `{ex2.system}`) has router `{ex2.router_address}` and codec
`{ex2.codec_address}`. A system can have **at most {MAX_ENDPOINTS} endpoints**; the largest today,
`{big.id}`, has {len(big.endpoints)}.

The addresses written in the registry are the truth, not a formula over the file: an endpoint
added later goes at the end of its file with the next free number, and an endpoint removed
leaves its number unused. Never renumber: that would readdress devices in the field.

## The systems

| system | name | subnet | MCU | endpoints | routers | codecs |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

The MCUs of `tinh` and `cntt` are at the ICT Center (site `ttcntt`), which operates both systems
(Art. 6); the MCU of each district system is at that district's People's Committee (site
`ubnd-<district>`).

## Host names

Host names are the Ansible inventory hostnames and the devices' own host names: lowercase
ASCII letters, digits and hyphens, at most 63 characters, unique in the province.

- MCU: `<system>-mcu` — `tinh-mcu`, `cntt-mcu`, `dong-van-mcu`.
- Codec: `<endpoint>-codec`; router: `<endpoint>-router` — `tinh-tinh-uy-codec`,
  `dong-van-lung-cu-router`.
- Endpoint ids: `<system>-<place>`. Provincial system: `tinh-tinh-uy`, `tinh-ubnd`,
  `tinh-so-tai-chinh`, `tinh-<district>`, `tinh-cum-<commune>` for the border clusters. ICT
  system: `cntt-so-tttt`, `cntt-<district>`. District systems: `<district>-ubnd` (the chair),
  `<district>-<commune>`.
- District and commune ids are the slugs of the data file with `_` written `-`. Commune ids are
  unique only within their district (Tả Lủng is `ta-lung` in both Đồng Văn and Mèo Vạc), which
  is why every commune-level id carries its district: `dong-van-ta-lung`, `meo-vac-ta-lung`.

## Lines (planning assumption)

The generated registry gives every endpoint of `tinh` and `cntt` a line from VNPT Hà Giang
(`vnpt-hg`) and every endpoint of a district system a line from Viettel Hà Giang
(`viettel-hg`), at 4096 kbit/s for chair endpoints and every provincial and ICT endpoint and
2048 kbit/s for commune endpoints. **This is a planning assumption, to confirm with the line
providers**, together with the circuit ids (`line.circuit`, null until filled in). The
management addresses above do not depend on the provider.
"""


# =========================================================================================

def render(m: Model) -> dict[Path, str]:
    files: dict[Path, list[str] | str] = {
        REGISTRY / "province.yml": province_yml(m),
        REGISTRY / "geography.yml": geography_yml(m),
        REGISTRY / "units.yml": units_yml(m),
        REGISTRY / "sites.yml": sites_yml(m),
        REGISTRY / "systems.yml": systems_yml(m),
        REGISTRY / "contacts.yml": contacts_yml(m, lab=False),
    }
    for s in m.systems:
        files[REGISTRY / "endpoints" / f"{s.id}.yml"] = endpoints_yml(m, s)
    files[REGISTRY / "approvals" / "README.md"] = APPROVALS_README
    files[LAB_REGISTRY / "contacts.yml"] = contacts_yml(m, lab=True)
    files[Path("docs/addressing.md")] = addressing_md(m)
    out = {}
    for path, body in files.items():
        text = body if isinstance(body, str) else "\n".join(body) + "\n"
        if path.suffix == ".yml":
            for n, line in enumerate(text.splitlines(), 1):
                if len(line) > MAX_LINE:
                    raise SystemExit(f"{path}:{n}: line longer than {MAX_LINE} characters")
        out[path] = text
    return out


def check(m: Model) -> None:
    """The invariants of the plan: fail loudly rather than write a registry that breaks them."""
    hosts, addrs = set(), set(NTP_SERVERS)
    for s in m.systems:
        if len(s.endpoints) > MAX_ENDPOINTS:
            raise SystemExit(f"system {s.id} has {len(s.endpoints)} endpoints, the plan allows {MAX_ENDPOINTS}")
        devices = [(f"{s.id}-mcu", s.mcu_address)]
        for e in s.endpoints:
            if len(e.name) > MAX_ENDPOINT_NAME:
                raise SystemExit(f"endpoint {e.id}: name {e.name!r} is longer than {MAX_ENDPOINT_NAME}")
            devices += [(f"{e.id}-codec", e.codec_address), (f"{e.id}-router", e.router_address)]
        for host, addr in devices:
            if host in hosts or addr in addrs or len(host) > 63:
                raise SystemExit(f"duplicate or overlong host {host} or duplicate address {addr}")
            hosts.add(host)
            addrs.add(addr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help="the data file (default: %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT, help="root under which to write (default: the repository)")
    p.add_argument("--force", action="store_true", help="overwrite existing files (loses hand edits!)")
    args = p.parse_args(argv)
    model = build(args.data)
    check(model)
    files = render(model)
    existing = [str(path) for path in files if (args.out / path).exists()]
    if existing and not args.force:
        print("gen_hagiang: refusing to overwrite hand-edited files (use --force, or --out elsewhere):\n  "
              + "\n  ".join(existing), file=sys.stderr)
        return 1
    for path, text in files.items():
        dest = args.out / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8", newline="\n")
    print(f"gen_hagiang: wrote {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
