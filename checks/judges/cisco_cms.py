"""Judges of the Cisco Meeting Server (``cisco_cms``) checks.  They read what
:class:`gbtt.drivers.cisco_cms.CmsDriver` answers: :meth:`~gbtt.drivers.cisco_cms.CmsDriver.ask`
gives an API answer as a plain dict (element name -> text, nested elements as dicts, repeated
ones as lists, attributes as ``"@name"``), :meth:`~gbtt.drivers.cisco_cms.CmsDriver.probe`
``{tls: true}`` the certificate the MCU presents.  Signature: ``judge(answer, ctx)`` ->
:class:`gbtt.checks.Verdict` (see gbtt/checks.py).

Thresholds:

* licences (``system/licensing``): fail when a feature is ``expired``, when the expiry date of
  an activated one has come (0 days or fewer left), or when ``callBridge`` (without which the
  MCU hosts no call) is ``noLicense``; warn when one is in ``grace`` (past its term, still
  working for a while), expires within
  :data:`LICENCE_WARN_DAYS` days, or says something the judge cannot read.  Other
  ``noLicense`` features are what was not bought: listed, not judged.
* capacity (``system/status`` and ``system/configuration/cluster``): ``callLegsActive``
  against the Call Bridge's ``participantLimit``: warn above :data:`CAPACITY_WARN` of it,
  fail above :data:`CAPACITY_FAIL`; n/a when the MCU sets no limit.
* certificate (``{probe: {tls: true}}``): fail when it has expired, or does not verify
  against the inventory's CA bundle (the ``reachable`` check then fails too, and the checks
  that need a login are not run); warn when fewer than :data:`CERT_WARN_DAYS` days are left.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gbtt.checks import Verdict

LICENCE_WARN_DAYS = 30
CERT_WARN_DAYS = 30
CAPACITY_WARN = 0.80          # active call legs above 80 % of the limit: warn
CAPACITY_FAIL = 0.95          # above 95 %: fail
REQUIRED_FEATURES = ("callBridge",)
_STATUSES = ("activated", "grace", "expired", "noLicense")


def _zone(ctx) -> dt.tzinfo:
    """The province's time zone (dates are the operators' calendar days), UTC without one."""
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
    """An expiry as the MCU writes it (``2030-Dec-31``), or ISO 8601 (``2030-12-31``,
    ``2030-12-31T00:00:00Z``); None when it is neither."""
    text = text.strip()
    for fmt in ("%Y-%b-%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _features(answer: Any) -> dict[str, Any]:
    features = answer.get("features") if isinstance(answer, dict) else None
    return features if isinstance(features, dict) else {}


def licences(answer: dict, ctx) -> Verdict:
    """Every licensed feature of the MCU is valid and does not run out within 30 days."""
    features = _features(answer)
    if not features:
        return Verdict("fail", "no licence information", f"system/licensing lists no features: {answer!r}")
    today = ctx.now.astimezone(_zone(ctx)).date()
    fails: list[str] = []
    warns: list[str] = []
    lines: list[str] = []
    licensed: list[tuple[dt.date, str]] = []
    for name in sorted(features):
        entry = features[name] if isinstance(features[name], dict) else {}
        status = str(entry.get("status", "")).strip()
        expiry_text = str(entry.get("expiry", "")).strip()
        expiry = _date(expiry_text) if expiry_text else None
        left = (expiry - today).days if expiry else None
        line = f"{name}: {status or '(no status)'}"
        if expiry_text:
            line += f", expiry {expiry_text}" + (f" ({_days(left)} left)" if left is not None and left > 0 else "")
        lines.append(line)
        if status == "noLicense":
            if name in REQUIRED_FEATURES:
                fails.append(f"{name} not licensed")
            continue
        if status == "expired":
            fails.append(f"{name} expired" + (f" {expiry.isoformat()}" if expiry else ""))
            continue
        if status not in _STATUSES:
            warns.append(f"{name}: status {status or '(none)'}?")
            continue
        if expiry_text and expiry is None:
            warns.append(f"{name}: expiry {expiry_text!r}?")
        if status == "grace":           # past its term, still working for a while: renew now
            warns.append(f"{name} in grace" + (f" (expiry {expiry.isoformat()})" if expiry else ""))
        elif left is not None and left <= 0:
            fails.append(f"{name} expired {expiry.isoformat()}")
            continue
        elif left is not None and left <= LICENCE_WARN_DAYS:
            warns.append(f"{name} expires {expiry.isoformat()} ({_days(left)})")
        if expiry is not None:
            licensed.append((expiry, name))
        elif status == "activated":
            licensed.append((dt.date.max, name))
    evidence = "\n".join(lines)
    if fails:
        return Verdict("fail", "; ".join(fails + warns), evidence)
    if warns:
        return Verdict("warn", "; ".join(warns), evidence)
    dated = sorted(d for d in licensed if d[0] != dt.date.max)
    value = f"{len(licensed)} licensed"
    if dated:
        value += f", next expiry {dated[0][0].isoformat()} ({dated[0][1]})"
    return Verdict("pass", value, evidence)


def _number(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def capacity(answers: Any, ctx) -> Verdict:
    """Active call legs against the Call Bridge's ``participantLimit``.  ``answers``: the
    ``system/status`` answer, with the ``system/configuration/cluster`` one (a list of both),
    or ``system/status`` alone (no limit known: n/a)."""
    answers = answers if isinstance(answers, list) else [answers]
    status = answers[0] if answers and isinstance(answers[0], dict) else {}
    cluster = answers[1] if len(answers) > 1 and isinstance(answers[1], dict) else {}
    active = _number(status.get("callLegsActive"))
    if active is None:
        return Verdict("fail", "unknown", f"system/status gives no callLegsActive: {status!r}")
    peak = _number(status.get("callLegsMaxActive"))
    limit = _number(cluster.get("participantLimit"))
    evidence = [f"callLegsActive {active}"]
    if peak is not None:
        evidence.append(f"callLegsMaxActive {peak} (the most at once since the Call Bridge started)")
    if limit is None:
        evidence.append("no participantLimit in system/configuration/cluster: the MCU sets no limit")
        return Verdict("n/a", f"{active} call legs, no limit", "\n".join(evidence))
    evidence.append(f"participantLimit {limit} (system/configuration/cluster)")
    if limit == 0:
        return Verdict("fail", f"{active} of 0 call legs", "\n".join(evidence + ["participantLimit 0 admits no call"]))
    share = active / limit
    value = f"{active} of {limit} call legs ({share:.0%})".replace("%", " %")
    if share > CAPACITY_FAIL:
        return Verdict("fail", value, "\n".join(evidence + [f"above {CAPACITY_FAIL:.0%} of the limit: new incoming "
                                                            "calls are refused at the limit"]))
    if share > CAPACITY_WARN:
        return Verdict("warn", value, "\n".join(evidence + [f"above {CAPACITY_WARN:.0%} of the limit"]))
    return Verdict("pass", value, "\n".join(evidence))


def certificate(answer: dict, ctx) -> Verdict:
    """The MCU's TLS certificate has not expired, verifies against the inventory's CA bundle,
    and has 30 days left at least."""
    try:
        not_after = dt.datetime.fromisoformat(str(answer["not_after"]).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return Verdict("fail", "no certificate", f"the probe gave no readable not_after: {answer!r}")
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=dt.timezone.utc)
    left = (not_after - ctx.now).total_seconds() / 86400
    day = not_after.astimezone(_zone(ctx)).date().isoformat()
    evidence = "\n".join(f"{k}: {answer.get(k)}" for k in ("subject", "issuer", "not_before", "not_after",
                                                           "sha256", "verified", "error") if k in answer)
    if left <= 0:
        return Verdict("fail", f"expired {day} ({_days(-left)} ago)", evidence)
    value = f"expires {day} ({_days(left)})"
    if not answer.get("verified"):
        return Verdict("fail", f"not trusted, {value}", evidence)
    if left < CERT_WARN_DAYS:
        return Verdict("warn", value, evidence)
    return Verdict("pass", value, evidence)
