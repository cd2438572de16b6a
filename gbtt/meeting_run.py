"""The meeting job (``playbooks/meeting.yml``): test, connect and end a planned meeting.

* ``test`` and ``connect`` (Art. 7.1–7.3, 8.2, 9.2): the plan is made again from the meeting
  file and the registry (a meeting that lost its system, or whose approval is not valid, is
  refused before any device is touched). On the MCU of each system the meeting uses, its space
  ``gbtt-meeting-<id>`` is built (driver scope ``meeting:<id>``) and dials every participant
  codec; an interconnected meeting (scale 4) passes the approval gate before any dial-out and
  its hub's space dials the spokes' spaces. On each participant codec the microphones are muted
  (Art. 9.2a: on only when the chair gives the floor; the chair room's controller opens the
  chair's when the meeting opens) and the camera goes to the preset of the seating
  plan (Art. 8.2c). Then every participant is verified in the call, on the MCU and on the
  codec, and those that are not are reported. Only the participants are touched (Art. 9.2c).
* ``end``: who is in the call is read, the calls end, the spaces are removed, the participant
  codecs go to standby, and the meeting is recorded for the six-monthly report.

Every phase writes a record, ``<records>/<meeting id>/<time>-<phase>.json``, and an audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gbtt import interconnect as ic
from gbtt import meetings as mt
from gbtt import model as m
from gbtt import registry as reg_mod
from gbtt import render
from gbtt.deploy import _audit, _write_backup
from gbtt.drivers.base import ConfigError, Driver, DriverError
from gbtt.sessions import Sessions

PHASES = ("test", "connect", "end")


class MeetingRunError(Exception):
    """The job cannot start (bad arguments)."""


def space(meeting_id: str) -> str:
    return f"gbtt-meeting-{meeting_id}"


@dataclass
class Participant:
    endpoint: str
    name: str
    host: str
    system: str
    chair: bool = False
    mcu_leg: str = "none"          # "connected", or why not
    codec_call: str = "none"       # "connected", or what the codec says
    muted: bool | None = None
    preset: str | None = None
    standby: str | None = None
    faults: list[str] = field(default_factory=list)

    @property
    def in_call(self) -> bool:
        return self.mcu_leg == "connected" and self.codec_call == "connected"


@dataclass
class McuStep:
    host: str
    system: str
    diff: str = ""
    changed: bool = False
    backup: str | None = None
    message: str = ""


@dataclass
class Result:
    meeting: str
    phase: str
    changed: bool = False
    failed: bool = False
    refused: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    mcus: list[McuStep] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    cascade: list[dict] = field(default_factory=list)
    record: str | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Job(Sessions):
    def __init__(self, source: reg_mod.Source, plan: mt.Plan, reg: m.Registry, phase: str,
                 variables_of: Callable[[str], dict], *, check: bool, audit_log: Path | None,
                 backup_dir: Path | None, user: str | None, verify_timeout: float):
        super().__init__(variables_of)
        self.source, self.plan, self.reg, self.phase = source, plan, reg, phase
        self.check = check
        self.audit_log, self.backup_dir, self.verify_timeout = audit_log, backup_dir, verify_timeout
        self.user = user or getpass.getuser()
        self.space = space(plan.meeting.id)

    def audit(self, event: str, **fields) -> None:
        _audit(self.audit_log, {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                "who": self.user, "event": event, "meeting": self.plan.meeting.id,
                                "systems": [s.id for s in self.plan.systems], "phase": self.phase,
                                "check": self.check, **fields})

    def driver(self, dev: m.Device, scope: str | None = None) -> Driver:
        """The open driver of ``dev``: an MCU in the meeting's scope, a codec."""
        return super().driver(dev, f"meeting:{self.plan.meeting.id}" if dev.device_class == "mcu" else scope)

    def mcus(self) -> list[m.System]:
        """The systems of the meeting, spokes first and the hub last (the order of commits)."""
        hub = self.plan.system
        return [s for s in self.plan.systems if s.id != hub.id] + [hub]


def render_space(reg: m.Registry, plan: mt.Plan, system: m.System, state: str = "present") -> str:
    """The meeting's objects on the MCU of ``system`` (``absent``: the document that removes them)."""
    view = {"id": plan.meeting.id, "clause": plan.clause, "space": space(plan.meeting.id), "title": plan.meeting.title}
    template = render.environment().get_template(f"meetings/{system.mcu.platform}.j2")
    return template.render(meeting=view, host=system.mcu.host, state=state,
                           me=ic._mcu_view(reg, system.id))   # the MCU itself, as templates/interconnect gets it


