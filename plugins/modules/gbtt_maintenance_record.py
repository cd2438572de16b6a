"""Documentation of the gbtt_maintenance_record action plugin (plugins/action/gbtt_maintenance_record.py)."""

DOCUMENTATION = r"""
module: gbtt_maintenance_record
short_description: Write the maintenance records and the Vietnamese reports of a run
description:
  - Gathers the results C(gbtt_maintenance) registered on each host and writes, per system, one
    record C(<records_dir>/<system>/<UTC time>.json) - who, when, per device per check the result,
    value and evidence, the operator's confirmations - created exclusively (never overwritten) and
    chained to the previous record by its SHA-256.
  - Operator checklist items (C(checks/operator-*.yml)) count only when I(operator) gives a person's
    name (C(confirmed_by)) and an answer; otherwise they are recorded C(unconfirmed), never passed.
  - A record is complete when every device of the system was reached and every operator item
    confirmed; C(gbtt maintenance due) counts complete records only.
  - With I(reports_dir), writes C(<reports_dir>/<UTC time>/<system>.html), C(.md), C(.csv) and an
    C(index.html), in Vietnamese - failed checks first with the fix, then every device and check, and
    the comparison with the previous record.
options:
  hosts:
    description: The hosts of the run (usually C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  result_var:
    description: The variable each host registered its C(gbtt_maintenance) result in.
    type: str
    default: gbtt_maintenance
  records_dir:
    description: Folder of the records (one sub-folder per system).
    type: path
    required: true
  reports_dir:
    description: Folder for the reports (one sub-folder per run).
    type: path
  operator:
    description: The operator's confirmations - C(confirmed_by) (a name) and C(items), per endpoint id
      or C("*") for all, per operator check id, C(pass), C(fail) or C(n/a) (or a mapping with
      C(status) and C(note)).
    type: dict
    default: {}
  checks_dir:
    description: Folder of the check files (default - the project's C(checks/)).
    type: path
  fail_on_findings:
    description: Fail when any check failed or a system was not completely maintained.
    type: bool
    default: false
author: gbtt developers
"""

EXAMPLES = r"""
- name: Write the records and reports
  gbtt_maintenance_record:
    hosts: "{{ ansible_play_hosts_all }}"
    records_dir: "{{ playbook_dir }}/../.gbtt/records/maintenance"
    reports_dir: "{{ playbook_dir }}/../.gbtt/reports/maintenance"
    operator: "{{ gbtt_operator_checks | default({}) }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
records:
  description: The record files written, one per system.
  returned: always
  type: list
reports:
  description: The folder of this run's reports.
  returned: when reports_dir is given
  type: str
findings:
  description: How many checks failed (fail, error, not-run, unconfirmed).
  returned: always
  type: int
incomplete:
  description: The systems whose record is not complete.
  returned: always
  type: list
"""
