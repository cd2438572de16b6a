"""What gbtt's Ansible action plugins share (plugins/action/gbtt_*.py): they run on the
controller only, check their options against their ``ARGUMENT_SPEC`` (the module doc stub's
options), and read a device's variables the way :func:`gbtt.deploy.task_variables` wants them.

Importing this loads the drivers and compiles the device templates (:func:`gbtt.deploy.preload_drivers`):
Ansible imports an action plugin in its main process before it forks a worker per host, so each
worker inherits them instead of importing NAPALM and netmiko on its own (~1 s).
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from gbtt import deploy

deploy.preload_drivers()


#: the options every job that reaches several devices from the controller takes (interconnect, meeting)
JOB_OPTIONS = {
    "inventory": {"type": "path"},
    "backup_dir": {"type": "path"},
    "audit_log": {"type": "path"},
    "verify_timeout": {"type": "float", "default": 20.0},
}


class GbttAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    #: the options of the plugin's doc stub (plugins/modules/<name>.py), checked on every run
    ARGUMENT_SPEC: dict = {}

    def options(self) -> dict:
        _, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return args

    def device_variables(self, task_vars: dict) -> tuple[str, dict]:
        """This host's name and variables (templated: vaulted credentials decrypted)."""
        host = task_vars["inventory_hostname"]
        variables = deploy.task_variables(task_vars, self._templar.template)
        if "gbtt_platform" not in variables:
            raise AnsibleActionFail(f"{host} is not a gbtt device (no gbtt_platform): use the gbtt inventory")
        return host, variables

    def inventory_source(self, path: str | None, task_vars: dict):
        """The gbtt inventory source of this run: ``path`` when given, else the one the MCU hosts
        came from (the jobs read it afresh, not Ansible's copy)."""
        from gbtt import registry
        if not path:
            for host in task_vars.get("groups", {}).get("mcus", []):
                path = task_vars["hostvars"][host].get("inventory_file")
                if path:
                    break
        if not path:
            raise AnsibleActionFail("no gbtt inventory in this run (no host in group 'mcus'): use -i inventory/<name>")
        try:
            return registry._single(registry.find_sources(path), path)
        except registry.SourceError as exc:
            raise AnsibleActionFail(str(exc)) from None

    def variables_of(self, task_vars: dict):
        """``variables_of(host)`` for the jobs that reach several devices from the controller."""
        hostvars = task_vars["hostvars"]

        def variables_of(host: str) -> dict:
            if host not in hostvars:
                raise AnsibleActionFail(f"{host} is not in the inventory of this run")
            return deploy.task_variables(hostvars[host], self._templar.template)
        return variables_of

    def mcu_diffs(self, result: dict, steps, what: str) -> None:
        """With ``--diff``, each MCU's difference (``steps``: objects with ``host`` and ``diff``)."""
        if self._task.diff:
            diffs = [{"before_header": f"{s.host} (running)", "after_header": f"{s.host} ({what})", "prepared": s.diff}
                     for s in steps if s.diff]
            if diffs:
                result["diff"] = diffs

