"""The simulated Cisco codec (Webex Room Kit, Room Kit Pro: CE / RoomOS software) of the lab.

A :class:`CeCodec` answers the codec's SSH command line, the *tshell* of the xAPI, the way a
RoomOS 11 codec does, so that the codec role and its drivers (stock netmiko ``cisco_tp``) can be
developed and tested against the lab.  The lab core does the SSH transport (login, PTY, echo,
CR LF); this module only answers lines, so it can be tested without sockets.

What is simulated
-----------------
* The login banner (``Welcome to …``, ``Cisco Codec Release …``, ``*r Login successful``,
  ``OK``) and no prompt: every reply carries its own end marker, as on a codec.  In terminal
  mode (the default) replies are

  - ``xConfiguration [path]``: ``*c xConfiguration <path>: <value>`` lines, ``** end``, a
    blank line, ``OK``.  Strings are quoted, numbers and literals are not.
  - ``xConfiguration <path>: <value>``: ``** end``, a blank line, ``OK``.  A value outside the
    setting's value space (integer out of range, unknown literal, string too long) gives
    ``*c xConfiguration <path> (error=True): Illegal value``, ``** end``, ``ERROR``; a path that
    is no setting gives ``*r Configuration (status=Error):`` with ``Reason: "No match on address
    expression."`` and ``XPath: "Configuration/…"``, ``** end``, ``ERROR``.
  - ``xStatus [path]``: ``*s <path>: <value>`` lines, ``** end``, ``OK`` (``ERROR`` with a
    ``*r Status (status=Error):`` block for an unknown path).
  - ``xCommand <path> <Param>: <value> …``: a blank line and ``OK`` as soon as the command is
    accepted, then ``*r <Name>Result (status=OK):`` with one ``*r <Name>Result <field>: <value>``
    line per result field, ``** end``.  An unknown command gives ``*r Result (status=Error):``
    (``Reason: "Unknown command"``, ``XPath``), bad or missing parameters give
    ``*r <Name>Result (status=ParameterError):``; both end with ``** end`` and ``ERROR``.  A
    command that was accepted but fails (no such call, no such preset) gives ``OK`` then
    ``(status=Error)`` with a ``Reason``.
  - anything that is no xAPI command: ``Command not recognized.``

  Paths, parameter names and literal values are case-insensitive; values may be quoted
  (``"…"`` with ``\\"`` and ``\\\\`` escapes) or not.  A read path may leave out instance
  numbers (``xStatus Network IPv4``) or stop at any node (``xConfiguration SIP``).  A
  ``| resultId="…"`` suffix is echoed back (``** resultId: "…"``, or ``"ResultId"`` in JSON).
* ``xPreferences OutputMode JSON`` / ``Terminal`` per session.  In JSON mode every reply is one
  pretty-printed JSON document, as the codec's own: ``{"Configuration": …}`` with
  ``{"valueSpaceRef": …, "Value": "…"}`` leaves, ``{"Status": …}``, ``{"CommandResponse":
  {"<Name>Result": {"status": "OK", …}}}``, ``{}`` for a configuration write, the error
  documents jsxapi parses (``"status": "Error"`` with ``Reason``/``XPath``, an illegal value as
  ``{"error": "True", "Value": "Illegal value"}``); instances are arrays of objects with an
  ``"id"``.  There is no ``OK``/``ERROR`` line in JSON mode.  ``echo off``/``on`` (the core stops
  echoing), ``bye`` and ``exit``.
* Configuration: a value-space-checked schema of what a codec configuration template needs
  (SystemUnit, Network, NetworkServices NTP/SSH/HTTP/SNMP, Time, SIP, H323, Conference,
  Audio, Video inputs and outputs, Standby, Cameras, UserInterface, Security, Macros,
  RoomAnalytics), laid out per model (cameras, video connectors).  It is saved at once, as on
  a codec: ``self.state["config"]`` (path -> value) survives reboots; ``gbtt lab reset`` gives
  the factory defaults with the registry's address as a static IPv4 address.
* Status: SystemUnit (product, software = the registry baseline, serial, uptime, active
  calls), Network (address, mask, gateway, MAC, DNS), NTP (``Synced`` in ``Manual`` mode with a
  server, ``NotSynced`` in ``Auto``: the lab has no DHCP), SIP registration and proxy, H.323
  gatekeeper, Standby, Audio (volume, mute, ``Input Connectors Microphone N ConnectionStatus``),
  Cameras (``Connected``, model, serial number, position), Video inputs and outputs (what is
  connected), Peripherals (the touch panel), Conference and the calls.
* Commands: ``Dial``, ``Call Accept|Reject|Disconnect``, ``CallHistory Get`` (newest first;
  ``DetailLevel: Basic``, the default, gives ``CallHistoryId``, ``CallbackNumber``,
  ``DisplayName``, ``StartTime``, ``DaysAgo``, ``OccurrenceType``, ``IsAcknowledged``; ``Full``
  adds the parties, rate, ``EndTime``, ``Duration``, disconnect cause and, per ``Audio``/
  ``Video`` and ``Incoming``/``Outgoing``, ``PacketLoss`` (``lost/packets``),
  ``PacketLossPercent`` and ``MaxJitter`` in ms: 50 audio packets a second, video at the call
  rate, nothing lost, a few ms of jitter), ``Peripherals List`` (the touch panel),
  ``Audio Microphones Mute|Unmute|ToggleMute``, ``Audio Volume Set``,
  ``Camera PositionSet``, ``Camera Preset Store|Activate|Edit|List|Remove`` (presets are saved
  in the state, in list order: a new preset goes last, ``Edit … ListPosition: n`` moves one;
  ``List`` gives ``CameraId``, ``DefaultProfile`` (always ``False``), ``ListPosition``,
  ``Name``, ``PresetId``), ``Standby Activate|Deactivate|Halfwake``, ``SystemUnit Boot``
  (reboots and closes the session),
  ``UserManagement User Add|Modify|Delete|List|Passphrase Set``.  A repeated parameter
  (``Role: Admin Role: User``) is taken where the xAPI takes one (``Role``, ``AddRole``,
  ``RemoveRole``); the result is named after the last two path words (``PresetEditResult``,
  ``UserListResult``, ``PassphraseSetResult``).
* Users (``self.state["users"]``: ``Username``, ``Roles``, ``Active``, ``ShellLogin``,
  ``PassphraseChangeRequired`` and ``PassphraseHash``, a salted scrypt hash, never the
  passphrase).  The factory users are ``admin`` (Admin; no hash: no passphrase logs it in) and
  the lab login (``facts.extra["username"]``, the inventory's ``gbtt_codec_username``; Admin
  and User; no hash: its passphrase is the lab's credential, which the state never holds, until
  a ``Passphrase Set`` gives it one).  ``User Add Username: Passphrase: Role: [Role: …]
  [Active:] [ShellLogin:] [PassphraseChangeRequired:] [YourPassphrase:]`` (defaults ``True``,
  ``True`` and ``False``: a real codec defaults ``PassphraseChangeRequired`` to ``True``),
  ``User Modify Username: [AddRole: …] [RemoveRole: …] [Active:] [ShellLogin:]
  [PassphraseChangeRequired:]``, ``User Passphrase Set Username: NewPassphrase:
  YourPassphrase:`` (``YourPassphrase``: the passphrase of the session's own user), ``User
  Delete Username:``, ``User List`` (``User <n> Active|ClientCertDN|PassphraseChangeRequired|
  Roles Role <m>|ShellLogin|Username``, from 1).  A new passphrase needs at least
  :data:`MIN_PASSPHRASE_LENGTH` characters (``Passphrase does not meet the requirements.``);
  ``User does not exist.``, ``User already exists.``, ``YourPassphrase is not correct.``; no
  change may leave the codec without an active Admin, nor a user without a role, and a session
  cannot delete its own user.  The lab core lets in, over SSH, the lab login (always, as
  before) and every user that is active, has ``ShellLogin: True`` and gives its passphrase
  (:meth:`CeCodec.check_login`).  Passphrase values never reach the request log:
  :meth:`CeCodec.redact` hides them in the command lines the core logs, and the ``xCommand``
  entries show ``<redacted>``.
* Calls.  An MCU of the lab calls :meth:`CeCodec.incoming_call` and ends the call with
  :meth:`CeCodec.end_call`; ``xCommand Dial`` looks the number up in the lab
  (``sip:``/``h323:`` URIs, ``user@host``, addresses, host names) and calls the device found
  there through its ``incoming_call``.  Two lab codecs are linked: a hang-up, an answer or a
  reject on one side reaches the other.  ``Conference AutoAnswer Mode/Delay/Mute`` decide
  whether an incoming call connects at once, after the delay, or rings until ``xCommand Call
  Accept``.  A dial that cannot connect still answers ``DialResult (status=OK)`` with a call
  id, as on a codec, and the call ends at once: its cause (``UnknownRemoteSite``/``Not Found``
  when nothing in the lab has the address, ``RemoteNoAnswer``/``Request Timeout`` for a device
  that takes no calls, ``RemoteBusy``/``Busy Here`` when the far codec has no free line) is in
  ``xCommand CallHistory Get`` and the request log.  Active calls and the call history are
  kept in the state, like the MCU's calls, so both sides agree across ``gbtt lab down``/``up``.
* Standby (``xStatus Standby State``: ``Off`` when awake, ``Halfwake``, ``Standby``): after
  ``Standby Delay`` idle minutes (lab time, through ``self.lab.call_later``) with ``Standby
  Control: On``, counted again from ``Standby Halfwake`` or ``Deactivate``; a call (incoming or
  dialled) wakes the codec.  The ``expire`` fault fires the standby and auto-answer timers at
  once.
* Faults: ``reboot`` drops the calls (linked codecs see the call end) and resets volume, mute,
  standby and camera positions; configuration, presets, users and call history are kept.
  ``drift`` takes ``["<configuration path>", "<value>"]`` (``["SystemUnit Name", "Someone's
  room"]``) and sets it as a person at the touch panel would: the value space applies.
* Health faults, for the maintenance checks: ``drift`` words (``gbtt lab fault HOST drift unplug
  camera 2``) that change what the codec reports, saved in ``self.state["faults"]`` (they
  survive ``gbtt lab down``/``up`` and a reboot; ``gbtt lab reset`` ends them):

  - ``unplug|plug camera|microphone|display <n>``: ``Cameras Camera n Connected: False`` (model,
    serial number and position unknown, its video input disconnected, ``PositionSet`` and
    ``Preset Store`` on it refused), a microphone input ``NotConnected``, a video output with
    no display; ``plug`` undoes it, or connects an unused input or output;
  - ``sip <Registered|Registering|Failed|Deregister|Inactive> [reason …]`` (``Failed``: ``Request
    Timeout`` unless a reason is given), ``h323 <gatekeeper status> [reason …]``, ``ntp
    <Synced|unsynced|Discarded|Unknown|Off>``; ``auto`` reports them from the settings again;
  - ``version ce9.15.3.17``: the software the codec reports (``auto``: the baseline);
  - ``lastcall loss 4.5 jitter 60`` (either or both): the last call of the history received its
    audio and video with that packet loss (%) and ``MaxJitter`` (ms);
  - ``uptime 30d`` (``s``, ``m``, ``h``, ``d``): up as if booted that long ago (the boot time is
    no state: a lab restart or a reboot is a boot);
  - ``clear``: every one of them ends (the uptime stays).

What is not
-----------
Media, SIP and H.323 signalling (registration is reported as succeeding whenever a URI and a
proxy, or a gatekeeper, are configured, unless a fault says otherwise: the lab has no
registrar; media statistics are made up when a call ends), xFeedback and xEvent
(nothing is ever pushed to a session), the XML output mode (refused), help (``?``), the ``//``
search shortcuts, multiline commands, macros and UI extensions, phonebooks, bookings,
presentations, the web interface and HTTP API, provisioning, software upgrades.  Of users:
roles restrict nothing (any session may run any command), ``PassphraseChangeRequired`` is
only listed (no prompt for a new passphrase at login), ``ClientCertDN`` is always empty,
there is no ``User Get|Unblock``, ``Passphrase Change``, lockout or passphrase expiry, and
the lab login logs in whatever the users say about it.  Only one SSH session closes on
``SystemUnit Boot``; other sessions to the codec stay open.  The MCU is not told when the codec
hangs up an MCU call.  Error reasons of failed commands are written in the codec's style but
not copied from one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Union

from gbtt.lab.device import Device, Facts, Lab, Shell

# -- value spaces ---------------------------------------------------------------------------


class IllegalValue(ValueError):
    """A value outside a value space."""


@dataclass(frozen=True)
class IntSpace:
    """``<lo..hi>``: an integer."""

    lo: int
    hi: int
    kind: ClassVar[str] = "int"

    def parse(self, raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[+-]?\d+", text) or not self.lo <= int(text) <= self.hi:
            raise IllegalValue(f"{raw!r} is not in {self}")
        return int(text)

    @property
    def ref(self) -> str:
        return f"INT_{self.lo}_{self.hi}".replace("-", "M")

    def __str__(self) -> str:
        return f"<{self.lo}..{self.hi}>"


@dataclass(frozen=True)
class EnumSpace:
    """``<A/B/C>``: one of the literals (matched case-insensitively, stored as written here)."""

    values: tuple[str, ...]
    name: str = ""
    kind: ClassVar[str] = "literal"

    def parse(self, raw: str) -> str:
        wanted = raw.strip().lower()
        for value in self.values:
            if value.lower() == wanted:
                return value
        raise IllegalValue(f"{raw!r} is not in {self}")

    @property
    def ref(self) -> str:
        return "TTPAR_" + (self.name or "".join(v.replace("+", "") for v in self.values))

    def __str__(self) -> str:
        return "<" + "/".join(self.values) + ">"


@dataclass(frozen=True)
class StrSpace:
    """``<S: lo, hi>``: a string of lo to hi characters."""

    lo: int
    hi: int
    kind: ClassVar[str] = "string"

    def parse(self, raw: str) -> str:
        if not self.lo <= len(raw) <= self.hi:
            raise IllegalValue(f"{len(raw)} characters is not in {self}")
        return raw

    @property
    def ref(self) -> str:
        return f"STR_{self.lo}_{self.hi}"

    def __str__(self) -> str:
        return f"<S: {self.lo}, {self.hi}>"


ValueSpace = Union[IntSpace, EnumSpace, StrSpace]
ON_OFF = EnumSpace(("Off", "On"))

#: ``Time Zone``: the tz database names of the codec's value space that matter here.
TIME_ZONES = (
    "Africa/Cairo", "Africa/Johannesburg", "America/Chicago", "America/Los_Angeles",
    "America/New_York", "America/Sao_Paulo", "Asia/Bangkok", "Asia/Dubai", "Asia/Ho_Chi_Minh",
    "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Kolkata", "Asia/Kuala_Lumpur", "Asia/Manila",
    "Asia/Phnom_Penh", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Taipei",
    "Asia/Tokyo", "Asia/Vientiane", "Australia/Sydney", "Etc/GMT", "Etc/UTC", "Europe/Berlin",
    "Europe/London", "Europe/Moscow", "Europe/Oslo", "Europe/Paris", "Pacific/Auckland", "UTC",
)
LANGUAGES = (
    "Arabic", "Catalan", "ChineseSimplified", "ChineseTraditional", "Czech", "Danish", "Dutch",
    "English", "EnglishUK", "Finnish", "French", "FrenchCanadian", "German", "Hebrew",
    "Hungarian", "Italian", "Japanese", "Korean", "Norwegian", "Polish", "Portuguese",
    "PortugueseBrazilian", "Russian", "Spanish", "SpanishLatin", "Swedish", "Turkish",
    "Ukrainian",
)

# -- models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """The hardware of a product: what its configuration and status are laid out over."""

    platform: str                 # SystemUnit ProductPlatform
    video_inputs: tuple[str, ...]  # connector types, connector 1 first
    cameras: tuple[str, ...]      # camera models, on the first video inputs
    video_outputs: int
    displays: int                 # outputs with a display connected
    microphones: int              # microphone inputs
    microphones_connected: int
    max_calls: int                # calls at once (MultiSite)


MODELS = {
    "Cisco Webex Room Kit": Model("Room Kit", ("Camera", "HDMI", "HDMI"), ("Room Kit Camera",),
                                  video_outputs=2, displays=1, microphones=2,
                                  microphones_connected=1, max_calls=3),
    "Cisco Webex Room Kit Pro": Model("Codec Pro", ("HDMI",) * 5 + ("3G-SDI",),
                                      ("Quad Camera", "PTZ 4K"), video_outputs=3, displays=2,
                                      microphones=8, microphones_connected=2, max_calls=4),
}
DEFAULT_MODEL = "Cisco Webex Room Kit"


def model_of(facts: Facts) -> Model:
    return MODELS.get(facts.model or DEFAULT_MODEL, MODELS[DEFAULT_MODEL])


# -- the configuration schema ---------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    space: ValueSpace
    default: int | str


def config_schema(model: Model) -> dict[str, Setting]:
    """Configuration path (``"Network 1 IPv4 Address"``) -> value space and default, in the
    order the codec lists them."""
    s: dict[str, Setting] = {}

    def add(path: str, space: ValueSpace, default: int | str) -> None:
        s[path] = Setting(space, default)

    add("Audio DefaultVolume", IntSpace(0, 100), 50)
    add("Audio Microphones Mute Enabled", EnumSpace(("True", "InCallOnly")), "True")
    add("Audio Ultrasound MaxVolume", IntSpace(0, 90), 70)
    for n in range(1, len(model.cameras) + 1):
        add(f"Cameras Camera {n} Brightness DefaultLevel", IntSpace(1, 31), 20)
        add(f"Cameras Camera {n} Brightness Mode", EnumSpace(("Auto", "Manual")), "Auto")
        add(f"Cameras Camera {n} Focus Mode", EnumSpace(("Auto", "AutoLimited", "Manual")), "Auto")
        add(f"Cameras Camera {n} Whitebalance Mode", EnumSpace(("Auto", "Manual")), "Auto")
    add("Cameras SpeakerTrack Mode", EnumSpace(("Auto", "Off")), "Auto")
    add("Conference AutoAnswer Delay", IntSpace(0, 50), 0)
    add("Conference AutoAnswer Mode", ON_OFF, "Off")
    add("Conference AutoAnswer Mute", ON_OFF, "Off")
    add("Conference DefaultCall Protocol", EnumSpace(("Auto", "H320", "H323", "Sip", "Spark")),
        "Auto")
    add("Conference DefaultCall Rate", IntSpace(64, 6000), 6000)
    add("Conference Encryption Mode", EnumSpace(("Off", "On", "BestEffort")), "BestEffort")
    add("Conference FarEndControl Mode", ON_OFF, "On")
    add("Conference MaxReceiveCallRate", IntSpace(64, 6000), 6000)
    add("Conference MaxTransmitCallRate", IntSpace(64, 6000), 6000)
    add("Conference MicUnmuteOnDisconnect Mode", ON_OFF, "On")
    add("H323 CallSetup Mode", EnumSpace(("Direct", "Gatekeeper")), "Gatekeeper")
    add("H323 Gatekeeper Address", StrSpace(0, 255), "")
    add("H323 H323Alias E164", StrSpace(0, 30), "")
    add("H323 H323Alias ID", StrSpace(0, 49), "")
    add("H323 Mode", ON_OFF, "Off")
    add("Macros AutoStart", ON_OFF, "On")
    add("Macros Mode", ON_OFF, "Off")
    add("Network 1 DNS Domain Name", StrSpace(0, 64), "")
    for n in range(1, 4):
        add(f"Network 1 DNS Server {n} Address", StrSpace(0, 64), "")
    add("Network 1 IPv4 Address", StrSpace(0, 64), "")
    add("Network 1 IPv4 Assignment", EnumSpace(("Static", "DHCP")), "DHCP")
    add("Network 1 IPv4 Gateway", StrSpace(0, 64), "")
    add("Network 1 IPv4 SubnetMask", StrSpace(0, 64), "")
    add("NetworkServices HTTP Mode", EnumSpace(("Off", "HTTP+HTTPS", "HTTPS")), "HTTPS")
    add("NetworkServices NTP Mode", EnumSpace(("Auto", "Manual", "Off")), "Auto")
    for n in range(1, 4):
        add(f"NetworkServices NTP Server {n} Address", StrSpace(0, 255), "")
    add("NetworkServices SNMP Mode", EnumSpace(("Off", "ReadOnly", "ReadWrite")), "Off")
    add("NetworkServices SSH Mode", ON_OFF, "On")
    add("RoomAnalytics PeoplePresenceDetector", ON_OFF, "Off")
    add("Security Audit Logging Mode", EnumSpace(("External", "ExternalSecure", "Internal", "Off")),
        "Internal")
    add("Security Audit Server Address", StrSpace(0, 255), "")
    add("Security Audit Server Port", IntSpace(0, 65535), 514)
    add("Security Session InactivityTimeout", IntSpace(0, 10000), 0)
    add("Security Session ShowLastLogon", ON_OFF, "Off")
    add("SIP DefaultTransport", EnumSpace(("Auto", "TCP", "Tls", "UDP")), "Auto")
    add("SIP DisplayName", StrSpace(0, 550), "")
    add("SIP Mode", ON_OFF, "On")
    for n in range(1, 5):
        add(f"SIP Proxy {n} Address", StrSpace(0, 255), "")
    add("SIP URI", StrSpace(0, 255), "")
    add("Standby Control", ON_OFF, "On")
    add("Standby Delay", IntSpace(1, 480), 10)
    add("Standby WakeupOnMotionDetection", ON_OFF, "On")
    add("SystemUnit Name", StrSpace(0, 50), "")
    add("Time DateFormat", EnumSpace(("DD_MM_YY", "MM_DD_YY", "YY_MM_DD")), "DD_MM_YY")
    add("Time TimeFormat", EnumSpace(("24H", "12H")), "24H")
    add("Time Zone", EnumSpace(TIME_ZONES, "TimeZone"), "Etc/UTC")
    add("UserInterface ContactInfo Type",
        EnumSpace(("Auto", "DisplayName", "E164Alias", "H320Number", "H323Id", "IPv4", "IPv6",
                   "None", "SipUri", "SystemName")), "Auto")
    add("UserInterface Language", EnumSpace(LANGUAGES, "Language"), "English")
    add("Video DefaultMainSource", IntSpace(1, len(model.video_inputs)), 1)
    sources = EnumSpace(("camera", "desktop", "document_camera", "mediaplayer", "PC", "whiteboard",
                         "other"))
    for n in range(1, len(model.video_inputs) + 1):
        camera = n <= len(model.cameras)
        add(f"Video Input Connector {n} InputSourceType", sources, "camera" if camera else "PC")
        add(f"Video Input Connector {n} Name", StrSpace(0, 50), "Camera" if camera else "PC")
        add(f"Video Input Connector {n} PresentationSelection",
            EnumSpace(("AutoShare", "Desktop", "Manual", "OnConnect")),
            "Manual" if camera else "OnConnect")
        add(f"Video Input Connector {n} Quality", EnumSpace(("Motion", "Sharpness")),
            "Motion" if camera else "Sharpness")
    monitors = ("Auto", "Single", "Dual", "DualPresentationOnly")
    if model.video_outputs >= 3:
        monitors += ("Triple", "TriplePresentationOnly")
    add("Video Monitors", EnumSpace(monitors), "Auto")
    for n in range(1, model.video_outputs + 1):
        add(f"Video Output Connector {n} MonitorRole",
            EnumSpace(("Auto", "First", "Second", "Third", "PresentationOnly", "Recorder")), "Auto")
        add(f"Video Output Connector {n} Resolution",
            EnumSpace(("Auto", "1920_1080_50", "1920_1080_60", "1920_1200_50", "1920_1200_60",
                       "2560_1440_60", "3840_2160_30", "3840_2160_60")), "Auto")
    add("Video Selfview Default Mode", EnumSpace(("Off", "Current", "On")), "Current")
    return s


# -- xAPI documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One value of a configuration, status or command result document."""

    path: tuple[str, ...]      # ("Network", "1", "IPv4", "Address"): numbers are instances
    value: int | str
    kind: str = "string"       # "string" (quoted in terminal mode), "literal" or "int"
    space: ValueSpace | None = None


