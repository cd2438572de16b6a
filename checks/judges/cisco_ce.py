"""Judges of the Cisco CE/RoomOS codecs.  They read what :meth:`gbtt.drivers.cisco_ce.CeDriver.ask`
answers: path -> value, spelt as the codec spells them (``{"Cameras Camera 1 Connected": "True"}``
for ``{status: "Cameras"}``; ``{"Entry 0 Audio Incoming PacketLossPercent": "0.40", …}`` for
``{command: "CallHistory Get …"}``).  Signature: ``judge(answer, ctx)`` ->
:class:`gbtt.checks.Verdict` (see gbtt/checks.py).
"""

from __future__ import annotations

import re

from gbtt.checks import Verdict, number

#: The cameras each codec model of the province comes with (``gbtt_model``): the Room Kit's
#: integrated camera; the Room Kit Pro's Quad Camera and PTZ 4K.  A model not listed is expected
#: to have every camera it reports, and at least one.
MODEL_CAMERAS = {"Cisco Webex Room Kit": 1, "Cisco Webex Room Kit Pro": 2}

#: last-call-quality: a packet loss (in %, on any medium and direction) or a jitter (the largest
#: ``MaxJitter``, in ms) *above* the WARN value warns, above the FAIL value fails.
LOSS_WARN_PERCENT = 1.0
LOSS_FAIL_PERCENT = 5.0
JITTER_WARN_MS = 30.0
JITTER_FAIL_MS = 100.0

_NTP_MEANING = {
    "NotSynced": "the codec is not synchronised with an NTP server",
    "Discarded": "the NTP server's time was discarded (unreachable, unsynchronised or too far off)",
    "Unknown": "the codec does not know its NTP state",
    "Off": "NTP is off",
}


def _instances(answer: dict, pattern: str) -> dict[int, str]:
    """Instance number -> value of the paths matching ``pattern`` (its group 1: the number)."""
    regex = re.compile(pattern)
    return {int(m[1]): value for path, value in answer.items() if (m := regex.fullmatch(path))}


def _lines(answer: dict, pattern: str = ".*") -> str:
    """The answer's paths matching ``pattern``, as the codec's terminal shows them."""
    regex = re.compile(pattern)
    return "\n".join(f"{path}: {value}" for path, value in answer.items() if regex.fullmatch(path))


def _plural(count: int, what: str) -> str:
    return f"{count} {what}" + ("" if count == 1 else "s")


def peripherals(answers: list[dict], ctx) -> Verdict:
    """Every camera of the model connected, at least one microphone and one display connected.
    ``answers``: ``xStatus Cameras``, ``Audio Input Connectors Microphone``, ``Video Output
    Connector``."""
    cameras_status, microphones_status, outputs_status = answers
    cameras = _instances(cameras_status, r"Cameras Camera (\d+) Connected")
    expected = max(MODEL_CAMERAS.get(str(ctx.variables.get("gbtt_model")), 1),
                   max(cameras, default=0))
    missing = [f"camera {n} " + ("not detected" if n not in cameras else "not connected")
               for n in range(1, expected + 1) if cameras.get(n) != "True"]
    microphones = _instances(microphones_status,
                             r"Audio Input Connectors Microphone (\d+) ConnectionStatus")
    heard = sorted(n for n, state in microphones.items() if state == "Connected")
    if not heard:
        missing.append(f"no microphone connected ({len(microphones)} input(s))")
    displays = _instances(outputs_status, r"Video Output Connector (\d+) Connected")
    shown = sorted(n for n, state in displays.items() if state == "True")
    if not shown:
        missing.append(f"no display connected ({len(displays)} output(s))")
    evidence = "\n".join(filter(None, (
        _lines(cameras_status, r"Cameras Camera \d+ (Connected|Model)"),
        _lines(microphones_status, r"Audio Input Connectors Microphone \d+ ConnectionStatus"),
        _lines(outputs_status, r"Video Output Connector \d+ (Connected|ConnectedDevice Name)"))))
    if missing:
        return Verdict("fail", "; ".join(missing), evidence)
    return Verdict("pass", f"{_plural(expected, 'camera')}, {_plural(len(heard), 'microphone')}, "
                           f"{_plural(len(shown), 'display')}", evidence)


