"""Judges of the Poly codecs (Poly VideoOS: G7500, Studio X).  They read what
:meth:`gbtt.drivers.poly_group.PolyDriver.ask` answers: the JSON of one ``GET /rest/<path>`` as
the codec gives it (``{get: "system"}`` -> ``{"timeServerState": "TIMESERVER_UP", …}``,
``{get: "system/status"}`` -> ``[{"name": "system.status.sipserver", "stateList": ["up"]}, …]``).
Signature: ``judge(answer, ctx)`` -> :class:`gbtt.checks.Verdict` (see gbtt/checks.py).  The
limits are the Cisco CE judges' (checks/judges/cisco_ce.py): the same check means the same on
every codec.
"""

from __future__ import annotations

import datetime as dt

from gbtt.checks import Verdict, number

#: The people cameras each codec model of the province comes with (``gbtt_model``): the G7500's
#: EagleEye Cube, the Studio X50's built-in camera.  A model not listed is expected to have one,
#: and every further camera it reports connected.
MODEL_CAMERAS = {"Poly G7500": 1, "Poly Studio X50": 1}

#: last-call-quality: a packet loss (in %, either direction) or a jitter (the largest maximum
#: jitter, in ms) *above* the WARN value warns, above the FAIL value fails.
LOSS_WARN_PERCENT = 1.0
LOSS_FAIL_PERCENT = 5.0
JITTER_WARN_MS = 30.0
JITTER_FAIL_MS = 100.0

_NTP_MEANING = {
    "TIMESERVER_DOWN": "the codec cannot reach or use its time server",
    "TIMESERVER_OFF": "time synchronisation (NTP) is off",
}


def _plural(count: int, what: str) -> str:
    return f"{count} {what}" + ("" if count == 1 else "s")


def _status(items: list, name: str) -> str:
    """The first state of ``system.status.<name>`` in ``GET /rest/system/status`` ("" if none)."""
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == f"system.status.{name}":
            states = item.get("stateList") or item.get("state") or [""]
            return str(states[0]) if states else ""
    return ""


def peripherals(answers: list, ctx) -> Verdict:
    """Every people camera of the model connected, at least one microphone connected.
    ``answers``: ``GET /rest/cameras/near/all``, ``GET /rest/audio``.  (The REST API reports no
    display status: displays are not judged.)"""
    cameras_answer, audio = answers
    people = {int(c["cameraIndex"]): c for c in cameras_answer or []
              if isinstance(c, dict) and c.get("sourceType") == "SRC_PEOPLE" and "cameraIndex" in c}
    connected = sorted(n for n, c in people.items() if c.get("connected"))
    expected = max(MODEL_CAMERAS.get(str(ctx.variables.get("gbtt_model")), 1), max(connected, default=0))
    missing = [f"camera {n} " + ("not detected" if n not in people else "not connected")
               for n in range(1, expected + 1) if not people.get(n, {}).get("connected")]
    microphones = audio.get("numOfMicsConnected") if isinstance(audio, dict) else None
    if not isinstance(microphones, int) or microphones < 1:
        missing.append("no microphone connected" if isinstance(microphones, int)
                       else "the codec did not report its microphones")
    evidence = "\n".join(
        [f"camera {n} ({c.get('name', '')}{', ' + c['model'] if c.get('model') else ''}): "
         f"{'connected' if c.get('connected') else 'not connected'}" for n, c in sorted(people.items())]
        + [f"microphones connected: {microphones}"])
    if missing:
        return Verdict("fail", "; ".join(missing), evidence)
    return Verdict("pass", f"{_plural(expected, 'camera')}, {_plural(microphones, 'microphone')}", evidence)


