"""The simulated Huawei NetEngine 8000 (VRPv8) router of the embedded lab.

A :class:`VrpRouter` answers the lines typed into an SSH session the way a VRPv8 router does,
so that the router role and its driver (stock netmiko ``huawei_vrpv8``) can be developed and
tested against the lab.  The lab core does the transport (login, PTY, echo, CR LF, SFTP and
SCP into the router's files through :meth:`VrpRouter.read_file`, :meth:`~VrpRouter.write_file`,
:meth:`~VrpRouter.list_files`); this module only answers lines, so it can be tested without
sockets.

What is simulated
-----------------
* The factory configuration (``gbtt lab reset``): ``sysname`` = the inventory host, the
  service port GigabitEthernet0/2/0 on the registry address (/24, a static default route to
  the first host of the subnet), NTP (``ntp-service unicast-server``), SSH with SFTP, the local
  user ``gbtt`` (its password irreversibly enciphered), the vty lines with AAA login.  The ports
  of the model as the lab has it: GigabitEthernet0/0/0 (the management Ethernet port) and
  GigabitEthernet0/2/0 to 0/2/3; only GigabitEthernet0/2/0 has a cable.  ``interface NULL0``
  always exists.
* The command line as netmiko ``huawei_vrpv8`` meets it: the user view ``<sysname>``, the
  system view of the two-stage mode ``[~sysname]`` (``[*sysname]`` with uncommitted changes, and
  while a trial runs) and its sub-views (``[~sysname-GigabitEthernet0/2/0]``, ``-aaa``,
  ``-acl4-basic-2000``, ``-classifier-X``, ``-behavior-X``, ``-trafficpolicy-X``,
  ``-ui-vty0-4``), entered with ``system-view`` and left with ``quit`` (one view up) or
  ``return`` (the user view); leaving the system view with uncommitted changes asks ``[Y(yes)/
  N(no)/C(cancel)]``.  Keywords may be abbreviated (``dis cur``, ``sys``).  Errors as VRP prints
  them, with the caret under the echoed line: ``Error: Unrecognized command found at '^'
  position.``, ``Wrong parameter``, ``Incomplete command``, ``Too many parameters``,
  ``Ambiguous command``.  A command of an upper view works in a sub-view (VRPv8 does so).
  ``screen-length 0 temporary`` (paging is never on), output filters ``| include``,
  ``| exclude``, ``| begin`` (Python regular expressions) and ``| no-more``.
* The two-stage configuration: every session edits its own candidate (the committed running
  configuration plus its changes), which ``commit`` makes running (a rollback point with a
  commit id from 1000000001, at most 80 kept: ``display configuration commit list [verbose]``);
  ``display configuration candidate changes`` shows it, ``clear configuration candidate`` drops
  it, and so does a session that ends.  ``commit trial N`` (60 to 65535 seconds) commits for a
  trial: the configuration cannot be changed while it runs, ``commit`` (from any session) keeps
  it, ``abort trial`` (any session, ``[Y/N]``) or the end of its timer (lab time:
  ``self.lab.call_later``, so the ``expire`` fault fires it) restores the configuration before it
  (a new rollback point).  ``rollback configuration to commit-id N`` / ``last N`` (user view,
  ``[Y/N]``).  ``save`` (``[Y/N]``) makes the running configuration the one that boots.
* ``load configuration file F replace`` (system view): the file (on ``cfcard:``, uploaded by
  SFTP/SCP) replaces the session's candidate as a whole; every line is validated with the same
  grammar as typed lines, and a file with one invalid line is refused (each bad line is named)
  and changes nothing.  ``merge`` applies the file's lines to the candidate, all or nothing too.
* The configuration grammar a router template needs (see the views below): ``clock
  timezone``, ``sysname``, ``info-center loghost``, ``telnet server enable`` / ``ftp server
  enable`` (shown ``undo …`` when off), ``ntp-service unicast-server``, basic ACLs, QoS
  (``traffic classifier`` with ``if-match dscp``, ``traffic behavior`` with ``queue ef|af
  bandwidth pct``, ``traffic policy`` with ``classifier … behavior … precedence``),
  ``aaa`` local users, interfaces (``description``, ``shutdown`` / ``undo shutdown``, ``ip
  address``, ``port shaping`` in Mbit/s, ``traffic-policy … inbound|outbound``), ``ip
  route-static``, SSH (``stelnet server enable``, ``sftp server enable``, ``ssh user …``,
  ``ssh authorization-type``), ``user-interface con 0`` / ``vty``.  References are checked as
  VRP does: a policy's classifier and behavior must exist, so must a policy an interface uses;
  the queue percentages of a policy add up to 100 at most; a classifier, behavior or policy in
  use cannot be removed, nor can a physical interface.  The configuration is kept as
  ``display current-configuration`` prints it: canonical keywords and interface names, masks
  dotted, VRP's order, ``#`` between blocks, ``return`` at the end.
* Local users: ``local-user U password irreversible-cipher X`` keeps X when it is already a
  cipher (``$1c$…$``) and enciphers it otherwise, with a new random salt each time (so the
  same password typed twice gives two different lines, as on VRP); ``local-user U password``
  alone asks for it twice, not echoed (``Enter Password:``, ``Confirm Password:``).  The lab's
  cipher is PBKDF2-SHA256 (Huawei's own algorithm is not published).  An SSH login with a
  local user's password works when the user's ``service-type`` has ``ssh`` and it is not
  blocked (:meth:`VrpRouter.check_login`; the lab login always works, as for every lab device).
* Read-only commands: ``display version`` (the registry's baseline, the model, uptime),
  ``display current-configuration`` (with ``!Software Version`` and ``!Last configuration was
  updated|saved at`` comment lines first), ``display saved-configuration``, ``display
  interface [brief | IFNAME]`` (VRP counters: ``Input: … bytes, … packets``, ``CRC``,
  ``Symbol``, ``Lost``, ``Underrun``…), ``display ip interface brief``, ``display ip
  routing-table``, ``display ntp-service status|sessions``, ``display clock``, ``display esn``,
  ``dir``, ``more FILE``, ``delete [/unreserved] FILE`` (``[Y/N]``).  ``ping [-c N] [-t MS]
  [-s SIZE] [-a SOURCE] ADDRESS`` answers for the router's own addresses and the lab devices
  it has a route to.
* Faults: ``reboot`` (the saved configuration boots: unsaved changes are lost, a trial is
  over as if it had been aborted), ``drift`` (configuration lines, typed as in the immediate
  mode: ``["sysname", "x"]`` or ``["interface GigabitEthernet0/2/0", " shutdown"]``: a rollback
  point by ``console``), ``expire`` (a running trial reverts now).
* Health faults, for the maintenance checks, as on the IOS router: ``drift line loss P
  latency MS`` (``line clear``), ``drift errors crc N input N output N drops N packets N``
  (``errors clear``; on the cabled port: ``CRC``, the other input errors as ``Symbol``, output
  errors as ``Underrun``, drops as ``Lost``), ``drift ntp unsynced`` (``ntp synced``), ``drift
  version V800R021C10SPC600`` (``version clear``), ``drift clear``.  They are kept in
  ``state["health"]`` (they survive ``gbtt lab down``/``up`` and a reboot; ``gbtt lab reset``
  ends them).

What is not
-----------
No protocol runs: no routing protocol, ARP, LLDP, SNMP agent, NTP (a configured server is
reported synchronised unless the ``ntp unsynced`` fault) or syslog.  ACLs and QoS are
configuration only: nothing is filtered (``acl 2000 inbound`` on the vty lets every lab login
in), queued or shaped.  Traffic is a steady 3 packets a second on the cabled port.  No ``?``
help, completion, history, ``commit label``, ``persist`` trial ids, configuration locking or
conflict between sessions (the last commit wins), IPv6, VPN instances, sub-interfaces,
``system-view immediately``, NETCONF, ``reboot`` (the fault does it) or software installation.
The exact wording of messages that have no public example (a refused file, a trial confirmed,
a rollback done) is the lab's own; the driver looks only for ``Error:``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from gbtt.lab.device import Device, Facts, Lab, Shell, Timer

DEFAULT_MODEL = "NetEngine 8000 M1C"
DEFAULT_SOFTWARE = "V800R022C10SPC500"
DEFAULT_SYSNAME = "HUAWEI"
FIRST_COMMIT_ID = 1000000001
COMMITS_KEPT = 80
TRIAL_RANGE = (60, 65535)
CFCARD_KB = 7_864_320
SERVICE_TYPES = ("terminal", "telnet", "ftp", "ssh", "http")


# =========================================================================================
# The command grammar
# =========================================================================================
# A pattern is a line of words: keywords (which may be abbreviated) and placeholders for
# values.  ``[x y]`` is optional, ``{a|b}`` a choice.  REST placeholders take the rest of the
# line.

_VALUES = frozenset({"WORD", "IP", "MASK", "WILDCARD", "IFNAME", "DSCP", "OFFSET", "CIPHER"})
_REST = frozenset({"LINE", "DSCPS", "SERVICES"})
_RANGE = re.compile(r"<(-?\d+)-(-?\d+)>")
_TOKEN = re.compile(r"[\[\]{}|]|[^\s\[\]{}|]+")
_IPV4 = re.compile(r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


@functools.lru_cache(maxsize=None)
def _is_keyword(element: str) -> bool:
    return element not in _VALUES and element not in _REST and not _RANGE.fullmatch(element)


@functools.lru_cache(maxsize=None)
def _expand(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Every flat word sequence a pattern allows."""
    tokens = _TOKEN.findall(pattern)
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

    return tuple(sequence(set()))


def is_ipv4(token: str) -> bool:
    return bool(_IPV4.fullmatch(token))


def _mask(token: str) -> str | None:
    """A mask as VRP shows it (dotted), from dotted form or a prefix length."""
    if re.fullmatch(r"\d{1,2}", token) and int(token) <= 32:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{int(token)}").netmask)
    if not is_ipv4(token):
        return None
    inverted = ~int(ipaddress.IPv4Address(token)) & 0xFFFFFFFF
    return token if inverted & (inverted + 1) == 0 else None


def _wildcard(token: str) -> str | None:
    if token == "0":
        return "0"
    if not is_ipv4(token):
        return None
    return "0" if token == "0.0.0.0" else token


#: DSCP names VRP shows for the code points that have one
DSCP_NAMES = {0: "default", 46: "ef", **{8 * n: f"cs{n}" for n in range(1, 8)},
              **{8 * c + 2 * d: f"af{c}{d}" for c in range(1, 5) for d in range(1, 4)}}
_DSCP_VALUES = {name: value for value, name in DSCP_NAMES.items()}


def dscp_name(token: str) -> str | None:
    lowered = token.lower()
    if lowered in _DSCP_VALUES:
        return lowered
    if re.fullmatch(r"\d+", token) and int(token) <= 63:
        return DSCP_NAMES.get(int(token), str(int(token)))
    return None


def _offset(token: str) -> str | None:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", token)
    if not found or int(found.group(1)) > 14 or int(found.group(2)) > 59 or int(found.group(3) or 0) > 59:
        return None
    return f"{int(found.group(1)):02d}:{found.group(2)}:{found.group(3) or '00'}"


