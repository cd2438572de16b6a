"""Action plugin ``gbtt_maintenance_record``: the records and reports of a maintenance run.

Runs once on the controller after ``gbtt_maintenance``: per system, one append-only record
(:func:`gbtt.maintenance.write_record`) with the devices' results and the operator's
confirmations, then the Vietnamese reports of :mod:`gbtt.maintenance_report`.
Doc: plugins/modules/gbtt_maintenance_record.py.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path

from ansible.errors import AnsibleActionFail

from gbtt import checks as gbtt_checks
from gbtt import maintenance as gbtt_maintenance
from gbtt import maintenance_report
from gbtt.action import GbttAction


class ActionModule(GbttAction):
    ARGUMENT_SPEC = {
        "hosts": {"type": "list", "elements": "str", "required": True},
        "result_var": {"type": "str", "default": "gbtt_maintenance"},
        "records_dir": {"type": "path", "required": True},
        "reports_dir": {"type": "path"},
        "operator": {"type": "dict", "default": {}},
        "checks_dir": {"type": "path"},
        "fail_on_findings": {"type": "bool", "default": False},
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options()
        hostvars, groups = task_vars["hostvars"], task_vars.get("groups", {})
        try:
            checks = gbtt_checks.load(Path(args["checks_dir"])) if args.get("checks_dir") else gbtt_checks.load()
        except gbtt_checks.CheckError as exc:
            raise AnsibleActionFail(str(exc)) from None
        by_system: dict[str, list[dict]] = {}
        names: dict[str, str] = {}
        province, tz = "Hà Giang", "Asia/Ho_Chi_Minh"
        for host in args["hosts"]:
            vars_ = hostvars[host]
            registered = vars_.get(args["result_var"])
            if not registered:
                continue                     # outside this run (--limit)
            registered = self._templar.template(registered)
            device = registered.get("maintenance")
            if not device:
                raise AnsibleActionFail(f"{host}: {args['result_var']} holds no maintenance result "
                                        f"({registered.get('msg', 'the check task failed')})")
            by_system.setdefault(device["system"], []).append(device)
            system = vars_.get("gbtt_system") or {}
            names[device["system"]] = system.get("name", device["system"])
            prov = vars_.get("gbtt_province") or {}
            province, tz = prov.get("name", province), prov.get("timezone", tz)
        when = dt.datetime.now(dt.timezone.utc)
        who = os.environ.get("GBTT_USER") or getpass.getuser()
        written, reports = [], []
        for system, devices in sorted(by_system.items()):
            expected = groups.get("sys_" + system.replace("-", "_"), [])
            endpoints = sorted({d["endpoint"] for d in devices if d.get("endpoint")})
            operator = gbtt_maintenance.operator_results(checks, endpoints, args["operator"])
            path = gbtt_maintenance.write_record(Path(args["records_dir"]), system, devices, operator, who=who,
                                                 when=when, expected=expected, system_name=names[system])
            written.append(str(path))
            paths = gbtt_maintenance.records(Path(args["records_dir"]), system)
            previous = gbtt_maintenance.read(paths[-2]) if len(paths) > 1 else None
            reports.append(maintenance_report.build(gbtt_maintenance.read(path), previous, checks, tz))
        run_dir = None
        if args.get("reports_dir") and reports:
            run_dir = maintenance_report.write(Path(args["reports_dir"]), reports, when, province, tz)
        findings = sum(1 for rep in reports for row in rep.rows if row.failing)
        incomplete = [rep.record["system"] for rep in reports if not rep.record.get("complete")]
        result.update(changed=bool(written), records=written, reports=str(run_dir) if run_dir else None,
                      findings=findings, incomplete=incomplete,
                      msg=f"{len(written)} record(s); {findings} failed check(s); "
                          f"{len(incomplete)} system(s) not completely maintained"
                          + (f"; reports in {run_dir}" if run_dir else ""))
        if args["fail_on_findings"] and (findings or incomplete):
            result["failed"] = True
        return result
