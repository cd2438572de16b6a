"""Documentation of the gbtt_meeting action plugin (plugins/action/gbtt_meeting.py)."""

DOCUMENTATION = r"""
module: gbtt_meeting
short_description: Test, connect or end a meeting planned by the regulation (Art. 7, 8, 9)
description:
  - Plans the meeting I(meeting) again from its file (C(<inventory>/meetings/<id>.yml)) and the
    registry - its system and chair endpoint (Art. 5), its participants, the conflicts with the
    other meetings (Art. 4.5) - and refuses, before any device is touched, a meeting that is not
    placed, names participants wrongly or, at scale 4, has no valid DIC approval (Art. 4.2).
  - C(phase=test) and C(phase=connect) build the meeting space C(gbtt-meeting-<id>) on the MCU of
    each system the meeting uses (from C(templates/meetings/<platform>.j2), driver scope
    C(meeting:<id>)), dial every participant codec from it (and, at scale 4, the spokes' spaces
    from the hub's, after the approval gate), mute the participant codecs' microphones (Art. 9.2a;
    the chair room's controller opens the chair's when the meeting opens), move their cameras to the preset of the seating plan (Art. 8.2c),
    and verify every participant in the call on the MCU and on the codec. Endpoints not in the
    call are listed and fail the task; nothing else is touched (Art. 9.2c).
  - C(phase=end) reads who is in the call, ends the calls, removes the meeting space and puts the
    participant codecs in standby.
  - Every phase writes a record (C(<records_dir>/<id>/<time>-<phase>.json); the end's says who
    took part, when, and the faults) and an audit entry. Lead times missed (Art. 7) are warnings.
  - In check mode nothing is written; with C(--diff) each MCU's difference is shown.
options:
  meeting:
    description: Id of the meeting (the file name of C(<inventory>/meetings/<id>.yml)).
    type: str
    required: true
  phase:
    description: C(test) (the test connection), C(connect) (the official connection) or C(end).
    type: str
    required: true
    choices: [test, connect, end]
  inventory:
    description: The gbtt inventory source (default - the one the MCU hosts came from).
    type: path
  records_dir:
    description: Folder of the meeting records.
    type: path
  backup_dir:
    description: Folder for the MCUs' backups taken before each commit.
    type: path
  audit_log:
    description: JSON-lines audit log.
    type: path
  verify_timeout:
    description: Seconds to wait for every participant to be in the call.
    type: float
    default: 20.0
author: gbtt developers
"""

EXAMPLES = r"""
- name: Official connection of the December briefing
  gbtt_meeting:
    meeting: giao-ban-thang-12
    phase: connect
    records_dir: "{{ playbook_dir }}/../.gbtt/records/meetings"
"""

RETURN = r"""
msg:
  description: What happened - how many participants are in the call and which are not, or why the
    meeting was refused.
  returned: always
  type: str
refused:
  description: True when the meeting was refused before any device was touched (not placed, bad
    participants, no valid approval).
  returned: always
  type: bool
participants:
  description: Per participant - endpoint, name, host, system, chair, mcu_leg and codec_call (C(connected)
    or why not), muted, preset, standby, faults.
  returned: always
  type: list
mcus:
  description: Per MCU - host, system, diff, changed, backup.
  returned: always
  type: list
cascade:
  description: At scale 4 - the hub's legs to the spokes' spaces (remote, state, reason).
  returned: always
  type: list
record:
  description: Path of the record written for this phase.
  returned: when not in check mode
  type: str
warnings_gbtt:
  description: Lead times missed (Art. 7) and participants not dialled.
  returned: always
  type: list
"""
