"""Annual maintenance (Art. 12.4): run the declarative checks on devices, keep append-only
records, tell which systems are due.

* :func:`check_device` runs every check of ``checks/`` that applies to one device (by class and
  platform) over one session, and returns its results.  A device that cannot be reached (or
  refuses the login) fails the ``reachable`` check; its other checks are ``not-run``, recorded,
  never dropped; probes that need no login (a certificate's expiry) still run.
* :func:`write_record` writes one record per system per run: who, when, per device per check
  the result, value and evidence, the operator's confirmations; a new file each time, created
  exclusively (never overwritten), chained to the previous record by its SHA-256.
* :func:`due` reads the records: a system is maintained on the day of its last *complete*
  record (every device reached, every operator item confirmed), and due again on that day's
  anniversary (Art. 12.4: at least once a year; a maintenance on 29 February is due on
  28 February of a common year).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from gbtt import checks as ck
from gbtt import render
from gbtt.deploy import connection_params
from gbtt.drivers.base import AuthenticationError, ConnectError, DriverError, TrustError, driver_for, redact

RECORD_FORMAT = 1
EVIDENCE_LIMIT = 2000


@dataclass
class Result:
    check: str
    status: str
    severity: str
    value: str = ""
    evidence: str = ""


@dataclass
class DeviceReport:
    host: str
    device_class: str
    platform: str
    system: str
    endpoint: str | None
    endpoint_name: str | None = None
    reachable: bool = False
    results: list[Result] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _short(text: Any, limit: int = EVIDENCE_LIMIT) -> str:
    text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False, default=str, indent=1)
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _expand(value: Any, variables: dict) -> Any:
    """A query with ``{{ … }}`` in its strings rendered from the host's variables (e.g. the
    address of the system's MCU for a ping)."""
    if isinstance(value, str) and "{{" in value:
        return render.environment().from_string(value).render(variables)
    if isinstance(value, dict):
        return {k: _expand(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, variables) for v in value]
    return value


