"""Action plugin ``gbtt_deploy``: bring one device to its intended configuration.

Thin: it collects the host's variables (templated, so vaulted credentials are decrypted) and
calls :func:`gbtt.deploy.deploy`, which renders with the same renderer as ``gbtt render``,
compares, backs up, commits with a revert timer, checks health and confirms or rolls back.
Documentation: ``plugins/modules/gbtt_deploy.py`` (``ansible-doc gbtt_deploy``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ansible.errors import AnsibleActionFail

try:
    from gbtt import deploy as gbtt_deploy
    from gbtt.action import GbttAction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise AnsibleActionFail(f"the gbtt package is not importable ({exc}); run 'make setup'") from exc


class ActionModule(GbttAction):
    #: the options of plugins/modules/gbtt_deploy.py, checked here (types, unknown names): the
    #: playbooks import the roles without their per-host argument-spec task
    ARGUMENT_SPEC = {
        "backup_dir": {"type": "path"},
        "audit_log": {"type": "path"},
        "confirm_timeout": {"type": "int", "default": 300},
        "backup_only": {"type": "bool", "default": False},
    }
    SETTINGS = ("backup_dir", "audit_log", "confirm_timeout")

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.options(task_vars)
        host, variables = self.device_variables(task_vars)
        if args.get("backup_only"):
            if not args.get("backup_dir"):
                raise AnsibleActionFail("backup_only needs backup_dir")
            outcome = gbtt_deploy.backup(host, variables, Path(args["backup_dir"]))
        else:
            outcome = gbtt_deploy.deploy(
                host, variables, check=bool(self._task.check_mode),
                confirm_timeout=args["confirm_timeout"],
                backup_dir=Path(args["backup_dir"]) if args.get("backup_dir") else None,
                audit_log=Path(args["audit_log"]) if args.get("audit_log") else None,
                user=os.environ.get("GBTT_USER"))
        result.update(changed=outcome.changed, msg=outcome.message, checks=outcome.checks,
                      drift=outcome.diff if self._task.check_mode else "")
        if outcome.backup:
            result["backup"] = outcome.backup
        if outcome.restored is not None:
            result["restored"] = outcome.restored
        if self._task.diff and outcome.diff:
            result["diff"] = {"prepared": outcome.diff}
        if outcome.unreachable:
            result["unreachable"] = True
        if outcome.failed:
            result["failed"] = True
        return result
