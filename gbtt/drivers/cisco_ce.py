"""The driver of Cisco codecs (Webex Room Kit, Room Kit Pro) on CE/RoomOS software: the xAPI
over the codec's SSH command line (tshell), through stock netmiko ``cisco_tp``.

Intended configuration
----------------------
``templates/codec/cisco_ce.j2`` renders text, one setting a line, exactly as the xAPI takes it::

    # comment lines and blank lines are ignored
    xConfiguration SystemUnit Name: "UBND xã Bản Máy"
    xConfiguration Audio DefaultVolume: 60
    xConfiguration Conference AutoAnswer Mode: Off
    xConfiguration Network 1 DNS Server 1 Address: 10.23.0.53
    xConfiguration SIP URI: ""

* ``xConfiguration <Path>: <value>``; the path is the codec's, instance numbers included
  (``Network 1 …``, ``Video Input Connector 2 …``), matched case-insensitively.
* A value is quoted (``"…"``, with ``\\"`` and ``\\\\`` escapes) when it contains spaces, quotes
  or backslashes, or is empty; otherwise it may be written bare.  A ``#`` inside a value is
  part of it: only lines whose first non-blank character is ``#`` are comments.
* A path may appear once.
* **The paths in the intended configuration are what gbtt owns on the codec.**  Every other
  setting is left alone: nothing is reset to a default, so a person may still change, say, the
  camera brightness at the touch panel.  Removing a line from the template stops managing the
  setting; it does not restore anything.

Two kinds of objects that are not settings have lines of their own, ``Field: value`` pairs
after a key, values quoted as above:

    xPreset 2 CameraId: 1 Name: "Chủ tọa"
    xUser "vanhanh" Roles: User Active: True ShellLogin: False Passphrase: "…"
    xPreset 5 State: Absent

* ``xPreset <1-35>``: a camera preset (Art. 8.2c: the frames of the seating plan).  gbtt owns
  its number, camera and name.  A missing preset is stored (``xCommand Camera Preset Store``)
  at the camera's current position, to be framed at the site; a new name is an ``Edit``; a
  new camera stores it again.  Positions are the site's: never compared, never moved.
* ``xUser <name>``: a local account (``Roles`` a comma list of Admin, Audit, Integrator,
  RoomControl, User; ``Active``, ``ShellLogin`` True/False).  A missing account is created
  with its ``Passphrase`` (an error when none is given); an existing one gets its roles and
  flags modified.  A codec never shows a passphrase, so an existing account's passphrase is
  left alone, unless ``params.extra["update_passphrase"] == "always"``: then it is set on
  every deploy (which therefore always reports a change), like ``update_password: always`` of
  Ansible's ``user`` module.  The account gbtt logs in with may be listed (backups do) but not
  changed: its passphrase is the codec credential.
* ``State: Absent`` removes the object (a backup says so of the presets and accounts a deploy
  creates, so that loading the backup back removes them).  Presets and accounts not listed
  are left alone.

:meth:`CeDriver.get_config` renders the whole running configuration in the same format
(strings quoted, numbers and literals bare, sorted by path; then the presets and the accounts
without passphrases), so its output, or :meth:`CeDriver.backup`'s, loads back with
:meth:`CeDriver.load_candidate`.

Comparison follows the codec's value spaces as the JSON output names them (``valueSpaceRef``):
integers compare as numbers (``060`` = ``60``), literals case-insensitively (``on`` = ``On``),
strings exactly.  Local validation (:meth:`CeDriver.load_candidate`) checks the syntax only;
:meth:`CeDriver.compare` refuses a path the codec does not have; the codec checks the value
space when the setting is written.

The session
-----------
One SSH session per deploy, opened by netmiko's ``cisco_tp`` class with host key checking on:
only the keys in ``params.known_hosts`` are trusted (``ssh_strict``, no system host keys, no
agent, no key files).  netmiko's generic session preparation for ``cisco_tp`` is left out (it
waits for silence on the channel: over two seconds a login, and as long again to close):
after the login the driver switches the session to ``xPreferences OutputMode json``, and every
reply is then one JSON document, read straight from the SSH channel until it parses (decoded
as UTF-8 across reads, where netmiko decodes each read alone and drops a character split
between two; and a closed connection is seen at once, not after a read timeout).  The codec echoes each command;
the reply is what follows the echo.

Writing
-------
:meth:`CeDriver.commit` writes only the owned settings whose running value differs, one
``xConfiguration <path>: <value>`` per setting in the order of the intended configuration,
then the preset and account commands, and checks each reply.  A codec applies (and saves) every setting as it is written: there is
no candidate, no commit and no revert timer, so the driver restores by writing the previous
values back:

* a refused value (outside the value space, an unknown path, a camera that is not there):
  stop, write back every setting and object already changed (remove the presets and accounts
  it created), :class:`~gbtt.drivers.base.ConfigError`;
* the connection lost part-way: reconnect, write back the previous values of every setting
  that may have been written, :class:`~gbtt.drivers.base.CommitError` (``restored`` says
  whether the codec is back where it was);
* after the writes, the owned settings are read back; a value that did not stick: restore,
  :class:`~gbtt.drivers.base.CommitError`.

Maintenance queries
-------------------
:meth:`CeDriver.ask` answers the queries of the maintenance checks (``checks/*.yml``), reading
only, over the same session:

* ``{"status": "<xStatus path>"}`` (``"Cameras"``, ``"SIP"``, ``"Video Output Connector"``):
  every leaf below the path, path -> value as the codec spells them, instance numbers included
  (``{"Cameras Camera 1 Connected": "True", "Cameras Camera 1 Model": "Quad Camera", …}``);
  ``{}`` for a node with no instance now (``Call`` when idle).
* ``{"command": "<xCommand> [Param: value …]"}`` for the read-only commands of
  :data:`READ_COMMANDS` (``CallHistory Get``, ``Camera Preset List``, ``Peripherals List``,
  ``UserManagement User List``): the fields of its result, path -> value
  (``{"Entry 0 CallHistoryId": "12", "Entry 0 Audio Incoming PacketLossPercent": "0.40", …}``).

Anything else (another command, a path that is no path, a second line) is a
:class:`~gbtt.drivers.base.ConfigError` before anything is sent; a path or parameter the codec
refuses is a :class:`~gbtt.drivers.base.DriverError` with its reason.  :meth:`CeDriver.get_facts`
gives ``os_version`` as the baselines write it (``ce11.17.1.5``, without the build suffix some
releases report) and ``uptime`` in seconds (``xStatus SystemUnit Uptime``).

Meeting control
---------------
What a meeting playbook does on a participant codec (:class:`~gbtt.drivers.base.Driver`'s
"meeting control" methods), over the same session; commands, not configuration, so the
candidate and what was read for it are left alone:

* :meth:`CeDriver.codec_calls`: ``xStatus Call`` (``RemoteNumber``, ``Direction``, ``Status``,
  ``ReceiveCallRate``/``TransmitCallRate``);
* :meth:`CeDriver.microphones_muted`, :meth:`CeDriver.set_microphones`: ``xStatus Audio
  Microphones Mute``, ``xCommand Audio Microphones Mute|Unmute`` (Art. 9.2a);
* :meth:`CeDriver.camera_presets`, :meth:`CeDriver.activate_preset`: ``xCommand Camera Preset
  List``, ``xCommand Camera Preset Activate PresetId: n`` (Art. 8.2c);
* :meth:`CeDriver.standby_state`, :meth:`CeDriver.set_standby`: ``xStatus Standby State``,
  ``xCommand Standby Activate|Deactivate``;
* :meth:`CeDriver.hang_up`: ``xCommand Call Disconnect CallId: n`` per call.

A setter reads first and sends nothing when the codec is as asked already (it returns False),
and reads back after the command (:class:`~gbtt.drivers.base.DriverError` when the change did
not take).  The commands are idempotent, so a lost session is reconnected and the command sent
again, as for a read.

Secrets never reach a diff or an error: the value of a path containing ``Password``,
``Passphrase`` or ``Secret``, every account passphrase, and any value equal to
``params.password`` or to one of ``params.extra["secrets"]``, is shown as ``<redacted>``.
"""