class CommandError(Exception):
    """A line VRP rejects: ``kind`` is ``unrecognized``, ``wrong``, ``incomplete``, ``many`` or
    ``ambiguous`` (``column``: where the caret goes), or ``message`` (``text`` is what VRP says)."""

    LABELS = {"unrecognized": "Unrecognized command", "wrong": "Wrong parameter",
              "incomplete": "Incomplete command", "many": "Too many parameters",
              "ambiguous": "Ambiguous command"}

    def __init__(self, kind: str, column: int = 0, text: str = ""):
        super().__init__(text or kind)
        self.kind = kind
        self.column = column
        self.text = text

    def describe(self) -> str:
        """One line, without the caret: what a refused file line is reported with."""
        if self.kind == "message":
            return self.text
        return f"Error: {self.LABELS[self.kind]} found at '^' position."

    def render(self, indent: int) -> str:
        """What VRP prints after a line typed behind a prompt ``indent`` characters wide."""
        if self.kind == "message":
            return self.text + "\n"
        return " " * (indent + self.column) + "^\n" + self.describe() + "\n"


@dataclass(eq=False)
class Rule:
    """A command: its pattern, expanded once.

    Configuration commands: ``key`` is how many leading words name the setting (a new value
    replaces the line with the same key; ``undo`` + key removes it); None: the whole line
    (many may coexist).  ``keyer`` gives the key when its words are not the leading ones.
    ``enters``: the view a section header opens.  ``negation``: ``remove`` (``undo x`` removes
    x) or ``keep`` (``undo x`` is a line VRP shows, as ``undo shutdown``).  ``canonical``
    rewrites the words as VRP stores them; ``fill`` completes them from the configuration
    (numbers VRP allocates); ``check`` returns VRP's error for a value; ``requires`` checks the
    line against the rest of the configuration; ``in_use`` says why a section cannot go.
    ``family`` groups the lines of one entity (a local user) together, in rule order.
    Exec commands: ``handler`` is the method of :class:`VrpShell` that answers."""

    pattern: str
    key: int | None = None
    keyer: Callable[[list[str]], tuple[str, ...]] | None = None
    enters: str | None = None
    negation: str = "remove"
    canonical: Callable[[list[str]], list[str]] | None = None
    fill: Callable[["Config", "Node", list[str]], list[str]] | None = None
    check: Callable[[list[str]], str | None] | None = None
    requires: Callable[["Config", "Node", list[str]], str | None] | None = None
    in_use: Callable[["Config", "Node"], str | None] | None = None
    family: Callable[[list[str]], str] | None = None
    handler: str = ""
    group: int = field(default=0, init=False)
    order: int = field(default=0, init=False)

    @property
    def sequences(self) -> tuple[tuple[str, ...], ...]:
        return _expand(self.pattern)

    def key_of(self, words: list[str]) -> tuple[str, ...]:
        if self.keyer:
            return tuple(self.keyer(words))
        return tuple(words[: self.key] if self.key else words)


@dataclass
class Match:
    """A line the grammar accepted: the rule and the canonical words (keywords spelled out,
    values as VRP stores them).  ``complete`` is False for a prefix of commands (``undo
    local-user x``): ``rules`` are then every rule it may name."""

    rule: Rule
    words: list[str]
    complete: bool = True
    rules: list[Rule] = field(default_factory=list)


def match(rules: list[Rule], line: str, interfaces: "Interfaces", *, prefix_ok: bool = False,
          offset: int = 0) -> Match:
    """The rule a line means; ``offset`` is where ``line`` starts in what was typed."""
    spans = [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]
    candidates = [(rule, seq) for rule in rules for seq in rule.sequences]
    words: list[str] = []
    for index, (column, token) in enumerate(spans):
        alive = [(rule, seq) for rule, seq in candidates if len(seq) > index]
        if not alive:
            raise CommandError("many", offset + column)
        candidates = alive
        keywords = {seq[index] for _, seq in candidates if _is_keyword(seq[index])}
        lowered = token.lower()
        chosen = [k for k in keywords if k.lower() == lowered] or \
                 [k for k in keywords if k.lower().startswith(lowered)]
        if len(chosen) == 1:
            candidates = [(rule, seq) for rule, seq in candidates if seq[index] == chosen[0]]
            words.append(chosen[0])
            continue
        if len(chosen) > 1:
            raise CommandError("ambiguous", offset + column)
        values = []
        for rule, seq in candidates:
            element = seq[index]
            if _is_keyword(element) or element in _REST:
                continue
            value = _value(element, token, interfaces)
            if value is not None:
                values.append((rule, seq, value))
        if values:
            candidates = [(rule, seq) for rule, seq, _ in values]
            words.append(values[0][2])
            continue
        for rule, seq in candidates:
            if seq[index] in _REST:
                value = _rest_value(seq[index], line[column:].rstrip())
                if value is not None:
                    return Match(rule, [*words, value])
        has_values = any(not _is_keyword(seq[index]) for _, seq in candidates)
        raise CommandError("wrong" if has_values else "unrecognized", offset + column)
    count = len(spans)
    for rule, seq in candidates:
        if len(seq) == count:
            return Match(rule, words)
    if prefix_ok and candidates:
        rules_ = list(dict.fromkeys(rule for rule, _ in candidates))
        return Match(rules_[0], words, complete=False, rules=rules_)
    raise CommandError("incomplete", offset + len(line.rstrip()) + 1)


def _value(element: str, token: str, interfaces: "Interfaces") -> str | None:
    if element == "WORD":
        return token if "?" not in token else None
    if element == "CIPHER":
        return token if "?" not in token and len(token) <= 268 else None
    if element == "IP":
        return token if is_ipv4(token) else None
    if element == "MASK":
        return _mask(token)
    if element == "WILDCARD":
        return _wildcard(token)
    if element == "IFNAME":
        return interfaces.resolve(token)
    if element == "DSCP":
        return dscp_name(token)
    if element == "OFFSET":
        return _offset(token)
    low, high = (int(bound) for bound in _RANGE.fullmatch(element).groups())
    if re.fullmatch(r"-?\d+", token) and low <= int(token) <= high:
        return str(int(token))
    return None


def _rest_value(element: str, rest: str) -> str | None:
    if element == "LINE":
        return rest
    if element == "DSCPS":
        names = [dscp_name(token) for token in rest.split()]
        if not names or None in names or len(names) > 8:
            return None
        return " ".join(dict.fromkeys(names))
    services = rest.lower().split()
    if not services or any(s not in SERVICE_TYPES for s in services):
        return None
    return " ".join(s for s in SERVICE_TYPES if s in services)


# =========================================================================================
# Interfaces of the hardware
# =========================================================================================

class Interfaces:
    """The router's interface names: the physical ports of the model as the lab has it
    (GigabitEthernet0/0/0, the management Ethernet port, and 0/2/0 to 0/2/3), loopbacks and
    NULL0."""

    PHYSICAL = ("GigabitEthernet0/0/0", "GigabitEthernet0/2/0", "GigabitEthernet0/2/1",
                "GigabitEthernet0/2/2", "GigabitEthernet0/2/3")
    CABLED = "GigabitEthernet0/2/0"
    TYPES = ("GigabitEthernet", "LoopBack", "NULL")
    ALIASES = {"ge": "GigabitEthernet"}

    physical = PHYSICAL

    def resolve(self, token: str) -> str | None:
        """The full name of an interface (``GE0/2/0``, ``gi0/2/0`` -> ``GigabitEthernet0/2/0``)."""
        found = re.fullmatch(r"([A-Za-z-]+)(\d+(?:/\d+)*)", token)
        if not found:
            return None
        prefix, number = found.groups()
        kind = self.ALIASES.get(prefix.lower())
        if kind is None:
            kinds = [t for t in self.TYPES if t.lower().startswith(prefix.lower())]
            if len(kinds) != 1:
                return None
            kind = kinds[0]
        if kind == "GigabitEthernet":
            return kind + number if kind + number in self.PHYSICAL else None
        if not number.isdigit():
            return None
        if kind == "NULL":
            return "NULL0" if int(number) == 0 else None
        return f"{kind}{int(number)}" if int(number) <= 1023 else None

    def kind(self, name: str) -> str:
        """physical, loopback or null."""
        if name in self.PHYSICAL:
            return "physical"
        return "loopback" if name.startswith("LoopBack") else "null"

    def sort_key(self, name: str) -> tuple:
        kind = re.match(r"[A-Za-z-]+", name).group()
        return (self.TYPES.index(kind), tuple(int(n) for n in re.findall(r"\d+", name)))


def join_interface_names(line: str) -> str:
    """``interface GigabitEthernet 0/2/0`` -> ``interface GigabitEthernet0/2/0`` (VRP takes both)."""
    return re.sub(r"(?i)\b(GigabitEthernet|GE|LoopBack|NULL)\s+(\d+(?:/\d+)*)\b", r"\1\2", line)


# =========================================================================================
# Local user passwords
# =========================================================================================

_CIPHER = re.compile(r"\$1[a-z]\$[^\s$]{1,64}\$[^\s$]{8,200}\$")
_CIPHER_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def is_cipher(value: str) -> bool:
    """Whether a password value is already an irreversible cipher (``$1c$salt$digest$``)."""
    return bool(_CIPHER.fullmatch(value))


def encipher(password: str, salt: str | None = None) -> str:
    """The lab's irreversible cipher of a password: ``$1c$<salt>$<PBKDF2-SHA256>$``, a new
    random salt unless one is given."""
    if salt is None:
        salt = "".join(random.SystemRandom().choice(_CIPHER_ALPHABET) for _ in range(10))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 2000)
    encoded = base64.b64encode(digest).decode().rstrip("=").translate(str.maketrans(_STD64, _CIPHER_ALPHABET))
    return f"$1c${salt}${encoded}$"


def cipher_matches(password: str, cipher: str) -> bool:
    found = re.fullmatch(r"\$1c\$([^$]+)\$[^$]+\$", cipher)
    return bool(found) and hmac.compare_digest(encipher(password, found.group(1)), cipher)


def password_problem(password: str) -> str | None:
    """VRP's rules for a local user's password, as the lab checks them."""
    if not 8 <= len(password) <= 128:
        return "Error: The password length must be in the range of 8 to 128."
    if " " in password or "?" in password:
        return "Error: The password cannot contain spaces or question marks."
    return None


# =========================================================================================
# The configuration grammar
# =========================================================================================

def _check_sysname(words: list[str]) -> str | None:
    if len(words[1]) > 246:
        return "Error: The length of the host name exceeds 246 characters."
    return None


def _check_address(words: list[str]) -> str | None:
    address = ipaddress.IPv4Interface(f"{words[2]}/{words[3]}")
    network = address.network
    if network.prefixlen < 31 and address.ip in (network.network_address, network.broadcast_address):
        return "Error: The specified IP address is invalid."
    return None


def _check_route(words: list[str]) -> str | None:
    network = ipaddress.IPv4Network(f"{words[2]}/{words[3]}", strict=False)
    if str(network.network_address) != words[2]:
        return "Error: The destination address and mask do not match."
    return None


def _section(config: "Config", *key: str) -> "Node | None":
    return next((node for node in config.root.children if node.key == key), None)


def _needs_classifier_and_behavior(config: "Config", parent: "Node", words: list[str]) -> str | None:
    if _section(config, "traffic", "classifier", words[1]) is None:
        return f"Error: The classifier {words[1]} does not exist."
    if _section(config, "traffic", "behavior", words[3]) is None:
        return f"Error: The behavior {words[3]} does not exist."
    total = _queue_percent(config, words[3])
    for line in parent.children:
        if line.key[:1] == ("classifier",) and line.key[1] != words[1]:
            total += _queue_percent(config, line.text.split()[3])
    if total > 100:
        return "Error: The sum of the queue bandwidth percentages in the policy exceeds 100."
    return None


