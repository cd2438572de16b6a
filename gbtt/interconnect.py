"""Interconnecting systems (Art. 4.2, 5.4): cascade their MCUs, only with a valid DIC approval.

An *interconnect* of the registry names a hub system and one or more spoke systems.  Building it
puts, on every MCU of the link, a coSpace ``gbtt-link-<id>`` with a call leg profile of the same
name; on the hub's MCU an outbound dial plan rule per spoke (the spoke MCU's domain, its address,
routed to it); then the hub's coSpace dials ``gbtt-link-<id>@<spoke address>``: the spoke's own
inbound dial plan rule (templates/mcu) resolves that to its coSpace, and the cascade call is up
on both MCUs.  The objects are rendered from ``templates/interconnect/<platform>.j2``.

The gate (:func:`gate`) decides whether the link may be built *now*.  It reads the inventory
afresh every time it is asked (approvals, revocations and trust anchors may change while a job
runs) and accepts an approval only when

* the registry validates and the approval names this interconnect;
* its document number is well formed (no letters of other alphabets that merely look Latin);
* its SSH signature verifies against ``trust/allowed_signers`` of the inventory, for the
  authority that approves the systems (``province.approving_authority`` or the system's own);
* now, give or take ``province.approval_clock_skew_seconds`` (default 300, at most 3600), is
  inside its validity window;
* it covers exactly the link's systems;
* no revocation names it;
* its ``config_sha256`` is the hash of the configuration about to be pushed
  (:func:`config_hash`): a changed template, address or bandwidth needs a new approval.

Nothing else counts: no variable, flag or tag can stand in for it.  :func:`build` asks the gate
before any device is touched and again right before each commit and before the call is placed;
every decision is written to the audit log.  Tearing a link down needs no approval.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import jinja2
import yaml

from gbtt import approvals as ap
from gbtt import model as m
from gbtt import registry as reg_mod
from gbtt import render
from gbtt.deploy import _audit, _write_backup, connection_params
from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, DriverError, TrustError,
                               driver_for, redact)
from gbtt.sessions import Sessions

PREFIX = "gbtt-link-"
ARTICLE_EN = ("Art. 4.2 of the regulation: equipment of the provincial or ICT system connects to another "
              "system only with a written directive or approval of the DIC")
ARTICLE_VI = ("Điều 4.2 Quy chế: thiết bị Hệ thống GBTT của tỉnh, của ngành TT&TT chỉ được kết nối với "
              "Hệ thống GBTT khác khi có văn bản chỉ đạo hoặc đồng ý của Sở Thông tin và Truyền thông")
EXPIRY_WARNING = dt.timedelta(days=7)


class InterconnectError(Exception):
    """The job cannot run as asked (unknown interconnect, bad options); nothing was changed."""


# =========================================================================================
# Rendering and the configuration hash
# =========================================================================================

def space(link_id: str) -> str:
    """The name (and URI) of the link's coSpace and call leg profile on every MCU."""
    return PREFIX + link_id


def mcus(reg: m.Registry, link: m.Interconnect) -> list[m.Device]:
    """The MCUs of the link: the spokes' first, the hub's last (the order of commits)."""
    return [reg.systems[s].mcu for s in link.spokes] + [reg.systems[link.hub].mcu]


def calls(reg: m.Registry, link: m.Interconnect) -> list[dict]:
    """The cascade calls: from the hub's coSpace to each spoke's."""
    hub = reg.systems[link.hub].mcu
    return [{"from": hub.host, "space": space(link.id), "to": reg.systems[s].mcu.host,
             "remote": f"{space(link.id)}@{reg.systems[s].mcu.address}", "bandwidth_kbps": link.bandwidth_kbps}
            for s in link.spokes]


def _mcu_view(reg: m.Registry, system_id: str) -> dict:
    system = reg.systems[system_id]
    return {"system": system.id, "name": system.name, "host": system.mcu.host, "address": system.mcu.address,
            "platform": system.mcu.platform}


