"""The synthetic national generator (gbtt.synth): valid, globally unique, counted right, deterministic."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from gbtt import registry, synth


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_small_national_inventory_is_valid_unique_and_counted(tmp_path: Path):
    out = tmp_path / "national"
    totals = synth.generate(out, provinces=3, seed=7, hosts_target=600)
    sources = registry.find_sources(out)
    assert [s.name for s in sources] == ["p01", "p02", "p03"]
    assert totals["provinces"] == 3 and len(totals["sources"]) == 3

    hosts: list[str] = []
    ids: dict[str, set[str]] = {}
    endpoints = systems = 0
    for i, source in enumerate(sources, 1):
        res = registry.load(source, use_cache=False)
        assert res.ok, res.report.format_text(limit=None)
        reg = res.registry
        assert reg.province.management_network == f"10.{i}.0.0/16"
        net = ipaddress.IPv4Network(reg.province.management_network)
        devices = list(reg.devices())
        assert all(ipaddress.IPv4Address(d.address) in net for d in devices)
        assert all(d.host.startswith(f"p{i:02d}-") and len(d.host) <= 63 for d in devices)
        hosts += [d.host for d in devices]
        for section in ("districts", "units", "sites", "systems", "endpoints", "contacts"):
            mine = set(getattr(reg, section))
            assert all(x.startswith(f"p{i:02d}-") for x in mine), section
            assert not ids.setdefault(section, set()) & mine, f"{section} ids repeat across provinces"
            ids[section] |= mine
        endpoints += len(reg.endpoints)
        systems += len(reg.systems)
        assert totals["per_province"][source.name]["hosts"] == len(devices)

    assert len(hosts) == len(set(hosts)), "host names repeat across provinces"
    assert len(hosts) == totals["hosts"]
    assert endpoints == totals["endpoints"] and systems == totals["systems"]
    assert abs(totals["hosts"] - 600) <= 1


def test_generation_is_deterministic(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    ta = synth.generate(a, provinces=2, seed=11, hosts_target=400)
    tb = synth.generate(b, provinces=2, seed=11, hosts_target=400)
    assert {k: v for k, v in ta.items() if k != "sources"} == {k: v for k, v in tb.items() if k != "sources"}
    assert _files(a) == _files(b)
    c = tmp_path / "c"
    synth.generate(c, provinces=2, seed=12, hosts_target=400)
    assert _files(a) != _files(c)


def test_national_plan_lands_on_the_target():
    shapes = synth.plan_shapes(63, synth.DEFAULT_SEED, 20_000)
    assert len(shapes) == 63
    assert all(8 <= s.districts <= 12 for s in shapes)
    assert abs(sum(s.hosts for s in shapes) - 20_000) <= 1