def call_registration(answers: list[dict], ctx) -> Verdict:
    """SIP registered, or, when SIP is off (``Inactive``), H.323 registered with the gatekeeper.
    ``answers``: ``xStatus SIP``, ``xStatus H323``."""
    sip_status, h323_status = answers
    sip = _instances(sip_status, r"SIP Registration (\d+) Status")
    gatekeeper = h323_status.get("H323 Gatekeeper Status", "")
    evidence = "\n".join(filter(None, (_lines(sip_status, r"SIP (Registration|Proxy) \d+ .*"),
                                       _lines(h323_status, r"H323 Gatekeeper .*"))))
    for n, state in sorted(sip.items()):
        if state == "Registered":
            uri = sip_status.get(f"SIP Registration {n} URI", "")
            return Verdict("pass", f"SIP registered ({uri})", evidence)
    if sip and any(state != "Inactive" for state in sip.values()):
        n, state = next((n, s) for n, s in sorted(sip.items()) if s != "Inactive")
        reason = sip_status.get(f"SIP Registration {n} Reason", "")
        return Verdict("fail", f"SIP {state}" + (f": {reason}" if reason else ""), evidence)
    if gatekeeper == "Registered":
        address = h323_status.get("H323 Gatekeeper Address", "")
        return Verdict("pass", f"H.323 registered ({address})", evidence)
    if gatekeeper in ("", "Inactive"):
        return Verdict("fail", "not registered: neither SIP nor H.323 is in use", evidence)
    reason = h323_status.get("H323 Gatekeeper Reason", "")
    return Verdict("fail", f"H.323 {gatekeeper}" + (f": {reason}" if reason else ""), evidence)


def ntp_synchronised(answer: dict, ctx) -> Verdict:
    """``xStatus NetworkServices NTP Status: Synced``."""
    state = answer.get("NetworkServices NTP Status", "")
    evidence = _lines(answer)
    if state == "Synced":
        server = answer.get("NetworkServices NTP CurrentAddress", "")
        return Verdict("pass", f"Synced ({server})" if server else "Synced", evidence)
    meaning = _NTP_MEANING.get(state, "the codec did not report an NTP status" if not state else "")
    return Verdict("fail", state or "not reported", f"{meaning}\n{evidence}".strip())


def last_call_quality(answer: dict, ctx) -> Verdict:
    """The packet loss and jitter of the last call (``CallHistory Get Limit: 1 DetailLevel:
    Full``): the worst medium and direction counts; warn above :data:`LOSS_WARN_PERCENT` or
    :data:`JITTER_WARN_MS`, fail above :data:`LOSS_FAIL_PERCENT` or :data:`JITTER_FAIL_MS`."""
    entry = {path[len("Entry 0 "):]: value for path, value in answer.items()
             if path.startswith("Entry 0 ")}
    if not entry:
        return Verdict("n/a", "no call yet", "the call history is empty")
    remote = entry.get("RemoteNumber") or entry.get("CallbackNumber", "")
    call = (f"call {entry.get('CallHistoryId', '?')} ({entry.get('Direction', '')} {remote}) at "
            f"{entry.get('StartTime', '?')}, {entry.get('Duration', '?')} s, "
            f"{entry.get('DisconnectCauseType', '')}")
    stats: dict[str, dict[str, str]] = {}
    for path, value in entry.items():
        m = re.fullmatch(r"(.+) (PacketLoss|PacketLossPercent|MaxJitter)", path)
        if m:
            stats.setdefault(m[1], {})[m[2]] = value
    if not stats:
        return Verdict("n/a", "no media statistics", f"{call}\nthe call history gives no packet "
                                                      "loss or jitter (asked with DetailLevel: Full?)")
    packets = [number(s.get("PacketLoss", "").partition("/")[2]) for s in stats.values()]
    if all(p is not None for p in packets) and not sum(packets):
        return Verdict("n/a", "last call carried no media", f"{call}\nno packets sent or received")
    loss = max(number(s.get("PacketLossPercent")) or 0.0 for s in stats.values())
    jitter = max(number(s.get("MaxJitter")) or 0.0 for s in stats.values())
    value = f"{loss:g} % loss, {jitter:g} ms jitter"
    evidence = call + "".join(f"\n{channel}: {s.get('PacketLoss', '?')} packets lost "
                              f"({s.get('PacketLossPercent', '?')} %), "
                              f"max jitter {s.get('MaxJitter', '?')} ms" for channel, s in stats.items())
    for status, max_loss, max_jitter in (("fail", LOSS_FAIL_PERCENT, JITTER_FAIL_MS),
                                         ("warn", LOSS_WARN_PERCENT, JITTER_WARN_MS)):
        if loss > max_loss or jitter > max_jitter:
            return Verdict(status, value, f"{evidence}\n{status}: above {max_loss:g} % loss or "
                                          f"{max_jitter:g} ms jitter")
    return Verdict("pass", value, evidence)
