"""The driver of Poly codecs on Poly VideoOS (Poly G7500, Poly Studio X50/X30): their REST API
(``/rest/…``, JSON) over HTTPS with a session login.  Platform name ``poly_group``.

Intended configuration
----------------------
``templates/codec/poly_group.j2`` renders text, one setting a line, named as the product names
its settings (the provisioning parameters of Poly VideoOS, the names ``/rest/config`` takes)::

    # comment lines and blank lines are ignored
    device.local.deviceName: "UBND huyện Quản Bạ"
    call.autoAnswer.answerP2PCall: Yes
    call.preferredSpeed.outgoing: 4096
    preset 2: stored

* ``<parameter>: <value>``; the parameter is dotted words (``voIpProt.SIP.proxyServer``),
  matched case-insensitively (the codec's spelling is shown back).  A value is quoted
  (``"…"``, with ``\\"`` and ``\\\\`` escapes) when it contains spaces, quotes, ``#`` or ``:``,
  or is empty; otherwise it may be bare.  A parameter may appear once.
* **The parameters listed are what gbtt owns on the codec.**  Nothing else is reset or
  touched; removing a line stops managing the setting.
* ``preset <0-99>: stored`` (or ``absent``): a near-camera preset of the seating plan
  (Art. 8.2c).  A missing preset is stored at the camera's current position (the site frames
  it); ``absent`` clears one.  Positions are the site's: never compared, never moved.  A Poly
  preset has a number and a snapshot, no name: the registry's names stay in comments, and
  meeting control finds a preset by name only through ``params.extra["camera_presets"]``.
* The account gbtt logs in with (``sec.auth.admin.id``, ``sec.auth.admin.password``) is the
  codec credential: a candidate may list the id as it is (backups do), never change it.

Comparison: two values are the same when equal, when both are ``true``/``false`` in any case,
or when both are the same integer.  Secure settings (passwords) are never shown by the codec (a
read gives ``********`` when one is set, ``""`` when not): one that is set counts as the wanted
one unless ``params.extra["update_passphrase"] == "always"`` (then it is written on every
deploy); one that is not set while a value is wanted differs.  :meth:`PolyDriver.get_config`
renders every readable setting (``GET /rest/provisioning/config``, secure ones left out) and the
stored presets in the same format, sorted, so that it loads back with
:meth:`PolyDriver.load_candidate`; :meth:`PolyDriver.compare` refuses a parameter the codec does
not know (``INVALID_NAME``); the codec checks each value when it is written.

The session
-----------
One ``requests`` session (one kept-alive HTTPS connection) per driver.  The certificate is
ALWAYS verified, against ``params.ca_bundle`` only (never the system store, ``trust_env``
off): one that does not verify is a :class:`~gbtt.drivers.base.TrustError` before the login
is sent.  The login is ``POST /rest/session`` with ``{"user", "password"}``; the codec answers
a ``sessionId`` and the cookie ``session_id``, sent with every request (the session's cookie
jar stores nothing else).  A refused login (HTTP 400, 401 or 403) is an
:class:`~gbtt.drivers.base.AuthenticationError`, never retried.  :meth:`PolyDriver.close` logs
out (``DELETE /rest/session``).  A request answered 401 (the session ended: a reboot) logs in
again once and is sent again; a refused, dropped or timed-out connection is a
:class:`~gbtt.drivers.base.ConnectError` for reads (which are tried once more over a new
session first).

Writing
-------
:meth:`PolyDriver.commit` writes only the owned settings whose value differs, one ``POST
/rest/config`` ``{"vars": [{"name", "value"}]}`` per setting in the order of the intended
configuration (the codec applies and saves each at once: there is no candidate on the device,
no commit and no revert timer), then stores or clears presets (``POST
/rest/cameras/near/presets/<n>`` ``{"action": "store"|"clear"}``).  Every answer is checked
(HTTP 200 and ``"result": "NOERROR"``); then the owned settings and presets are read back.

* a refused value (``INVALID_VALUE``, ``INVALID_NAME``, HTTP 400): stop, write back every
  setting already changed, clear the presets stored, :class:`~gbtt.drivers.base.ConfigError`;
* the connection lost part-way: log in again, write back the previous value of every setting
  that may have been written, :class:`~gbtt.drivers.base.CommitError` (``restored`` says
  whether the codec is back where it was);
* a value that did not stick on read-back: restore, :class:`~gbtt.drivers.base.CommitError`.

A secure setting's previous value cannot be read, so it cannot be written back.  The codec
answers ``rebootNeeded`` after a change of its network settings; gbtt does not reboot it (the
new address takes effect at the next reboot, as with a change at the touch panel):
:meth:`PolyDriver.get_facts` reports it as ``reboot_needed``.

Maintenance queries
-------------------
:meth:`PolyDriver.ask` answers ``{"get": "<path>[?limit=N]"}``: one ``GET /rest/<path>`` on the
open session, its JSON as it is (values under a key naming a password read ``<redacted>``).
The path is words of letters, digits, ``-``, ``_`` and ``.`` between slashes (``/rest/`` in front
is allowed), with the list parameters ``limit``, ``offset``, ``start``, ``filter``; ``..``, a
host, another parameter, the session resource (its id is a credential), any other method or
query kind is a :class:`~gbtt.drivers.base.ConfigError` before anything is sent; an HTTP
error of the codec is a :class:`~gbtt.drivers.base.DriverError`.  The checks ask
``system`` (``timeServerState``), ``system/status`` and ``system/sipservers`` (registration),
``cameras/near/all`` and ``audio`` (peripherals), ``calllog/cdr?limit=1`` (the last call's
quality).  :meth:`PolyDriver.get_facts`: ``GET /rest/system``; ``os_version`` is the release as
the baselines write it (``4.1.0`` of ``Release - 4.1.0-410123``), ``uptime`` whole seconds.

Meeting control
---------------
Commands, not configuration (the candidate is left alone); a setter reads first, sends nothing
when the codec is as asked already (False) and reads back after its command:

* :meth:`PolyDriver.codec_calls`: ``GET /rest/conferences`` (each connection is a call: its
  ``id``, ``address``, ``incoming``, ``state``, ``rate``);
* :meth:`PolyDriver.microphones_muted`, :meth:`PolyDriver.set_microphones`: ``GET``/``POST
  /rest/audio/muted`` (Art. 9.2a);
* :meth:`PolyDriver.camera_presets`, :meth:`PolyDriver.activate_preset`: ``GET
  /rest/cameras/near/presets/all``, ``POST /rest/cameras/near/presets/<n>`` ``{"action":
  "activate"}`` (Art. 8.2c);
* :meth:`PolyDriver.standby_state`, :meth:`PolyDriver.set_standby`: ``state`` of ``GET
  /rest/system`` (``READY`` awake, ``ASLEEP``), ``POST /rest/system/sleep`` and ``/wake``;
* :meth:`PolyDriver.hang_up`: ``DELETE /rest/conferences/<conference>/connections/<id>`` per call.

These are idempotent: a lost session is logged in again and the command sent again.

Secrets never reach a diff or an error: the value of a parameter whose name contains
``password``, ``passphrase``, ``secret`` or ``community``, and any value equal to
``params.password`` or one of ``params.extra["secrets"]``, is shown as ``<redacted>``.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote as url_quote

import requests

from gbtt.drivers import https
from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError, ConnectError,
                               ConnectionParams, Driver, DriverError, TrustError, redact)

REDACTED = "<redacted>"
#: what a Poly codec can do of the codec interface, and why (docs/platforms/poly_group.md)
CAPABILITIES: dict[str, str] = {
    "settings": "named settings written one by one through /rest/config, each read back",
    "camera_presets": "near-camera presets 0-99 by number: store, clear, activate",
    "meeting_control": "calls, microphone mute, presets, sleep/wake and hang-up through the REST API",
    "maintenance_queries": "read-only GETs under /rest (status, registration, cameras, call detail report)",
}
#: what a Cisco CE codec can do and a Poly codec cannot
NOT_SUPPORTED: dict[str, str] = {
    "local_accounts": "Poly VideoOS has one local administrator account (sec.auth.admin.id: gbtt's own "
                      "credential) and no further local users: the province's codec accounts are not created",
    "camera_preset_names": "a Poly preset has a number and a snapshot, no name",
    "revert_timer": "every setting is applied and saved as it is written: no commit-confirm",
    "display_status": "the REST API reports no display (monitor) connection status",
}
_SECRET_NAME = re.compile(r"(?i)password|passphrase|secret|community")
_LINE = re.compile(r"^\s*(?P<name>[^\s:]+)\s*:(?P<value>.*)$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")
_PRESET = re.compile(r"(?i)^\s*preset\s+(?P<index>\S+)\s*:(?P<state>.*)$")
_BARE_OK = re.compile(r"^[A-Za-z0-9_.+\-/@]+$")
_VERSION = re.compile(r"^\s*(?:release\s*-\s*)?(?P<version>\d+(?:\.\d+)+?)(?:[-.](?P<build>\d{5,}))?\s*$", re.I)
_ASK_PATH = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*$")
ASK_PARAMETERS = ("limit", "offset", "start", "filter")
MASKED_VALUES = ("********", "REMOVED_SECURE_CONTENT")
#: the codec's own account: gbtt's credential, never written
OWN_ACCOUNT = ("sec.auth.admin.id", "sec.auth.admin.password")
PRESETS = range(100)
_URI_SCHEME = re.compile(r"(?i)^(?:sips?|h323|tel):")


# -- the intended-config format -------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting line of an intended configuration."""

    name: str
    value: str
    line: int