def run(source: reg_mod.Source | str | os.PathLike, meeting_id: str, phase: str,
        variables_of: Callable[[str], dict], *, check: bool = False, records: Path | None = None,
        audit_log: Path | None = None, backup_dir: Path | None = None, user: str | None = None,
        verify_timeout: float = 20.0, now: dt.datetime | None = None) -> Result:
    """Run ``phase`` of meeting ``meeting_id``. ``variables_of(host)`` gives a device's variables
    (templated: credentials decrypted), as for :func:`gbtt.deploy.deploy`."""
    if phase not in PHASES:
        raise MeetingRunError(f"phase is one of {', '.join(PHASES)}, not {phase!r}")
    if not isinstance(source, reg_mod.Source):
        source = reg_mod._single(reg_mod.find_sources(source), source)
    result = Result(meeting_id, phase)
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        loaded, plans, cal = mt.planned(source.config or source.roots[-1], meeting_id, now=now)
    except mt.MeetingError as exc:
        result.refused = result.failed = True
        result.message = f"meeting {meeting_id!r} cannot be run: {exc}"
        return result
    plan, reg = plans[meeting_id], loaded.registry
    if plan.system is None or plan.chair is None or not plan.placed or (phase != "end" and plan.problems):
        result.refused = result.failed = True
        why = plan.problems + [d for d in plan.decisions if d.startswith("not placed")]
        result.message = f"meeting {meeting_id!r} is not ready to run: " + "; ".join(why or ["no system"])
        _audit(audit_log, {"when": now.isoformat(timespec="seconds"), "who": user or getpass.getuser(),
                           "event": "meeting", "meeting": meeting_id, "phase": phase, "result": "refused",
                           "reason": result.message})
        return result
    result.warnings += [f"{s.name}: missed its lead time (Art. {s.article}) by {s.short_by}" for s in plan.steps
                        if not s.ok and phase != "end"]
    result.warnings += [f"{who}: not dialled: {why}" for who, why in plan.refused]
    job = _Job(source, plan, reg, phase, variables_of, check=check, audit_log=audit_log, backup_dir=backup_dir,
               user=user, verify_timeout=verify_timeout)
    result.participants = [Participant(e.id, e.name, e.codec.host, e.system, e.id == plan.chair.id)
                           for e in plan.participants]
    try:
        if phase == "end":
            _end(job, result)
        else:
            _connect(job, result)
    except DriverError as exc:
        result.failed = True
        result.message = job.redact(f"{exc.host}: {exc.message}")
    finally:
        job.close()
    if not check:
        result.record = _write_record(records, job, result, cal.tz)
        job.audit("meeting", result="failed" if result.failed else "changed" if result.changed else "ok",
                  message=result.message, record=result.record,
                  absent=[p.endpoint for p in result.participants if not p.in_call] if phase != "end" else [])
    return result


def _gate(job: _Job, result: Result, stage: str) -> bool:
    """The approval gate of an interconnected meeting (Art. 4.2); True when allowed."""
    link = job.plan.interconnect
    if link is None:
        return True
    decision = ic.gate(job.source, link.id, pin=job.plan.meeting.approval)
    job.audit("interconnect-gate", stage=stage, interconnect=link.id,
              result="allowed" if decision.allowed else "refused", approval=decision.approval,
              reason=None if decision.allowed else decision.reasons()[0])
    if not decision.allowed:
        result.refused = result.failed = True
        result.message = decision.message()
    return decision.allowed


def _stage(job: _Job, result: Result, state: str) -> None:
    for system in job.mcus():
        driver = job.driver(system.mcu)
        driver.load_candidate(render_space(job.reg, job.plan, system, state))
        diff = job.redact(driver.compare())
        result.mcus.append(McuStep(system.mcu.host, system.id, diff, bool(diff)))


def _commit(job: _Job, result: Result) -> None:
    for step in result.mcus:
        if not step.changed:
            continue
        driver = job.drivers[step.host]
        if job.backup_dir is not None:
            step.backup = _write_backup(job.backup_dir, step.host, driver.backup(), dt.datetime.now(dt.timezone.utc))
        driver.commit()
        result.changed = True


def _dial_plan(job: _Job) -> list[tuple[m.Device, str, int]]:
    """(MCU, remote, kbit/s) of every call to place: each participant codec from the MCU of its
    system, and on an interconnected meeting each spoke's space from the hub's."""
    plan, reg = job.plan, job.reg
    calls = [(reg.systems[ep.system].mcu, ep.codec.address, ep.line.bandwidth_kbps) for ep in plan.participants]
    if plan.interconnect is not None:
        calls += [(plan.system.mcu, f"{job.space}@{s.mcu.address}", plan.interconnect.bandwidth_kbps)
                  for s in plan.systems if s.id != plan.system.id]
    return calls


