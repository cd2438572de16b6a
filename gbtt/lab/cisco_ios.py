"""The simulated Cisco IOS XE router (ISR 1100 / 4000 class) of the embedded lab.

An :class:`IosRouter` answers the lines typed into an SSH session the way an IOS XE 17 router
does, so that the router role and its drivers (stock netmiko ``cisco_ios``, stock NAPALM
``ios``) can be developed and tested against the lab.  The lab core does the SSH transport
(login, PTY, echo, CR LF, SCP into ``flash:`` through :meth:`IosRouter.read_file`,
:meth:`~IosRouter.write_file`, :meth:`~IosRouter.list_files`); this module only answers lines,
so it can be tested without sockets.

What is simulated
-----------------
* The factory configuration (``gbtt lab reset``): hostname = the inventory host, the uplink
  GigabitEthernet0/0/0 on the registry address (/24, default route to the first host of the
  subnet), NTP (``facts.extra["ntp_servers"]``, else ``<a>.<b>.0.10``), SSH and SCP, the
  archive NAPALM's ``revert_in`` needs, ``enable secret`` = ``facts.extra["enable_secret"]``,
  a user ``gbtt`` (privilege 1); the ports of the model (ISR 1100 ``-4P``: two routed ports,
  four switch ports and Vlan1).
* The command line: user exec (``host>``), privileged exec (``host#``, reached with ``enable``
  and the configured ``enable secret``, not echoed (``IosShell.echo``); a wrong secret gives
  ``% Access denied``), global
  configuration (``host(config)#``, the hostname cut at 20 characters as IOS does) and its
  sub-modes: interface, line, archive, archive log, control-plane, class-map, policy-map and its
  classes, standard and extended named access lists.  Keywords may be abbreviated
  (``sh ip int br``, ``conf t``, ``wr``); an unknown word gives ``% Invalid input detected at
  '^' marker.`` with the caret under it, a short line ``% Incomplete command.``, an ambiguous
  abbreviation ``% Ambiguous command``, an unknown first word in exec mode ``Translating
  "…"`` / ``% Unknown command …``.  A sub-mode falls back to global configuration as on IOS
  (``hostname x`` typed under an interface works; a value the sub-mode refuses, as ``class X``
  without its class map, is an error there), ``do`` runs exec commands, ``exit``,
  ``end`` and Ctrl-Z leave.  Output filters ``| include``, ``exclude``, ``begin``, ``section``,
  ``count`` (Python regular expressions).
* The configuration: a grammar of what a router template needs (see ``_GLOBAL`` and the
  sub-mode grammars below: hostname, interfaces and addresses, static routes, NTP, clock
  timezone, DNS, logging, usernames and type 9 secrets, SSH/SCP, SNMP, banners, lines, archive,
  ``file prompt``, AAA method lists, QoS class maps and (hierarchical) policy maps with
  ``service-policy``, named access lists, ...).  A line outside the grammar is rejected like a
  typo on a real router, and so is a reference IOS refuses: a policy-map ``class`` without its
  class map, a ``service-policy`` without its policy map, ``aaa`` commands without ``aaa
  new-model``, more than 100 percent of priority and bandwidth in a policy map; a class map or
  policy map in use cannot be removed.  Access list entries are numbered as IOS XE shows them
  (``10 permit …``, 10 after the last one unless a number is given) and written the IOS way
  (``host A`` in a standard list is ``A``, wildcard bits cleared, port and protocol names).
  The running configuration is kept as IOS shows it (``self.state["running"]``): canonical
  keywords and interface names, IOS order, ``!`` separators, ``no ip address`` and the other
  displayed ``no`` forms, physical interfaces that cannot be removed.
* Files on ``flash:`` (``self.state["flash"]``, name -> text; binary files in
  ``state["flash_binary"]`` as base64): ``dir`` (``Directory of flash:/``, ``bytes total (…
  bytes free)``), ``verify /md5``, ``more``, ``copy`` between running-config,
  startup-config, ``null:`` and files, ``delete``, ``write memory``; the ``Destination
  filename […]?`` and ``[confirm]`` questions unless ``file prompt quiet``; ``tclsh`` enough
  for netmiko's InLineTransfer (``puts [open "flash:…" w+] {…}``; other lines go to the exec
  parser, as in IOS tclsh).
* NAPALM's configuration workflow: ``show archive config differences`` (the contextual diff,
  ``!Contextual Config Diffs:``, ``+``/``-`` lines under their unchanged parent), ``show
  archive config incremental-diffs`` and ``copy <file> running-config`` (merge),
  ``configure replace <file> [force] [revert trigger [error] [timer N] | time N]``: all or nothing, a file
  with a line the grammar rejects fails (``…could not be applied…``, ``The original
  configuration has been successfully restored.``) and leaves the running configuration as it
  was; Rollback Confirmed Change: a replace (or ``configure terminal revert timer N``) with a
  timer reverts after N lab minutes unless ``configure confirm``; ``configure revert now|timer
  N``, ``show archive config rollback timer``, ``show archive``, ``archive config``.
* Show commands: ``version`` (hostname, uptime, IOS XE version = the registry baseline,
  model as a PID, serial), ``running-config [interface …]``, ``startup-config``,
  ``interfaces`` (IOS counters: packets since boot, ``input errors``, ``CRC``, ``frame``,
  ``output errors``, ``Total output drops``), ``ip interface [brief]``, ``ip route``
  (connected, local and static routes whose next hop is reachable), ``hosts``, ``clock``
  (``*`` before an unsynchronised time), ``ntp status`` (``Clock is synchronized, stratum 3,
  reference is …`` or ``Clock is unsynchronized, stratum 16, no reference clock``), ``ntp
  associations``, ``privilege``, ``snmp chassis``.  ``ping ADDRESS [repeat N] [size N]
  [timeout N] [source …]`` (or an ``ip host`` name) succeeds for the addresses of the router
  and of lab devices it has a route to (``!!!!!``, ``Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2
  ms``), and fails (``.....``, ``Success rate is 0 percent (0/5)``) for anything else.
* Faults: ``reboot`` (running = startup, a pending revert is dropped: it reverts), ``drift``
  (``["hostname", "x"]`` or configuration lines), ``expire`` (a pending revert fires now).
* Health faults, for the maintenance checks: ``drift`` with these words (``gbtt lab fault
  HOST drift line loss 10 latency 180``), kept in ``state["health"]`` (they survive ``gbtt
  lab down``/``up`` and a reboot; ``gbtt lab reset`` ends them, as does ``drift clear``):

  ``line loss P latency MS`` (either or both; ``line clear``)
      the WAN line: echoes beyond the site (to anything but the router itself and its own
      endpoint's codec: the system's MCU and the rest of the province) lose P percent (the
      share of echoes, which ones chosen by a generator seeded with the router, the address
      and the count: the same ping gives the same answer) and come back after about MS
      milliseconds (±10 %; an echo slower than the ping's timeout is lost);
  ``errors [crc N] [input N] [output N] [drops N] [packets N]`` (``errors clear``)
      the uplink's counters in ``show interfaces``: ``input`` errors (at least the CRC
      errors; the rest show as ``frame``), ``CRC``, ``output errors``, ``Total output drops``,
      ``packets`` more packets input and output than the traffic since boot;
  ``ntp unsynced`` (``ntp synced``)
      no configured NTP server answers: ``show ntp status`` unsynchronised, stratum 16;
  ``version X.Y.Z`` (``version clear``: the registry's baseline again)
      the router runs another IOS XE version (``show version``, and the ``version`` line of
      the configuration names its train, as after a reload into it);
  ``clear``
      every health fault ends.

  ``line vty 0 4`` or ``ntp server …`` stay configuration lines.  ``gbtt lab fault HOST
  clear`` ends the core's transport faults only.  The lab core's ``latency`` fault slows the
  SSH session itself, not the line.

What is not
-----------
No protocol runs: no routing protocol, ARP, CDP/LLDP, SNMP agent, DNS or NTP (a configured NTP
server is reported synchronised unless the ``ntp unsynced`` fault); only the first routed port
has a cable.  Traffic is a steady 3 packets a second on the uplink; no counter but what a
health fault sets ever counts an error, and ``clear counters`` is not known.  A ping takes no
time, whatever the latency it reports.  No context help
(``?``), completion, paging (``terminal length`` is accepted), history, privilege levels
other than 1 and 15, IPv6, VRFs, secondary addresses, ``reload`` (the ``reboot`` fault
does it) or software installation.  AAA, access lists and QoS are configuration only: nothing
is authenticated, filtered (``access-class`` lets every lab login in) or queued, and there is
no ``show access-lists`` or ``show policy-map``.  IOS's whitespace quirks in the running
configuration (``match  dscp``, ``deny   any``, the deeper indentation of a ``service-policy``
under ``shape``) are not reproduced: lines are shown single-spaced.  Type 5 and 8 secrets are
kept but never match; logins are the core's (the ``username`` lines are not checked).  Nothing is logged to syslog.  A
``tclsh`` knows ``puts [open …]`` and ``tclquit``; any other line goes to the exec parser.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from gbtt.lab.device import Device, Facts, Lab, Shell, Timer

DEFAULT_MODEL = "ISR1111-4P"
DEFAULT_SOFTWARE = "17.09.05"
FLASH_TOTAL = 2_931_817_472          # 2863103K bytes of flash memory at bootflash:
FLASH_SYSTEM_USE = 1_138_163_712     # the IOS XE image and packages, never listed
NVRAM_SIZE = 33_554_432


# =========================================================================================
# The command grammar
# =========================================================================================
# A pattern is a line of words: lowercase (or literal) keywords, which may be abbreviated, and
# placeholders for values.  ``[x y]`` is optional, ``{a|b}`` a choice.

_PLACEHOLDERS = frozenset({"WORD", "LINE", "A.B.C.D", "MASK", "IFNAME", "DSCP", "PORT"})
_RANGE = re.compile(r"<(-?\d+)-(-?\d+)>")
_PATTERN_TOKEN = re.compile(r"[\[\]{}|]|[^\s\[\]{}|]+")
_IPV4 = re.compile(r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


@functools.lru_cache(maxsize=None)
def _is_keyword(element: str) -> bool:
    return element not in _PLACEHOLDERS and not _RANGE.fullmatch(element)


def _expand(pattern: str) -> list[tuple[str, ...]]:
    """Every flat word sequence a pattern allows."""
    tokens = _PATTERN_TOKEN.findall(pattern)
    position = 0

    def sequence(stop: set[str]) -> list[tuple[str, ...]]:
        nonlocal position
        results: list[tuple[str, ...]] = [()]
        while position < len(tokens) and tokens[position] not in stop:
            token = tokens[position]
            position += 1
            if token == "[":
                options = [(), *alternatives("]")]
            elif token == "{":
                options = alternatives("}")
            else:
                options = [(token,)]
            results = [done + option for done in results for option in options]
        return results

    def alternatives(closer: str) -> list[tuple[str, ...]]:
        nonlocal position
        found: list[tuple[str, ...]] = []
        while True:
            found += sequence({"|", closer})
            token = tokens[position]
            position += 1
            if token == closer:
                return found

    return sequence(set())


def _is_ipv4(token: str) -> bool:
    return bool(_IPV4.fullmatch(token))


def _is_mask(token: str) -> bool:
    if not _is_ipv4(token):
        return False
    inverted = ~int(ipaddress.IPv4Address(token)) & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


@dataclass(eq=False)
class Rule:
    """One command of a mode: its pattern, expanded once."""

    pattern: str
    sequences: list[tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.sequences = _expand(self.pattern)


@dataclass
class Match:
    """A line the grammar accepted: the rule and the line's words in canonical form (keywords
    spelled out, interface names expanded; a ``LINE`` value is the raw rest of the line)."""

    rule: Rule
    words: list[str]
    columns: list[int]

    @property
    def line(self) -> str:
        return " ".join(self.words)


class CommandError(Exception):
    """A line IOS rejects.  ``kind`` is ``invalid`` (``column``: where the caret goes),
    ``incomplete``, ``ambiguous`` or ``message`` (``text`` is what IOS says)."""

    def __init__(self, kind: str, column: int = 0, text: str = ""):
        super().__init__(text or kind)
        self.kind = kind
        self.column = column
        self.text = text

    def render(self, indent: int) -> str:
        """What IOS prints, for a line typed after a prompt ``indent`` characters wide."""
        if self.kind == "invalid":
            return " " * (indent + self.column) + "^\n% Invalid input detected at '^' marker.\n\n"
        if self.kind == "incomplete":
            return "% Incomplete command.\n\n"
        if self.kind == "ambiguous":
            return f'% Ambiguous command:  "{self.text}"\n'
        return self.text + "\n"


def match(rules: list, line: str, interfaces: "Interfaces", *, prefix_ok: bool = False,
          offset: int = 0) -> Match:
    """The rule a line means.  ``prefix_ok`` accepts a line that stops after the words that
    name a setting (``no ip address``); ``offset`` is where ``line`` starts in what was typed
    (error columns count from there)."""
    spans = [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]
    candidates = [(rule, seq) for rule in rules for seq in rule.sequences]
    words: list[str] = []
    columns: list[int] = []
    for index, (column, token) in enumerate(spans):
        candidates = [(rule, seq) for rule, seq in candidates if len(seq) > index]
        if not candidates:
            raise CommandError("invalid", offset + column)
        keywords = {seq[index] for _, seq in candidates if _is_keyword(seq[index])}
        lowered = token.lower()
        chosen = [k for k in keywords if k.lower() == lowered] or \
                 [k for k in keywords if k.lower().startswith(lowered)]
        columns.append(offset + column)
        if len(chosen) == 1:
            candidates = [(rule, seq) for rule, seq in candidates if seq[index] == chosen[0]]
            words.append(chosen[0])
            continue
        if len(chosen) > 1:
            raise CommandError("ambiguous", offset + column, line.strip())
        values = [(rule, seq, _value(seq[index], token, interfaces)) for rule, seq in candidates
                  if not _is_keyword(seq[index]) and seq[index] != "LINE"]
        values = [(rule, seq, value) for rule, seq, value in values if value is not None]
        if values:
            candidates = [(rule, seq) for rule, seq, _ in values]
            words.append(values[0][2])
            continue
        rest = [rule for rule, seq in candidates if seq[index] == "LINE"]
        if rest:
            words.append(line[column:].rstrip())
            return Match(rest[0], words, columns)
        raise CommandError("invalid", offset + column)
    count = len(spans)
    for rule, seq in candidates:
        if len(seq) == count:
            return Match(rule, words, columns)
    if prefix_ok:
        for rule, seq in candidates:
            if count >= (getattr(rule, "key", None) or len(seq)):
                return Match(rule, words, columns)
    raise CommandError("incomplete")


def _value(element: str, token: str, interfaces: "Interfaces") -> str | None:
    """The canonical value of ``token`` for a placeholder, or None if it does not fit."""
    if element == "WORD":
        return token
    if element == "A.B.C.D":
        return token if _is_ipv4(token) else None
    if element == "MASK":
        return token if _is_mask(token) else None
    if element == "IFNAME":
        return interfaces.resolve(token)
    if element == "DSCP":
        return dscp_name(token)
    if element == "PORT":
        return _port_value(token)
    low, high = (int(bound) for bound in _RANGE.fullmatch(element).groups())
    if re.fullmatch(r"-?\d+", token) and low <= int(token) <= high:
        return str(int(token))
    return None


#: DSCP names IOS shows for the code points that have one (``match dscp 46`` shows ``ef``)
DSCP_NAMES = {0: "default", 46: "ef",
              **{8 * n: f"cs{n}" for n in range(1, 8)},
              **{8 * c + 2 * d: f"af{c}{d}" for c in range(1, 5) for d in range(1, 4)}}
_DSCP_VALUES = {name: value for value, name in DSCP_NAMES.items()}


def dscp_name(token: str) -> str | None:
    """A DSCP value as IOS shows it: the name for a named code point, else the number (0-63)."""
    lowered = token.lower()
    if lowered in _DSCP_VALUES:
        return lowered
    if re.fullmatch(r"\d+", token) and int(token) <= 63:
        return DSCP_NAMES.get(int(token), str(int(token)))
    return None


#: the port names IOS knows, per protocol (it shows a number with a name as the name)
PORT_NAMES = {
    "tcp": {20: "ftp-data", 21: "ftp", 23: "telnet", 25: "smtp", 49: "tacacs", 53: "domain", 80: "www",
            110: "pop3", 179: "bgp", 389: "ldap"},
    "udp": {49: "tacacs", 53: "domain", 67: "bootps", 68: "bootpc", 69: "tftp", 123: "ntp", 161: "snmp",
            162: "snmptrap", 500: "isakmp", 514: "syslog", 4500: "non500-isakmp"},
}
_PORT_WORDS = {name for names in PORT_NAMES.values() for name in names.values()}


def _port_value(token: str) -> str | None:
    if token.lower() in _PORT_WORDS:
        return token.lower()
    if re.fullmatch(r"\d+", token) and int(token) <= 65535:
        return str(int(token))
    return None


# =========================================================================================
# Interfaces of the hardware
# =========================================================================================

class Interfaces:
    """The router's interface names: its physical ports (from the model: an ISR 1100 ``-4P``
    has two routed ports and four switch ports) and the virtual kinds one may create."""

    TYPES = ("Loopback", "Tunnel", "GigabitEthernet", "Vlan")   # their order in the config

    def __init__(self, pid: str):
        self.routed = ("GigabitEthernet0/0/0", "GigabitEthernet0/0/1")
        ports = re.search(r"-(\d+)P$", pid)
        self.switched = tuple(f"GigabitEthernet0/1/{n}" for n in range(int(ports.group(1)) if ports else 0))

    @property
    def physical(self) -> tuple[str, ...]:
        return self.routed + self.switched

    @property
    def cabled(self) -> str:
        """The one port with a cable: the uplink."""
        return self.routed[0]

    def resolve(self, token: str) -> str | None:
        """The full name of an interface (``gi0/0/0`` -> ``GigabitEthernet0/0/0``), if it can exist."""
        found = re.fullmatch(r"([A-Za-z-]+)([\d/]+)", token)
        if not found:
            return None
        prefix, number = found.groups()
        types = [t for t in self.TYPES if t.lower().startswith(prefix.lower()) and (t != "Vlan" or self.switched)]
        if len(types) != 1:
            return None
        kind = types[0]
        if kind == "GigabitEthernet":
            return kind + number if kind + number in self.physical else None
        if not number.isdigit():
            return None
        low, high = (1, 4094) if kind == "Vlan" else (0, 2147483647)
        return f"{kind}{int(number)}" if low <= int(number) <= high else None

    def kind(self, name: str) -> str:
        """routed, switched, loopback, tunnel or vlan."""
        if name in self.switched:
            return "switched"
        if name in self.routed:
            return "routed"
        return re.match(r"[A-Za-z]+", name).group().lower()

    def sort_key(self, name: str) -> tuple:
        kind = re.match(r"[A-Za-z-]+", name).group()
        return (self.TYPES.index(kind), tuple(int(n) for n in re.findall(r"\d+", name)))


# =========================================================================================
# The configuration grammar
# =========================================================================================

@dataclass(eq=False)
class ConfigRule(Rule):
    """A configuration command.

    ``key``: how many leading words name the setting (``hostname`` 1, ``ip address`` 2); a
    new value replaces the line with the same key, ``no`` + key removes it.  None: the whole
    line is the key (many lines may coexist).  ``enters``: the sub-mode of a section header.
    ``negation``: ``remove`` (``no x`` removes x), ``keep`` (``no x`` is shown, as ``no ip
    address``) or ``default`` (x is the default and shown as nothing: ``ip domain lookup``).
    ``check`` returns what IOS says about a value it refuses; ``canonical`` rewrites the words
    as IOS stores them (secrets are hashed).  ``spaced``: a ``!`` line follows the section.
    ``keyer``: the key of a setting whose naming words are not the leading ones (``class-map
    match-any NAME`` is named by NAME).  ``requires`` checks a line against the rest of the
    configuration (a ``class`` of a policy map needs its class map) and returns the error;
    ``in_use`` says why a section cannot be removed (a class map a policy map uses).
    ``implies``: lines IOS adds with this one (``aaa new-model`` brings ``aaa session-id
    common``); ``clears``: the first word of the global lines that go when it is negated."""

    key: int | None = None
    enters: str | None = None
    negation: str = "remove"
    check: Callable[[list[str]], str | None] | None = None
    canonical: Callable[[list[str]], list[str]] | None = None
    spaced: bool = True
    keyer: Callable[[list[str]], tuple[str, ...]] | None = None
    requires: Callable[[Config, Node, Match], CommandError | None] | None = None
    in_use: Callable[[Config, tuple[str, ...]], str | None] | None = None
    implies: tuple[str, ...] = ()
    clears: str | None = None
    group: int = field(default=0, init=False)
    order: int = field(default=0, init=False)

    def key_of(self, words: list[str]) -> tuple[str, ...]:
        if self.keyer:
            return self.keyer(words)
        return tuple(words[: self.key] if self.key else words)


@dataclass
class Mode:
    name: str
    prompt: str                      # "config-if"
    rules: list[ConfigRule]
    sequenced: bool = False          # lines carry sequence numbers (access list entries)


def _mode(name: str, prompt: str, *entries: ConfigRule | str, sequenced: bool = False) -> Mode:
    """A mode from its rules in running-config order; "!" separates groups of lines."""
    rules: list[ConfigRule] = []
    group = 0
    for entry in entries:
        if entry == "!":
            group += 1
            continue
        entry.group, entry.order = group, len(rules)
        rules.append(entry)
    return Mode(name, prompt, rules, sequenced)


_CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@functools.lru_cache(maxsize=256)
def type9(secret: str, salt: str | None = None) -> str:
    """An IOS type 9 (scrypt) hash; the salt is derived from the secret unless given, so that
    configuring the same secret twice gives the same line."""
    if salt is None:
        salt = "".join(_CISCO64[b % 64] for b in hashlib.sha256(secret.encode()).digest()[:14])
    digest = hashlib.scrypt(secret.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
    encoded = base64.b64encode(digest).decode().rstrip("=").translate(str.maketrans(_STD64, _CISCO64))
    return f"$9${salt}${encoded}"


def type9_matches(secret: str, hashed: str) -> bool:
    found = re.fullmatch(r"\$9\$([^$]+)\$[^$]+", hashed)
    return bool(found) and type9(secret, found.group(1)) == hashed


def _hashed_secret(words: list[str], at: int) -> list[str]:
    """``… secret [0] clear`` -> ``… secret 9 $9$…``; hashed forms stay as they are."""
    rest = words[at:]
    if len(rest) == 1:
        return [*words[:at], "9", type9(rest[0])]
    if rest[0] == "0":
        return [*words[:at], "9", type9(rest[1])]
    return words


def _enable_secret(words: list[str]) -> list[str]:
    return _hashed_secret(words, 2)


def _username_secret(words: list[str]) -> list[str]:
    return _hashed_secret(words, words.index("secret") + 1) if "secret" in words else words


def _check_hostname(words: list[str]) -> str | None:
    if not re.fullmatch(r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", words[1]):
        return "% Hostname contains one or more illegal characters."
    return None


def _check_address(words: list[str]) -> str | None:
    address = ipaddress.IPv4Interface(f"{words[2]}/{words[3]}")
    network = address.network
    if network.prefixlen < 31 and address.ip in (network.network_address, network.broadcast_address):
        return f"Bad mask /{network.prefixlen} for address {words[2]}"
    return None


def banner_delimiter(line: str) -> tuple[str, int] | None:
    """The delimiter of a ``banner <kind> <d>text<d>`` line and where the text starts."""
    found = re.match(r"\s*banner\s+\S+\s+", line, re.I)
    if not found or found.end() >= len(line):
        return None
    rest = line[found.end():]
    delimiter = "^C" if rest.startswith("^C") else rest[0]
    return delimiter, found.end() + len(delimiter)


def banner_complete(line: str) -> bool:
    found = banner_delimiter(line)
    return found is None or line.find(found[0], found[1]) >= 0


def _banner(words: list[str]) -> list[str]:
    """Banner text between any delimiter -> between ``^C``, as IOS shows it."""
    raw = words[2]
    delimiter = "^C" if raw.startswith("^C") else raw[0]
    end = raw.find(delimiter, len(delimiter))
    if end < 0:
        raise CommandError("incomplete")
    return [words[0], words[1], "^C" + raw[len(delimiter):end] + "^C"]


# -- AAA, QoS and access lists: what a line needs from the rest of the configuration -------

def _section(config: Config, kind: str, name: str) -> Node | None:
    """The global section ``kind`` (``class-map``, ``policy-map``) named ``name``."""
    return next((node for node in config.root.children if node.key == (kind, name)), None)


def _needs_aaa(config: Config, parent: Node, found: Match) -> CommandError | None:
    """Without ``aaa new-model`` IOS knows no other ``aaa`` command."""
    if config.root.child("aaa new-model") is None:
        return CommandError("invalid", found.columns[1])
    return None


def _needs_class_map(config: Config, parent: Node, found: Match) -> CommandError | None:
    name = found.words[1]
    if name != "class-default" and _section(config, "class-map", name) is None:
        return CommandError("message", text=f"% class-map {name} not configured")
    return None


def _needs_policy_map(config: Config, parent: Node, found: Match) -> CommandError | None:
    name = found.words[-1]
    if _section(config, "policy-map", name) is None:
        return CommandError("message", text=f"policy map {name} not configured")
    return None


def _percent(words: list[str]) -> int:
    """The share of the link a ``priority``/``bandwidth percent`` line reserves (0 for others)."""
    if words[0] in ("priority", "bandwidth") and "percent" in words and "remaining" not in words:
        return int(words[words.index("percent") + 1])
    return 0


def _bandwidth_fits(config: Config, parent: Node, found: Match) -> CommandError | None:
    """A class has ``priority`` or ``bandwidth``, not both; the ``priority`` and ``bandwidth
    percent`` of the classes of a policy map add up to 100 at most."""
    other = "bandwidth" if found.words[0] == "priority" else "priority"
    if any(line.key[:1] == (other,) for line in parent.children):
        return CommandError("message",
                            text=f"% Cannot configure {found.words[0]} and {other} in the same class")
    policy = next((node for node in config.root.children if any(c is parent for c in node.children)), None)
    total = _percent(found.words)
    for section in policy.children if policy else []:
        for line in section.children:
            if section is not parent or line.key[:1] != (found.words[0],):
                total += _percent(line.text.split())
    if total > 100:
        return CommandError("message", text="% Sum total of class bandwidths exceeds 100 percent")
    return None


def _class_map_in_use(config: Config, key: tuple[str, ...]) -> str | None:
    for policy in config.root.children:
        if policy.key[:1] == ("policy-map",) and policy.child(f"class {key[1]}"):
            return f"% Class-map {key[1]} is being used"
    return None


def _policy_map_in_use(config: Config, key: tuple[str, ...]) -> str | None:
    for section in config.root.children:
        users = section.children + [line for child in section.children for line in child.children]
        if any(line.key[:1] == ("service-policy",) and line.text.split()[-1] == key[1] for line in users):
            return f"% Policy map {key[1]} is being used"
    return None


def _class_map(words: list[str]) -> list[str]:
    """``class-map NAME`` is ``class-map match-all NAME``."""
    return [words[0], "match-all", words[1]] if len(words) == 2 else words


def _snmp_community(words: list[str]) -> list[str]:
    """A community without ``RO``/``RW`` is read-only, and shown so."""
    if len(words) == 3 or words[3] not in ("RO", "RW"):
        return [*words[:3], "RO", *words[3:]]
    return words


_PROTOCOL_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ahp", 89: "ospf", 103: "pim"}


def _acl_address(tokens: list[str], standard: bool) -> list[str]:
    """An address of an access list entry as IOS shows it: ``any``, ``host A`` (a standard list:
    ``A``) or ``A W`` with the wildcard bits of ``A`` cleared."""
    if tokens[0] == "any":
        return ["any"]
    address, wildcard = (tokens[1], "0.0.0.0") if tokens[0] == "host" else \
        (tokens[0], tokens[1] if len(tokens) > 1 else "0.0.0.0")
    bits = int(ipaddress.IPv4Address(wildcard))
    network = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(address)) & ~bits & 0xFFFFFFFF))
    if bits == 0xFFFFFFFF:
        return ["any"]
    if bits == 0:
        return [network] if standard else ["host", network]
    return [network, wildcard]


def _standard_entry(words: list[str]) -> list[str]:
    log = words[-1:] == ["log"]
    return [words[0], *_acl_address(words[1:len(words) - log], standard=True), *(["log"] if log else [])]


def _extended_entry(words: list[str]) -> list[str]:
    """``permit tcp A W [ports] B W [ports] …`` as IOS shows it: protocol and port names, hosts."""
    protocol = _PROTOCOL_NAMES.get(int(words[1]), words[1]) if words[1].isdigit() else words[1]
    out, index = [words[0], protocol], 2
    for _ in range(2):                                     # source, then destination
        size = 1 if words[index] == "any" else 2
        out += _acl_address(words[index:index + size], standard=False)
        index += size
        if index < len(words) and words[index] in ("eq", "neq", "lt", "gt", "range"):
            count = 2 if words[index] == "range" else 1
            names = PORT_NAMES.get(protocol, {})
            out += [words[index], *(names.get(int(p), p) if p.isdigit() else p
                                    for p in words[index + 1:index + 1 + count])]
            index += 1 + count
    return out + words[index:]


_LEVELS = "{emergencies|alerts|critical|errors|warnings|notifications|informational|debugging}"
_AUTHENTICATION = "{local|local-case|enable|line|none|group WORD}"
_AUTHORIZATION = "{local|if-authenticated|none|group WORD}"

_GLOBAL = _mode(
    "global", "config",
    ConfigRule("version WORD", key=1),
    "!",
    ConfigRule("service timestamps {debug|log} datetime msec [localtime] [show-timezone] [year]", key=3),
    ConfigRule("service {password-encryption|tcp-keepalives-in|tcp-keepalives-out|sequence-numbers}"),
    ConfigRule("service pad", negation="keep"),
    ConfigRule("platform qfp utilization monitor load <1-100>", key=5),
    ConfigRule("platform punt-keepalive disable-kernel-core"),
    "!",
    ConfigRule("hostname WORD", key=1, check=_check_hostname),
    "!",
    ConfigRule("boot-start-marker"),
    ConfigRule("boot-end-marker"),
    "!",
    ConfigRule(f"logging buffered <4096-2147483647> [{_LEVELS}]", key=2),
    ConfigRule(f"logging console [{_LEVELS}]", key=2, negation="keep"),
    ConfigRule("enable secret [{0|5|8|9}] WORD", key=2, canonical=_enable_secret),
    "!",
    ConfigRule("aaa new-model", negation="keep", implies=("aaa session-id common",), clears="aaa"),
    ConfigRule(f"aaa authentication login {{default|WORD}} {_AUTHENTICATION} [{_AUTHENTICATION}]", key=4,
               requires=_needs_aaa),
    ConfigRule(f"aaa authorization exec {{default|WORD}} {_AUTHORIZATION} [{_AUTHORIZATION}]", key=4,
               requires=_needs_aaa),
    ConfigRule("aaa session-id {common|unique}", key=2, requires=_needs_aaa),
    ConfigRule("clock timezone WORD <-23-23> [<0-59>]", key=2),
    "!",
    ConfigRule("ip name-server A.B.C.D", key=3),
    ConfigRule("ip domain lookup", negation="default"),
    ConfigRule("ip domain name WORD", key=3),
    ConfigRule("ip host WORD A.B.C.D", key=3),
    "!",
    ConfigRule("login {on-success|on-failure} log"),
    "!",
    ConfigRule("username WORD [privilege <0-15>] {secret [{0|5|8|9}] WORD|password [{0|7}] WORD}",
               key=2, canonical=_username_secret),
    "!",
    ConfigRule("file prompt {quiet|noisy}", key=2),
    ConfigRule("archive", enters="archive"),
    "!",
    ConfigRule("class-map [{match-any|match-all}] WORD", enters="class-map", spaced=False,
               canonical=_class_map, keyer=lambda words: (words[0], words[-1]), in_use=_class_map_in_use),
    "!",
    ConfigRule("policy-map WORD", key=2, enters="policy-map", spaced=False, in_use=_policy_map_in_use),
    "!",
    ConfigRule("interface IFNAME", key=2, enters="interface"),
    "!",
    ConfigRule("ip forward-protocol nd"),
    ConfigRule("ip http server", negation="keep"),
    ConfigRule("ip http secure-server", negation="keep"),
    ConfigRule("ip http authentication local", key=3),
    ConfigRule("ip route A.B.C.D MASK {A.B.C.D|IFNAME} [<1-255>] [name WORD] [permanent]", key=5),
    ConfigRule("ip route A.B.C.D MASK IFNAME A.B.C.D [<1-255>] [name WORD] [permanent]", key=6),
    ConfigRule("ip ssh version {1|2}", key=3),
    ConfigRule("ip ssh time-out <1-120>", key=3),
    ConfigRule("ip ssh authentication-retries <0-5>", key=3),
    ConfigRule("ip ssh source-interface IFNAME", key=3),
    ConfigRule("ip scp server enable"),
    "!",
    ConfigRule("ip access-list standard WORD", key=4, enters="acl-standard"),
    ConfigRule("ip access-list extended WORD", key=4, enters="acl-extended"),
    "!",
    ConfigRule(f"logging trap {_LEVELS}", key=2),
    ConfigRule("logging source-interface IFNAME", key=2),
    ConfigRule("logging host A.B.C.D", key=3),
    "!",
    ConfigRule("snmp-server community WORD [{RO|RW}] [WORD]", key=3, canonical=_snmp_community),
    ConfigRule("snmp-server location LINE", key=2),
    ConfigRule("snmp-server contact LINE", key=2),
    ConfigRule("snmp-server chassis-id LINE", key=2),
    "!",
    ConfigRule("cdp run", negation="default"),
    ConfigRule("lldp run"),
    "!",
    ConfigRule("control-plane", enters="control-plane"),
    "!",
    ConfigRule("banner exec LINE", key=2, canonical=_banner),
    ConfigRule("banner login LINE", key=2, canonical=_banner),
    ConfigRule("banner motd LINE", key=2, canonical=_banner),
    "!",
    ConfigRule("line {con|aux} 0", enters="line", spaced=False),
    ConfigRule("line vty <0-1869> [<0-1869>]", enters="line", spaced=False),
    "!",
    ConfigRule("ntp source IFNAME", key=2),
    ConfigRule("ntp server A.B.C.D [prefer] [source IFNAME]", key=3),
)

_INTERFACE = _mode(
    "interface", "config-if",
    ConfigRule("description LINE", key=1),
    ConfigRule("bandwidth <1-10000000>", key=1),
    ConfigRule("mtu <1500-9216>", key=1),
    ConfigRule("ip address A.B.C.D MASK", key=2, negation="keep", check=_check_address),
    ConfigRule("ip nat {inside|outside}", key=2),
    ConfigRule("ip tcp adjust-mss <500-1460>", key=3),
    ConfigRule("tunnel source IFNAME", key=2),
    ConfigRule("tunnel destination A.B.C.D", key=2),
    ConfigRule("load-interval <30-600>", key=1),
    ConfigRule("shutdown", key=1),
    ConfigRule("speed {10|100|1000|auto}", key=1),
    ConfigRule("duplex {auto|full|half}", key=1),
    ConfigRule("negotiation auto", key=2, negation="keep"),
    ConfigRule("service-policy {input|output} WORD", key=2, requires=_needs_policy_map),
)

_SWITCHPORT = _mode(
    "switchport", "config-if",
    ConfigRule("description LINE", key=1),
    ConfigRule("switchport access vlan <1-4094>", key=3),
    ConfigRule("switchport mode {access|trunk}", key=2),
    ConfigRule("load-interval <30-600>", key=1),
    ConfigRule("shutdown", key=1),
    ConfigRule("speed {10|100|1000|auto}", key=1),
    ConfigRule("duplex {auto|full|half}", key=1),
)

_LINE = _mode(
    "line", "config-line",
    ConfigRule("session-timeout <0-35791>", key=1),
    ConfigRule("access-class WORD {in|out} [vrf-also]", keyer=lambda words: (words[0], words[2])),
    ConfigRule("exec-timeout <0-35791> [<0-2147483>]", key=1),
    ConfigRule("privilege level <0-15>", key=2),
    ConfigRule("logging synchronous", key=2),
    ConfigRule("password [{0|7}] WORD", key=1),
    ConfigRule("login [{local|authentication WORD}]", key=1),
    ConfigRule("stopbits {1|1.5|2}", key=1),
    ConfigRule("transport input {all|none|ssh|telnet} [{ssh|telnet}]", key=2),
    ConfigRule("transport output {all|none|ssh|telnet} [{ssh|telnet}]", key=2),
)

_ARCHIVE = _mode(
    "archive", "config-archive",
    ConfigRule("log config", enters="archive-log"),
    ConfigRule("path WORD", key=1),
    ConfigRule("maximum <1-14>", key=1),
    ConfigRule("write-memory", key=1),
    ConfigRule("time-period <1-525600>", key=1),
)

_ARCHIVE_LOG = _mode(
    "archive-log", "config-archive-log-cfg",
    ConfigRule("logging enable", key=2),
    ConfigRule("logging size <1-1000>", key=2),
    ConfigRule("notify syslog [contenttype {plaintext|xml}]", key=2),
    ConfigRule("hidekeys", key=1),
)

_CONTROL_PLANE = _mode("control-plane", "config-cp")

_CLASS_MAP = _mode(
    "class-map", "config-cmap",
    ConfigRule("description LINE", key=1),
    ConfigRule("match [ip] dscp DSCP [DSCP [DSCP [DSCP [DSCP [DSCP [DSCP [DSCP]]]]]]]"),
    ConfigRule("match [ip] precedence <0-7>"),
    ConfigRule("match access-group {<1-2799>|name WORD}"),
    ConfigRule("match any"),
)

_POLICY_MAP = _mode(
    "policy-map", "config-pmap",
    ConfigRule("description LINE", key=1),
    ConfigRule("class WORD", key=2, enters="policy-class", spaced=False, requires=_needs_class_map),
)

_POLICY_CLASS = _mode(
    "policy-class", "config-pmap-c",
    ConfigRule("priority [level <1-2>] [{percent <1-100>|<8-20000000> [<32-2000000>]}]", key=1,
               requires=_bandwidth_fits),
    ConfigRule("bandwidth {<8-20000000>|percent <1-100>|remaining {percent <1-100>|ratio <1-1000>}}", key=1,
               requires=_bandwidth_fits),
    ConfigRule("shape average {<8000-10000000000>|percent <1-100>}", key=2),
    ConfigRule("set [ip] dscp DSCP", keyer=lambda words: ("set", "dscp")),
    ConfigRule("set cos <0-7>", key=2),
    ConfigRule("fair-queue", key=1),
    ConfigRule("random-detect [dscp-based]", key=1),
    ConfigRule("queue-limit <1-8192000> [{packets|bytes|ms|us}]", key=1),
    # not checked: a child policy map shown after its parent must parse back
    ConfigRule("service-policy WORD", key=1),
)

_ACL_ADDRESS = "{any|host A.B.C.D|A.B.C.D A.B.C.D}"
_ACL_PORTS = "[{eq|neq|lt|gt} PORT|range PORT PORT]"

_ACL_STANDARD = _mode(
    "acl-standard", "config-std-nacl",
    ConfigRule("{permit|deny} {any|host A.B.C.D|A.B.C.D [A.B.C.D]} [log]", canonical=_standard_entry),
    ConfigRule("remark LINE"),
    sequenced=True,
)

_ACL_EXTENDED = _mode(
    "acl-extended", "config-ext-nacl",
    ConfigRule(f"{{permit|deny}} tcp {_ACL_ADDRESS} {_ACL_PORTS} {_ACL_ADDRESS} {_ACL_PORTS} "
               "[established] [dscp DSCP] [log]", canonical=_extended_entry),
    ConfigRule(f"{{permit|deny}} udp {_ACL_ADDRESS} {_ACL_PORTS} {_ACL_ADDRESS} {_ACL_PORTS} "
               "[dscp DSCP] [log]", canonical=_extended_entry),
    ConfigRule(f"{{permit|deny}} {{ip|icmp|gre|esp|ahp|ospf|pim|<0-255>}} {_ACL_ADDRESS} {_ACL_ADDRESS} "
               "[dscp DSCP] [log]", canonical=_extended_entry),
    ConfigRule("remark LINE"),
    sequenced=True,
)

MODES = {mode.name: mode for mode in (_GLOBAL, _INTERFACE, _SWITCHPORT, _LINE, _ARCHIVE, _ARCHIVE_LOG,
                                      _CONTROL_PLANE, _CLASS_MAP, _POLICY_MAP, _POLICY_CLASS,
                                      _ACL_STANDARD, _ACL_EXTENDED)}

#: lines of a configuration file that are no configuration
_NOT_CONFIG = re.compile(r"!|Building configuration|Current configuration :|Using \d+ out of \d+ bytes")


# =========================================================================================
# The configuration model
# =========================================================================================

@dataclass(eq=False)
class Node:
    """A configuration line and, for a section header, the lines under it."""

    text: str                            # canonical, without indentation (a banner spans lines)
    rule: ConfigRule | None = None       # None: a line no grammar knows (kept only for diffs)
    key: tuple[str, ...] = ()
    mode: str | None = None              # the sub-mode a section header opens
    children: list[Node] = field(default_factory=list)

    def lines(self, depth: int = 0) -> Iterator[str]:
        yield " " * depth + self.text
        for child in self.children:
            yield from child.lines(depth + 1)

    def child(self, text: str) -> Node | None:
        return next((node for node in self.children if node.text == text), None)


class Config:
    """A configuration as IOS holds it: lines in canonical form, in IOS order."""

    def __init__(self, interfaces: Interfaces):
        self.interfaces = interfaces
        self.root = Node("", mode="global")

    # -- reading and writing ------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, interfaces: Interfaces, *, lenient: bool = False) -> tuple[Config, list]:
        """A configuration from a file; see :meth:`load`."""
        config = cls(interfaces)
        errors, _ = config.load(text, lenient=lenient)
        return config, errors

    def load(self, text: str, *, lenient: bool = False) -> tuple[list[tuple[str, CommandError]], list]:
        """Apply the lines of a configuration file (indentation gives the sections).

        Returns the rejected lines with their errors and what was applied: (path of section
        headers, line, whether it changed anything).  The children of a rejected section header
        are skipped.  ``lenient`` keeps rejected lines as they are (for comparing files)."""
        errors: list[tuple[str, CommandError]] = []
        applied: list[tuple[tuple[str, ...], str, bool]] = []
        stack: list[tuple[int, Node]] = [(-1, self.root)]
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        index = 0
        while index < len(lines):
            raw = lines[index].rstrip()
            index += 1
            stripped = raw.strip()
            if not stripped or _NOT_CONFIG.match(stripped):
                continue
            indent = len(raw) - len(raw.lstrip())
            if stripped == "end" and indent == 0:
                break
            while stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1]
            while not banner_complete(stripped) and index < len(lines):
                stripped += "\n" + lines[index]
                index += 1
            if parent is not self.root and parent.rule is None:      # under a rejected header
                if lenient:
                    node = Node(stripped, key=(stripped,))
                    parent.children.append(node)
                    stack.append((indent, node))
                continue
            try:
                section, changed = self.apply(parent, stripped)
            except CommandError as error:
                errors.append((stripped, error))
                section = Node(stripped, key=(stripped,))
                if lenient:
                    parent.children.append(section)
            else:
                path = tuple(node.text for _, node in stack[1:])
                applied.append((path, stripped, changed))
            if section is not None:
                stack.append((indent, section))
        return errors, applied

    def render(self) -> str:
        """The configuration as ``show running-config`` prints it, from the first ``!`` to ``end``."""
        out = ["!"]

        def separate() -> None:
            if out[-1] != "!":
                out.append("!")

        def group(node: Node) -> int | None:
            return node.rule.group if node.rule else None

        previous: Node | None = None
        for node in self.root.children:
            spaced_section = node.mode is not None and node.rule.spaced
            if previous is None or group(node) != group(previous) or spaced_section:
                separate()
            out.extend(node.lines())
            if spaced_section:
                separate()
            previous = node
        separate()
        out.append("end")
        return "\n".join(out) + "\n"

    def copy(self) -> Config:
        return Config.parse(self.render(), self.interfaces)[0]

    # -- queries ------------------------------------------------------------------------
    def nodes(self, first_word: str, parent: Node | None = None) -> list[Node]:
        """The lines (of ``parent``, default: global) whose first word is ``first_word``."""
        return [n for n in (parent or self.root).children if n.key[:1] == (first_word,)]

    def value(self, *key: str, parent: Node | None = None) -> list[str] | None:
        """The words after ``key`` of the line with that key (``value("hostname")``)."""
        for node in (parent or self.root).children:
            if node.key[: len(key)] == key and not node.text.startswith("no "):
                return node.text.split()[len(key):]
        return None

    @property
    def hostname(self) -> str:
        value = self.value("hostname")
        return value[0] if value else "Router"

    def interface(self, name: str) -> Node | None:
        return self.root.child(f"interface {name}")

    def chain(self, path: list[str]) -> list[Node]:
        """The section headers a configuration-mode path names, from the root (as far as they
        still exist)."""
        nodes = [self.root]
        for text in path:
            node = nodes[-1].child(text)
            if node is None:
                break
            nodes.append(node)
        return nodes

    # -- changing -----------------------------------------------------------------------
    def apply(self, parent: Node, line: str) -> tuple[Node | None, bool]:
        """Apply one line in the mode of ``parent``: returns the section it opens (or None) and
        whether the configuration changed.  Raises CommandError (and changes nothing)."""
        negation = re.match(r"\s*no\s+", line, re.I)
        offset = negation.end() if negation else len(line) - len(line.lstrip())
        if negation is None and line.strip().lower() == "no":
            raise CommandError("incomplete")
        mode = MODES[parent.mode]
        sequence = None
        if mode.sequenced:                      # an access list entry: [sequence] entry
            numbered = re.match(r"(\d+)(\s+|$)", line[offset:])
            if numbered:
                sequence = int(numbered.group(1))
                if not 1 <= sequence <= 2147483647:
                    raise CommandError("invalid", offset)
                offset += numbered.end()
                if not line[offset:].strip():
                    if negation:
                        return None, self._remove_entry(parent, sequence=sequence)
                    raise CommandError("incomplete")
        found = match(mode.rules, line[offset:], self.interfaces,
                      prefix_ok=negation is not None and not mode.sequenced, offset=offset)
        rule: ConfigRule = found.rule
        if negation:
            if mode.sequenced:
                words = rule.canonical(found.words) if rule.canonical else found.words
                return None, self._remove_entry(parent, text=" ".join(words))
            return None, self._remove(parent, rule, found.words)
        if rule.requires and (error := rule.requires(self, parent, found)):
            raise error
        words = rule.canonical(found.words) if rule.canonical else found.words
        if rule.check and (problem := rule.check(words)):
            raise CommandError("message", text=problem)
        if mode.sequenced:
            return None, self._set_entry(parent, rule, words, sequence)
        return self._set(parent, rule, words)

    def _set(self, parent: Node, rule: ConfigRule, words: list[str]) -> tuple[Node | None, bool]:
        key = rule.key_of(words)
        text = " ".join(words)
        same = [n for n in parent.children if n.rule is rule and n.key == key]
        if rule.enters:
            if same:
                if same[0].text != text:        # class-map match-all X over class-map match-any X
                    raise CommandError("message", text=f"% {same[0].text} already exists")
                return same[0], False
            section = Node(text, rule, key, mode=self._mode_of(rule, words))
            self._insert(parent, section)
            for default in self._defaults(section):
                self.apply(section, default)
            return section, True
        if rule.negation == "default":
            for node in same:
                parent.children.remove(node)
            return None, bool(same)
        if len(same) == 1 and same[0].text == text:
            return None, False
        self._replace(parent, same, Node(text, rule, key))
        for implied in rule.implies:
            self.apply(parent, implied)
        return None, True

    def _remove(self, parent: Node, rule: ConfigRule, words: list[str]) -> bool:
        key = rule.key_of(words)
        if rule.enters == "interface" and words[1] in self.interfaces.physical:
            raise CommandError("message", text="% Removal of physical interfaces is not permitted")
        same = [n for n in parent.children if n.rule is rule and n.key[: len(key)] == key]
        if same and rule.in_use and (problem := rule.in_use(self, same[0].key)):
            raise CommandError("message", text=problem)
        if rule.clears:
            cleared = [n for n in parent.children if n.rule is not rule and n.key[:1] == (rule.clears,)]
            for node in cleared:
                parent.children.remove(node)
        if rule.negation == "remove":
            for node in same:
                parent.children.remove(node)
            return bool(same)
        negated = Node("no " + " ".join(key), rule, key)
        if len(same) == 1 and same[0].text == negated.text:
            return False
        self._replace(parent, same, negated)
        return True

    # -- access list entries: "<sequence> <entry>", in sequence order -------------------------
    @staticmethod
    def _sequence(node: Node) -> float:
        return int(node.key[0]) if node.rule is not None else float("inf")

    def _set_entry(self, parent: Node, rule: ConfigRule, words: list[str], sequence: int | None) -> bool:
        """An entry goes in at its sequence number, or 10 after the last; IOS ignores an entry
        the list already has and refuses a sequence number in use."""
        text = " ".join(words)
        entries = [node for node in parent.children if node.rule is not None]
        if any(node.text.split(" ", 1)[1] == text for node in entries):
            return False
        if sequence is None:
            sequence = max((int(node.key[0]) for node in entries), default=0) + 10
        elif any(node.key == (str(sequence),) for node in entries):
            raise CommandError("message", text="% Duplicate sequence number")
        node = Node(f"{sequence} {text}", rule, (str(sequence),))
        position = next((i for i, other in enumerate(parent.children) if self._sequence(other) > sequence),
                        len(parent.children))
        parent.children.insert(position, node)
        return True

    def _remove_entry(self, parent: Node, sequence: int | None = None, text: str | None = None) -> bool:
        def chosen(node: Node) -> bool:
            if sequence is not None:
                return node.key == (str(sequence),)
            return node.text.split(" ", 1)[1] == text

        gone = [node for node in parent.children if node.rule is not None and chosen(node)]
        for node in gone:
            parent.children.remove(node)
        return bool(gone)

    def _replace(self, parent: Node, old: list[Node], new: Node) -> None:
        if old:
            parent.children[parent.children.index(old[0])] = new
            for node in old[1:]:
                parent.children.remove(node)
        else:
            self._insert(parent, new)

    def _insert(self, parent: Node, node: Node) -> None:
        position = len(parent.children)
        for index, sibling in enumerate(parent.children):
            if self._sort_key(sibling) > self._sort_key(node):
                position = index
                break
        parent.children.insert(position, node)

    def _sort_key(self, node: Node) -> tuple:
        if node.rule is None:
            return (float("inf"),)
        if node.rule.enters == "interface":
            return (node.rule.order, self.interfaces.sort_key(node.key[1]))
        if node.rule.enters == "policy-class":          # class-default is the last class
            return (node.rule.order, node.key[1] == "class-default")
        return (node.rule.order,)

    def _mode_of(self, rule: ConfigRule, words: list[str]) -> str:
        if rule.enters == "interface" and self.interfaces.kind(words[1]) == "switched":
            return "switchport"
        return rule.enters

    def _defaults(self, section: Node) -> list[str]:
        """What IOS shows in a new interface section."""
        if section.mode != "interface":
            return []
        if self.interfaces.kind(section.key[1]) == "routed":
            return ["no ip address", "negotiation auto"]
        return ["no ip address"]

    def complete(self, version: str) -> None:
        """What a configuration cannot lose: the software version and the physical ports."""
        self.apply(self.root, f"version {version}")
        for name in self.interfaces.physical:
            self.apply(self.root, f"interface {name}")


def contextual_diff(old: Config, new: Config) -> str:
    """``show archive config differences old new``: ``+`` lines only in ``new``, ``-`` lines
    only in ``old``, each under its unchanged parent."""
    added = _diff_lines(old.root.children, new.root.children, "+", 0)
    removed = _diff_lines(new.root.children, old.root.children, "-", 0)
    lines = ["!Contextual Config Diffs:", *added, *removed]
    if not added and not removed:
        lines.append("!No changes were found")
    return "\n".join(lines) + "\n"


def _diff_lines(base: list[Node], other: list[Node], marker: str, depth: int) -> list[str]:
    """The lines of ``other`` that ``base`` lacks."""
    out: list[str] = []
    for node in other:
        twin = next((b for b in base if b.text == node.text), None)
        if twin is None:
            out.extend(_marked(node, marker, depth))
            continue
        inner = _diff_lines(twin.children, node.children, marker, depth + 1)
        if inner:
            out.append(" " * depth + node.text)
            out.extend(inner)
    return out


def _marked(node: Node, marker: str, depth: int) -> Iterator[str]:
    yield " " * depth + marker + node.text
    for child in node.children:
        yield from _marked(child, marker, depth + 1)


# =========================================================================================
# Software and hardware facts
# =========================================================================================

def pid_of(model: str | None) -> str:
    """The product id ``show version`` prints: ``Cisco ISR 1111-4P`` -> ``ISR1111-4P``."""
    name = re.sub(r"^cisco\s+", "", (model or DEFAULT_MODEL).strip(), flags=re.I)
    return name.replace(" ", "").upper()


def short_version(software: str) -> str:
    """``17.09.05`` -> ``17.9.5``, as the Cisco IOS Software line writes it."""
    return ".".join(re.sub(r"^0+(?=\d)", "", part) for part in software.split("."))


def _train(software: str) -> str:
    """The release train name of an IOS XE 16 or 17 version."""
    parts = [int(part) for part in re.findall(r"\d+", software)[:2]] + [0, 0]
    trains = {16: {3: "Denali", 6: "Everest", 9: "Fuji", 12: "Gibraltar"},
              17: {3: "Amsterdam", 6: "Bengaluru", 9: "Cupertino", 12: "Dublin"}}.get(parts[0], {})
    return next((name for last, name in trains.items() if parts[1] <= last), "IOSXE")


_DEFAULT_BANDWIDTH = {"loopback": 8000000, "tunnel": 100}    # Kbit/sec; Ethernet: 1000000


@dataclass
class Port:
    """An interface as ``show interfaces`` sees it."""

    name: str
    kind: str
    description: str
    address: ipaddress.IPv4Interface | None
    shutdown: bool
    up: bool
    bandwidth: int          # Kbit/sec
    mtu: int
    mac: str

    @property
    def status(self) -> str:
        return "administratively down" if self.shutdown else ("up" if self.up else "down")

    @property
    def protocol(self) -> str:
        return "up" if self.up else "down"


@dataclass
class Route:
    code: str               # C, L, S, S*
    network: ipaddress.IPv4Network
    via: str | None = None
    interface: str | None = None
    distance: int = 1


# =========================================================================================
# The router
# =========================================================================================

class IosRouter(Device):
    """A Cisco IOS XE router: its state is the running and startup configurations, ``flash:``
    and a pending Rollback Confirmed Change."""

    platform = "cisco_ios"
    protocol = "ssh"

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        self.interfaces = Interfaces(pid_of(facts.model))
        self._parsed: tuple[str, Config] | None = None
        self._revert_timer: Timer | None = None
        super().__init__(facts, lab, state)
        if state is not None and state.get("revert"):  # the lab stopped while a revert was pending
            self._arm_revert()

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        config, errors = Config.parse(_factory_config(facts), Interfaces(pid_of(facts.model)))
        if errors:
            raise ValueError(f"{facts.host}: factory configuration rejected: {errors[0][0]!r}")
        config.complete(_config_version(facts.software or DEFAULT_SOFTWARE))
        running = config.render()
        return {"running": running, "startup": running, "flash": {}, "flash_binary": {}, "flash_times": {},
                "archives": [], "revert": None, "last_change": None,
                "startup_saved": {"at": time.time(), "by": "console"}}

    def factory_reset(self) -> None:
        """Back to the factory state, made again on first use (as at start): a reset parses
        nothing, where a reboot of the factory state would parse it for every router at once
        (minutes for a lab of thousands).  The factory state boots as it is: running = startup,
        no revert pending."""
        self._cancel_revert()
        self._state = None
        self._parsed = None
        self.booted_at = time.monotonic()

    def reboot(self) -> None:
        super().reboot()
        self._cancel_revert()
        self.state["revert"] = None
        config, _ = Config.parse(self.state.get("startup", ""), self.interfaces)
        config.complete(self.config_version)
        self.state["running"] = config.render()
        self.state["last_change"] = None
        self._parsed = None

    def drift(self, args: list[str]) -> str:
        """``["hostname", "x"]`` (words of one line) or configuration lines (``["interface
        GigabitEthernet0/0/0", " description x"]``), applied as typed at the console; or a
        health fault (``line …``, ``errors …``, ``ntp …``, ``version …``, ``clear``: see the
        module docstring and :meth:`health_fault`)."""
        if not args:
            raise ValueError("drift needs a configuration line, e.g. hostname other-name")
        if len(args) == 1 and " " in args[0].strip():      # "line loss 10" given as one argument
            words = args[0].split()
            if _is_health_fault(words):
                return self.health_fault(words)
        if _is_health_fault(args):
            return self.health_fault(args)
        lines = list(args) if any(" " in a or "\n" in a for a in args) else [" ".join(args)]
        config = self.running_config().copy()
        errors, applied = config.load("\n".join(lines))
        if errors:
            line, error = errors[0]
            raise ValueError(f"rejected: {line!r}: {error.render(0).strip().splitlines()[-1]}")
        self._set_running(config, "console")
        changed = any(did for _, _, did in applied)
        return "running-config: " + "; ".join(line.strip() for line in lines) + ("" if changed else " (no change)")

    # -- health faults (maintenance checks) -----------------------------------------------
    @property
    def health(self) -> dict:
        """The health faults in force (``state["health"]``): ``line`` ({"loss": %, "latency":
        ms}), ``errors`` (uplink counters), ``ntp`` ("unsynced"), ``software`` (the version run)."""
        return self.state.setdefault("health", {})

    def health_fault(self, words: list[str]) -> str:
        """Set or clear one health fault; returns what changed.  ValueError for bad words."""
        head, rest = words[0].lower(), [w.lower() for w in words[1:]]
        health = self.health
        if head == "clear":
            had = sorted(health)
            health.clear()
            self._follow_software()
            return "health faults cleared: " + (", ".join(had) or "none were set")
        if head == "line":
            if rest == ["clear"]:
                health.pop("line", None)
                return "line: clean"
            values = _fault_values("line", rest, LINE_FAULT)
            line = health["line"] = {"loss": values.get("loss", 0), "latency": values.get("latency", 0)}
            return f"line: {line['loss']:g} % loss, {line['latency']:g} ms latency beyond the site"
        if head == "errors":
            if rest == ["clear"]:
                health.pop("errors", None)
                return f"errors: {self.interfaces.cabled} counters clean"
            health["errors"] = _fault_values("errors", rest, ERRORS_FAULT, whole=True)
            shown = ", ".join(f"{name} {value}" for name, value in health["errors"].items())
            return f"errors: {self.interfaces.cabled} counters {shown}"
        if head == "ntp":
            if rest == ["synced"]:
                health.pop("ntp", None)
                return "ntp: synchronised"
            health["ntp"] = "unsynced"
            return "ntp: unsynchronised (no server answers)"
        if rest == ["clear"]:                                   # version
            health.pop("software", None)
        else:
            health["software"] = words[1]
        self._follow_software()
        return f"version: runs {self.software}"

    def _follow_software(self) -> None:
        """The configuration's ``version`` line names the software that runs (as after a reload
        into it); the configuration is not otherwise changed, nor its last change."""
        config = self.running_config().copy()
        config.complete(self.config_version)
        text = config.render()
        self.state["running"] = text
        self._parsed = (text, config)

    def uplink_counters(self) -> dict[str, int]:
        """The error counters of the uplink set by the ``errors`` fault (every other is 0):
        ``input`` errors (at least the ``crc`` errors; the rest are ``frame`` errors),
        ``crc``, ``frame``, ``output`` errors, ``drops`` (total output drops), ``packets``
        (more packets input and output than the traffic since boot)."""
        errors = self.health.get("errors") or {}
        crc = errors.get("crc", 0)
        inputs = max(errors.get("input", 0), crc)
        return {"input": inputs, "crc": crc, "frame": inputs - crc, "output": errors.get("output", 0),
                "drops": errors.get("drops", 0), "packets": errors.get("packets", 0)}

    def ntp_synchronised(self) -> bool:
        """A configured server is reported synchronised, unless the ``ntp unsynced`` fault."""
        return bool(self.ntp_servers()) and self.health.get("ntp") != "unsynced"

    def echoes(self, address: str, count: int, timeout: int) -> list[int | None]:
        """The round-trip time (ms) of each of ``count`` echoes to ``address``; None for one
        not answered within ``timeout`` seconds.  An answering address replies in 1 ms (2 ms for
        the first echo, which waits for ARP); beyond the site (anything but the router itself
        and its own endpoint's codec) the ``line`` fault loses its share of echoes and delays
        the rest by about its latency (±10 %), the same for the same router, address and count."""
        if not self.answers_ping(address):
            return [None] * count
        line = self.health.get("line")
        if not line or not self._beyond_site(address):
            return [2 if index == 0 else 1 for index in range(count)]
        rng = random.Random(f"{self.facts.host} {address} {count}")
        lost = set(rng.sample(range(count), min(count, int(count * line["loss"] / 100 + 0.5))))
        base = line["latency"] or 1
        rtts = [max(1, round(base * rng.uniform(0.9, 1.1))) for _ in range(count)]
        return [None if index in lost or rtt > timeout * 1000 else rtt for index, rtt in enumerate(rtts)]

    def _beyond_site(self, address: str) -> bool:
        if address in self.own_addresses():
            return False
        device = self.lab.device_by_address(address)
        return not (device is not None and device.facts.device_class == "codec" and self.facts.name
                    and device.facts.name == self.facts.name)

    def expire_timers(self) -> list[str]:
        pending = self.state.get("revert")
        if not pending:
            return []
        self._revert()
        return [f"revert timer ({pending['minutes']} min): running configuration reverted"]

    def shell(self, username: str) -> IosShell:
        return IosShell(self, username)

    # -- configuration ------------------------------------------------------------------
    @property
    def config_version(self) -> str:
        return _config_version(self.software)

    @property
    def software(self) -> str:
        """The version it runs: the registry's baseline, unless the ``version`` fault."""
        return self.health.get("software") or self.facts.software or DEFAULT_SOFTWARE

    def running_config(self) -> Config:
        """The running configuration (parsed once per change; changes go through
        :meth:`configure` or :meth:`_set_running`)."""
        text = self.state["running"]
        if self._parsed is None or self._parsed[0] != text:
            self._parsed = (text, Config.parse(text, self.interfaces)[0])
        return self._parsed[1]

    def _set_running(self, config: Config, user: str) -> None:
        text = config.render()
        if text != self.state["running"]:
            self.state["running"] = text
            self.state["last_change"] = {"at": time.time(), "by": user}
        self._parsed = (text, config)

    def hostname(self) -> str:
        return self.running_config().hostname

    def configure(self, path: list[str], line: str, user: str) -> list[str]:
        """Apply a line typed in configuration mode at ``path`` (the section headers entered);
        returns the new path.  A command of a parent mode leaves the sub-mode, as on IOS."""
        config = self.running_config()
        chain = config.chain(path)
        errors: list[CommandError] = []
        for depth in range(len(chain) - 1, -1, -1):
            try:
                section, changed = config.apply(chain[depth], line)
            except CommandError as error:
                if error.kind == "message":     # the mode knows the command but refuses the value
                    raise
                errors.append(error)
                continue
            if changed:
                self._set_running(config, user)
            return [node.text for node in chain[1:depth + 1]] + ([section.text] if section else [])
        raise max(errors, key=lambda e: (e.kind == "message", e.kind == "invalid", e.column))

    def mode_of(self, path: list[str]) -> Mode:
        return MODES[self.running_config().chain(path)[-1].mode]

    def merge(self, text: str, user: str) -> list[tuple[str, CommandError]]:
        """``copy <file> running-config``: apply the lines that are valid; returns the others."""
        config = self.running_config().copy()
        errors, _ = config.load(text)
        self._set_running(config, user)
        return errors

    def replace(self, text: str, source: str, user: str, revert_minutes: int | None = None) -> str:
        """``configure replace``: all or nothing; with ``revert_minutes``, a Rollback Confirmed
        Change that reverts unless confirmed."""
        candidate, errors = Config.parse(text, self.interfaces)
        if errors:
            out = [f"The following lines of {source} could not be applied:"]
            for line, error in errors:
                out.append(line)
                out.append(error.render(0).rstrip("\n"))
            out.append("%Configuration replace failed: no command was applied.")
            out.append("The original configuration has been successfully restored.")
            return "\n".join(out) + "\n"
        candidate.complete(self.config_version)
        previous = self.state["running"]
        self._set_running(candidate, user)
        if revert_minutes:
            self._start_revert(previous, revert_minutes, user)
        return "Total number of passes: 1\nRollback Done\n"

    def save(self, user: str) -> None:
        """``write memory``: startup = running (and an archive copy with ``write-memory``)."""
        self.state["startup"] = self.state["running"]
        self.state["startup_saved"] = {"at": time.time(), "by": user}
        if self._archive_setting("write-memory") is not None:
            self.archive_config()

    def privilege_of(self, username: str) -> int:
        for node in self.running_config().nodes("username"):
            words = node.text.split()
            if words[1] == username and "privilege" in words:
                return int(words[words.index("privilege") + 1])
        return 1

    def enable_secret(self) -> str | None:
        value = self.running_config().value("enable", "secret")
        return value[-1] if value else None

    def check_enable(self, secret: str) -> bool:
        configured = self.enable_secret()
        return configured is not None and type9_matches(secret, configured)

    def file_prompt_quiet(self) -> bool:
        """``file prompt quiet``: file operations ask no questions."""
        return self.running_config().value("file", "prompt") == ["quiet"]

    # -- Rollback Confirmed Change and the archive --------------------------------------
    def archive_path(self) -> str | None:
        value = self._archive_setting("path")
        return value[0] if value else None

    def _archive_setting(self, name: str) -> list[str] | None:
        config = self.running_config()
        archive = config.root.child("archive")
        return config.value(name, parent=archive) if archive else None

    def archive_maximum(self) -> int:
        value = self._archive_setting("maximum")
        return int(value[0]) if value else 10

    def archive_config(self) -> str | None:
        """``archive config``: the running configuration to the next archive file."""
        path = self.archive_path()
        if path is None:
            return None
        archives: list[str] = self.state.setdefault("archives", [])
        number = int(archives[-1].rsplit("-", 1)[1]) + 1 if archives else 0
        now = self.local_time()
        stamp = f"{now:%b}-{now.day:>2}-{now:%H-%M-%S}.{now.microsecond // 1000:03d}".replace(" ", "-")
        url = f"{path}-{stamp}-{number}"
        name = self.flash_name(url)
        if name:
            self.store_file(name, self.running_text().encode())
        archives.append(url)
        while len(archives) > self.archive_maximum():
            old = self.flash_name(archives.pop(0))
            if old:
                self.remove_file(old)
        return url

    def pending_revert(self) -> dict | None:
        return self.state.get("revert")

    def _start_revert(self, previous: str, minutes: int, user: str) -> None:
        if not self.state.get("revert"):   # a second change keeps the first snapshot
            self.state["revert"] = {"config": previous, "user": user}
        self.state["revert"].update(minutes=minutes, at=time.time())
        self._arm_revert()

    def start_revert_timer(self, minutes: int, user: str) -> None:
        """``configure terminal revert timer N``: revert to the configuration of now."""
        self._start_revert(self.state["running"], minutes, user)

    def reset_revert_timer(self, minutes: int) -> bool:
        if not self.state.get("revert"):
            return False
        self.state["revert"].update(minutes=minutes, at=time.time())
        self._arm_revert()
        return True

    def confirm(self) -> bool:
        """``configure confirm``: keep the change; False if nothing was pending."""
        if not self.state.get("revert"):
            return False
        self._cancel_revert()
        self.state["revert"] = None
        return True

    def revert_now(self) -> bool:
        if not self.state.get("revert"):
            return False
        self._revert()
        return True

    def _arm_revert(self) -> None:
        self._cancel_revert()
        minutes = self.state["revert"]["minutes"]
        self._revert_timer = self.lab.call_later(minutes * self.lab.seconds_per_minute, self._revert)

    def _cancel_revert(self) -> None:
        if self._revert_timer is not None:
            self._revert_timer.cancel()
            self._revert_timer = None

    def _revert(self) -> None:
        pending = self.state.get("revert")
        self._cancel_revert()
        if not pending:
            return
        self.state["revert"] = None
        config, _ = Config.parse(pending["config"], self.interfaces)
        config.complete(self.config_version)
        self._set_running(config, pending["user"])
        self.lab.log(self.facts.host, "revert",
                     f"configuration change not confirmed within {pending['minutes']} min: reverted")

    # -- files --------------------------------------------------------------------------
    @staticmethod
    def flash_name(path: str) -> str | None:
        """The file name on ``flash:`` a path means (``flash:/x``, ``bootflash:x``, ``x``), or
        None for another file system.  "" is the root."""
        scheme, colon, rest = path.partition(":")
        if not colon:
            rest = path
        elif scheme.lower() not in ("flash", "bootflash"):
            return None
        return rest.lstrip("/")

    def file_bytes(self, name: str) -> bytes | None:
        if name in self.state["flash"]:
            return self.state["flash"][name].encode()
        if name in self.state.get("flash_binary", {}):
            return base64.b64decode(self.state["flash_binary"][name])
        return None

    def store_file(self, name: str, data: bytes) -> None:
        self.remove_file(name)
        try:
            self.state["flash"][name] = data.decode("utf-8")
        except UnicodeDecodeError:
            self.state.setdefault("flash_binary", {})[name] = base64.b64encode(data).decode()
        self.state.setdefault("flash_times", {})[name] = time.time()

    def remove_file(self, name: str) -> bool:
        found = self.state["flash"].pop(name, None) is not None
        found = self.state.get("flash_binary", {}).pop(name, None) is not None or found
        self.state.get("flash_times", {}).pop(name, None)
        return found

    def file_time(self, name: str) -> float:
        return self.state.get("flash_times", {}).get(name, self.booted_at_wall())

    def booted_at_wall(self) -> float:
        return time.time() - self.uptime()

    def flash_free(self) -> int:
        return FLASH_TOTAL - FLASH_SYSTEM_USE - sum(self.list_files().values())

    def read_file(self, name: str) -> bytes | None:
        lowered = name.lower().lstrip("/")
        if lowered in ("running-config", "system:running-config"):
            return self.running_text().encode()
        if lowered in ("startup-config", "nvram:startup-config"):
            return self.state["startup"].encode() if self.state["startup"] else None
        flash = self.flash_name(name)
        return self.file_bytes(flash) if flash else None

    def write_file(self, name: str, data: bytes) -> None:
        if name.lower().lstrip("/") in ("startup-config", "nvram:startup-config"):
            self.state["startup"] = data.decode("utf-8", "replace")
            self.state["startup_saved"] = {"at": time.time(), "by": "scp"}
            return
        flash = self.flash_name(name)
        if not flash:
            raise PermissionError(f"{name}: not a file on flash:")
        self.store_file(flash, data)

    def list_files(self) -> dict[str, int]:
        sizes = {name: len(text.encode()) for name, text in self.state["flash"].items()}
        sizes.update({name: len(base64.b64decode(data)) for name, data in self.state.get("flash_binary", {}).items()})
        return dict(sorted(sizes.items()))

    # -- what the configuration means ----------------------------------------------------
    def running_text(self) -> str:
        """The running configuration as ``copy running-config`` writes it."""
        change = self.state.get("last_change")
        header = (f"! Last configuration change at {self.format_time(change['at'])} by {change['by']}"
                  if change else "! No configuration change since last restart")
        return f"\n!\n{header}\n{self.state['running']}"

    def clock_zone(self) -> tuple[str, timedelta]:
        value = self.running_config().value("clock", "timezone")
        if not value:
            return "UTC", timedelta(0)
        hours = int(value[1])
        minutes = int(value[2]) if len(value) > 2 else 0
        return value[0], timedelta(hours=hours, minutes=minutes if hours >= 0 else -minutes)

    def local_time(self, epoch: float | None = None) -> datetime:
        offset = self.clock_zone()[1]
        return datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone(offset))

    def format_time(self, epoch: float | None = None, *, millis: bool = False) -> str:
        """``10:15:02 ICT Mon Mar 3 2025``, as IOS writes times."""
        moment = self.local_time(epoch)
        clock = f"{moment:%H:%M:%S}" + (f".{moment.microsecond // 1000:03d}" if millis else "")
        return f"{clock} {self.clock_zone()[0]} {moment:%a %b} {moment.day} {moment.year}"

    def ports(self) -> list[Port]:
        config = self.running_config()
        ports = []
        for node in config.nodes("interface"):
            name = node.key[1]
            kind = self.interfaces.kind(name)
            description = config.value("description", parent=node)
            address = config.value("ip", "address", parent=node)
            bandwidth = config.value("bandwidth", parent=node)
            mtu = config.value("mtu", parent=node)
            shutdown = config.value("shutdown", parent=node) is not None
            # a port is up with its cable (the uplink only); an SVI with an up switch port (none)
            link = name == self.interfaces.cabled if kind in ("routed", "switched") else kind != "vlan"
            ports.append(Port(
                name=name, kind=kind, description=" ".join(description) if description else "",
                address=ipaddress.IPv4Interface("/".join(address)) if address else None,
                shutdown=shutdown, up=link and not shutdown,
                bandwidth=int(bandwidth[0]) if bandwidth else _DEFAULT_BANDWIDTH.get(kind, 1000000),
                mtu=int(mtu[0]) if mtu else (1514 if kind == "loopback" else 1500),
                mac=self._mac(len(ports))))
        return ports

    def _mac(self, index: int) -> str:
        digest = hashlib.sha256((self.facts.serial or self.facts.host).encode()).hexdigest()
        base = int("00" + digest[:10], 16) + index
        text = f"{base:012x}"
        return f"{text[:4]}.{text[4:8]}.{text[8:]}"

    def routes(self) -> list[Route]:
        """Connected, local and static routes, as ``show ip route`` lists them."""
        routes: list[Route] = []
        connected: dict[str, ipaddress.IPv4Network] = {}
        for port in self.ports():
            if port.up and port.address:
                connected[port.name] = port.address.network
                routes.append(Route("C", port.address.network, interface=port.name))
                if port.address.network.prefixlen < 32:
                    routes.append(Route("L", ipaddress.IPv4Network(f"{port.address.ip}/32"), interface=port.name))
        for node in self.running_config().nodes("ip"):
            words = node.text.split()
            if words[1] != "route":
                continue
            network = ipaddress.IPv4Network(f"{words[2]}/{words[3]}")
            hops = words[4:]
            interface = hops.pop(0) if hops and not _is_ipv4(hops[0]) else None
            via = hops.pop(0) if hops and _is_ipv4(hops[0]) else None
            distance = int(hops[0]) if hops and hops[0].isdigit() else 1
            if interface and interface not in connected:
                continue
            if via and not interface and not any(ipaddress.IPv4Address(via) in net for net in connected.values()):
                continue
            code = "S*" if network.prefixlen == 0 else "S"
            routes.append(Route(code, network, via=via, interface=interface if not via else None, distance=distance))
        return routes

    def route_to(self, address: str) -> Route | None:
        target = ipaddress.IPv4Address(address)
        found = [route for route in self.routes() if target in route.network]
        return max(found, key=lambda route: route.network.prefixlen, default=None)

    def own_addresses(self) -> set[str]:
        return {str(port.address.ip) for port in self.ports() if port.address and port.up}

    def answers_ping(self, address: str) -> bool:
        """Whether ``address`` answers: one of the router's own, or a lab device it has a route to."""
        if address in self.own_addresses():
            return True
        return self.route_to(address) is not None and self.lab.device_by_address(address) is not None

    def ntp_servers(self) -> list[str]:
        return [node.key[2] for node in self.running_config().nodes("ntp") if node.key[1] == "server"]

    def static_hosts(self) -> dict[str, str]:
        return {node.key[2]: node.text.split()[3] for node in self.running_config().nodes("ip")
                if node.key[1] == "host"}


#: the words of the health faults: name -> (smallest, largest) value
LINE_FAULT = {"loss": (0, 100), "latency": (0, 60000)}
ERRORS_FAULT = {"crc": (0, 10**12), "input": (0, 10**12), "output": (0, 10**12), "drops": (0, 10**12),
                "packets": (0, 10**12)}
_SOFTWARE_VERSION = re.compile(r"\d+\.\d+\.\d+[a-z]?")


def _is_health_fault(words: list[str]) -> bool:
    """Whether drift words are a health fault rather than a configuration line (``line vty 0
    4`` and ``ntp server …`` are configuration; ``line loss 10``, ``ntp unsynced`` are not)."""
    head = words[0].lower()
    second = words[1].lower() if len(words) > 1 else ""
    if head == "clear":
        return len(words) == 1
    if head == "errors":
        return True
    if head == "line":
        return second in (*LINE_FAULT, "clear")
    if head == "ntp":
        return second in ("unsynced", "synced") and len(words) == 2
    if head == "version":
        return len(words) == 2 and (second == "clear" or bool(_SOFTWARE_VERSION.fullmatch(second)))
    return False


def _fault_values(what: str, words: list[str], allowed: dict[str, tuple[int, int]], *,
                  whole: bool = False) -> dict[str, float]:
    """``loss 10 latency 180`` -> {"loss": 10, "latency": 180}, each within its bounds (and a
    whole number if ``whole``)."""
    usage = f"{what} takes " + " ".join(f"[{name} N]" for name in allowed) + f" or clear, e.g. {what} " + \
        " ".join(f"{name} {10 * (index + 1)}" for index, name in enumerate(list(allowed)[:2]))
    if not words or len(words) % 2:
        raise ValueError(usage)
    values: dict[str, float] = {}
    for name, value in zip(words[::2], words[1::2]):
        if name not in allowed:
            raise ValueError(f"{what}: unknown word {name!r}; {usage}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{what}: {name} {value!r} is not a number") from None
        low, high = allowed[name]
        if not low <= number <= high:
            raise ValueError(f"{what}: {name} {value} is out of range ({low} to {high})")
        if whole and number != int(number):
            raise ValueError(f"{what}: {name} {value} is not a whole number")
        values[name] = int(number) if number == int(number) else number
    return values


def _config_version(software: str) -> str:
    """The ``version`` line of the configuration: ``17.09.05`` -> ``17.9``."""
    return ".".join(short_version(software).split(".")[:2])


def _factory_config(facts: Facts) -> str:
    """The configuration the lab router comes with: reachable on the registry address through
    its uplink, SSH and SCP on, an archive for NAPALM's confirmed commits, NTP."""
    address = ipaddress.IPv4Interface(f"{facts.address}/24")
    hosts = list(address.network.hosts())
    gateway = hosts[0] if address.ip != hosts[0] else hosts[-1]
    octets = facts.address.split(".")
    ntp_servers = facts.extra.get("ntp_servers") or [f"{octets[0]}.{octets[1]}.0.10"]
    username = facts.extra.get("username", "gbtt")
    login_secret = type9(facts.extra.get("password") or "lab-login")   # logins are the core's
    interfaces = Interfaces(pid_of(facts.model))
    lines = [
        "service timestamps debug datetime msec",
        "service timestamps log datetime msec",
        "service password-encryption",
        "platform qfp utilization monitor load 80",
        "platform punt-keepalive disable-kernel-core",
        f"hostname {facts.host}",
        "boot-start-marker",
        "boot-end-marker",
        "logging buffered 51200 warnings",
    ]
    if facts.extra.get("enable_secret"):
        lines.append(f"enable secret 9 {type9(facts.extra['enable_secret'])}")
    lines += [
        "no aaa new-model",
        "clock timezone ICT 7 0",
        "no ip domain lookup",
        f"ip domain name {facts.extra.get('domain_name', 'gbtt.lab')}",
        "login on-success log",
        f"username {username} secret 9 {login_secret}",
        "archive",
        " path flash:archive",
        " maximum 5",
        f"interface {interfaces.routed[0]}",
        " description Uplink",
        f" ip address {address.ip} {address.netmask}",
        " negotiation auto",
        f"interface {interfaces.routed[1]}",
        " no ip address",
        " shutdown",
        " negotiation auto",
    ]
    if interfaces.switched:
        lines += ["interface Vlan1", " no ip address"]
    lines += [
        "ip forward-protocol nd",
        "no ip http server",
        "no ip http secure-server",
        f"ip route 0.0.0.0 0.0.0.0 {gateway}",
        "ip ssh version 2",
        "ip scp server enable",
        "control-plane",
        "line con 0",
        " stopbits 1",
        "line vty 0 4",
        " login local",
        " transport input ssh",
        *(f"ntp server {server}" for server in ntp_servers),
    ]
    return "\n".join(lines) + "\n"


# =========================================================================================
# The command line
# =========================================================================================

@dataclass(eq=False)
class ExecCommand(Rule):
    """An exec command: the method of :class:`IosShell` that answers it and the privilege
    level it needs."""

    handler: str = ""
    level: int = 1


_EXEC = [
    ExecCommand("enable [<0-15>]", "enable"),
    ExecCommand("disable", "disable"),
    ExecCommand("{exit|logout|quit}", "exit"),
    ExecCommand("terminal {length|width} <0-512>", "nothing"),
    ExecCommand("terminal [no] monitor", "nothing"),
    ExecCommand("show version", "show_version"),
    ExecCommand("show clock", "show_clock"),
    ExecCommand("show hosts", "show_hosts"),
    ExecCommand("show privilege", "show_privilege"),
    ExecCommand("show interfaces [IFNAME]", "show_interfaces"),
    ExecCommand("show ip interface brief", "show_ip_interface_brief"),
    ExecCommand("show ip interface [IFNAME]", "show_ip_interface"),
    ExecCommand("show ipv6 interface [brief]", "nothing"),
    ExecCommand("show ip route", "show_ip_route"),
    ExecCommand("show ntp status", "show_ntp_status"),
    ExecCommand("show ntp associations", "show_ntp_associations"),
    ExecCommand("show snmp chassis", "show_snmp_chassis"),
    ExecCommand("ping WORD [LINE]", "ping"),
    ExecCommand("show running-config [all]", "show_running", 15),
    ExecCommand("show running-config interface IFNAME", "show_running_interface", 15),
    ExecCommand("show startup-config", "show_startup", 15),
    ExecCommand("show archive", "show_archive", 15),
    ExecCommand("show archive config differences [WORD] [WORD]", "show_differences", 15),
    ExecCommand("show archive config incremental-diffs WORD [ignorecase]", "show_incremental", 15),
    ExecCommand("show archive config rollback timer", "show_rollback_timer", 15),
    ExecCommand("dir [WORD]", "dir", 15),
    ExecCommand("verify /md5 WORD", "verify_md5", 15),
    ExecCommand("more WORD", "more", 15),
    ExecCommand("copy WORD WORD", "copy", 15),
    ExecCommand("delete [/force] WORD", "delete", 15),
    ExecCommand("write [memory]", "write", 15),
    ExecCommand("configure", "configure", 15),
    ExecCommand("configure terminal [revert timer <1-120>]", "configure_terminal", 15),
    ExecCommand("configure replace WORD [nolock] [force] [ignorecase] "
                "[{revert trigger [error] [timer <1-120>]|revert timer <1-120>|time <1-120>}]", "configure_replace", 15),
    ExecCommand("configure confirm", "configure_confirm", 15),
    ExecCommand("configure revert {now|timer <1-120>}", "configure_revert", 15),
    ExecCommand("archive config", "archive_config", 15),
    ExecCommand("tclsh", "tclsh", 15),
]
_EXEC_FIRST_WORDS = {seq[0] for command in _EXEC for seq in command.sequences}

_FILTERS = [Rule(f"{name} LINE") for name in ("include", "exclude", "begin", "section", "count")]

_REPLACE_QUESTION = (
    "This will apply all necessary additions and deletions\n"
    "to replace the current running configuration with the\n"
    "contents of the specified configuration file, which is\n"
    "assumed to be a complete configuration, not a partial\n"
    "configuration. Enter Y if you are sure you want to proceed. ? [no]: ")


@dataclass
class _Question:
    """A question the session waits for an answer to (a password, a confirmation)."""

    prompt: str
    answer: Callable[[str], str]
    echo: bool = True


@dataclass
class _Location:
    """What a ``copy`` source or destination names."""

    kind: str               # running, startup, flash, null, other
    url: str
    name: str = ""          # the flash file


class IosShell(Shell):
    """One SSH session of the router: the mode it is in and the question it waits for."""

    def __init__(self, router: IosRouter, username: str):
        self.router = router
        self.username = username
        self.privilege = 15 if router.privilege_of(username) == 15 else 1
        self.path: list[str] | None = None      # configuration mode: the section headers entered
        self.closed = False
        self._question: _Question | None = None
        self._banner: tuple[list[str], str] | None = None   # path, text so far
        self._tcl = False
        self._tcl_file: tuple[str, list[str]] | None = None  # a ``puts [open …] {`` being written

    @property
    def echo(self) -> bool:
        """False while a password is typed (the core does not echo it)."""
        return self._question is None or self._question.echo

    def greeting(self) -> str:
        config = self.router.running_config()
        texts = [node.text for kind in ("motd", "exec") for node in config.nodes("banner") if node.key[1] == kind]
        return "".join(text.split("^C")[1].lstrip("\n") + "\n" for text in texts)

    def prompt(self) -> str:
        if self._question:
            return self._question.prompt
        if self._banner:
            return ""
        host = self.router.hostname()
        if self._tcl:
            return "+>" if self._tcl_file else f"{host}(tcl)#"
        if self.path is None:
            return host + ("#" if self.privilege == 15 else ">")
        return f"{host[:20]}({self.router.mode_of(self.path).prompt})#"

    def feed(self, line: str) -> str:
        line = line.rstrip("\r\n")
        if self._question:
            question, self._question = self._question, None
            return question.answer(line)
        if self._banner:
            return self._banner_line(line)
        if self._tcl:
            return self._tcl_line(line)
        if self.path is not None:
            return self._config_line(line)
        return self._exec_line(line, len(self.prompt()))

    def _ask(self, prompt: str, answer: Callable[[str], str], echo: bool = True) -> None:
        self._question = _Question(prompt, answer, echo)

    # -- exec mode ----------------------------------------------------------------------
    def _exec_line(self, line: str, indent: int) -> str:
        if not line.strip():
            return ""
        command, bar, filter_text = line.partition("|")
        if not command.strip():
            return CommandError("invalid", line.index("|")).render(indent)
        commands = [c for c in _EXEC if c.level <= self.privilege]
        try:
            found = match(commands, command, self.router.interfaces)
        except CommandError as error:
            first = command.split()[0]
            if error.kind == "invalid" and error.column == line.index(first) and \
                    not any(word.startswith(first.lower()) for word in _EXEC_FIRST_WORDS):
                return self._translating(first)
            return error.render(indent)
        output = getattr(self, "_cmd_" + found.rule.handler)(found, indent)
        if bar:
            output = self._filter(output, filter_text, indent + len(command) + 1)
        return output

    def _translating(self, word: str) -> str:
        lookup = self.router.running_config().root.child("no ip domain lookup") is None
        dns = "...domain server (255.255.255.255)" if lookup else ""
        return (f'Translating "{word}"{dns}\n'
                "% Unknown command or computer name, or unable to find computer address\n")

    def _filter(self, output: str, text: str, indent: int) -> str:
        try:
            found = match(_FILTERS, text, self.router.interfaces)
        except CommandError as error:
            return error.render(indent)
        kind, pattern = found.words
        try:
            regex = re.compile(pattern.strip())
        except re.error:
            return "% Invalid regular expression\n"
        lines = output.splitlines()
        if kind == "include":
            kept = [line for line in lines if regex.search(line)]
        elif kind == "exclude":
            kept = [line for line in lines if not regex.search(line)]
        elif kind == "begin":
            start = next((i for i, line in enumerate(lines) if regex.search(line)), len(lines))
            kept = lines[start:]
        elif kind == "section":
            kept = _sections(lines, regex)
        else:
            return f"Number of lines which match regexp = {sum(1 for line in lines if regex.search(line))}\n"
        return "".join(line + "\n" for line in kept)

    def _cmd_nothing(self, found: Match, indent: int) -> str:
        return ""

    def _cmd_exit(self, found: Match, indent: int) -> str:
        self.closed = True
        return ""

    def _cmd_enable(self, found: Match, indent: int) -> str:
        if self.privilege == 15:
            return ""
        if self.router.enable_secret() is None:
            return "% No password set\n"

        def password(answer: str) -> str:
            if self.router.check_enable(answer):
                self.privilege = 15
                return ""
            return "% Access denied\n\n"

        self._ask("Password: ", password, echo=False)
        return ""

    def _cmd_disable(self, found: Match, indent: int) -> str:
        self.privilege = 1
        return ""

    # -- configuration mode -------------------------------------------------------------
    def _cmd_configure(self, found: Match, indent: int) -> str:
        def where(answer: str) -> str:
            if answer.strip() and not "terminal".startswith(answer.strip().lower()):
                return "?Must be \"terminal\", \"memory\" or \"network\"\n"
            return self._enter_config()

        self._ask("Configuring from terminal, memory, or network [terminal]? ", where)
        return ""

    def _cmd_configure_terminal(self, found: Match, indent: int) -> str:
        if "revert" in found.words:
            if self.router.archive_path() is None:
                return "%Please turn config archive on before using Rollback Confirmed Change.\n"
            self.router.start_revert_timer(int(found.words[-1]), self.username)
        return self._enter_config()

    def _enter_config(self) -> str:
        self.path = []
        return "Enter configuration commands, one per line.  End with CNTL/Z.\n"

    def _config_line(self, line: str) -> str:
        ended = line.endswith("\x1a")
        line = line.rstrip("\x1a")
        stripped = line.strip()
        output = ""
        if stripped and not stripped.startswith("!"):
            output = self._config_command(line, stripped)
        if ended:
            self.path = None
        return output

    def _config_command(self, line: str, stripped: str) -> str:
        word = stripped.split()[0].lower()
        if stripped.lower() == "end":
            self.path = None
            return ""
        if stripped.lower() == "exit":
            self.path = self.path[:-1] if self.path else None
            return ""
        if word == "do" and len(stripped.split()) > 1:
            rest = line[line.lower().index("do") + 2:]
            privilege, self.privilege = self.privilege, 15
            try:
                return self._exec_line(rest, len(self.prompt()) + line.lower().index("do") + 2)
            finally:
                self.privilege = privilege
        if not banner_complete(stripped):
            self._banner = (self.path, stripped)
            delimiter = banner_delimiter(stripped)[0]
            return f"Enter TEXT message.  End with the character '{delimiter}'.\n"
        try:
            self.path = self.router.configure(self.path, line, self.username)
        except CommandError as error:
            return error.render(len(self.prompt()))
        return ""

    def _banner_line(self, line: str) -> str:
        path, text = self._banner
        text += "\n" + line
        if not banner_complete(text):
            self._banner = (path, text)
            return ""
        self._banner = None
        try:
            self.path = self.router.configure(path, text, self.username)
        except CommandError as error:
            return error.render(0)
        return ""

    # -- show ---------------------------------------------------------------------------
    def _cmd_show_version(self, found: Match, indent: int) -> str:
        router = self.router
        software = router.software
        pid = pid_of(router.facts.model)
        uptime = _uptime_text(router.uptime())
        image = "ARMV8EL_LINUX_IOSD-UNIVERSALK9_IAS-M" if pid.startswith("ISR11") else "X86_64_LINUX_IOSD-UNIVERSALK9-M"
        ports = len(router.interfaces.physical)
        return (
            f"Cisco IOS XE Software, Version {software}\n"
            f"Cisco IOS Software [{_train(software)}], ISR Software ({image}), "
            f"Version {short_version(software)}, RELEASE SOFTWARE (fc3)\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2024 by Cisco Systems, Inc.\n"
            "Compiled Thu 30-May-24 03:50 by mcpre\n"
            "\n\n"
            "Cisco IOS-XE software, Copyright (c) 2005-2024 by cisco Systems, Inc.\n"
            "All rights reserved.  Certain components of Cisco IOS-XE software are\n"
            "licensed under the GNU General Public License (\"GPL\") Version 2.0.  The\n"
            "software code licensed under GPL Version 2.0 is free software that comes\n"
            "with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such\n"
            "GPL code under the terms of GPL Version 2.0.  For more details, see the\n"
            "documentation or \"License Notice\" file accompanying the IOS-XE software,\n"
            "or the applicable URL provided on the flyer accompanying the IOS-XE\n"
            "software.\n"
            "\n\n"
            "ROM: 17.9(1r)\n"
            "\n"
            f"{router.hostname()} uptime is {uptime}\n"
            f"Uptime for this control processor is {uptime}\n"
            "System returned to ROM by Reload Command\n"
            "System image file is \"bootflash:packages.conf\"\n"
            "Last reload reason: Reload Command\n"
            "\n\n\n"
            "This product contains cryptographic features and is subject to United\n"
            "States and local country laws governing import, export, transfer and\n"
            "use. Delivery of Cisco cryptographic products does not imply\n"
            "third-party authority to import, export, distribute or use encryption.\n"
            "\n\n"
            "Technology Package License Information:\n"
            "\n"
            "-----------------------------------------------------------------\n"
            "Technology    Type         Technology-package   Technology-package\n"
            "                           Current              Next Reboot\n"
            "-----------------------------------------------------------------\n"
            "Smart License Perpetual    ipbasek9             ipbasek9\n"
            "\n"
            "The current throughput level is 250000 kbps\n"
            "\n\n"
            "Smart Licensing Status: Registration Not Applicable/Not Applicable\n"
            "\n"
            f"cisco {pid} (1RU) processor with 1518210K/6147K bytes of memory.\n"
            f"Processor board ID {router.facts.serial or 'FGL0000LAB0'}\n"
            "Router operating mode: Autonomous\n"
            f"{ports} Gigabit Ethernet interfaces\n"
            "32768K bytes of non-volatile configuration memory.\n"
            "4194304K bytes of physical memory.\n"
            f"{FLASH_TOTAL // 1024}K bytes of flash memory at bootflash:.\n"
            "\n"
            "Configuration register is 0x2102\n"
            "\n")

    def _cmd_show_clock(self, found: Match, indent: int) -> str:
        synchronised = self.router.ntp_synchronised()
        return ("" if synchronised else "*") + self.router.format_time(millis=True) + "\n"

    def _cmd_show_snmp_chassis(self, found: Match, indent: int) -> str:
        chassis = self.router.running_config().value("snmp-server", "chassis-id")
        return (" ".join(chassis) if chassis else self.router.facts.serial or "FGL0000LAB0") + "\n"

    def _cmd_show_privilege(self, found: Match, indent: int) -> str:
        return f"Current privilege level is {self.privilege}\n"

    def _cmd_show_hosts(self, found: Match, indent: int) -> str:
        config = self.router.running_config()
        domain = config.value("ip", "domain", "name")
        lookup = config.root.child("no ip domain lookup") is None
        servers = [node.key[2] for node in config.nodes("ip") if node.key[1] == "name-server"]
        out = [f"Default domain is {domain[0] if domain else 'not set'}",
               "Name/address lookup uses " + ("domain service" if lookup else "static mappings")]
        if lookup:
            out.append(f"Name servers are {', '.join(servers) or '255.255.255.255'}")
        out += ["", "Codes: UN - unknown, EX - expired, OK - OK, ?? - revalidate",
                "       temp - temporary, perm - permanent",
                "       NA - Not Applicable None - Not defined", "",
                "Host                      Port  Flags      Age Type   Address(es)"]
        for name, address in self.router.static_hosts().items():
            out.append(f"{name:<25} None  (perm, OK)  0   IP    {address}")
        return "\n".join(out) + "\n"

    def _cmd_show_interfaces(self, found: Match, indent: int) -> str:
        ports = self.router.ports()
        if len(found.words) > 2:
            ports = [p for p in ports if p.name == found.words[2]]
        uplink = self.router.interfaces.cabled
        return "".join(_show_interface(port, self.router.uptime(),
                                       self.router.uplink_counters() if port.name == uplink else None)
                       for port in ports)

    def _cmd_show_ip_interface_brief(self, found: Match, indent: int) -> str:
        out = ["Interface              IP-Address      OK? Method Status                Protocol"]
        for port in self.router.ports():
            address, method = (str(port.address.ip), "NVRAM") if port.address else ("unassigned", "unset")
            out.append(f"{port.name:<23}{address:<16}YES {method:<7}{port.status:<22}{port.protocol}")
        return "\n".join(out) + "\n"

    def _cmd_show_ip_interface(self, found: Match, indent: int) -> str:
        out = []
        for port in self.router.ports():
            if len(found.words) > 3 and port.name != found.words[3]:
                continue
            out.append(f"{port.name} is {port.status}, line protocol is {port.protocol}")
            if port.address:
                out += [f"  Internet address is {port.address.with_prefixlen}",
                        "  Broadcast address is 255.255.255.255",
                        "  Address determined by non-volatile memory",
                        f"  MTU is {port.mtu} bytes",
                        "  Helper address is not set",
                        "  Directed broadcast forwarding is disabled",
                        "  Outgoing Common access list is not set",
                        "  Outgoing access list is not set",
                        "  Inbound Common access list is not set",
                        "  Inbound  access list is not set",
                        "  Proxy ARP is enabled",
                        "  Local Proxy ARP is disabled",
                        "  Security level is default",
                        "  Split horizon is enabled",
                        "  ICMP redirects are always sent",
                        "  ICMP unreachables are always sent",
                        "  ICMP mask replies are never sent",
                        "  IP fast switching is enabled",
                        "  IP Flow switching is disabled",
                        "  IP CEF switching is enabled"]
            else:
                out.append("  Internet protocol processing disabled")
        return "\n".join(out) + "\n" if out else ""

    def _cmd_show_ip_route(self, found: Match, indent: int) -> str:
        routes = sorted(self.router.routes(), key=lambda r: (int(r.network.network_address), r.network.prefixlen))
        default = next((r for r in routes if r.network.prefixlen == 0 and r.via), None)
        out = [*_ROUTE_CODES, ""]
        out.append(f"Gateway of last resort is {default.via} to network 0.0.0.0" if default
                   else "Gateway of last resort is not set")
        out.append("")
        groups: dict[ipaddress.IPv4Network, list[Route]] = {}
        for route in routes:
            groups.setdefault(_classful(route.network), []).append(route)
        for major, members in groups.items():
            if len(members) == 1 and (members[0].network == major or members[0].network.prefixlen == 0):
                out.append(_route_line(members[0], 6))
                continue
            masks = {r.network.prefixlen for r in members}
            if len(masks) == 1:
                out.append(f"      {major.network_address}/{masks.pop()} is subnetted, {len(members)} subnets")
            else:
                out.append(f"      {major} is variably subnetted, {len(members)} subnets, {len(masks)} masks")
            out.extend(_route_line(route, 9) for route in members)
        return "\n".join(out) + "\n"

    def _cmd_show_ntp_status(self, found: Match, indent: int) -> str:
        servers = self.router.ntp_servers()
        if not servers:
            return "%NTP is not enabled.\n"
        if not self.router.ntp_synchronised():
            return ("Clock is unsynchronized, stratum 16, no reference clock\n"
                    "nominal freq is 250.0000 Hz, actual freq is 250.0000 Hz, precision is 2**10\n"
                    f"ntp uptime is {int(self.router.uptime() * 100)} (1/100 of seconds), resolution is 4000\n"
                    f"reference time is 00000000.00000000 ({self.router.format_time(-2208988800, millis=True)})\n"
                    "clock offset is 0.0000 msec, root delay is 0.00 msec\n"
                    "root dispersion is 18.08 msec, peer dispersion is 0.00 msec\n"
                    "loopfilter state is 'FSET' (Drift set from file), drift is 0.000000000 s/s\n"
                    "system poll interval is 64, never updated.\n")
        now = self.router.format_time(millis=True)
        return (f"Clock is synchronized, stratum 3, reference is {servers[0]}\n"
                "nominal freq is 250.0000 Hz, actual freq is 249.9990 Hz, precision is 2**10\n"
                f"ntp uptime is {int(self.router.uptime() * 100)} (1/100 of seconds), resolution is 4000\n"
                f"reference time is E1E5A2B6.1E76C8B4 ({now})\n"
                "clock offset is 0.5000 msec, root delay is 1.00 msec\n"
                "root dispersion is 3.20 msec, peer dispersion is 0.12 msec\n"
                "loopfilter state is 'CTRL' (Normal Controlled Loop), drift is 0.000004000 s/s\n"
                "system poll interval is 64, last update was 12 sec ago.\n")

    def _cmd_show_ntp_associations(self, found: Match, indent: int) -> str:
        servers = self.router.ntp_servers()
        if not servers:
            return "%NTP is not enabled.\n"
        out = ["", "  address         ref clock       st   when   poll reach  delay  offset   disp"]
        synchronised = self.router.ntp_synchronised()
        for index, server in enumerate(servers):
            if not synchronised:
                out.append(f" ~{server:<16}.INIT.          16      -     64     0  0.000   0.000 15937.")
                continue
            mark = "*~" if index == 0 else "+~"
            out.append(f"{mark}{server:<16}.GPS.            1     {12 + index:>2}     64   377  1.000   0.500  0.120")
        out.append(" * sys.peer, # selected, + candidate, - outlyer, x falseticker, ~ configured")
        return "\n".join(out) + "\n"

    def _cmd_show_running(self, found: Match, indent: int) -> str:
        text = self.router.running_text()
        return f"Building configuration...\n\nCurrent configuration : {len(text)} bytes{text}"

    def _cmd_show_running_interface(self, found: Match, indent: int) -> str:
        node = self.router.running_config().interface(found.words[3])
        if node is None:
            return " " * (indent + found.columns[3]) + "^\n% Invalid input detected at '^' marker.\n\n"
        text = "!\n" + "\n".join(node.lines()) + "\nend\n"
        return f"Building configuration...\n\nCurrent configuration : {len(text)} bytes\n{text}"

    def _cmd_show_startup(self, found: Match, indent: int) -> str:
        startup = self.router.state.get("startup", "")
        if not startup:
            return "startup-config is not present\n"
        saved = self.router.state.get("startup_saved") or {"at": time.time(), "by": "console"}
        text = (f"!\n! NVRAM config last updated at {self.router.format_time(saved['at'])} by {saved['by']}\n"
                f"{startup}")
        return f"Using {len(text)} out of {NVRAM_SIZE} bytes\n{text}"

    # -- archive and Rollback Confirmed Change -----------------------------------------
    def _cmd_show_archive(self, found: Match, indent: int) -> str:
        path = self.router.archive_path()
        if path is None:
            return " Archive feature not enabled\n"
        archives = self.router.state.get("archives", [])
        maximum = self.router.archive_maximum()
        out = [f"The maximum archive configurations allowed is {maximum}.",
               f"There are currently {len(archives)} archive configurations saved.",
               f"The next archive file will be named {path}-<timestamp>-"
               f"{int(archives[-1].rsplit('-', 1)[1]) + 1 if archives else 0}",
               " Archive #  Name"]
        for slot in range(1, maximum + 1):
            name = archives[slot - 1] if slot <= len(archives) else ""
            recent = " <- Most Recent" if archives and slot == len(archives) else ""
            out.append(f"   {slot:<2}       {name}{recent}".rstrip())
        return "\n".join(out) + "\n"

    def _cmd_show_rollback_timer(self, found: Match, indent: int) -> str:
        pending = self.router.pending_revert()
        if not pending:
            return "%No Rollback Confirmed Change pending\n"
        return (f"Time configured (or reset): {self.router.format_time(pending['at'])}\n"
                "Timer type: Rollback and Confirm\n"
                f"Timer value: {pending['minutes']} min\n"
                f"User: {pending['user']}\n")

    def _cmd_show_differences(self, found: Match, indent: int) -> str:
        urls = found.words[4:]
        if not urls:
            urls = ["nvram:startup-config", "system:running-config"]
        elif len(urls) == 1:
            urls.append("system:running-config")
        texts = []
        for url in urls:
            text = self._config_text(url)
            if text is None:
                return f"%Error opening {url} (No such file or directory)\n"
            texts.append(text)
        interfaces = self.router.interfaces
        old, _ = Config.parse(texts[0], interfaces, lenient=True)
        new, _ = Config.parse(texts[1], interfaces, lenient=True)
        return contextual_diff(old, new)

    def _cmd_show_incremental(self, found: Match, indent: int) -> str:
        url = found.words[4]
        text = self._config_text(url)
        if text is None:
            return f"%Error opening {url} (No such file or directory)\n"
        config = self.router.running_config().copy()
        errors, applied = config.load(text)
        if errors:
            return "".join(f"{line}\n{error.render(0)}" for line, error in errors)
        out = ["!List of Commands:"]
        printed: list[str] = []
        for path, line, changed in applied:
            if not changed:
                continue
            for depth, header in enumerate(path):
                if printed[depth:depth + 1] != [header]:
                    out.append(" " * depth + header)
                    printed = printed[:depth] + [header]
            out.append(" " * len(path) + line.strip())
            printed = [*path, line.strip()]
        out.append("end")
        if len(out) == 2:
            out.append("!No changes were found")
        return "\n".join(out) + "\n"

    def _config_text(self, url: str) -> str | None:
        """The text of a configuration a command names (running, startup or a flash file)."""
        location = self._locate(url)
        if location.kind == "running":
            return self.router.running_text()
        if location.kind == "startup":
            return self.router.state.get("startup") or None
        if location.kind == "flash" and location.name:
            data = self.router.file_bytes(location.name)
            return data.decode("utf-8", "replace") if data is not None else None
        return None

    def _cmd_configure_replace(self, found: Match, indent: int) -> str:
        url, words = found.words[2], found.words[3:]
        minutes = next((int(words[i + 1]) for i, word in enumerate(words) if word in ("time", "timer")), None)
        text = self._config_text(url)
        if text is None:
            return f"%Error opening {url} (No such file or directory)\n"
        if ("revert" in words or minutes) and self.router.archive_path() is None:
            return "%Please turn config archive on before using Rollback Confirmed Change.\n"

        def replace(answer: str = "y") -> str:
            if answer.strip().lower() not in ("y", "yes"):
                return ""
            return self.router.replace(text, url, self.username, minutes)

        if "force" in words:
            return replace()
        self._ask(_REPLACE_QUESTION, replace)
        return ""

    def _cmd_configure_confirm(self, found: Match, indent: int) -> str:
        return "" if self.router.confirm() else "%No Rollback Confirmed Change pending\n"

    def _cmd_configure_revert(self, found: Match, indent: int) -> str:
        if found.words[2] == "now":
            done = self.router.revert_now()
        else:
            done = self.router.reset_revert_timer(int(found.words[3]))
        return "" if done else "%No Rollback Confirmed Change pending\n"

    def _cmd_archive_config(self, found: Match, indent: int) -> str:
        return "" if self.router.archive_config() else "%Archive feature not enabled\n"

    # -- files --------------------------------------------------------------------------
    def _locate(self, url: str) -> _Location:
        lowered = re.sub(r"^(system|nvram):/", r"\1:", url.lower())
        if lowered == "system:running-config" or (len(lowered) >= 3 and "running-config".startswith(lowered)):
            return _Location("running", url)
        if lowered == "nvram:startup-config" or (len(lowered) >= 3 and "startup-config".startswith(lowered)):
            return _Location("startup", url)
        if lowered == "null:":
            return _Location("null", url)
        name = IosRouter.flash_name(url)
        return _Location("flash", url, name) if name is not None else _Location("other", url)

    def _cmd_dir(self, found: Match, indent: int) -> str:
        location = self._locate(found.words[1] if len(found.words) > 1 else "flash:")
        if location.kind != "flash":
            return f"%Error opening {location.url} (No such file or directory)\n"
        files = self.router.list_files()
        if location.name:
            if location.name not in files:
                return f"%Error opening flash:/{location.name} (No such file or directory)\n"
            shown, heading = {location.name: files[location.name]}, f"flash:/{location.name}"
        else:
            shown, heading = files, "flash:/"
        out = [f"Directory of {heading}", ""]
        numbers = {name: 16 + index for index, name in enumerate(files)}
        for name, size in shown.items():
            moment = self.router.local_time(self.router.file_time(name))
            offset = moment.strftime("%z")
            stamp = f"{moment:%b} {moment.day:>2} {moment.year} {moment:%H:%M:%S} {offset[:3]}:{offset[3:]}"
            out.append(f"{numbers[name]:>6}  -rw-  {size:>15}  {stamp}  {name}")
        if not shown:
            out.append("No files in directory")
        out += ["", f"{FLASH_TOTAL} bytes total ({self.router.flash_free()} bytes free)"]
        return "\n".join(out) + "\n"

    def _cmd_verify_md5(self, found: Match, indent: int) -> str:
        location = self._locate(found.words[2])
        data = self.router.file_bytes(location.name) if location.kind == "flash" else None
        if data is None:
            return f"%Error opening {found.words[2]} (No such file or directory)\n"
        dots = "." * max(1, min(60, len(data) // 512 + 1))
        return f"{dots}Done!\nverify /md5 ({found.words[2]}) = {hashlib.md5(data).hexdigest()}\n\n"

    def _cmd_more(self, found: Match, indent: int) -> str:
        text = self._config_text(found.words[1])
        if text is None:
            return f"%Error opening {found.words[1]} (No such file or directory)\n"
        return text if text.endswith("\n") else text + "\n"

    def _cmd_delete(self, found: Match, indent: int) -> str:
        url = found.words[-1]
        location = self._locate(url)
        if location.kind != "flash" or location.name not in self.router.list_files():
            return f"%Error deleting {url} (No such file or directory)\n"

        def delete(_: str = "") -> str:
            self.router.remove_file(location.name)
            return ""

        def confirm(_: str) -> str:
            self._ask(f"Delete flash:/{location.name}? [confirm]", delete)
            return ""

        if "/force" in found.words or self.router.file_prompt_quiet():
            return delete()
        self._ask(f"Delete filename [{location.name}]? ", confirm)
        return ""

    def _cmd_write(self, found: Match, indent: int) -> str:
        self.router.save(self.username)
        return "Building configuration...\n[OK]\n"

    def _cmd_copy(self, found: Match, indent: int) -> str:
        source, destination = self._locate(found.words[1]), self._locate(found.words[2])
        for location, column in ((source, found.columns[1]), (destination, found.columns[2])):
            if location.kind == "other" or (location.kind == "flash" and not location.name):
                return f"%Error opening {location.url} (No such file or directory)\n"
        if destination.kind == "null" or source.kind == destination.kind == "running":
            return CommandError("invalid", found.columns[2]).render(indent)
        if source.kind == "null":
            text = ""
        else:
            text = self._config_text(source.url)
            if text is None:
                return f"%Error opening {source.url} (No such file or directory)\n"
        if self.router.file_prompt_quiet():
            return self._copy(text, source, destination)
        default = {"running": "running-config", "startup": "startup-config"}.get(destination.kind, destination.name)

        def named(answer: str) -> str:
            if answer.strip() and destination.kind == "flash":
                destination.name = IosRouter.flash_name(answer.strip()) or destination.name
            return self._copy(text, source, destination)

        self._ask(f"Destination filename [{default}]? ", named)
        return ""

    def _copy(self, text: str, source: _Location, destination: _Location) -> str:
        size = len(text.encode())
        seconds = 0.05 + size / 2_000_000
        copied = f"{size} bytes copied in {seconds:.3f} secs ({int(size / seconds)} bytes/sec)\n"
        if destination.kind == "running":
            errors = self.router.merge(text, self.username)
            return "".join(f"{line}\n{error.render(0)}" for line, error in errors) + copied
        if destination.kind == "startup":
            if source.kind == "running":
                self.router.save(self.username)
                return "Building configuration...\n[OK]\n"
            self.router.write_file("nvram:startup-config", text.encode())
            return copied
        self.router.store_file(destination.name, text.encode())
        return copied

    # -- ping ---------------------------------------------------------------------------
    def _cmd_ping(self, found: Match, indent: int) -> str:
        target = found.words[1]
        settings = {"repeat": 5, "size": 100, "timeout": 2}
        source = None
        options = [(found.columns[2] + m.start(), m.group()) for m in re.finditer(r"\S+", found.words[2])] \
            if len(found.words) > 2 else []
        limits = {"repeat": (1, 2147483647), "size": (36, 18024), "timeout": (0, 3600)}
        position = 0
        while position < len(options):
            column, word = options[position]
            name = next((n for n in (*limits, "source") if n.startswith(word.lower())), None)
            if name is None:
                return CommandError("invalid", column).render(indent)
            if position + 1 >= len(options):
                return CommandError("incomplete").render(indent)
            column, value = options[position + 1]
            position += 2
            if name == "source":
                source = self.router.interfaces.resolve(value) or (value if _is_ipv4(value) else None)
                if source is None:
                    return CommandError("invalid", column).render(indent)
            elif not value.isdigit() or not limits[name][0] <= int(value) <= limits[name][1]:
                return CommandError("invalid", column).render(indent)
            else:
                settings[name] = int(value)
        address = target if _is_ipv4(target) else self.router.static_hosts().get(target)
        if address is None:
            return "% Unrecognized host or address, or protocol not running.\n\n"
        out = ["Type escape sequence to abort.",
               f"Sending {settings['repeat']}, {settings['size']}-byte ICMP Echos to {address}, "
               f"timeout is {settings['timeout']} seconds:"]
        if source is not None:
            source_address = next((str(port.address.ip) for port in self.router.ports()
                                   if port.up and port.address and source in (port.name, str(port.address.ip))), None)
            if source_address is None:
                return "% Invalid source address- IP address not on any of our up interfaces\n"
            out.append(f"Packet sent with a source address of {source_address} ")
        echoes = self.router.echoes(address, settings["repeat"], settings["timeout"])
        marks = "".join("." if rtt is None else "!" for rtt in echoes)
        out += [marks[i:i + 70] for i in range(0, len(marks), 70)]
        replies = [rtt for rtt in echoes if rtt is not None]
        rate = f"Success rate is {100 * len(replies) // len(echoes)} percent ({len(replies)}/{len(echoes)})"
        if replies:
            rate += f", round-trip min/avg/max = {min(replies)}/{sum(replies) // len(replies)}/{max(replies)} ms"
        out.append(rate)
        return "\n".join(out) + "\n"

    # -- tclsh --------------------------------------------------------------------------
    def _cmd_tclsh(self, found: Match, indent: int) -> str:
        self._tcl = True
        return ""

    def _tcl_line(self, line: str) -> str:
        if self._tcl_file is not None:
            name, body = self._tcl_file
            if line.rstrip().endswith("}"):
                body.append(line.rstrip()[:-1])
                self._tcl_file = None
                self._tcl_write(name, "\n".join(body))
            else:
                body.append(line)
            return ""
        stripped = line.strip()
        if stripped in ("tclquit", "exit"):
            self._tcl = False
            return ""
        opened = re.match(r'puts\s+\[open\s+"?([^"\]\s]+)"?\s+w\+?\]\s+\{(.*)$', line.lstrip())
        if opened:
            name, first = opened.groups()
            if first.rstrip().endswith("}"):
                self._tcl_write(name, first.rstrip()[:-1])
            else:
                self._tcl_file = (name, [first])
            return ""
        return self._exec_line(line, len(self.prompt()))

    def _tcl_write(self, name: str, body: str) -> None:
        """``puts`` writes the text and a newline."""
        flash = IosRouter.flash_name(name)
        if flash:
            self.router.store_file(flash, (body + "\n").encode())


def _sections(lines: list[str], regex: re.Pattern) -> list[str]:
    """``| section``: the top-level blocks whose header matches, or the header and the
    matching lines of the others."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        end = index + 1
        while end < len(lines) and lines[end].startswith(" "):
            end += 1
        header, body = lines[index], lines[index + 1:end]
        if regex.search(header):
            kept += [header, *body]
        else:
            matching = [line for line in body if regex.search(line)]
            if matching:
                kept += [header, *matching]
        index = end
    return kept


def _uptime_text(seconds: float) -> str:
    """``2 weeks, 3 days, 4 hours, 12 minutes``, as ``show version`` writes an uptime."""
    minutes = int(seconds // 60)
    parts = []
    for name, size in (("year", 525600), ("week", 10080), ("day", 1440), ("hour", 60)):
        count, minutes = divmod(minutes, size)
        if count or parts:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return ", ".join(parts)


def _show_interface(port: Port, uptime: float, counters: dict[str, int] | None = None) -> str:
    """One interface of ``show interfaces``; ``counters``: its error counters
    (:meth:`IosRouter.uplink_counters`), else none."""
    count = {"input": 0, "crc": 0, "frame": 0, "output": 0, "drops": 0, "packets": 0, **(counters or {})}
    packets = (int(uptime * 3) if port.up else 0) + count["packets"]
    octets = packets * 120
    hardware = {"routed": f"ISR-1GE, address is {port.mac} (bia {port.mac})",
                "switched": f"Gigabit Ethernet-Switchport, address is {port.mac} (bia {port.mac})",
                "vlan": f"EtherSVI, address is {port.mac} (bia {port.mac})",
                "loopback": "Loopback", "tunnel": "Tunnel"}[port.kind]
    bandwidth = f"{port.bandwidth} Kbit/sec"
    delay = {"loopback": 5000, "tunnel": 50000}.get(port.kind, 10)
    lines = [f"{port.name} is {port.status}, line protocol is {port.protocol} ",
             f"  Hardware is {hardware}"]
    if port.description:
        lines.append(f"  Description: {port.description}")
    if port.address:
        lines.append(f"  Internet address is {port.address.with_prefixlen}")
    lines += [f"  MTU {port.mtu} bytes, BW {bandwidth}, DLY {delay} usec, ",
              "     reliability 255/255, txload 1/255, rxload 1/255",
              f"  Encapsulation {'LOOPBACK' if port.kind == 'loopback' else 'ARPA'}, loopback not set"]
    if port.kind in ("routed", "switched"):
        lines += ["  Keepalive not supported ",
                  "  Full Duplex, 1000Mbps, link type is auto, media type is RJ45",
                  "  output flow-control is off, input flow-control is off"]
    else:
        lines.append("  Keepalive set (10 sec)")
    lines += ["  ARP type: ARPA, ARP Timeout 04:00:00",
              "  Last input 00:00:00, output 00:00:00, output hang never",
              "  Last clearing of \"show interface\" counters never",
              f"  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: {count['drops']}",
              "  Queueing strategy: fifo",
              "  Output queue: 0/40 (size/max)",
              f"  5 minute input rate {1000 if port.up else 0} bits/sec, {1 if port.up else 0} packets/sec",
              f"  5 minute output rate {1000 if port.up else 0} bits/sec, {1 if port.up else 0} packets/sec",
              f"     {packets} packets input, {octets} bytes, 0 no buffer",
              "     Received 0 broadcasts (0 IP multicasts)",
              "     0 runts, 0 giants, 0 throttles ",
              f"     {count['input']} input errors, {count['crc']} CRC, {count['frame']} frame, 0 overrun, 0 ignored",
              "     0 watchdog, 0 multicast, 0 pause input",
              f"     {packets} packets output, {octets} bytes, 0 underruns",
              "     Output 0 broadcasts (0 IP multicasts)",
              f"     {count['output']} output errors, 0 collisions, 0 interface resets",
              "     0 unknown protocol drops",
              "     0 babbles, 0 late collision, 0 deferred",
              "     0 lost carrier, 0 no carrier, 0 pause output",
              "     0 output buffer failures, 0 output buffers swapped out"]
    return "\n".join(lines) + "\n"


_ROUTE_CODES = [
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area ",
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
    "       E1 - OSPF external type 1, E2 - OSPF external type 2, m - OMP",
    "       n - NAT, Ni - NAT inside, No - NAT outside, Nd - NAT DIA",
    "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2",
    "       ia - IS-IS inter area, * - candidate default, U - per-user static route",
    "       H - NHRP, G - NHRP registered, g - NHRP registration summary",
    "       o - ODR, P - periodic downloaded static route, l - LISP",
    "       a - application route",
    "       + - replicated route, % - next hop override, p - overrides from PfR",
    "       & - replicated local route overrides by connected",
]


def _classful(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """The classful network a route belongs to (how ``show ip route`` groups them)."""
    first = int(str(network.network_address).split(".")[0])
    prefix = 0 if network.prefixlen == 0 else 8 if first < 128 else 16 if first < 192 else 24
    return network.supernet(new_prefix=prefix) if network.prefixlen > prefix else network


def _route_line(route: Route, width: int) -> str:
    prefix = f"{route.code:<{width}}{route.network}"
    if route.via:
        return f"{prefix} [{route.distance}/0] via {route.via}"
    return f"{prefix} is directly connected, {route.interface}"