def render_link(reg: m.Registry, link: m.Interconnect, state: str = "present") -> dict[str, str]:
    """host -> the link's intended objects on that MCU (``state: absent``: the document that
    removes them).  Only registry data goes in: the result, and so the hash, is the same
    wherever it is computed."""
    missing = [s for s in link.systems if s not in reg.systems]
    if missing:
        raise InterconnectError(f"interconnect {link.id!r}: unknown system(s) {', '.join(missing)}")
    view = {"id": link.id, "name": link.name, "space": space(link.id), "bandwidth_kbps": link.bandwidth_kbps,
            "hub": _mcu_view(reg, link.hub), "spokes": [_mcu_view(reg, s) for s in link.spokes]}
    out = {}
    for dev in mcus(reg, link):
        name = f"interconnect/{dev.platform}.j2"
        try:
            template = render.environment().get_template(name)
        except jinja2.TemplateNotFound:
            raise InterconnectError(f"{dev.host}: no template templates/{name}: platform {dev.platform!r} "
                                    "cannot be cascaded yet") from None
        role = "hub" if dev.system == link.hub else "spoke"
        out[dev.host] = template.render(link=view, role=role, host=dev.host, state=state,
                                        me=_mcu_view(reg, dev.system))
    return out


def config_hash(link_id: str, rendered: dict[str, str], call_plan: list[dict]) -> str:
    """SHA-256 of what building the link pushes: the data of every MCU's rendered objects (as
    canonical JSON: comments and layout do not count, every value does) and the calls."""
    data = {host: yaml.safe_load(text) for host, text in sorted(rendered.items())}
    doc = {"interconnect": link_id, "mcus": data, "calls": call_plan}
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def intended(reg: m.Registry, link: m.Interconnect) -> tuple[dict[str, str], list[dict], str]:
    rendered = render_link(reg, link)
    plan = calls(reg, link)
    return rendered, plan, config_hash(link.id, rendered, plan)


# =========================================================================================
# The gate
# =========================================================================================

@dataclass(frozen=True)
class Problem:
    code: str
    en: str
    vi: str


@dataclass
class Decision:
    interconnect: str
    allowed: bool
    approval: str | None = None            # the approval that allows it
    number: str | None = None
    valid_until: str | None = None
    config_sha256: str | None = None
    problems: dict[str, list[Problem]] = field(default_factory=dict)   # approval id ("" = none) -> why not
    rendered: dict[str, str] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)
    registry: m.Registry | None = None

    def reasons(self) -> tuple[str, str]:
        """(English, Vietnamese) of why the link is refused."""
        en, vi = [], []
        for aid, problems in self.problems.items():
            head_en = f"approval {aid!r}: " if aid else ""
            head_vi = f"văn bản {aid!r}: " if aid else ""
            en.append(head_en + "; ".join(p.en for p in problems))
            vi.append(head_vi + "; ".join(p.vi for p in problems))
        return " | ".join(en), " | ".join(vi)

    def message(self) -> str:
        en, vi = self.reasons()
        return (f"TỪ CHỐI liên thông {self.interconnect!r} ({ARTICLE_VI}): {vi}. Không thiết bị nào bị thay đổi.\n"
                f"REFUSED interconnect {self.interconnect!r} ({ARTICLE_EN}): {en}. No device was changed.")


def allowed_signers(source: reg_mod.Source) -> Path | None:
    """The inventory's ``trust/allowed_signers`` (None for a bare registry folder: no trust anchor)."""
    return source.config.parent / "trust" / "allowed_signers" if source.config is not None else None