def _connect(job: _Job, result: Result) -> None:
    plan = job.plan
    if not _gate(job, result, "before any change"):
        return
    _stage(job, result, "present")
    calls = _dial_plan(job)
    if job.check:
        result.changed = any(s.changed for s in result.mcus) or bool(calls)
        result.message = (f"would build the meeting space on {len(result.mcus)} MCU(s), dial {len(plan.participants)} "
                          f"endpoint(s), mute their microphones and set their camera presets")
        return
    _commit(job, result)
    if not _gate(job, result, "before dial-out"):
        return
    participants = {p.endpoint: p for p in result.participants}
    address_of = {ep.codec.address: participants[ep.id] for ep in plan.participants}
    for mcu, remote, kbps in calls:
        try:
            if job.driver(mcu).call_up(job.space, remote, kbps)["changed"]:
                result.changed = True
        except DriverError as exc:
            who = address_of.get(remote)
            fault = job.redact(f"dial-out from {mcu.host} failed: {exc.message}")
            if who is not None:
                who.faults.append(fault)
            else:
                result.warnings.append(fault)
    _verify(job, result, address_of)
    _codecs(job, result)
    missing = [p for p in result.participants if not p.in_call]
    result.failed = bool(missing) or any(leg["state"] != "connected" for leg in result.cascade)
    verb = "test connection" if job.phase == "test" else "connection"
    result.message = (f"{verb} of {plan.meeting.id!r} on {', '.join(s.id for s in plan.systems)}: "
                      f"{len(result.participants) - len(missing)} of {len(result.participants)} endpoint(s) in the call"
                      + (f"; NOT in the call: {', '.join(p.endpoint for p in missing)}" if missing else ""))
    if plan.interconnect is not None:
        up = sum(1 for leg in result.cascade if leg["state"] == "connected")
        result.message += f"; {up} of {len(plan.systems) - 1} cascade leg(s) connected through {plan.interconnect.id}"
    if job.phase == "test":   # the test is done: its call ends, the space stays for the meeting
        for system in job.mcus()[::-1]:
            job.driver(system.mcu).call_down(job.space)
        result.changed = True
        result.message += "; test call ended"


def _verify(job: _Job, result: Result, address_of: dict[str, Participant]) -> None:
    """Wait until every participant's leg is connected on its MCU and its codec shows the call."""
    deadline = time.monotonic() + job.verify_timeout
    while True:
        _read_calls(job, result, address_of)
        if all(p.in_call for p in result.participants) or time.monotonic() >= deadline:
            return
        time.sleep(1.0)


def _read_calls(job: _Job, result: Result, address_of: dict[str, Participant]) -> None:
    plan, reg = job.plan, job.reg
    result.cascade = []
    for system in job.mcus():
        legs = job.driver(system.mcu).calls(job.space)
        for leg in legs:
            who = address_of.get(leg["remote"])
            if who is not None and leg["direction"] == "outgoing":
                who.mcu_leg = "connected" if leg["state"] == "connected" else leg["reason"] or leg["state"]
            elif system.id == plan.system.id and leg["direction"] == "outgoing" and "@" in leg["remote"]:
                result.cascade.append({"from": system.mcu.host, "remote": leg["remote"], "state": leg["state"],
                                       "reason": leg["reason"]})
    for p in result.participants:
        ep = reg.endpoints[p.endpoint]
        try:
            calls = job.driver(ep.codec).codec_calls()
        except DriverError as exc:
            p.codec_call = job.redact(f"unreachable: {exc.message}")
            continue
        states = [c["state"] for c in calls]
        p.codec_call = "connected" if "connected" in states else (states[0] if states else "none")


def _codecs(job: _Job, result: Result) -> None:
    """Microphones muted (Art. 9.2a), the chair endpoint's too until the meeting opens; camera to the
    seating preset (Art. 8.2c)."""
    seating = job.plan.meeting.seating
    for p in result.participants:
        ep = job.reg.endpoints[p.endpoint]
        try:
            codec = job.driver(ep.codec)
            if codec.set_microphones(muted=True):
                result.changed = True
            p.muted = codec.microphones_muted()
            if p.endpoint in seating:   # a camera move, not a change of state: a re-run reports no change
                chosen = codec.activate_preset(seating[p.endpoint])
                p.preset = f"{chosen['id']} {chosen['name']}".strip()
        except ConfigError as exc:
            p.faults.append(job.redact(exc.message))
        except DriverError as exc:
            p.faults.append(job.redact(f"codec unreachable: {exc.message}"))


