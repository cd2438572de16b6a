"""Judges that work on any platform: they read what the runner asks of every driver (the login,
``get_facts()``, the diff with the intended configuration).  Signature: ``judge(answer, ctx)``
-> :class:`gbtt.checks.Verdict` (see gbtt/checks.py)."""

from __future__ import annotations

import datetime as dt

from gbtt.checks import Verdict


def reachable(answer: dict, ctx) -> Verdict:
    """The device answers and takes the inventory's credentials."""
    if answer.get("ok"):
        return Verdict("pass", "kết nối được")
    kind = answer.get("kind", "")
    what = {"AuthenticationError": "bị từ chối đăng nhập (login refused)",
            "TrustError": "không tin cậy được khóa/chứng thư (not trusted)"}.get(kind, "không kết nối được (unreachable)")
    return Verdict("fail", what, answer.get("error", ""))


def _canonical(version: str) -> tuple:
    """``17.09.05`` and ``17.9.5`` are one version; so are ``ce11.17.1.5`` and ``11.17.1.5``."""
    import re
    parts = re.findall(r"[0-9]+|[a-z]+", version.lower())
    while parts and not parts[0].isdigit():
        parts.pop(0)
    return tuple(int(x) if x.isdigit() else x for x in parts)


def software_baseline(facts: dict, ctx) -> Verdict:
    """The software version is the approved baseline of the platform (province.software_baselines)."""
    baseline = (ctx.province.get("software_baselines") or {}).get(ctx.platform)
    version = str(facts.get("os_version") or "")
    if not baseline:
        return Verdict("n/a", version, f"no approved baseline for {ctx.platform} in province.software_baselines")
    if _canonical(version) == _canonical(baseline):
        return Verdict("pass", version)
    return Verdict("fail", version, f"runs {version!r}; the approved baseline is {baseline!r}")


def config_compliance(diff: str, ctx) -> Verdict:
    """No difference from the configuration the registry renders (Art. 3.3: no unauthorised change)."""
    if not diff:
        return Verdict("pass", "in sync")
    changed = sum(1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))
    return Verdict("fail", f"{changed} line(s) differ", diff)


def uptime(facts: dict, ctx) -> Verdict:
    """Up since the last maintenance, unless it rebooted: a reboot since the previous record (its
    uptime is shorter than the time since then) is reported, as is one within the last day."""
    raw = facts.get("uptime")
    seconds = int(raw) if isinstance(raw, (int, float)) or str(raw).isdigit() else -1
    if seconds < 0:
        return Verdict("fail", "unknown", "the device did not report its uptime")
    value = str(dt.timedelta(seconds=seconds))
    if ctx.previous_when is not None:
        since = (ctx.now - ctx.previous_when).total_seconds()
        if seconds < since:
            return Verdict("warn", value, f"rebooted since the previous maintenance record "
                                          f"({ctx.previous_when.date().isoformat()}): up {value} only")
    if seconds < 86400:
        return Verdict("warn", value, "rebooted within the last 24 hours")
    return Verdict("pass", value)
