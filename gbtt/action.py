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
