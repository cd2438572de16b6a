"""Strategy ``gbtt``: Ansible's ``linear`` strategy, except that a task whose action is one of
gbtt's device actions runs on a thread of the controller process instead of in a forked
worker process.

Why: a gbtt device task is an action plugin that does all of its work on the controller, in
Python, through the gbtt drivers (it never transfers a module, never opens an Ansible
connection).  Ansible forks a worker process per host and task; on this project's
inventory the fork, the copy-on-write faults that follow it and the per-process start cost
~50 ms of controller CPU per device, more than the device work itself (bench/README.md).  On a
thread the same TaskExecutor runs the same action with the same task variables, and its result
goes back through the same result queue, so callbacks, the recap, ``register``,
``failed_when``, ``--check`` and ``--diff`` behave as with ``linear``.  Up to ``forks`` devices
are worked on at once, as before: the threads take the workers' slots.

Every other task (``debug``, ``assert``, modules, anything delegated or looping) is queued
exactly as ``linear`` does it, in a forked worker.  Threaded: the actions in
:data:`THREADED_ACTIONS`, when the task has no ``loop``/``with_*`` and no ``delegate_to``.

Selected with ``strategy = gbtt`` in ansible.cfg (the project's default) or ``strategy: gbtt``
on a play; ``strategy: linear`` on a play, or ``ANSIBLE_STRATEGY=linear``, turns it off.
"""

from __future__ import annotations

import threading

from ansible._internal import _task
from ansible._internal._errors import _error_utils
from ansible.errors import AnsibleError
from ansible.executor.task_executor import TaskExecutor
from ansible.executor.task_result import _RawTaskResult
from ansible.plugins import strategy as strategy_base
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule
from ansible.utils.display import Display
from ansible.template import Templar

DOCUMENTATION = r"""
name: gbtt
short_description: linear, with gbtt's device actions on controller threads instead of forked workers
description:
  - Ansible's C(linear) strategy: each task runs on every host before the next task starts.
  - Tasks whose action is one of gbtt's device actions (C(gbtt_deploy), C(gbtt_maintenance)), without loop or
    delegation, run on threads of the controller process, at most C(forks) at a time, instead of
    in one forked worker process per host; results, callbacks and the recap are the same.
  - Every other task is run as C(linear) runs it.
author: gbtt developers
"""

display = Display()

#: the actions that may run on a controller thread: action plugins of this project that work
#: only on the controller, keep no state between runs and never prompt
THREADED_ACTIONS = frozenset({"gbtt_deploy", "gbtt_maintenance"})


def _threadable(task) -> bool:
    action = (task.action or "").rsplit(".", 1)[-1]
    return (action in THREADED_ACTIONS and not task.loop and not task.loop_with
            and not task.delegate_to)


#: (task uuid, id of its parent) -> (the parent, the copy of it the threads of that task share,
#: or None when each needs its own)
_SHARED_PARENTS: dict[tuple, tuple] = {}


def _templated(value) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_templated(v) for v in value)
    if isinstance(value, dict):
        return any(_templated(k) or _templated(v) for k, v in value.items())
    return False


def _static_chain(obj) -> bool:
    """No attribute of ``obj`` or of its parents is a template: post-validating them gives the
    same values for every host."""
    while obj is not None:
        for name in obj.fattributes:
            if _templated(getattr(obj, f"_{name}", None)):
                return False
        obj = getattr(obj, "_parent", None)
    return True


def _own_copy(task):
    """The task for one host's thread.  Its parents (the role's block, the play's blocks) are
    copied once per task and shared by the threads when none of their attributes is a template
    (the executor only reads them then; copying them for every host was ~6 % of a deploy's
    controller CPU); otherwise each thread gets its own copy, as a forked worker would."""
    parent = task._parent
    if parent is None:
        return task.copy()
    key = (task._uuid, id(parent))
    if key not in _SHARED_PARENTS:   # the original is kept with its copy: its id stays its own
        _SHARED_PARENTS[key] = (parent, parent.copy(exclude_tasks=True) if _static_chain(parent) else None)
    if _SHARED_PARENTS[key][1] is None:
        return task.copy()
    own = task.copy(exclude_parent=True)
    own._parent = _SHARED_PARENTS[key][1]
    return own


class ThreadWorker:
    """What the strategy keeps in a worker slot (``start``, ``is_alive``, ``close``), running a
    TaskExecutor on a thread: the constructor takes WorkerProcess's arguments."""

    def __init__(self, *, final_q, task_vars, host, task, play_context, loader, variable_manager,
                 shared_loader_obj, worker_id, cliargs):
        self._final_q = final_q
        self._task_vars = task_vars
        self._host = host
        # a worker process works on its own copy of the task (TaskExecutor post-validates it in
        # place); a thread needs one of its own, the same object is queued for every host
        self._task = _own_copy(task)
        self._play_context = play_context
        self._loader = loader
        self._variable_manager = variable_manager
        self._shared_loader_obj = shared_loader_obj
        self.worker_id = worker_id
        self._thread = threading.Thread(target=self._run, name=f"gbtt-{host.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Nothing to release (a process slot would close its pipes here)."""

    def _run(self) -> None:
        task = self._task
        try:
            with _task.TaskContext(task):
                result = TaskExecutor(self._host, task, self._task_vars, self._play_context, self._loader,
                                      self._shared_loader_obj, self._final_q, self._variable_manager).run()
        except BaseException as ex:  # noqa: BLE001 - reported as the host's result, like a worker's
            try:
                raise AnsibleError(f"gbtt strategy: the task failed on its thread: {ex}") from ex
            except AnsibleError as wrapped:
                result = _error_utils.result_dict_from_exception(wrapped)
        self._final_q.send_task_result(_RawTaskResult(host=self._host, task=task, return_data=result,
                                                      task_fields=task.dump_attrs()))


class StrategyModule(LinearStrategyModule):
    _warmed: set = set()

    def _warm_up(self, task, task_vars) -> None:
        """Template the task's arguments once on the main thread before its first thread starts:
        Ansible loads filter and test plugins (``default``, ``omit``…) on first use, and two
        threads importing the same plugin module at once see it half-initialised ("has no
        attribute 'FilterModule'", an undefined variable where ``default`` should have applied)."""
        if task._uuid in self._warmed:
            return
        self._warmed.add(task._uuid)
        try:
            Templar(loader=self._loader, variables=task_vars).template(task.args)
        except Exception:  # noqa: BLE001 - only a warm-up: the task itself reports any error
            pass

    def _queue_task(self, host, task, task_vars, play_context):
        if not _threadable(task):
            return super()._queue_task(host, task, task_vars, play_context)
        self._warm_up(task, task_vars)
        # the base class's slot logic, with a thread in the slot instead of a process
        process_class = strategy_base.WorkerProcess
        strategy_base.WorkerProcess = ThreadWorker
        try:
            return super()._queue_task(host, task, task_vars, play_context)
        finally:
            strategy_base.WorkerProcess = process_class
