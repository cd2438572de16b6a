"""Every host of a gbtt inventory with its variables, as the action plugins see them, without
Ansible: for Python jobs outside a playbook (the Nornir peer of bench/, the tests).

* hosts and their variables from the registry: :func:`gbtt.registry.load` and
  :func:`gbtt.inventory.build` (what ``plugins/inventory/gbtt.py`` hands Ansible), each host's
  group variables merged as Ansible merges them (:func:`gbtt.render.context`);
* plus the inventory's ``group_vars/all.yml`` or ``group_vars/all/*.yml``, whose Jinja
  references (``"{{ lab_gbtt_codec_password }}"``) are resolved here: only whole-value
  references to other variables are supported (no filters, no vault: the lab's plain values);
* reduced to what :func:`gbtt.deploy.task_variables` passes a device's driver.
"""

from __future__ import annotations

import re
from pathlib import Path

from gbtt import deploy as gbtt_deploy
from gbtt import inventory as gbtt_inventory
from gbtt import registry, render, yamlio

_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


class HostVarsError(Exception):
    pass


def group_vars_all(inventory: Path) -> dict:
    """``<inventory>/group_vars/all.yml`` or ``all/*.yml``, with ``"{{ name }}"`` resolved."""
    folder = Path(inventory) / "group_vars"
    files = sorted((folder / "all").glob("*.yml")) + sorted((folder / "all").glob("*.yaml"))
    files += [f for f in (folder / "all.yml", folder / "all.yaml") if f.is_file()]
    raw: dict = {}
    for f in files:
        data = yamlio.fast_load(f.read_text(encoding="utf-8"), str(f)) or {}
        raw.update(data)

    def resolve(name: str, seen: tuple[str, ...] = ()) -> object:
        value = raw[name]
        if isinstance(value, str) and "{{" in value:
            ref = _REFERENCE.match(value.strip())
            if not ref or ref.group(1) not in raw or ref.group(1) in seen:
                raise HostVarsError(f"{folder}: {name}: only '{{{{ other_variable }}}}' references are supported here")
            return resolve(ref.group(1), (*seen, name))
        return value

    return {name: resolve(name) for name in raw}


def load_hosts(inventory: Path) -> dict[str, dict]:
    """Every host of the gbtt inventory source(s) under ``inventory`` with its variables, as
    the action plugin would see them (group_vars/all < group variables < host variables)."""
    common = group_vars_all(inventory)
    hosts: dict[str, dict] = {}
    for source in registry.find_sources(inventory):
        result = registry.load(source)
        if not result.ok:
            raise HostVarsError(f"invalid registry ({result.report.summary()}); run 'gbtt validate'")
        lab = None
        if source.lab is not None:
            from gbtt.lab.settings import settings_for
            lab = settings_for(source.config, source.lab)
        data = gbtt_inventory.build(result.registry, lab)
        for host in data.hostvars:
            variables = {**common, **render.context(data, host)}
            hosts[host] = gbtt_deploy.task_variables(variables, lambda value: value)   # resolved above
    return hosts
