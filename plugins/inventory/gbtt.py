"""Ansible inventory plugin: the gbtt registry as hosts, groups and variables."""

from __future__ import annotations

DOCUMENTATION = r"""
name: gbtt
short_description: The online-meeting registry of a province as an Ansible inventory
description:
  - Reads the registry folder(s) named by an inventory source file (C(<name>.gbtt.yml) or C(gbtt.yml)),
    validates them with the same loader as C(gbtt validate), and refuses an invalid registry with the
    same messages (file, line, hint).
  - Hosts are the codecs, routers and MCUs; groups are per system, device class, platform, district,
    line provider, chair endpoints and border clusters (see C(gbtt/inventory.py)).
  - A valid registry is cached by content hash (C($GBTT_CACHE_DIR) or C(~/.cache/gbtt)), so an
    unchanged registry loads without parsing YAML.
  - group_vars and host_vars beside the inventory still apply, with Ansible's precedence.
options:
  plugin:
    description: Marks this file as a gbtt inventory source.
    required: true
    choices: [gbtt]
  registry:
    description:
      - Registry folder, or list of folders layered in order (a file in a later folder replaces the
        file with the same relative name in an earlier one), relative to this file.
    type: list
    elements: str
    default: [registry]
  secrets:
    description:
      - C(vault) (production) checks that the device credentials in C(group_vars/all/) are
        ansible-vault values (a plaintext password is refused, a null one is a warning "to fill in").
      - C(plain) is for the lab only, whose openly lab-only credentials are plain text.
    type: str
    choices: [vault, plain]
    default: vault
  lab:
    description:
      - Marks a lab inventory (with C(secrets=plain)) and sets up the embedded lab (C(gbtt lab up)).
        Every host then points at its simulated device on 127.0.0.1, port C(base_port) + its index in
        sorted host names (C($GBTT_LAB_BASE_PORT) overrides); C(state_dir) (default C(.lab) beside
        this file, or C($GBTT_LAB_DIR)) holds the lab's keys, CA, device state and request log.
    type: dict
"""

EXAMPLES = r"""
---
# inventory/hagiang/hagiang.gbtt.yml
plugin: gbtt
registry: registry
---
# inventory/lab/lab.gbtt.yml: the province with lab-only contacts layered on top
plugin: gbtt
registry:
  - ../hagiang/registry
  - registry
secrets: plain
"""

from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.display import Display

try:
    from gbtt import inventory as gbtt_inventory
    from gbtt import registry as gbtt_registry
except ImportError as exc:  # pragma: no cover - depends on the environment
    gbtt_registry = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

display = Display()


class InventoryModule(BaseInventoryPlugin):
    NAME = "gbtt"

    def verify_file(self, path):
        return super().verify_file(path) and gbtt_registry is not None and gbtt_registry.is_source_file(Path(path))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if _IMPORT_ERROR is not None:
            raise AnsibleParserError(f"the gbtt package is not importable ({_IMPORT_ERROR}); run 'make setup'")
        try:
            source = gbtt_registry.read_source_file(Path(path))
            result = gbtt_registry.load(source)
        except gbtt_registry.SourceError as exc:
            raise AnsibleParserError(str(exc)) from None
        if not result.ok:
            raise AnsibleParserError(
                f"invalid registry ({result.report.summary()}):\n" + result.report.format_text(limit=None))
        if result.report.warnings:
            display.vv(f"gbtt: {path}: {result.report.summary()} (run 'gbtt validate' for the list)")
        lab = None
        if source.lab is not None:
            from gbtt.lab.settings import LabSettingsError, settings_for
            try:
                lab = settings_for(source.config, source.lab)
            except LabSettingsError as exc:
                raise AnsibleParserError(f"{path}: {exc}") from None
        data = gbtt_inventory.build(result.registry, lab)
        inv = self.inventory
        for name in data.groups:
            inv.add_group(name)
        for host, hostvars in data.hostvars.items():
            inv.add_host(host)
            for key, value in hostvars.items():
                inv.set_variable(host, key, value)
        for name, group in data.groups.items():
            for child in group.children:
                inv.add_child(name, child)
            for host in group.hosts:
                inv.add_child(name, host)
            for key, value in group.vars.items():
                inv.set_variable(name, key, value)