from __future__ import annotations

import codecs
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError,
                               ConnectError, ConnectionParams, Driver, DriverError, HostKeys,
                               TrustError, redact)

REDACTED = "<redacted>"
_SECRET_PATH = re.compile(r"(?i)password|passphrase|secret")
_LINE = re.compile(r"^\s*xconfiguration\s+(?P<path>[^:]*?)\s*:(?P<value>.*)$", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*|\d+")
_BARE_OK = re.compile(r'^[^\s"\\|]+$')
_DOCUMENT_START = re.compile(r"(?m)^\{")
_TERMINAL_END = re.compile(r"(?m)^(OK|ERROR|Command not recognized\.)[ \t]*$")
_VERSION = re.compile(r"(?i)\s*(ce\d+(?:\.\d+){1,3})")
_STATUS_PATH = re.compile(r"[A-Za-z][A-Za-z0-9]*(?: (?:[A-Za-z][A-Za-z0-9]*|\d+))*")
_COMMAND_QUERY = re.compile(
    r'(?i:xcommand\s+)?(?P<path>[A-Za-z]+(?:\s+[A-Za-z]+)*)'
    r'(?P<params>(?:\s+[A-Za-z]+:\s*(?:"(?:[^"\\]|\\.)*"|[^\s"|]+))*)\s*')
#: the xCommands :meth:`CeDriver.ask` runs: they read, never change anything
READ_COMMANDS = ("CallHistory Get", "Camera Preset List", "Peripherals List",
                 "UserManagement User List")


# -- the intended-config format -------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One line of an intended configuration."""

    path: str        # as written ("SystemUnit Name")
    value: str       # unquoted
    line: int        # 1-based line number in the intended configuration


def parse_intended(text: str) -> list[Setting]:
    """The settings of an intended configuration; ``ValueError("line N: …")`` on a bad line."""
    settings: list[Setting] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"line {number}: not 'xConfiguration <Path>: <value>'")
        words = m["path"].split()
        if not words or not all(_TOKEN.fullmatch(w) for w in words) or words[0].isdigit():
            raise ValueError(f"line {number}: {m['path']!r} is not an xConfiguration path")
        path = " ".join(words)
        try:
            value = _unquote(m["value"])
        except ValueError as exc:
            raise ValueError(f"line {number}: xConfiguration {path}: {exc}") from None
        key = path.lower()
        if key in seen:
            raise ValueError(f"line {number}: xConfiguration {path} is set already on line "
                             f"{seen[key]}")
        seen[key] = number
        settings.append(Setting(path, value, number))
    return settings


def _unquote(text: str) -> str:
    """A value as the xAPI takes it: ``"a \\"b\\""`` -> ``a "b"``; bare text as it is."""
    text = text.strip()
    if not text.startswith('"'):
        if '"' in text:
            raise ValueError("a value with quotes must be quoted (\\\" inside)")
        return text
    out, i = [], 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            if text[i + 1:].strip():
                raise ValueError("text after the closing quote")
            return "".join(out)
        out.append(ch)
        i += 1
    raise ValueError("unterminated quoted value")


def quote(value: str, kind: str = "") -> str:
    """A value for an ``xConfiguration`` line: strings quoted, numbers and literals bare
    unless they need quotes."""
    if kind != "string" and _BARE_OK.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kind(space_ref: str) -> str:
    """``/Valuespace/INT_0_100`` -> int, ``STR_0_50`` -> string, ``TTPAR_OffOn`` -> literal."""
    name = space_ref.rsplit("/", 1)[-1].upper()
    if name.startswith("INT"):
        return "int"
    if name.startswith("STR"):
        return "string"
    if name.startswith("TTPAR") or name.startswith("LITERAL"):
        return "literal"
    return ""


def same_value(a: str, b: str, kind: str) -> bool:
    if kind == "int":
        try:
            return int(a) == int(b)
        except ValueError:
            return a == b
    if kind == "literal":
        return a.lower() == b.lower()
    return a == b


def _sort_key(path: str) -> list[tuple[int, int, str]]:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in path.split()]


@dataclass(frozen=True)
class Running:
    """One setting as read from the codec."""

    path: str        # the codec's spelling
    value: str
    kind: str        # int, string, literal or "" (unknown value space)


def leaves(node: Any, tokens: tuple[str, ...] = ()) -> Iterator[tuple[str, dict]]:
    """The leaves of a JSON reply, in order: (path, leaf object).  A leaf is an object with a
    ``Value`` and nothing nested (``{"valueSpaceRef": …, "Value": "60"}``); an instance array
    puts the instance's ``id`` in the path (``Cameras Camera 1 Connected``); attributes
    (``id``, ``status``, ``valueSpaceRef``, ``ResultId``) are no leaves."""
    if isinstance(node, dict):
        if "Value" in node and not any(isinstance(v, (dict, list)) for v in node.values()):
            yield " ".join(tokens), node
            return
        for key, child in node.items():
            yield from leaves(child, (*tokens, key))
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                yield from leaves(item, (*tokens, str(item["id"])) if "id" in item else tokens)


def flatten_configuration(doc: Any) -> dict[str, Running]:
    """``{"Configuration": …}`` (the codec's JSON) -> lower-cased path -> :class:`Running`."""
    root = doc.get("Configuration", {}) if isinstance(doc, dict) else {}
    return {path.lower(): Running(path, str(leaf["Value"]), _kind(str(leaf.get("valueSpaceRef", ""))))
            for path, leaf in leaves(root)}


def flatten_values(node: Any) -> dict[str, str]:
    """A JSON reply (below its root) -> path -> value: ``{"Cameras Camera 1 Connected":
    "True", …}``."""
    return {path: str(leaf["Value"]) for path, leaf in leaves(node)}


def software_version(raw: str) -> str:
    """The release of ``xStatus SystemUnit Software Version`` as the baselines write it:
    ``ce11.17.1.5`` of ``"ce11.17.1.5 2b9c0f5f8c4"`` (a build suffix); anything else as it is."""
    m = _VERSION.match(raw)
    return m[1].lower() if m else raw.strip()


