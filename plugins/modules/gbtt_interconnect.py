"""Documentation of the gbtt_interconnect action plugin (plugins/action/gbtt_interconnect.py)."""

DOCUMENTATION = r"""
module: gbtt_interconnect
short_description: Cascade the MCUs of two or more systems, only with a valid DIC approval (Art. 4.2)
description:
  - Builds (C(state=present)) the interconnect of the registry named I(interconnect) - a coSpace
    C(gbtt-link-<id>) on every MCU of the link, outbound dial plan rules on the hub's MCU, then a
    cascade call from the hub to each spoke - verifies that every cascade call is connected on
    both MCUs, and writes the audit log. Rendered from C(templates/interconnect/<platform>.j2).
  - Before any device is touched, again right before each MCU's commit and before the cascade
    call, an approval gate reads the inventory afresh and requires an approval of the registry
    naming this interconnect, signed (C(ssh-keygen -Y sign)) by a key of C(trust/allowed_signers)
    for the approving authority, inside its validity window (with the province's clock-skew
    allowance), covering exactly the link's systems, not revoked, and bound to the hash of the
    configuration about to be pushed. Otherwise the task fails, in Vietnamese and English, citing
    Art. 4.2, with no write to any MCU; the refusal is audited. No variable can stand in for it.
  - C(state=absent) ends the cascade calls and removes the link's objects (no approval needed).
  - C(state=report) changes nothing and returns, per interconnect, whether it is up and whether
    its approval still allows it (used by playbooks/drift.yml).
  - In check mode nothing is written; with C(--diff) each MCU's difference is shown.
  - If a commit or the cascade call fails, the MCUs already changed are rolled back and the
    result says whether they are restored.
options:
  interconnect:
    description: Id of the interconnect (registry section C(interconnects)). Required unless
      I(state=report).
    type: str
  state:
    description: C(present) builds it, C(absent) tears it down, C(report) only reports every interconnect.
    type: str
    default: present
    choices: [present, absent, report]
  approval:
    description: Id of the one approval to consider (default - every approval naming the
      interconnect). Flags such as C(yes) or C(true) are refused.
    type: raw
  inventory:
    description: The gbtt inventory source (default - the one the MCU hosts came from).
    type: path
  backup_dir:
    description: Folder for the MCUs' backups taken before each commit.
    type: path
  audit_log:
    description: JSON-lines audit log; gets every gate decision and every change.
    type: path
  verify_timeout:
    description: Seconds to wait for the cascade calls to be connected on both MCUs.
    type: float
    default: 20.0
author: gbtt developers
"""

EXAMPLES = r"""
- name: Interconnect the province with Vi Xuyen
  gbtt_interconnect:
    interconnect: tinh-vi-xuyen
    state: present
    audit_log: "{{ playbook_dir }}/../.gbtt/audit.log"
"""

RETURN = r"""
msg:
  description: What happened; for a refusal, the reasons in Vietnamese and English.
  returned: always
  type: str
refused:
  description: True when the approval gate refused the link.
  returned: always
  type: bool
approval:
  description: Id of the approval that allowed the link.
  returned: when allowed
  type: str
config_sha256:
  description: Hash of the rendered interconnect configuration (what an approval must name).
  returned: when the registry could be rendered
  type: str
mcus:
  description: Per MCU - host, role, diff, changed, failed, restored, backup.
  returned: always
  type: list
legs:
  description: Per cascade call - from, to, remote, the state of the leg on the hub and on the spoke.
  returned: always
  type: list
interconnects:
  description: With state=report - per interconnect, whether it is up, its approval and any finding.
  returned: state=report
  type: list
"""
