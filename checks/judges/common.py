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


#: line-to-mcu, on every router platform (a driver's ``ping`` query answers the same dict):
#: this much loss (percent) or more fails; any loss warns
LOSS_FAIL_PERCENT = 5.0
#: ... an average round trip (ms) of this or more fails
RTT_FAIL_MS = 300
#: ... of this or more warns
RTT_WARN_MS = 150


def line_to_mcu(answer: dict, ctx) -> Verdict:
    """A ping from the router to the system's MCU (``{sent, received, loss_percent,
    rtt_avg_ms, …}``): fail at :data:`LOSS_FAIL_PERCENT` loss or an average round trip of
    :data:`RTT_FAIL_MS`; warn on any loss or from :data:`RTT_WARN_MS`; pass otherwise."""
    if not isinstance(answer, dict) or "loss_percent" not in answer:
        raise ValueError(f"not a ping result: {answer!r}"[:200])
    loss = float(answer["loss_percent"])
    average = answer.get("rtt_avg_ms")
    value = f"{loss:g} % loss" + (f", {average} ms avg" if average is not None else "")
    evidence = str(answer.get("text") or f"{answer.get('received')}/{answer.get('sent')} echoes answered")
    if average is None or loss >= LOSS_FAIL_PERCENT or average >= RTT_FAIL_MS:
        limits = f"fails at {LOSS_FAIL_PERCENT:g} % loss or {RTT_FAIL_MS} ms average"
        return Verdict("fail", value, f"{evidence}\n({limits})")
    if loss > 0 or average >= RTT_WARN_MS:
        return Verdict("warn", value, f"{evidence}\n(warns on any loss or from {RTT_WARN_MS} ms average)")
    return Verdict("pass", value, evidence)