def _leaf(doc: Any, *keys: str) -> str:
    """``_leaf(doc, "Status", "SystemUnit", "Uptime")``: the ``Value`` there ("" if none);
    instance arrays give their first instance."""
    node = doc
    for key in keys:
        if isinstance(node, list):
            node = node[0] if node else {}
        node = node.get(key, {}) if isinstance(node, dict) else {}
    if isinstance(node, list):
        node = node[0] if node else {}
    return str(node.get("Value", "")) if isinstance(node, dict) else ""


def reply_error(doc: Any) -> str | None:
    """The reason of an error reply (``"status": "Error"``, ``"error": "True"``), or None."""
    if isinstance(doc, dict):
        if str(doc.get("error", "")).lower() == "true":
            return str(doc.get("Value", "Illegal value"))
        status = str(doc.get("status", ""))
        if status and status.lower() != "ok":
            reason = doc.get("Reason")
            reason = reason.get("Value") if isinstance(reason, dict) else reason
            return f"{status}: {reason}" if reason else status
        for value in doc.values():
            found = reply_error(value)
            if found:
                return found
    elif isinstance(doc, list):
        for value in doc:
            found = reply_error(value)
            if found:
                return found
    return None


# -- objects: camera presets and user accounts ----------------------------------------------

ROLES = ("Admin", "Audit", "Integrator", "RoomControl", "User")
_OBJECT_LINE = re.compile(r"^\s*x(?P<kind>preset|user)\b(?P<rest>.*)$", re.IGNORECASE)
_FIELD_NAME = re.compile(r"\s+(?P<name>[A-Za-z]+):")
_QUOTED = re.compile(r'\s*"(?:[^"\\]|\\.)*"')
_BARE = re.compile(r'\s*[^\s"]+')


@dataclass(frozen=True)
class ObjectKind:
    """An object of the codec that is no xConfiguration setting: how it is named and read."""

    name: str                          # as in the intended format: xPreset, xUser
    fields: tuple[tuple[str, str], ...]  # (field, kind): int, string, bool, roles, secret
    required: tuple[str, ...]          # fields a present object must give
    list_command: str                  # the xCommand that lists them
    instance: str                      # the instance name in its reply
    key_field: str                     # the field of an instance that is its key

    def canonical(self, name: str) -> str | None:
        """The canonical spelling of a field name (case-insensitive), or None."""
        return next((f for f, _ in self.fields if f.lower() == name.lower()), None)


PRESET = ObjectKind("Preset", (("CameraId", "int"), ("Name", "string")), ("Name",),
                    "xCommand Camera Preset List", "Preset", "PresetId")
USER = ObjectKind("User", (("Roles", "roles"), ("Active", "bool"), ("ShellLogin", "bool"),
                           ("Passphrase", "secret")), ("Roles",),
                  "xCommand UserManagement User List", "User", "Username")
OBJECT_KINDS = {k.name.lower(): k for k in (PRESET, USER)}


@dataclass(frozen=True)
class Item:
    """One object of an intended configuration: ``xPreset 2 CameraId: 1 Name: "Chủ tọa"``,
    ``xUser "vanhanh" Roles: User Active: True ShellLogin: False Passphrase: "…"``, or
    ``… State: Absent``."""

    kind: ObjectKind
    key: str
    fields: dict = field(default_factory=dict)   # canonical field -> value (no State)
    absent: bool = False
    line: int = 0

    @property
    def ident(self) -> tuple[str, str]:
        return self.kind.name, self.key.lower() if self.kind is USER else self.key


def _field_value(kind: ObjectKind, name: str, raw: str) -> str:
    """A field's value checked and spelt the codec's way; ValueError otherwise."""
    ftype = dict(kind.fields)[name]
    if ftype == "int":
        if not raw.isdigit() or not 1 <= int(raw) <= 7:
            raise ValueError(f"{name} must be a camera number 1-7, not {raw!r}")
        return str(int(raw))
    if ftype == "bool":
        if raw.lower() not in ("true", "false", "on", "off"):
            raise ValueError(f"{name} must be True or False, not {raw!r}")
        return "True" if raw.lower() in ("true", "on") else "False"
    if ftype == "roles":
        roles = []
        for word in filter(None, (w.strip() for w in raw.split(","))):
            role = next((r for r in ROLES if r.lower() == word.lower()), None)
            if role is None:
                raise ValueError(f"unknown role {word!r} (roles: {', '.join(ROLES)})")
            roles.append(role)
        if not roles:
            raise ValueError("Roles needs at least one role")
        return ",".join(sorted(set(roles)))
    return raw


def parse_item(text: str, number: int) -> Item | None:
    """An object line as an :class:`Item`, None when the line is no object line;
    ``ValueError("line N: …")`` on a bad one."""
    m = _OBJECT_LINE.match(text)
    if m is None:
        return None
    kind = OBJECT_KINDS[m["kind"].lower()]
    where = f"line {number}: x{kind.name}"
    rest = m["rest"]
    token = _QUOTED.match(rest) or _BARE.match(rest)
    if token is None:
        raise ValueError(f"{where}: the {kind.key_field} is missing")
    try:
        key = _unquote(token.group())
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if kind is PRESET and (not key.isdigit() or not 1 <= int(key) <= 35):
        raise ValueError(f"{where}: the preset number must be 1-35, not {key!r}")
    if kind is PRESET:
        key = str(int(key))
    if not key:
        raise ValueError(f"{where}: the {kind.key_field} is empty")
    pos, fields, state = token.end(), {}, "Present"
    while rest[pos:].strip():
        name_m = _FIELD_NAME.match(rest, pos)
        if name_m is None:
            raise ValueError(f"{where} {key}: expected 'Field: value' at {rest[pos:].strip()!r}")
        value_m = _QUOTED.match(rest, name_m.end()) or _BARE.match(rest, name_m.end())
        if value_m is None:
            problem = ("unterminated quoted value" if rest[name_m.end():].strip().startswith('"')
                       else "no value")
            raise ValueError(f"{where} {key}: {name_m['name']}: {problem}")
        try:
            raw = _unquote(value_m.group())
        except ValueError as exc:
            raise ValueError(f"{where} {key}: {name_m['name']}: {exc}") from None
        pos = value_m.end()
        if name_m["name"].lower() == "state":
            if raw.lower() not in ("present", "absent"):
                raise ValueError(f"{where} {key}: State must be Present or Absent")
            state = raw.capitalize()
            continue
        name = kind.canonical(name_m["name"])
        if name is None:
            raise ValueError(f"{where} {key}: unknown field {name_m['name']!r} (fields: "
                             + ", ".join(f for f, _ in kind.fields) + ", State)")
        if name in fields:
            raise ValueError(f"{where} {key}: {name} is given twice")
        try:
            fields[name] = _field_value(kind, name, raw)
        except ValueError as exc:
            raise ValueError(f"{where} {key}: {exc}") from None
    if state == "Absent":
        if fields:
            raise ValueError(f"{where} {key}: an absent object takes no other field")
        return Item(kind, key, {}, True, number)
    missing = [f for f in kind.required if f not in fields]
    if missing:
        raise ValueError(f"{where} {key}: {', '.join(missing)} missing")
    if kind is PRESET:
        fields.setdefault("CameraId", "1")
    return Item(kind, key, fields, False, number)


