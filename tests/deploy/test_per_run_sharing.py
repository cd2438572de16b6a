"""What a run shares between hosts to spend less controller CPU per device, and where it must not:
the action plugins' memo (gbtt/action.py: a value templated once for all the hosts whose variables
give it the same value, never for hosts whose differ) and the gbtt strategy's task copies (the
parents of a task shared by its threads only when none of their attributes is a template)."""

from __future__ import annotations

import importlib.util

from ansible.playbook.block import Block
from ansible.playbook.task import Task

from conftest import ROOT
from gbtt.action import _Memo


def strategy_module():
    spec = importlib.util.spec_from_file_location("gbtt_strategy_under_test", ROOT / "plugins" / "strategy" / "gbtt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self, value, variables):
        self.calls += 1
        return value.replace("{{ inventory_hostname }}", variables["inventory_hostname"]).replace(
            "{{ base }}", variables.get("base", ""))


def template(memo: _Memo, value, variables, counting: Counting):
    return memo.template(value, variables, lambda v: counting(v, variables))


def test_a_value_shared_by_all_hosts_is_templated_once():
    memo, counting = _Memo(), Counting()
    for host in ("a", "b", "c"):
        assert template(memo, "{{ base }}/backups", {"inventory_hostname": host, "base": "/srv"}, counting) == "/srv/backups"
    assert counting.calls == 1


def test_a_value_naming_the_host_is_templated_for_each_host():
    memo, counting = _Memo(), Counting()
    got = [template(memo, "/x/{{ inventory_hostname }}", {"inventory_hostname": h}, counting) for h in ("a", "b", "a")]
    assert got == ["/x/a", "/x/b", "/x/a"] and counting.calls == 2


def test_variables_are_followed_through_their_own_templates():
    memo = _Memo()
    a = {"inventory_hostname": "a", "dir": "{{ inventory_hostname }}/d", "v": "{{ dir }}"}
    b = {**a, "inventory_hostname": "b"}
    assert memo.key("{{ v }}", a) != memo.key("{{ v }}", b)
    assert memo.key("{{ v }}", a) == memo.key("{{ v }}", dict(a))


def test_values_that_may_differ_between_calls_are_never_memoised():
    memo = _Memo()
    variables = {"inventory_hostname": "a"}
    for text in ("{{ lookup('env', 'HOME') }}", "{{ now() }}", "{{ query('x') }}", "{{ 100 | random }}", "{{ x"):
        assert memo.key(text, variables) is None, text
    assert memo.key("{{ hostvars }}", {"hostvars": {"a": {}}}) is None     # a mapping: not told apart


def test_an_undefined_variable_and_a_defined_one_differ():
    memo = _Memo()
    assert memo.key("{{ x | default('d') }}", {}) != memo.key("{{ x | default('d') }}", {"x": "set"})


def test_the_threads_of_a_task_share_its_parents_when_they_are_static():
    strategy = strategy_module()
    task = Task(block=Block())
    task.name = "deploy"
    one, two = strategy._own_copy(task), strategy._own_copy(task)
    assert one is not two and one is not task
    assert one._parent is two._parent and one._parent is not task._parent


def test_a_parent_with_a_template_is_copied_for_each_thread():
    strategy = strategy_module()
    block = Block()
    block.become_user = "{{ inventory_hostname }}"
    task = Task(block=block)
    one, two = strategy._own_copy(task), strategy._own_copy(task)
    assert one._parent is not two._parent
    assert one._parent.become_user == "{{ inventory_hostname }}"