def _end(job: _Job, result: Result) -> None:
    participants = {p.endpoint: p for p in result.participants}
    address_of = {ep.codec.address: participants[ep.id] for ep in job.plan.participants}
    up = any(job.driver(system.mcu).calls(job.space) for system in job.mcus())
    if up:
        _read_calls(job, result, address_of)    # who is in the call at the end, on both sides
    _stage(job, result, "absent")
    if job.check:
        result.changed = up or any(s.changed for s in result.mcus)
        result.message = "would end the calls, remove the meeting space and put the codecs in standby"
        return
    hub_last = job.mcus()[::-1]            # the hub's call first: the cascade legs go with it
    for system in hub_last:
        if job.driver(system.mcu).call_down(job.space):
            result.changed = True
    _commit(job, result)
    for p in result.participants:
        ep = job.reg.endpoints[p.endpoint]
        try:
            codec = job.driver(ep.codec)
            mcu = job.reg.systems[ep.system].mcu       # a call of this meeting still up on the codec
            if codec.codec_calls() and codec.hang_up(f"{job.space}@{mcu.address}"):
                result.changed = True
            if codec.set_standby(True):
                result.changed = True
            p.standby = codec.standby_state()
        except DriverError as exc:
            p.faults.append(job.redact(f"codec: {exc.message}"))
    took = [p.endpoint for p in result.participants if p.in_call]
    result.message = (f"ended {job.plan.meeting.id!r}: {len(took)} endpoint(s) were in the call; calls ended, "
                      f"space removed from {len(result.mcus)} MCU(s), codecs in standby")
    result.failed = any(p.faults for p in result.participants)


# =========================================================================================
# Records (for the six-monthly report, Art. 10.4, 11.5)
# =========================================================================================

DEFAULT_RECORDS = Path(".gbtt/records/meetings")


def records(folder: Path, meeting_id: str) -> list[Path]:
    """The records of a meeting, oldest first."""
    return sorted((Path(folder) / meeting_id).glob("*.json"))


def _write_record(folder: Path | None, job: _Job, result: Result, tz) -> str | None:
    if folder is None:
        return None
    plan, mtg = job.plan, job.plan.meeting
    when = dt.datetime.now(dt.timezone.utc)
    earlier = [json.loads(p.read_text(encoding="utf-8")) for p in records(folder, mtg.id)]
    ends = [i for i, r in enumerate(earlier) if r["phase"] == "end"]
    connects = [r for r in earlier[ends[-1] + 1 if ends else 0:] if r["phase"] == "connect"]   # since the last end
    doc = {
        "meeting": mtg.id, "title": mtg.title, "host_unit": mtg.host_unit, "clause": plan.clause,
        "systems": [s.id for s in plan.systems], "chair": plan.chair.id,
        "interconnect": plan.interconnect.id if plan.interconnect else None,
        "approval": plan.approval.id if plan.approval else None,
        "planned_start": mtg.start.isoformat(), "planned_end": mtg.end.isoformat(),
        "phase": result.phase, "when": when.isoformat(timespec="seconds"),
        "when_local": when.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "who": job.user,
        "result": "failed" if result.failed else "ok", "message": result.message, "warnings": result.warnings,
        "cascade": result.cascade,
        "participants": [{"endpoint": p.endpoint, "name": p.name, "system": p.system, "chair": p.chair,
                          "in_call": p.in_call,
                          "mcu_leg": p.mcu_leg, "codec_call": p.codec_call, "muted": p.muted, "preset": p.preset,
                          "standby": p.standby, "faults": p.faults} for p in result.participants],
    }
    if result.phase == "end":
        joined = {p["endpoint"] for r in connects for p in r["participants"] if p["in_call"]}
        joined |= {p.endpoint for p in result.participants if p.in_call}
        doc["took_part"] = [p.endpoint for p in result.participants if p.endpoint in joined]
        doc["absent"] = [p.endpoint for p in result.participants if p.endpoint not in joined]
        doc["connected_at"] = connects[0]["when"] if connects else None
        doc["ended_at"] = doc["when"]
        doc["faults"] = sorted({f"{p['endpoint']}: {f}" for r in connects for p in r["participants"]
                                for f in p["faults"]} | {f"{p.endpoint}: {f}" for p in result.participants
                                                         for f in p.faults})
    target = Path(folder) / mtg.id
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{when:%Y%m%dT%H%M%SZ}-{result.phase}.json"
    n = 1
    while path.exists():
        path = target / f"{when:%Y%m%dT%H%M%SZ}-{n}-{result.phase}.json"
        n += 1
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return str(path)
