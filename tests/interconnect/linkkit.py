"""Helpers of the interconnect tests: a writable copy of the lab inventory, and approvals written
and signed the way the approving authority would (the lab's demo key) or not."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from gbtt import approvals as ap
from gbtt import interconnect as ic
from gbtt import registry
from gbtt.yamlio import rt_dump

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
DEMO_KEY = LAB / "trust" / "demo-authority"
UTC = dt.timezone.utc


def lab_copy(tmp: Path) -> Path:
    """inventory/lab copied to ``tmp/lab`` (own registry layer, trust and group_vars; the real
    province underneath), without the shipped approvals: each test writes its own."""
    inv = tmp / "lab"
    shutil.copytree(LAB, inv, ignore=shutil.ignore_patterns(".lab", "*.pyc"))
    for f in (inv / "registry" / "approvals").glob("*.yml"):
        f.unlink()
    source = inv / "lab.gbtt.yml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "  - ../hagiang/registry", f"  - {ROOT / 'inventory' / 'hagiang' / 'registry'}"), encoding="utf-8")
    return inv


def source(inv: Path) -> registry.Source:
    return registry.find_sources(inv)[0]


def config_hash(inv: Path, link: str) -> str:
    reg = registry.load(source(inv)).registry
    return ic.intended(reg, reg.interconnects[link])[2]


def moment(delta: dt.timedelta) -> str:
    return (dt.datetime.now(UTC) + delta).isoformat(timespec="seconds")


def approval(inv: Path, ident: str = "a1", *, link: str = "tinh-vi-xuyen", key: Path | None = DEMO_KEY,
             edit_after_signing: dict | None = None, extra: dict | None = None, **fields) -> dict:
    """Write ``registry/approvals/<ident>.yml``: a valid approval of ``link`` now (bound to its
    current configuration) unless ``fields`` say otherwise; signed with ``key`` (None: unsigned);
    ``edit_after_signing`` changes fields once signed; ``extra`` adds raw keys."""
    reg = registry.load(source(inv)).registry
    entry = {"id": ident, "number": "123/STTTT-CNTT", "authority": "so-tttt", "issued": "2026-11-01",
             "valid_from": moment(-dt.timedelta(days=1)), "valid_until": moment(dt.timedelta(days=30)),
             "interconnect": link, "systems": list(reg.interconnects[link].systems) if link in reg.interconnects
             else ["tinh", "vi-xuyen"], "purpose": "Giao ban trực tuyến (Điều 5.4b)"}
    if link in reg.interconnects:
        entry["config_sha256"] = ic.intended(reg, reg.interconnects[link])[2]
    entry.update(fields)
    entry = {k: v for k, v in entry.items() if v is not None}
    if key is not None:
        entry["signature"] = ap.sign(entry, key)
    entry.update(edit_after_signing or {})
    entry.update(extra or {})
    path = inv / "registry" / "approvals" / f"{ident}.yml"
    path.write_text(rt_dump({"approvals": [entry]}), encoding="utf-8")
    return entry


def other_key(tmp: Path) -> Path:
    key = tmp / "impostor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f", str(key)], check=True)
    return key


def mcu_variables(inv: Path) -> dict[str, dict]:
    """The MCUs' variables as the action plugin sees them; the lab's ports from $GBTT_LAB_*."""
    from gbtt import hostvars
    return {h: v for h, v in hostvars.load_hosts(inv).items() if v.get("gbtt_device_class") == "mcu"}


def driver(variables: dict, link: str | None = None):
    """An open CMS driver on one MCU (scope ``link:<link>`` when given)."""
    from gbtt.deploy import connection_params
    from gbtt.drivers.base import driver_for
    params, _ = connection_params(variables)
    if link:
        params.extra["scope"] = f"link:{link}"
    d = driver_for(variables["gbtt_platform"])("mcu", params)
    d.open()
    return d