def check_device(host: str, variables: dict, checks: Iterable[ck.Check], *, previous: dict | None = None,
                 previous_when: dt.datetime | None = None, now: dt.datetime | None = None) -> DeviceReport:
    """Run every applicable check on ``host`` (variables as for :func:`gbtt.deploy.deploy`).
    ``previous``: this host's entry of the previous record ({check id: result dict})."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cls, platform = variables["gbtt_device_class"], variables["gbtt_platform"]
    ep = variables.get("gbtt_endpoint") or {}
    report = DeviceReport(host, cls, platform, (variables.get("gbtt_system") or {}).get("id", ""), ep.get("id"),
                          ep.get("name"))
    todo = [c for c in checks if c.applies(cls, platform)]
    params, secrets = connection_params(variables)
    known = [s for s in secrets.values() if s] + list(params.extra["secrets"])
    driver = driver_for(platform)(host, params)
    previous = previous or {}

    def context(check: ck.Check) -> ck.Context:
        return ck.Context(host, platform, cls, variables, now, previous.get(check.id), previous_when)

    def judged(check: ck.Check, answers: list) -> Result:
        step = check.step(platform)
        try:
            verdict = check.judge(platform)(answers if step.many else answers[0], context(check))
        except Exception as exc:       # a judge that breaks on an answer is the check's error, not the run's
            return Result(check.id, "error", check.severity, "", redact(f"judge {step.judge_ref}: "
                                                                        f"{type(exc).__name__}: {exc}", known))
        if verdict.status not in ck.STATUSES:
            return Result(check.id, "error", check.severity, "", f"judge {step.judge_ref} returned "
                                                                 f"status {verdict.status!r}")
        return Result(check.id, verdict.status, check.severity, redact(str(verdict.value), known),
                      redact(_short(verdict.evidence), known))

    facts: dict | None = None
    try:
        driver.open()
        login = {"ok": True}
    except (TrustError, AuthenticationError, ConnectError, DriverError) as exc:
        login = {"ok": False, "error": redact(exc.message, known), "kind": type(exc).__name__}
    report.reachable = login["ok"]
    try:
        for check in todo:
            step = check.step(platform)
            kind = step.runner_query
            if kind == "connect":
                report.results.append(judged(check, [login] * len(step.queries)))
                continue
            if kind == "probe":
                try:
                    answers = [driver.probe(q["probe"]) for q in step.queries]
                except DriverError as exc:
                    report.results.append(Result(check.id, "error", check.severity, "", redact(exc.message, known)))
                    continue
                report.results.append(judged(check, answers))
                continue
            if not login["ok"]:
                report.results.append(Result(check.id, "not-run", check.severity, "",
                                             f"không kết nối được thiết bị (device not reached): {login['error']}"))
                continue
            try:
                answers = []
                for query in step.queries:
                    if "facts" in query:
                        facts = facts if facts is not None else driver.get_facts()
                        answers.append(facts)
                    elif "compare" in query:
                        driver.load_candidate(render.render_context(host, variables, secrets))
                        answers.append(redact(driver.compare(), known))
                        driver.discard()
                    else:
                        answers.append(driver.ask(_expand(query, variables)))
            except (DriverError, render.RenderError) as exc:
                message = exc.message if isinstance(exc, DriverError) else str(exc)
                report.results.append(Result(check.id, "error", check.severity, "", redact(message, known)))
                if isinstance(exc, ConnectError):       # the session is gone: the rest cannot run
                    login = {"ok": False, "error": redact(message, known)}
                continue
            report.results.append(judged(check, answers))
    finally:
        if report.reachable:
            try:
                driver.close()
            except DriverError:
                pass
    return report


# =========================================================================================
# Operator checklist
# =========================================================================================

def operator_results(checks: Iterable[ck.Check], endpoints: Iterable[str], confirmations: dict) -> dict:
    """Per endpoint, per operator check: the person's answer, or ``unconfirmed``.

    ``confirmations`` (a vars file, ``-e @confirm.yml``)::

        confirmed_by: "Nguyễn Văn A"          # required for anything to count
        items:
          "*": {fire-safety: pass}            # every endpoint of the run
          dong-van-ubnd: {power: {status: fail, note: "UPS hỏng, đã báo"}}
    """
    confirmations = confirmations or {}
    who = str(confirmations.get("confirmed_by") or "").strip()
    items = confirmations.get("items") or {}
    out: dict[str, list[dict]] = {}
    for ep in endpoints:
        rows = []
        for check in checks:
            if not check.operator:
                continue
            answer = (items.get(ep) or {}).get(check.id, (items.get("*") or {}).get(check.id))
            if isinstance(answer, str):
                answer = {"status": answer}
            status = str((answer or {}).get("status", "")).lower()
            if not who or status not in ("pass", "fail", "n/a"):
                rows.append({"check": check.id, "status": "unconfirmed", "severity": check.severity,
                             "value": "", "evidence": "chưa có người xác nhận" if who else "thiếu tên người xác nhận (confirmed_by)"})
                continue
            rows.append({"check": check.id, "status": status, "severity": check.severity,
                         "value": str((answer or {}).get("note", "")), "evidence": f"người xác nhận: {who}"})
        out[ep] = rows
    return out


# =========================================================================================
# Records
# =========================================================================================

def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def records(folder: Path, system: str) -> list[Path]:
    """The records of ``system``, oldest first (``<stamp>.json``, then ``<stamp>-1.json`` …)."""
    def order(path: Path) -> tuple[str, int]:
        stamp, _, n = path.stem.partition("-")
        return stamp, int(n) if n.isdigit() else 0
    return sorted((Path(folder) / system).glob("*.json"), key=order)


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def complete(record: dict) -> bool:
    """Every device reached and every operator item confirmed (pass, fail or n/a)."""
    devices = record.get("devices") or []
    return bool(devices) and all(d.get("reachable") for d in devices) and all(
        r["status"] != "unconfirmed" for rows in (record.get("operator") or {}).values() for r in rows)


def write_record(folder: Path, system: str, devices: list[dict], operator: dict, *, who: str | None = None,
                 when: dt.datetime | None = None, expected: Iterable[str] = (), system_name: str = "") -> Path:
    """Write one record of ``system`` (append-only: a new file, created exclusively)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    folder = Path(folder) / system
    folder.mkdir(parents=True, exist_ok=True)
    earlier = records(folder.parent, system)
    previous = earlier[-1] if earlier else None
    seen = {d["host"] for d in devices}
    missing = sorted(set(expected) - seen)
    doc = {
        "format": RECORD_FORMAT, "system": system, "system_name": system_name,
        "when": when.isoformat(timespec="seconds"),
        "who": who or getpass.getuser(),
        "previous": previous.name if previous else None,
        "previous_sha256": hashlib.sha256(previous.read_bytes()).hexdigest() if previous else None,
        "devices": sorted(devices, key=lambda d: d["host"]),
        "missing": missing,          # devices of the system this run did not cover (--limit)
        "operator": operator,
    }
    doc["complete"] = complete(doc) and not missing
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    stamp, n = _stamp(when), 0
    while True:
        path = folder / (f"{stamp}.json" if n == 0 else f"{stamp}-{n}.json")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            n += 1
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path


def previous_results(folder: Path, system: str) -> tuple[dict[str, dict], dt.datetime | None]:
    """host -> {check id: result} of the last record of ``system``, and its time."""
    paths = records(folder, system)
    if not paths:
        return {}, None
    doc = read(paths[-1])
    return ({d["host"]: {r["check"]: r for r in d["results"]} for d in doc.get("devices", [])},
            dt.datetime.fromisoformat(doc["when"]))


# =========================================================================================
# Due dates
# =========================================================================================

def anniversary(day: dt.date) -> dt.date:
    """The same day a year later; 29 February -> 28 February of a common year."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass
class Due:
    system: str
    last: dt.date | None           # the last complete maintenance
    last_attempt: dt.date | None   # the last record, complete or not
    due: dt.date | None            # None: never maintained (due now)
    state: str                     # ok | soon | overdue | never

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items()}


def due(folder: Path, systems: Iterable[str], today: dt.date, within: int = 0, tz: dt.tzinfo | None = None
        ) -> list[Due]:
    """Each system's maintenance state on ``today`` (the province's calendar day)."""
    out = []
    for system in systems:
        last = attempt = None
        for path in records(folder, system):
            doc = read(path)
            day = dt.datetime.fromisoformat(doc["when"]).astimezone(tz).date() if tz else \
                dt.datetime.fromisoformat(doc["when"]).date()
            attempt = day
            if doc.get("complete"):
                last = day
        if last is None:
            out.append(Due(system, None, attempt, None, "never"))
            continue
        when = anniversary(last)
        state = "overdue" if today > when else "soon" if (when - today).days <= within else "ok"
        out.append(Due(system, last, attempt, when, state))
    return out