@dataclass(frozen=True)
class Preset:
    """One ``preset <n>: stored|absent`` line."""

    index: int
    absent: bool
    line: int


def unquote(text: str) -> str:
    """``"a \\"b\\""`` -> ``a "b"``; bare text as it is (ValueError for a stray quote)."""
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


def quote(value: str) -> str:
    """A value for a setting line: bare when it is one plain word, quoted otherwise."""
    if _BARE_OK.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_candidate(text: str) -> tuple[list[Setting], list[Preset]]:
    """The settings and presets of an intended configuration; ``ValueError("line N: …")`` on a
    bad line."""
    settings: list[Setting] = []
    presets: list[Preset] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        m = _PRESET.match(raw)
        if m:
            if not m["index"].isdigit() or int(m["index"]) not in PRESETS:
                raise ValueError(f"line {number}: preset {m['index']!r}: a preset number is 0-99")
            state = m["state"].strip().lower()
            if state not in ("stored", "absent"):
                raise ValueError(f"line {number}: preset {int(m['index'])}: the state is stored or absent, "
                                 f"not {m['state'].strip()!r}")
            key = f"preset {int(m['index'])}"
            if key in seen:
                raise ValueError(f"line {number}: {key} is set already on line {seen[key]}")
            seen[key] = number
            presets.append(Preset(int(m["index"]), state == "absent", number))
            continue
        m = _LINE.match(raw)
        if m is None:
            raise ValueError(f"line {number}: not '<parameter>: <value>' or 'preset <n>: stored|absent'")
        name = m["name"]
        if not _NAME.match(name):
            raise ValueError(f"line {number}: {name!r} is not a parameter name (dotted words, "
                             "e.g. device.local.deviceName)")
        try:
            value = unquote(m["value"])
        except ValueError as exc:
            raise ValueError(f"line {number}: {name}: {exc}") from None
        if name.lower() in seen:
            raise ValueError(f"line {number}: {name} is set already on line {seen[name.lower()]}")
        seen[name.lower()] = number
        settings.append(Setting(name, value, number))
    return settings, presets


