"""Judges of the Pexip Infinity (``pexip_infinity``) checks.  They read what
:class:`gbtt.drivers.pexip_infinity.PexipDriver` answers: :meth:`~gbtt.drivers.pexip_infinity.PexipDriver.ask`
gives the management API's JSON as it is (a list: one page, ``{"meta": …, "objects": […]}``),
:meth:`~gbtt.drivers.pexip_infinity.PexipDriver.probe` ``{tls: true}`` the certificate the
platform presents.  Signature: ``judge(answer, ctx)`` -> :class:`gbtt.checks.Verdict`.

Thresholds, as for the Cisco Meeting Server (checks/judges/cisco_cms.py):

* licences (``configuration/v1/licence/`` with ``status/v1/licensing/``): fail when an
  entitlement's ``expiration_date`` has come (0 days or fewer left: it counts no more), or when
  the platform has no port licence at all (``port_total`` 0: it takes no call); warn when one
  expires within :data:`LICENCE_WARN_DAYS` days, or gives a date the judge cannot read.
  ``permanent`` (or no date) never expires.
* capacity (``status/v1/licensing/`` with ``status/v1/worker_vm/``): the port licences in use
  (``port_count``: each connected video participant takes one) against the lower of the port
  licences (``port_total``) and the HD call capacity of the Conferencing Nodes in service
  (``max_hd_calls``, nodes in maintenance mode left out): warn above :data:`CAPACITY_WARN`,
  fail above :data:`CAPACITY_FAIL`; n/a when neither is known.
* certificate (``{probe: {tls: true}}``): the Cisco Meeting Server's judge
  (:func:`cisco_cms.certificate`): the probe answers alike.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from gbtt import checks as ck
from gbtt.checks import Verdict

LICENCE_WARN_DAYS = 30
CAPACITY_WARN = 0.80
CAPACITY_FAIL = 0.95


def _cms(name: str):
    """A judge of checks/judges/cisco_cms.py (beside this file)."""
    return ck.judge(f"cisco_cms.{name}", Path(__file__).resolve().parent)


def _zone(ctx) -> dt.tzinfo:
    name = ctx.province.get("timezone") if ctx is not None else None
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.timezone.utc


def _days(n: float) -> str:
    n = round(n)
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def _date(text: str) -> dt.date | None:
    """An expiry as the licence page writes it (``31-dec-2030``, FlexNet's form) or ISO 8601."""
    text = text.strip()
    for fmt in ("%d-%b-%Y", "%Y-%m-%d", "%d-%B-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _objects(answer: Any) -> list[dict]:
    objects = answer.get("objects") if isinstance(answer, dict) else None
    return [o for o in objects if isinstance(o, dict)] if isinstance(objects, list) else []


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def licences(answers: Any, ctx) -> Verdict:
    """Every licence entitlement is valid for 30 days more, and the platform has port licences."""
    answers = answers if isinstance(answers, list) else [answers]
    entitlements = _objects(answers[0]) if answers else []
    licensing = (_objects(answers[1]) or [{}])[0] if len(answers) > 1 else {}
    if not entitlements:
        return Verdict("fail", "no licence", f"configuration/v1/licence lists no entitlement: {answers[0]!r}"[:500])
    today = ctx.now.astimezone(_zone(ctx)).date()
    fails: list[str] = []
    warns: list[str] = []
    lines: list[str] = []
    dated: list[tuple[dt.date, str]] = []
    for entry in sorted(entitlements, key=lambda e: (str(e.get("license_type")), str(e.get("entitlement_id")))):
        kind = str(entry.get("license_type") or entry.get("features") or "?")
        label = f"{kind} ({str(entry.get('entitlement_id') or '?')[:8]})"
        text = str(entry.get("expiration_date") or "").strip()
        line = f"{label}: {entry.get('concurrent', '?')} concurrent, expiry {text or 'none'}"
        if entry.get("status"):
            line += f", status {entry['status']}"
        lines.append(line)
        if not text or text.lower() == "permanent":
            continue
        expiry = _date(text)
        if expiry is None:
            warns.append(f"{label}: expiry {text!r}?")
            continue
        left = (expiry - today).days
        if left <= 0:
            fails.append(f"{kind} licence expired {expiry.isoformat()}")
        elif left <= LICENCE_WARN_DAYS:
            warns.append(f"{kind} licence expires {expiry.isoformat()} ({_days(left)})")
            dated.append((expiry, kind))
        else:
            dated.append((expiry, kind))
    ports = _number(licensing.get("port_total"))
    if licensing:
        lines.append(f"status/v1/licensing: port {licensing.get('port_count')} of {licensing.get('port_total')}, "
                     f"audio {licensing.get('audio_count')} of {licensing.get('audio_total')}, "
                     f"system {licensing.get('system_count')} of {licensing.get('system_total')}")
    if ports == 0:
        fails.append("no port licence: the MCU takes no call")
    elif ports is None:
        warns.append("port_total unknown")
    evidence = "\n".join(lines)
    if fails:
        return Verdict("fail", "; ".join(fails + warns), evidence)
    if warns:
        return Verdict("warn", "; ".join(warns), evidence)
    value = f"{ports} port licences"
    if dated:
        first = min(dated)
        value += f", next expiry {first[0].isoformat()} ({first[1]})"
    return Verdict("pass", value, evidence)


def capacity(answers: Any, ctx) -> Verdict:
    """Port licences in use against the lower of the licences and the nodes' HD capacity."""
    answers = answers if isinstance(answers, list) else [answers]
    licensing = (_objects(answers[0]) or [{}])[0] if answers else {}
    nodes = _objects(answers[1]) if len(answers) > 1 else []
    active = _number(licensing.get("port_count"))
    if active is None:
        return Verdict("fail", "unknown", f"status/v1/licensing gives no port_count: {licensing!r}"[:500])
    evidence = [f"port_count {active} (connected video participants)"]
    limits: list[tuple[int, str]] = []
    ports = _number(licensing.get("port_total"))
    if ports is not None:
        evidence.append(f"port_total {ports} (port licences)")
        limits.append((ports, "ports"))
    serving = [n for n in nodes
               if n.get("node_type", "CONFERENCING") == "CONFERENCING" and not n.get("maintenance_mode")]
    hd = [_number(n.get("max_hd_calls")) for n in serving]
    if serving and all(h is not None for h in hd):
        evidence.append(f"max_hd_calls {sum(hd)} on {len(serving)} Conferencing Node(s) in service: "
                        + ", ".join(f"{n.get('name')} {n.get('max_hd_calls')} (media load {n.get('media_load')} %)"
                                    for n in serving))
        limits.append((sum(hd), "HD calls"))
    if not limits:
        return Verdict("n/a", f"{active} ports in use, no limit", "\n".join(evidence))
    limit, unit = min(limits)
    if limit == 0:
        return Verdict("fail", f"{active} of 0 {unit}", "\n".join(evidence + [f"0 {unit}: the MCU takes no call"]))
    share = active / limit
    value = f"{active} of {limit} {unit} ({share:.0%})".replace("%", " %")
    if share > CAPACITY_FAIL:
        return Verdict("fail", value, "\n".join(evidence + [f"above {CAPACITY_FAIL:.0%} of the limit: new calls are "
                                                            "refused at the limit"]))
    if share > CAPACITY_WARN:
        return Verdict("warn", value, "\n".join(evidence + [f"above {CAPACITY_WARN:.0%} of the limit"]))
    return Verdict("pass", value, "\n".join(evidence))


def certificate(answer: dict, ctx) -> Verdict:
    """The platform's TLS certificate: judged as a Cisco Meeting Server's (the same probe)."""
    return _cms("certificate")(answer, ctx)
