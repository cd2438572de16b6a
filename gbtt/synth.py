"""A synthetic, national-scale set of registries: for benchmarks and scale tests only.

    python -m gbtt.synth --provinces 63 --out DIR [--seed N] [--hosts-target 20000] [--force]

writes, for each synthetic province ``pNN`` (NN = 01, 02, …):

* ``DIR/pNN.gbtt.yml`` – an inventory source (``plugin: gbtt``, ``registry: registry/pNN``);
* ``DIR/registry/pNN/`` – ``province.yml``, ``geography.yml``, ``units.yml``, ``sites.yml``,
  ``systems.yml``, ``contacts.yml`` and ``endpoints/<system>.yml``.

so that ``ansible-inventory -i DIR`` reads the 63 sources together (the registry folders are
under ``registry/``, which the project's ``ansible.cfg`` tells Ansible's folder walk to skip).

Every province has Hà Giang's shape (docs/registry.md, docs/addressing.md, tools/gen_hagiang.py):
a provincial system (3 chairs + one endpoint per district + the border commune clusters), an
ICT system (the department + one Culture and Information Office per district), one system per
district (its People's Committee + every commune), a codec and a router per endpoint and an MCU
per system; two blank technical contacts per unit that keeps an endpoint and two blank line
staff per chair endpoint.  Province NN uses the management network 10.NN.0.0/16 with the same
plan: system subnets 10.NN.S.0/24 (S = 1 provincial, 2 ICT, 11+k district k), MCU .2, router
.(10+n), codec .(130+n) for the n-th endpoint of the system.

Every id (districts, units, sites, systems, endpoints, contacts) and every host name starts
with the province slug, so that the provinces can be loaded together into one Ansible
inventory.  Names are Vietnamese-looking, with diacritics, and **invented**: nothing here is
real data, and personal data is left null as in the real registry.

The number of districts (8–12) and border clusters per province and the relative size of
each district are drawn from a seeded RNG; the communes are then shared out so that the total
host count lands on ``--hosts-target`` (±1).  The same arguments always give byte-identical
files.  Each generated registry validates with ``gbtt validate`` (0 errors; the blanks are
warnings).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 1373          # Decision 1373/QĐ-UBND
DEFAULT_PROVINCES = 63
DEFAULT_HOSTS = 20_000

from gbtt.plan import (  # the plan and equipment of docs/addressing.md, as in the Hà Giang registry
    BW_HIGH, BW_LOW, CNTT_OCTET, CODEC_BASE, CODEC_CHAIR, CODEC_OTHER, COMMUNE_WORD, DISTRICT_WORD,
    FIRST_DISTRICT_OCTET, MAX_ENDPOINTS, MCU_HOST_OCTET, MCU_MODEL_OTHER, MCU_MODEL_TINH, PRESETS_CHAIR,
    PRESETS_OTHER, ROUTER_BASE, ROUTER_MODEL, TINH_OCTET, Commune, district_title,
)

MCU_OCTET = MCU_HOST_OCTET
MAX_DISTRICTS = 243          # 10.NN.11.0/24 … 10.NN.253.0/24
MAX_HOST = 63

# Syllables of place names (invented combinations; "Cụm" and single-syllable names are avoided
# so that generated ids never collide with the fixed ones such as tinh-cum-<commune>).
SYLLABLES = (
    "An Bạch Bản Bắc Bình Cao Chiêu Châu Chí Cường Đại Đồng Đông Đức Giang Hà Hạ Hải Hạnh Hiệp Hòa "
    "Hồng Hưng Hương Khánh Khâu Kim Lạc Lâm Lao Lầu Liên Linh Long Lũng Lục Mai Mậu Mèo Minh Mỹ Nà Nam "
    "Nậm Nghĩa Ngọc Nhân Ninh Pà Phong Phú Phúc Phìn Phương Quang Quảng Quý Sà Sán Sơn Sủng Tả Tân Tây "
    "Thái Thành Thanh Thạnh Thắng Thèn Thiện Thịnh Thượng Thủy Tiên Tiến Trà Trung Trường Tùng Vạc Vai "
    "Văn Việt Vinh Vĩnh Xín Xuân Yên"
).split()


def ascii_slug(name: str) -> str:
    """'Lũng Cú' -> 'lung-cu'."""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return "-".join("".join(ch for ch in word if ch.isalnum()) for word in text.split())


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)


# =========================================================================================
# The shape of the nation: districts, border clusters and commune counts per province
# =========================================================================================

@dataclass
class Shape:
    index: int                       # 1-based: the second octet of the management network
    districts: int
    border_districts: int
    clusters: int
    weights: list[float]
    communes: list[int] = field(default_factory=list)

    @property
    def fixed_hosts(self) -> int:
        """Hosts that do not depend on the commune count (MCUs, chairs, district/cluster endpoints)."""
        n, b = self.districts, self.clusters
        return (2 + n) + 2 * ((3 + n + b) + (1 + n) + n)

    @property
    def hosts(self) -> int:
        return self.fixed_hosts + 2 * sum(self.communes)


def plan_shapes(provinces: int, seed: int, hosts_target: int) -> list[Shape]:
    """Districts and border clusters per province, then the communes shared out to hit the target."""
    if not 1 <= provinces <= 254:
        raise ValueError("provinces: 1 to 254 (province i uses 10.i.0.0/16)")
    rng = random.Random(f"gbtt-synth-shape-{seed}")
    budget = hosts_target / provinces
    # with one commune per district a province of n districts has about 10 + 9n hosts
    hi = 12 if budget >= 10 + 13 * 8 else max(1, min(12, int((budget - 10) // 13)))
    lo = min(8, max(1, hi - 2))
    shapes = []
    for i in range(1, provinces + 1):
        n = rng.randint(lo, hi)
        borders = rng.random() < 0.4 and n >= 2
        border_districts = rng.randint(1, max(1, min(4, n - 1))) if borders else 0
        clusters = rng.randint(2, 8) if borders else 0
        weights = [rng.uniform(10, 25) for _ in range(n)]
        shapes.append(Shape(i, n, border_districts, clusters, weights))
    # share out the communes (largest remainder), at least 1 and at most MAX_ENDPOINTS - 1 per district
    fixed = sum(s.fixed_hosts for s in shapes)
    cells = [(s, k) for s in shapes for k in range(s.districts)]
    cap = MAX_ENDPOINTS - 1
    total = max(len(cells), min(len(cells) * cap, (hosts_target - fixed) // 2))
    wsum = sum(s.weights[k] for s, k in cells)
    raw = [(total * s.weights[k] / wsum) for s, k in cells]
    counts = [min(cap, max(1, int(r))) for r in raw]
    order = sorted(range(len(cells)), key=lambda j: (-(raw[j] - int(raw[j])), j))
    j = 0
    while sum(counts) < total:
        c = order[j % len(order)]
        if counts[c] < cap:
            counts[c] += 1
        j += 1
    j = 0
    while sum(counts) > total:
        c = order[-1 - (j % len(order))]
        if counts[c] > 1:
            counts[c] -= 1
        j += 1
    it = iter(counts)
    for s in shapes:
        s.communes = [next(it) for _ in range(s.districts)]
        # border clusters sit at distinct communes of the border districts
        s.clusters = min(s.clusters, sum(s.communes[1:1 + s.border_districts]))
    return shapes


# =========================================================================================
# One province as data
# =========================================================================================

@dataclass
class District:
    id: str                          # p07-dong-van
    slug: str                        # dong-van
    name: str
    type: str
    borders: bool
    communes: list[Commune]

    @property
    def title(self) -> str:
        return district_title(self.type, self.name)


@dataclass
class Endpoint:
    id: str
    site: str
    unit: str
    name: str
    provider: str
    chair: bool = False
    border: bool = False


@dataclass
class System:
    id: str
    name: str
    kind: str
    district: str | None
    operator: str
    octet: int
    chairs: dict[str, str]
    mcu_model: str
    mcu_site: str
    endpoints: list[Endpoint] = field(default_factory=list)


class _Names:
    """Unique two-syllable place names (unique by slug within one scope)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, used: set[str]) -> tuple[str, str]:
        for _ in range(1000):
            a, b = self.rng.sample(SYLLABLES, 2)
            name = f"{a} {b}"
            slug = ascii_slug(name)
            if slug not in used:
                used.add(slug)
                return name, slug
        raise RuntimeError("ran out of place names")