def parse_candidate(text: str) -> tuple[list[Setting], list[Item]]:
    """The settings and the objects of an intended configuration; ``ValueError("line N: …")``
    on a bad line."""
    lines, items, seen = [], [], {}
    for number, raw in enumerate(text.splitlines(), 1):
        item = parse_item(raw, number)
        if item is None:
            lines.append(raw)
            continue
        if item.ident in seen:
            raise ValueError(f"line {number}: x{item.kind.name} {item.key} is set already on "
                             f"line {seen[item.ident]}")
        seen[item.ident] = number
        items.append(item)
        lines.append("")   # keeps the line numbers of the settings
    return parse_intended("\n".join(lines)), items


def _values(node: Any) -> list[str]:
    """Every ``Value`` below a JSON node, in order."""
    if isinstance(node, dict):
        if "Value" in node and not isinstance(node["Value"], (dict, list)):
            return [str(node["Value"])]
        return [v for key, child in node.items() if key != "id" for v in _values(child)]
    if isinstance(node, list):
        return [v for child in node for v in _values(child)]
    return []


def _instances(doc: Any, name: str) -> list[dict[str, list[str]]]:
    """The instances called ``name`` in a command reply: field -> its values."""
    if isinstance(doc, dict):
        for key, child in doc.items():
            if key == name and isinstance(child, (dict, list)):
                items = child if isinstance(child, list) else [child]
                return [{k: _values(v) for k, v in item.items() if k != "id"}
                        for item in items if isinstance(item, dict)]
            found = _instances(child, name)
            if found:
                return found
    elif isinstance(doc, list):
        for child in doc:
            found = _instances(child, name)
            if found:
                return found
    return []


def read_objects(kind: ObjectKind, doc: Any) -> dict[tuple[str, str], dict[str, str]]:
    """A list command's reply -> ident -> fields (the readable ones, spelt as in the format)."""
    out = {}
    for inst in _instances(doc, kind.instance):
        key = (inst.get(kind.key_field) or [""])[0]
        if not key:
            continue
        fields = {}
        for name, ftype in kind.fields:
            values = inst.get(name)
            if values is None or ftype == "secret":
                continue
            fields[name] = (",".join(sorted(set(values))) if ftype == "roles"
                            else _field_value(kind, name, values[0]) if ftype == "bool"
                            else values[0])
        out[Item(kind, key).ident] = {"_key": key, **fields}
    return out


# -- meeting control: calls, presets, standby -----------------------------------------------

_URI_SCHEME = re.compile(r"(?i)^(?:sips?|h323|tel):")
#: ``xStatus Standby State`` values that count as in standby (RoomOS passes EnteringStandby)
_IN_STANDBY = ("standby", "enteringstandby")


def call_fields(status: Any) -> list[dict[str, str]]:
    """``xStatus Call`` (the reply below ``Status``) -> per call, in order, ``{"id": "3",
    "Status": "Connected", "RemoteNumber": …, "Encryption Type": …}``."""
    calls: dict[str, dict[str, str]] = {}
    for path, value in flatten_values(status).items():
        words = path.split()
        if len(words) > 2 and words[0] == "Call" and words[1].isdigit():
            calls.setdefault(words[1], {"id": words[1]})[" ".join(words[2:])] = value
    return list(calls.values())


def call_summary(fields: dict[str, str]) -> dict:
    """One call of :func:`call_fields` as :meth:`CeDriver.codec_calls` gives it: the remote as
    the codec shows it (``RemoteNumber``, else ``CallbackNumber``), direction and state in lower
    case, the rate the lower of the receive and transmit call rates (None when neither is
    reported)."""
    rates = [int(fields[name]) for name in ("ReceiveCallRate", "TransmitCallRate")
             if fields.get(name, "").isdigit() and int(fields[name]) > 0]
    return {"id": fields["id"],
            "remote": fields.get("RemoteNumber") or fields.get("CallbackNumber", ""),
            "direction": fields.get("Direction", "").lower(),
            "state": fields.get("Status", "").lower(),
            "rate_kbps": min(rates) if rates else None}


def remote_forms(uri: str) -> set[str]:
    """The forms a remote is matched by: as written, and without its scheme (``sip:``,
    ``sips:``, ``h323:``, ``tel:``) and ``;parameters``."""
    text = uri.strip()
    bare = _URI_SCHEME.sub("", text).split(";", 1)[0].strip()
    return {text, bare} - {""}


def find_preset(presets: list[dict], wanted: str | int) -> dict | None:
    """The preset of :meth:`CeDriver.camera_presets` that ``wanted`` names: an int is an id; a
    string is a name (exact after stripping; the first in list order), else, all digits, an
    id."""
    if isinstance(wanted, int):
        return next((p for p in presets if p["id"] == wanted), None)
    name = wanted.strip()
    found = next((p for p in presets if p["name"].strip() == name), None)
    if found is None and name.isascii() and name.isdigit():
        found = next((p for p in presets if p["id"] == int(name)), None)
    return found


def standby_is(state: str, on: bool) -> bool:
    """Whether ``xStatus Standby State`` is standby (``on``) or awake (``Off``); ``Halfwake`` is
    neither."""
    return state.lower() in _IN_STANDBY if on else state.lower() == "off"


# -- the driver -----------------------------------------------------------------------------


class _Lost(Exception):
    """The session is gone (closed, reset, no answer in time)."""


class _NotJson(Exception):
    """A reply that is no JSON document (terminal mode, ``Command not recognized.``)."""