def same_value(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.lower() in ("true", "false") and b.lower() in ("true", "false"):
        return a.lower() == b.lower()
    if re.fullmatch(r"[+-]?\d+", a) and re.fullmatch(r"[+-]?\d+", b):
        return int(a) == int(b)
    return False


def software_version(raw: str) -> str:
    """The release of ``softwareVersion`` as the baselines write it: ``4.1.0`` of
    ``4.1.0``, ``4.1.0-410123`` or ``Release - 4.1.0-410123``; anything else as it is."""
    m = _VERSION.match(raw or "")
    return m["version"] if m else (raw or "").strip()


def remote_forms(uri: str) -> set[str]:
    """The forms a remote is matched by: as written, and without its scheme and ``;parameters``."""
    text = uri.strip()
    bare = _URI_SCHEME.sub("", text).split(";", 1)[0].strip()
    return {text, bare} - {""}


def find_preset(presets: list[dict], wanted: str | int) -> dict | None:
    """The preset ``wanted`` names: an int is a number; a string is a name (exact after
    stripping, the first in list order; as on a CE codec, ``""`` is the first preset without a
    name), else, all digits, a number."""
    if isinstance(wanted, int):
        return next((p for p in presets if p["id"] == wanted), None)
    name = wanted.strip()
    found = next((p for p in presets if p["name"].strip() == name), None)
    if found is None and name.isascii() and name.isdigit():
        found = next((p for p in presets if p["id"] == int(name)), None)
    return found


def call_summary(conference: dict, connection: dict) -> dict:
    """One connection of ``GET /rest/conferences`` as :meth:`PolyDriver.codec_calls` gives it."""
    rate = connection.get("rate")
    return {"id": str(connection.get("id", "")), "remote": str(connection.get("address", "")),
            "direction": "incoming" if connection.get("incoming") else "outgoing",
            "state": str(connection.get("state", "")).lower(),
            "rate_kbps": int(rate) if isinstance(rate, (int, float)) and rate > 0 else None,
            "conference": str(conference.get("id", ""))}


def redact_json(node: Any) -> Any:
    """A JSON answer with the values of password-like keys replaced by ``<redacted>``."""
    if isinstance(node, dict):
        return {k: (REDACTED if _SECRET_NAME.search(str(k)) and v not in ("", None) else redact_json(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [redact_json(v) for v in node]
    return node


# -- the driver -----------------------------------------------------------------------------


class _Lost(Exception):
    """The connection is gone (refused, reset, no answer in time)."""


class PolyDriver(Driver):
    """A Poly VideoOS codec through its REST API (see the module docstring)."""

    platform: ClassVar[str] = "poly_group"
    device_class: ClassVar[str] = "codec"
    #: what the driver supports (:data:`CAPABILITIES`); what a CE codec has and a Poly codec has
    #: not is :data:`NOT_SUPPORTED` (``local_accounts``, ``camera_preset_names`` …)
    capabilities: ClassVar[frozenset[str]] = frozenset(CAPABILITIES)

    def __init__(self, host: str, params: ConnectionParams):
        super().__init__(host, params)
        self._session: requests.Session | None = None
        self._ca: str | None = None
        self._settings: list[Setting] = []
        self._presets: list[Preset] = []
        self._running: dict[str, tuple[str, str]] | None = None     # lower name -> (name, value)
        self._stored: set[int] | None = None
        self._last_backup: list[tuple[str, str]] = []
        self._last_presets: dict[int, bool] = {}

    # -- secrets ----------------------------------------------------------------------------
    def _secrets(self) -> list[str]:
        extra = self.params.extra.get("secrets") or []
        if isinstance(extra, str):
            extra = [extra]
        wanted = [s.value for s in self._settings if _SECRET_NAME.search(s.name) and s.value]
        return [s for s in (self.params.password, self.params.secret, *extra, *wanted) if s]

    def _shown(self, name: str, value: str) -> str:
        if _SECRET_NAME.search(name) or value in self._secrets():
            return REDACTED
        return quote(value)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    # -- session ----------------------------------------------------------------------------
    def open(self) -> None:
        self._ca = https.ca_bundle(self.host, self.params, "codec")
        if self._session is None:
            try:
                self._connect()
            except _Lost as exc:
                raise ConnectError(self.host, self._redact(f"cannot connect to {https.base_url(self.params)}: {exc}")) from None

    def close(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.delete(self._url("session"), verify=self._ca, timeout=min(self.params.timeout, 5.0))
        except requests.exceptions.RequestException:
            pass                 # the session ends with the connection anyway
        session.close()

    def _url(self, path: str) -> str:
        return f"{https.base_url(self.params)}/rest/{path}"

    def _connect(self) -> None:
        """A new HTTPS session, logged in.  Raises TrustError, AuthenticationError, _Lost."""
        self._drop_session()
        session = https.session(self._ca, {"Accept": "application/json", "Content-Type": "application/json"})
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # stores nothing
        self._session = session
        try:
            self._login()
        except BaseException:
            self._drop_session()
            raise
        self._running = None
        self._stored = None

    def _login(self) -> None:
        assert self._session is not None
        self._session.headers.pop("Cookie", None)
        response = self._http("POST", "session", {"user": self.params.username, "password": self.params.password})
        doc = _loads(response)
        if response.status_code in (400, 401, 403) or (response.status_code == 200 and not (
                isinstance(doc, dict) and doc.get("success"))):
            reason = doc.get("reason") if isinstance(doc, dict) else None
            raise AuthenticationError(self.host, f"login as {self.params.username!r} refused (HTTP "
                                                 f"{response.status_code}{', ' + str(reason) if reason else ''})")
        if response.status_code != 200:
            raise _Lost(f"the login answered HTTP {response.status_code}")
        sid = str(((doc.get("session") or {}).get("sessionId")) or "")
        if not sid:
            raise AuthenticationError(self.host, "the login gave no session id")
        self._session.headers["Cookie"] = f"session_id={sid}"

    def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    # -- HTTP -------------------------------------------------------------------------------
    def _http(self, method: str, path: str, body: Any = None, query: dict | None = None,
              has_body: bool | None = None) -> requests.Response:
        """One request; TrustError on a certificate that does not verify, _Lost when the
        connection fails."""
        if self._session is None:
            raise _Lost("not connected")
        send_body = body is not None if has_body is None else has_body
        try:
            return https.request(self._session, self.host, method, self._url(path), ca=self._ca,
                                 timeout=self.params.timeout, device="codec", what=f"{method} /rest/{path}",
                                 params=query, data=json.dumps(body) if send_body else None)
        except ConnectError as exc:
            raise _Lost(exc.message) from None

    def _send(self, method: str, path: str, body: Any = None, query: dict | None = None,
              has_body: bool | None = None) -> requests.Response:
        """A request on the session; an answer 401 (the session ended, e.g. a reboot) logs in
        again once and sends it again (the codec refused it: nothing was done).  Raises _Lost."""
        if self._session is None:
            self._connect()
        response = self._http(method, path, body, query, has_body)
        if response.status_code == 401:
            self._login()
            response = self._http(method, path, body, query, has_body)
            if response.status_code == 401:
                raise AuthenticationError(self.host, f"{method} /rest/{path}: the codec refuses the session (HTTP 401)")
        return response

    def _call(self, method: str, path: str, body: Any = None, query: dict | None = None,
              has_body: bool | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        """A read or an idempotent command: its JSON answer.  A lost connection is tried once more
        over a new session (ConnectError after that); an answer not in ``ok`` is a DriverError."""
        for attempt in (1, 2):
            try:
                response = self._send(method, path, body, query, has_body)
                break
            except _Lost as exc:
                self._drop_session()
                if attempt == 2:
                    raise ConnectError(self.host, self._redact(str(exc))) from None
        if response.status_code not in ok:
            raise DriverError(self.host, self._redact(f"{method} /rest/{path}: HTTP {response.status_code}"
                                                      f"{_reason(response)}"))
        return _loads(response)

    # -- settings ---------------------------------------------------------------------------
    def _read_settings(self, names: list[str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """``POST /rest/config {"names": …}``: lower name -> (the codec's name, value), and the
        names the codec does not know."""
        if not names:
            return {}, []
        doc = self._call("POST", "config", {"names": names})
        found: dict[str, tuple[str, str]] = {}
        unknown: list[str] = []
        for var, asked in zip((doc or {}).get("vars", []) if isinstance(doc, dict) else [], names):
            if var.get("result") == "NOERROR" and var.get("name"):
                found[asked.lower()] = (str(var["name"]), _text(var.get("value")))
            else:
                unknown.append(asked)
        return found, unknown

    def _read_running(self) -> dict[str, tuple[str, str]]:
        if self.candidate is None:
            raise ConfigError(self.host, "no candidate loaded")
        found, unknown = self._read_settings([s.name for s in self._settings])
        if unknown:
            lines = {s.name: s.line for s in self._settings}
            raise ConfigError(self.host, "no such setting on this codec: " + "; ".join(
                f"line {lines[n]}: {n}" for n in unknown))
        self._running = found
        return found

    def _read_stored(self) -> set[int]:
        doc = self._call("GET", "cameras/near/presets/all")
        self._stored = {int(p["index"]) for p in doc or [] if isinstance(p, dict) and p.get("stored")}
        return self._stored

    def _write(self, name: str, value: str) -> str | None:
        """Write one setting: None when the codec took it, else its reason.  Raises _Lost."""
        self._running = None
        response = self._send("POST", "config", {"vars": [{"name": name, "value": value}]})
        doc = _loads(response)
        results = doc.get("vars", []) if isinstance(doc, dict) else []
        if response.status_code == 200 and results and all(v.get("result") == "NOERROR" for v in results):
            return None
        problem = next((v for v in results if v.get("result") != "NOERROR"), None)
        if problem is not None:
            return str(problem.get("result")) + (f": {problem['reason']}" if problem.get("reason")
                                                 and not _SECRET_NAME.search(name) else "")
        return f"HTTP {response.status_code}{_reason(response)}"

    def _preset_action(self, index: int, action: str) -> str | None:
        """Store, clear or activate a preset: None when done, else the codec's reason.  Raises _Lost."""
        self._stored = None
        response = self._send("POST", f"cameras/near/presets/{index}", {"action": action, "withImage": "Yes"})
        return None if response.status_code == 200 else f"HTTP {response.status_code}{_reason(response)}"

    def _masked(self, value: str) -> bool:
        return value in MASKED_VALUES

    def _differs(self, setting: Setting, running: str, again: bool = True) -> bool:
        """Whether the codec's value is not the wanted one (a masked secure value: see the
        module docstring)."""
        if self._masked(running):
            if not setting.value:
                return True
            return again and self._passphrase_always()
        return not same_value(setting.value, running)

    def _passphrase_always(self) -> bool:
        return str(self.params.extra.get("update_passphrase", "on_create")) == "always"

    def _changes(self, running: dict[str, tuple[str, str]]) -> list[tuple[Setting, str, str]]:
        """(setting, the codec's name, its value now) of every owned setting that differs."""
        out = []
        for s in self._settings:
            name, value = running[s.name.lower()]
            if self._differs(s, value):
                out.append((s, name, value))
        return out

    def _preset_changes(self, stored: set[int]) -> list[Preset]:
        return [p for p in self._presets if (p.index in stored) == p.absent]

    # -- reading ----------------------------------------------------------------------------
    def get_facts(self) -> dict:
        system = self._call("GET", "system")
        raw = str(system.get("softwareVersion", ""))
        uptime = system.get("uptime")
        return {
            "hostname": str(system.get("systemName") or self.host),
            "name": str(system.get("systemName") or ""),
            "vendor": "Poly",
            "model": str(system.get("model", "")),
            "serial": str(system.get("serialNumber", "")),
            "serial_number": str(system.get("serialNumber", "")),
            "os_version": software_version(raw),
            "software_version": raw,
            "build": str(system.get("build", "")),
            "state": str(system.get("state", "")),
            "reboot_needed": bool(system.get("rebootNeeded")),
            "uptime": int(uptime) if isinstance(uptime, (int, float)) and uptime >= 0 else -1,
        }

    def get_config(self) -> str:
        """Every readable setting (secure ones left out) and the stored presets, in the intended
        format, sorted."""
        response = self._call_raw("GET", "provisioning/config")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise DriverError(self.host, f"GET /rest/provisioning/config: no XML ({exc})") from None
        values: dict[str, str] = {}
        for element in root.iter():
            for name, value in element.attrib.items():
                if _NAME.match(name) and value not in MASKED_VALUES:
                    values[name] = value
        if not values:
            raise DriverError(self.host, "GET /rest/provisioning/config: the codec returned no settings")
        lines = [f"{name}: {quote(values[name])}" for name in sorted(values, key=str.lower)]
        lines += [f"preset {index}: stored" for index in sorted(self._read_stored())]
        return "\n".join(lines) + "\n"

    def _call_raw(self, method: str, path: str) -> requests.Response:
        for attempt in (1, 2):
            try:
                response = self._send(method, path)
                break
            except _Lost as exc:
                self._drop_session()
                if attempt == 2:
                    raise ConnectError(self.host, str(exc)) from None
        if response.status_code != 200:
            raise DriverError(self.host, f"{method} /rest/{path}: HTTP {response.status_code}{_reason(response)}")
        return response

    def ask(self, query: dict) -> Any:
        """A maintenance query ``{"get": "<path>[?limit=N]"}`` (see the module docstring)."""
        if not isinstance(query, dict) or len(query) != 1:
            raise ConfigError(self.host, f"a Poly codec query is one {{get: '<path under /rest>'}}: {query!r}")
        (kind, raw), = query.items()
        if kind != "get":
            raise ConfigError(self.host, f"unknown Poly codec query {kind!r}: get (a read-only GET under /rest)")
        text = str(raw).strip()
        if not text.isprintable() or " " in text:
            raise ConfigError(self.host, f"{{get: {text!r}}}: one path, no spaces or control characters")
        for prefix in ("/rest/", "rest/", "/"):
            if text.startswith(prefix):
                text = text[len(prefix):]
                break
        path, _, qs = text.partition("?")
        segments = path.split("/")
        if not _ASK_PATH.match(path) or any(s in ("", ".", "..") for s in segments) or segments[0] == "rest":
            raise ConfigError(self.host, f"{{get: {raw!r}}}: not a path under /rest (words between slashes, "
                                         "e.g. system/status)")
        if segments[0].lower() == "session":
            raise ConfigError(self.host, f"{{get: {raw!r}}}: the session resource is not asked (its id is a "
                                         "credential)")
        try:
            params = parse_qsl(qs, keep_blank_values=True, strict_parsing=True) if qs else []
        except ValueError:
            raise ConfigError(self.host, f"{{get: {raw!r}}}: a malformed query string") from None
        bad = [k for k, v in params if k not in ASK_PARAMETERS or not re.fullmatch(r"[A-Za-z0-9_.-]*", v)]
        if bad or len({k for k, _ in params}) != len(params):
            raise ConfigError(self.host, f"{{get: {raw!r}}}: list parameters are {', '.join(ASK_PARAMETERS)}, "
                                         "each once")
        path = "/".join(url_quote(s, safe="") for s in segments)
        return redact_json(self._call("GET", path, query=dict(params) or None))

    # -- changing ---------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        try:
            settings, presets = parse_candidate(intended)
        except ValueError as exc:
            raise ConfigError(self.host, self._redact(str(exc))) from None
        for s in settings:
            if s.name.lower() == OWN_ACCOUNT[1]:
                raise ConfigError(self.host, f"line {s.line}: {s.name} is the password gbtt logs in with: the "
                                             "codec credential's, not the template's")
            if s.name.lower() == OWN_ACCOUNT[0].lower() and s.value != self.params.username:
                raise ConfigError(self.host, f"line {s.line}: {s.name} is the account gbtt logs in with "
                                             f"({self.params.username!r}): it may be listed, not changed")
        self.candidate = intended
        self._settings = settings
        self._presets = presets
        self._running = None
        self._stored = None

    def discard(self) -> None:
        super().discard()
        self._settings = []
        self._presets = []

    def compare(self) -> str:
        running = self._read_running()
        out = []
        for s, name, value in self._changes(running):
            out.append(f"-{name}: {self._shown(name, value)}")
            out.append(f"+{name}: {self._shown(name, s.value)}")
        if self._presets:
            stored = self._read_stored()
            for p in self._preset_changes(stored):
                out.append(f"-preset {p.index}: {'stored' if p.index in stored else 'absent'}")
                out.append(f"+preset {p.index}: {'absent' if p.absent else 'stored'}")
        return self._redact("\n".join(out) + "\n") if out else ""

    def backup(self) -> str:
        """The current values of the owned settings and presets (everything when no candidate is
        loaded); secure settings cannot be read and are not in it."""
        if self.candidate is None:
            return self.get_config()
        running = self._running or self._read_running()
        lines = [f"{name}: {quote(value)}" for s in self._settings
                 for name, value in [running[s.name.lower()]] if not self._masked(value)]
        if self._presets:
            stored = self._stored if self._stored is not None else self._read_stored()
            lines += [f"preset {p.index}: {'stored' if p.index in stored else 'absent'}" for p in self._presets]
        return "".join(line + "\n" for line in lines)

    def commit(self, confirm_timeout: int | None = None) -> None:
        """Write what differs (``confirm_timeout`` is ignored: a codec has no revert timer)."""
        running = self._running or self._read_running()
        changes = self._changes(running)
        stored = (self._stored if self._stored is not None else self._read_stored()) if self._presets else set()
        preset_changes = self._preset_changes(stored)
        self._last_backup = [(name, value) for _, name, value in changes if not self._masked(value)]
        self._last_presets = {p.index: p.index in stored for p in preset_changes}
        if not changes and not preset_changes:
            return
        written: list[tuple[str, str]] = []
        touched: dict[int, bool] = {}
        steps: list[tuple[int, str, Any]] = [(s.line, name, (s, name, value)) for s, name, value in changes]
        steps += [(p.line, f"preset {p.index}", p) for p in preset_changes]
        for done, (line, what, step) in enumerate(steps):
            try:
                if isinstance(step, Preset):
                    touched[step.index] = step.index in stored
                    problem = self._preset_action(step.index, "clear" if step.absent else "store")
                else:
                    wanted, name, _ = step
                    problem = self._write(name, wanted.value)
            except _Lost as exc:
                self._drop_session()
                undo = written + ([] if isinstance(step, Preset) or self._masked(step[2]) else [(step[1], step[2])])
                restored = self._restore(undo, touched)
                raise CommitError(self.host, self._redact(f"connection lost writing line {line} ({what}): {exc}"),
                                  restored) from None
            if problem:
                if not self._restore(written, touched):
                    raise CommitError(self.host, self._redact(
                        f"line {line}: {what}: the codec refused it ({problem}) after {done} change(s) were "
                        "written"), False)
                raise ConfigError(self.host, self._redact(
                    f"line {line}: {what}: the codec refused it ({problem}); nothing changed"
                    + (f" ({done} change(s) written before it were restored)" if done else "")))
            if not isinstance(step, Preset) and not self._masked(step[2]):
                written.append((step[1], step[2]))
        # read back every owned setting and preset
        try:
            running = self._read_running()
            stored = self._read_stored() if self._presets else set()
        except DriverError as exc:
            self._drop_session()
            restored = self._restore(written, touched)
            raise CommitError(self.host, f"cannot read the configuration back: {exc.message}", restored) from None
        wrong = [f"line {s.line}: {s.name}" for s in self._settings
                 if self._differs(s, running[s.name.lower()][1], again=False)]
        wrong += [f"line {p.line}: preset {p.index}" for p in self._preset_changes(stored)]
        if wrong:
            restored = self._restore(written, touched)
            raise CommitError(self.host, "settings did not keep the written value: " + "; ".join(wrong), restored)

    def _restore(self, settings: list[tuple[str, str]], presets: dict[int, bool], attempts: int = 3) -> bool:
        """Write the values in ``settings`` and the presets' previous state (stored or not) back,
        logging in again if needed; True when the codec holds every one of them again."""
        if not settings and not presets:
            return True
        for attempt in range(attempts + 1):
            try:
                if self._session is None:
                    self._connect()
                current, unknown = self._read_settings([name for name, _ in settings])
                if unknown:
                    return False
                stored = self._read_stored() if presets else set()
                todo = [(name, value) for name, value in settings
                        if not same_value(value, current[name.lower()][1])]
                undo = [index for index, was in presets.items() if (index in stored) != was]
                if not todo and not undo:
                    return True
                if attempt == attempts:
                    return False
                for index in undo:
                    if self._preset_action(index, "store" if presets[index] else "clear"):
                        return False
                for name, value in reversed(todo):
                    if self._write(name, value):
                        return False    # the codec refuses its own previous value: give up
            except (_Lost, ConnectError):
                self._drop_session()
            except (AuthenticationError, TrustError, ConfigError):
                return False
            except DriverError:
                self._drop_session()
        return False

    def confirm(self) -> None:
        """Nothing to do: a codec has no revert timer."""

    def rollback(self) -> None:
        """Write back the values and presets the last commit changed."""
        if not self._last_backup and not self._last_presets:
            return
        if not self._restore(self._last_backup, self._last_presets):
            raise CommitError(self.host, "rollback failed", False)
        self._running = None
        self._stored = None

    def health(self) -> list[Check]:
        checks = []
        try:
            system = self._call("GET", "system")
            checks.append(Check("codec answers", system.get("state") in ("READY", "ASLEEP"),
                                f"state {system.get('state')}, up {system.get('uptime')} s"))
        except DriverError as exc:
            checks.append(Check("codec answers", False, exc.message))
        try:
            status = self._call("GET", "system/status")
            sip = next((i.get("stateList", ["?"])[0] for i in status or []
                        if isinstance(i, dict) and i.get("name") == "system.status.sipserver"), "")
            checks.append(Check("SIP registration status readable", bool(sip), f"SIP server: {sip or 'not reported'}"))
        except DriverError as exc:
            checks.append(Check("SIP registration status readable", False, exc.message))
        return checks

    # -- meeting control --------------------------------------------------------------------
    def _connections(self) -> list[tuple[dict, dict]]:
        doc = self._call("GET", "conferences")
        return [(conf, conn) for conf in doc or [] if isinstance(conf, dict)
                for conn in conf.get("connections") or [] if isinstance(conn, dict)]

    def codec_calls(self) -> list[dict]:
        """``GET /rest/conferences``: see :meth:`Driver.codec_calls`; each item also names its
        ``conference``."""
        return [call_summary(conf, conn) for conf, conn in self._connections()]

    def microphones_muted(self) -> bool:
        muted = self._call("GET", "audio/muted")
        if not isinstance(muted, bool):
            raise DriverError(self.host, f"GET /rest/audio/muted: not a boolean ({muted!r})")
        return muted

    def set_microphones(self, muted: bool) -> bool:
        """``POST /rest/audio/muted`` when the microphones are not so already, then read back."""
        if self.microphones_muted() == muted:
            return False
        self._call("POST", "audio/muted", bool(muted), has_body=True)
        if self.microphones_muted() != muted:
            raise DriverError(self.host, f"POST /rest/audio/muted {str(muted).lower()}: the microphones are still "
                                         f"{'unmuted' if muted else 'muted'}")
        return True

    def _preset_names(self) -> dict[int, str]:
        """Names of presets from ``params.extra["camera_presets"]`` (the registry's
        ``[{id, name}]`` or ``{id: name}``), when the caller gives them: the codec has none."""
        given = self.params.extra.get("camera_presets") or {}
        if isinstance(given, dict):
            items = given.items()
        else:
            items = ((p.get("id"), p.get("name")) for p in given if isinstance(p, dict))
        return {int(k): str(v) for k, v in items if str(k).isdigit() and v}

    def camera_presets(self) -> list[dict]:
        names = self._preset_names()
        doc = self._call("GET", "cameras/near/presets/all")
        indexes = sorted(int(p["index"]) for p in doc or [] if isinstance(p, dict) and p.get("stored"))
        return [{"id": i, "name": names.get(i, ""), "camera": 1} for i in indexes]

    def activate_preset(self, preset: str | int) -> dict:
        """``POST /rest/cameras/near/presets/<n>`` ``{"action": "activate"}`` of the preset named
        (:func:`find_preset`; a name only through ``params.extra["camera_presets"]``)."""
        if isinstance(preset, bool) or not isinstance(preset, (str, int)):
            raise ConfigError(self.host, f"{preset!r} is no camera preset name or number")
        presets = self.camera_presets()
        chosen = find_preset(presets, preset)
        if chosen is None:
            listed = ", ".join(str(p["id"]) + (f" {p['name']!r}" if p["name"] else "") for p in presets)
            raise ConfigError(self.host, self._redact(
                f"no camera preset {preset!r} on the codec (a Poly preset has a number, no name); "
                + (f"its presets: {listed}" if listed else "it has no presets")))
        self._call("POST", f"cameras/near/presets/{chosen['id']}", {"action": "activate"})
        return {"id": chosen["id"], "name": chosen["name"]}

    def standby_state(self) -> str:
        state = str(self._call("GET", "system").get("state", ""))
        if not state:
            raise DriverError(self.host, "GET /rest/system: no state reported")
        return state

    def set_standby(self, on: bool) -> bool:
        """``POST /rest/system/sleep`` unless the codec is ``ASLEEP`` already (on), ``POST
        /rest/system/wake`` unless it is ``READY`` (off); then read back."""
        state = self.standby_state()
        if (state == "ASLEEP") == on and (on or state == "READY"):
            return False
        command = "system/sleep" if on else "system/wake"
        self._call("POST", command, has_body=False)
        state = self.standby_state()
        if (state == "ASLEEP") != on:
            raise DriverError(self.host, f"POST /rest/{command}: the codec's state is still {state}")
        return True

    def hang_up(self, remote: str | None = None) -> int:
        """``DELETE /rest/conferences/<conference>/connections/<id>`` for each call (of
        ``remote``, compared in the forms of :func:`remote_forms`); a call that ended by itself
        meanwhile is not counted.  An empty ``remote`` is a :class:`ConfigError`."""
        wanted = remote_forms(remote) if remote is not None else set()
        if remote is not None and not wanted:
            raise ConfigError(self.host, "hang_up: an empty remote names no call (None hangs up every call)")
        ended = 0
        for conf, conn in self._connections():
            if wanted and not wanted & remote_forms(str(conn.get("address", ""))):
                continue
            path = f"conferences/{url_quote(str(conf.get('id')), safe='')}/connections/" \
                   f"{url_quote(str(conn.get('id')), safe='')}"
            try:
                self._call("DELETE", path)
            except ConnectError:
                raise
            except DriverError:
                if any(c.get("id") == conn.get("id") for _, c in self._connections()):
                    raise
                continue             # it ended before the codec was told to end it
            ended += 1
        return ended


def _loads(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _reason(response: requests.Response) -> str:
    doc = _loads(response)
    if isinstance(doc, dict) and doc.get("reason"):
        return f" ({doc['reason']})"
    return ""
