"""Action plugin ``gbtt_meeting``: the test, official connection or end of a planned meeting.

Thin: the logic is :mod:`gbtt.meeting_run` (the plan, :mod:`gbtt.meetings`). It runs once, on
the controller, for the whole meeting (the MCUs and the participant codecs are reached through
their own drivers, with the variables of their inventory hosts). Documentation:
plugins/modules/gbtt_meeting.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from ansible.errors import AnsibleActionFail

try:
    from gbtt import meeting_run
    from gbtt.action import JOB_OPTIONS, GbttAction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise AnsibleActionFail(f"the gbtt package is not importable ({exc}); run 'make setup'") from exc


class ActionModule(GbttAction):
    ARGUMENT_SPEC = {
        "meeting": {"type": "str", "required": True},
        "phase": {"type": "str", "required": True, "choices": list(meeting_run.PHASES)},
        "records_dir": {"type": "path"},
        **JOB_OPTIONS,
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options()
        if not args["meeting"]:
            raise AnsibleActionFail("name the meeting: -e meeting=<id> (a file <inventory>/meetings/<id>.yml)")
        source = self.inventory_source(args.get("inventory"), task_vars)
        out = meeting_run.run(source, args["meeting"], args["phase"], self.variables_of(task_vars),
                              check=bool(self._task.check_mode),
                              records=Path(args["records_dir"]) if args.get("records_dir") else None,
                              audit_log=Path(args["audit_log"]) if args.get("audit_log") else None,
                              backup_dir=Path(args["backup_dir"]) if args.get("backup_dir") else None,
                              user=os.environ.get("GBTT_USER"), verify_timeout=args["verify_timeout"])
        data = out.as_dict()
        result.update(changed=out.changed, msg=out.message, refused=out.refused, warnings_gbtt=out.warnings,
                      participants=data["participants"], mcus=data["mcus"], cascade=out.cascade, record=out.record)
        self.mcu_diffs(result, out.mcus, f"meeting {args['meeting']}")
        for warning in out.warnings:
            self._display.warning(warning)
        if out.failed:
            result["failed"] = True
        return result
