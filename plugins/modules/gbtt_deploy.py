"""Documentation of the gbtt_deploy action plugin (plugins/action/gbtt_deploy.py)."""

DOCUMENTATION = r"""
module: gbtt_deploy
short_description: Bring a codec, MCU or router to its intended configuration
description:
  - Renders the device's intended configuration from the gbtt registry with the same renderer as
    C(gbtt render HOST) (C(templates/<class>/<platform>.j2)), compares it with the device and, when
    they differ, backs up the running configuration, writes the change, checks the device's health
    and keeps the change, or rolls it back.
  - Codecs (C(cisco_ce)) get only the settings that differ, read back and verified; a refused value
    or a dropped connection restores what was written. MCUs (C(cisco_cms)) get only the objects
    gbtt owns created, updated or deleted. Routers (C(cisco_ios)) get a full configuration replace
    with a revert timer, confirmed only after the health checks pass.
  - In check mode nothing is written; with C(--diff) the difference is shown. Secrets are redacted
    from diffs, messages and the audit log.
  - Runs on the controller (the device connection is the driver's); host key checking and TLS
    verification are always on (C(gbtt_lab) in the lab, C(gbtt_known_hosts_file) and
    C(gbtt_ca_bundle) in production).
options:
  confirm_timeout:
    description: Seconds before a router reverts a change that was not confirmed (rounded to minutes).
    type: int
    default: 300
  backup_dir:
    description: Folder for the backups of the running configuration taken before each change
      (C(<backup_dir>/<host>/<UTC time>.cfg), mode 0600).
    type: path
  audit_log:
    description: JSON-lines file that gets one line per change (who, when, host, hash of the intended
      configuration, diff summary, result).
    type: path
  settings_from:
    description: A variable prefix; each of I(backup_dir), I(audit_log) and I(confirm_timeout) the task
      does not set is read from the variable C(<prefix>_backup_dir), C(<prefix>_audit_log) or
      C(<prefix>_confirm_timeout) (the roles use their own defaults this way, C(settings_from=router)).
      A value is templated once per run for all the hosts whose variables give it the same value
      (Ansible would template the task's arguments, compiling each template again, for every host).
    type: str
  backup_only:
    description: Only save the running configuration into I(backup_dir) (playbooks/backup.yml); nothing
      is compared or written.
    type: bool
    default: false
author: gbtt developers
"""

EXAMPLES = r"""
- name: Deploy the intended configuration
  gbtt_deploy:
    backup_dir: "{{ gbtt_backup_dir }}"
    audit_log: "{{ gbtt_audit_log }}"
    confirm_timeout: 300
"""

RETURN = r"""
msg:
  description: What happened (in sync, changed with a diff summary, or why it failed).
  returned: always
  type: str
backup:
  description: Path of the backup taken before the change.
  returned: when a change was written
  type: str
restored:
  description: After a failure, whether the device is back to its previous configuration.
  returned: when a write failed
  type: bool
drift:
  description: In check mode, the difference between the device and its intended configuration
    (secrets redacted); empty when in sync. playbooks/drift.yml reports it.
  returned: always
  type: str
checks:
  description: Health checks after the change (name, ok, detail).
  returned: always
  type: list
  elements: dict
"""
