"""Action plugin ``gbtt_maintenance``: run the maintenance checks of ``checks/`` on one device.

Thin: :func:`gbtt.maintenance.check_device` does the work over one driver session; the result
(every check's status, value and evidence) is registered for ``gbtt_maintenance_record``, which
writes the records and reports.  An unreachable device is not an Ansible failure: it is
recorded as a failed ``reachable`` check and ``not-run`` checks.  Doc: plugins/modules/gbtt_maintenance.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ansible.errors import AnsibleActionFail

try:
    from gbtt import checks as gbtt_checks
    from gbtt import maintenance as gbtt_maintenance
    from gbtt.action import GbttAction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise AnsibleActionFail(f"the gbtt package is not importable ({exc}); run 'make setup'") from exc


class ActionModule(GbttAction):
    ARGUMENT_SPEC = {
        "records_dir": {"type": "path"},
        "checks_dir": {"type": "path"},
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options()
        host, variables = self.device_variables(task_vars)
        try:
            checks = gbtt_checks.load(Path(args["checks_dir"])) if args.get("checks_dir") else gbtt_checks.load()
        except gbtt_checks.CheckError as exc:
            raise AnsibleActionFail(str(exc)) from None
        previous, previous_when = {}, None
        system = (variables.get("gbtt_system") or {}).get("id")
        if args.get("records_dir") and system:
            earlier, previous_when = gbtt_maintenance.previous_results(Path(args["records_dir"]), system)
            previous = earlier.get(host, {})
        report = gbtt_maintenance.check_device(host, variables, checks, previous=previous,
                                               previous_when=previous_when, now=dt.datetime.now(dt.timezone.utc))
        failing = [r for r in report.results if r.status in gbtt_checks.FAILING]
        warned = [r for r in report.results if r.status == "warn"]
        result.update(changed=False, maintenance=report.as_dict(), reachable=report.reachable,
                      msg=(f"{len(report.results) - len(failing) - len(warned)} passed or n/a, {len(warned)} warning(s), "
                           f"{len(failing)} failed" + (": " + ", ".join(f"{r.check} ({r.status})" for r in failing)
                                                       if failing else "")))
        return result