def _province_name(seed: int, index: int) -> str:
    rng = random.Random(f"gbtt-synth-province-{seed}-{index}")
    a, b = rng.sample(SYLLABLES, 2)
    return f"{a} {b}"


class Province:
    def __init__(self, shape: Shape, seed: int):
        self.shape = shape
        i = shape.index
        self.slug = p = f"p{i:02d}"
        self.name = _province_name(seed, i)
        self.network = ipaddress.IPv4Network(f"10.{i}.0.0/16")
        self.ntp = [f"10.{i}.0.10", f"10.{i}.0.11"]
        rng = random.Random(f"gbtt-synth-{seed}-{i}")
        names = _Names(rng)
        used_d: set[str] = {"tinh", "cntt"}
        used_c: set[str] = set()            # commune slugs unique in the province (cluster ids)
        self.districts: list[District] = []
        for k, n_communes in enumerate(shape.communes):
            dname, dslug = names.pick(used_d)
            dtype = "thanh_pho" if k == 0 else ("thi_xa" if rng.random() < 0.08 else "huyen")
            communes = []
            for c in range(n_communes):
                cname, cslug = names.pick(used_c)
                if dtype == "thanh_pho":
                    ctype = "phuong" if c < max(1, n_communes * 2 // 3) else "xa"
                elif dtype == "thi_xa":
                    ctype = "phuong" if c < max(1, n_communes // 2) else "xa"
                else:
                    ctype = "thi_tran" if c == 0 else "xa"
                communes.append(Commune(cslug, cname, ctype))
            # the capital (k = 0) never borders; the next ones do when the province has border clusters
            self.districts.append(District(f"{p}-{dslug}", dslug, dname, dtype,
                                           0 < k <= shape.border_districts, communes))
        border_communes = [(d, c) for d in self.districts if d.borders for c in d.communes]
        self.clusters = sorted(rng.sample(border_communes, min(shape.clusters, len(border_communes))),
                               key=lambda dc: border_communes.index(dc))
        self._build()

    # ---- units, sites, systems, endpoints, contacts ----
    def _build(self) -> None:
        p, P = self.slug, self.name
        capital = self.districts[0].id
        self.vnpt, self.viettel = f"{p}-vnpt", f"{p}-viettel"
        self.units: list[dict] = [
            dict(id=f"{p}-tinh-uy", name=f"Văn phòng Tỉnh ủy {P}", kind="party_office", level="province"),
            dict(id=f"{p}-ubnd-tinh", name=f"Văn phòng HĐND - UBND tỉnh {P}", kind="people_committee",
                 level="province"),
            dict(id=f"{p}-so-tai-chinh", name=f"Sở Tài chính tỉnh {P}", kind="department", level="province"),
            dict(id=f"{p}-so-tttt", name=f"Sở Thông tin và Truyền thông tỉnh {P}", kind="department",
                 level="province"),
            dict(id=f"{p}-ttcntt", name=f"Trung tâm Công nghệ thông tin và Truyền thông tỉnh {P}",
                 kind="ict_center", level="province"),
            dict(id=self.vnpt, name=f"Viễn thông {P} (VNPT {P})", kind="line_provider", level="province"),
            dict(id=self.viettel, name=f"Viettel {P}", kind="line_provider", level="province"),
        ]
        for u in self.units:
            u["district"] = capital
        room = "Phòng họp trực tuyến"
        self.sites: list[dict] = [
            dict(id=f"{p}-tinh-uy", name=f"{room} Văn phòng Tỉnh ủy", unit=f"{p}-tinh-uy", district=capital),
            dict(id=f"{p}-ubnd-tinh-tang-2", name=f"{room} tầng 2, Văn phòng HĐND - UBND tỉnh",
                 unit=f"{p}-ubnd-tinh", district=capital),
            dict(id=f"{p}-so-tai-chinh", name=f"{room} Sở Tài chính", unit=f"{p}-so-tai-chinh", district=capital),
            dict(id=f"{p}-so-tttt", name=f"{room} Sở Thông tin và Truyền thông", unit=f"{p}-so-tttt",
                 district=capital),
            dict(id=f"{p}-ttcntt", name=f"Phòng máy chủ, Trung tâm CNTT&TT tỉnh {P}", unit=f"{p}-ttcntt",
                 district=capital),
        ]
        for d in self.districts:
            self.units.append(dict(id=f"{p}-ubnd-{d.slug}", name=f"Ủy ban nhân dân {d.title}",
                                   kind="people_committee", level="district", district=d.id))
            self.units.append(dict(id=f"{p}-pvhtt-{d.slug}", name=f"Phòng Văn hóa và Thông tin {d.title}",
                                   kind="culture_office", level="district", district=d.id))
            self.sites.append(dict(id=f"{p}-ubnd-{d.slug}", name=f"{room} UBND {d.title}",
                                   unit=f"{p}-ubnd-{d.slug}", district=d.id))
            self.sites.append(dict(id=f"{p}-pvhtt-{d.slug}", name=f"{room} Phòng VH-TT {d.title}",
                                   unit=f"{p}-pvhtt-{d.slug}", district=d.id))
            for c in d.communes:
                uid = f"{p}-ubnd-{d.slug}-{c.id}"
                self.units.append(dict(id=uid, name=f"Ủy ban nhân dân {c.title}", kind="people_committee",
                                       level="commune", district=d.id, commune=c.id))
                self.sites.append(dict(id=uid, name=f"{room} UBND {c.title}", unit=uid, district=d.id,
                                       commune=c.id))
        site_unit = {s["id"]: s["unit"] for s in self.sites}

        tinh = System(f"{p}-tinh", f"Hệ thống giao ban trực tuyến của tỉnh {P}", "provincial", None,
                      f"{p}-ttcntt", TINH_OCTET,
                      {"1a": f"{p}-tinh-tinh-uy", "1b": f"{p}-tinh-ubnd", "1c": f"{p}-tinh-so-tai-chinh"},
                      MCU_MODEL_TINH, f"{p}-ttcntt")
        cntt = System(f"{p}-cntt", f"Hệ thống giao ban trực tuyến của ngành Thông tin và Truyền thông tỉnh {P}",
                      "ict", None, f"{p}-ttcntt", CNTT_OCTET, {k: f"{p}-cntt-so-tttt" for k in ("2a", "2b", "2c")},
                      MCU_MODEL_OTHER, f"{p}-ttcntt")
        self.systems = [tinh, cntt]

        def add(s: System, eid: str, site: str, name: str, chair: bool = False, border: bool = False) -> None:
            provider = self.viettel if s.kind == "district" else self.vnpt
            s.endpoints.append(Endpoint(eid, site, site_unit[site], name, provider, chair, border))

        add(tinh, f"{p}-tinh-tinh-uy", f"{p}-tinh-uy", "Văn phòng Tỉnh ủy", chair=True)
        add(tinh, f"{p}-tinh-ubnd", f"{p}-ubnd-tinh-tang-2", "UBND tỉnh", chair=True)
        add(tinh, f"{p}-tinh-so-tai-chinh", f"{p}-so-tai-chinh", "Sở Tài chính", chair=True)
        for d in self.districts:
            add(tinh, f"{p}-tinh-{d.slug}", f"{p}-ubnd-{d.slug}", f"UBND {d.title}")
        for d, c in self.clusters:
            add(tinh, f"{p}-tinh-cum-{c.id}", f"{p}-ubnd-{d.slug}-{c.id}", f"Cụm xã biên giới {c.name}", border=True)
        add(cntt, f"{p}-cntt-so-tttt", f"{p}-so-tttt", "Sở Thông tin và Truyền thông", chair=True)
        for d in self.districts:
            add(cntt, f"{p}-cntt-{d.slug}", f"{p}-pvhtt-{d.slug}", f"Phòng VH-TT {d.title}")
        for k, d in enumerate(self.districts):
            s = System(d.id, f"Hệ thống giao ban trực tuyến {d.title}", "district", d.id, f"{p}-ubnd-{d.slug}",
                       FIRST_DISTRICT_OCTET + k, {x: f"{d.id}-ubnd" for x in ("3a", "3b", "3c")},
                       MCU_MODEL_OTHER, f"{p}-ubnd-{d.slug}")
            self.systems.append(s)
            add(s, f"{d.id}-ubnd", f"{p}-ubnd-{d.slug}", f"UBND {d.title}", chair=True)
            for c in d.communes:
                add(s, f"{d.id}-{c.id}", f"{p}-ubnd-{d.slug}-{c.id}", f"UBND {c.title}")

        hosting = {e.unit for s in self.systems for e in s.endpoints} | {f"{p}-ttcntt"}
        controllers = {f"{p}-ttcntt"} | {f"{p}-ubnd-{d.slug}" for d in self.districts}
        self.contacts: list[dict] = []
        for u in self.units:
            if u["id"] in hosting:
                roles = ["technical", "controller"] if u["id"] in controllers else ["technical"]
                self.contacts += [dict(id=f"{u['id']}-kt{n}", unit=u["id"], roles=roles) for n in (1, 2)]
        for s in self.systems:
            for e in s.endpoints:
                if e.chair:
                    short = e.id[len(p) + 1:]
                    self.contacts += [dict(id=f"{e.provider}-{short}-{n}", unit=e.provider, roles=["line_staff"],
                                           endpoints=[e.id]) for n in (1, 2)]
        self._check()

    def subnet(self, s: System) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"10.{self.shape.index}.{s.octet}.0/24")

    def devices(self):
        """(host, address) of every device, per system: MCU, then codec and router of each endpoint."""
        for s in self.systems:
            base = self.subnet(s).network_address
            yield f"{s.id}-mcu", str(base + MCU_OCTET)
            for n, e in enumerate(s.endpoints, 1):
                yield f"{e.id}-codec", str(base + CODEC_BASE + n)
                yield f"{e.id}-router", str(base + ROUTER_BASE + n)

    def _check(self) -> None:
        if len(self.districts) > MAX_DISTRICTS:
            raise ValueError(f"{self.slug}: more than {MAX_DISTRICTS} districts")
        for s in self.systems:
            if len(s.endpoints) > MAX_ENDPOINTS:
                raise ValueError(f"{s.id}: {len(s.endpoints)} endpoints, the plan allows {MAX_ENDPOINTS}")
        for section in ("units", "sites", "contacts"):
            ids = [x["id"] for x in getattr(self, section)]
            if len(ids) != len(set(ids)):
                raise ValueError(f"{self.slug}: duplicate {section} id")
        eps = [e.id for s in self.systems for e in s.endpoints]
        if len(eps) != len(set(eps)):
            raise ValueError(f"{self.slug}: duplicate endpoint id")
        hosts = [h for h, _ in self.devices()]
        if len(hosts) != len(set(hosts)) or max(map(len, hosts)) > MAX_HOST:
            raise ValueError(f"{self.slug}: duplicate or overlong host name")

    @property
    def counts(self) -> dict[str, int]:
        endpoints = sum(len(s.endpoints) for s in self.systems)
        return {"districts": len(self.districts), "communes": sum(len(d.communes) for d in self.districts),
                "border_clusters": len(self.clusters), "systems": len(self.systems), "endpoints": endpoints,
                "hosts": len(self.systems) + 2 * endpoints, "units": len(self.units), "sites": len(self.sites),
                "contacts": len(self.contacts)}

    # ---- writing ----
    def files(self, seed: int) -> dict[str, str]:
        head = [f"# Synthetic province {self.slug} ({self.name}), generated by gbtt.synth (seed {seed}).",
                "# Invented names and numbers for benchmarks and scale tests: not real data."]
        i = self.shape.index
        tinh, cntt = self.systems[0], self.systems[1]
        province = ["---", *head, "province:",
                    f"  name: {q(self.name)}",
                    f"  slug: {self.slug}",
                    '  as_of: "2017"',
                    f"  regulation: {q(f'{1000 + i}/QĐ-UBND')}",
                    f"  approving_authority: {self.slug}-so-tttt",
                    "  timezone: Asia/Ho_Chi_Minh",
                    "  ntp_servers:", *[f"    - {a}" for a in self.ntp],
                    f"  management_network: {self.network}",
                    "  software_baselines:",
                    '    cisco_ce: "ce11.17.1.5"', '    cisco_cms: "3.9.2"', '    cisco_ios: "17.09.05"',
                    "  expected_endpoints:",
                    f"    provincial: {len(tinh.endpoints)}",
                    f"    ict: {len(cntt.endpoints)}"]
        geo = ["---", *head, "districts:"]
        for d in self.districts:
            geo += [f"  - id: {d.id}", f"    name: {q(d.name)}", f"    type: {d.type}",
                    f"    borders_china: {'true' if d.borders else 'false'}", "    communes:"]
            geo += [f"      - {{id: {c.id}, name: {q(c.name)}, type: {c.type}}}" for c in d.communes]
        units = ["---", *head, "units:"]
        for u in self.units:
            units += [f"  - id: {u['id']}", f"    name: {q(u['name'])}", f"    kind: {u['kind']}",
                      f"    level: {u['level']}", f"    district: {u['district']}"]
            if "commune" in u:
                units.append(f"    commune: {u['commune']}")
        sites = ["---", *head, "sites:"]
        for s in self.sites:
            sites += [f"  - id: {s['id']}", f"    name: {q(s['name'])}", f"    unit: {s['unit']}",
                      f"    district: {s['district']}"]
            if "commune" in s:
                sites.append(f"    commune: {s['commune']}")
        systems = ["---", *head, "systems:"]
        for s in self.systems:
            net = self.subnet(s)
            systems += [f"  - id: {s.id}", f"    name: {q(s.name)}", f"    kind: {s.kind}"]
            if s.district:
                systems.append(f"    district: {s.district}")
            systems += [f"    operating_agency: {s.operator}", f"    funding_owner: {s.operator}",
                        f"    management_subnet: {net}", "    chairs:",
                        *[f"      {k}: {v}" for k, v in s.chairs.items()],
                        "    mcu:", f"      host: {s.id}-mcu", "      platform: cisco_cms",
                        f"      model: {q(s.mcu_model)}", f"      address: {net.network_address + MCU_OCTET}",
                        f"      site: {s.mcu_site}"]
        contacts = ["---", *head, "# Personal data is not invented: null means to fill in.", "contacts:"]
        for c in self.contacts:
            contacts += [f"  - id: {c['id']}", f"    unit: {c['unit']}", f"    roles: [{', '.join(c['roles'])}]",
                         "    name: null", "    phone: null", "    email: null"]
            if c.get("endpoints"):
                contacts.append(f"    endpoints: [{', '.join(c['endpoints'])}]")
        out = {"province.yml": province, "geography.yml": geo, "units.yml": units, "sites.yml": sites,
               "systems.yml": systems, "contacts.yml": contacts}
        for s in self.systems:
            base = self.subnet(s).network_address
            lines = ["---", *head, "endpoints:"]
            for n, e in enumerate(s.endpoints, 1):
                lines += [f"  - id: {e.id}", f"    system: {s.id}", f"    site: {e.site}", f"    name: {q(e.name)}",
                          f"    border_cluster: {'true' if e.border else 'false'}",
                          f"    focal_officers: [{e.unit}-kt1]",
                          "    line:", f"      provider: {e.provider}", "      circuit: null",
                          f"      bandwidth_kbps: {BW_HIGH if e.chair or s.kind != 'district' else BW_LOW}",
                          "    codec:", f"      host: {e.id}-codec", "      platform: cisco_ce",
                          f"      model: {q(CODEC_CHAIR if e.chair else CODEC_OTHER)}",
                          f"      address: {base + CODEC_BASE + n}",
                          "    router:", f"      host: {e.id}-router", "      platform: cisco_ios",
                          f"      model: {q(ROUTER_MODEL)}", f"      address: {base + ROUTER_BASE + n}",
                          "    camera_presets:"]
                lines += [f"      - {{id: {k}, name: {q(v)}}}" for k, v in (PRESETS_CHAIR if e.chair else PRESETS_OTHER)]
            out[f"endpoints/{s.id}.yml"] = lines
        return {name: "\n".join(body) + "\n" for name, body in out.items()}

    def source_file(self, seed: int) -> str:
        return "\n".join([
            "---",
            f"# Synthetic province {self.slug} ({self.name}), generated by gbtt.synth (seed {seed}): not real data.",
            "plugin: gbtt",
            f"registry: registry/{self.slug}",
            "# synthetic: no device credentials exist, so none are checked",
            "secrets: plain",
        ]) + "\n"


# =========================================================================================

def generate(out: Path, provinces: int = DEFAULT_PROVINCES, seed: int = DEFAULT_SEED,
             hosts_target: int = DEFAULT_HOSTS) -> dict:
    """Write the synthetic registries under ``out``; return the totals (and per-province counts).

    ``out`` must be empty or absent, or hold only a previous generation (its ``registry/``
    and ``p*.gbtt.yml`` are replaced).
    """
    out = Path(out)
    shapes = plan_shapes(provinces, seed, hosts_target)
    if out.exists():
        for f in out.glob("p*.gbtt.yml"):
            f.unlink()
        if (out / "registry").is_dir():
            shutil.rmtree(out / "registry")
    out.mkdir(parents=True, exist_ok=True)
    totals: dict = {"provinces": provinces, "seed": seed, "hosts_target": hosts_target}
    per: dict[str, dict] = {}
    sources = []
    for shape in shapes:
        prov = Province(shape, seed)
        root = out / "registry" / prov.slug
        for rel, text in prov.files(seed).items():
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8", newline="\n")
        src = out / f"{prov.slug}.gbtt.yml"
        src.write_text(prov.source_file(seed), encoding="utf-8", newline="\n")
        sources.append(str(src))
        per[prov.slug] = prov.counts
        for k, v in prov.counts.items():
            totals[k] = totals.get(k, 0) + v
    totals["sources"] = sources
    totals["per_province"] = per
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gbtt.synth", description=__doc__.split("\n\n")[0])
    ap.add_argument("--provinces", type=int, default=DEFAULT_PROVINCES, help="default: %(default)s")
    ap.add_argument("--out", type=Path, required=True, help="folder to write (empty, absent, or a previous output)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    ap.add_argument("--hosts-target", type=int, default=DEFAULT_HOSTS, help="default: %(default)s")
    ap.add_argument("--force", action="store_true", help="write into a folder that holds other files")
    args = ap.parse_args(argv)
    if args.out.exists() and not args.force:
        foreign = [f.name for f in args.out.iterdir()
                   if f.name != "registry" and not (f.name.startswith("p") and f.name.endswith(".gbtt.yml"))]
        if foreign:
            print(f"gbtt.synth: {args.out} holds other files ({', '.join(sorted(foreign)[:5])}); "
                  "use an empty folder or --force", file=sys.stderr)
            return 2
    try:
        t = generate(args.out, args.provinces, args.seed, args.hosts_target)
    except ValueError as exc:
        print(f"gbtt.synth: {exc}", file=sys.stderr)
        return 2
    print(f"gbtt.synth: {t['provinces']} provinces, {t['districts']} districts, {t['communes']} communes, "
          f"{t['border_clusters']} border clusters, {t['systems']} systems, {t['endpoints']} endpoints, "
          f"{t['hosts']} hosts (target {t['hosts_target']}), {t['units']} units, {t['sites']} sites, "
          f"{t['contacts']} contacts -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
