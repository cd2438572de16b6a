"""The registry as Ansible sees it: groups, group variables and host variables.

Host and group variables carry what device templates need (addresses, names, the line,
chairs, the MCU); who runs and funds a system and the focal officers' contact details stay in
the registry, where reports and the ``gbtt`` commands read them: personal data does not
belong in every host's variables (they appear in ``-vvv`` output and fact caches), and
small variables keep every play fast.

Pure Python (no Ansible import): the inventory plugin copies this into Ansible's
inventory, the benchmarks write it out as a plain YAML inventory, and the tests read it
directly.

Groups (names use ``_`` for ``-``):

* ``province_<slug>`` – every host of the province; carries ``gbtt_province``;
* ``sys_<system>`` – the MCU, codecs and routers of one system; carries ``gbtt_system``;
  grouped under ``systems_provincial``, ``systems_ict``, ``systems_district``, ``systems_other``;
* ``codecs``, ``mcus``, ``routers`` – by device class;
* ``platform_<platform>`` – by platform (``platform_cisco_ce`` …);
* ``district_<district>`` – every device located in the district;
* ``provider_<unit>`` – codecs and routers of endpoints on that provider's line;
* ``chair_endpoints`` – codecs and routers of chair endpoints (Art. 5);
* ``border_clusters`` – codecs and routers of the border commune clusters (Art. 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from gbtt import model as m

if TYPE_CHECKING:
    from gbtt.lab.settings import LabSettings

CLASS_GROUPS = {"codec": "codecs", "mcu": "mcus", "router": "routers"}


def group_name(prefix: str, ident: str) -> str:
    return f"{prefix}_{ident.replace('-', '_')}"


@dataclass
class Group:
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict = field(default_factory=dict)


@dataclass
class InventoryData:
    groups: dict[str, Group] = field(default_factory=dict)
    hostvars: dict[str, dict] = field(default_factory=dict)

    def group(self, name: str) -> Group:
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = Group()
        return g


def _site(reg: m.Registry, site_id: str | None) -> dict | None:
    site = reg.sites.get(site_id) if site_id else None
    if site is None:
        return None
    return {"id": site.id, "name": site.name, "district": site.district, "commune": site.commune}


def build(reg: m.Registry, lab: "LabSettings | None" = None) -> InventoryData:
    """Groups and variables of a registry; with ``lab``, every host points at its simulated
    device on the loopback (``ansible_host``/``ansible_port``), the registry's address kept in
    ``gbtt_management_address``, and the province group carries ``gbtt_lab`` (the known_hosts
    file and the CA bundle that clients must verify the lab with)."""
    inv = _build(reg)
    if lab is not None:
        ports = lab.ports(list(inv.hostvars))
        for host, hv in inv.hostvars.items():
            hv["gbtt_management_address"] = hv["ansible_host"]
            hv["ansible_host"] = lab.address
            hv["ansible_port"] = ports[host]
        inv.group(group_name("province", reg.province.slug)).vars["gbtt_lab"] = {
            "known_hosts": str(lab.known_hosts), "ca_bundle": str(lab.ca_bundle), "state_dir": str(lab.state_dir),
        }
    return inv


def _build(reg: m.Registry) -> InventoryData:
    inv = InventoryData()
    p = reg.province
    prov_group = group_name("province", p.slug)
    inv.group(prov_group).vars["gbtt_province"] = {
        "name": p.name, "slug": p.slug, "timezone": p.timezone, "ntp_servers": list(p.ntp_servers),
        "management_network": p.management_network, "software_baselines": dict(p.software_baselines),
        "codec_accounts": [{"active": True, "shell_login": False, **a} for a in p.codec_accounts],
    }
    chair_scales: dict[str, list[str]] = {}
    for s in reg.systems.values():
        for scale, ep_id in sorted(s.chairs.items()):
            chair_scales.setdefault(ep_id, []).append(scale)
    endpoints_of: dict[str, list[m.Endpoint]] = {}
    for ep in reg.endpoints.values():
        endpoints_of.setdefault(ep.system, []).append(ep)

    for s in reg.systems.values():
        sys_group = group_name("sys", s.id)
        inv.group(prov_group).children.append(sys_group)
        inv.group(f"systems_{s.kind}").children.append(sys_group)
        g = inv.group(sys_group)
        g.vars["gbtt_system"] = {
            "id": s.id, "name": s.name, "kind": s.kind, "district": s.district,
            "management_subnet": s.management_subnet, "chairs": dict(sorted(s.chairs.items())),
            "mcu": {"host": s.mcu.host, "address": s.mcu.address},
        }
        eps = endpoints_of.get(s.id, [])
        mcu_site = _site(reg, s.mcu.site)
        _add_device(inv, s.mcu, sys_group, mcu_site["district"] if mcu_site else None, {
            "gbtt_mcu_site": mcu_site,
            "gbtt_system_endpoints": [
                {"id": ep.id, "name": ep.name, "codec_host": ep.codec.host, "codec_address": ep.codec.address,
                 "bandwidth_kbps": ep.line.bandwidth_kbps, "chair_scales": chair_scales.get(ep.id, [])}
                for ep in eps],
        })
        for ep in eps:
            site = _site(reg, ep.site)
            info = {
                "id": ep.id, "name": ep.name, "system": ep.system, "site": site,
                "chair_scales": chair_scales.get(ep.id, []), "border_cluster": ep.border_cluster,
                "line": {"provider": ep.line.provider, "circuit": ep.line.circuit,
                         "bandwidth_kbps": ep.line.bandwidth_kbps},
                "codec": {"host": ep.codec.host, "address": ep.codec.address},
                "router": {"host": ep.router.host, "address": ep.router.address},
            }
            district = site["district"] if site else None
            presets = [dict(x) for x in ep.camera_presets]
            _add_device(inv, ep.codec, sys_group, district, {"gbtt_endpoint": {**info, "camera_presets": presets}})
            _add_device(inv, ep.router, sys_group, district, {"gbtt_endpoint": info})
            for dev in (ep.codec, ep.router):
                inv.group(group_name("provider", ep.line.provider)).hosts.append(dev.host)
                if ep.id in chair_scales:
                    inv.group("chair_endpoints").hosts.append(dev.host)
                if ep.border_cluster:
                    inv.group("border_clusters").hosts.append(dev.host)
    return inv


def _add_device(inv: InventoryData, dev: m.Device, sys_group: str, district: str | None, extra: dict) -> None:
    inv.hostvars[dev.host] = {
        "ansible_host": dev.address,
        "gbtt_device_class": dev.device_class,
        "gbtt_platform": dev.platform,
        "gbtt_model": dev.model,
        **extra,
    }
    inv.group(sys_group).hosts.append(dev.host)
    inv.group(CLASS_GROUPS[dev.device_class]).hosts.append(dev.host)
    inv.group(group_name("platform", dev.platform)).hosts.append(dev.host)
    if district:
        inv.group(group_name("district", district)).hosts.append(dev.host)
