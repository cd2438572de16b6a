"""What gbtt's Ansible action plugins share (plugins/action/gbtt_*.py): they run on the
controller only, check their options against their ``ARGUMENT_SPEC`` (the module doc stub's
options), and read a device's variables the way :func:`gbtt.deploy.task_variables` wants them.

Importing this loads the drivers and compiles the device templates (:func:`gbtt.deploy.preload_drivers`):
Ansible imports an action plugin in its main process before it forks a worker per host, so each
worker inherits them instead of importing NAPALM and netmiko on its own (~1 s).
"""

from __future__ import annotations

import re
import threading

import jinja2
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from jinja2 import meta

from gbtt import deploy

deploy.preload_drivers()


#: the options every job that reaches several devices from the controller takes (interconnect, meeting)
JOB_OPTIONS = {
    "inventory": {"type": "path"},
    "backup_dir": {"type": "path"},
    "audit_log": {"type": "path"},
    "verify_timeout": {"type": "float", "default": 20.0},
}


#: calls whose value may differ between two calls with the same variables
_IMPURE = re.compile(r"\b(lookup|query|q|now|random|shuffle|uuid|pipe)\b")
_PLAIN = (bool, int, float, type(None))
try:  # ansible-core >= 2.19: a vaulted value is one object shared by every host that has it
    from ansible.parsing.vault import EncryptedString as _Vaulted
except ImportError:  # pragma: no cover - older ansible-core
    _Vaulted = ()


class _Memo:
    """Values templated once per run and reused for every host whose variables give the same
    value: a template's value depends only on the variables it names (recursively, through
    their own templates).  Ansible compiles a template afresh each time it templates it; per host
    and option that was ~12 % of a deploy's controller CPU (bench/README.md, "Scale")."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset | None] = {}
        self._values: dict[tuple, object] = {}
        self._kept: dict[int, object] = {}
        self._env = jinja2.Environment()
        self._lock = threading.Lock()

    def _referenced(self, text: str) -> frozenset | None:
        if text not in self._names:
            names: frozenset | None
            try:
                names = frozenset(meta.find_undeclared_variables(self._env.parse(str(text))))
            except jinja2.TemplateError:
                names = None
            if names is not None and _IMPURE.search(text):
                names = None
            with self._lock:
                self._names[text] = names
        return self._names[text]

    def key(self, value: object, task_vars: dict, depth: int = 0) -> tuple | None:
        """What the value of ``value`` depends on, or None when that cannot be told (complex or
        vaulted values, calls that may differ between calls)."""
        if isinstance(value, _PLAIN):
            return (type(value).__name__, value)
        if _Vaulted and isinstance(value, _Vaulted):
            # the same ciphertext object decrypts to the same text; kept alive with the memo so
            # that its id is not reused
            with self._lock:
                self._kept[id(value)] = value
            return ("vault", id(value))
        if not isinstance(value, str) or depth > 8:
            return None
        if "{{" not in value and "{%" not in value:
            return ("s", str(value))
        names = self._referenced(value)
        if names is None:
            return None
        parts: list = [("t", str(value))]
        for name in sorted(names):
            if name not in task_vars:
                parts.append((name, None))
                continue
            part = self.key(task_vars[name], task_vars, depth + 1)
            if part is None:
                return None
            parts.append((name, part))
        return tuple(parts)

    def template(self, value: object, task_vars: dict, template) -> object:
        key = self.key(value, task_vars)
        if key is None:
            return template(value)
        try:
            return self._values[key]
        except KeyError:
            result = template(value)
            if isinstance(result, (*_PLAIN, str)):
                with self._lock:
                    self._values[key] = result
            return result


_MEMO = _Memo()
_VALIDATED: dict[tuple, dict] = {}


class GbttAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    #: the options of the plugin's doc stub (plugins/modules/<name>.py), checked on every run
    ARGUMENT_SPEC: dict = {}
    #: options that may come from the variables ``<settings_from>_<option>`` instead of the task
    SETTINGS: tuple[str, ...] = ()

    def options(self, task_vars: dict | None = None) -> dict:
        """The task's options, checked against ARGUMENT_SPEC.  With ``settings_from: PREFIX``,
        each of SETTINGS the task does not set comes from the variable ``PREFIX_<option>`` (a
        role's defaults), templated once per run for all hosts that give it the same value."""
        args = dict(self._task.args)
        # a plugin without SETTINGS keeps it among its arguments: refused as unsupported below
        prefix = args.pop("settings_from", None) if self.SETTINGS else None
        if prefix is not None:
            if not isinstance(prefix, str) or not prefix.isidentifier():
                raise AnsibleActionFail(f"settings_from: a variable prefix such as 'router', got {prefix!r}")
            for name in self.SETTINGS:
                if name not in args and f"{prefix}_{name}" in (task_vars or {}):
                    args[name] = _MEMO.template(task_vars[f"{prefix}_{name}"], task_vars, self._templar.template)
        try:
            key = (type(self).__module__, tuple(sorted(args.items())))
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in _VALIDATED:
            return dict(_VALIDATED[key])
        result = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(args)
        try:
            error = result.errors[0]
        except IndexError:
            error = None
        if error is not None:
            msg = result.errors.msg
            if isinstance(error, UnsupportedError):
                msg = f"Unsupported parameters for ({self._load_name}) module: {msg}"
            raise AnsibleActionFail(msg, obj=self._task.args)
        checked = {**args, **result.validated_parameters}
        if key is not None:
            _VALIDATED[key] = dict(checked)
        return checked

    def device_variables(self, task_vars: dict) -> tuple[str, dict]:
        """This host's name and variables (templated: vaulted credentials decrypted)."""
        host = task_vars["inventory_hostname"]
        variables = deploy.task_variables(task_vars, self._template_for(task_vars))
        if "gbtt_platform" not in variables:
            raise AnsibleActionFail(f"{host} is not a gbtt device (no gbtt_platform): use the gbtt inventory")
        return host, variables

    def _template_for(self, task_vars: dict):
        """Ansible's templar, through the per-run memo (the credentials of a class are one
        template, or one vaulted value, for all its hosts)."""
        return lambda value: _MEMO.template(value, task_vars, self._templar.template)

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

