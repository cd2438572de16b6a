"""Action plugin ``gbtt_interconnect``: build, tear down or report an interconnect (MCU cascade).

Thin: the logic and the approval gate are :mod:`gbtt.interconnect`.  It runs once, on the
controller, for the whole link (the MCUs of the link are reached through their own drivers,
with the variables of their inventory hosts).  Documentation: plugins/modules/gbtt_interconnect.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from ansible.errors import AnsibleActionFail

try:
    from gbtt import deploy as gbtt_deploy
    from gbtt import interconnect as gbtt_interconnect
    from gbtt import registry as gbtt_registry
    from gbtt.action import GbttAction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise AnsibleActionFail(f"the gbtt package is not importable ({exc}); run 'make setup'") from exc


class ActionModule(GbttAction):
    ARGUMENT_SPEC = {
        "interconnect": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent", "report"]},
        "approval": {"type": "raw"},
        "inventory": {"type": "path"},
        "backup_dir": {"type": "path"},
        "audit_log": {"type": "path"},
        "verify_timeout": {"type": "float", "default": 20.0},
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options()
        hostvars = task_vars["hostvars"]
        source = self._source(args, task_vars)

        def variables_of(host: str) -> dict:
            if host not in hostvars:
                raise AnsibleActionFail(f"MCU {host} is not in the inventory of this run")
            return gbtt_deploy.task_variables(hostvars[host], self._templar.template)

        if args["state"] == "report":
            links = gbtt_interconnect.status(source, variables_of)
            result.update(changed=False, interconnects=links,
                          msg=f"{sum(1 for x in links if x['up'])} of {len(links)} interconnect(s) up, "
                              f"{sum(1 for x in links if x['finding'])} finding(s)")
            return result
        link = args.get("interconnect") or ""
        if not link:
            raise AnsibleActionFail("name the interconnect to build: -e interconnect=<id> (registry interconnects:)")
        try:
            out = gbtt_interconnect.build(
                source, link, variables_of, state=args["state"], check=bool(self._task.check_mode),
                pin=args.get("approval"), verify_timeout=args["verify_timeout"],
                audit_log=Path(args["audit_log"]) if args.get("audit_log") else None,
                backup_dir=Path(args["backup_dir"]) if args.get("backup_dir") else None,
                user=os.environ.get("GBTT_USER"))
        except gbtt_interconnect.InterconnectError as exc:
            raise AnsibleActionFail(str(exc)) from None
        data = out.as_dict()
        result.update(changed=out.changed, msg=out.message, refused=out.refused, approval=out.approval,
                      config_sha256=out.config_sha256, mcus=data["mcus"], legs=out.legs)
        if self._task.diff:
            diffs = [{"before_header": f"{o.host} (running)", "after_header": f"{o.host} (interconnect {link})",
                      "prepared": o.diff} for o in out.mcus if o.diff]
            if diffs:
                result["diff"] = diffs
        if out.failed:
            result["failed"] = True
        return result

    def _source(self, args: dict, task_vars: dict):
        """The inventory source the run was given (the gate reads it afresh, not Ansible's copy)."""
        path = args.get("inventory")
        if not path:
            for host in task_vars.get("groups", {}).get("mcus", []):
                path = task_vars["hostvars"][host].get("inventory_file")
                if path:
                    break
        if not path:
            raise AnsibleActionFail("no gbtt inventory in this run (no host in group 'mcus'): use -i inventory/<name>")
        try:
            return gbtt_registry._single(gbtt_registry.find_sources(path), path)
        except gbtt_registry.SourceError as exc:
            raise AnsibleActionFail(str(exc)) from None