def _fmt(t: dt.datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo
    return t.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def problems(reg: m.Registry, approval: m.Approval, link: m.Interconnect, digest: str | None,
             signers: Path | None, now: dt.datetime) -> list[Problem]:
    """Every reason ``approval`` does not allow ``link`` at ``now`` ([] when it does)."""
    out: list[Problem] = []
    tz = reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh"
    skew = dt.timedelta(seconds=reg.province.approval_clock_skew_seconds if reg.province else 300)
    bad_number = ap.number_problem(approval.number)
    if bad_number:
        out.append(Problem("number", bad_number, f"số văn bản không hợp lệ ({approval.number!r}): có ký tự lạ hoặc "
                                                 "ký tự giả dạng chữ Latinh"))
    if signers is None:
        out.append(Problem("signature", "this inventory has no trust/allowed_signers: no signature can be trusted",
                           "kho cấu hình không có tệp trust/allowed_signers: không xác thực được chữ ký"))
    else:
        try:
            ap.verify(ap.fields(approval), signers)
        except ap.ApprovalError as exc:
            out.append(Problem("signature", str(exc), "chữ ký số không hợp lệ, thiếu, hoặc không phải của cơ quan "
                                                     f"có thẩm quyền {approval.authority!r}"))
    for sid in link.systems:
        system = reg.systems.get(sid)
        authority = reg.approving_authority(system) if system else None
        if authority and authority != approval.authority:
            out.append(Problem("authority", f"issued by {approval.authority!r}, but system {sid!r} is approved by "
                               f"{authority!r}", f"văn bản do {approval.authority!r} ban hành, nhưng thẩm quyền "
                               f"chấp thuận hệ thống {sid!r} là {authority!r}"))
    try:
        start = ap.moment(approval.valid_from, tz)
        end = ap.moment(approval.valid_until, tz, end=True)
    except ValueError:
        out.append(Problem("window", "its validity window cannot be read", "không đọc được thời hạn hiệu lực"))
    else:
        allowance = f"{int(skew.total_seconds())} s of clock skew allowed"
        if now < start - skew:
            out.append(Problem("not-yet-valid", f"valid only from {_fmt(start, tz)}; it is {_fmt(now, tz)} "
                               f"({allowance})", f"văn bản chỉ có hiệu lực từ {_fmt(start, tz)}; hiện tại là "
                               f"{_fmt(now, tz)} (cho phép lệch đồng hồ {int(skew.total_seconds())} giây)"))
        elif now >= end + skew:
            out.append(Problem("expired", f"expired at {_fmt(end, tz)}; it is {_fmt(now, tz)} ({allowance})",
                               f"văn bản đã hết hiệu lực lúc {_fmt(end, tz)}; hiện tại là {_fmt(now, tz)} "
                               f"(cho phép lệch đồng hồ {int(skew.total_seconds())} giây)"))
    if approval.interconnect != link.id:
        out.append(Problem("other-link", f"it is for interconnect {approval.interconnect!r}, not {link.id!r}",
                           f"văn bản dành cho liên kết {approval.interconnect!r}, không phải {link.id!r}"))
    if sorted(approval.systems) != sorted(link.systems):
        out.append(Problem("systems", f"it covers systems {', '.join(approval.systems)}; the link joins "
                           f"{', '.join(link.systems)}", f"văn bản cho phép các hệ thống "
                           f"{', '.join(approval.systems)}; liên kết này gồm {', '.join(link.systems)}"))
    for r in reg.revocations:
        if r.approval != approval.id:
            continue
        try:
            effective = ap.moment(r.revoked, tz)
        except ValueError:
            effective = now     # unreadable date: revoked (fail closed)
        if effective <= now + skew:
            out.append(Problem("revoked", f"revoked at {r.revoked}: {r.reason}",
                               f"văn bản đã bị thu hồi lúc {r.revoked}: {r.reason}"))
    if not approval.config_sha256:
        out.append(Problem("unbound", "it is not bound to a configuration (no config_sha256)",
                           "văn bản không gắn với cấu hình liên thông nào (thiếu config_sha256)"))
    elif digest is not None and approval.config_sha256 != digest:
        out.append(Problem("stale-config", f"it approves configuration {approval.config_sha256[:12]}…, but the "
                           f"configuration to push is {digest[:12]}…: it changed since the approval, which a new "
                           "approval must cover", f"cấu hình liên thông đã thay đổi sau khi được chấp thuận "
                           f"(mã băm {approval.config_sha256[:12]}… khác {digest[:12]}…): cần văn bản chấp thuận mới"))
    return out


def _refused(link_id: str, code: str, en: str, vi: str, **kw) -> Decision:
    return Decision(link_id, False, problems={"": [Problem(code, en, vi)]}, **kw)


def gate(source: reg_mod.Source | str | os.PathLike, link_id: str, *, pin: object = None,
         now: dt.datetime | None = None) -> Decision:
    """May interconnect ``link_id`` be built now?  Reads the inventory afresh; fails closed:
    any error is a refusal.  ``pin``: the id of the one approval to consider."""
    try:
        return _gate(source, link_id, pin, now or dt.datetime.now(dt.timezone.utc))
    except Exception as exc:      # fail closed, whatever went wrong
        return _refused(link_id, "error", f"the gate could not decide: {type(exc).__name__}: {exc}",
                        f"không kiểm tra được văn bản chấp thuận: {exc}")


def _gate(source, link_id: str, pin: object, now: dt.datetime) -> Decision:
    if not isinstance(source, reg_mod.Source):
        source = reg_mod._single(reg_mod.find_sources(source), source)
    if pin is not None and (not isinstance(pin, str) or not pin or pin.lower() in
                            ("yes", "true", "on", "y", "1", "approved", "ok")):
        return _refused(link_id, "pin", f"'approval' must name an approval of the registry by its id, not {pin!r}",
                        f"tham số 'approval' phải là mã một văn bản chấp thuận trong kho, không phải {pin!r}")
    loaded = reg_mod.load(source)
    reg = loaded.registry
    if loaded.report.errors:
        first = loaded.report.errors[0]
        return _refused(link_id, "inventory", f"the inventory does not validate ({len(loaded.report.errors)} "
                        f"error(s); first: {first.file}: {first.message}); run gbtt validate",
                        "kho cấu hình có lỗi, chạy gbtt validate để xem", registry=reg)
    link = reg.interconnects.get(link_id)
    if link is None:
        return _refused(link_id, "unknown", f"the registry defines no interconnect {link_id!r} (known: "
                        f"{', '.join(reg.interconnects) or 'none'})",
                        f"kho cấu hình không có liên kết {link_id!r}", registry=reg)
    rendered, plan, digest = intended(reg, link)
    base = dict(config_sha256=digest, rendered=rendered, calls=plan, registry=reg)
    candidates = [a for a in reg.approvals.values() if a.interconnect == link_id]
    if pin is not None:
        if pin not in reg.approvals:
            return _refused(link_id, "pin", f"no approval {pin!r} in the registry",
                            f"không có văn bản chấp thuận {pin!r} trong kho", **base)
        candidates = [reg.approvals[pin]]
    if not candidates:
        same = [a.id for a in reg.approvals.values() if sorted(a.systems) == sorted(link.systems)]
        hint = f" (approvals {', '.join(same)} cover the same systems but name another interconnect)" if same else ""
        return _refused(link_id, "missing", f"no approval names interconnect {link_id!r}{hint}",
                        f"không có văn bản chấp thuận nào cho liên kết {link_id!r}", **base)
    signers = allowed_signers(source)
    found: dict[str, list[Problem]] = {}
    for approval in sorted(candidates, key=lambda a: (a.issued, a.id), reverse=True):
        why = problems(reg, approval, link, digest, signers, now)
        if not why:
            return Decision(link_id, True, approval.id, approval.number, approval.valid_until, **base)
        found[approval.id] = why
    return Decision(link_id, False, problems=found, **base)


# =========================================================================================
# The job
# =========================================================================================

@dataclass
class McuOutcome:
    host: str
    role: str
    diff: str = ""
    changed: bool = False
    failed: bool = False
    restored: bool | None = None
    backup: str | None = None
    message: str = ""


@dataclass
class Result:
    interconnect: str
    state: str
    changed: bool = False
    failed: bool = False
    refused: bool = False
    message: str = ""
    approval: str | None = None
    config_sha256: str | None = None
    mcus: list[McuOutcome] = field(default_factory=list)
    legs: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Job(Sessions):
    def __init__(self, source: reg_mod.Source, link_id: str, variables_of: Callable[[str], dict], *,
                 check: bool, pin: object, audit_log: Path | None, backup_dir: Path | None, user: str | None,
                 verify_timeout: float):
        super().__init__(variables_of)
        self.source, self.link_id = source, link_id
        self.check, self.pin, self.audit_log, self.backup_dir = check, pin, audit_log, backup_dir
        self.user = user or getpass.getuser()
        self.verify_timeout = verify_timeout
        self.committed: list[str] = []
        self.hub = ""

    # -- audit -------------------------------------------------------------------------
    def audit(self, event: str, **fields) -> None:
        _audit(self.audit_log, {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                "who": self.user, "event": event, "interconnect": self.link_id,
                                "check": self.check, **fields})

    def ask(self, stage: str, result: Result) -> Decision:
        decision = gate(self.source, self.link_id, pin=self.pin)
        if decision.allowed:
            self.audit("interconnect-gate", stage=stage, result="allowed", approval=decision.approval,
                       number=decision.number, config_sha256=decision.config_sha256)
        else:
            en, _ = decision.reasons()
            self.audit("interconnect-gate", stage=stage, result="refused", reason=en,
                       config_sha256=decision.config_sha256)
            result.refused = result.failed = True
            result.message = decision.message()
        return decision

    # -- devices -------------------------------------------------------------------------
    def open(self, reg: m.Registry, link: m.Interconnect) -> None:
        self.hub = reg.systems[link.hub].mcu.host
        for dev in mcus(reg, link):
            self.driver(dev, f"link:{link.id}")

    def undo(self, result: Result) -> None:
        """Back to where the MCUs were: calls placed by this run ended, commits rolled back."""
        for out in result.mcus:
            if out.host not in self.committed:
                continue
            try:
                self.drivers[out.host].rollback()
                out.restored = True
            except DriverError as exc:
                out.restored = False
                out.message += self.redact(f"; ROLLBACK FAILED: {exc.message}")


def build(source: reg_mod.Source | str | os.PathLike, link_id: str, variables_of: Callable[[str], dict], *,
          state: str = "present", check: bool = False, pin: object = None, audit_log: Path | None = None,
          backup_dir: Path | None = None, user: str | None = None, verify_timeout: float = 20.0) -> Result:
    """Bring interconnect ``link_id`` up (``present``) or down (``absent``).  ``variables_of(host)``
    gives an MCU's variables (templated: credentials decrypted), as for :func:`gbtt.deploy.deploy`."""
    if state not in ("present", "absent"):
        raise InterconnectError(f"state is 'present' or 'absent', not {state!r}")
    if not isinstance(source, reg_mod.Source):
        source = reg_mod._single(reg_mod.find_sources(source), source)
    job = _Job(source, link_id, variables_of, check=check, pin=pin, audit_log=audit_log, backup_dir=backup_dir,
               user=user, verify_timeout=verify_timeout)
    result = Result(link_id, state)
    if state == "present":
        decision = job.ask("before any change", result)
        if not decision.allowed:
            return result
        result.approval, result.config_sha256 = decision.approval, decision.config_sha256
        reg, rendered, plan = decision.registry, decision.rendered, decision.calls
    else:
        loaded = reg_mod.load(source)
        reg = loaded.registry
        if loaded.report.errors or link_id not in reg.interconnects:
            result.failed = True
            result.message = (f"interconnect {link_id!r} is not defined by a valid registry: restore its definition "
                              "to tear it down (gbtt validate)")
            return result
        rendered, plan = render_link(reg, reg.interconnects[link_id], "absent"), calls(reg, reg.interconnects[link_id])
    link = reg.interconnects[link_id]
    try:
        job.open(reg, link)
        if state == "present":
            _up(job, link, rendered, plan, result)
        else:
            _down(job, link, rendered, plan, result)
    except (TrustError, AuthenticationError, ConnectError) as exc:
        result.failed = True
        result.message = job.redact(f"{exc.host}: {exc.message}")
        job.undo(result)
    except DriverError as exc:
        result.failed = True
        result.message = job.redact(f"{exc.host}: {exc.message}")
        job.undo(result)
    finally:
        job.close()
        if not check and (result.changed or result.failed and not result.refused):
            job.audit("interconnect", state=state, result="failed" if result.failed else "changed",
                      approval=result.approval, config_sha256=result.config_sha256, message=result.message,
                      mcus=[{"host": o.host, "changed": o.changed, "restored": o.restored, "backup": o.backup}
                            for o in result.mcus], legs=result.legs)
    return result


def _stage(job: _Job, link: m.Interconnect, rendered: dict[str, str], result: Result) -> None:
    for host, text in rendered.items():
        driver = job.drivers[host]
        driver.load_candidate(text)
        diff = job.redact(driver.compare())
        role = "hub" if host == job.hub else "spoke"
        result.mcus.append(McuOutcome(host, role, diff, bool(diff)))


def _commit(job: _Job, host: str, out: McuOutcome) -> None:
    driver = job.drivers[host]
    if job.backup_dir is not None:
        out.backup = _write_backup(job.backup_dir, host, driver.backup(), dt.datetime.now(dt.timezone.utc))
    try:
        driver.commit()
    except ConfigError as exc:
        out.failed, out.restored = True, True
        raise
    except CommitError as exc:
        out.failed, out.restored = True, exc.restored
        raise
    job.committed.append(host)


def _legs(job: _Job, link: m.Interconnect, plan: list[dict]) -> tuple[list[dict], list[str]]:
    """The cascade legs as both ends see them, and what is missing."""
    legs, missing = [], []
    hub_host = plan[0]["from"] if plan else None
    hub_legs = job.drivers[hub_host].calls(space(link.id)) if hub_host else []
    for call in plan:
        out = [leg for leg in hub_legs if leg["direction"] == "outgoing" and leg["remote"] == call["remote"]]
        inn = [leg for leg in job.drivers[call["to"]].calls(call["space"]) if leg["direction"] == "incoming"]
        up_out = any(leg["state"] == "connected" for leg in out)
        up_in = any(leg["state"] == "connected" for leg in inn)
        legs.append({"from": call["from"], "to": call["to"], "remote": call["remote"],
                     "hub_leg": "connected" if up_out else (out[0]["reason"] or out[0]["state"]) if out else "none",
                     "spoke_leg": "connected" if up_in else "none"})
        if not (up_out and up_in):
            missing.append(f"{call['from']} → {call['to']}: leg on the hub {legs[-1]['hub_leg']}, "
                           f"on the spoke {legs[-1]['spoke_leg']}")
    return legs, missing


def _up(job: _Job, link: m.Interconnect, rendered: dict[str, str], plan: list[dict], result: Result) -> None:
    _stage(job, link, rendered, result)
    legs, missing = _legs(job, link, plan)
    if job.check:
        result.changed = any(o.changed for o in result.mcus) or bool(missing)
        result.legs = legs
        result.message = (f"would change {sum(o.changed for o in result.mcus)} MCU(s) and place "
                          f"{len(missing)} cascade call(s)" if result.changed else "up and in sync")
        return
    for out in result.mcus:
        if not out.changed:
            continue
        if not job.ask(f"before commit on {out.host}", result).allowed:
            job.undo(result)
            return
        _commit(job, out.host, out)
        result.changed = True
    if missing:
        if not job.ask("before the cascade call", result).allowed:
            job.undo(result)
            return
        hub = job.drivers[plan[0]["from"]]
        for call in plan:
            if hub.call_up(call["space"], call["remote"], call["bandwidth_kbps"])["changed"]:
                result.changed = True
        deadline = time.monotonic() + job.verify_timeout
        while True:
            legs, missing = _legs(job, link, plan)
            if not missing or time.monotonic() >= deadline:
                break
            time.sleep(1.0)
    result.legs = legs
    if missing:
        result.failed = True
        hub = job.drivers[plan[0]["from"]]
        hub.call_down(space(link.id))
        job.undo(result)
        restored = all(o.restored is not False for o in result.mcus)
        result.message = ("the cascade call did not come up (" + "; ".join(missing) + "): call ended, "
                          + ("MCUs restored" if restored else "MCUs NOT all restored, see each MCU"))
        return
    result.message = (f"up: {len(plan)} cascade call(s) connected on both MCUs, approval {result.approval}"
                      if result.changed else "up and in sync")


def _down(job: _Job, link: m.Interconnect, rendered: dict[str, str], plan: list[dict], result: Result) -> None:
    hub = job.drivers[plan[0]["from"]] if plan else None
    up = bool(hub and hub.calls(space(link.id)))
    _stage(job, link, rendered, result)
    result.changed = up or any(o.changed for o in result.mcus)
    if job.check:
        result.message = "would end the cascade call and remove the link's objects" if result.changed else "absent"
        return
    if up:
        hub.call_down(space(link.id))
    for out in result.mcus:
        if out.changed:
            _commit(job, out.host, out)
    result.message = "down: cascade call ended, link objects removed" if result.changed else "absent"


# =========================================================================================
# Status (drift.yml) and listing (gbtt approval list)
# =========================================================================================

def approval_status(reg: m.Registry, source: reg_mod.Source, now: dt.datetime | None = None
                    ) -> Iterator[tuple[m.Approval, list[Problem]]]:
    """Each approval with what stands against it now (hash included when its interconnect exists)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    signers = allowed_signers(source)
    digests = {}
    for approval in reg.approvals.values():
        link = reg.interconnects.get(approval.interconnect or "")
        if link is None:
            placeholder = m.Interconnect(approval.interconnect or "", approval.systems[0], approval.systems[1:],
                                         approval.src)
            why = problems(reg, approval, placeholder, None, signers, now)
            why.append(Problem("unknown", f"interconnect {approval.interconnect!r} is not defined",
                               f"liên kết {approval.interconnect!r} không có trong kho"))
            yield approval, why
            continue
        if link.id not in digests:
            digests[link.id] = intended(reg, link)[2]
        yield approval, problems(reg, approval, link, digests[link.id], signers, now)


def status(source: reg_mod.Source | str | os.PathLike, variables_of: Callable[[str], dict],
           now: dt.datetime | None = None) -> list[dict]:
    """Every interconnect of the registry: is it up on its hub, and may it be?  For drift.yml:
    a link up without a valid approval (expired, revoked, changed…) is a finding."""
    if not isinstance(source, reg_mod.Source):
        source = reg_mod._single(reg_mod.find_sources(source), source)
    now = now or dt.datetime.now(dt.timezone.utc)
    reg = reg_mod.load(source).registry
    out = []
    for link in reg.interconnects.values():
        decision = gate(source, link.id, now=now)
        entry = {"interconnect": link.id, "hub": link.hub, "spokes": list(link.spokes), "approval": decision.approval,
                 "valid_until": decision.valid_until, "approved": decision.allowed, "up": None, "finding": None}
        if not decision.allowed:
            entry["reason"] = decision.reasons()[0]
        hub = reg.systems[link.hub].mcu
        params, secrets = connection_params(variables_of(hub.host))
        params.extra["scope"] = f"link:{link.id}"
        try:
            with driver_for(hub.platform)(hub.host, params) as driver:
                legs = driver.calls(space(link.id))
            entry["up"] = any(leg["state"] == "connected" for leg in legs)
        except DriverError as exc:
            entry["error"] = redact(exc.message, [s for s in secrets.values() if s])
        if entry["up"] and not decision.allowed:
            entry["finding"] = "up without a valid approval (Art. 4.2): tear it down or renew the approval"
        elif entry["up"] and decision.allowed and decision.valid_until:
            tz = reg.province.timezone if reg.province else "Asia/Ho_Chi_Minh"
            if ap.moment(decision.valid_until, tz, end=True) - now < EXPIRY_WARNING:
                entry["finding"] = f"approval {decision.approval} expires within {EXPIRY_WARNING.days} days"
        out.append(entry)
    return out