def call_registration(answers: list, ctx) -> Verdict:
    """SIP registered, or, when SIP is off, H.323 registered with its gatekeeper.  ``answers``:
    ``GET /rest/system/status`` (``system.status.sipserver``, ``system.status.gatekeeper``),
    ``GET /rest/system/sipservers``."""
    status, servers = answers
    sip, gatekeeper = _status(status, "sipserver"), _status(status, "gatekeeper")
    servers = [s for s in servers or [] if isinstance(s, dict)]
    evidence = "\n".join([f"system.status.sipserver: {sip or '?'}", f"system.status.gatekeeper: {gatekeeper or '?'}"]
                         + [f"SIP server {s.get('address', '')}: {s.get('state', '')}" for s in servers])
    address = next((str(s.get("address")) for s in servers if s.get("address")), "")
    if sip == "up":
        return Verdict("pass", f"SIP registered ({address})" if address else "SIP registered", evidence)
    if sip not in ("", "off"):
        return Verdict("fail", f"SIP {sip}" + (f" (registrar {address})" if address else ""), evidence)
    if gatekeeper == "up":
        return Verdict("pass", "H.323 registered", evidence)
    if gatekeeper in ("", "off"):
        return Verdict("fail", "not registered: neither SIP nor H.323 is in use", evidence)
    return Verdict("fail", f"H.323 gatekeeper {gatekeeper}", evidence)


def ntp_synchronised(answer: dict, ctx) -> Verdict:
    """``GET /rest/system``: ``timeServerState: TIMESERVER_UP``."""
    answer = answer if isinstance(answer, dict) else {}
    state = str(answer.get("timeServerState") or "")
    lines = [f"timeServerState: {state or '?'}"]
    if isinstance(answer.get("systemTime"), (int, float)):
        when = dt.datetime.fromtimestamp(answer["systemTime"] / 1000, dt.timezone.utc)
        lines.append(f"systemTime: {when.isoformat(timespec='seconds')}")
    evidence = "\n".join(lines)
    if state == "TIMESERVER_UP":
        return Verdict("pass", "synchronised (TIMESERVER_UP)", evidence)
    meaning = _NTP_MEANING.get(state, "the codec did not report its time server state" if not state else "")
    return Verdict("fail", state or "not reported", f"{meaning}\n{evidence}".strip())


def last_call_quality(answer: list, ctx) -> Verdict:
    """The packet loss and jitter of the last call (``GET /rest/calllog/cdr?limit=1``: the
    newest row of the call detail report): the worse direction counts; warn above
    :data:`LOSS_WARN_PERCENT` or :data:`JITTER_WARN_MS`, fail above :data:`LOSS_FAIL_PERCENT` or
    :data:`JITTER_FAIL_MS`."""
    rows = [r for r in answer or [] if isinstance(r, dict)] if isinstance(answer, list) else []
    if not rows:
        return Verdict("n/a", "no call yet", "the call detail report is empty")
    row = rows[0]
    started = row.get("startTime")
    when = (dt.datetime.fromtimestamp(started / 1000, dt.timezone.utc).isoformat(timespec="seconds")
            if isinstance(started, (int, float)) else "?")
    call = (f"call {row.get('rowId', '?')} ({row.get('callDirection', '')} {row.get('callNumber1', '')}) at "
            f"{when}, {row.get('callDuration', '?')} s, {row.get('disconnectInfo', '')}")
    figures = ("avgPercentPacketLossTx", "avgPercentPacketLossRx", "maxJitterTx", "maxJitterRx")
    if not any(k in row for k in figures):
        if not row.get("callDuration"):
            return Verdict("n/a", "last call carried no media", f"{call}\nthe call never connected")
        return Verdict("n/a", "no media statistics", f"{call}\nthe report gives no packet loss or jitter")
    loss = max(number(row.get(k)) or 0.0 for k in figures[:2])
    jitter = max(number(row.get(k)) or 0.0 for k in figures[2:])
    value = f"{loss:g} % loss, {jitter:g} ms jitter"
    evidence = call + "".join(
        f"\n{direction}: {row.get('avgPacketsLost' + d, '?')} packets lost ({row.get('avgPercentPacketLoss' + d, '?')} %), "
        f"jitter avg {row.get('avgJitter' + d, '?')} ms, max {row.get('maxJitter' + d, '?')} ms"
        for direction, d in (("received", "Rx"), ("sent", "Tx")))
    for status, max_loss, max_jitter in (("fail", LOSS_FAIL_PERCENT, JITTER_FAIL_MS),
                                         ("warn", LOSS_WARN_PERCENT, JITTER_WARN_MS)):
        if loss > max_loss or jitter > max_jitter:
            return Verdict(status, value, f"{evidence}\n{status}: above {max_loss:g} % loss or "
                                          f"{max_jitter:g} ms jitter")
    return Verdict("pass", value, evidence)