def _queue_percent(config: "Config", behavior: str) -> int:
    node = _section(config, "traffic", "behavior", behavior)
    for line in node.children if node else []:
        words = line.text.split()
        if words[0] == "queue" and "pct" in words:
            return int(words[-1])
    return 0


def _needs_policy(config: "Config", parent: "Node", words: list[str]) -> str | None:
    if _section(config, "traffic", "policy", words[1]) is None:
        return f"Error: The traffic policy {words[1]} does not exist."
    return None


def _classifier_in_use(config: "Config", node: "Node") -> str | None:
    name = node.key[2]
    for policy in config.root.children:
        if policy.key[:2] == ("traffic", "policy") and any(
                line.key == ("classifier", name) for line in policy.children):
            return f"Error: The classifier {name} is being used by a traffic policy."
    return None


def _behavior_in_use(config: "Config", node: "Node") -> str | None:
    name = node.key[2]
    for policy in config.root.children:
        if policy.key[:2] == ("traffic", "policy") and any(
                line.key[:1] == ("classifier",) and line.text.split()[3] == name for line in policy.children):
            return f"Error: The behavior {name} is being used by a traffic policy."
    return None


def _policy_in_use(config: "Config", node: "Node") -> str | None:
    name = node.key[2]
    for section in config.nodes("interface"):
        if any(line.key[:1] == ("traffic-policy",) and line.text.split()[1] == name for line in section.children):
            return f"Error: The traffic policy {name} is being applied to an interface."
    return None


def _classifier(words: list[str]) -> list[str]:
    """``traffic classifier X`` is ``traffic classifier X operator or``."""
    return words if len(words) == 5 else [*words[:3], "operator", "or"]


def _idle_timeout(words: list[str]) -> list[str]:
    return words if len(words) == 3 else [*words, "0"]


def _vty(words: list[str]) -> list[str]:
    if len(words) == 4 and int(words[3]) < int(words[2]):
        raise CommandError("message", text="Error: The end number must not be smaller than the start number.")
    return words


def _acl_rule(words: list[str]) -> list[str]:
    """``rule [N] permit|deny [source A W | source any]`` as VRP shows it (no ``source any``)."""
    if words[-2:] == ["source", "any"]:
        words = words[:-2]
    return words


