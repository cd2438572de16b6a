"""The province as typed, frozen objects, built from schema-valid registry data.

Every object remembers where it was written (:class:`Src`: file and data path), so that
a rule that fails can point at the line an engineer has to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Src:
    file: str
    path: tuple

    def at(self, *more: Any) -> "Src":
        return Src(self.file, self.path + more)


@dataclass(frozen=True, slots=True)
class Province:
    name: str
    slug: str
    approving_authority: str
    timezone: str
    management_network: str
    src: Src
    as_of: str | None = None
    regulation: str | None = None
    ntp_servers: tuple[str, ...] = ()
    software_baselines: dict = field(default_factory=dict)
    expected_endpoints: dict = field(default_factory=dict)
    codec_accounts: tuple[dict, ...] = ()
    approval_clock_skew_seconds: int = 300
    office_hours: tuple[tuple[str, str], ...] = ()       # working sessions, ("07:30", "11:30"), …
    extra_days_off: tuple[str, ...] = ()                # days off decided beyond the public holidays
    extra_working_days: tuple[str, ...] = ()            # weekend days made working days


@dataclass(frozen=True, slots=True)
class Commune:
    id: str
    name: str
    type: str
    district: str
    src: Src


@dataclass(frozen=True, slots=True)
class District:
    id: str
    name: str
    type: str
    communes: tuple[Commune, ...]
    src: Src
    borders_china: bool = False


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    name: str
    kind: str
    level: str
    src: Src
    district: str | None = None
    commune: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    unit: str
    district: str
    src: Src
    commune: str | None = None
    room: str | None = None


@dataclass(frozen=True, slots=True)
class Device:
    host: str
    device_class: str  # codec | mcu | router
    platform: str
    address: str
    system: str
    src: Src
    model: str | None = None
    serial: str | None = None
    endpoint: str | None = None  # None for an MCU
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    provider: str
    bandwidth_kbps: int
    src: Src
    circuit: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    system: str
    site: str
    name: str
    line: Line
    codec: Device
    router: Device
    src: Src
    border_cluster: bool = False
    focal_officers: tuple[str, ...] = ()
    camera_presets: tuple[dict, ...] = ()


@dataclass(frozen=True, slots=True)
class System:
    id: str
    name: str
    kind: str
    operating_agency: str
    funding_owner: str
    management_subnet: str
    chairs: dict
    mcu: Device
    src: Src
    district: str | None = None
    approving_authority: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    unit: str
    roles: tuple[str, ...]
    src: Src
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    endpoints: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return bool(self.name and self.phone and self.email)


@dataclass(frozen=True, slots=True)
class Approval:
    id: str
    number: str
    authority: str
    issued: str
    valid_from: str
    valid_until: str
    systems: tuple[str, ...]
    purpose: str
    src: Src
    endpoints: tuple[str, ...] = ()
    meeting: str | None = None
    signature: str | None = None
    interconnect: str | None = None
    config_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Interconnect:
    """A cascade of MCUs: the hub system's MCU dials the MCU of each spoke system."""

    id: str
    hub: str
    spokes: tuple[str, ...]
    src: Src
    name: str | None = None
    bandwidth_kbps: int = 2000
    purpose: str | None = None

    @property
    def systems(self) -> tuple[str, ...]:
        return (self.hub, *self.spokes)


@dataclass(frozen=True, slots=True)
class Revocation:
    approval: str
    revoked: str
    reason: str
    src: Src
    by: str | None = None


@dataclass(slots=True)
class Registry:
    """The whole province.  Dicts keep the order of the files."""

    province: Province | None = None
    districts: dict[str, District] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    systems: dict[str, System] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    approvals: dict[str, Approval] = field(default_factory=dict)
    interconnects: dict[str, Interconnect] = field(default_factory=dict)
    revocations: list[Revocation] = field(default_factory=list)

    def devices(self):
        """Every device: per system its MCU, then each endpoint's codec and router."""
        by_system: dict[str, list[Endpoint]] = {}
        for ep in self.endpoints.values():
            by_system.setdefault(ep.system, []).append(ep)
        for sid, system in self.systems.items():
            yield system.mcu
            for ep in by_system.pop(sid, ()):
                yield ep.codec
                yield ep.router
        for eps in by_system.values():  # endpoints of unknown systems (reported by the rules)
            for ep in eps:
                yield ep.codec
                yield ep.router

    def endpoints_of(self, system_id: str) -> list[Endpoint]:
        return [ep for ep in self.endpoints.values() if ep.system == system_id]

    def approving_authority(self, system: System) -> str | None:
        if system.approving_authority:
            return system.approving_authority
        return self.province.approving_authority if self.province else None

    def counts(self) -> dict[str, int]:
        return {
            "systems": len(self.systems),
            "endpoints": len(self.endpoints),
            "devices": sum(1 for _ in self.devices()),
            "sites": len(self.sites),
            "units": len(self.units),
            "contacts": len(self.contacts),
            "approvals": len(self.approvals),
            "interconnects": len(self.interconnects),
        }


def _reduce(self: Any) -> tuple:
    """Pickle as (class, field values): the registry cache loads ~3x faster than with
    dataclasses' generic ``__setstate__``, which looks up the fields for every object."""
    cls = type(self)
    return cls, tuple(getattr(self, name) for name in cls.__dataclass_fields__)


for _cls in (Src, Province, Commune, District, Unit, Site, Device, Line, Endpoint, System, Contact, Approval,
             Interconnect, Revocation, Registry):
    _cls.__reduce__ = _reduce  # type: ignore[method-assign]
