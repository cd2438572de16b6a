"""Documentation of the gbtt_maintenance action plugin (plugins/action/gbtt_maintenance.py)."""

DOCUMENTATION = r"""
module: gbtt_maintenance
short_description: Run the annual maintenance checks on one codec, MCU or router (Art. 12.4)
description:
  - Runs every check of C(checks/*.yml) that applies to the device's class and platform over one
    session of its driver (read-only queries; nothing is changed) and returns, per check, the
    status (pass, warn, fail, error, not-run, n/a), the measured value and the evidence.
  - A device that cannot be reached or refuses the login fails the C(reachable) check and its other
    checks are C(not-run); the task itself does not fail, so the run goes on and the device is
    recorded. Checks that need no login (an MCU's certificate expiry) still run.
  - With I(records_dir), the previous record of the device's system is read so that checks can
    compare (a reboot since the last maintenance).
  - Secrets are redacted from values and evidence.
options:
  records_dir:
    description: Folder of the maintenance records (read only here).
    type: path
  checks_dir:
    description: Folder of the check files (default - the project's C(checks/)).
    type: path
author: gbtt developers
"""

EXAMPLES = r"""
- name: Run the maintenance checks
  gbtt_maintenance:
    records_dir: "{{ playbook_dir }}/../.gbtt/records/maintenance"
  register: gbtt_maintenance
"""

RETURN = r"""
maintenance:
  description: The device's results - host, device_class, platform, system, endpoint, reachable, and
    results (check, status, severity, value, evidence).
  returned: always
  type: dict
reachable:
  description: Whether the device answered and accepted the login.
  returned: always
  type: bool
msg:
  description: Counts of passed, warned and failed checks.
  returned: always
  type: str
"""
