"""Action plugin ``gbtt_drift_report``: gather the check-mode results of playbooks/drift.yml
into a JSON and a Markdown report (logic: :mod:`gbtt.drift`).  Doc: plugins/modules/gbtt_drift_report.py."""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from gbtt import drift


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("hosts", "result_var", "json", "markdown", "fail_on_drift", "interconnects", "history"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        unknown = set(args) - self._VALID_ARGS
        if unknown:
            raise AnsibleActionFail(f"unknown option(s) {', '.join(sorted(unknown))}")
        hostvars = task_vars["hostvars"]
        name = args.get("result_var", "gbtt_drift")
        results = {}
        for host in args.get("hosts") or []:
            vars_ = hostvars[host]
            if name in vars_:  # hosts outside the compare play (--limit) have no result: not reported
                results[host] = self._templar.template(vars_[name])
        doc = drift.report(results, interconnects=self._templar.template(args.get("interconnects") or []))
        drift.write(doc, Path(args["json"]) if args.get("json") else None,
                    Path(args["markdown"]) if args.get("markdown") else None,
                    Path(args["history"]) if args.get("history") else None)
        drifted = doc["counts"].get("drift", 0)
        result.update(changed=False, counts=doc["counts"],
                      msg=", ".join(f"{n} {state}" for state, n in sorted(doc["counts"].items())))
        if args.get("fail_on_drift") and (drifted or doc["counts"].get("failed") or doc["counts"].get("unreachable")
                                          or doc["counts"].get("interconnect finding")):
            result["failed"] = True
            result["msg"] = f"drift found (Art. 3.3: no unauthorised changes): {result['msg']}"
        return result
