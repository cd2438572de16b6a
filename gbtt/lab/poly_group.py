"""The simulated Poly codec (Poly G7500, Poly Studio X50 on Poly VideoOS) of the lab.

A :class:`PolyCodec` answers the REST API of Poly VideoOS (``/rest/…``, JSON over HTTPS) the
way the Poly VideoOS REST API reference guide describes it, so that the ``poly_group`` driver
(``gbtt/drivers/poly_group.py``) can be developed and tested against the lab.  The lab core does
the HTTPS transport (the lab CA's certificate, the ``drop``, ``latency``, ``badcert`` and
``refuse_login`` faults); this module only answers :class:`~gbtt.lab.device.HttpRequest`, so it
can be tested without sockets.  ``http_login = "device"``: the codec logs its clients in itself.

What is simulated
-----------------
* Sessions.  ``POST /rest/session`` with ``{"user": …, "password": …}`` (the lab's codec login,
  checked by ``HttpRequest.login``, which also applies the ``refuse_login`` fault and logs the
  attempt) answers ``{"success": true, "loginStatus": {…}, "session": {"sessionId": …, "role":
  "ADMIN", "userId": …, …}}`` and sets the cookie ``session_id``; a refused login is HTTP 403
  ``{"success": false, "reason": "SessionRequestInvalid", …}``.  ``GET /rest/session`` shows the
  session, ``DELETE /rest/session`` ends it (400 ``SessionNoActiveSession`` without one).  Any
  other request without a live ``session_id`` cookie is HTTP 401.  Sessions are not saved: a
  ``reboot`` (or a lab restart) ends them all.
* Configuration: the named settings of Poly VideoOS (its provisioning parameter names, e.g.
  ``device.local.deviceName``, ``voIpProt.SIP.proxyServer``, ``call.autoAnswer.micMute``;
  :data:`SCHEMA`), each with its value space; names are matched case-insensitively and answered
  in the codec's spelling.  ``POST /rest/config`` reads (``{"names": [...]}`` ->
  ``{"vars": [{"name", "value", "result": "NOERROR"}]}``) and writes (``{"vars": [{"name",
  "value"}]}`` -> ``{"vars": [{"name", "requestedValue", "result"}], "rebootNeeded": …}``).  A
  write is checked whole first: an unknown name (``INVALID_NAME``) or a value outside its value
  space (``INVALID_VALUE``) makes it an HTTP 400 answer and nothing of it is written.  Settings
  are saved at once (``self.state["config"]``) and survive reboots.  Secure settings (passwords)
  are never shown: a read gives ``"********"`` when one is set and ``""`` otherwise; the state
  keeps a salted hash.  ``GET /rest/provisioning/config`` exports every setting as the
  ``<PHONE_CONFIG><ALL name="value" …/></PHONE_CONFIG>`` XML of a provisioning file, secure ones
  as ``REMOVED_SECURE_CONTENT``.  A change of the network settings sets ``rebootNeeded`` until
  the next reboot (the lab's address does not change).
* Status.  ``GET /rest/system`` (``systemName``, ``model`` as Poly spells it — ``G7500``,
  ``StudioX50`` —, ``serialNumber``, ``softwareVersion`` (the registry baseline), ``build``,
  ``state`` ``READY`` or ``ASLEEP``, ``timeServerState``, ``uptime`` in seconds, ``lanStatus``,
  ``rebootNeeded``, ``systemTime``, ``timeOffset``); ``GET /rest/system/status`` (the list of
  ``{"langtag", "name", "stateList"}`` items: ``system.status.sipserver`` (``up``, ``down``,
  ``off``), ``system.status.gatekeeper``, ``system.status.mr.camera``,
  ``system.status.mr.audio``, ``system.status.ipnetwork``, ``system.status.autoanswerp2p`` …);
  ``GET /rest/system/sipservers`` and ``GET /rest/system/h323gatekeepers`` (``[{"address",
  "state", "version", "model"}]``); ``GET /rest/system/time``; ``GET /rest/audio``
  (``{"muteLocked", "muted", "numOfMicsConnected", "volume"}``); ``GET /rest/cameras/near/all``
  (the camera inputs: ``cameraIndex``, ``name``, ``model``, ``sourceType``, ``connected``, …).
  SIP registers (``up``) when SIP is on with a SIP address and a registrar or proxy whose
  address is an MCU of the lab; ``down`` otherwise (no such MCU); ``off`` with SIP off.  NTP
  (``timeServerState``): ``TIMESERVER_UP`` in ``Manual`` mode with a server, ``TIMESERVER_DOWN``
  in ``Auto`` (the lab has no DHCP) or without a server, ``TIMESERVER_OFF`` when off.
* Calls.  ``GET /rest/conferences`` lists the calls as conferences with one connection each
  (``address``, ``incoming``, ``state`` ``CONNECTED``/``CONNECTING``/``RINGING``, ``rate``,
  ``callType``, ``type`` ``ENDPOINT`` or ``MCU``, ``startTime`` ms, ``duration`` s …); an
  incoming call that rings is in the conference ``PENDING``, as on the product.  ``POST
  /rest/conferences`` ``{"address", "rate", "dialType"}`` dials another lab device (by URI,
  address or host name) through its ``incoming_call``; ``DELETE /rest/conferences/<id>`` and
  ``DELETE /rest/conferences/<id>/connections/<id>`` hang up (a ringing call is rejected).  Two
  lab Poly codecs are linked (either hang-up ends both sides); a Cisco CE codec dialled is told
  when this codec hangs up.  Lab MCUs call :meth:`PolyCodec.incoming_call` and end the call with
  :meth:`PolyCodec.end_call`.  ``call.autoAnswer.answerP2PCall`` ``Yes`` connects an incoming
  call at once (and mutes the microphones with ``call.autoAnswer.micMute``), ``No`` lets it
  ring, ``DoNotDisturb`` refuses it; a codec with :attr:`Model.max_calls` calls refuses more.
  ``GET /rest/conferences/<id>/mediastats`` gives a connected call's media figures.
* Call log and call detail report.  ``GET /rest/calllog/entries?limit=N`` (newest first, the
  fields the product gives: ``rowId``, ``address``, ``name``, ``callerId``, ``callType``,
  ``causeCode``, ``connected``, ``duration``, ``startTime``/``endTime`` (ms), ``rate``, ``type``
  ``PLACED``/``RECEIVED``/``MISSED``, ``outgoingCall``, ``precedenceLevel``).  ``GET
  /rest/calllog/cdr?limit=N``: the same calls as rows of the call detail report, with the
  quality figures of the report (``avgPercentPacketLossTx``/``Rx``, ``avgPacketsLostTx``/``Rx``,
  ``avgJitterTx``/``Rx``, ``maxJitterTx``/``Rx``, ``avgLatencyTx``/``Rx``,
  ``maxLatencyTx``/``Rx``): nothing is lost on the lab's lines, jitter is a few ms.
* Microphones, cameras, sleep.  ``GET``/``POST /rest/audio/muted`` (a bare JSON boolean);
  ``GET /rest/cameras/near/presets/all``, ``GET``/``POST /rest/cameras/near/presets/<0-99>``
  (``{"action": "store"|"activate"|"clear"}``; a preset keeps the camera position it was stored
  at, and is saved in the state; storing on a camera that is not connected is refused); ``POST
  /rest/cameras/near/position/SELECTED_PEOPLE`` (``{"camPosition": {"pan", "tilt", "zoom"}}``)
  moves the camera.  ``POST /rest/system/sleep`` and ``/rest/system/wake``; after
  ``device.sleepTimeout`` idle minutes (lab time) the codec falls asleep by itself; a call wakes
  it; the ``expire`` fault fires the timer.  ``POST /rest/system/reboot`` reboots.
* Faults.  ``reboot`` drops the calls (linked codecs see the end), ends the sessions, wakes the
  codec, unmutes and recentres the camera; settings, presets, the call log and the report are
  kept.  ``drift`` takes ``["<setting>", "<value>"]`` (``["device.local.deviceName", "Phòng
  cũ"]``: a person at the touch panel; the value space applies), or words that change what the
  codec reports, kept in ``self.state["faults"]`` until ``drift clear``:
  ``unplug|plug camera|microphone <n>``; ``sip <up|down|unknown|auto>``; ``h323 <…>``; ``ntp
  <up|down|off|auto>``; ``version 3.11.0`` (``auto``: the baseline); ``lastcall [loss <%>]
  [jitter <ms>]`` (the last call's report); ``uptime 30d``; ``clear``.

What is not
-----------
Media, SIP and H.323 signalling (registration is derived from the settings and the lab's MCUs),
the web interface, provisioning servers, software updates, directories, calendars, content
sharing, far-end camera control, the local touch interface and its room password, lockouts,
user roles (every session is ``ADMIN``), preset snapshots (``imageLocation`` is a name only),
answering a ringing call through the API (the reference we used names no command for it: a
call rings until it is auto-answered, rejected or ended by the far end), and displays (the
REST API as documented reports no display status).  An MCU is not told when the codec hangs up
a call the MCU placed (as with the CE codec of the lab).  ``sec.auth.admin.id`` and its password
are only settings here: the lab core's login is what logs in.  Error codes other than the
ones named above, and the exact literals of some value spaces (encryption, sleep timeout, time
zones), are the lab's reading of the product documentation, not copied from a device.
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
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, ClassVar
from xml.sax.saxutils import quoteattr

from gbtt.lab.device import Device, Facts, HttpRequest, HttpResponse, Lab

# -- value spaces ---------------------------------------------------------------------------


class IllegalValue(ValueError):
    """A value outside a value space."""


@dataclass(frozen=True)
class Space:
    """A value space: ``kind`` bool, enum, int, string, ipv4, host; values are strings."""

    kind: str
    values: tuple[str, ...] = ()
    lo: int = 0
    hi: int = 0

    def parse(self, raw: Any) -> str:
        text = raw if isinstance(raw, str) else json.dumps(raw) if isinstance(raw, bool) else str(raw)
        text = text.strip() if self.kind != "string" else text
        if self.kind == "bool":
            if text.lower() not in ("true", "false"):
                raise IllegalValue(f"{text!r} is not true or false")
            return text.lower()
        if self.kind == "enum":
            for value in self.values:
                if value.lower() == text.lower():
                    return value
            raise IllegalValue(f"{text!r} is not one of {', '.join(self.values)}")
        if self.kind == "int":
            if not re.fullmatch(r"[+-]?\d+", text) or not self.lo <= int(text) <= self.hi:
                raise IllegalValue(f"{text!r} is not an integer {self.lo}-{self.hi}")
            return str(int(text))
        if self.kind == "ipv4":
            if text == "" and self.lo == 0:
                return ""
            try:
                return str(ipaddress.IPv4Address(text))
            except ValueError:
                raise IllegalValue(f"{text!r} is not an IPv4 address") from None
        if self.kind == "host":
            if text and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?(:\d{1,5})?", text):
                raise IllegalValue(f"{text!r} is not a host name or address")
            return text
        if not self.lo <= len(text) <= self.hi or any(ord(c) < 32 for c in text):
            raise IllegalValue(f"{len(text)} characters is not {self.lo}-{self.hi} printable characters")
        return text

    def __str__(self) -> str:
        if self.kind in ("bool", "enum"):
            return "<" + "/".join(self.values or ("true", "false")) + ">"
        if self.kind == "int":
            return f"<{self.lo}..{self.hi}>"
        return f"<{self.kind}>"


BOOL = Space("bool")
IPV4 = Space("ipv4")
IPV4_REQUIRED = Space("ipv4", lo=1)
HOST = Space("host")


def STR(lo: int, hi: int) -> Space:  # a value space, spelt like the constants
    return Space("string", lo=lo, hi=hi)


def ENUM(*values: str) -> Space:
    return Space("enum", values)


#: ``call.preferredSpeed.*``: the call rates a Poly system offers (kbit/s)
CALL_RATES = ENUM(*map(str, (64, 128, 192, 256, 320, 384, 512, 768, 1024, 1152, 1472, 1536, 1920,
                             2048, 2560, 3072, 3840, 4096, 6144)))
#: ``device.local.timezone``: tz database names written with ``_`` for ``/``, as a device shows
#: them (``Europe_Amsterdam``); the ones that matter here
TIME_ZONES = ENUM(*(name.replace("/", "_") for name in (
    "Africa/Cairo", "America/Chicago", "America/Los_Angeles", "America/New_York", "Asia/Bangkok",
    "Asia/Ho_Chi_Minh", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Kolkata", "Asia/Seoul",
    "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "Asia/Vientiane", "Australia/Sydney",
    "Etc/UTC", "Europe/Amsterdam", "Europe/Berlin", "Europe/London", "Europe/Paris",
    "Europe/Stockholm")))


@dataclass(frozen=True)
class Setting:
    space: Space
    default: str
    secure: bool = False       # a password: never shown


def _schema() -> dict[str, Setting]:
    s: dict[str, Setting] = {}

    def add(name: str, space: Space, default: str, secure: bool = False) -> None:
        s[name] = Setting(space, default, secure)

    add("device.local.deviceName", STR(1, 64), "")        # the factory name is model + serial
    add("device.local.roomName", STR(0, 64), "")
    add("device.local.language", ENUM("ENGLISHUS", "ENGLISHUK", "FRENCH", "GERMAN", "JAPANESE",
                                      "CHINESE", "KOREAN", "SPANISH", "VIETNAMESE"), "ENGLISHUS")
    add("device.local.timezone", TIME_ZONES, "Etc_UTC")
    add("device.local.ntpServer.mode", ENUM("Auto", "Manual", "Off"), "Auto")
    add("device.local.ntpServer.address.1", HOST, "")
    add("device.local.ntpServer.address.2", HOST, "")
    add("device.net.mode", ENUM("Automatically", "Manually"), "Manually")
    add("device.net.hostName", HOST, "")
    add("device.net.ipAddress", IPV4_REQUIRED, "0.0.0.0")
    add("device.net.subnetMask", IPV4_REQUIRED, "255.255.255.0")
    add("device.net.ipGateway", IPV4, "")
    for n in range(1, 5):
        add(f"device.net.dns.server.{n}", IPV4, "")
    add("device.net.domain", STR(0, 255), "")
    add("device.net.vlan.enable", BOOL, "false")
    add("device.net.lldp.enable", BOOL, "false")
    add("device.sleepTimeout", ENUM("1", "3", "15", "30", "60", "120", "240", "480"), "15")
    add("device.wifi.enable", BOOL, "true")
    add("bluetooth.enable", BOOL, "true")
    add("content.airplay.enable", BOOL, "false")
    add("content.miracast.enable", BOOL, "false")
    add("cloud.polycom.analytics.enable", BOOL, "false")
    add("upgrade.auto.enable", BOOL, "true")
    add("voIpProt.SIP.enable", BOOL, "true")
    add("voIpProt.SIP.userName", STR(0, 255), "")
    add("voIpProt.SIP.serverType", ENUM("Auto", "Specify"), "Specify")
    add("voIpProt.SIP.registrarServerType", ENUM("Standard SIP", "Microsoft", "BroadSoft"), "Standard SIP")
    add("voIpProt.SIP.proxyServer", HOST, "")
    add("voIpProt.SIP.registrarServer", HOST, "")
    add("voIpProt.SIP.transport", ENUM("Auto", "TCP", "UDP", "TLS"), "Auto")
    add("voIpProt.SIP.auth.userId", STR(0, 255), "")
    add("voIpProt.SIP.auth.password", STR(0, 255), "", secure=True)
    add("voIpProt.H323.enable", BOOL, "true")
    add("voIpProt.H323.name", STR(0, 64), "")
    add("voIpProt.H323.e164", Space("string", lo=0, hi=32), "")
    add("voIpProt.H323.gk.mode", ENUM("Off", "Auto", "Specify"), "Off")
    add("voIpProt.H323.gk.ipAddress", HOST, "")
    add("call.preferredSpeed.outgoing", CALL_RATES, "6144")
    add("call.preferredSpeed.maxIncoming", CALL_RATES, "6144")
    add("qos.maxTxBandwidth", Space("int", lo=64, hi=6144), "6144")
    add("qos.maxRxBandwidth", Space("int", lo=64, hi=6144), "6144")
    add("call.encryption.requireAES", ENUM("Off", "When_Available", "Required_Video", "Required_All"),
        "When_Available")
    add("call.autoAnswer.answerP2PCall", ENUM("Yes", "No", "DoNotDisturb"), "No")
    add("call.autoAnswer.micMute", BOOL, "true")
    add("call.maxTimeInCall", ENUM("Off", "1_hour", "2_hours", "4_hours", "8_hours", "24_hours"), "8_hours")
    add("voice.volume.speaker", Space("int", lo=0, hi=50), "37")
    add("voice.muteInSleep", BOOL, "true")
    add("video.camera.preset.snapshot.enable", BOOL, "true")
    add("sec.web.enable", BOOL, "true")
    add("sec.web.httpsOnly", BOOL, "false")
    add("sec.ssh.enable", BOOL, "true")
    add("sec.telnet.enable", BOOL, "false")
    add("snmp.enable", BOOL, "false")
    add("snmp.community", STR(0, 64), "public")
    add("sec.auth.admin.id", STR(1, 64), "admin")
    add("sec.auth.admin.password", STR(0, 255), "", secure=True)
    add("sec.auth.admin.useRoomPassword", BOOL, "true")
    add("sec.auth.admin.room.password", STR(0, 255), "", secure=True)
    return s


SCHEMA: dict[str, Setting] = _schema()
_INDEX = {name.lower(): name for name in SCHEMA}
_NETWORK = re.compile(r"(?i)^device\.net\.")
MASKED = "********"
REMOVED = "REMOVED_SECURE_CONTENT"

# -- models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    product: str                    # GET /rest/system "model"
    cameras: tuple[str, ...]        # people cameras, camera index 1 first
    camera_slots: int               # people camera inputs listed (connected or not)
    microphones: int                # microphones connected out of the box
    max_calls: int                  # calls at once (the embedded multipoint option)
    hardware: str


MODELS = {
    "Poly G7500": Model("G7500", ("EagleEyeCube",), camera_slots=3, microphones=1, max_calls=2, hardware="A"),
    "Poly Studio X50": Model("StudioX50", ("BUILT_IN_1.0",), camera_slots=2, microphones=1, max_calls=2,
                             hardware="1"),
}
DEFAULT_MODEL = "Poly Studio X50"


def model_of(facts: Facts) -> Model:
    return MODELS.get(facts.model or DEFAULT_MODEL, MODELS[DEFAULT_MODEL])


# -- faults ---------------------------------------------------------------------------------

DRIFTS = {
    "unplug": "unplug camera|microphone <n>",
    "plug": "plug camera|microphone <n>",
    "sip": "sip <up|down|unknown|auto>",
    "h323": "h323 <up|down|unknown|auto>",
    "ntp": "ntp <up|down|off|auto>",
    "version": "version <x.y.z|auto>",
    "lastcall": "lastcall [loss <percent>] [jitter <ms>]",
    "uptime": "uptime <n>[s|m|h|d]",
    "clear": "clear (every one of these back as the codec would be)",
}
PERIPHERAL_KINDS = ("camera", "microphone")
REGISTRATION_STATES = ("up", "down", "unknown")
NTP_STATES = {"up": "TIMESERVER_UP", "down": "TIMESERVER_DOWN", "off": "TIMESERVER_OFF"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HISTORY_LIMIT = 100
PRESET_RANGE = range(100)


def _hash(value: str) -> str:
    """A salted hash of a secure setting (the state never holds the secret)."""
    salt = secrets.token_hex(8)
    return salt + "$" + hashlib.scrypt(value.encode(), salt=salt.encode(), n=1024, r=8, p=1, dklen=16).hex()


def _json(status: int, doc: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, json.dumps(doc, ensure_ascii=False), headers or {}, "application/json")


def _error(status: int, reason: str) -> HttpResponse:
    return _json(status, {"success": False, "reason": reason})


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("/".join(parts).encode("utf-8")).digest()


def _gateway(address: str) -> str:
    try:
        return str(ipaddress.IPv4Network(f"{address}/24", strict=False).network_address + 1)
    except ValueError:
        return ""


class PolyCodec(Device):
    """A Poly G7500 or Studio X50 on Poly VideoOS, served over HTTPS (see the module docstring)."""

    platform: ClassVar[str] = "poly_group"
    protocol: ClassVar[str] = "https"
    http_login: ClassVar[str] = "device"

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        self.model = model_of(facts)
        self.sessions: dict[str, dict] = {}
        super().__init__(facts, lab, state)
        self._reset_runtime()
        self._complete_state()
        self._arm_sleep()

    # -- state ------------------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        model = model_of(facts)
        config = {name: setting.default for name, setting in SCHEMA.items() if not setting.secure}
        tail = hashlib.sha256(facts.host.encode()).hexdigest()[:8].upper()
        config.update({"device.local.deviceName": f"{model.product}-{tail}",
                       "device.net.hostName": f"{model.product}-{tail}",
                       "device.net.ipAddress": facts.address,
                       "device.net.ipGateway": _gateway(facts.address),
                       "sec.auth.admin.id": str(facts.extra.get("username") or "admin")})
        secure = {name: "" for name, setting in SCHEMA.items() if setting.secure}
        return {"config": config, "secure": secure, "presets": {}, "calls": {}, "callLog": [],
                "nextCallId": 1, "nextRowId": 1, "faults": {}}

    def _complete_state(self) -> None:
        """Settings a saved state lacks (an older schema) get their factory values."""
        factory = self.factory_state(self.facts)
        for key, value in factory.items():
            self.state.setdefault(key, value)
        for section in ("config", "secure"):
            for name, value in factory[section].items():
                self.state[section].setdefault(name, value)

    def config(self, name: str) -> str:
        return self.state["config"][name]

    def _reset_runtime(self) -> None:
        self.muted = False
        self.asleep = False
        self.reboot_needed = False
        self.sessions = {}
        self.failed_logins = 0
        self.camera_position = {"pan": 0, "tilt": 0, "zoom": 0}

    # -- life cycle -------------------------------------------------------------------------
    def reboot(self) -> None:
        """The calls drop and the sessions end; settings, presets and the call log are kept."""
        for name in list(self._timers):
            self._cancel(name)
        self._complete_state()
        for call in list(self.state["calls"].values()):
            self._drop(call, 1, "restart")
        super().reboot()
        self._reset_runtime()
        self._arm_sleep()
        self.lab.log(self.facts.host, "boot", f"Poly VideoOS {self.software()} booted")

    def software(self) -> str:
        return self.state["faults"].get("software") or self.facts.software or ""

    def _arm_sleep(self) -> None:
        """Awake and idle: asleep after ``device.sleepTimeout`` minutes."""
        self._cancel("sleep")
        if not self.asleep and not self.state["calls"]:
            minutes = int(self.config("device.sleepTimeout"))
            self._schedule("sleep", minutes * self.lab.seconds_per_minute, self._fall_asleep)

    def _fall_asleep(self) -> None:
        if not self.state["calls"] and not self.asleep:
            self.asleep = True
            self.lab.log(self.facts.host, "sleep", "asleep")

    def _wake(self) -> None:
        self._cancel("sleep")
        if self.asleep:
            self.asleep = False
            self.lab.log(self.facts.host, "sleep", "awake")
        self._arm_sleep()

    # -- drift ------------------------------------------------------------------------------
    def drift(self, args: list[str]) -> str:
        """``["<setting>", "<value>"]`` sets a setting as a person at the touch panel would;
        :data:`DRIFTS` words change what the codec reports (see the module docstring)."""
        words = [w for arg in args for w in arg.split()]
        if words and words[0].lower() in DRIFTS and not (len(args) == 2 and "." in args[0]):
            return self._drift_status(words[0].lower(), words[1:])
        if len(args) != 2:
            raise ValueError('poly_group drift takes ["<setting>", "<value>"], e.g. '
                             '["device.local.deviceName", "Phòng họp cũ"], or one of: '
                             + "; ".join(DRIFTS.values()))
        name = _INDEX.get(args[0].lower())
        if name is None:
            raise ValueError(f"no setting {args[0]!r}")
        old = self._shown(name)
        try:
            self._write(name, args[1], "drift")
        except IllegalValue as exc:
            raise ValueError(f"{name}: {exc} {SCHEMA[name].space}") from None
        return f"{name}: {old!r} -> {self._shown(name)!r}"

    def _drift_status(self, verb: str, rest: list[str]) -> str:
        faults: dict = self.state["faults"]
        usage = f"drift {DRIFTS[verb]}"
        if verb == "clear":
            had = sorted(faults)
            if any("impairment" in row for row in self.state["callLog"]):
                had.append("lastcall")
            faults.clear()
            for row in self.state["callLog"]:
                row.pop("impairment", None)
            return "status as the codec would report it: " + (f"cleared {', '.join(had)}" if had else "nothing to clear")
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
            if len(rest) != 1 or rest[0].lower() not in (*REGISTRATION_STATES, "auto"):
                raise ValueError(usage)
            if rest[0].lower() == "auto":
                faults.pop(verb, None)
                return f"{verb} registration as configured"
            faults[verb] = rest[0].lower()
            return f"{verb} registration: {faults[verb]}"
        if verb == "ntp":
            if len(rest) != 1 or rest[0].lower() not in (*NTP_STATES, "auto"):
                raise ValueError(usage)
            if rest[0].lower() == "auto":
                faults.pop("ntp", None)
                return "NTP as configured"
            faults["ntp"] = NTP_STATES[rest[0].lower()]
            return f"timeServerState: {faults['ntp']}"
        if verb == "version":
            if len(rest) != 1 or not (rest[0].lower() == "auto" or re.fullmatch(r"\d+(\.\d+){1,3}", rest[0])):
                raise ValueError(f"{usage} (e.g. version 3.11.0)")
            if rest[0].lower() == "auto":
                faults.pop("software", None)
            else:
                faults["software"] = rest[0]
            return f"software {self.software()}"
        if verb == "uptime":
            m = re.fullmatch(r"(\d+)([smhd]?)", rest[0].lower()) if len(rest) == 1 else None
            if m is None:
                raise ValueError(f"{usage} (e.g. uptime 30d)")
            self.booted_at = time.monotonic() - int(m[1]) * _UNITS[m[2] or "s"]
            return f"up {int(self.uptime())} s"
        return self._drift_last_call(rest, usage)

    def _drift_last_call(self, rest: list[str], usage: str) -> str:
        if not rest or len(rest) % 2:
            raise ValueError(usage)
        impairment: dict[str, float] = {}
        for name, raw in zip(rest[::2], rest[1::2]):
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if name.lower() not in ("loss", "jitter") or value < 0 or (name.lower() == "loss" and value > 100):
                raise ValueError(f"{usage}: loss is a percentage (0-100), jitter milliseconds")
            impairment[name.lower()] = value
        log = self.state["callLog"]
        if not log:
            raise ValueError("lastcall: the call log is empty: place a call first")
        row = log[-1]
        if not row["connected"]:
            raise ValueError(f"lastcall: call {row['rowId']} never connected: it carried no media to lose")
        row["impairment"] = {**row.get("impairment", {}), **impairment}
        return f"call {row['rowId']}: " + ", ".join(f"{k} {v:g}" for k, v in row["impairment"].items())

    def _peripheral_count(self, kind: str) -> int:
        return self.model.camera_slots if kind == "camera" else max(self.model.microphones, 2)

    def _plugged_by_default(self, kind: str, n: int) -> bool:
        return n <= (len(self.model.cameras) if kind == "camera" else self.model.microphones)

    def plugged(self, kind: str, n: int) -> bool:
        overrides = self.state["faults"].get("peripherals", {})
        return overrides.get(f"{kind} {n}", self._plugged_by_default(kind, n))

    # -- settings ---------------------------------------------------------------------------
    def _shown(self, name: str) -> str:
        """A setting as a read shows it: secure ones masked."""
        if SCHEMA[name].secure:
            return MASKED if self.state["secure"].get(name) else ""
        return self.config(name)

    def _check(self, name: str, raw: Any) -> str:
        return SCHEMA[name].space.parse(raw)

    def _write(self, name: str, raw: Any, source: str) -> None:
        value = self._check(name, raw)
        if SCHEMA[name].secure:
            self.state["secure"][name] = _hash(value) if value else ""
            self.lab.log(self.facts.host, "config", f"{name}: {'<redacted>' if value else '(empty)'} ({source})")
            return
        old = self.config(name)
        self.state["config"][name] = value
        self.lab.log(self.facts.host, "config", f"{name}: {value} ({source})")
        if _NETWORK.match(name) and value != old:
            self.reboot_needed = True
        if name == "device.sleepTimeout":
            self._arm_sleep()

    def provisioning_xml(self) -> str:
        lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', "<PHONE_CONFIG>", "  <ALL"]
        for name in sorted(SCHEMA, key=str.lower):
            value = REMOVED if SCHEMA[name].secure else self.config(name)
            lines.append(f"     {name}={quoteattr(value)}")
        lines += ["  ></ALL>", "</PHONE_CONFIG>"]
        return "\n".join(lines) + "\n"

    # -- status -----------------------------------------------------------------------------
    def registrar(self) -> str:
        return self.config("voIpProt.SIP.registrarServer") or self.config("voIpProt.SIP.proxyServer")

    def sip_state(self) -> str:
        """``up``, ``down``, ``unknown`` or ``off``: ``drift sip …``, else from the settings and
        the lab (the registrar must be an MCU of the lab)."""
        if self.config("voIpProt.SIP.enable") != "true":
            return "off"
        fault = self.state["faults"].get("sip")
        if fault:
            return fault
        if not self.config("voIpProt.SIP.userName") or not self.registrar():
            return "down"
        mcu = self.lab.device_by_address(self.registrar().rsplit(":", 1)[0])
        return "up" if mcu is not None and mcu.facts.device_class == "mcu" else "down"

    def gatekeeper_state(self) -> str:
        if self.config("voIpProt.H323.enable") != "true" or self.config("voIpProt.H323.gk.mode") == "Off":
            return "off"
        fault = self.state["faults"].get("h323")
        if fault:
            return fault
        address = self.config("voIpProt.H323.gk.ipAddress")
        mcu = self.lab.device_by_address(address) if address else None
        return "up" if mcu is not None and mcu.facts.device_class == "mcu" else "down"

    def time_server_state(self) -> str:
        fault = self.state["faults"].get("ntp")
        if fault:
            return fault
        mode = self.config("device.local.ntpServer.mode")
        if mode == "Off":
            return "TIMESERVER_OFF"
        servers = [self.config(f"device.local.ntpServer.address.{n}") for n in (1, 2)]
        return "TIMESERVER_UP" if mode == "Manual" and any(servers) else "TIMESERVER_DOWN"

    def microphones_connected(self) -> int:
        return sum(self.plugged("microphone", n) for n in range(1, self._peripheral_count("microphone") + 1))

    def system(self) -> dict:
        now = time.time()
        return {"build": str(300000 + int.from_bytes(_digest("build", self.software())[:2], "big")),
                "buildType": "Release", "hardwareVersion": self.model.hardware,
                "lanStatus": {"duplex": "FULL", "speedMbps": 1000, "state": "LAN_UP"},
                "model": self.model.product, "rebootNeeded": self.reboot_needed,
                "serialNumber": self.facts.serial, "softwareVersion": self.software(),
                "state": "ASLEEP" if self.asleep else "READY",
                "systemName": self.config("device.local.deviceName"), "systemTime": _ms(now),
                "timeOffset": 0, "timeServerState": self.time_server_state(),
                "uptime": round(self.uptime(), 1)}

    def status_list(self) -> list[dict]:
        cameras = [self.plugged("camera", n) for n in range(1, len(self.model.cameras) + 1)]
        mics = self.microphones_connected()

        def item(langtag: str, name: str, state: str) -> dict:
            return {"langtag": langtag, "name": f"system.status.{name}", "stateList": [state]}

        return [item("PROVISIONING_SERVICE_HEADING", "provisioning", "off"),
                item("LAN_NETWORK_HEADING", "ipnetwork", "up"),
                item("SIP_SERVER_HEADING", "sipserver", self.sip_state()),
                item("GATEKEEPER_HEADING", "gatekeeper", self.gatekeeper_state()),
                item("CAMERAS_HEADING", "mr.camera", "all_up" if all(cameras) else "down"),
                item("MICROPHONES_HEADING", "mr.audio", "all_up" if mics >= self.model.microphones else
                     "down" if not mics else "some_up"),
                item("REMOTE_CONTROL_HEADING", "remotecontrol", "off"),
                item("AUTO_ANSWER_P2P_HEADING", "autoanswerp2p",
                     "on" if self.config("call.autoAnswer.answerP2PCall") == "Yes" else "off"),
                item("CALENDAR_SERVICE_HEADING", "calendar", "off")]

    def cameras(self) -> list[dict]:
        out = []
        for n in range(1, self.model.camera_slots + 1):
            plugged = n <= len(self.model.cameras) and self.plugged("camera", n)
            out.append(self._camera(n, "Main" if n == 1 else f"Camera {n}",
                                    self.model.cameras[n - 1] if plugged else "", "SRC_PEOPLE", plugged))
        out.append(self._camera(self.model.camera_slots + 1, "HDMI Input", "", "SRC_CONTENT", False))
        return out

    @staticmethod
    def _camera(index: int, name: str, model: str, source: str, connected: bool) -> dict:
        ptz = connected and source == "SRC_PEOPLE"
        return {"cameraIndex": index, "iconName": None, "model": model, "name": name, "sessionID": 0,
                "sourceType": source, "stateAutoFocus": "off", "stateFreeze": "off", "stateMarker": "off",
                "connected": connected, "hasAutoFocus": False, "hasFocus": ptz, "hasFreeze": False,
                "hasMarker": False, "hasPan": ptz, "hasTilt": ptz, "hasZoom": ptz, "nearCamera": True,
                "ptzcapable": ptz, "selected": index == 1, "trackable": ptz}

    # -- presets ----------------------------------------------------------------------------
    def _preset_doc(self, index: int) -> dict:
        return {"imageLocation": f"/images/preset_{index}.jpg", "index": index, "near": True,
                "sessionId": 0, "stored": str(index) in self.state["presets"]}

    # -- HTTP -------------------------------------------------------------------------------
    def _session_of(self, request: HttpRequest) -> str | None:
        header = next((v for k, v in request.headers.items() if k.lower() == "cookie"), "")
        try:
            cookie = SimpleCookie(header)
        except CookieError:
            return None
        sid = cookie["session_id"].value if "session_id" in cookie else ""
        return sid if sid in self.sessions else None

    async def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.path.rstrip("/") or "/"
        if not path.startswith("/rest/") and path != "/rest":
            return _error(404, "NotFound")
        parts = path.split("/")[2:]
        method = request.method.upper()
        try:
            body = json.loads(request.body.decode("utf-8")) if request.body.strip() else None
        except (ValueError, UnicodeDecodeError):
            return _error(400, "InvalidJson")
        if parts == ["session"]:
            return self._session(method, body, request)
        sid = self._session_of(request)
        if sid is None:
            return _error(401, "SessionNoActiveSession")
        self.sessions[sid]["lastUsed"] = time.time()
        try:
            return self._route(method, parts, body, request)
        except _Fail as fail:
            return fail.response

    def _session(self, method: str, body: Any, request: HttpRequest) -> HttpResponse:
        sid = self._session_of(request)
        if method == "GET":
            return _json(200, {"session": self.sessions[sid]}) if sid else _error(401, "SessionNoActiveSession")
        if method == "DELETE":
            if sid is None:
                return _error(400, "SessionNoActiveSession")
            del self.sessions[sid]
            return _json(200, {"success": True})
        if method != "POST":
            return _error(405, "MethodNotAllowed")
        if not isinstance(body, dict) or not isinstance(body.get("user"), str) \
                or not isinstance(body.get("password"), str):
            return _error(400, "SessionRequestInvalid")
        ok = request.login(body["user"], body["password"]) if request.login is not None else False
        if not ok:
            self.failed_logins += 1
            return _json(403, {"success": False, "reason": "SessionRequestInvalid",
                               "loginStatus": {"failedLogins": self.failed_logins, "loginResult": "NOLOCKOUT"}})
        self.failed_logins = 0
        sid = secrets.token_urlsafe(24)
        now = time.time()
        self.sessions[sid] = {"clientType": "WEB", "creationTime": _ms(now), "isAuthenticated": True,
                              "isConnected": True, "isNew": True, "isStale": False, "location": "127.0.0.1",
                              "role": "ADMIN", "sessionId": sid, "userId": body["user"], "lastUsed": now}
        doc = {"success": True,
               "loginStatus": {"failedLogins": 0, "isPasswordAgeLimitReached": False,
                               "lastLoginClient": "127.0.0.1", "lastLoginClientType": "WEB",
                               "lastLoginTime": _ms(now), "loginResult": "NOLOCKOUT"},
               "session": {k: v for k, v in self.sessions[sid].items() if k != "lastUsed"}}
        return _json(200, doc, {"Set-Cookie": f"session_id={sid}; Path=/; Secure; HttpOnly"})

    def _route(self, method: str, parts: list[str], body: Any, request: HttpRequest) -> HttpResponse:
        head = parts[0] if parts else ""
        rest = parts[1:]
        if head == "system":
            return self._system(method, rest, body)
        if head == "config" and not rest:
            _allow(method, "POST")
            return self._config(body)
        if parts == ["provisioning", "config"]:
            _allow(method, "GET")
            return HttpResponse(200, self.provisioning_xml(), {}, "application/xml; charset=utf-8")
        if head == "audio":
            return self._audio(method, rest, body)
        if head == "cameras":
            return self._cameras_route(method, rest, body)
        if head == "conferences":
            return self._conferences(method, rest, body)
        if head == "calllog":
            _allow(method, "GET")
            limit = _limit(request.query)
            if rest == ["entries"]:
                return _json(200, [self._log_entry(row) for row in reversed(self.state["callLog"])][:limit])
            if rest == ["cdr"]:
                return _json(200, [self._cdr_row(row) for row in reversed(self.state["callLog"])][:limit])
        return _error(404, "NotFound")

    # -- /rest/system ---------------------------------------------------------------------------
    def _system(self, method: str, rest: list[str], body: Any) -> HttpResponse:
        if not rest:
            _allow(method, "GET")
            return _json(200, self.system())
        what = rest[0] if len(rest) == 1 else ""
        if what == "status":
            _allow(method, "GET")
            return _json(200, self.status_list())
        if what == "sipservers":
            _allow(method, "GET")
            if self.config("voIpProt.SIP.enable") != "true" or not self.registrar():
                return _json(200, [])
            return _json(200, [{"address": self.registrar(), "state": self.sip_state(), "model": "", "version": ""}])
        if what == "h323gatekeepers":
            _allow(method, "GET")
            address = self.config("voIpProt.H323.gk.ipAddress")
            if self.gatekeeper_state() == "off" or not address:
                return _json(200, [])
            return _json(200, [{"address": address, "state": self.gatekeeper_state(), "model": "", "version": ""}])
        if what == "time":
            _allow(method, "GET")
            return _json(200, {"time": _ms(time.time()), "tzOffset": 0})
        if what in ("sleep", "wake"):
            _allow(method, "POST")
            if what == "sleep":
                self._cancel("sleep")
                if not self.asleep:
                    self.asleep = True
                    self.lab.log(self.facts.host, "sleep", "asleep (API)")
            else:
                self._wake()
            return _json(200, {"success": True})
        if what == "reboot":
            _allow(method, "POST")
            if not isinstance(body, dict) or body.get("action") != "reboot":
                return _error(400, "InvalidAction")
            self.reboot()
            return _json(200, {"success": True})
        return _error(404, "NotFound")

    # -- /rest/config ---------------------------------------------------------------------------
    def _config(self, body: Any) -> HttpResponse:
        if not isinstance(body, dict) or ("names" in body) == ("vars" in body):
            return _error(400, "InvalidRequest")
        if "names" in body:
            names = body["names"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                return _error(400, "InvalidRequest")
            out = []
            for asked in names:
                name = _INDEX.get(asked.lower())
                out.append({"name": name, "value": self._shown(name), "result": "NOERROR"} if name
                           else {"name": asked, "result": "INVALID_NAME"})
            return _json(200, {"vars": out})
        pairs = body["vars"]
        if not isinstance(pairs, list) or not pairs or not all(
                isinstance(p, dict) and isinstance(p.get("name"), str) and "value" in p for p in pairs):
            return _error(400, "InvalidRequest")
        results, checked, ok = [], [], True
        for pair in pairs:
            name = _INDEX.get(pair["name"].lower())
            if name is None:
                results.append({"name": pair["name"], "requestedValue": str(pair["value"]), "result": "INVALID_NAME"})
                ok = False
                continue
            try:
                value = self._check(name, pair["value"])
            except IllegalValue as exc:
                results.append({"name": name, "requestedValue": _masked(name, pair["value"]),
                                "result": "INVALID_VALUE", "reason": str(exc) if not SCHEMA[name].secure else ""})
                ok = False
                continue
            checked.append((name, value))
            results.append({"name": name, "requestedValue": _masked(name, value), "result": "NOERROR"})
        if not ok:
            self.lab.log(self.facts.host, "config", "refused: " + ", ".join(
                f"{r['name']} {r['result']}" for r in results if r["result"] != "NOERROR"))
            return _json(400, {"vars": results, "rebootNeeded": self.reboot_needed})
        for name, value in checked:
            self._write(name, value, "api")
        return _json(200, {"vars": results, "rebootNeeded": self.reboot_needed})

    # -- /rest/audio ----------------------------------------------------------------------------
    def _audio(self, method: str, rest: list[str], body: Any) -> HttpResponse:
        if not rest:
            _allow(method, "GET")
            return _json(200, {"muteLocked": False, "muted": self.muted,
                               "numOfMicsConnected": self.microphones_connected(),
                               "volume": int(self.config("voice.volume.speaker"))})
        if rest == ["muted"]:
            _allow(method, "GET", "POST")
            if method == "POST":
                if not isinstance(body, bool):
                    return _error(400, "InvalidValue")
                if body != self.muted:
                    self.muted = body
                    self.lab.log(self.facts.host, "audio", "muted" if body else "unmuted")
            return _json(200, self.muted)
        return _error(404, "NotFound")

    # -- /rest/cameras --------------------------------------------------------------------------
    def _cameras_route(self, method: str, rest: list[str], body: Any) -> HttpResponse:
        if rest == ["near", "all"]:
            _allow(method, "GET")
            return _json(200, self.cameras())
        if rest == ["near", "people"]:
            _allow(method, "GET")
            return _json(200, [c for c in self.cameras() if c["sourceType"] == "SRC_PEOPLE"])
        if rest == ["near", "presets", "all"]:
            _allow(method, "GET")
            stored = sorted(int(i) for i in self.state["presets"])
            return _json(200, [self._preset_doc(i) for i in stored])
        if len(rest) == 3 and rest[:2] == ["near", "presets"]:
            if not rest[2].isdigit() or int(rest[2]) not in PRESET_RANGE:
                return _error(400, "InvalidPresetIndex")
            return self._preset(method, int(rest[2]), body)
        if rest == ["near", "position", "SELECTED_PEOPLE"]:
            _allow(method, "POST")
            position = body.get("camPosition") if isinstance(body, dict) else None
            if not isinstance(position, dict) or not all(
                    isinstance(position.get(axis), int) and -50000 <= position[axis] <= 50000
                    for axis in ("pan", "tilt", "zoom")):
                return _error(400, "InvalidPosition")
            if not self.plugged("camera", 1):
                return _error(400, "CameraNotConnected")
            self.camera_position = {axis: position[axis] for axis in ("pan", "tilt", "zoom")}
            return _json(200, {"success": True})
        return _error(404, "NotFound")

    def _preset(self, method: str, index: int, body: Any) -> HttpResponse:
        _allow(method, "GET", "POST")
        presets = self.state["presets"]
        if method == "GET":
            return _json(200, self._preset_doc(index)) if str(index) in presets else _error(404, "PresetNotStored")
        action = str(body.get("action", "")) if isinstance(body, dict) else ""
        if action == "store":
            if not self.plugged("camera", 1):
                return _error(400, "CameraNotConnected")
            presets[str(index)] = {"camera": 1, **self.camera_position, "storedAt": time.time()}
            self.lab.log(self.facts.host, "preset", f"{index}: stored")
        elif action == "activate":
            if str(index) not in presets:
                return _error(404, "PresetNotStored")
            if not self.plugged("camera", 1):
                return _error(400, "CameraNotConnected")
            stored = presets[str(index)]
            self.camera_position = {axis: stored[axis] for axis in ("pan", "tilt", "zoom")}
            self.lab.log(self.facts.host, "preset", f"{index}: activated")
        elif action == "clear":
            if presets.pop(str(index), None) is not None:
                self.lab.log(self.facts.host, "preset", f"{index}: cleared")
        else:
            return _error(400, "InvalidAction")
        return _json(200, {"success": True})

    # -- calls ------------------------------------------------------------------------------
    def _calls(self) -> list[dict]:
        return list(self.state["calls"].values())

    def own_uri(self) -> str:
        return self.config("voIpProt.SIP.userName") or self.facts.address

    def display_name(self) -> str:
        return self.config("device.local.deviceName") or self.facts.name or self.facts.host

    def _new_call(self, incoming: bool, address: str, rate: int, name: str, kind: str) -> dict:
        cid = self.state["nextCallId"]
        self.state["nextCallId"] = cid + 1
        limit = int(self.config("call.preferredSpeed.maxIncoming" if incoming else "call.preferredSpeed.outgoing"))
        bare = address.split(":", 1)[1] if re.match(r"(?i)(sips?|h323|tel):", address) else address
        call = {"id": cid, "incoming": incoming, "address": bare, "name": name, "type": kind,
                "rate": min(int(rate), limit), "state": "RINGING" if incoming else "CONNECTING",
                "startTime": time.time(), "connectedAt": None, "peerHost": None, "peerCallId": None,
                "encrypted": self.config("call.encryption.requireAES") != "Off"}
        self.state["calls"][str(cid)] = call
        self._wake()
        return call

    def incoming_call(self, remote_uri: str, rate: int) -> int:
        """A call from ``remote_uri`` (an MCU, another codec) at ``rate`` kbit/s: the call id.
        Auto-answered with ``call.autoAnswer.answerP2PCall: Yes`` (microphones muted with
        ``call.autoAnswer.micMute: true``), ringing with ``No``; RuntimeError with
        ``DoNotDisturb`` or when every line is busy."""
        mode = self.config("call.autoAnswer.answerP2PCall")
        if mode == "DoNotDisturb":
            self.lab.log(self.facts.host, "call", f"incoming from {remote_uri}: do not disturb")
            raise RuntimeError(f"{self.facts.host}: do not disturb")
        if len(self.state["calls"]) >= self.model.max_calls:
            self.lab.log(self.facts.host, "call", f"incoming from {remote_uri}: busy")
            raise RuntimeError(f"{self.facts.host} is busy ({self.model.max_calls} calls)")
        caller = self.resolve(remote_uri)
        if isinstance(caller, PolyCodec):
            name, kind = caller.display_name(), "ENDPOINT"
        elif caller is not None:
            name = caller.facts.name or caller.facts.host
            kind = "MCU" if caller.facts.device_class == "mcu" else "ENDPOINT"
        else:
            name, kind = remote_uri, "ENDPOINT"
        call = self._new_call(True, remote_uri, rate, name, kind)
        self.lab.log(self.facts.host, "call", f"{call['id']}: incoming from {remote_uri} at {rate} kbps")
        if mode == "Yes":
            self._answer(call)
            if self.config("call.autoAnswer.micMute") == "true":
                self.muted = True
        return int(call["id"])

    def end_call(self, call_id: int, *, cause: int = 16, why: str = "remote hang-up") -> None:
        """The far end hung up.  KeyError for a call the codec does not have."""
        call = self.state["calls"].get(str(call_id))
        if call is None:
            raise KeyError(f"{self.facts.host} has no call {call_id}")
        self._drop(call, cause, why, notify_peer=False)

    def _answer(self, call: dict) -> None:
        call.update(state="CONNECTED", connectedAt=time.time())
        self.lab.log(self.facts.host, "call", f"{call['id']}: connected")
        peer = self._peer(call)
        if isinstance(peer, PolyCodec):
            peer._far_end_answered(call["peerCallId"])

    def _far_end_answered(self, call_id: int) -> None:
        call = self.state["calls"].get(str(call_id))
        if call is not None and call["state"] != "CONNECTED":
            call.update(state="CONNECTED", connectedAt=time.time())
            self.lab.log(self.facts.host, "call", f"{call_id}: connected")

    def _peer(self, call: dict) -> Device | None:
        return self.lab.device(call["peerHost"]) if call.get("peerHost") else None

    def _drop(self, call: dict, cause: int, why: str, notify_peer: bool = True) -> None:
        """End a call: a call log row (with its report figures), the peer told."""
        del self.state["calls"][str(call["id"])]
        ended = time.time()
        connected = ended - call["connectedAt"] if call["connectedAt"] else 0.0
        row_id = self.state["nextRowId"]
        self.state["nextRowId"] = row_id + 1
        kind = "PLACED" if not call["incoming"] else "RECEIVED" if call["connectedAt"] else "MISSED"
        log: list[dict] = self.state["callLog"]
        log.append({"rowId": row_id, "address": call["address"], "name": call["name"],
                    "incoming": call["incoming"], "type": kind, "rate": call["rate"] if call["connectedAt"] else 0,
                    "startTime": call["startTime"], "endTime": ended, "duration": int(connected),
                    "connected": bool(call["connectedAt"]), "causeCode": cause, "why": why,
                    "media": self._media(call, connected)})
        del log[:-_HISTORY_LIMIT]
        self.lab.log(self.facts.host, "call", f"{call['id']}: disconnected ({why}, cause {cause})")
        peer = self._peer(call) if notify_peer else None
        if peer is not None:
            try:
                peer.end_call(call["peerCallId"])
            except (KeyError, TypeError, AttributeError):
                pass                  # the far end had already hung up
        if not self.state["calls"]:
            self._arm_sleep()

    def _media(self, call: dict, seconds: float) -> dict[str, float]:
        """What the call detail report says of a call ``seconds`` long: nothing lost on the lab's
        lines, a jitter of a few ms that differs from call to call, the latency of a LAN."""
        if seconds <= 0:
            return {}
        seed = _digest("media", self.facts.host, str(call["id"]), repr(call["startTime"]))
        return {"jitterRx": float(1 + seed[0] % 8), "jitterTx": float(1 + seed[1] % 8),
                "maxJitterRx": float(4 + seed[2] % 10), "maxJitterTx": float(4 + seed[3] % 10),
                "latencyRx": float(2 + seed[4] % 5), "latencyTx": float(2 + seed[5] % 5),
                "packetsRx": math.ceil(seconds * (50 + max(call["rate"] - 64, 0) * 1000 / 8 / 1100)),
                "packetsTx": math.ceil(seconds * (50 + max(call["rate"] - 64, 0) * 1000 / 8 / 1100))}

    def _log_entry(self, row: dict) -> dict:
        return {"address": row["address"], "callType": "SIP", "callerId": row["name"], "causeCode": row["causeCode"],
                "connected": row["connected"], "duration": row["duration"], "endTime": _ms(row["endTime"]),
                "name": row["name"], "outgoingCall": not row["incoming"], "precedenceLevel": "none",
                "rate": row["rate"], "rowId": row["rowId"], "startTime": _ms(row["startTime"]),
                "transportType": "sip", "type": row["type"]}

    def _cdr_row(self, row: dict) -> dict:
        """A row of the call detail report: the call and its quality figures (``drift
        lastcall`` impairs what was received)."""
        media, impairment = row.get("media") or {}, row.get("impairment", {})
        loss_rx = impairment.get("loss", 0.0)
        packets_rx = int(media.get("packetsRx", 0))
        out = {"rowId": row["rowId"], "startTime": _ms(row["startTime"]), "endTime": _ms(row["endTime"]),
               "callDuration": row["duration"], "remoteSystemName": row["name"], "callNumber1": row["address"],
               "transportType": "SIP", "callRate": row["rate"],
               "callDirection": "Incoming" if row["incoming"] else "Outgoing",
               "disconnectInfo": row["why"], "q850CauseCode": row["causeCode"]}
        if not media:
            return out
        out.update({"audioProtocolTx": "G.722.1C", "audioProtocolRx": "G.722.1C",
                    "videoProtocolTx": "H.264HP", "videoProtocolRx": "H.264HP",
                    "avgPercentPacketLossTx": 0.0, "avgPercentPacketLossRx": round(loss_rx, 2),
                    "avgPacketsLostTx": 0, "avgPacketsLostRx": round(packets_rx * loss_rx / 100),
                    "avgLatencyTx": media["latencyTx"], "avgLatencyRx": media["latencyRx"],
                    "maxLatencyTx": media["latencyTx"] + 3, "maxLatencyRx": media["latencyRx"] + 3,
                    "avgJitterTx": media["jitterTx"], "avgJitterRx": media["jitterRx"],
                    "maxJitterTx": media["maxJitterTx"],
                    "maxJitterRx": impairment.get("jitter", media["maxJitterRx"])})
        return out

    def _conference_doc(self, conf_id: str, calls: list[dict]) -> dict:
        now = time.time()
        connections = []
        for call in calls:
            duration = int(now - call["connectedAt"]) if call["connectedAt"] else 0
            connections.append({
                "address": call["address"], "answerable": call["state"] == "RINGING", "authState": "NONE",
                "callInfo": "SIP", "callType": "SIP", "canAddVideo": False, "causeCode": 0,
                "duration": duration, "encrypted": call["encrypted"], "groupname": "", "grouptype": "NONE",
                "id": str(call["id"]), "incoming": call["incoming"], "mediaCount": 0, "mediaType": "AUDIOVIDEO",
                "parentConfId": conf_id, "percentConnected": 100 if call["state"] == "CONNECTED" else 25,
                "rate": call["rate"] if call["state"] == "CONNECTED" else 0, "referredBy": "",
                "startTime": _ms(call["startTime"]), "state": call["state"], "terminals": [],
                "type": call["type"], "videoEscalationState": "NONE"})
        active = any(c["state"] == "CONNECTED" for c in calls)
        first = min((c["startTime"] for c in calls), default=now)
        return {"capabilities": None, "connections": connections, "duration": int(now - first) if active else 0,
                "holdStartTime": None, "holdState": "NOTHELD", "id": conf_id, "isActive": active,
                "isHolding": False, "isMute": self.muted, "isSvcConference": False, "isWaitingInLobby": False,
                "mediaServerControlEvent": None, "mediaServerType": None,
                "startTime": _ms(first) if active else None, "terminals": []}

    def conferences(self) -> dict[str, list[dict]]:
        """Conference id -> its calls: a ringing incoming call is in ``PENDING``."""
        out: dict[str, list[dict]] = {}
        for call in sorted(self._calls(), key=lambda c: c["id"]):
            conf = "PENDING" if call["incoming"] and call["state"] == "RINGING" else str(call["id"])
            out.setdefault(conf, []).append(call)
        return out

    def _conferences(self, method: str, rest: list[str], body: Any) -> HttpResponse:
        confs = self.conferences()
        if not rest:
            _allow(method, "GET", "POST")
            if method == "GET":
                return _json(200, [self._conference_doc(cid, calls) for cid, calls in confs.items()])
            return self._dial(body)
        conf_id = rest[0]
        if conf_id not in confs:
            return _error(404, "ConferenceNotFound")
        calls = confs[conf_id]
        if len(rest) == 1:
            _allow(method, "GET", "DELETE")
            if method == "GET":
                return _json(200, self._conference_doc(conf_id, calls))
            for call in calls:
                self._drop(call, 16, "local hang-up")
            return _json(200, {"success": True})
        if rest[1] == "connections" and len(rest) == 2:
            _allow(method, "GET")
            return _json(200, self._conference_doc(conf_id, calls)["connections"])
        if rest[1] == "connections" and len(rest) == 3:
            call = next((c for c in calls if str(c["id"]) == rest[2]), None)
            if call is None:
                return _error(404, "ConnectionNotFound")
            _allow(method, "GET", "DELETE")
            if method == "GET":
                return _json(200, next(c for c in self._conference_doc(conf_id, [call])["connections"]))
            self._drop(call, 21 if call["state"] == "RINGING" else 16,
                       "rejected" if call["state"] == "RINGING" else "local hang-up")
            return _json(200, {"success": True})
        if rest[1:] == ["mediastats"]:
            _allow(method, "GET")
            return _json(200, [self._mediastats(call) for call in calls if call["state"] == "CONNECTED"])
        return _error(404, "NotFound")

    def _mediastats(self, call: dict) -> dict:
        seconds = time.time() - call["connectedAt"]
        media = self._media(call, seconds) or {"jitterRx": 0.0, "jitterTx": 0.0}
        return {"connectionId": str(call["id"]), "callRate": call["rate"], "duration": int(seconds),
                "audioRx": {"protocol": "G.722.1C", "packetLoss": 0, "jitter": media["jitterRx"]},
                "audioTx": {"protocol": "G.722.1C", "packetLoss": 0, "jitter": media["jitterTx"]},
                "videoRx": {"protocol": "H.264HP", "packetLoss": 0, "jitter": media["jitterRx"],
                            "rate": max(call["rate"] - 64, 0)},
                "videoTx": {"protocol": "H.264HP", "packetLoss": 0, "jitter": media["jitterTx"],
                            "rate": max(call["rate"] - 64, 0)}}

    def _dial(self, body: Any) -> HttpResponse:
        if not isinstance(body, dict) or not isinstance(body.get("address"), str) or not body["address"].strip():
            return _error(400, "InvalidAddress")
        address = body["address"].strip()
        rate = body.get("rate", int(self.config("call.preferredSpeed.outgoing")))
        if not isinstance(rate, int) or rate < 64:
            return _error(400, "InvalidRate")
        if len(self.state["calls"]) >= self.model.max_calls:
            return _error(400, "NoLineAvailable")
        call = self._new_call(False, address, rate, address, "ENDPOINT")
        self.lab.log(self.facts.host, "call", f"{call['id']}: dialling {address} at {call['rate']} kbps")
        target = self.resolve(address)
        answer = getattr(target, "incoming_call", None) if target is not None else None
        if target is None or not callable(answer):
            cause, why = (1, "unknown destination") if target is None else (18, "no answer")
            self._drop(call, cause, why)
            return _json(200, self._conference_doc(str(call["id"]), [{**call, "state": "DISCONNECTED"}]))
        try:
            remote_id = answer(self.own_uri(), call["rate"])
        except Exception as exc:     # noqa: BLE001 - whatever the far end refuses with
            self.lab.log(self.facts.host, "call", f"{call['id']}: {target.facts.host} refused: {exc}")
            self._drop(call, 17, "busy")
            return _json(200, self._conference_doc(str(call["id"]), [{**call, "state": "DISCONNECTED"}]))
        call["name"] = (target.display_name() if isinstance(target, PolyCodec)
                        else target.facts.name or address)
        call.update(peerHost=target.facts.host, peerCallId=remote_id,
                    type="MCU" if target.facts.device_class == "mcu" else "ENDPOINT")
        far = target.state["calls"].get(str(remote_id)) if isinstance(target, PolyCodec) else None
        if far is not None:
            far.update(peerHost=self.facts.host, peerCallId=call["id"], name=self.display_name())
            if far["state"] == "CONNECTED":
                call.update(state="CONNECTED", connectedAt=time.time())
            else:
                call["state"] = "CONNECTING"      # the far end rings
        else:
            call.update(state="CONNECTED", connectedAt=time.time())
        return _json(200, self._conference_doc(str(call["id"]), [call]))


class _Fail(Exception):
    def __init__(self, response: HttpResponse):
        super().__init__(response.body)
        self.response = response


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise _Fail(_error(405, "MethodNotAllowed"))


def _limit(query: dict[str, str]) -> int:
    raw = query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise _Fail(_error(400, "InvalidLimit"))
    return int(raw)


def _masked(name: str, value: Any) -> str:
    return MASKED if SCHEMA[name].secure and value else str(value)


def secure_matches(stored: str, value: str) -> bool:
    """Whether the salted hash of a secure setting is that of ``value`` (for tests)."""
    if not stored:
        return value == ""
    salt, _, digest = stored.partition("$")
    check = hashlib.scrypt(value.encode(), salt=salt.encode(), n=1024, r=8, p=1, dklen=16).hex()
    return hmac.compare_digest(check, digest)
