"""Judges of the Huawei VRPv8 routers (platform ``huawei_vrp``): they read what
:meth:`gbtt.drivers.huawei_vrp.VrpDriver.ask` answers, the text of a ``display`` command as the
router prints it, or the parsed result of a ``ping``.  Signature: ``judge(answer, ctx)`` ->
:class:`gbtt.checks.Verdict` (see gbtt/checks.py).  The thresholds are those of the IOS
routers (checks/judges/cisco_ios.py): one province, one standard.  An answer a judge cannot read
(not the output of the command it expects) raises ValueError: the check is an ``error``, never
a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gbtt.checks import Verdict, judge

#: interface errors: CRC or input errors above this share of the input packets fail (0.1 %)
ERROR_SHARE_FAIL = 0.001
#: ... or above this many, whatever the traffic
ERROR_COUNT_FAIL = 1000
#: the reference of a router that keeps its own time (``ntp-service refclock-master``)
LOCAL_CLOCKS = ("LOCAL(0)", "LOCAL", "LOCL", "127.127.1.0")


# =========================================================================================
# NTP
# =========================================================================================

def ntp_synchronised(answer: str, ctx) -> Verdict:
    """``display ntp-service status``: ``clock status: synchronized`` to a server (pass; the
    value is the stratum and the server), to the router's own clock (warn), ``unsynchronized``
    (fail)."""
    text = str(answer)
    status = re.search(r"^\s*clock status:\s*(\S+)", text, re.M | re.I)
    stratum = re.search(r"^\s*clock stratum:\s*(\d+)", text, re.M | re.I)
    reference = re.search(r"^\s*reference clock ID:\s*(.+?)\s*$", text, re.M | re.I)
    if not status or not stratum:
        raise ValueError(f"not the output of display ntp-service status: {text.strip()[:200]!r}")
    evidence = "\n".join(line.strip() for line in text.strip().splitlines()[:3])
    if status.group(1).lower() != "synchronized":
        return Verdict("fail", f"unsynchronised (stratum {stratum.group(1)})", evidence)
    source = reference.group(1) if reference else "unknown"
    value = f"stratum {stratum.group(1)}, {source}"
    if source.replace(" ", "") in LOCAL_CLOCKS:
        return Verdict("warn", value, evidence + "\nsynchronised to its own clock, not to a server")
    return Verdict("pass", value, evidence)


# =========================================================================================
# Interface errors
# =========================================================================================

@dataclass
class Counters:
    """The counters of one interface of ``display interface``."""

    name: str
    up: bool                     # current state UP, line protocol UP
    address: str | None = None   # "10.23.15.11/24"
    packets_in: int = 0
    input_errors: int = 0        # CRC, Symbol, Overrun, LongPacket, Jabber, Alignment, Fragment, Undersized
    crc: int = 0
    output_errors: int = 0       # Underrun
    output_drops: int = 0        # Lost, Overflow
    input_drops: int = 0         # logical interfaces: "N errors,N drops" under Input
    lines: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return max(self.input_errors, self.crc)

    @property
    def any(self) -> bool:
        return any((self.input_errors, self.crc, self.output_errors, self.output_drops, self.input_drops))

    def summary(self) -> str:
        parts = [f"{self.input_errors} input errors ({self.crc} CRC)"]
        if self.output_errors:
            parts.append(f"{self.output_errors} output errors")
        if self.output_drops or self.input_drops:
            parts.append(f"{self.output_drops} output drops, {self.input_drops} input drops")
        return f"{self.name}: " + ", ".join(parts) + f" in {self.packets_in} packets"


_HEADER = re.compile(r"^(\S+) current state : (Administratively DOWN|UP|DOWN)")
_PROTOCOL = re.compile(r"^Line protocol current state : (UP|DOWN)")
_INPUT_ERRORS = ("CRC", "Symbol", "Overrun", "LongPacket", "Jabber", "Alignment", "Fragment", "Undersized Frame")
_COUNTER = re.compile(r"([A-Za-z][A-Za-z ]*?): (\d+) packets")


def parse_interfaces(text: str) -> list[Counters]:
    """Every interface of ``display interface`` with its counters (the physical form, ``CRC: N
    packets, Symbol: N packets`` …, and the logical one, ``N errors,N drops``)."""
    found: list[Counters] = []
    section = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        header = _HEADER.match(line)
        if header:
            found.append(Counters(header.group(1), header.group(2) == "UP", lines=[line]))
            section = ""
            continue
        if not found:
            continue
        current = found[-1]
        protocol = _PROTOCOL.match(line)
        if protocol:
            current.up = current.up and protocol.group(1) == "UP"
            current.lines.append(line)
            continue
        address = re.match(r"^Internet Address is (\S+)", line)
        if address:
            current.address = address.group(1)
            continue
        physical = re.match(r"^\s+Input: \d+ bytes, (\d+) packets", line)     # physical ports
        logical = re.match(r"^\s+Input: (\d+) packets,\s*\d+ bytes", line)    # logical interfaces
        if physical or logical:
            current.packets_in = int((physical or logical).group(1))
            current.lines.append(line)
            section = "input"
            continue
        if re.match(r"^\s+Input:\s*$", line):
            section = "input"
            continue
        if re.match(r"^\s+Output:", line):
            section = "output"
            continue
        logical = re.match(r"^\s+(\d+) errors,\s*(\d+) drops", line)
        if logical:
            errors, drops = int(logical.group(1)), int(logical.group(2))
            if section == "input":
                current.input_errors += errors
                current.input_drops += drops
            else:
                current.output_errors += errors
                current.output_drops += drops
            if errors or drops:
                current.lines.append(line)
            continue
        counters = dict((name.strip(), int(value)) for name, value in _COUNTER.findall(line))
        shown = False
        for name, value in counters.items():
            if section == "input" and name in _INPUT_ERRORS:
                current.input_errors += value
                if name == "CRC":
                    current.crc = value
                shown = True
            elif section == "output" and name == "Underrun":
                current.output_errors += value
                shown = True
            elif section == "output" and name in ("Lost", "Overflow"):
                current.output_drops += value
                shown = True
        if shown:
            current.lines.append(line)
    return found


def interface_errors(answer: str, ctx) -> Verdict:
    """``display interface``, on every interface up with an address (the cabled port among
    them): fail when its CRC or input errors exceed :data:`ERROR_SHARE_FAIL` of its input
    packets or :data:`ERROR_COUNT_FAIL`; warn on any error or drop; pass when every counter is 0."""
    interfaces = parse_interfaces(str(answer))
    if not interfaces:
        raise ValueError(f"not the output of display interface: {str(answer).strip()[:200]!r}")
    judged = [i for i in interfaces if i.up and i.address]
    if not judged:
        down = ", ".join(f"{i.name} ({'up' if i.up else 'down'}, {i.address or 'no address'})" for i in interfaces)
        return Verdict("fail", "no interface up with an address", down)
    failing = [i for i in judged if i.errors > ERROR_COUNT_FAIL or i.errors > ERROR_SHARE_FAIL * i.packets_in]
    noisy = [i for i in judged if i.any]
    evidence = "\n".join(line for i in (noisy or judged) for line in i.lines)
    if not noisy:
        return Verdict("pass", "no errors or drops on " + ", ".join(i.name for i in judged), evidence)
    value = "; ".join(i.summary() for i in noisy)
    if failing:
        why = "; ".join(f"{i.name}: {i.errors} CRC/input errors, more than " +
                        (f"{ERROR_COUNT_FAIL}" if i.errors > ERROR_COUNT_FAIL else
                         f"{ERROR_SHARE_FAIL:.1%} of its {i.packets_in} input packets") for i in failing)
        return Verdict("fail", value, f"{why}\n{evidence}")
    return Verdict("warn", value, evidence)


# =========================================================================================
# The line to the MCU: the ping answer is the same on every router platform
# =========================================================================================

line_to_mcu = judge("common.line_to_mcu")
