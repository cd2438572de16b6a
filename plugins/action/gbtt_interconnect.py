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
    from gbtt import interconnect as gbtt_interconnect
    from gbtt.action import JOB_OPTIONS, GbttAction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise AnsibleActionFail(f"the gbtt package is not importable ({exc}); run 'make setup'") from exc


class ActionModule(GbttAction):
    ARGUMENT_SPEC = {
        "interconnect": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent", "report"]},
        "approval": {"type": "raw"},
        **JOB_OPTIONS,
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options()
        source = self.inventory_source(args.get("inventory"), task_vars)
        variables_of = self.variables_of(task_vars)
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
        self.mcu_diffs(result, out.mcus, f"interconnect {link}")
        if out.failed:
            result["failed"] = True
        return result
