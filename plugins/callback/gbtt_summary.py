"""Callback ``gbtt_summary``: after Ansible's recap, one line per device of the run that did not
simply stay in sync, and the totals, from the results of the ``gbtt_deploy`` tasks.

    GBTT SUMMARY ******************************************************************
    493 devices: 480 in sync, 10 changed, 2 failed (restored), 1 failed (NOT restored), 0 unreachable
    failed   dong-van-lung-cu-codec   restored   connection lost writing line 12 (…)
    failed   meo-vac-ubnd-router      NOT restored  rollback refused: …  ← check this device

A device in a failed line is either back on its previous configuration ("restored") or needs a
person ("NOT restored"); nothing else.  With ``GBTT_SUMMARY_JSON=<path>`` the same is written as
JSON (``{"totals": {...}, "hosts": [{"host", "state", "restored", "message"}]}``) for scripts
and schedulers.  Messages are the action plugin's, already free of secrets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: gbtt_summary
type: aggregate
short_description: one line per device changed, failed or unreachable by gbtt_deploy, and totals
description:
  - After the play recap, lists every device whose C(gbtt_deploy) task changed it, failed
    (saying whether the device was restored to its previous configuration) or could not be
    reached, and the totals of the run.
  - Enabled in the project's ansible.cfg (C(callbacks_enabled)).
options:
  json_path:
    description: Also write the summary as JSON to this file.
    env:
      - name: GBTT_SUMMARY_JSON
    type: path
"""

ACTIONS = frozenset({"gbtt_deploy"})
STATES = ("in sync", "changed", "would change", "failed", "unreachable")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gbtt_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._hosts: dict[str, dict] = {}

    def _record(self, result, state: str | None = None) -> None:
        task = result._task
        if task.action.rsplit(".", 1)[-1] not in ACTIONS or task.args.get("backup_only"):
            return
        res = result._result
        host = result._host.get_name()
        if state is None:
            if res.get("failed"):
                state = "failed"
            elif res.get("changed"):
                state = "would change" if task.check_mode else "changed"
            else:
                state = "in sync"
        self._hosts[host] = {"host": host, "state": state, "restored": res.get("restored"),
                             "message": str(res.get("msg", "")).splitlines()[0][:300]
                             if res.get("msg") else ""}

    def v2_runner_on_ok(self, result) -> None:
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result) -> None:
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats) -> None:
        if not self._hosts:
            return
        hosts = sorted(self._hosts.values(), key=lambda h: (STATES.index(h["state"]), h["host"]))
        totals = {state: sum(1 for h in hosts if h["state"] == state) for state in STATES}
        not_restored = sum(1 for h in hosts if h["state"] == "failed" and h["restored"] is False)
        parts = [f"{n} {state}" for state, n in totals.items() if n or state in ("in sync", "failed")]
        line = f"{len(hosts)} device{'s' if len(hosts) != 1 else ''}: " + ", ".join(parts)
        if not_restored:
            line += f" ({not_restored} NOT restored: check them)"
        self._display.banner("GBTT SUMMARY")
        self._display.display(line)
        width = max(len(h["host"]) for h in hosts)
        for h in hosts:
            if h["state"] == "in sync":
                continue
            note = {True: "restored", False: "NOT restored"}.get(h["restored"], "")
            color = {"changed": "yellow", "would change": "yellow", "failed": "red",
                     "unreachable": "red"}[h["state"]]
            self._display.display(f"{h['state']:<12} {h['host']:<{width}}  {note:<12} {h['message']}",
                                  color=color)
        path = self.get_option("json_path") if self._plugin_options else os.environ.get("GBTT_SUMMARY_JSON")
        if path:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps({"totals": {**totals, "not_restored": not_restored},
                                          "hosts": hosts}, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
