"""Documentation of the gbtt_drift_report action plugin (plugins/action/gbtt_drift_report.py)."""

DOCUMENTATION = r"""
module: gbtt_drift_report
short_description: Report which devices differ from their intended configuration
description:
  - Gathers the check-mode results that C(gbtt_deploy) registered on each host and writes a drift
    report as JSON and Markdown. Art. 3.3 of the regulation forbids unauthorised changes; with
    C(fail_on_drift) the task fails when any device differs, failed or was unreachable.
options:
  hosts:
    description: The hosts to report on (usually every codec, MCU and router).
    type: list
    elements: str
    required: true
  result_var:
    description: The variable each host registered its check-mode result in.
    type: str
    default: gbtt_drift
  json:
    description: Where to write the JSON report.
    type: path
  markdown:
    description: Where to write the Markdown report.
    type: path
  history:
    description: Folder that keeps every report, as C(<time>.json) (the six-monthly report reads the
      drift found in its period from it).
    type: path
  interconnects:
    description: The C(interconnects) returned by C(gbtt_interconnect) with C(state=report); an
      interconnect that is up without a valid approval (expired, revoked, configuration changed),
      or whose approval expires within 7 days, is a finding of the report.
    type: list
    elements: dict
  fail_on_drift:
    description: Fail when any device drifted, failed or was unreachable, or an interconnect has a finding.
    type: bool
    default: false
author: gbtt developers
"""

EXAMPLES = r"""
- name: Write the drift report
  gbtt_drift_report:
    hosts: "{{ groups['codecs'] + groups['mcus'] + groups['routers'] }}"
    json: drift.json
    markdown: drift.md
    fail_on_drift: true
"""

RETURN = r"""
counts:
  description: Devices per state (in sync, drift, failed, unreachable, skipped).
  returned: always
  type: dict
"""