def _acl_rule_number(config: "Config", parent: "Node", words: list[str]) -> list[str]:
    """VRP numbers a rule typed without a number: 5 after the highest."""
    if words[1].isdigit():
        return words
    numbers = [int(line.key[1]) for line in parent.children if line.key[:1] == ("rule",)]
    return [words[0], str((max(numbers, default=0) // 5 + 1) * 5), *words[1:]]


def _precedence(config: "Config", parent: "Node", words: list[str]) -> list[str]:
    """``classifier C behavior B`` gets the next free precedence."""
    if "precedence" in words:
        return words
    same = next((line for line in parent.children if line.key == ("classifier", words[1])), None)
    if same is not None:
        return [*words, same.text.split()[-1]]
    taken = [int(line.text.split()[-1]) for line in parent.children if line.key[:1] == ("classifier",)]
    return [*words, "precedence", str(max(taken, default=0) + 1)]


def _local_user_password(words: list[str]) -> list[str]:
    """A clear password is enciphered (a new salt each time); a cipher is kept."""
    value = words[-1]
    if is_cipher(value):
        return words
    problem = password_problem(value)
    if problem:
        raise CommandError("message", text=problem)
    return [*words[:-1], encipher(value)]


def _user_of(words: list[str]) -> str:
    return words[1] if words[0] == "local-user" else words[2]


@dataclass
class View:
    name: str
    rules: list[Rule]


def _view(name: str, *entries: Rule | str) -> View:
    """A view from its rules in display order; "#" separates groups of lines."""
    rules: list[Rule] = []
    group = 0
    for entry in entries:
        if entry == "#":
            group += 1
            continue
        entry.group, entry.order = group, len(rules)
        rules.append(entry)
    return View(name, rules)


_SYSTEM = _view(
    "system",
    Rule("clock timezone WORD {add|minus} OFFSET", key=2),
    "#",
    Rule("sysname WORD", key=1, check=_check_sysname),
    "#",
    Rule("info-center loghost IP", key=3),
    "#",
    Rule("telnet server enable", negation="keep"),
    Rule("ftp server enable", negation="keep"),
    "#",
    Rule("ntp-service unicast-server IP [preference]", key=3),
    "#",
    Rule("acl number <2000-2999>", key=3, enters="acl-basic"),
    "#",
    Rule("traffic classifier WORD [operator {or|and}]", keyer=lambda words: words[:3], enters="classifier",
         canonical=_classifier, in_use=_classifier_in_use),
    "#",
    Rule("traffic behavior WORD", key=3, enters="behavior", in_use=_behavior_in_use),
    "#",
    Rule("traffic policy WORD", key=3, enters="policy", in_use=_policy_in_use),
    "#",
    Rule("aaa", key=1, enters="aaa"),
    "#",
    Rule("interface IFNAME", key=2, enters="interface"),
    "#",
    Rule("ip route-static IP MASK IP [preference <1-255>] [description LINE]", key=5, check=_check_route),
    Rule("ip route-static IP MASK IFNAME [IP] [preference <1-255>] [description LINE]",
         keyer=lambda words: words[:6] if len(words) > 5 and is_ipv4(words[5]) else words[:5], check=_check_route),
    "#",
    Rule("stelnet server enable", negation="keep"),
    Rule("sftp server enable", negation="keep"),
    Rule("ssh user WORD", key=3, family=_user_of),
    Rule("ssh user WORD authentication-type {password|rsa|ecc|password-rsa|password-ecc|all}", key=4,
         family=_user_of),
    Rule("ssh user WORD service-type {stelnet|sftp|snetconf|all}", key=4, family=_user_of),
    Rule("ssh authorization-type default {aaa|root}", key=3),
    "#",
    Rule("user-interface con 0", key=3, enters="ui"),
    Rule("user-interface vty <0-20> [<0-20>]", enters="ui", canonical=_vty),
)

_ACL_BASIC = _view(
    "acl-basic",
    Rule("description LINE", key=1),
    Rule("rule [<0-4294967294>] {permit|deny} [source {IP WILDCARD|any}]", key=2, canonical=_acl_rule,
         fill=_acl_rule_number),
)

_CLASSIFIER = _view(
    "classifier",
    Rule("if-match dscp DSCPS"),
    Rule("if-match any"),
)

_BEHAVIOR = _view(
    "behavior",
    Rule("queue {ef|af} bandwidth pct <1-100>", key=1),
    Rule("remark dscp DSCP", key=2),
)

_POLICY = _view(
    "policy",
    Rule("share-mode", key=1),
    Rule("classifier WORD behavior WORD [precedence <1-5119>]", key=2, fill=_precedence,
         requires=_needs_classifier_and_behavior),
)

_AAA = _view(
    "aaa",
    Rule("local-user WORD password irreversible-cipher CIPHER", key=3, canonical=_local_user_password,
         family=_user_of),
    Rule("local-user WORD service-type SERVICES", key=3, family=_user_of),
    Rule("local-user WORD level <0-3>", key=3, family=_user_of),
    Rule("local-user WORD state {active|block}", key=3, family=_user_of),
)

_INTERFACE = _view(
    "interface",
    Rule("description LINE", key=1),
    Rule("shutdown", key=1, negation="keep"),
    Rule("ip address IP MASK", key=2, check=_check_address),
    Rule("port shaping <1-1000>", key=2),
    Rule("traffic-policy WORD {inbound|outbound}", keyer=lambda words: (words[0], words[2]), requires=_needs_policy),
)

_LOOPBACK = _view(
    "loopback",
    Rule("description LINE", key=1),
    Rule("ip address IP MASK", key=2),
)

_NULL = _view("null", Rule("description LINE", key=1))

_UI = _view(
    "ui",
    Rule("acl <2000-2999> {inbound|outbound}", keyer=lambda words: (words[0], words[2])),
    Rule("authentication-mode {aaa|password|none}", key=1),
    Rule("user privilege level <0-15>", key=3),
    Rule("idle-timeout <0-35791> [<0-59>]", key=1, canonical=_idle_timeout),
    Rule("protocol inbound {ssh|telnet|all}", key=2),
)

VIEWS = {view.name: view for view in (_SYSTEM, _ACL_BASIC, _CLASSIFIER, _BEHAVIOR, _POLICY, _AAA, _INTERFACE,
                                      _LOOPBACK, _NULL, _UI)}


# =========================================================================================
# The configuration model
# =========================================================================================

@dataclass(eq=False)
class Node:
    """A configuration line and, for a section header, the lines under it."""

    text: str
    rule: Rule | None = None
    key: tuple[str, ...] = ()
    view: str | None = None
    children: list["Node"] = field(default_factory=list)

    def lines(self, depth: int = 0) -> Iterator[str]:
        yield " " * depth + self.text
        for child in self.children:
            yield from child.lines(depth + 1)

    def child(self, text: str) -> "Node | None":
        return next((node for node in self.children if node.text == text), None)


class Config:
    """A configuration as VRP holds it: canonical lines in VRP's order."""

    def __init__(self, interfaces: Interfaces):
        self.interfaces = interfaces
        self.root = Node("", view="system")

    @classmethod
    def parse(cls, text: str, interfaces: Interfaces) -> tuple["Config", list[tuple[int, str, CommandError]]]:
        config = cls(interfaces)
        return config, config.load(text)

    def load(self, text: str) -> list[tuple[int, str, CommandError]]:
        """Apply the lines of a configuration file (indentation gives the views; ``#`` and ``!``
        lines are not configuration; ``return`` ends it).  Returns the refused lines: (line
        number, line, error); the lines under a refused section header are skipped."""
        errors: list[tuple[int, str, CommandError]] = []
        stack: list[tuple[int, Node | None]] = [(-1, self.root)]
        for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith(("#", "!")):
                continue
            indent = len(raw) - len(raw.lstrip())
            if stripped == "return" and indent == 0:
                break
            while stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1]
            if parent is None:                      # under a refused header
                stack.append((indent, None))
                continue
            try:
                section, _ = self.apply(parent, stripped)
            except CommandError as error:
                errors.append((number, stripped, error))
                section = None
                stack.append((indent, None))
                continue
            if section is not None:
                stack.append((indent, section))
        return errors

    def render(self) -> str:
        """The configuration as ``display current-configuration`` prints it after its comment
        lines: ``#`` between blocks, ``return`` at the end."""
        out = ["#"]
        previous: Node | None = None
        for node in self.root.children:
            if previous is not None and (node.view is not None or previous.view is not None
                                         or node.rule.group != previous.rule.group):
                out.append("#")
            out.extend(node.lines())
            previous = node
        if out[-1] != "#":
            out.append("#")
        out.append("return")
        return "\n".join(out) + "\n"

    def copy(self) -> "Config":
        return Config.parse(self.render(), self.interfaces)[0]

    # -- queries ------------------------------------------------------------------------
    def nodes(self, first_word: str, parent: Node | None = None) -> list[Node]:
        return [n for n in (parent or self.root).children if n.key[:1] == (first_word,)]

    def value(self, *key: str, parent: Node | None = None) -> list[str] | None:
        """The words after ``key`` of the line with that key."""
        for node in (parent or self.root).children:
            if node.key[: len(key)] == key and not node.text.startswith("undo "):
                return node.text.split()[len(key):]
        return None

    @property
    def sysname(self) -> str:
        value = self.value("sysname")
        return value[0] if value else DEFAULT_SYSNAME

    def interface(self, name: str) -> Node | None:
        return self.root.child(f"interface {name}")

    def chain(self, path: list[str] | tuple[str, ...]) -> list[Node]:
        """The section headers a view path names, from the root (as far as they exist)."""
        nodes = [self.root]
        for text in path:
            node = nodes[-1].child(text)
            if node is None:
                break
            nodes.append(node)
        return nodes

    def local_users(self) -> dict[str, dict[str, str]]:
        """user -> {"password": cipher, "service-type": "ssh …", "level": …, "state": …}."""
        users: dict[str, dict[str, str]] = {}
        aaa = self.root.child("aaa")
        for line in aaa.children if aaa else []:
            words = line.text.split()
            users.setdefault(words[1], {})[words[2]] = " ".join(words[3:] if words[2] != "password" else words[4:])
        return users

    # -- changing -----------------------------------------------------------------------
    def apply(self, parent: Node, line: str) -> tuple[Node | None, bool]:
        """Apply one line in the view of ``parent``: the section it opens (or None) and whether
        the configuration changed.  Raises CommandError and changes nothing."""
        line = join_interface_names(line)
        undo = re.match(r"\s*undo\s+", line, re.I)
        offset = undo.end() if undo else len(line) - len(line.lstrip())
        if undo is None and line.strip().lower() == "undo":
            raise CommandError("incomplete", len(line.rstrip()) + 1)
        view = VIEWS[parent.view]
        found = match(view.rules, line[offset:], self.interfaces, prefix_ok=undo is not None, offset=offset)
        if undo:
            return None, self._undo(parent, found)
        rule = found.rule
        words = rule.canonical(found.words) if rule.canonical else found.words
        if rule.fill:
            words = rule.fill(self, parent, words)
        if rule.check and (problem := rule.check(words)):
            raise CommandError("message", text=problem)
        if rule.requires and (problem := rule.requires(self, parent, words)):
            raise CommandError("message", text=problem)
        return self._set(parent, rule, words)

    def _set(self, parent: Node, rule: Rule, words: list[str]) -> tuple[Node | None, bool]:
        key = rule.key_of(words)
        text = " ".join(words)
        same = [n for n in parent.children if n.rule is rule and n.key == key]
        if rule.enters:
            if same:
                if same[0].text != text:
                    if rule.canonical is _classifier:       # a new operator for the same classifier
                        same[0].text = text
                        return same[0], True
                    raise CommandError("message", text=f"Error: {same[0].text} already exists.")
                return same[0], False
            section = Node(text, rule, key, view=self._view_of(rule, words))
            self._insert(parent, section)
            return section, True
        if len(same) == 1 and same[0].text == text:
            return None, False
        self._replace(parent, same, Node(text, rule, key))
        return None, True

    def _undo(self, parent: Node, found: Match) -> bool:
        typed = found.words
        rules = [found.rule] if found.complete else found.rules
        if found.complete and found.rule.negation == "keep":
            rule = found.rule
            key = rule.key_of(typed)
            negated = Node("undo " + " ".join(key), rule, key)
            same = [n for n in parent.children if n.rule is rule and n.key == key]
            if len(same) == 1 and same[0].text == negated.text:
                return False
            self._replace(parent, same, negated)
            return True
        if found.complete:
            rule = found.rule
            key = rule.key_of(rule.canonical(typed) if rule.canonical and rule.canonical is not _local_user_password
                              else typed)
            gone = [n for n in parent.children if n.rule is rule and n.key == key]
        else:
            gone = [n for n in parent.children if n.rule in rules and n.text.split()[: len(typed)] == typed]
        for node in gone:
            if node.rule.enters == "interface" and node.key[1] in self.interfaces.PHYSICAL + ("NULL0",):
                raise CommandError("message", text="Error: The physical interface cannot be deleted.")
            if node.rule.in_use and (problem := node.rule.in_use(self, node)):
                raise CommandError("message", text=problem)
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
        rule = node.rule
        if rule.family is not None:
            entity = rule.family(node.text.split())
            kin = [i for i, n in enumerate(parent.children) if n.rule is not None and n.rule.family is not None]
            own = [i for i in kin if parent.children[i].rule.family(parent.children[i].text.split()) == entity]
            if own:
                after = [i for i in own if parent.children[i].rule.order <= rule.order]
                position = after[-1] + 1 if after else own[0]
                parent.children.insert(position, node)
                return
            if kin:
                parent.children.insert(kin[-1] + 1, node)
                return
        position = len(parent.children)
        for index, sibling in enumerate(parent.children):
            if self._sort_key(sibling) > self._sort_key(node):
                position = index
                break
        parent.children.insert(position, node)

    def _sort_key(self, node: Node) -> tuple:
        rule = node.rule
        if rule.enters == "interface":
            return (rule.order, self.interfaces.sort_key(node.key[1]))
        if rule.fill is _acl_rule_number:
            return (rule.order, int(node.key[1]))
        if rule.fill is _precedence:
            return (rule.order, int(node.text.split()[-1]))
        return (rule.order,)

    def _view_of(self, rule: Rule, words: list[str]) -> str:
        if rule.enters == "interface":
            return {"physical": "interface", "loopback": "loopback", "null": "null"}[self.interfaces.kind(words[1])]
        return rule.enters

    def complete(self) -> None:
        """What a configuration cannot lose: the physical ports and NULL0."""
        for name in (*self.interfaces.PHYSICAL, "NULL0"):
            self.apply(self.root, f"interface {name}")


def candidate_changes(old: Config, new: Config) -> str:
    """``display configuration candidate changes``: ``+`` lines only in the candidate, ``-``
    lines only in the running configuration, each under its unchanged section header."""
    lines = [*_diff_lines(old.root.children, new.root.children, "+", 0),
             *_diff_lines(new.root.children, old.root.children, "-", 0)]
    return "\n".join(lines) + "\n" if lines else ""


def _diff_lines(base: list[Node], other: list[Node], marker: str, depth: int) -> list[str]:
    out: list[str] = []
    for node in other:
        twin = next((b for b in base if b.text == node.text), None)
        if twin is None:
            out.extend(marker + line for line in node.lines(depth))
            continue
        inner = _diff_lines(twin.children, node.children, marker, depth + 1)
        if inner:
            out.append(" " + " " * depth + node.text)
            out.extend(inner)
    return out


# =========================================================================================
# Software and hardware facts
# =========================================================================================

def model_name(model: str | None) -> str:
    """``Huawei NetEngine 8000 M1C`` -> ``NetEngine 8000 M1C``."""
    return re.sub(r"^huawei\s+", "", (model or DEFAULT_MODEL).strip(), flags=re.I)


def vrp_version(software: str) -> str:
    """``V800R022C10SPC500`` -> ``8.221``, the VRP version ``display version`` names."""
    found = re.match(r"V(\d)\d\dR(\d{3})C(\d{2})", software)
    if not found:
        return "8.0"
    return f"{found.group(1)}.{int(found.group(2))}{int(found.group(3)) // 10}"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def uptime_text(seconds: float) -> str:
    """``405 days, 12 hours, 9 minutes`` as VRP writes it."""
    minutes = int(seconds // 60)
    return ", ".join((_plural(minutes // 1440, "day"), _plural(minutes // 60 % 24, "hour"),
                      _plural(minutes % 60, "minute")))


@dataclass
class Port:
    name: str
    kind: str
    description: str
    address: ipaddress.IPv4Interface | None
    shutdown: bool
    up: bool
    mac: str
    index: int


@dataclass
class Route:
    network: ipaddress.IPv4Network
    proto: str          # Direct, Static
    preference: int
    nexthop: str
    interface: str


# =========================================================================================
# The router
# =========================================================================================

class VrpRouter(Device):
    """A Huawei NetEngine 8000 router (VRPv8): its state is the running and saved
    configurations, the rollback points, ``cfcard:`` and a running trial."""

    platform = "huawei_vrp"
    protocol = "ssh"

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        self.interfaces = Interfaces()
        self._parsed: tuple[str, Config] | None = None
        self._trial_timer: Timer | None = None
        self._sessions = 0
        super().__init__(facts, lab, state)
        if state is not None and state.get("trial"):     # the lab stopped while a trial ran
            self._arm_trial()

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        config, errors = Config.parse(_factory_config(facts), Interfaces())
        if errors:
            raise ValueError(f"{facts.host}: factory configuration refused: {errors[0][1]!r}")
        config.complete()
        running = config.render()
        now = time.time()
        return {"running": running, "saved": running, "files": {}, "file_times": {},
                "commits": [{"id": FIRST_COMMIT_ID, "user": "SYSTEM", "at": now, "description": "",
                             "config": running}],
                "trial": None, "last_change": {"at": now, "by": "SYSTEM"}, "last_saved": {"at": now, "by": "SYSTEM"},
                "health": {}}

    def factory_reset(self) -> None:
        self._cancel_trial()
        self._state = None
        self._parsed = None
        self.booted_at = time.monotonic()

    def reboot(self) -> None:
        """The saved configuration boots: what was not saved is lost, a trial is over."""
        super().reboot()
        self._cancel_trial()
        if self.state.get("trial"):
            self.lab.log(self.facts.host, "revert",
                         "reboot during a configuration trial: the saved configuration boots")
        self.state["trial"] = None
        config = self.parse(self.state["saved"]).copy()
        config.complete()
        self.state["running"] = config.render()
        self.state["last_change"] = None
        self._parsed = None

    def expire_timers(self) -> list[str]:
        trial = self.state.get("trial")
        if not trial:
            return []
        self._revert_trial("expired")
        return [f"configuration trial ({trial['seconds']} s): reverted"]

    def shell(self, username: str) -> "VrpShell":
        self._sessions += 1
        return VrpShell(self, username, self._sessions)

    def check_login(self, username: str, password: str) -> bool:
        """An SSH login of a local user: its password, ``ssh`` among its service types, not
        blocked."""
        user = self.running_config().local_users().get(username)
        return (user is not None and "ssh" in user.get("service-type", "").split()
                and user.get("state", "active") == "active" and bool(user.get("password"))
                and cipher_matches(password, user["password"]))

    @staticmethod
    def redact(line: str) -> str:
        """A command line as the lab logs it: a password typed after ``password
        [irreversible-cipher|cipher]`` is hidden."""
        return re.sub(r"(?i)(\bpassword(?:\s+(?:irreversible-cipher|cipher))?\s+)\S+", r"\1<redacted>", line)

    # -- drift and health faults --------------------------------------------------------
    def drift(self, args: list[str]) -> str:
        """Configuration lines typed at the console in the immediate mode (``["sysname", "x"]``
        or ``["interface GigabitEthernet0/2/0", " shutdown"]``), or a health fault (``line …``,
        ``errors …``, ``ntp …``, ``version …``, ``clear``)."""
        if not args:
            raise ValueError("drift needs a configuration line (sysname other-name) or a health fault "
                             "(line, errors, ntp, version, clear)")
        words = args[0].split() if len(args) == 1 else args
        if _is_health_fault(words):
            return self.health_fault(words)
        if self.state.get("trial"):
            raise ValueError("a configuration trial is running: the configuration cannot be changed")
        lines = list(args) if any(" " in a.strip() or a.startswith(" ") for a in args) else [" ".join(args)]
        config = self.running_config().copy()
        path: list[Node] = [config.root]
        for line in lines:
            depth = len(line) - len(line.lstrip())
            del path[depth + 1:]
            try:
                section, _ = config.apply(path[-1], line.strip())
            except CommandError as error:
                raise ValueError(f"{line.strip()!r}: {error.describe()}") from None
            if section is not None:
                path.append(section)
        self.commit(config.render(), "console", description="drift")
        return "configuration changed: " + "; ".join(line.strip() for line in lines)

    @property
    def health(self) -> dict:
        return self.state.setdefault("health", {})

    def health_fault(self, words: list[str]) -> str:
        head, rest = words[0].lower(), words[1:]
        health = self.health
        if head == "clear":
            ended = sorted(health)
            health.clear()
            return "health faults cleared: " + (", ".join(ended) or "none")
        if head == "line":
            if rest == ["clear"]:
                health.pop("line", None)
                return "line: clean"
            values = _fault_values("line", rest, LINE_FAULT)
            health["line"] = {"loss": values.get("loss", 0), "latency": values.get("latency", 0)}
            return f"line: {health['line']['loss']} % loss, {health['line']['latency']} ms latency beyond the site"
        if head == "errors":
            if rest == ["clear"]:
                health.pop("errors", None)
                return "errors: counters clean"
            health["errors"] = {k: int(v) for k, v in _fault_values("errors", rest, ERRORS_FAULT, whole=True).items()}
            shown = ", ".join(f"{name} {value}" for name, value in health["errors"].items())
            return f"errors: {Interfaces.CABLED} counters {shown}"
        if head == "ntp":
            if rest == ["synced"]:
                health.pop("ntp", None)
                return "ntp: synchronised"
            health["ntp"] = "unsynced"
            return "ntp: unsynchronised (no server answers)"
        if rest == ["clear"]:
            health.pop("software", None)
        else:
            health["software"] = rest[0]
        return f"version: runs {self.software}"

    def uplink_counters(self) -> dict[str, int]:
        errors = self.health.get("errors") or {}
        crc = errors.get("crc", 0)
        inputs = max(errors.get("input", 0), crc)
        return {"crc": crc, "symbol": inputs - crc, "output": errors.get("output", 0),
                "drops": errors.get("drops", 0), "packets": errors.get("packets", 0)}

    def ntp_synchronised(self) -> bool:
        return bool(self.ntp_servers()) and self.health.get("ntp") != "unsynced"

    # -- configuration ------------------------------------------------------------------
    @property
    def software(self) -> str:
        return self.health.get("software") or self.facts.software or DEFAULT_SOFTWARE

    def parse(self, text: str) -> Config:
        return Config.parse(text, self.interfaces)[0]

    def running_config(self) -> Config:
        """The running configuration, parsed once per change (do not change it: copy it)."""
        text = self.state["running"]
        if self._parsed is None or self._parsed[0] != text:
            self._parsed = (text, self.parse(text))
        return self._parsed[1]

    def hostname(self) -> str:
        return self.running_config().sysname

    def _set_running(self, text: str, user: str) -> None:
        if text != self.state["running"]:
            self.state["running"] = text
            self.state["last_change"] = {"at": time.time(), "by": user}

    def commit(self, text: str, user: str, *, trial: int | None = None, description: str = "") -> int:
        """Make ``text`` the running configuration: a rollback point, and with ``trial``
        (seconds) a trial that reverts unless confirmed."""
        before = self.state["running"]
        self._set_running(text, user)
        commit_id = self._rollback_point(user, description)
        if trial:
            self.state["trial"] = {"before": before, "seconds": trial, "at": time.time(), "user": user,
                                   "commit": commit_id}
            self._arm_trial()
        return commit_id

    def _rollback_point(self, user: str, description: str) -> int:
        commits = self.state.setdefault("commits", [])
        commit_id = commits[-1]["id"] + 1 if commits else FIRST_COMMIT_ID
        commits.append({"id": commit_id, "user": user, "at": time.time(), "description": description,
                        "config": self.state["running"]})
        del commits[:-COMMITS_KEPT]
        return commit_id

    def commit_config(self, commit_id: int) -> str | None:
        return next((c["config"] for c in self.state.get("commits", []) if c["id"] == commit_id), None)

    def save(self, user: str) -> None:
        self.state["saved"] = self.state["running"]
        self.state["last_saved"] = {"at": time.time(), "by": user}

    # -- the configuration trial --------------------------------------------------------
    @property
    def trial(self) -> dict | None:
        return self.state.get("trial")

    def confirm_trial(self) -> bool:
        if not self.state.get("trial"):
            return False
        self._cancel_trial()
        self.state["trial"] = None
        return True

    def abort_trial(self, user: str) -> bool:
        if not self.state.get("trial"):
            return False
        self._revert_trial(f"aborted by {user}")
        return True

    def _arm_trial(self) -> None:
        self._cancel_trial()
        seconds = self.state["trial"]["seconds"]
        self._trial_timer = self.lab.call_later(seconds / 60 * self.lab.seconds_per_minute,
                                                lambda: self._revert_trial("timer expired"))

    def _cancel_trial(self) -> None:
        if self._trial_timer is not None:
            self._trial_timer.cancel()
            self._trial_timer = None

    def _revert_trial(self, why: str) -> None:
        trial = self.state.get("trial")
        self._cancel_trial()
        if not trial:
            return
        self.state["trial"] = None
        self._set_running(trial["before"], trial["user"])
        self._rollback_point(trial["user"], "trial rollback")
        self.lab.log(self.facts.host, "revert",
                     f"configuration trial of {trial['seconds']} s not confirmed ({why}): reverted")

    # -- files (cfcard:) ------------------------------------------------------------------
    @staticmethod
    def file_name(path: str) -> str:
        """``cfcard:/x.cfg``, ``/x.cfg``, ``x.cfg`` -> ``x.cfg``."""
        name = path.strip()
        if name.lower().startswith("cfcard:"):
            name = name[len("cfcard:"):]
        return name.lstrip("/")

    def read_file(self, name: str) -> bytes | None:
        name = self.file_name(name)
        if name in self.state["files"]:
            return base64.b64decode(self.state["files"][name])
        return None

    def file_text(self, name: str) -> str | None:
        data = self.read_file(name)
        return None if data is None else data.decode("utf-8", "replace")

    def write_file(self, name: str, data: bytes) -> None:
        """SFTP/SCP into ``cfcard:`` (the SSH server's file service is ``sftp server enable``)."""
        if self.running_config().value("sftp", "server", "enable") is None:
            raise PermissionError("the SFTP server is not enabled (sftp server enable)")
        name = self.file_name(name)
        if not name or "/" in name:
            raise PermissionError(f"{name!r}: only files in the root of cfcard: are written")
        self.state["files"][name] = base64.b64encode(data).decode()
        self.state.setdefault("file_times", {})[name] = time.time()

    def remove_file(self, name: str) -> bool:
        name = self.file_name(name)
        self.state.setdefault("file_times", {}).pop(name, None)
        return self.state["files"].pop(name, None) is not None

    def list_files(self) -> dict[str, int]:
        return {name: len(base64.b64decode(data)) for name, data in sorted(self.state["files"].items())}

    # -- what the configuration means ----------------------------------------------------
    def zone(self) -> tuple[str, timedelta]:
        value = self.running_config().value("clock", "timezone")
        if not value:
            return "UTC", timedelta(0)
        hours, minutes, seconds = (int(x) for x in value[2].split(":"))
        offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
        return value[0], -offset if value[1] == "minus" else offset

    def format_time(self, epoch: float | None = None) -> str:
        """``2025-03-03 10:15:02+07:00``, as VRP writes times."""
        moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone(self.zone()[1]))
        return moment.isoformat(sep=" ", timespec="seconds")

    def ports(self) -> list[Port]:
        config = self.running_config()
        out = []
        for index, node in enumerate(config.nodes("interface")):
            name = node.key[1]
            kind = self.interfaces.kind(name)
            description = config.value("description", parent=node)
            address = config.value("ip", "address", parent=node)
            shutdown = config.value("shutdown", parent=node) is not None
            link = name == Interfaces.CABLED if kind == "physical" else True
            out.append(Port(name, kind, " ".join(description) if description else "",
                            ipaddress.IPv4Interface("/".join(address)) if address else None,
                            shutdown, link and not shutdown, self._mac(index), index + 3))
        return out

    def _mac(self, index: int) -> str:
        digest = hashlib.sha256((self.facts.serial or self.facts.host).encode()).hexdigest()
        text = f"{int('00e0' + digest[:8], 16) + index:012x}"
        return f"{text[:4]}-{text[4:8]}-{text[8:]}"

    def routes(self) -> list[Route]:
        routes: list[Route] = []
        connected: dict[str, ipaddress.IPv4Network] = {}
        for port in self.ports():
            if port.up and port.address:
                connected[port.name] = port.address.network
                routes.append(Route(port.address.network, "Direct", 0, str(port.address.ip), port.name))
                routes.append(Route(ipaddress.IPv4Network(f"{port.address.ip}/32"), "Direct", 0, "127.0.0.1",
                                    port.name))
        for node in self.running_config().nodes("ip"):
            words = node.text.split()
            network = ipaddress.IPv4Network(f"{words[2]}/{words[3]}")
            rest = words[4:]
            interface = rest.pop(0) if rest and not is_ipv4(rest[0]) else None
            via = rest.pop(0) if rest and is_ipv4(rest[0]) else None
            preference = int(rest[rest.index("preference") + 1]) if "preference" in rest else 60
            if interface is not None:
                if interface not in connected:
                    continue
            else:
                interface = next((name for name, net in connected.items()
                                  if ipaddress.IPv4Address(via) in net), None)
                if interface is None:
                    continue
            routes.append(Route(network, "Static", preference, via or "0.0.0.0", interface))
        return routes

    def route_to(self, address: str) -> Route | None:
        target = ipaddress.IPv4Address(address)
        found = [r for r in self.routes() if target in r.network]
        return max(found, key=lambda r: (r.network.prefixlen, -r.preference), default=None)

    def own_addresses(self) -> set[str]:
        return {str(port.address.ip) for port in self.ports() if port.address and port.up}

    def answers_ping(self, address: str) -> bool:
        if address in self.own_addresses():
            return True
        return self.route_to(address) is not None and self.lab.device_by_address(address) is not None

    def ntp_servers(self) -> list[str]:
        return [node.key[2] for node in self.running_config().nodes("ntp-service")]

    def echoes(self, address: str, count: int, timeout_ms: int) -> list[int | None]:
        """The round trip (ms) of each echo, None when not answered within ``timeout_ms``;
        beyond the site (anything but the router and its own endpoint's codec) the ``line``
        fault loses its share and delays the rest (±10 %), the same for the same ping."""
        if not self.answers_ping(address):
            return [None] * count
        line = self.health.get("line")
        if not line or not self._beyond_site(address):
            return [2 if index == 0 else 1 for index in range(count)]
        rng = random.Random(f"{self.facts.host} {address} {count}")
        lost = set(rng.sample(range(count), min(count, int(count * line["loss"] / 100 + 0.5))))
        base = line["latency"] or 1
        rtts = [max(1, round(base * rng.uniform(0.9, 1.1))) for _ in range(count)]
        return [None if index in lost or rtt > timeout_ms else rtt for index, rtt in enumerate(rtts)]

    def _beyond_site(self, address: str) -> bool:
        if address in self.own_addresses():
            return False
        device = self.lab.device_by_address(address)
        return not (device is not None and device.facts.device_class == "codec" and self.facts.name
                    and device.facts.name == self.facts.name)


#: the words of the health faults: name -> (smallest, largest) value
LINE_FAULT = {"loss": (0, 100), "latency": (0, 60000)}
ERRORS_FAULT = {"crc": (0, 10**12), "input": (0, 10**12), "output": (0, 10**12), "drops": (0, 10**12),
                "packets": (0, 10**12)}
_SOFTWARE = re.compile(r"V\d{3}R\d{3}C\d{2}[A-Z0-9]*")


def _is_health_fault(words: list[str]) -> bool:
    head = words[0].lower()
    second = words[1] if len(words) > 1 else ""
    if head == "clear":
        return len(words) == 1
    if head == "errors":
        return True
    if head == "line":
        return second.lower() in (*LINE_FAULT, "clear")
    if head == "ntp":
        return second.lower() in ("unsynced", "synced") and len(words) == 2
    if head == "version":
        return len(words) == 2 and (second == "clear" or bool(_SOFTWARE.fullmatch(second)))
    return False


def _fault_values(what: str, words: list[str], allowed: dict[str, tuple[int, int]], *,
                  whole: bool = False) -> dict[str, float]:
    usage = f"{what} takes " + " ".join(f"[{name} N]" for name in allowed) + " or clear"
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


def _factory_config(facts: Facts) -> str:
    """What the lab router comes with: reachable on the registry address through its cabled
    port, SSH with SFTP, the local user ``gbtt``, NTP."""
    address = ipaddress.IPv4Interface(f"{facts.address}/24")
    hosts = list(address.network.hosts())
    gateway = hosts[0] if address.ip != hosts[0] else hosts[-1]
    octets = facts.address.split(".")
    ntp_servers = facts.extra.get("ntp_servers") or [f"{octets[0]}.{octets[1]}.0.10"]
    username = facts.extra.get("username", "gbtt")
    # logins are the lab core's: this password is only what the factory configuration holds
    factory_password = facts.extra.get("password") or f"factory-{facts.serial or facts.host}"
    lines = [
        "clock timezone ICT add 07:00:00",
        f"sysname {facts.host}",
        *(f"ntp-service unicast-server {server}" for server in ntp_servers),
        "aaa",
        f" local-user {username} password irreversible-cipher {encipher(factory_password)}",
        f" local-user {username} service-type ssh",
        f" local-user {username} level 3",
        f" local-user {username} state active",
        f"interface {Interfaces.CABLED}",
        " description Uplink",
        " undo shutdown",
        f" ip address {address.ip} {address.netmask}",
        f"ip route-static 0.0.0.0 0.0.0.0 {gateway}",
        "stelnet server enable",
        "sftp server enable",
        f"ssh user {username}",
        f"ssh user {username} authentication-type password",
        f"ssh user {username} service-type all",
        "ssh authorization-type default aaa",
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " protocol inbound ssh",
    ]
    return "\n".join(lines) + "\n"


# =========================================================================================
# The command line
# =========================================================================================

_DISPLAY = [
    Rule("display version", handler="display_version"),
    Rule("display current-configuration", handler="display_current"),
    Rule("display saved-configuration", handler="display_saved"),
    Rule("display interface [IFNAME]", handler="display_interface"),
    Rule("display interface brief", handler="display_interface_brief"),
    Rule("display ip interface brief", handler="display_ip_interface_brief"),
    Rule("display ip routing-table", handler="display_routing_table"),
    Rule("display ntp-service status", handler="display_ntp_status"),
    Rule("display ntp-service sessions", handler="display_ntp_sessions"),
    Rule("display clock", handler="display_clock"),
    Rule("display esn", handler="display_esn"),
    Rule("display configuration commit list [verbose]", handler="display_commit_list"),
    Rule("ping LINE", handler="ping"),
]

_USER_VIEW = [
    *_DISPLAY,
    Rule("screen-length <0-512> temporary", handler="screen_length"),
    Rule("system-view", handler="system_view"),
    Rule("quit", handler="logout"),
    Rule("return", handler="nothing"),
    Rule("save", handler="save"),
    Rule("dir", handler="dir"),
    Rule("more WORD", handler="more"),
    Rule("delete [/unreserved] WORD", handler="delete"),
    Rule("rollback configuration {to commit-id <1000000001-2999999999>|last <1-80>}", handler="rollback"),
]

#: commands of every view but the user view (tried before the configuration commands)
_ANY_VIEW = [
    *_DISPLAY,
    Rule("display configuration candidate [changes]", handler="display_candidate"),
    Rule("commit [trial [<60-65535>]] [description LINE]", handler="commit"),
    Rule("abort trial [session <0-65535>]", handler="abort_trial"),
    Rule("load configuration file WORD {replace|merge}", handler="load"),
    Rule("clear configuration candidate", handler="clear_candidate"),
    Rule("quit", handler="quit"),
    Rule("return", handler="return"),
]
_ANY_FIRST_WORDS = {seq[0] for rule in _ANY_VIEW for seq in rule.sequences}

_FILTERS = [Rule(f"{name} LINE") for name in ("include", "exclude", "begin")] + [Rule("no-more")]

_PASSWORD_LINE = re.compile(r"(?i)^\s*local-user\s+(\S+)\s+password\s*$")

_VIEW_PROMPTS = {"acl-basic": lambda key: f"acl4-basic-{key[2]}", "classifier": lambda key: f"classifier-{key[2]}",
                 "behavior": lambda key: f"behavior-{key[2]}", "policy": lambda key: f"trafficpolicy-{key[2]}",
                 "aaa": lambda key: "aaa", "interface": lambda key: key[1], "loopback": lambda key: key[1],
                 "null": lambda key: key[1],
                 "ui": lambda key: "ui-console0" if key[1] == "con" else "ui-vty" + "-".join(key[2:])}


@dataclass
class _Question:
    prompt: str
    answer: Callable[[str], str]
    echo: bool = True


class VrpShell(Shell):
    """One SSH session: the view it is in, its uncommitted changes, the question it waits for."""

    def __init__(self, router: VrpRouter, username: str, session_id: int):
        self.router = router
        self.username = username
        self.session_id = session_id
        self.path: list[str] | None = None          # None: user view; [] the system view; headers
        self.closed = False
        self._ops: list[tuple[tuple[str, ...], str]] = []   # changes typed: (view path, line)
        self._base: str | None = None                # a loaded replacement: the configuration it makes
        self._cache: tuple[tuple, Config] | None = None
        self._question: _Question | None = None

    @property
    def echo(self) -> bool:
        return self._question is None or self._question.echo

    def greeting(self) -> str:
        return ("Info: The max number of VTY users is 21, the number of current VTY users online is 1, and total "
                "number of terminal users online is 1.\n"
                f"      The current login time is {self.router.format_time()}.\n")

    def prompt(self) -> str:
        if self._question:
            return self._question.prompt
        name = self.router.hostname()
        if self.path is None:
            return f"<{name}>"
        mark = "*" if self.router.trial or self.dirty() else "~"
        if not self.path:
            return f"[{mark}{name}]"
        node = self.router.running_config().chain(self.path)[-1]
        candidate = self.candidate()
        if candidate is not None:
            node = candidate.chain(self.path)[-1]
        return f"[{mark}{name}-{_VIEW_PROMPTS[node.view](node.key)}]"

    def feed(self, line: str) -> str:
        line = line.rstrip("\r\n")
        if self._question:
            question, self._question = self._question, None
            return question.answer(line)
        indent = len(self.prompt())
        if not line.strip():
            return ""
        if self.path is None:
            return self._command(_USER_VIEW, line, indent)
        first = line.split()[0].lower()
        if any(word.startswith(first) for word in _ANY_FIRST_WORDS) and not self._config_word(first):
            return self._command(_ANY_VIEW, line, indent)
        return self._configure(line, indent)

    def _config_word(self, first: str) -> bool:
        """Whether a first word names a configuration command of the current view chain (so
        ``d`` in an interface view is ``description``, not ``display``)."""
        config = self.candidate() or self.router.running_config()
        for node in config.chain(self.path or []):
            for rule in VIEWS[node.view].rules:
                if rule.sequences[0][0].lower() == first:
                    return True
        return False

    def _ask(self, prompt: str, answer: Callable[[str], str], echo: bool = True) -> None:
        self._question = _Question(prompt, answer, echo)

    # -- the candidate configuration ------------------------------------------------------
    def candidate(self) -> Config | None:
        """The running configuration with this session's changes, or None without changes."""
        if not self._ops and self._base is None:
            return None
        running = self.router.state["running"]
        key = (running, self._base, len(self._ops))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        config = self.router.parse(self._base if self._base is not None else running)
        for path, line in self._ops:
            try:
                config.apply(config.chain(path)[-1], line)
            except CommandError:
                pass
        self._cache = (key, config)
        return config

    def dirty(self) -> bool:
        candidate = self.candidate()
        return candidate is not None and candidate.render() != self.router.state["running"]

    def _drop_changes(self) -> None:
        self._ops.clear()
        self._base = None
        self._cache = None

    def _configure(self, line: str, indent: int) -> str:
        if self.router.trial:
            return ("Error: The system is in the configuration trial mode. Run the commit command to confirm "
                    "the trial or the abort trial command to end it.\n")
        password = _PASSWORD_LINE.match(line)
        if password and self.path and self.path[0] == "aaa":
            return self._ask_password(password.group(1))
        config = self.candidate() or self.router.running_config().copy()
        chain = config.chain(self.path)
        errors: list[CommandError] = []
        for depth in range(len(chain) - 1, -1, -1):
            try:
                section, changed = config.apply(chain[depth], line)
            except CommandError as error:
                if error.kind == "message":
                    return error.render(indent)
                errors.append(error)
                continue
            path = tuple(node.text for node in chain[1:depth + 1])
            self._ops.append((path, line))
            self._cache = ((self.router.state["running"], self._base, len(self._ops)), config)
            self.path = list(path) + ([section.text] if section is not None else [])
            return ""
        best = max(errors, key=lambda e: (e.kind != "unrecognized" or e.column > 0, e.column))
        return best.render(indent)

    def _ask_password(self, user: str) -> str:
        def first(password: str) -> str:
            self._ask("Confirm Password:", lambda again: second(password, again), echo=False)
            return ""

        def second(password: str, again: str) -> str:
            if password != again:
                return "Error: The two passwords are different.\n"
            problem = password_problem(password)
            if problem:
                return problem + "\n"
            line = f"local-user {user} password irreversible-cipher {encipher(password)}"
            return self._configure(line, 0)

        self._ask("Enter Password:", first, echo=False)
        return "Please configure the password (8-128)\n"

    # -- commands -------------------------------------------------------------------------
    def _command(self, rules: list[Rule], line: str, indent: int) -> str:
        command, bar, filters = line.partition("|")
        try:
            found = match(rules, join_interface_names(command), self.router.interfaces)
        except CommandError as error:
            return error.render(indent)
        output = getattr(self, "_cmd_" + found.rule.handler)(found.words)
        if bar:
            output = self._filter(output, filters, indent + len(command) + 1)
        return output

    def _filter(self, output: str, text: str, indent: int) -> str:
        for stage in text.split("|"):
            try:
                found = match(_FILTERS, stage, self.router.interfaces)
            except CommandError as error:
                return error.render(indent)
            if found.words[0] == "no-more":
                continue
            try:
                regex = re.compile(found.words[1].strip())
            except re.error:
                return "Error: The regular expression is invalid.\n"
            lines = output.splitlines()
            if found.words[0] == "include":
                lines = [x for x in lines if regex.search(x)]
            elif found.words[0] == "exclude":
                lines = [x for x in lines if not regex.search(x)]
            else:
                start = next((i for i, x in enumerate(lines) if regex.search(x)), len(lines))
                lines = lines[start:]
            output = "".join(x + "\n" for x in lines)
        return output

    def _cmd_nothing(self, words: list[str]) -> str:
        return ""

    def _cmd_screen_length(self, words: list[str]) -> str:
        return "Info: The configuration takes effect on the current user terminal interface only.\n"

    def _cmd_logout(self, words: list[str]) -> str:
        self.closed = True
        return ""

    def _cmd_system_view(self, words: list[str]) -> str:
        self.path = []
        return "Enter system view, return user view with return command.\n"

    def _leave(self, to_user_view: bool) -> str:
        if to_user_view or not self.path:
            if self.dirty() and not self.router.trial:
                def answer(reply: str) -> str:
                    choice = reply.strip().lower()[:1]
                    if choice == "y":
                        out = self._commit(None, "")
                        if out.startswith("Error"):
                            return out
                        self.path = None
                        return out
                    if choice == "n":
                        self._drop_changes()
                        self.path = None
                    return ""
                self._ask("Warning: Uncommitted configurations found. Are you sure to commit them before exiting? "
                          "[Y(yes)/N(no)/C(cancel)]:", answer)
                return ""
            if not self.dirty():
                self._drop_changes()
            self.path = None
            return ""
        self.path = self.path[:-1]
        return ""

    def _cmd_quit(self, words: list[str]) -> str:
        return self._leave(False)

    def _cmd_return(self, words: list[str]) -> str:
        return self._leave(True)

    # -- committing -------------------------------------------------------------------------
    def _cmd_commit(self, words: list[str]) -> str:
        trial = None
        if "trial" in words:
            after = words[words.index("trial") + 1:]
            trial = int(after[0]) if after and after[0].isdigit() else 600
        description = words[words.index("description") + 1] if "description" in words else ""
        return self._commit(trial, description)

    def _commit(self, trial: int | None, description: str) -> str:
        router = self.router
        if router.trial:
            if trial is None and not self.dirty():
                router.confirm_trial()
                return "Info: The trial configuration is confirmed.\n"
            return "Error: The system is in the configuration trial mode; confirm or abort the trial first.\n"
        if not self.dirty():
            self._drop_changes()
            return "Error: No configuration needs to be committed.\n" if trial else ""
        text = self.candidate().render()
        router.commit(text, self.username, trial=trial, description=description)
        self._drop_changes()
        if trial:
            return ("Committing..done.\nInfo: The system enters the trial configuration mode. The system will revert "
                    f"to previous configuration if the trial configuration is not confirmed in {trial} seconds.\n")
        return ""

    def _cmd_abort_trial(self, words: list[str]) -> str:
        if not self.router.trial:
            return "Error: The system is not in the configuration trial mode.\n"

        def answer(reply: str) -> str:
            if reply.strip().lower()[:1] != "y":
                return ""
            self.router.abort_trial(self.username)
            return "Info: The trial configuration has been rolled back.\n"

        self._ask("Warning: The trial configuration will be rolled back. Continue? [Y/N]:", answer)
        return ""

    def _cmd_clear_candidate(self, words: list[str]) -> str:
        self._drop_changes()
        self.path = [] if self.path is not None else None
        return ""

    def _cmd_load(self, words: list[str]) -> str:
        if self.router.trial:
            return "Error: The system is in the configuration trial mode; the configuration cannot be loaded.\n"
        name = self.router.file_name(words[3])
        text = self.router.file_text(name)
        if text is None:
            return f"Error: The file cfcard:/{name} does not exist.\n"
        if words[4] == "replace":
            config, errors = Config.parse(text, self.router.interfaces)
        else:
            config = (self.candidate() or self.router.running_config()).copy()
            errors = config.load(text)
        if errors:
            out = [f"Error: Line {number}: {line}\n       {error.describe()}" for number, line, error in errors]
            out.append(f"Error: Failed to load the configuration file cfcard:/{name}: {len(errors)} invalid "
                       "line(s). The candidate configuration is not changed.")
            return "\n".join(out) + "\n"
        config.complete()
        self._ops.clear()
        self._base = config.render()
        self._cache = None
        self.path = []
        return ""

    def _cmd_display_candidate(self, words: list[str]) -> str:
        candidate = self.candidate()
        if candidate is None:
            return ""
        if len(words) == 3:                 # display configuration candidate: all of it
            return candidate.render()
        return candidate_changes(self.router.running_config(), candidate)

    def _cmd_save(self, words: list[str]) -> str:
        def answer(reply: str) -> str:
            if reply.strip().lower()[:1] != "y":
                return ""
            self.router.save(self.username)
            return "Now saving the current configuration to the slot 1.\nInfo: Save the configuration successfully.\n"

        self._ask("Warning: The current configuration will be written to the device. Continue? [Y/N]:", answer)
        return ""

    def _cmd_rollback(self, words: list[str]) -> str:
        router = self.router
        if router.trial:
            return "Error: The system is in the configuration trial mode; the configuration cannot be rolled back.\n"
        commits = router.state.get("commits", [])
        if words[2] == "last":
            count = int(words[3])
            if count >= len(commits):
                return f"Error: There are fewer than {count + 1} rollback points.\n"
            target, label = commits[-count - 1]["config"], f"the rollback point before the last {count} commit(s)"
        else:
            commit_id = int(words[4])
            target = router.commit_config(commit_id)
            if target is None:
                return f"Error: The commit ID {commit_id} does not exist.\n"
            label = f"commit ID {commit_id}"

        def answer(reply: str) -> str:
            if reply.strip().lower()[:1] != "y":
                return ""
            if router.trial:
                return "Error: The system is in the configuration trial mode.\n"
            router.commit(target, self.username, description=f"rollback to {label}")
            return f"Info: The configuration has been rolled back to {label}.\n"

        self._ask(f"Warning: The configuration will be rolled back to {label}. Continue? [Y/N]:", answer)
        return ""

    # -- files ----------------------------------------------------------------------------
    def _cmd_dir(self, words: list[str]) -> str:
        router = self.router
        files = router.list_files()
        out = ["Directory of cfcard:/", "", "  Idx  Attr     Size(Byte)  Date        Time       FileName"]
        for index, (name, size) in enumerate(files.items()):
            moment = datetime.fromtimestamp(router.state.get("file_times", {}).get(name, time.time()),
                                            timezone(router.zone()[1]))
            out.append(f"  {index:>3}  -rw-   {size:>12,}  {moment:%b %d %Y %H:%M:%S}   {name}")
        used = sum(files.values()) // 1024
        out += ["", f"{CFCARD_KB:,} KB total available ({CFCARD_KB - used:,} KB free)"]
        return "\n".join(out) + "\n"

    def _cmd_more(self, words: list[str]) -> str:
        text = self.router.file_text(words[1])
        if text is None:
            return f"Error: The file cfcard:/{self.router.file_name(words[1])} does not exist.\n"
        return text if text.endswith("\n") or not text else text + "\n"

    def _cmd_delete(self, words: list[str]) -> str:
        name = self.router.file_name(words[-1])
        if self.router.read_file(name) is None:
            return f"Error: The file cfcard:/{name} does not exist.\n"

        def answer(reply: str) -> str:
            if reply.strip().lower()[:1] != "y":
                return ""
            self.router.remove_file(name)
            return f"Info: Deleting file cfcard:/{name}...succeeded.\n"

        self._ask(f"Warning: The contents of file cfcard:/{name} cannot be recycled. Continue? [Y/N]:", answer)
        return ""

    # -- display ----------------------------------------------------------------------------
    def _cmd_display_version(self, words: list[str]) -> str:
        router = self.router
        model = model_name(router.facts.model)
        series = model.rsplit(" ", 1)[0] if " " in model else model
        software = router.software
        release = re.match(r"V\d{3}R(\d{3})", software)
        year = 2000 + int(release.group(1)) if release else 2022
        up = uptime_text(router.uptime())
        started = datetime.fromtimestamp(time.time() - router.uptime(), timezone(router.zone()[1]))
        return "\n".join([
            "Huawei Versatile Routing Platform Software",
            f"VRP (R) software, Version {vrp_version(software)} ({series} {software})",
            f"Copyright (C) 2012-{year} Huawei Technologies Co., Ltd.",
            f"HUAWEI {model} uptime is {up}",
            "",
            f"{model} version information:",
            "- " * 32,
            "BKP  version information:",
            "  PCB         Version : CR8BKPM1C REV A",
            "  MPU  Slot  Quantity : 1",
            "  LPU  Slot  Quantity : 1",
            "- " * 32,
            "MPU version information:",
            "",
            f"MPU (Master) 1 : uptime is {up}",
            f"  StartupTime {started:%Y/%m/%d   %H:%M:%S}",
            "  SDRAM Memory Size   : 8192 M bytes",
            "  FLASH Memory Size   : 16 M bytes",
            f"  CFCARD Memory Size  : {CFCARD_KB // 1024} M bytes",
        ]) + "\n"

    def _cmd_display_current(self, words: list[str]) -> str:
        router = self.router
        header = [f"!Software Version {router.software}"]
        change = router.state.get("last_change")
        if change:
            header.append(f"!Last configuration was updated at {router.format_time(change['at'])} by {change['by']}")
        saved = router.state.get("last_saved")
        if saved:
            header.append(f"!Last configuration was saved at {router.format_time(saved['at'])} by {saved['by']}")
        return "\n".join(header) + "\n" + router.state["running"]

    def _cmd_display_saved(self, words: list[str]) -> str:
        return self.router.state["saved"]

    def _cmd_display_esn(self, words: list[str]) -> str:
        return f"ESN of slot 1: {self.router.facts.serial or self.router.facts.host}\n"

    def _cmd_display_clock(self, words: list[str]) -> str:
        router = self.router
        name, offset = router.zone()
        moment = datetime.now(timezone(offset))
        sign = "-" if offset < timedelta(0) else "+"
        total = abs(int(offset.total_seconds()))
        return (f"{moment.isoformat(sep=' ', timespec='seconds')}\n{moment:%A}\n"
                f"Time Zone({name}) : UTC{sign}{total // 3600:02d}:{total % 3600 // 60:02d}\n")

    def _cmd_display_interface(self, words: list[str]) -> str:
        ports = self.router.ports()
        if len(words) == 3:
            ports = [p for p in ports if p.name == words[2]]
            if not ports:
                return "Error: The interface does not exist.\n"
        return "\n".join(self._interface_text(port) for port in ports)

    def _interface_text(self, port: Port) -> str:
        router = self.router
        now = router.format_time()
        booted = router.format_time(time.time() - router.uptime())
        state = "Administratively DOWN" if port.shutdown else ("UP" if port.up else "DOWN")
        lines = [f"{port.name} current state : {state} (ifindex: {port.index})",
                 f"Line protocol current state : {'UP' if port.up else 'DOWN'}"
                 + (" (spoofing)" if port.kind != "physical" and port.up else "")]
        if port.up and port.kind == "physical":
            lines.append(f"Last line protocol up time : {booted}")
        lines += [f"Description: {port.description}", "Route Port,The Maximum Transmit Unit is 1500"]
        lines.append(f"Internet Address is {port.address}" if port.address else
                     "Internet protocol processing : disabled")
        if port.kind != "physical":
            lines += [f"Current system time: {now}",
                      "Physical is " + ("Loopback" if port.kind == "loopback" else "NULL DEV"),
                      "    Last 300 seconds input rate 0 bits/sec, 0 packets/sec",
                      "    Last 300 seconds output rate 0 bits/sec, 0 packets/sec",
                      "    Input: 0 packets,0 bytes", "           0 unicast,0 broadcast,0 multicast",
                      "           0 errors,0 drops",
                      "    Output:0 packets,0 bytes", "           0 unicast,0 broadcast,0 multicast",
                      "           0 errors,0 drops",
                      "    Last 300 seconds input utility rate:  0.00%",
                      "    Last 300 seconds output utility rate: 0.00%"]
            return "\n".join(lines) + "\n"
        counters = router.uplink_counters() if port.name == Interfaces.CABLED else \
            {"crc": 0, "symbol": 0, "output": 0, "drops": 0, "packets": 0}
        packets = int(router.uptime() * 3) + counters["packets"] if port.up else 0
        rate = 3 if port.up else 0
        lines += [f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {port.mac}",
                  "Port BW: 1G, Transceiver max BW: 1G, Transceiver Mode: MultiMode",
                  "Loopback: none, full-duplex mode, Pause Flowcontrol: Receive Enable and Send Enable",
                  f"Last physical up time   : {booted if port.up else '-'}",
                  f"Last physical down time : {'-' if port.up else booted}",
                  f"Current system time: {now}",
                  "Statistics last cleared:never",
                  f"    Last 300 seconds input rate: {rate * 1024} bits/sec, {rate} packets/sec",
                  f"    Last 300 seconds output rate: {rate * 1024} bits/sec, {rate} packets/sec",
                  "    Input peak rate 0 bits/sec, Record time: -",
                  "    Output peak rate 0 bits/sec, Record time: -",
                  f"    Input: {packets * 128} bytes, {packets} packets",
                  f"    Output: {packets * 128} bytes, {packets} packets",
                  "    Input:",
                  f"      Unicast: {packets} packets, Multicast: 0 packets",
                  "      Broadcast: 0 packets, JumboOctets: 0 packets",
                  f"      CRC: {counters['crc']} packets, Symbol: {counters['symbol']} packets",
                  "      Overrun: 0 packets, InRangeLength: 0 packets",
                  "      LongPacket: 0 packets, Jabber: 0 packets, Alignment: 0 packets",
                  "      Fragment: 0 packets, Undersized Frame: 0 packets",
                  "      RxPause: 0 packets",
                  "    Output:",
                  f"      Unicast: {packets} packets, Multicast: 0 packets",
                  "      Broadcast: 0 packets, JumboOctets: 0 packets",
                  f"      Lost: {counters['drops']} packets, Overflow: 0 packets, "
                  f"Underrun: {counters['output']} packets",
                  "      System: 0 packets, Overruns: 0 packets",
                  "      TxPause: 0 packets",
                  "    Local fault: normal, Remote fault: normal.",
                  f"    Last 300 seconds input utility rate:  {'0.01' if port.up else '0.00'}%",
                  f"    Last 300 seconds output utility rate: {'0.01' if port.up else '0.00'}%"]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _states(port: Port) -> tuple[str, str]:
        physical = "*down" if port.shutdown else ("up" if port.up else "down")
        protocol = ("up(s)" if port.kind != "physical" else "up") if port.up else "down"
        return physical, protocol

    _LEGEND = ["*down: administratively down", "^down: standby", "(l): loopback", "(s): spoofing",
               "(E): E-Trunk down", "(b): BFD down", "(B): Bit-error-detection down", "(e): ETHOAM down",
               "(d): Dampening Suppressed", "(p): port alarm down", "(ld): loop-detect trigger down"]

    def _cmd_display_interface_brief(self, words: list[str]) -> str:
        out = ["PHY: Physical", *self._LEGEND, "InUti/OutUti: input utility/output utility",
               f"{'Interface':<28}{'PHY':<6}{'Protocol':<10}{'InUti':>5} {'OutUti':>6}   "
               f"{'inErrors':>8}  {'outErrors':>9}"]
        for port in self.router.ports():
            physical, protocol = self._states(port)
            counters = self.router.uplink_counters() if port.name == Interfaces.CABLED else {}
            in_errors = counters.get("crc", 0) + counters.get("symbol", 0)
            use = "0.01%" if port.up and port.kind == "physical" else "0%"
            out.append(f"{port.name:<28}{physical:<6}{protocol:<10}{use:>5} {use:>6}   {in_errors:>8}  "
                       f"{counters.get('output', 0):>9}")
        return "\n".join(out) + "\n"

    def _cmd_display_ip_interface_brief(self, words: list[str]) -> str:
        ports = self.router.ports()
        up = sum(1 for p in ports if p.up)
        out = [*self._LEGEND, "(mf): mac-flapping blocked", "(c): CFM down", "(sd): STP instance discarding",
               f"The number of interface that is UP in Physical is {up}",
               f"The number of interface that is DOWN in Physical is {len(ports) - up}",
               f"The number of interface that is UP in Protocol is {up}",
               f"The number of interface that is DOWN in Protocol is {len(ports) - up}", "",
               f"{'Interface':<34}{'IP Address/Mask':<19}{'Physical':<11}{'Protocol':<9}VPN"]
        for port in ports:
            physical, protocol = self._states(port)
            address = str(port.address) if port.address else "unassigned"
            out.append(f"{port.name:<34}{address:<19}{physical:<11}{protocol:<9}--")
        return "\n".join(out) + "\n"

    def _cmd_display_routing_table(self, words: list[str]) -> str:
        routes = self.router.routes() + [
            Route(ipaddress.IPv4Network("127.0.0.0/8"), "Direct", 0, "127.0.0.1", "InLoopBack0"),
            Route(ipaddress.IPv4Network("127.0.0.1/32"), "Direct", 0, "127.0.0.1", "InLoopBack0")]
        routes.sort(key=lambda r: (int(r.network.network_address), r.network.prefixlen))
        out = ["Route Flags: R - relay, D - download to fib, T - to vpn-instance, B - black hole route",
               "-" * 78, "Routing Table : _public_",
               f"         Destinations : {len({r.network for r in routes})}        Routes : {len(routes)}", "",
               "Destination/Mask    Proto   Pre  Cost        Flags NextHop         Interface", ""]
        for route in routes:
            flags = "RD" if route.proto == "Static" else "D"
            out.append(f"{str(route.network):>18}  {route.proto:<7} {route.preference:<4} {0:<11} {flags:>3}   "
                       f"{route.nexthop:<15} {route.interface}")
        return "\n".join(out) + "\n"

    def _cmd_display_ntp_status(self, words: list[str]) -> str:
        router = self.router
        servers = router.ntp_servers()
        now = time.time()
        if router.ntp_synchronised():
            head = [" clock status: synchronized", " clock stratum: 3", f" reference clock ID: {servers[0]}"]
            offset, delay, dispersion, reference = "0.1930", "1.12", "2.35", now - 12
            state = "clock synchronized"
        else:
            head = [" clock status: unsynchronized", " clock stratum: 16", " reference clock ID: none"]
            offset, delay, dispersion, reference = "0.0000", "0.00", "0.00", None
            state = "clock not set"
        if reference is None:
            stamp = "00:00:00.000 UTC Jan 1 1900(00000000.00000000)"
        else:
            moment = datetime.fromtimestamp(reference, timezone.utc)
            ntp = int(reference) + 2208988800
            stamp = (f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d} UTC {moment:%b} {moment.day} {moment.year}"
                     f"({ntp:08X}.00000000)")
        return "\n".join([*head, " nominal frequency: 100.0000 Hz", " actual frequency: 99.9998 Hz",
                          " clock precision: 2^18", f" clock offset: {offset} ms", f" root delay: {delay} ms",
                          f" root dispersion: {dispersion} ms", " peer dispersion: 10.00 ms",
                          f" reference time: {stamp}", f" synchronization state: {state}"]) + "\n"

    def _cmd_display_ntp_sessions(self, words: list[str]) -> str:
        router = self.router
        synced = router.ntp_synchronised()
        out = []
        for index, server in enumerate(router.ntp_servers()):
            status = ("configured, master, sane, valid" if index == 0 else "configured, selected, sane, valid") \
                if synced else "configured, insane, invalid, unsynced"
            out += [f" clock source: {server}", f" clock stratum: {2 if synced else 16}",
                    f" clock status: {status}", f" reference clock ID: {'LOCAL(0)' if synced else 'none'}",
                    f" reach: {255 if synced else 0}", " current poll: 64", " now: 12",
                    f" offset: {'0.1930' if synced else '0.0000'} ms", f" delay: {'1.12' if synced else '0.00'} ms",
                    f" disper: {'2.35' if synced else '0.00'} ms", ""]
        return "\n".join(out) + ("\n" if out else "")

    def _cmd_display_commit_list(self, words: list[str]) -> str:
        router = self.router
        commits = list(reversed(router.state.get("commits", [])))
        if words[-1] == "verbose":
            out = []
            for number, commit in enumerate(commits, start=1):
                out += [f"{number}) CommitId: {commit['id']}", "   Label: -", f"   User: {commit['user']}",
                        "   User-Intf: VTY 0", "   Type: CLI", f"   TimeStamp: {router.format_time(commit['at'])}",
                        f"   Description: {commit['description'] or '-'}", ""]
            return "\n".join(out)
        rule = "-" * 80
        out = [rule, f" {'No.':<5}{'CommitId':<14}{'Label':<22}{'User':<16}Date", rule]
        for number, commit in enumerate(commits, start=1):
            out.append(f" {number:<5}{commit['id']:<14}{'-':<22}{commit['user']:<16}{router.format_time(commit['at'])}")
        return "\n".join(out) + "\n"

    def _cmd_ping(self, words: list[str]) -> str:
        tokens = words[1].split()
        options = {"-c": (5, 1, 4294967295), "-t": (2000, 0, 65535), "-s": (56, 20, 9600), "-m": (500, 1, 10000)}
        values = {name: default for name, (default, _, _) in options.items()}
        target = None
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token in options and index + 1 < len(tokens):
                value = tokens[index + 1]
                low, high = options[token][1:]
                if not value.isdigit() or not low <= int(value) <= high:
                    return "Error: Wrong parameter found at '^' position.\n"
                values[token] = int(value)
                index += 2
            elif token == "-a" and index + 1 < len(tokens) and is_ipv4(tokens[index + 1]):
                index += 2
            elif target is None and not token.startswith("-"):
                target = token
                index += 1
            else:
                return "Error: Wrong parameter found at '^' position.\n"
        if target is None:
            return "Error: Incomplete command found at '^' position.\n"
        if not is_ipv4(target):
            return f"Error: Failed to resolve the host name {target}.\n"
        count, timeout, size = values["-c"], values["-t"], values["-s"]
        rtts = self.router.echoes(target, count, timeout)
        out = [f"  PING {target}: {size}  data bytes, press CTRL_C to break"]
        for sequence, rtt in enumerate(rtts, start=1):
            out.append(f"    Reply from {target}: bytes={size} Sequence={sequence} ttl=255 time={rtt} ms"
                       if rtt is not None else "    Request time out")
        got = [rtt for rtt in rtts if rtt is not None]
        out += ["", f"  --- {target} ping statistics ---", f"    {count} packet(s) transmitted",
                f"    {len(got)} packet(s) received", f"    {100.0 * (count - len(got)) / count:.2f}% packet loss"]
        if got:
            out.append(f"    round-trip min/avg/max = {min(got)}/{round(sum(got) / len(got))}/{max(got)} ms")
        return "\n".join(out) + "\n"