class CeDriver(Driver):
    """A Cisco CE/RoomOS codec through stock netmiko ``cisco_tp`` (see the module docstring)."""

    platform = "cisco_ce"
    device_class = "codec"

    def __init__(self, host: str, params: ConnectionParams):
        super().__init__(host, params)
        self.conn: Any = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._settings: list[Setting] = []
        self._running: dict[str, Running] | None = None   # last read, None when stale
        self._last_backup: dict[str, tuple[str, str]] = {}  # lower path -> (path, value)
        self._items: list[Item] = []
        self._item_secrets: list[str] = []
        self._objects: dict[tuple[str, str], dict[str, str]] | None = None  # last read
        self._last_objects: dict[tuple[str, str], tuple[ObjectKind, dict[str, str] | None]] = {}

    # -- secrets ----------------------------------------------------------------------------
    def _secrets(self) -> list[str]:
        extra = self.params.extra.get("secrets") or []
        if isinstance(extra, str):
            extra = [extra]
        return [s for s in (self.params.password, self.params.secret, *extra, *self._item_secrets)
                if s]

    def _shown(self, path: str, value: str, kind: str = "") -> str:
        if _SECRET_PATH.search(path) or value in self._secrets():
            return REDACTED
        return quote(value, kind)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    # -- session ----------------------------------------------------------------------------
    def open(self) -> None:
        if self.conn is None:
            self._connect()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.write_channel("bye" + conn.RETURN)
        except Exception:  # noqa: BLE001 - the session may be gone already
            pass
        self._release(conn)

    @staticmethod
    def _release(conn: Any) -> None:
        """netmiko's ``disconnect`` without its slow ``cleanup`` (it waits for channel silence)."""
        from netmiko.base_connection import log
        try:
            conn.paramiko_cleanup()
        except Exception:  # noqa: BLE001
            pass
        finally:
            log.removeFilter(getattr(conn, "_secrets_filter", None))

    def _connect(self) -> None:
        import paramiko
        from netmiko import ConnectHandler
        from netmiko.exceptions import NetmikoAuthenticationException

        p = self.params
        if not p.known_hosts:
            raise TrustError(self.host, "no known_hosts file given: host key checking is always "
                                        "on, nothing is trusted")
        timeout = float(p.timeout or 30.0)
        try:
            keys = HostKeys(str(p.known_hosts), p.address, p.port or 22)
        except OSError as exc:
            raise TrustError(self.host, f"cannot read known_hosts {p.known_hosts}: "
                                        f"{exc.strerror or exc}") from None
        conn = ConnectHandler(
            device_type="cisco_tp", host=p.address, port=p.port or 22, username=p.username,
            password=p.password, ssh_strict=True, system_host_keys=False, alt_host_keys=True,
            alt_key_file=keys.path, allow_agent=False, use_keys=False,
            conn_timeout=timeout, auth_timeout=timeout, banner_timeout=timeout,
            blocking_timeout=timeout, fast_cli=True, auto_connect=False)
        try:
            try:
                conn._modify_connection_params()
                conn.establish_connection()
            except NetmikoAuthenticationException:
                self._release(conn)
                raise AuthenticationError(self.host, f"login as {p.username!r} refused") from None
            except Exception as exc:  # noqa: BLE001 - mapped below
                self._release(conn)
                trust = self._trust_problem(exc, paramiko)
                if trust:
                    raise TrustError(self.host, trust) from None
                raise ConnectError(self.host, self._redact(
                    f"cannot connect to {p.address}:{p.port or 22}: {self._reason(exc)}")) from None
        finally:
            keys.remove()   # read at the handshake: not needed after it
        self.conn = conn
        self._decoder.reset()
        self._buffer = ""
        self._running = None
        self._objects = None
        try:
            # the reply ("OK" in terminal mode, nothing once in JSON mode) is skipped by the
            # next command's reader, which starts after that command's echo
            conn.write_channel("xPreferences OutputMode json" + conn.RETURN)
        except Exception as exc:  # noqa: BLE001
            self._drop_session()
            raise ConnectError(self.host, f"session closed after login: {self._reason(exc)}") \
                from None

    @staticmethod
    def _trust_problem(exc: BaseException, paramiko: Any) -> str:
        """What is wrong with the host key, if that is why the connection failed."""
        seen: set[int] = set()
        cur: BaseException | None = exc
        while cur is not None and id(cur) not in seen:
            seen.add(id(cur))
            text = str(cur)
            if isinstance(cur, paramiko.BadHostKeyException) or "does not match" in text:
                return "the SSH host key does not match known_hosts (nothing was written)"
            if "known_hosts" in text:
                return "the SSH host key is not in known_hosts (nothing was written)"
            cur = cur.__cause__ or cur.__context__
        return ""

    @staticmethod
    def _reason(exc: BaseException) -> str:
        text = " ".join(str(exc).split())
        if "TCP connection to device failed" in text:
            return "TCP connection failed (refused or timed out)"
        return (text or type(exc).__name__)[:200]

    def _drop_session(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            self._release(conn)

    # -- one command ------------------------------------------------------------------------
    def _send(self, command: str) -> str:
        """Send one command line, return the reply text after its echo (CR removed).  Raises
        :class:`_Lost` when the session ends or does not answer in time."""
        conn = self.conn
        if conn is None:
            raise _Lost("not connected")
        chan = conn.remote_conn
        try:
            conn.write_channel(command + conn.RETURN)
        except Exception as exc:  # noqa: BLE001 - OSError "Socket is closed", EOFError …
            raise _Lost(self._reason(exc)) from None
        echo = command.strip() + "\n"
        deadline = time.monotonic() + float(self.params.timeout or 30.0)
        buf = self._buffer
        while True:
            text = buf.replace("\r", "")
            start = text.find(echo)
            if start >= 0:
                start += len(echo)
            else:  # an echo we do not recognise (wrapped, edited): the JSON document
                m = _DOCUMENT_START.search(text)
                start = m.start() if m else -1
            if start >= 0:
                reply = text[start:]
                if self._complete(reply):
                    self._buffer = ""
                    return reply
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Lost(f"no answer to {command.split(':', 1)[0]!r} within "
                            f"{self.params.timeout:g} s")
            try:
                chan.settimeout(min(remaining, 5.0))
                data = chan.recv(1 << 16)
            except socket.timeout:
                continue
            except Exception as exc:  # noqa: BLE001
                raise _Lost(self._reason(exc)) from None
            if not data:
                raise _Lost("the codec closed the connection")
            buf += self._decoder.decode(data)
            self._buffer = buf

    @staticmethod
    def _complete(reply: str) -> bool:
        """Whether ``reply`` is a whole answer: a JSON document that parses, or a terminal-mode
        answer with its end line."""
        body = reply.strip()
        if body.startswith("{"):
            if not body.endswith("}"):
                return False
            try:
                json.loads(body)
            except ValueError:
                return False
            return True
        return bool(_TERMINAL_END.search(reply))

    def _request(self, command: str) -> Any:
        """Send a command, return its JSON reply.  Raises :class:`_Lost`, :class:`_NotJson`."""
        reply = self._send(command).strip()
        if not reply.startswith("{"):
            raise _NotJson(reply.splitlines()[-1] if reply else "no reply")
        return json.loads(reply)

    def _read(self, command: str) -> Any:
        """A read: its JSON reply; errors as :class:`DriverError`.  A read is safe to repeat:
        when the session is gone, it is read again over a new one."""
        for attempt in (1, 2):
            if self.conn is None:
                self._connect()
            try:
                doc = self._request(command)
                break
            except _Lost as exc:
                self._drop_session()
                if attempt == 2:
                    raise ConnectError(self.host, f"{command}: {exc}") from None
            except _NotJson as exc:
                raise DriverError(self.host, f"{command}: no JSON reply ({exc}): is the codec "
                                             "in xPreferences OutputMode json?") from None
        problem = reply_error(doc)
        if problem:
            raise DriverError(self.host, f"{command}: {problem}")
        return doc

    def _read_running(self) -> dict[str, Running]:
        self._running = flatten_configuration(self._read("xConfiguration"))
        if not self._running:
            raise DriverError(self.host, "xConfiguration: the codec returned no settings")
        return self._running

    def _write(self, path: str, value: str, kind: str) -> str | None:
        """Write one setting: None when accepted, else the codec's reason.  Raises
        :class:`_Lost`."""
        self._running = None
        try:
            doc = self._request(f"xConfiguration {path}: {quote(value, kind)}")
        except _NotJson as exc:
            return str(exc)
        return reply_error(doc)

    # -- reading ----------------------------------------------------------------------------
    def get_facts(self) -> dict:
        status = self._read("xStatus SystemUnit")
        name = _leaf(self._read("xConfiguration SystemUnit Name"),
                     "Configuration", "SystemUnit", "Name")
        unit = ("Status", "SystemUnit")
        uptime = _leaf(status, *unit, "Uptime")
        return {
            "hostname": name or self.host,
            "name": name,
            "vendor": "Cisco",
            "model": _leaf(status, *unit, "ProductId"),
            "product_platform": _leaf(status, *unit, "ProductPlatform"),
            "serial": _leaf(status, *unit, "Hardware", "Module", "SerialNumber"),
            "serial_number": _leaf(status, *unit, "Hardware", "Module", "SerialNumber"),  # NAPALM's name
            "os_version": software_version(_leaf(status, *unit, "Software", "Version")),
            "software_version": _leaf(status, *unit, "Software", "Version"),
            "software_display": _leaf(status, *unit, "Software", "DisplayName"),
            "uptime": int(uptime) if uptime.isdigit() else -1,
        }

    def ask(self, query: dict) -> dict[str, str]:
        """A maintenance query (see "Maintenance queries" in the module docstring): path ->
        value of what the codec answers; :class:`ConfigError` for anything else."""
        if not isinstance(query, dict) or len(query) != 1:
            raise ConfigError(self.host, f"a codec query is one of status, command: {query!r}")
        (kind, text), = query.items()
        text = str(text).strip()
        if kind == "status":
            path = " ".join(text.split()[1:] if text.lower().startswith("xstatus ") else text.split())
            if not text.isprintable() or not _STATUS_PATH.fullmatch(path):
                raise ConfigError(self.host, f"{{status: {text!r}}}: not an xStatus path "
                                             "(words and instance numbers, e.g. 'Cameras Camera 1')")
            return flatten_values(self._read(f"xStatus {path}").get("Status", {}))
        if kind == "command":
            m = _COMMAND_QUERY.fullmatch(text) if text.isprintable() else None
            path = " ".join(m["path"].split()).lower() if m else ""
            allowed = {c.lower(): c for c in READ_COMMANDS}
            if path not in allowed:
                raise ConfigError(self.host, f"{{command: {text!r}}}: only these read-only xCommands "
                                             f"are asked: {', '.join(READ_COMMANDS)}")
            reply = self._read(f"xCommand {allowed[path]}{m['params']}")
            results = list((reply.get("CommandResponse") or {}).values())
            return flatten_values(results[0] if results else {})
        raise ConfigError(self.host, f"unknown codec query {kind!r}: status or command")

    def get_config(self) -> str:
        running = self._read_running()
        lines = [f"xConfiguration {r.path}: {quote(r.value, r.kind)}"
                 for r in sorted(running.values(), key=lambda r: _sort_key(r.path))]
        objects = self._read_objects([PRESET, USER])
        for ident in sorted(objects, key=lambda i: (i[0], int(i[1]) if i[1].isdigit() else 0, i[1])):
            kind = OBJECT_KINDS[ident[0].lower()]
            item = self._previous(ident, kind, objects[ident])
            lines.append(self._object_line(item, item.fields, False))
        return "\n".join(lines) + "\n"

    # -- changing ---------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        try:
            settings, items = parse_candidate(intended)
        except ValueError as exc:
            raise ConfigError(self.host, self._redact(str(exc))) from None
        for i in items:   # a backup lists gbtt's own account: kept as it is, never changed
            if i.kind is USER and i.key.lower() == self.params.username.lower() and (
                    i.absent or "Passphrase" in i.fields or i.fields.get("Active") == "False"
                    or i.fields.get("ShellLogin") == "False" or "Admin" not in i.fields["Roles"]):
                raise ConfigError(self.host, f"line {i.line}: xUser {i.key} is the account gbtt logs "
                                             "in with: its passphrase, state, shell login and Admin "
                                             "role are the codec credential's, not the template's")
        self.candidate = intended
        self._settings = settings
        self._items = items
        self._item_secrets = [i.fields["Passphrase"] for i in items if i.fields.get("Passphrase")]

    def discard(self) -> None:
        super().discard()
        self._settings = []
        self._items = []

    def _owned(self, running: dict[str, Running]) -> list[tuple[Setting, Running]]:
        if self.candidate is None:
            raise ConfigError(self.host, "no candidate loaded")
        owned, unknown = [], []
        for s in self._settings:
            r = running.get(s.path.lower())
            if r is None:
                unknown.append(f"line {s.line}: xConfiguration {s.path}")
            else:
                owned.append((s, r))
        if unknown:
            raise ConfigError(self.host, "no such setting on this codec: " + "; ".join(unknown))
        return owned

    def _changes(self, running: dict[str, Running]) -> list[tuple[Setting, Running]]:
        return [(s, r) for s, r in self._owned(running) if not same_value(s.value, r.value, r.kind)]

    # objects ------------------------------------------------------------------------------
    def _object_kinds(self, items: list[Item] | None = None) -> list[ObjectKind]:
        items = self._items if items is None else items
        return [k for k in (PRESET, USER) if any(i.kind is k for i in items)]

    def _read_objects(self, kinds: list[ObjectKind]) -> dict[tuple[str, str], dict[str, str]]:
        """The current presets and/or users (a read: reconnects once, DriverError)."""
        current: dict[tuple[str, str], dict[str, str]] = {}
        for kind in kinds:
            current.update(read_objects(kind, self._read(kind.list_command)))
        return current

    def _current_objects(self) -> dict[tuple[str, str], dict[str, str]]:
        """The objects as last read in this session (compare), else read now; an empty read
        (no preset, no account yet) is a read too."""
        if self._objects is None:
            self._objects = self._read_objects(self._object_kinds())
        return self._objects

    def _passphrase_always(self) -> bool:
        return str(self.params.extra.get("update_passphrase", "on_create")) == "always"

    def _object_same(self, item: Item, current: dict[str, str] | None, again: bool = True) -> bool:
        """Whether the codec's object is as ``item`` says (``again``: a passphrase set on every
        deploy, ``update_passphrase: always``, makes it differ)."""
        if item.absent or current is None:
            return item.absent and current is None
        if again and self._passphrase_always() and item.fields.get("Passphrase"):
            return False
        return all(current.get(name) == value for name, value in item.fields.items()
                   if name != "Passphrase")

    def _object_line(self, item: Item, fields: dict[str, str], passphrase: bool) -> str:
        key = quote(item.key, "string") if item.kind is USER else item.key
        parts = [f"x{item.kind.name} {key}"]
        for name, ftype in item.kind.fields:
            if name not in fields or (ftype == "secret" and not passphrase):
                continue
            value = fields[name]
            parts.append(f"{name}: " + (REDACTED if ftype == "secret"
                                        else quote(value, "string" if ftype == "string" else "")))
        return " ".join(parts)

    def _object_diff(self, item: Item, current: dict[str, str] | None) -> list[str]:
        out = []
        if current is not None:
            out.append("-" + self._object_line(item, current, False))
        if not item.absent:
            setting = current is None or self._passphrase_always()
            out.append("+" + self._object_line(item, item.fields, setting))
        return out

    def _operations(self, item: Item, current: dict[str, str] | None) -> list[str]:
        """The xCommands that bring ``current`` to ``item``; ConfigError when that cannot be."""
        where = f"line {item.line}: " if item.line else ""
        f = item.fields
        if item.kind is PRESET:
            preset = f"PresetId: {item.key}"
            if item.absent:
                return [f"xCommand Camera Preset Remove {preset}"] if current else []
            if current is None or current.get("CameraId") != f["CameraId"]:
                # stored at the camera's current position: the site frames it (Art. 8.2c)
                return [f"xCommand Camera Preset Store {preset} CameraId: {f['CameraId']} "
                        f"Name: {quote(f['Name'], 'string')}"]
            if current.get("Name") != f["Name"]:
                return [f"xCommand Camera Preset Edit {preset} Name: {quote(f['Name'], 'string')}"]
            return []
        user = f"Username: {quote(item.key, 'string')}"
        if item.absent:
            return [f"xCommand UserManagement User Delete {user}"] if current else []
        if current is None:
            if not f.get("Passphrase"):
                raise ConfigError(self.host, f"{where}xUser {item.key} does not exist on the codec "
                                             "and no Passphrase is given to create it (is its vaulted passphrase set?)")
            roles = " ".join(f"Role: {r}" for r in f["Roles"].split(","))
            return [f"xCommand UserManagement User Add {user} "
                    f"Passphrase: {quote(f['Passphrase'], 'string')} {roles} "
                    f"Active: {f.get('Active', 'True')} ShellLogin: {f.get('ShellLogin', 'True')} "
                    "PassphraseChangeRequired: False"]
        commands, changes = [], []
        have, want = set(current.get("Roles", "").split(",")) - {""}, set(f["Roles"].split(","))
        changes += [f"AddRole: {r}" for r in sorted(want - have)]
        changes += [f"RemoveRole: {r}" for r in sorted(have - want)]
        changes += [f"{name}: {f[name]}" for name in ("Active", "ShellLogin")
                    if name in f and current.get(name) != f[name]]
        if changes:
            commands.append(f"xCommand UserManagement User Modify {user} " + " ".join(changes))
        if self._passphrase_always() and f.get("Passphrase"):
            commands.append(f"xCommand UserManagement User Passphrase Set {user} "
                            f"NewPassphrase: {quote(f['Passphrase'], 'string')} "
                            f"YourPassphrase: {quote(self.params.password, 'string')}")
        return commands

    def _command(self, command: str) -> str | None:
        """Run one changing xCommand: None when it succeeded, else the codec's reason.  Raises
        :class:`_Lost`."""
        self._objects = None
        try:
            doc = self._request(command)
        except _NotJson as exc:
            return str(exc)
        return reply_error(doc)

    @staticmethod
    def _previous(ident: tuple[str, str], kind: ObjectKind,
                  fields: dict[str, str] | None) -> Item:
        """The object as it was (to restore it): ``fields`` None means it did not exist."""
        if fields is None:
            return Item(kind, ident[1], {}, True)
        return Item(kind, fields["_key"], {k: v for k, v in fields.items() if k != "_key"})

    # compare, commit, restore ---------------------------------------------------------------
    def compare(self) -> str:
        running = self._read_running()
        out = []
        for s, r in self._changes(running):
            out.append(f"-xConfiguration {r.path}: {self._shown(r.path, r.value, r.kind)}")
            out.append(f"+xConfiguration {r.path}: {self._shown(r.path, s.value, r.kind)}")
        if self._items:
            current = self._objects = self._read_objects(self._object_kinds())
            for item in self._items:
                if not self._object_same(item, current.get(item.ident)):
                    self._operations(item, current.get(item.ident))   # refuses the impossible
                    out += self._object_diff(item, current.get(item.ident))
        return self._redact("\n".join(out) + "\n") if out else ""

    def backup(self) -> str:
        """The current values of the owned settings and objects (everything when no candidate
        is loaded), in the intended format; passphrases cannot be read and are not in it."""
        if self.candidate is None:
            return self.get_config()
        running = self._running or self._read_running()
        lines = [f"xConfiguration {r.path}: {quote(r.value, r.kind)}" for _, r in self._owned(running)]
        if self._items:
            current = self._current_objects()
            for item in self._items:
                fields = current.get(item.ident)
                lines.append(self._object_line(item, fields, False) if fields is not None
                             else self._object_line(Item(item.kind, item.key), {}, False)
                             + " State: Absent")
        return "".join(line + "\n" for line in lines)

    def commit(self, confirm_timeout: int | None = None) -> None:
        """Write what differs (``confirm_timeout`` is ignored: a codec has no revert timer)."""
        running = self._running or self._read_running()
        changes = self._changes(running)
        current = self._current_objects() if self._items else {}
        plans = [(item, self._operations(item, current.get(item.ident))) for item in self._items
                 if not self._object_same(item, current.get(item.ident))]
        self._last_backup = {r.path.lower(): (r.path, r.value) for _, r in changes}
        self._last_objects = {item.ident: (item.kind, current.get(item.ident)) for item, _ in plans}
        if not changes and not plans:
            return
        kinds = {key: r.kind for key, r in running.items()}
        written: list[Running] = []
        touched: dict[tuple[str, str], tuple[ObjectKind, dict[str, str] | None]] = {}
        steps = [(s.line, f"xConfiguration {r.path}", r, s.value, None) for s, r in changes]
        steps += [(item.line, f"x{item.kind.name} {item.key}", None, command, item)
                  for item, commands in plans for command in commands]
        for done, (line, what, r, value, item) in enumerate(steps):
            if item is not None:
                touched.setdefault(item.ident, (item.kind, current.get(item.ident)))
            try:
                problem = (self._write(r.path, value, r.kind) if r is not None
                           else self._command(value))
            except _Lost as exc:
                self._drop_session()
                restored = self._restore([*written, *([r] if r else [])], kinds, touched)
                raise CommitError(self.host, f"connection lost writing line {line} ({what}): "
                                             f"{exc}", restored) from None
            if problem:
                if not self._restore(written, kinds, touched):
                    raise CommitError(self.host, self._redact(
                        f"line {line}: {what}: the codec refused it ({problem}) after {done} "
                        "change(s) were written"), False)
                raise ConfigError(self.host, self._redact(
                    f"line {line}: {what}: the codec refused it ({problem}); nothing changed"
                    + (f" ({done} change(s) written before it were restored)" if done else "")))
            if r is not None:
                written.append(r)
        # read back every owned setting and object
        try:
            running = self._read_running()
            current = self._read_objects(self._object_kinds()) if self._items else {}
        except DriverError as exc:
            self._drop_session()
            restored = self._restore(written, kinds, touched)
            raise CommitError(self.host, f"cannot read the configuration back: {exc.message}",
                              restored) from None
        self._objects = current
        wrong = [f"line {s.line}: xConfiguration {r.path}"
                 for s, r in self._owned(running) if not same_value(s.value, r.value, r.kind)]
        wrong += [f"line {i.line}: x{i.kind.name} {i.key}" for i in self._items
                  if not self._object_same(i, current.get(i.ident), again=False)]
        if wrong:
            restored = self._restore(written, kinds, touched)
            raise CommitError(self.host, "settings did not keep the written value: "
                                         + "; ".join(wrong), restored)

    def _restore(self, settings: list[Running], kinds: dict[str, str],
                 objects: dict[tuple[str, str], tuple[ObjectKind, dict[str, str] | None]]
                 | None = None, attempts: int = 3) -> bool:
        """Write the values in ``settings`` and the ``objects`` (as read before the change)
        back, reconnecting if needed; True when the codec holds every one of them again."""
        objects = objects or {}
        if not settings and not objects:
            return True
        wanted = {r.path.lower(): r for r in settings}
        previous = [self._previous(ident, kind, fields) for ident, (kind, fields) in objects.items()]
        for attempt in range(attempts + 1):
            try:
                if self.conn is None:
                    self._connect()
                running = flatten_configuration(self._request("xConfiguration"))
                self._running = running
                current: dict[tuple[str, str], dict[str, str]] = {}
                for kind in self._object_kinds(previous):
                    current.update(read_objects(kind, self._request(kind.list_command)))
                todo = [r for key, r in wanted.items()
                        if key not in running or not same_value(r.value, running[key].value,
                                                                 kinds.get(key, r.kind))]
                undo = [i for i in previous if not self._object_same(i, current.get(i.ident))]
                if not todo and not undo:
                    return True
                if attempt == attempts:
                    return False
                for i in reversed(undo):
                    for command in self._operations(i, current.get(i.ident)):
                        if self._command(command):
                            return False
                for r in reversed(todo):
                    if self._write(r.path, r.value, kinds.get(r.path.lower(), r.kind)):
                        return False     # the codec refuses its own previous value: give up
            except (_Lost, _NotJson, ConnectError):
                self._drop_session()
            except (AuthenticationError, TrustError, ConfigError):
                return False
        return False

    def confirm(self) -> None:
        """Nothing to do: a codec has no revert timer."""

    def rollback(self) -> None:
        """Write back the values and objects the last commit changed."""
        if not self._last_backup and not self._last_objects:
            return
        settings = [Running(path, value, "") for path, value in self._last_backup.values()]
        running = self._running or self._read_running()
        kinds = {key: r.kind for key, r in running.items()}
        if not self._restore(settings, kinds, self._last_objects):
            raise CommitError(self.host, "rollback failed", False)

    def health(self) -> list[Check]:
        checks = []
        try:
            uptime = _leaf(self._read("xStatus SystemUnit Uptime"), "Status", "SystemUnit",
                           "Uptime")
            checks.append(Check("codec answers", uptime.isdigit(), f"uptime {uptime} s"))
        except DriverError as exc:
            checks.append(Check("codec answers", False, exc.message))
        try:
            doc = self._read("xStatus SIP Registration")
            status = _leaf(doc, "Status", "SIP", "Registration", "Status")
            checks.append(Check("SIP registration status readable", bool(status),
                                f"SIP registration: {status or 'not reported'}"))
        except DriverError as exc:
            checks.append(Check("SIP registration status readable", False, exc.message))
        return checks

    # -- meeting control (see "Meeting control" in the module docstring) --------------------
    def _act(self, command: str) -> Any:
        """Run one meeting xCommand; its JSON reply.  These commands are idempotent (mute,
        activate a preset, standby, disconnect a call by id), so, like a read, one is sent again
        over a new session when the session is lost; the codec's refusal is a
        :class:`DriverError` with its reason.  The candidate and what was read for it are left
        alone."""
        return self._read(command)

    def _status_value(self, path: str) -> str:
        """The value of one ``xStatus`` leaf; :class:`DriverError` when the codec reports none."""
        value = _leaf(self._read(f"xStatus {path}"), "Status", *path.split())
        if not value:
            raise DriverError(self.host, f"xStatus {path}: not reported")
        return value

    def _call_fields(self) -> list[dict[str, str]]:
        return call_fields(self._read("xStatus Call").get("Status", {}))

    def codec_calls(self) -> list[dict]:
        """``xStatus Call``: see :meth:`Driver.codec_calls`; ``rate_kbps`` is the lower of the
        call's receive and transmit rates."""
        return [call_summary(fields) for fields in self._call_fields()]

    def microphones_muted(self) -> bool:
        return self._status_value("Audio Microphones Mute").lower() == "on"

    def set_microphones(self, muted: bool) -> bool:
        """``xCommand Audio Microphones Mute|Unmute`` when the microphones are not so already,
        then read back."""
        if self.microphones_muted() == muted:
            return False
        command = f"xCommand Audio Microphones {'Mute' if muted else 'Unmute'}"
        self._act(command)
        if self.microphones_muted() != muted:
            raise DriverError(self.host, f"{command}: the microphones are still "
                                         f"{'unmuted' if muted else 'muted'}")
        return True

    def camera_presets(self) -> list[dict]:
        objects = read_objects(PRESET, self._read(PRESET.list_command))
        return [{"id": int(fields["_key"]), "name": fields.get("Name", ""),
                 "camera": int(fields.get("CameraId", "1"))} for fields in objects.values()]

    def activate_preset(self, preset: str | int) -> dict:
        """``xCommand Camera Preset Activate PresetId: n`` of the preset named (see
        :func:`find_preset`)."""
        if isinstance(preset, bool) or not isinstance(preset, (str, int)):
            raise ConfigError(self.host, f"{preset!r} is no camera preset name or id")
        presets = self.camera_presets()
        chosen = find_preset(presets, preset)
        if chosen is None:
            names = ", ".join(repr(p["name"]) for p in presets)
            raise ConfigError(self.host, self._redact(
                f"no camera preset {preset!r} on the codec; "
                + (f"its presets: {names}" if names else "it has no presets")))
        self._act(f"xCommand Camera Preset Activate PresetId: {chosen['id']}")
        return {"id": chosen["id"], "name": chosen["name"]}

    def standby_state(self) -> str:
        return self._status_value("Standby State")

    def set_standby(self, on: bool) -> bool:
        """``xCommand Standby Activate|Deactivate`` unless the codec is in standby (``Standby``,
        ``EnteringStandby``) or awake (``Off``) as asked already, then read back; from
        ``Halfwake`` either one is a change."""
        if standby_is(self.standby_state(), on):
            return False
        command = f"xCommand Standby {'Activate' if on else 'Deactivate'}"
        self._act(command)
        state = self.standby_state()
        if not standby_is(state, on):
            raise DriverError(self.host, f"{command}: the codec's standby state is still {state}")
        return True

    def hang_up(self, remote: str | None = None) -> int:
        """``xCommand Call Disconnect CallId: n`` for each call (of ``remote``, compared in the
        forms of :func:`remote_forms` with the call's ``RemoteNumber`` and ``CallbackNumber``); a
        call that ended by itself meanwhile is not counted.  An empty ``remote`` is a
        :class:`ConfigError` (``None`` hangs up every call)."""
        wanted = remote_forms(remote) if remote is not None else set()
        if remote is not None and not wanted:
            raise ConfigError(self.host, "hang_up: an empty remote names no call (None hangs up "
                                         "every call)")
        calls = self._call_fields()
        if wanted:
            calls = [c for c in calls
                     if wanted & (remote_forms(c.get("RemoteNumber", ""))
                                  | remote_forms(c.get("CallbackNumber", "")))]
        ended = 0
        for call in calls:
            try:
                self._act(f"xCommand Call Disconnect CallId: {call['id']}")
            except ConnectError:
                raise
            except DriverError:
                if any(c["id"] == call["id"] for c in self._call_fields()):
                    raise
                continue                 # it ended before the codec was told to end it
            ended += 1
        return ended