def _leaf(path: str, value: int | str, kind: str | None = None) -> Leaf:
    return Leaf(tuple(path.split()), value, kind or ("int" if isinstance(value, int) else "string"))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _terminal_value(leaf: Leaf) -> str:
    return _quote(str(leaf.value)) if leaf.kind == "string" else str(leaf.value)


def _json_value(leaf: Leaf) -> dict:
    return {"Value": str(leaf.value)}


def _matches(query: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """A read query selects a path when it is a prefix of it, instance numbers optional."""
    if not query:
        return True
    if not path:
        return False
    if query[0].lower() == path[0].lower():
        return _matches(query[1:], path[1:])
    return path[0].isdigit() and _matches(query, path[1:])


def _xpath(root: str, tokens: tuple[str, ...] | list[str]) -> str:
    """``Configuration/Network[1]/IPv4``: the codec's XPath of a path."""
    parts: list[str] = [root] if root else [""]
    for token in tokens:
        if token.isdigit() and len(parts) > 1:
            parts[-1] += f"[{token}]"
        else:
            parts.append(token)
    return "/".join(parts)


def _json_tree(leaves: list[Leaf], node_of: Callable[[Leaf], dict]) -> dict:
    """Nest leaves the way the codec's JSON does: instances are arrays of objects with an id."""
    root: dict = {}
    for leaf in leaves:
        node, tokens, i = root, leaf.path, 0
        while i < len(tokens):
            key = tokens[i]
            if i + 1 < len(tokens) and tokens[i + 1].isdigit():
                items = node.setdefault(key, [])
                item = next((d for d in items if d["id"] == tokens[i + 1]), None)
                if item is None:
                    item = {"id": tokens[i + 1]}
                    items.append(item)
                if i + 2 == len(tokens):
                    item.update(node_of(leaf))
                node, i = item, i + 2
            elif i + 1 == len(tokens):
                node[key] = node_of(leaf)
                i += 1
            else:
                node, i = node.setdefault(key, {}), i + 1
    return root


class PathError(Exception):
    """No match on address expression."""

    reason = "No match on address expression."

    def __init__(self, root: str, tokens: tuple[str, ...] | list[str]):
        super().__init__(f"{root} {' '.join(tokens)}: {self.reason}")
        self.root = root
        self.xpath = _xpath(root, tuple(tokens))


class ConfigValueError(Exception):
    """A configuration write outside the setting's value space."""

    def __init__(self, path: str, detail: str):
        super().__init__(f"{path}: {detail}")
        self.path = path


@dataclass
class Result:
    """The result of an xCommand: ``*r <name> (status=…)`` and its fields."""

    name: str
    status: str = "OK"                 # OK, Error, ParameterError
    fields: list[Leaf] = field(default_factory=list)
    accepted: bool = True               # parsed and run: "OK" comes before the result
    close_session: bool = False

    @classmethod
    def error(cls, name: str, reason: str) -> Result:
        return cls(name, "Error", [_leaf("Reason", reason)])


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    space: ValueSpace
    required: bool = False
    repeated: bool = False              # ``Role: Admin Role: User``: the handler gets a list
    secret: bool = False                # a passphrase: never logged (:meth:`CeCodec.redact`)


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    handler: str                        # CeCodec method, called with the parsed parameters
    params: dict[str, Param] = field(default_factory=dict)
    as_user: bool = False               # the handler also gets the session's username

    @property
    def result_name(self) -> str:
        """``Call Disconnect`` -> ``CallDisconnectResult``: the codec's last two path words."""
        return "".join(self.path[-2:]) + "Result"


CALL_ID = IntSpace(0, 65534)
PRESET_ID = IntSpace(1, 35)
CAMERA_ID = IntSpace(1, 7)
TRUE_FALSE = EnumSpace(("False", "True"))
ROLE = EnumSpace(("Admin", "Audit", "Integrator", "RoomControl", "User"), "UserRole")
USERNAME = StrSpace(1, 127)
PASSPHRASE = StrSpace(0, 255)
COMMANDS = {c.path: c for c in (
    Command(("Audio", "Microphones", "Mute"), "_cmd_mute"),
    Command(("Audio", "Microphones", "ToggleMute"), "_cmd_toggle_mute"),
    Command(("Audio", "Microphones", "Unmute"), "_cmd_unmute"),
    Command(("Audio", "Volume", "Set"), "_cmd_volume_set",
            {"Level": Param(IntSpace(0, 100), True)}),
    Command(("Call", "Accept"), "_cmd_call_accept", {"CallId": Param(CALL_ID)}),
    Command(("Call", "Disconnect"), "_cmd_call_disconnect", {"CallId": Param(CALL_ID)}),
    Command(("Call", "Reject"), "_cmd_call_reject", {"CallId": Param(CALL_ID)}),
    Command(("CallHistory", "Get"), "_cmd_call_history",
            {"Limit": Param(IntSpace(0, 65534)), "Offset": Param(IntSpace(0, 65534)),
             "DetailLevel": Param(EnumSpace(("Basic", "Full")))}),
    Command(("Camera", "PositionSet"), "_cmd_camera_position",
            {"CameraId": Param(CAMERA_ID, True), "Pan": Param(IntSpace(-10000, 10000)),
             "Tilt": Param(IntSpace(-2500, 2500)), "Zoom": Param(IntSpace(0, 11800)),
             "Focus": Param(IntSpace(0, 65535))}),
    Command(("Camera", "Preset", "Activate"), "_cmd_preset_activate",
            {"PresetId": Param(PRESET_ID, True)}),
    Command(("Camera", "Preset", "Edit"), "_cmd_preset_edit",
            {"PresetId": Param(PRESET_ID, True), "Name": Param(StrSpace(0, 255)),
             "ListPosition": Param(IntSpace(1, 35))}),
    Command(("Camera", "Preset", "List"), "_cmd_preset_list", {"CameraId": Param(CAMERA_ID)}),
    Command(("Camera", "Preset", "Remove"), "_cmd_preset_remove",
            {"PresetId": Param(PRESET_ID, True)}),
    Command(("Camera", "Preset", "Store"), "_cmd_preset_store",
            {"PresetId": Param(PRESET_ID), "CameraId": Param(CAMERA_ID, True),
             "Name": Param(StrSpace(0, 255))}),
    Command(("Dial",), "_cmd_dial",
            {"Number": Param(StrSpace(0, 255), True),
             "Protocol": Param(EnumSpace(("H320", "H323", "Sip", "Spark"))),
             "CallRate": Param(IntSpace(64, 6000)),
             "CallType": Param(EnumSpace(("Audio", "Video"))),
             "DisplayName": Param(StrSpace(0, 255)), "BookingId": Param(StrSpace(0, 255))}),
    Command(("Peripherals", "List"), "_cmd_peripherals_list",
            {"Connected": Param(TRUE_FALSE),
             "Type": Param(EnumSpace(("All", "ControlSystem", "InputDevice", "ISDNLink", "Other",
                                      "RoomScheduler", "TouchPanel")))}),
    Command(("Standby", "Activate"), "_cmd_standby_activate"),
    Command(("Standby", "Deactivate"), "_cmd_standby_deactivate"),
    Command(("Standby", "Halfwake"), "_cmd_standby_halfwake"),
    Command(("SystemUnit", "Boot"), "_cmd_boot", {"Action": Param(EnumSpace(("Restart",)))}),
    Command(("UserManagement", "User", "Add"), "_cmd_user_add",
            {"Username": Param(USERNAME, True), "Passphrase": Param(PASSPHRASE, True, secret=True),
             "Role": Param(ROLE, True, repeated=True), "Active": Param(TRUE_FALSE),
             "ShellLogin": Param(TRUE_FALSE), "PassphraseChangeRequired": Param(TRUE_FALSE),
             "YourPassphrase": Param(PASSPHRASE, secret=True)}, as_user=True),
    Command(("UserManagement", "User", "Delete"), "_cmd_user_delete",
            {"Username": Param(USERNAME, True)}, as_user=True),
    Command(("UserManagement", "User", "List"), "_cmd_user_list"),
    Command(("UserManagement", "User", "Modify"), "_cmd_user_modify",
            {"Username": Param(USERNAME, True), "AddRole": Param(ROLE, repeated=True),
             "RemoveRole": Param(ROLE, repeated=True), "Active": Param(TRUE_FALSE),
             "ShellLogin": Param(TRUE_FALSE), "PassphraseChangeRequired": Param(TRUE_FALSE)}),
    Command(("UserManagement", "User", "Passphrase", "Set"), "_cmd_passphrase_set",
            {"Username": Param(USERNAME, True),
             "NewPassphrase": Param(PASSPHRASE, True, secret=True),
             "YourPassphrase": Param(PASSPHRASE, True, secret=True)}, as_user=True),
)}
_COMMAND_INDEX = {tuple(w.lower() for w in path): cmd for path, cmd in COMMANDS.items()}
_SECRET_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9])((?:"
    + "|".join(sorted({name for cmd in COMMANDS.values()
                       for name, param in cmd.params.items() if param.secret}))
    + r')\s*:\s*)("(?:\\.|[^"\\])*"?|\S*(?:\s+(?![A-Za-z][A-Za-z0-9]*\s*:|\|)\S+)*)')


#: The passphrase rule of the lab codec (``Passphrase does not meet the requirements.``).
MIN_PASSPHRASE_LENGTH = 8
# Cheap parameters (~1 ms a hash): the lab keeps no clear passphrase, but it is no vault, and a
# province deploy creates ~500 accounts on the same two cores as the controller it measures.
_SCRYPT = {"n": 2 ** 8, "r": 8, "p": 1, "dklen": 32}


def hash_passphrase(passphrase: str) -> str:
    """``scrypt$<salt>$<digest>`` (hex): scrypt with a random 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def passphrase_matches(passphrase: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    kind, salt, digest = hashed.split("$")
    mine = hashlib.scrypt(passphrase.encode("utf-8"), salt=bytes.fromhex(salt), **_SCRYPT)
    return kind == "scrypt" and hmac.compare_digest(mine.hex(), digest)

#: Call fields of ``xStatus Call <id>``: which paths a status query may name with no call up.
_CALL_FIELDS = ("AnswerState", "CallType", "CallbackNumber", "DeviceType", "Direction",
                "DisplayName", "Duration", "Encryption Type", "PlacedOnHold", "Protocol",
                "ReceiveCallRate", "RemoteNumber", "Status", "TransmitCallRate")
_HISTORY_LIMIT = 100

#: ``drift`` sub-commands that change what the codec reports rather than a setting.
DRIFTS = {
    "unplug": "unplug camera|microphone|display <n>",
    "plug": "plug camera|microphone|display <n>",
    "sip": "sip registered|registering|failed|deregister|inactive|auto [reason …]",
    "h323": "h323 registered|registering|discovering|rejected|inactive|auto [reason …]",
    "ntp": "ntp synced|unsynced|discarded|unknown|off|auto",
    "version": "version <ceN.N.N.N>|auto",
    "uptime": "uptime <n>[s|m|h|d]",
    "lastcall": "lastcall [loss <percent>] [jitter <ms>]",
    "clear": "clear (every one of these back as the codec would be)",
}
PERIPHERAL_KINDS = ("camera", "microphone", "display")
#: the value spaces of the statuses, as RoomOS reports them
SIP_STATUS = EnumSpace(("Deregister", "Failed", "Inactive", "Registered", "Registering"))
GATEKEEPER_STATUS = EnumSpace(("Authenticated", "Authenticating", "Discovered", "Discovering",
                               "Inactive", "Registered", "Registering", "Rejected", "Required"))
NTP_STATUS = EnumSpace(("Discarded", "NotSynced", "Off", "Synced", "Unknown"))
_FAILURE_REASON = {"Failed": "Request Timeout", "Rejected": "Gatekeeper rejected the registration"}
_SIP_PROXY_STATUS = {"Registered": "Active", "Registering": "Unknown", "Failed": "Timeout",
                     "Deregister": "Off", "Inactive": "Off"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# -- the codec ------------------------------------------------------------------------------


class CeCodec(Device):
    """A Cisco Webex Room Kit (Pro) on CE/RoomOS software, served over SSH."""

    platform = "cisco_ce"
    protocol = "ssh"

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        self.model = model_of(facts)
        self.schema = config_schema(self.model)
        self._index = {tuple(w.lower() for w in path.split()): path for path in self.schema}
        super().__init__(facts, lab, state)
        self._complete_state()
        self._reset_runtime()
        self._arm_standby()

    # -- state ------------------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        schema = config_schema(model_of(facts))
        config: dict[str, int | str] = {path: setting.default for path, setting in schema.items()}
        config.update({"Network 1 IPv4 Assignment": "Static",
                       "Network 1 IPv4 Address": facts.address,
                       "Network 1 IPv4 SubnetMask": "255.255.255.0",
                       "Network 1 IPv4 Gateway": _gateway(facts.address)})
        return {"config": config, "presets": [], "calls": {}, "callHistory": [], "nextCallId": 1,
                "users": _factory_users(facts), "faults": {}}

    def _complete_state(self) -> None:
        """Settings a saved state lacks (an older schema) get their factory values."""
        factory = self.factory_state(self.facts)
        for key, value in factory.items():
            self.state.setdefault(key, value)
        for path, value in factory["config"].items():
            self.state["config"].setdefault(path, value)

    def config(self, path: str) -> Any:
        return self.state["config"][path]

    def _reset_runtime(self) -> None:
        self.muted = False
        self.volume = int(self.config("Audio DefaultVolume"))
        self.standby = "Off"
        self.camera_positions = {n: {"Pan": 0, "Tilt": 0, "Zoom": 0, "Focus": 4500}
                                 for n in range(1, len(self.model.cameras) + 1)}

    # -- life cycle -------------------------------------------------------------------------
    def reboot(self) -> None:
        """The calls drop; configuration, presets, users and call history are saved and kept."""
        for name in list(self._timers):
            self._cancel(name)
        self._complete_state()
        for call in list(self._calls()):
            self._drop(call, "OtherLocal", "Restart", peer_cause="OtherRemote")
        super().reboot()
        self._reset_runtime()
        self._arm_standby()
        self.lab.log(self.facts.host, "boot", f"{self.software_display()} booted")

    def drift(self, args: list[str]) -> str:
        """``["<configuration path>", "<value>"]`` sets a setting as a person at the touch panel
        would; words that start with one of :data:`DRIFTS` change what the codec reports instead
        (see the module docstring: ``["unplug", "camera", "2"]`` or ``["unplug camera 2"]``,
        ``["sip", "failed"]``, ``["clear"]`` …), unless the first argument is a path of several
        words (``["SIP Mode", "Off"]`` is a setting)."""
        words = [w for arg in args for w in arg.split()]
        if words and words[0].lower() in DRIFTS and (len(args) == 1 or len(args[0].split()) == 1):
            return self._drift_status(words[0].lower(), words[1:])
        if len(args) != 2:
            raise ValueError('cisco_ce drift takes ["<configuration path>", "<value>"], e.g. '
                             '["SystemUnit Name", "Someone\'s room"], or one of: '
                             + "; ".join(DRIFTS.values()))
        tokens = args[0].split()
        try:
            path, old, new = self.set_config(tokens, args[1], source="drift")
        except PathError as exc:
            raise ValueError(f"no configuration {args[0]!r}") from exc
        except ConfigValueError as exc:
            raise ValueError(f"{exc}: not in {self.schema[exc.path].space}") from exc
        return f"{path}: {old!r} -> {new!r}"

    # -- status faults (drift sub-commands) -------------------------------------------------
    def _drift_status(self, verb: str, rest: list[str]) -> str:
        """A :data:`DRIFTS` sub-command; ValueError on bad arguments."""
        faults: dict = self.state["faults"]
        usage = f"drift {DRIFTS[verb]}"
        if verb == "clear":
            history = self.state["callHistory"]
            had = sorted(faults) + (["lastcall"] if any("Impairment" in e for e in history) else [])
            faults.clear()
            for entry in history:
                entry.pop("Impairment", None)
            return "status as the codec would report it: " + (f"cleared {', '.join(had)}" if had
                                                               else "nothing to clear")
        if verb in ("plug", "unplug"):
            if len(rest) != 2 or rest[0].lower() not in PERIPHERAL_KINDS or not rest[1].isdigit():
                raise ValueError(usage)
            kind, n = rest[0].lower(), int(rest[1])
            count = self._peripheral_count(kind)
            if not 1 <= n <= count:
                raise ValueError(f"a {self.facts.model or DEFAULT_MODEL} has {kind}s 1-{count}")
            overrides: dict = faults.setdefault("peripherals", {})
            overrides[f"{kind} {n}"] = verb == "plug"
            if overrides[f"{kind} {n}"] == self._plugged_by_default(kind, n):
                del overrides[f"{kind} {n}"]
            if not overrides:
                del faults["peripherals"]
            return f"{kind} {n} {'connected' if verb == 'plug' else 'disconnected'}"
        if verb in ("sip", "h323"):
            if not rest:
                raise ValueError(usage)
            name = "SIP registration" if verb == "sip" else "H.323 gatekeeper registration"
            if rest[0].lower() == "auto":
                faults.pop(verb, None)
                return f"{name} as configured"
            space = SIP_STATUS if verb == "sip" else GATEKEEPER_STATUS
            try:
                status = space.parse(rest[0])
            except IllegalValue as exc:
                raise ValueError(f"{usage}: {exc}") from None
            reason = " ".join(rest[1:]) or _FAILURE_REASON.get(status, "")
            faults[verb] = {"status": status, "reason": reason}
            return f"{name}: {status}" + (f" ({reason})" if reason else "")
        if verb == "ntp":
            if len(rest) != 1:
                raise ValueError(usage)
            if rest[0].lower() == "auto":
                faults.pop("ntp", None)
                return "NTP status as configured"
            try:
                faults["ntp"] = NTP_STATUS.parse("NotSynced" if rest[0].lower() == "unsynced"
                                                 else rest[0])
            except IllegalValue as exc:
                raise ValueError(f"{usage}: {exc}") from None
            return f"NTP status: {faults['ntp']}"
        if verb == "version":
            if len(rest) != 1 or not (rest[0].lower() == "auto"
                                      or re.fullmatch(r"ce\d+(\.\d+){1,3}", rest[0].lower())):
                raise ValueError(f"{usage} (e.g. version ce9.15.3.17)")
            if rest[0].lower() == "auto":
                faults.pop("software", None)
            else:
                faults["software"] = rest[0].lower()
            return f"software {self.software()} ({self.software_display()})"
        if verb == "uptime":
            m = re.fullmatch(r"(\d+)([smhd]?)", rest[0].lower()) if len(rest) == 1 else None
            if m is None:
                raise ValueError(f"{usage} (e.g. uptime 30d)")
            self.booted_at = time.monotonic() - int(m[1]) * _UNITS[m[2] or "s"]
            return f"up {int(self.uptime())} s"
        return self._drift_last_call(rest, usage)

    def _drift_last_call(self, rest: list[str], usage: str) -> str:
        """``lastcall loss <percent> jitter <ms>``: the media statistics the last call in the
        history received (its incoming audio and video) become that lossy."""
        if not rest or len(rest) % 2:
            raise ValueError(usage)
        impairment: dict[str, float] = {}
        for name, raw in zip(rest[::2], rest[1::2]):
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if name.lower() not in ("loss", "jitter") or value < 0 or (name.lower() == "loss"
                                                                       and value > 100):
                raise ValueError(f"{usage}: loss is a percentage (0-100), jitter milliseconds")
            impairment[name.lower()] = value
        history = self.state["callHistory"]
        if not history:
            raise ValueError("lastcall: the call history is empty: place a call first")
        entry = history[-1]
        if not any(stats["Packets"] for stats in entry.get("Media", {}).values()):
            raise ValueError(f"lastcall: call {entry['CallHistoryId']} never connected: it "
                             "carried no media to lose")
        entry["Impairment"] = {**entry.get("Impairment", {}), **impairment}
        return (f"call {entry['CallHistoryId']}: "
                + ", ".join(f"{k} {v:g}" for k, v in entry["Impairment"].items()))

    def software(self) -> str:
        """The software version the codec runs: the registry baseline unless ``drift version``
        says otherwise."""
        return self.state["faults"].get("software") or self.facts.software or ""

    def _peripheral_count(self, kind: str) -> int:
        m = self.model
        return {"camera": len(m.cameras), "microphone": m.microphones,
                "display": m.video_outputs}[kind]

    def _plugged_by_default(self, kind: str, n: int) -> bool:
        m = self.model
        return n <= {"camera": len(m.cameras), "microphone": m.microphones_connected,
                     "display": m.displays}[kind]

    def plugged(self, kind: str, n: int) -> bool:
        """Whether camera, microphone input or video output ``n`` has its device connected."""
        overrides = self.state["faults"].get("peripherals", {})
        return overrides.get(f"{kind} {n}", self._plugged_by_default(kind, n))

    def _arm_standby(self) -> None:
        """Idle (awake or in halfwake) with ``Standby Control: On``: standby after ``Standby
        Delay`` minutes."""
        self._cancel("standby")
        idle = self.standby != "Standby" and not self.state["calls"]
        if idle and self.config("Standby Control") == "On":
            minutes = int(self.config("Standby Delay"))
            self._schedule("standby", minutes * self.lab.seconds_per_minute, self._enter_standby)

    def _enter_standby(self) -> None:
        if not self.state["calls"]:
            self.standby = "Standby"
            self.lab.log(self.facts.host, "standby", "entered standby")

    def _wake(self) -> None:
        self._cancel("standby")
        if self.standby != "Off":
            self.standby = "Off"
            self.lab.log(self.facts.host, "standby", "woke up")

    # -- SSH --------------------------------------------------------------------------------
    def shell(self, username: str) -> CeShell:
        return CeShell(self, username)

    def greeting(self) -> str:
        name = str(self.config("SystemUnit Name"))
        return (f"Welcome to{' ' + name if name else ''}\n"
                f"Cisco Codec Release {self.software_display()}\n"
                "*r Login successful\n\nOK\n\n")

    def software_display(self) -> str:
        """``ce11.17.1.5`` -> ``RoomOS 11.17.1.5``; ``ce9.15.3`` -> ``ce 9.15.3``."""
        version = self.software()
        m = re.fullmatch(r"ce(\d+)\.(.+)", version)
        if not m:
            return version
        return f"RoomOS {m[1]}.{m[2]}" if int(m[1]) >= 10 else f"ce {m[1]}.{m[2]}"

    # -- configuration ----------------------------------------------------------------------
    def config_leaves(self, query: tuple[str, ...] = ()) -> list[Leaf]:
        leaves = [Leaf(tuple(path.split()), self.config(path), setting.space.kind, setting.space)
                  for path, setting in self.schema.items()]
        chosen = [leaf for leaf in leaves if _matches(query, leaf.path)]
        if not chosen:
            raise PathError("Configuration", query)
        return chosen

    def set_config(self, tokens: list[str] | tuple[str, ...], raw: str,
                   source: str) -> tuple[str, Any, Any]:
        """Write one setting: (path, old value, new value).  Raises :class:`PathError` or
        :class:`ConfigValueError`."""
        path = self._index.get(tuple(t.lower() for t in tokens))
        if path is None:
            raise PathError("Configuration", tuple(tokens))
        try:
            value = self.schema[path].space.parse(raw)
        except IllegalValue as exc:
            raise ConfigValueError(path, str(exc)) from exc
        old = self.config(path)
        self.state["config"][path] = value
        self.lab.log(self.facts.host, "xConfiguration", f"{path}: {value} ({source})")
        if path in ("Standby Control", "Standby Delay"):
            self._arm_standby()
        return path, old, value

    # -- status -----------------------------------------------------------------------------
    def status_leaves(self, query: tuple[str, ...] = ()) -> list[Leaf]:
        leaves = self._status()
        chosen = [leaf for leaf in leaves if _matches(query, leaf.path)]
        if chosen:
            return chosen
        templates = [leaf.path for leaf in leaves]
        templates += [("Call", "0", *name.split()) for name in _CALL_FIELDS]
        if any(_matches(tuple("0" if t.isdigit() else t for t in query),
                        tuple("0" if t.isdigit() else t for t in path)) for path in templates):
            return []        # a node with no instance now, e.g. xStatus Call when idle
        raise PathError("Status", query)

    def _status(self) -> list[Leaf]:
        c, m, f = self.config, self.model, self.facts
        out: list[Leaf] = []

        def add(path: str, value: int | str, kind: str | None = None) -> None:
            out.append(_leaf(path, value, kind))

        add("Audio Microphones Mute", "On" if self.muted else "Off", "literal")
        for n in range(1, m.microphones + 1):
            add(f"Audio Input Connectors Microphone {n} ConnectionStatus",
                "Connected" if self.plugged("microphone", n) else "NotConnected", "literal")
        add("Audio Volume", self.volume)
        now = time.time()
        for call in self._calls():
            cid = call["id"]
            duration = int(now - call["connectedAt"]) if call["connectedAt"] else 0
            encryption = "Aes-128" if c("Conference Encryption Mode") != "Off" else "None"
            for name, value, kind in (
                    ("AnswerState", call["answerState"], "literal"),
                    ("CallType", call["callType"], "literal"),
                    ("CallbackNumber", call["callbackNumber"], "string"),
                    ("DeviceType", call["deviceType"], "literal"),
                    ("Direction", call["direction"], "literal"),
                    ("DisplayName", call["displayName"], "string"),
                    ("Duration", duration, "int"),
                    ("Encryption Type", encryption, "literal"),
                    ("PlacedOnHold", "False", "literal"),
                    ("Protocol", call["protocol"], "literal"),
                    ("ReceiveCallRate", call["receiveRate"], "int"),
                    ("RemoteNumber", call["remoteNumber"], "string"),
                    ("Status", call["status"], "literal"),
                    ("TransmitCallRate", call["transmitRate"], "int")):
                add(f"Call {cid} {name}", value, kind)
        for n, camera in enumerate(m.cameras, 1):
            plugged = self.plugged("camera", n)      # unplugged: listed, with nothing known
            add(f"Cameras Camera {n} Connected", str(plugged), "literal")
            add(f"Cameras Camera {n} Manufacturer", "Cisco" if plugged else "")
            add(f"Cameras Camera {n} Model", camera if plugged else "")
            for axis, value in self.camera_positions[n].items() if plugged else ():
                add(f"Cameras Camera {n} Position {axis}", value)
            add(f"Cameras Camera {n} SerialNumber",
                _serial_like(f.host, f"camera{n}") if plugged else "")
        add("Conference DoNotDisturb", "Inactive", "literal")
        add("Conference Presentation Mode", "Off", "literal")
        gatekeeper = str(c("H323 Gatekeeper Address"))
        add("H323 Gatekeeper Address", gatekeeper if c("H323 Mode") == "On" else "")
        add("H323 Gatekeeper Port", 1719)
        gatekeeper_status, gatekeeper_reason = self._gatekeeper_status()
        add("H323 Gatekeeper Reason", gatekeeper_reason)
        add("H323 Gatekeeper Status", gatekeeper_status, "literal")
        address, mask, gateway = self.ipv4()
        add("Network 1 DNS Domain Name", str(c("Network 1 DNS Domain Name")))
        for n in range(1, 4):
            add(f"Network 1 DNS Server {n} Address", str(c(f"Network 1 DNS Server {n} Address")))
        add("Network 1 Ethernet MacAddress", _mac(f.host))
        add("Network 1 Ethernet Speed", "1000full", "literal")
        add("Network 1 IPv4 Address", address)
        add("Network 1 IPv4 Gateway", gateway)
        add("Network 1 IPv4 SubnetMask", mask)
        ntp_status, ntp_address = self._ntp()
        add("NetworkServices NTP CurrentAddress", ntp_address)
        add("NetworkServices NTP Status", ntp_status, "literal")
        for key, (value, kind) in self._touch_panel().items():
            add(f"Peripherals ConnectedDevice 1001 {key}", value, kind)
        add("Peripherals ConnectedDevice 1001 Status", "Connected", "literal")
        sip_status, sip_reason = self._sip_status()
        add("SIP Proxy 1 Address", str(c("SIP Proxy 1 Address")))
        add("SIP Proxy 1 Status", _SIP_PROXY_STATUS[sip_status], "literal")
        add("SIP Registration 1 Reason", sip_reason)
        add("SIP Registration 1 Status", sip_status, "literal")
        add("SIP Registration 1 URI", str(c("SIP URI")) if c("SIP Mode") == "On" else "")
        add("Standby State", self.standby, "literal")
        add("SystemUnit Hardware Module SerialNumber", f.serial)
        add("SystemUnit ProductId", f.model or DEFAULT_MODEL)
        add("SystemUnit ProductPlatform", m.platform)
        add("SystemUnit ProductType", "Cisco Codec")
        add("SystemUnit Software DisplayName", self.software_display())
        add("SystemUnit Software Version", self.software())
        add("SystemUnit State NumberOfActiveCalls",
            sum(1 for call in self._calls() if call["status"] == "Connected"))
        add("SystemUnit State NumberOfInProgressCalls",
            sum(1 for call in self._calls() if call["status"] != "Connected"))
        add("SystemUnit Uptime", int(self.uptime()))
        for n, kind in enumerate(m.video_inputs, 1):
            connected = n <= len(m.cameras) and self.plugged("camera", n)
            add(f"Video Input Connector {n} Connected", "True" if connected else "False", "literal")
            add(f"Video Input Connector {n} SignalState", "OK" if connected else "Unknown",
                "literal")
            add(f"Video Input Connector {n} Type", kind, "literal")
        add("Video Input MainVideoSource", int(c("Video DefaultMainSource")))
        for n in range(1, m.video_outputs + 1):
            connected = self.plugged("display", n)
            add(f"Video Output Connector {n} Connected", "True" if connected else "False",
                "literal")
            add(f"Video Output Connector {n} ConnectedDevice Name", "Display" if connected else "")
            add(f"Video Output Connector {n} Resolution Height", 1080 if connected else 0)
            add(f"Video Output Connector {n} Resolution Width", 1920 if connected else 0)
        return out

    def _touch_panel(self) -> dict[str, tuple[str, str]]:
        """The Room Navigator paired with the codec: field -> (value, kind)."""
        return {"HardwareInfo": ("101201-0", "string"),
                "ID": (_mac(self.facts.host + "/touch"), "string"),
                "Name": ("Cisco Room Navigator", "string"),
                "SoftwareInfo": (self.software(), "string"),
                "Type": ("TouchPanel", "literal")}

    def ipv4(self) -> tuple[str, str, str]:
        """Address, mask and gateway in use: the static ones, or what DHCP gives (the
        registry's address)."""
        if self.config("Network 1 IPv4 Assignment") == "Static":
            address, mask, gateway = (str(self.config(f"Network 1 IPv4 {name}"))
                                      for name in ("Address", "SubnetMask", "Gateway"))
            return address, mask, gateway
        return self.facts.address, "255.255.255.0", _gateway(self.facts.address)

    def _sip_status(self) -> tuple[str, str]:
        """Status and reason of SIP registration 1: ``drift sip …``, else from the settings."""
        fault = self.state["faults"].get("sip")
        if fault:
            return fault["status"], fault["reason"]
        proxies = [self.config(f"SIP Proxy {n} Address") for n in range(1, 5)]
        if self.config("SIP Mode") == "Off" or not self.config("SIP URI"):
            return "Inactive", ""
        return ("Registered", "") if any(proxies) else ("Failed", "No proxy address")

    def _gatekeeper_status(self) -> tuple[str, str]:
        fault = self.state["faults"].get("h323")
        if fault:
            return fault["status"], fault["reason"]
        if self.config("H323 Mode") == "Off" or self.config("H323 CallSetup Mode") == "Direct":
            return "Inactive", ""
        return ("Registered", "") if self.config("H323 Gatekeeper Address") else ("Discovering", "")

    def _ntp(self) -> tuple[str, str]:
        """NTP status and the server in use: ``drift ntp …``, else from the settings."""
        mode = self.config("NetworkServices NTP Mode")
        servers = [str(self.config(f"NetworkServices NTP Server {n} Address")) for n in range(1, 4)]
        server = next((s for s in servers if s), "") if mode == "Manual" else ""
        fault = self.state["faults"].get("ntp")
        if fault:
            return fault, server if fault in ("Synced", "Discarded") else ""
        if mode == "Off":
            return "Off", ""
        if server:
            return "Synced", server
        return "NotSynced", ""           # Auto: the lab has no DHCP to hand out an NTP server

    # -- commands ---------------------------------------------------------------------------
    def command(self, tokens: list[str], params: list[tuple[str, str]], user: str = "") -> Result:
        """Run ``xCommand <tokens> <params>`` for the session of ``user``."""
        cmd = _COMMAND_INDEX.get(tuple(t.lower() for t in tokens))
        if cmd is None:
            fields = [_leaf("Reason", "Unknown command"), _leaf("XPath", _xpath("", tuple(tokens)))]
            return Result("Result", "Error", fields, accepted=False)
        names = {name.lower(): name for name in cmd.params}
        values: dict[str, Any] = {}
        logged: list[str] = []
        for key, raw in params:
            name = names.get(key.lower())
            if name is None:
                return Result(cmd.result_name, "ParameterError", accepted=False)
            param = cmd.params[name]
            try:
                value = param.space.parse(raw)
            except IllegalValue:
                return Result(cmd.result_name, "ParameterError", accepted=False)
            if param.repeated:
                values.setdefault(name, []).append(value)
            else:
                values[name] = value
            logged.append(f"{name}: {'<redacted>' if param.secret else value}")
        if any(p.required and name not in values for name, p in cmd.params.items()):
            return Result(cmd.result_name, "ParameterError", accepted=False)
        self.lab.log(self.facts.host, "xCommand", " ".join((*cmd.path, *logged)))
        handler = getattr(self, cmd.handler)
        result: Result = (handler(cmd.result_name, values, user) if cmd.as_user
                          else handler(cmd.result_name, values))
        return result

    @staticmethod
    def redact(line: str) -> str:
        """A command line as the lab logs it: the value of every passphrase parameter
        (``Passphrase``, ``NewPassphrase``, ``YourPassphrase``) replaced by ``<redacted>``, with
        the words an unquoted value runs into up to the next parameter."""
        return _SECRET_VALUE.sub(r"\1<redacted>", line)

    def _cmd_mute(self, name: str, params: dict) -> Result:
        self.muted = True
        return Result(name)

    def _cmd_unmute(self, name: str, params: dict) -> Result:
        self.muted = False
        return Result(name)

    def _cmd_toggle_mute(self, name: str, params: dict) -> Result:
        self.muted = not self.muted
        return Result(name)

    def _cmd_volume_set(self, name: str, params: dict) -> Result:
        self.volume = params["Level"]
        return Result(name)

    def _cmd_standby_activate(self, name: str, params: dict) -> Result:
        self._cancel("standby")
        self.standby = "Standby"
        return Result(name)

    def _cmd_standby_deactivate(self, name: str, params: dict) -> Result:
        self._wake()
        self._arm_standby()
        return Result(name)

    def _cmd_standby_halfwake(self, name: str, params: dict) -> Result:
        """The stage between awake and standby (a darkened screen): standby follows after
        ``Standby Delay`` minutes, as from awake; activity (a call, ``Deactivate``) wakes."""
        self.standby = "Halfwake"
        self._arm_standby()
        return Result(name)

    def _cmd_boot(self, name: str, params: dict) -> Result:
        self.reboot()
        return Result(name, close_session=True)

    def _cmd_peripherals_list(self, name: str, params: dict) -> Result:
        """The touch panel (always connected), as ``Device 1 <field>``."""
        if params.get("Type", "All") not in ("All", "TouchPanel") or params.get("Connected") == "False":
            return Result(name)
        fields = [_leaf(f"Device 1 {key}", value, kind)
                  for key, (value, kind) in sorted(self._touch_panel().items())]
        fields.append(_leaf("Device 1 UpgradeStatus", "None", "literal"))
        return Result(name, fields=fields)

    def _cmd_camera_position(self, name: str, params: dict) -> Result:
        camera = params["CameraId"]
        if camera not in self.camera_positions or not self.plugged("camera", camera):
            return Result.error(name, f"Camera {camera} is not connected.")
        for axis in ("Pan", "Tilt", "Zoom", "Focus"):
            if axis in params:
                self.camera_positions[camera][axis] = params[axis]
        return Result(name)

    def _cmd_preset_store(self, name: str, params: dict) -> Result:
        camera = params["CameraId"]
        if camera not in self.camera_positions or not self.plugged("camera", camera):
            return Result.error(name, f"Camera {camera} is not connected.")
        presets: list[dict] = self.state["presets"]
        used = {p["PresetId"] for p in presets}
        preset_id = params.get("PresetId") or next((n for n in range(1, 36) if n not in used), None)
        if preset_id is None:
            return Result.error(name, "No free preset.")
        preset = {"PresetId": preset_id, "CameraId": camera, "Name": params.get("Name", ""),
                  **self.camera_positions[camera]}
        old = self._preset(preset_id)
        if old is None:
            presets.append(preset)               # a new preset goes to the end of the list
        else:
            presets[presets.index(old)] = preset
        return Result(name, fields=[_leaf("PresetId", preset_id)])

    def _preset(self, preset_id: int) -> dict | None:
        return next((p for p in self.state["presets"] if p["PresetId"] == preset_id), None)

    def _cmd_preset_activate(self, name: str, params: dict) -> Result:
        preset = self._preset(params["PresetId"])
        if preset is None:
            return Result.error(name, f"Preset {params['PresetId']} does not exist.")
        if preset["CameraId"] in self.camera_positions:
            self.camera_positions[preset["CameraId"]] = {
                axis: preset[axis] for axis in ("Pan", "Tilt", "Zoom", "Focus")}
        return Result(name)

    def _cmd_preset_edit(self, name: str, params: dict) -> Result:
        preset = self._preset(params["PresetId"])
        if preset is None:
            return Result.error(name, f"Preset {params['PresetId']} does not exist.")
        if "Name" in params:
            preset["Name"] = params["Name"]
        if "ListPosition" in params:             # past the end of the list: last
            presets: list[dict] = self.state["presets"]
            presets.remove(preset)
            presets.insert(params["ListPosition"] - 1, preset)
        return Result(name)

    def _cmd_preset_remove(self, name: str, params: dict) -> Result:
        preset = self._preset(params["PresetId"])
        if preset is None:
            return Result.error(name, f"Preset {params['PresetId']} does not exist.")
        self.state["presets"].remove(preset)
        return Result(name)

    def _cmd_preset_list(self, name: str, params: dict) -> Result:
        camera = params.get("CameraId")
        fields = []
        positions = {p["PresetId"]: n for n, p in enumerate(self.state["presets"], 1)}
        chosen = [p for p in self.state["presets"] if camera is None or p["CameraId"] == camera]
        for n, p in enumerate(chosen, 1):
            fields += [_leaf(f"Preset {n} CameraId", p["CameraId"]),
                       _leaf(f"Preset {n} DefaultProfile", "False", "literal"),
                       _leaf(f"Preset {n} ListPosition", positions[p["PresetId"]]),
                       _leaf(f"Preset {n} Name", p["Name"]),
                       _leaf(f"Preset {n} PresetId", p["PresetId"])]
        return Result(name, fields=fields)

    # -- users ------------------------------------------------------------------------------
    def _user(self, username: str) -> dict | None:
        return next((u for u in self.state["users"] if u["Username"] == username), None)

    def _passphrase_ok(self, user: dict | None, passphrase: str) -> bool:
        """The user's own passphrase, or, for the lab login while it has none of its own, the
        lab's credential (``facts.extra["password"]``)."""
        if user is None:
            return False
        if user["PassphraseHash"] is not None:
            return passphrase_matches(passphrase, user["PassphraseHash"])
        login = self.facts.extra
        return (user["Username"] == login.get("username") and bool(login.get("password"))
                and hmac.compare_digest(passphrase.encode("utf-8"),
                                        login["password"].encode("utf-8")))

    def check_login(self, username: str, passphrase: str) -> bool:
        """An SSH login of a user of the codec: active, ``ShellLogin: True``, its passphrase."""
        user = self._user(username)
        return (user is not None and user["Active"] and user["ShellLogin"]
                and self._passphrase_ok(user, passphrase))

    def _cmd_user_list(self, name: str, params: dict) -> Result:
        """In JSON mode, as every result with instances: ``{"CommandResponse": {"UserListResult":
        {"status": "OK", "User": [{"id": "1", "Active": {"Value": "True"}, "ClientCertDN":
        {"Value": ""}, "PassphraseChangeRequired": {"Value": "False"}, "Roles": {"Role": [{"id":
        "1", "Value": "Admin"}]}, "ShellLogin": {"Value": "True"}, "Username": {"Value":
        "admin"}}, …]}}}``."""
        fields = []
        for n, user in enumerate(self.state["users"], 1):
            fields += [_leaf(f"User {n} Active", str(user["Active"]), "literal"),
                       _leaf(f"User {n} ClientCertDN", ""),
                       _leaf(f"User {n} PassphraseChangeRequired",
                             str(user["PassphraseChangeRequired"]), "literal")]
            fields += [_leaf(f"User {n} Roles Role {m}", role, "literal")
                       for m, role in enumerate(user["Roles"], 1)]
            fields += [_leaf(f"User {n} ShellLogin", str(user["ShellLogin"]), "literal"),
                       _leaf(f"User {n} Username", user["Username"])]
        return Result(name, fields=fields)

    def _cmd_user_add(self, name: str, params: dict, session_user: str) -> Result:
        if ("YourPassphrase" in params
                and not self._passphrase_ok(self._user(session_user), params["YourPassphrase"])):
            return Result.error(name, _WRONG_PASSPHRASE)
        if self._user(params["Username"]) is not None:
            return Result.error(name, "User already exists.")
        if len(params["Passphrase"]) < MIN_PASSPHRASE_LENGTH:
            return Result.error(name, _WEAK_PASSPHRASE)
        user = _new_user(params["Username"], params["Role"], hash_passphrase(params["Passphrase"]))
        user.update(_user_flags(params))
        self.state["users"].append(user)
        return Result(name)

    def _cmd_user_modify(self, name: str, params: dict) -> Result:
        user = self._user(params["Username"])
        if user is None:
            return Result.error(name, _NO_USER)
        roles = set(user["Roles"]).union(params.get("AddRole", []))
        roles -= set(params.get("RemoveRole", []))
        changed = {**user, "Roles": _roles(roles), **_user_flags(params)}
        if not changed["Roles"]:
            return Result.error(name, "A user must have at least one role.")
        if not _active_admin([changed if u is user else u for u in self.state["users"]]):
            return Result.error(name, _LAST_ADMIN)
        user.update(changed)
        return Result(name)

    def _cmd_passphrase_set(self, name: str, params: dict, session_user: str) -> Result:
        if not self._passphrase_ok(self._user(session_user), params["YourPassphrase"]):
            return Result.error(name, _WRONG_PASSPHRASE)
        user = self._user(params["Username"])
        if user is None:
            return Result.error(name, _NO_USER)
        if len(params["NewPassphrase"]) < MIN_PASSPHRASE_LENGTH:
            return Result.error(name, _WEAK_PASSPHRASE)
        user["PassphraseHash"] = hash_passphrase(params["NewPassphrase"])
        return Result(name)

    def _cmd_user_delete(self, name: str, params: dict, session_user: str) -> Result:
        user = self._user(params["Username"])
        if user is None:
            return Result.error(name, _NO_USER)
        if user["Username"] == session_user:
            return Result.error(name, "You cannot delete your own user.")
        if not _active_admin([u for u in self.state["users"] if u is not user]):
            return Result.error(name, _LAST_ADMIN)
        self.state["users"].remove(user)
        return Result(name)

    # -- calls ------------------------------------------------------------------------------
    def _calls(self) -> list[dict]:
        return list(self.state["calls"].values())

    def _call(self, call_id: int) -> dict | None:
        return self.state["calls"].get(str(call_id))

    def display_name(self) -> str:
        """How the codec presents itself to the far end."""
        return str(self.config("SIP DisplayName") or self.config("SystemUnit Name")
                   or self.facts.name or self.facts.host)

    def own_uri(self, protocol: str) -> str:
        if protocol == "H323":
            return str(self.config("H323 H323Alias ID") or self.config("H323 H323Alias E164")
                       or self.facts.address)
        return str(self.config("SIP URI") or self.facts.address)

    def _new_call(self, direction: str, uri: str, protocol: str, call_type: str, rate: int,
                  display_name: str, device_type: str) -> dict:
        cid = self.state["nextCallId"]
        self.state["nextCallId"] = cid + 1
        bare = uri.split(":", 1)[1] if re.match(r"(?i)(sips?|h323|tel):", uri) else uri
        scheme = "h323" if protocol == "H323" else "sip"
        call = {"id": cid, "direction": direction, "remoteNumber": bare,
                "callbackNumber": f"{scheme}:{bare}",
                "displayName": display_name, "protocol": protocol, "callType": call_type,
                "receiveRate": min(rate, int(self.config("Conference MaxReceiveCallRate"))),
                "transmitRate": min(rate, int(self.config("Conference MaxTransmitCallRate"))),
                "deviceType": device_type,
                "status": "Dialling" if direction == "Outgoing" else "Ringing",
                "answerState": "Unanswered", "startTime": time.time(), "connectedAt": None,
                "peerHost": None, "peerCallId": None}
        self.state["calls"][str(cid)] = call
        self._wake()
        return call

    def incoming_call(self, remote_uri: str, rate: int) -> int:
        """A call from ``remote_uri`` (an MCU, another codec) at ``rate`` kbit/s: the call id.
        It connects at once with ``Conference AutoAnswer Mode: On`` (after ``AutoAnswer Delay``
        seconds if set) and rings otherwise.  Raises RuntimeError when every line is busy."""
        busy = len(self.state["calls"]) >= self.model.max_calls
        caller = self.resolve(remote_uri)
        if busy:
            self.lab.log(self.facts.host, "call", f"incoming from {remote_uri}: busy")
            raise RuntimeError(f"{self.facts.host} is busy ({self.model.max_calls} calls)")
        protocol = "H323" if remote_uri.lower().startswith("h323:") else "Sip"
        if isinstance(caller, CeCodec):
            name, device_type = caller.display_name(), "Endpoint"
        elif caller is not None:
            name = caller.facts.name or caller.facts.host
            device_type = "MCU" if caller.facts.device_class == "mcu" else "Endpoint"
        else:
            name, device_type = remote_uri, "Endpoint"
        call = self._new_call("Incoming", remote_uri, protocol, "Video", rate, name, device_type)
        self.lab.log(self.facts.host, "call",
                     f"{call['id']}: incoming from {remote_uri} at {rate} kbps")
        if self.config("Conference AutoAnswer Mode") == "On":
            delay = int(self.config("Conference AutoAnswer Delay"))
            if delay:
                self._schedule(f"autoanswer {call['id']}", delay,
                               lambda: self._auto_answer(call["id"]))
            else:
                self._auto_answer(call["id"])
        return int(call["id"])

    def end_call(self, call_id: int, *, cause_type: str = "RemoteDisconnect",
                 cause: str = "Normal call clearing") -> None:
        """The far end hung up.  Raises KeyError for a call the codec does not have."""
        call = self._call(call_id)
        if call is None:
            raise KeyError(f"{self.facts.host} has no call {call_id}")
        self._drop(call, cause_type, cause, notify_peer=False)

    def _auto_answer(self, call_id: int) -> None:
        call = self._call(call_id)
        if call is not None and call["status"] != "Connected":
            self._answer(call, "Autoanswered")
            if self.config("Conference AutoAnswer Mute") == "On":
                self.muted = True

    def _answer(self, call: dict, answer_state: str) -> None:
        self._cancel(f"autoanswer {call['id']}")
        call.update(status="Connected", answerState=answer_state, connectedAt=time.time())
        self.lab.log(self.facts.host, "call", f"{call['id']}: connected ({answer_state.lower()})")
        peer = self._peer(call)
        if peer is not None:
            peer._far_end_answered(call["peerCallId"])

    def _far_end_answered(self, call_id: int) -> None:
        call = self._call(call_id)
        if call is not None:
            call.update(status="Connected", answerState="Answered", connectedAt=time.time())
            self.lab.log(self.facts.host, "call", f"{call_id}: connected")

    def _peer(self, call: dict) -> CeCodec | None:
        peer = self.lab.device(call["peerHost"]) if call["peerHost"] else None
        return peer if isinstance(peer, CeCodec) else None

    def _drop(self, call: dict, cause_type: str, cause: str, notify_peer: bool = True,
              peer_cause: str = "RemoteDisconnect") -> None:
        del self.state["calls"][str(call["id"])]
        self._cancel(f"autoanswer {call['id']}")
        ended = time.time()
        if call["direction"] == "Outgoing":
            occurrence = "Placed"
        else:
            occurrence = "Received" if call["connectedAt"] else "Missed"
        history: list[dict] = self.state["callHistory"]
        connected = ended - call["connectedAt"] if call["connectedAt"] else 0.0
        history.append({
            "CallHistoryId": call["id"], "CallId": call["id"],
            "CallbackNumber": call["callbackNumber"],
            "DisplayName": call["displayName"], "RemoteNumber": call["remoteNumber"],
            "Direction": call["direction"], "CallType": call["callType"],
            "Protocol": call["protocol"],
            "OccurrenceType": occurrence, "CallRate": call["receiveRate"],
            "StartTime": _timestamp(call["startTime"]), "EndTime": _timestamp(ended),
            "Duration": int(connected),
            "DisconnectCauseType": cause_type, "DisconnectCause": cause,
            "Media": self._media(call, connected)})
        del history[:-_HISTORY_LIMIT]
        self.lab.log(self.facts.host, "call", f"{call['id']}: disconnected ({cause_type}: {cause})")
        peer = self._peer(call) if notify_peer else None
        if peer is not None:
            try:
                peer.end_call(call["peerCallId"], cause_type=peer_cause, cause=cause)
            except KeyError:
                pass                     # the far end had already hung up
        if not self.state["calls"]:
            if self.config("Conference MicUnmuteOnDisconnect Mode") == "On":
                self.muted = False
            self._arm_standby()

    def _media(self, call: dict, seconds: float) -> dict[str, dict[str, int]]:
        """What a call's media added up to after ``seconds`` connected: 50 audio packets a second
        each way; video (a video call) at the call rate less 64 kbit/s of audio, in 1100-byte
        packets; nothing lost on the lab's lines, and a small jitter (1-6 ms audio, 2-11 ms video)
        that differs from call to call.  ``drift lastcall`` makes the last call lossy."""
        seed = _digest("media", self.facts.host, str(call["id"]), call["startTime"].hex())
        rates = {"Incoming": call["receiveRate"], "Outgoing": call["transmitRate"]}
        media = {}
        for i, kind in enumerate(("Audio", "Video")):
            for j, direction in enumerate(("Incoming", "Outgoing")):
                if kind == "Audio":
                    per_second, jitter = 50.0, 1 + seed[2 * i + j] % 6
                else:
                    video = call["callType"] == "Video"
                    per_second = max(rates[direction] - 64, 0) * 1000 / 8 / 1100 if video else 0.0
                    jitter = 2 + seed[2 * i + j] % 10 if video else 0
                packets = math.ceil(seconds * per_second)
                media[f"{kind} {direction}"] = {"Packets": packets, "Lost": 0,
                                                "MaxJitter": jitter if packets else 0}
        return media

    def _cmd_dial(self, name: str, params: dict) -> Result:
        number: str = params["Number"]
        protocol = params.get("Protocol")
        if protocol is None:
            default = self.config("Conference DefaultCall Protocol")
            protocol = "H323" if number.lower().startswith("h323:") or default == "H323" else "Sip"
        rate = params.get("CallRate") or int(self.config("Conference DefaultCall Rate"))
        call = self._new_call("Outgoing", number, protocol, params.get("CallType", "Video"), rate,
                              params.get("DisplayName") or number, "Endpoint")
        result = Result(name, fields=[_leaf("CallId", call["id"]),
                                      _leaf("ConferenceId", call["id"])])
        target = self.resolve(number)
        self.lab.log(self.facts.host, "call",
                     f"{call['id']}: dialling {number} ({protocol}, {rate} kbps)")
        if target is None:
            self._drop(call, "UnknownRemoteSite", "Not Found")
            return result
        answer = getattr(target, "incoming_call", None)
        if not callable(answer):
            self._drop(call, "RemoteNoAnswer", "Request Timeout")
            return result
        try:
            remote_id = answer(self.own_uri(protocol), call["transmitRate"])
        except Exception as exc:      # noqa: BLE001 - whatever the far end refuses with
            self.lab.log(self.facts.host, "call",
                         f"{call['id']}: {target.facts.host} refused: {exc}")
            self._drop(call, "RemoteBusy", "Busy Here")
            return result
        if params.get("DisplayName") is None:
            call["displayName"] = (target.display_name() if isinstance(target, CeCodec)
                                   else target.facts.name or number)
        if target.facts.device_class == "mcu":
            call["deviceType"] = "MCU"
        if isinstance(target, CeCodec):
            call.update(peerHost=target.facts.host, peerCallId=remote_id)
            far = target._call(remote_id)
            if far is not None:
                # SIP carries the caller's display name; the far end cannot look a URI up
                far.update(peerHost=self.facts.host, peerCallId=call["id"],
                           displayName=self.display_name())
                if far["status"] == "Connected":
                    call.update(status="Connected", answerState="Answered", connectedAt=time.time())
                else:
                    call["status"] = "Ringing"
        else:
            call.update(status="Connected", answerState="Answered", connectedAt=time.time())
        return result

    def _ringing(self, call_id: int | None) -> list[dict] | None:
        calls = [c for c in self._calls()
                 if c["direction"] == "Incoming" and c["status"] == "Ringing"]
        if call_id is None:
            return calls or None
        chosen = [c for c in calls if c["id"] == call_id]
        return chosen or None

    def _cmd_call_accept(self, name: str, params: dict) -> Result:
        calls = self._ringing(params.get("CallId"))
        if calls is None:
            return Result.error(name, "No incoming call to accept.")
        for call in calls:
            self._answer(call, "Answered")
        return Result(name)

    def _cmd_call_reject(self, name: str, params: dict) -> Result:
        calls = self._ringing(params.get("CallId"))
        if calls is None:
            return Result.error(name, "No incoming call to reject.")
        for call in calls:
            self._drop(call, "LocalReject", "Decline", peer_cause="RemoteRejected")
        return Result(name)

    def _cmd_call_disconnect(self, name: str, params: dict) -> Result:
        call_id = params.get("CallId")
        calls = [c for c in self._calls() if call_id is None or c["id"] == call_id]
        if not calls:
            return Result.error(name, "No active call." if call_id is None
                                else f"No active call(s) with CallId {call_id}.")
        for call in calls:
            self._drop(call, "LocalDisconnect", "Normal call clearing")
        return Result(name)

    def _cmd_call_history(self, name: str, params: dict) -> Result:
        """Newest first; ``DetailLevel: Basic`` (the default) gives who, when and how the call
        occurred, ``Full`` also its parties, rate, duration, disconnect cause and media
        statistics (:func:`_history_fields`)."""
        offset, limit = params.get("Offset", 0), params.get("Limit", 65534)
        full = params.get("DetailLevel", "Basic") == "Full"
        entries = list(reversed(self.state["callHistory"]))[offset:offset + limit]
        today = datetime.now(timezone.utc).date()
        fields = []
        for n, entry in enumerate(entries):
            for key, (value, kind) in _history_fields(entry, full, today).items():
                fields.append(Leaf(("Entry", str(n), *key.split()), value, kind))
        fields += [_leaf("ResultInfo Offset", offset), _leaf("ResultInfo Limit", limit)]
        return Result(name, fields=fields)


# -- call history -----------------------------------------------------------------------------

_HISTORY_BASIC = ("CallHistoryId", "CallbackNumber", "DisplayName", "StartTime", "DaysAgo",
                  "OccurrenceType", "IsAcknowledged")
_HISTORY_FULL = ("CallHistoryId", "CallId", "CallbackNumber", "DisplayName", "RemoteNumber",
                 "Direction", "CallType", "Protocol", "OccurrenceType", "IsAcknowledged",
                 "CallRate", "StartTime", "EndTime", "DaysAgo", "Duration", "DisconnectCauseType",
                 "DisconnectCause")
_HISTORY_LITERALS = ("Direction", "CallType", "Protocol", "OccurrenceType", "IsAcknowledged",
                     "DisconnectCauseType")


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _history_fields(entry: dict, full: bool, today: Any) -> dict[str, tuple[Any, str]]:
    """One call history entry as ``CallHistory Get`` shows it: path -> (value, kind).  ``Full``
    adds, per medium and direction, ``PacketLoss`` (lost/packets), ``PacketLossPercent`` and
    ``MaxJitter`` (ms); the impairment of ``drift lastcall`` applies to what was received."""
    values = {**entry,
              "DaysAgo": (today - datetime.strptime(entry["StartTime"], "%Y-%m-%dT%H:%M:%SZ")
                          .date()).days,
              "IsAcknowledged": "Unacknowledged" if entry["OccurrenceType"] == "Missed"
              else "Acknowledged"}
    out = {}
    for key in _HISTORY_FULL if full else _HISTORY_BASIC:
        if key in values:
            value = values[key]
            out[key] = (value, "int" if isinstance(value, int) else
                        "literal" if key in _HISTORY_LITERALS else "string")
    if not full:
        return out
    impairment = entry.get("Impairment", {})
    for channel, stats in entry.get("Media", {}).items():
        packets, lost, jitter = stats["Packets"], stats["Lost"], float(stats["MaxJitter"])
        percent = 100.0 * lost / packets if packets else 0.0
        if channel.endswith("Incoming") and packets:
            if "loss" in impairment:
                percent = impairment["loss"]
                lost = round(packets * percent / 100)
            jitter = impairment.get("jitter", jitter)
        out[f"{channel} PacketLoss"] = (f"{lost}/{packets}", "literal")
        out[f"{channel} PacketLossPercent"] = (f"{percent:.2f}", "literal")
        out[f"{channel} MaxJitter"] = (f"{jitter:g}", "literal")
    return out


# -- users ----------------------------------------------------------------------------------

_NO_USER = "User does not exist."
_WEAK_PASSPHRASE = "Passphrase does not meet the requirements."
_WRONG_PASSPHRASE = "YourPassphrase is not correct."
_LAST_ADMIN = "There must be at least one active user with the Admin role."


def _new_user(username: str, roles: list[str], passphrase_hash: str | None) -> dict:
    return {"Username": username, "Roles": _roles(roles), "Active": True, "ShellLogin": True,
            "PassphraseChangeRequired": False, "PassphraseHash": passphrase_hash}


def _factory_users(facts: Facts) -> list[dict]:
    """``admin`` and the lab login (``facts.extra["username"]``), neither with a passphrase
    hash: no passphrase logs ``admin`` in, and the lab login's passphrase is the lab's
    credential, which the state never holds."""
    users = [_new_user("admin", ["Admin"], None)]
    login = facts.extra.get("username")
    if login and login != "admin":
        users.append(_new_user(login, ["Admin", "User"], None))
    return users


def _roles(roles: list[str] | set[str]) -> list[str]:
    """Without repeats, in the order of the value space."""
    return [role for role in ROLE.values if role in roles]


def _user_flags(params: dict) -> dict[str, bool]:
    return {key: params[key] == "True"
            for key in ("Active", "ShellLogin", "PassphraseChangeRequired") if key in params}


def _active_admin(users: list[dict]) -> bool:
    return any(u["Active"] and "Admin" in u["Roles"] for u in users)


# -- the SSH session ------------------------------------------------------------------------

_RESULT_ID = re.compile(r'\s*\|\s*resultId\s*=\s*"([^"]*)"\s*$', re.IGNORECASE)
_PARAM_KEY = re.compile(r"([A-Za-z][A-Za-z0-9]*)\s*:\s*")


def _unquote(text: str) -> str:
    """``"My \\"room\\""`` -> ``My "room"``; an unquoted value is taken as it is."""
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _split_command(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """``Dial Number: "sip:a@b" Protocol: Sip`` -> path words and (parameter, value) pairs."""
    words: list[str] = []
    params: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        key = _PARAM_KEY.match(text, pos)
        if key is None:
            end = pos
            while end < len(text) and not text[end].isspace():
                end += 1
            if params:                  # a bare word after the parameters: part of no value
                params.append((text[pos:end], ""))
            else:
                words.append(text[pos:end])
            pos = end
            continue
        pos = key.end()
        if pos < len(text) and text[pos] == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            params.append((key[1], _unquote(text[pos:end + 1])))
            pos = end + 1
        else:
            end = pos
            while end < len(text) and not text[end].isspace():
                end += 1
            params.append((key[1], text[pos:end]))
            pos = end
    return words, params


class CeShell(Shell):
    """One SSH session to the codec's tshell: output mode and echo are per session."""

    def __init__(self, codec: CeCodec, username: str):
        self.codec = codec
        self.username = username
        self.output_mode = "terminal"      # or "json"
        self.echo = True                   # read by the lab core
        self.closed = False

    def greeting(self) -> str:
        return self.codec.greeting()

    def prompt(self) -> str:
        return ""                          # the codec has no prompt: replies end in OK/ERROR

    @property
    def json_mode(self) -> bool:
        return self.output_mode == "json"

    def feed(self, line: str) -> str:
        parts = line.strip().split(None, 1)
        if not parts:
            return ""
        verb, rest = parts[0].lower(), parts[1] if len(parts) > 1 else ""
        if verb in ("bye", "exit"):
            self.closed = True
            return ""
        if verb == "echo":
            return self._echo(rest)
        handler = {"xconfiguration": self._xconfiguration, "xstatus": self._xstatus,
                   "xcommand": self._xcommand, "xpreferences": self._xpreferences}.get(verb)
        if handler is None:
            return "Command not recognized.\n"
        m = _RESULT_ID.search(rest)
        result_id = m[1] if m else None
        return handler(rest[:m.start()] if m else rest, result_id)

    # -- tshell commands --------------------------------------------------------------------
    def _ok(self) -> str:
        return "" if self.json_mode else "OK\n"

    def _echo(self, rest: str) -> str:
        setting = rest.strip().lower()
        if setting not in ("on", "off"):
            return "ERROR\n"
        self.echo = setting == "on"
        return self._ok()

    def _xpreferences(self, rest: str, result_id: str | None) -> str:
        words = rest.split()
        if (len(words) != 2 or words[0].lower() != "outputmode"
                or words[1].lower() not in ("terminal", "json")):
            return "ERROR\n"
        self.output_mode = words[1].lower()
        return self._ok()

    def _xconfiguration(self, rest: str, result_id: str | None) -> str:
        if ":" in rest:
            path_text, value_text = rest.split(":", 1)
            try:
                self.codec.set_config(path_text.split(), _unquote(value_text), source=self.username)
            except PathError as exc:
                return self._path_error(exc, result_id)
            except ConfigValueError as exc:
                return self._illegal_value(exc, result_id)
            if self.json_mode:
                return self._json({}, result_id)
            return self._terminal([], True, result_id)
        try:
            leaves = self.codec.config_leaves(tuple(rest.split()))
        except PathError as exc:
            return self._path_error(exc, result_id)
        if self.json_mode:
            tree = _json_tree(leaves, lambda leaf: {
                "valueSpaceRef": f"/Valuespace/{leaf.space.ref}", "Value": str(leaf.value)})
            return self._json({"Configuration": tree}, result_id)
        lines = [f"*c xConfiguration {' '.join(leaf.path)}: {_terminal_value(leaf)}"
                 for leaf in leaves]
        return self._terminal(lines, True, result_id)

    def _xstatus(self, rest: str, result_id: str | None) -> str:
        try:
            leaves = self.codec.status_leaves(tuple(rest.split()))
        except PathError as exc:
            return self._path_error(exc, result_id)
        if self.json_mode:
            return self._json({"Status": _json_tree(leaves, _json_value)}, result_id)
        lines = [f"*s {' '.join(leaf.path)}: {_terminal_value(leaf)}" for leaf in leaves]
        return self._terminal(lines, True, result_id)

    def _xcommand(self, rest: str, result_id: str | None) -> str:
        words, params = _split_command(rest)
        result = self.codec.command(words, params, self.username)
        if result.close_session:
            self.closed = True
        if self.json_mode:
            body = {"status": result.status, **_json_tree(result.fields, _json_value)}
            return self._json({"CommandResponse": {result.name: body}}, result_id)
        lines = [f"*r {result.name} (status={result.status}): "]
        lines += [f"*r {result.name} {' '.join(leaf.path)}: {_terminal_value(leaf)}"
                  for leaf in result.fields]
        if not result.accepted:
            return self._terminal(lines, False, result_id)
        rid = [f"** resultId: {_quote(result_id)}"] if result_id is not None else []
        return "\n".join(["", "OK", *lines, *rid, "** end"]) + "\n"

    # -- replies ----------------------------------------------------------------------------
    @staticmethod
    def _terminal(lines: list[str], ok: bool, result_id: str | None) -> str:
        rid = [f"** resultId: {_quote(result_id)}"] if result_id is not None else []
        return "\n".join([*lines, *rid, "** end", "", "OK" if ok else "ERROR"]) + "\n"

    @staticmethod
    def _json(document: dict, result_id: str | None) -> str:
        if result_id is not None:
            document = {**document, "ResultId": result_id}
        if not document:
            return "{}\n"
        return json.dumps(document, indent=2, ensure_ascii=False, separators=(",", ":")) + "\n"

    def _path_error(self, exc: PathError, result_id: str | None) -> str:
        if self.json_mode:
            body = {"status": "Error", "Reason": {"Value": exc.reason},
                    "XPath": {"Value": exc.xpath}}
            document = ({"Status": body} if exc.root == "Status"
                        else {"CommandResponse": {exc.root: body}})
            return self._json(document, result_id)
        lines = [f"*r {exc.root} (status=Error): ", f"*r {exc.root} Reason: {_quote(exc.reason)}",
                 f"*r {exc.root} XPath: {_quote(exc.xpath)}"]
        return self._terminal(lines, False, result_id)

    def _illegal_value(self, exc: ConfigValueError, result_id: str | None) -> str:
        if self.json_mode:
            leaf = Leaf(tuple(exc.path.split()), "Illegal value")
            tree = _json_tree([leaf], lambda _: {"error": "True", "Value": "Illegal value"})
            return self._json({"Configuration": tree}, result_id)
        line = f"*c xConfiguration {exc.path} (error=True): Illegal value"
        return self._terminal([line], False, result_id)


# -- helpers --------------------------------------------------------------------------------


def _gateway(address: str) -> str:
    """The gateway of the device's /24: ``.1`` (docs/addressing.md)."""
    try:
        network = ipaddress.IPv4Network(f"{address}/24", strict=False)
    except ValueError:
        return ""
    return str(network.network_address + 1)


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("/".join(parts).encode("utf-8")).digest()


def _mac(seed: str) -> str:
    """A stable MAC address in Cisco's (Tandberg's) 00:50:60 block."""
    return "00:50:60:" + ":".join(f"{b:02X}" for b in _digest("mac", seed)[:3])


def _serial_like(host: str, what: str) -> str:
    number = int.from_bytes(_digest("serial", host, what)[:5], "big")
    return f"FOC{number % 10**8:08d}"
