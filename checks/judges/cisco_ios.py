"""Judges of the Cisco IOS XE routers (platform ``cisco_ios``): they read what
:meth:`gbtt.drivers.cisco_ios.IosDriver.ask` answers, the text of a ``show`` command as the
router prints it, or the parsed result of a ``ping``.  Signature: ``judge(answer, ctx)`` ->
:class:`gbtt.checks.Verdict` (see gbtt/checks.py).  An answer a judge cannot read (not the
output of the command it expects) raises ValueError: the check is an ``error``, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gbtt.checks import Verdict, judge

#: interface errors: CRC or input errors above this share of the input packets fail (0.1 %)
ERROR_SHARE_FAIL = 0.001
#: ... or above this many, whatever the traffic
ERROR_COUNT_FAIL = 1000
#: the reference of a router that keeps its own time (``ntp master``): not a time source
LOCAL_CLOCK = "127.127.1.1"


# =========================================================================================
# NTP
# =========================================================================================

def ntp_synchronised(answer: str, ctx) -> Verdict:
    """``show ntp status``: synchronised to a server (pass; the value is the stratum and the
    server); to the router's own clock (warn); unsynchronised or NTP off (fail)."""
    text = str(answer)
    evidence = "\n".join(text.strip().splitlines()[:3])
    if re.search(r"^%NTP is not enabled", text, re.M):
        return Verdict("fail", "NTP not enabled", evidence)
    synced = re.search(r"^Clock is synchronized, stratum (\d+), reference is (\S+)", text, re.M)
    if synced:
        stratum, reference = synced.groups()
        value = f"stratum {stratum}, {reference}"
        if reference == LOCAL_CLOCK:
            return Verdict("warn", value, evidence + "\nsynchronised to its own clock (ntp master), not to a server")
        return Verdict("pass", value, evidence)
    unsynced = re.search(r"^Clock is unsynchronized, stratum (\d+)", text, re.M)
    if unsynced:
        return Verdict("fail", f"unsynchronised (stratum {unsynced.group(1)})", evidence)
    raise ValueError(f"not the output of show ntp status: {evidence[:200]!r}")


# =========================================================================================
# Interface errors
# =========================================================================================

@dataclass
class Counters:
    """The counters of one interface of ``show interfaces``."""

    name: str
    up: bool                     # up, line protocol up
    address: str | None          # "10.23.14.11/24"
    packets_in: int = 0
    input_errors: int = 0
    crc: int = 0
    output_errors: int = 0
    output_drops: int = 0        # Total output drops
    input_drops: int = 0         # Input queue drops
    lines: tuple[str, ...] = ()  # the lines that show them

    @property
    def errors(self) -> int:
        """Input errors count CRC errors: the larger of the two."""
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


_HEADER = re.compile(r"^(\S+) is (up|down|administratively down|deleted), line protocol is (\w+)")
_FIELDS = {
    "packets_in": re.compile(r"^\s+(\d+) packets input"),
    "input_errors": re.compile(r"^\s+(\d+) input errors"),
    "crc": re.compile(r"input errors, (\d+) CRC"),
    "output_errors": re.compile(r"^\s+(\d+) output errors"),
    "output_drops": re.compile(r"Total output drops: (\d+)"),
    "input_drops": re.compile(r"Input queue: \d+/\d+/(\d+)/\d+"),
}


def parse_interfaces(text: str) -> list[Counters]:
    """Every interface of ``show interfaces`` with its counters."""
    found: list[Counters] = []
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            found.append(Counters(header.group(1), header.group(2) == "up" and header.group(3) == "up", None,
                                  lines=(line.rstrip(),)))
            continue
        if not found:
            continue
        current = found[-1]
        address = re.match(r"^\s+Internet address is (\S+)", line)
        if address:
            current.address = address.group(1)
        shown = False
        for name, regex in _FIELDS.items():
            value = regex.search(line)
            if value:
                setattr(current, name, int(value.group(1)))
                shown = True
        if shown:
            current.lines += (line.rstrip(),)
    return found


def interface_errors(answer: str, ctx) -> Verdict:
    """``show interfaces``, on every interface up with an address (the uplink among them):
    fail when its CRC or input errors exceed :data:`ERROR_SHARE_FAIL` of its input packets or
    :data:`ERROR_COUNT_FAIL`; warn on any error or drop; pass when every counter is 0."""
    interfaces = parse_interfaces(str(answer))
    if not interfaces:
        raise ValueError(f"not the output of show interfaces: {str(answer).strip()[:200]!r}")
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
