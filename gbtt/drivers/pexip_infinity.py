"""Driver for Pexip Infinity: the management API of the Management Node (``/api/admin/``) over HTTPS.

Transport
---------
One ``requests`` session (one kept-alive HTTPS connection) per driver instance, i.e. per
deploy, basic auth, JSON.  The certificate is ALWAYS verified, against ``params.ca_bundle``
only (never the system store, never ``verify=False``); the session ignores the environment
(``trust_env = False``: ``$REQUESTS_CA_BUNDLE``, proxies and ``.netrc`` change nothing).  A
certificate that does not verify is a :class:`TrustError` before any request reaches the API;
HTTP 401/403 an :class:`AuthenticationError` (never retried); a refused, dropped or timed-out
connection a :class:`ConnectError`.  Lists (``{"meta": {…, "next"}, "objects": […]}``) are
read to the end, following ``meta.next`` page by page.

Intended configuration
----------------------
A YAML (or JSON) document with two lists, every object keyed by its ``name``; the other keys
are the fields of the Pexip management API reference (configuration API) with their API
names and values::

    conferences:                           # /api/admin/configuration/v1/conference/
      - name: gbtt-quan-ba-3a              # key: the service's name
        service_type: conference           # a Virtual Meeting Room
        participant_limit: 24
        mute_all_guests: true              # Guests join muted
        max_callrate_out: 4096000          # bit/s
        pin: "246810"                      # a secret: never shown by compare()
        aliases:                           # the VMR's aliases (the nested list of the API)
          - quan-ba.3a
          - {alias: quan-ba.3a@10.23.15.2, description: "SIP, this MCU's address"}
    gateway_routing_rules:                 # /api/admin/configuration/v1/gateway_routing_rule/
      - name: gbtt-quan-ba-endpoints       # key: the Call Routing Rule's name
        priority: 100                      # required, 1-200 (lowest first)
        match_string: '10\\.23\\.15\\.\\d{1,3}'   # required: the regex of the whole alias
        match_incoming_calls: false
        match_outgoing_calls: true         # dial-outs of a conference (routing: routing_rule)

* Values: ``true``/``false``, numbers, the documented words; ``null`` for the fields that
  take it (``participant_limit``, the call rates).  Everything is checked by
  :meth:`PexipDriver.load_candidate` (unknown field, bad value, a regex that does not compile,
  a guest PIN without host PIN and ``allow_guests``, a rule without priority or match string,
  an alias given twice, duplicate key → :class:`ConfigError`) before anything is written.
* A field left out is the Management Node's default: a VMR is a ``conference`` without PIN,
  guests or participant limit, layouts ``one_main_seven_pips``, chat ``default``, call type
  ``video``; a rule is enabled, matches incoming calls on every protocol and no outgoing one,
  calls ``external`` targets over ``sip`` (see :data:`SPECS`).  Aliases are compared as a set
  (alias without case, with their description).
* ``absent: true`` (with only the name) deletes an object gbtt could not otherwise tell is its
  own: one whose name does not start with ``gbtt-``.

Ownership, as for the Cisco Meeting Server (``gbtt/drivers/cisco_cms.py``, docs/drivers.md):
gbtt owns an object named in the document, or whose name is in the driver's scope,
``ConnectionParams.extra["scope"]``: none (the MCU deploy) owns ``gbtt-…`` except
``gbtt-link-…`` and ``gbtt-meeting-…``, and refuses a document that names those; ``link:<id>``
owns ``gbtt-link-<id>`` and ``gbtt-link-<id>--…`` (VMRs and Call Routing Rules alike);
``meeting:<id>`` the same for ``gbtt-meeting-<id>``.  An owned object missing from the
document is deleted: a link's teardown is the empty document in its scope.  Everything else
on the Management Node is left alone.

:meth:`PexipDriver.get_config` (and :meth:`~PexipDriver.backup`) return the owned objects in
this format (objects by name, the key first, fields that differ from the default), PINs
included so that a backup loads back: treat the text as a secret.  :meth:`~PexipDriver.compare`
shows per object and field what :meth:`~PexipDriver.commit` would change, PINs redacted.

Commit writes only what differs: deletions first (VMRs, then rules; a deleted VMR frees its
aliases), then VMRs changed (PATCH of the changed fields; ``aliases`` as the whole list) and
created (POST with its aliases), then rules.  A refused write (HTTP 400) or a dropped
connection undoes what was done (created objects deleted, changed ones patched back, deleted
ones created again) and raises :class:`CommitError` saying whether the MCU is back; a refusal of
the first write is a :class:`ConfigError` (nothing changed).  The objects are read back and
checked afterwards.  :meth:`~PexipDriver.rollback` applies the backup of the last commit; there
is no revert timer (:meth:`~PexipDriver.confirm` does nothing).

Call control
------------
``call_up(space, remote, kbps)`` on a VMR of the scope: a participant connected with
``remote`` (``call_direction`` ``out``, ``destination_alias`` ``remote``, compared without
case and ``sip:``) is left alone; one not yet connected is disconnected; then
``POST command/v1/participant/dial/`` with the VMR's first alias as ``conference_alias``,
``destination`` ``remote``, ``routing: routing_rule`` (the MCU's Call Routing Rules route it,
as the CMS outbound dial plan does), ``role: guest``, ``protocol: sip``, and
``keep_conference_alive``; the new participant is read (``status/v1/participant/<id>/``) until it
has media, or, gone, its ``disconnect_reason`` is read from ``history/v1/participant/<id>/``.
Pexip's dial command takes no call rate: the leg's rate is the VMR's ``max_callrate_out``
capped by the rule's (the templates set them to the link's bandwidth); ``bandwidth_kbps`` is
checked, not sent.  ``calls(space)``: the participants of the conference running in the VMR
(``status/v1/conference/?name=…``, ``status/v1/participant/?conference=…``); Pexip lists no
participant that has left, so a failed or ended leg is not among them.  ``call_down(space)``:
``POST command/v1/conference/disconnect/``.

Maintenance
-----------
* ``ask({"get": "status/v1/licensing/"})``: one GET under ``/api/admin/`` of the status,
  configuration or history API (never a command), the JSON answer as it is (a list: one page,
  with ``meta``), PINs and passwords redacted.  The path is ``<api>/v1/<resource>/`` with an
  optional id (and sub-resource); the query takes ``limit``, ``offset``, ``order_by`` and
  Tastypie filters ``<field>[__<lookup>]``.  Anything else is a :class:`ConfigError` before a
  request is sent; HTTP 400/404 too.
* ``probe({"tls": true})``: the certificate the MCU presents, from a TLS handshake alone (the
  MCU drivers' shared probe: :meth:`gbtt.drivers.mcu.McuDriver.probe`).
* ``get_facts()``: ``os_version`` is the Management Node's version as the baselines write it
  (``35.1`` of ``35.1 (build 81267)``), ``uptime`` the seconds since the most recent boot of a
  Conferencing Node (``status/v1/worker_vm/`` ``boot_time``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator
from urllib.parse import parse_qsl, urlsplit

import requests
import yaml

from gbtt.drivers import https
from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError, ConnectError,
                               ConnectionParams, DriverError, redact)
from gbtt.drivers.mcu import McuDriver
from gbtt.yamlio import YamlProblem, fast_load

API_PREFIX = "/api/admin/"
DIAL_POLL_SECONDS = 0.5
#: a field whose value is a secret: redacted in diffs and in what ask() answers
_SECRET = re.compile(r"(?i)(^|_)(pin|password|passphrase|secret|private_key|token)$")


# =========================================================================================
# Fields (Pexip Infinity management API, configuration API)
# =========================================================================================

@dataclass(frozen=True)
class Param:
    kind: str = "text"             # text | bool | int | enum | pin | regex
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    default: Any = ""


TEXT = Param()


def _enum(*choices: str, default: str | None = None) -> Param:
    return Param("enum", choices, default=choices[0] if default is None else default)


def _bool(default: bool) -> Param:
    return Param("bool", default=default)


def _rate() -> Param:
    return Param("int", minimum=128_000, maximum=8_192_000, nullable=True, default=None)


_LAYOUTS = _enum("one_main_zero_pips", "one_main_seven_pips", "one_main_twentyone_pips", "two_mains_twentyone_pips",
                 "four_mains_zero_pips", "nine_mains_zero_pips", "sixteen_mains_zero_pips",
                 "twentyfive_mains_zero_pips", "five_mains_seven_pips", "one_main_thirtythree_pips", "ac", "teams",
                 default="one_main_seven_pips")
_CRYPTO = _enum("", "besteffort", "on", "off")

_CONFERENCE: dict[str, Param] = {
    "service_type": _enum("conference", "lecture", "two_stage_dialing", "test_call", "media_playback"),
    "description": TEXT, "pin": Param("pin"), "guest_pin": Param("pin"), "allow_guests": _bool(False),
    "participant_limit": Param("int", minimum=0, maximum=1_000_000, nullable=True, default=None),
    "max_callrate_in": _rate(), "max_callrate_out": _rate(), "mute_all_guests": _bool(False),
    "guests_can_present": _bool(True), "host_view": _LAYOUTS, "guest_view": _LAYOUTS, "tag": TEXT,
    "enable_chat": _enum("default", "yes", "no"), "enable_overlay_text": _bool(False),
    "call_type": _enum("video", "video-only", "audio"), "crypto_mode": _CRYPTO,
}

_RULE: dict[str, Param] = {
    "priority": Param("int", minimum=1, maximum=200, default=None), "match_string": Param("regex", default=None),
    "replace_string": TEXT, "enable": _bool(True), "match_incoming_calls": _bool(True),
    "match_outgoing_calls": _bool(False), "match_incoming_sip": _bool(True), "match_incoming_h323": _bool(True),
    "match_incoming_mssip": _bool(True), "match_incoming_webrtc": _bool(True), "match_incoming_teams": _bool(True),
    "match_incoming_only_if_registered": _bool(False),
    "called_device_type": _enum("external", "registration", "mssip_conference_id", "mssip_server", "gms_conference",
                                "teams_conference", "telehealth_profile"),
    "outgoing_protocol": _enum("sip", "h323", "mssip", "rtmp", "gms", "teams"),
    "call_type": _enum("video", "video-only", "audio", "auto"), "crypto_mode": _CRYPTO,
    "max_callrate_in": _rate(), "max_callrate_out": _rate(), "treat_as_trusted": _bool(False),
    "description": TEXT, "tag": TEXT,
}


@dataclass(frozen=True)
class Spec:
    collection: str                # the document's list
    resource: str                  # the API's resource
    params: dict[str, Param]
    required: tuple[str, ...] = ()
    nested_aliases: bool = False

    @property
    def path(self) -> str:
        return f"configuration/v1/{self.resource}/"


SPECS: dict[str, Spec] = {s.collection: s for s in (
    Spec("conferences", "conference", _CONFERENCE, nested_aliases=True),
    Spec("gateway_routing_rules", "gateway_routing_rule", _RULE, required=("priority", "match_string")),
)}
ORDER = ("conferences", "gateway_routing_rules")
ALIASES = "aliases"


def _is_secret(name: str) -> bool:
    return bool(_SECRET.search(name))


def _bare(alias: str) -> str:
    """An alias as Pexip matches it: no URI scheme, no ``;parameters``, without case."""
    text = alias.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("sip", "sips", "h323"):
        text = rest
    return text.split(";", 1)[0].casefold()


# =========================================================================================
# The document
# =========================================================================================

@dataclass
class Doc:
    """collection -> name -> {field: API value}; a VMR's ``aliases`` is a sorted tuple of
    ``(alias, description)``."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {c: {} for c in ORDER})
    absent: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in ORDER})

    def keys(self) -> dict[str, set[str]]:
        return {c: set(self.objects[c]) | self.absent[c] for c in ORDER}


class _Invalid(Exception):
    pass


def _value(where: str, name: str, param: Param, raw: Any) -> Any:
    """The API value of one field of the document (never echoing it: it may be a PIN)."""
    what = f"{where}: {name}"
    if raw is None:
        if param.nullable:
            return None
        if param.kind == "enum" and "" in param.choices:
            return ""
        raise _Invalid(f"{what} has no value: give one, or leave the field out")
    if isinstance(raw, (dict, list)):
        raise _Invalid(f"{what} must be a single value, not a list or mapping")
    if param.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise _Invalid(f"{what} must be true or false")
    if param.kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            number = int(raw.strip())
        else:
            raise _Invalid(f"{what} must be a whole number")
        if (param.minimum is not None and number < param.minimum) or \
                (param.maximum is not None and number > param.maximum):
            upper = f"..{param.maximum}" if param.maximum is not None else " or more"
            raise _Invalid(f"{what} must be {param.minimum}{upper}" + (" (or null)" if param.nullable else ""))
        return number
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise _Invalid(f"{what} must be text, not {'true/false' if isinstance(raw, bool) else type(raw).__name__}")
    value = str(raw).strip() if param.kind != "regex" else str(raw)
    if any(ch in value for ch in "\r\n\0"):
        raise _Invalid(f"{what} must be one line of text")
    if param.kind == "enum":
        if value not in param.choices:
            choices = ", ".join(c or '""' for c in param.choices)
            raise _Invalid(f"{what} must be one of: {choices}")
        return value
    if len(value) > 250:
        raise _Invalid(f"{what} is longer than 250 characters")
    if param.kind == "pin" and value and not re.fullmatch(r"\d{4,20}#?", value):
        raise _Invalid(f"{what} must be 4 to 20 digits, optionally followed by # (quote it in YAML to keep leading "
                       "zeros)")
    if param.kind == "regex":
        if not value:
            raise _Invalid(f"{what} is empty")
        try:
            re.compile(value)
        except re.error as exc:
            raise _Invalid(f"{what} is not a regular expression: {exc}") from None
    return value


def parse(text: str) -> Doc:
    """The intended configuration ``text`` as a :class:`Doc`; :class:`_Invalid` says what is wrong."""
    try:
        data = fast_load(text, "intended configuration")
    except YamlProblem as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
        raise _Invalid(f"not YAML/JSON{where}: {exc.message}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _Invalid(f"the document must be a mapping with the lists {', '.join(ORDER)}")
    unknown = [k for k in data if k not in SPECS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), list(SPECS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _Invalid(f"unknown top-level key {str(unknown[0])!r}{hint}: the document holds the lists "
                       f"{', '.join(ORDER)}")
    doc = Doc()
    for collection in ORDER:
        items = data.get(collection)
        if items is None:
            continue
        if not isinstance(items, list):
            raise _Invalid(f"{collection} must be a list of objects")
        for index, item in enumerate(items):
            _parse_object(doc, SPECS[collection], index, item)
    seen: dict[str, str] = {}
    for name, values in doc.objects["conferences"].items():
        for alias, _ in values.get(ALIASES, ()):
            if _bare(alias) in seen:
                raise _Invalid(f"conferences {name!r}: alias {alias!r} is also given to {seen[_bare(alias)]!r}: an "
                               "alias reaches one service")
            seen[_bare(alias)] = name
    return doc


def _parse_object(doc: Doc, spec: Spec, index: int, item: Any) -> None:
    where = f"{spec.collection}[{index}]"
    if not isinstance(item, dict):
        raise _Invalid(f"{where} must be a mapping of fields")
    key = item.get("name")
    if not isinstance(key, str) or not key.strip():
        raise _Invalid(f"{where} has no name: every object is keyed by its name")
    key = _value(where, "name", TEXT, key)
    where = f"{spec.collection} {key!r}"
    if key in doc.objects[spec.collection] or key in doc.absent[spec.collection]:
        raise _Invalid(f"{where} is given twice")
    absent = item.get("absent", False)
    if not isinstance(absent, bool):
        raise _Invalid(f"{where}: absent must be true or false")
    if absent:
        others = [k for k in item if k not in ("name", "absent")]
        if others:
            raise _Invalid(f"{where} is absent: give only name and absent, not {others[0]}")
        doc.absent[spec.collection].add(key)
        return
    values: dict[str, Any] = {}
    for name, raw in item.items():
        if name in ("name", "absent"):
            continue
        if not isinstance(name, str):
            raise _Invalid(f"{where}: field names are text, not {name!r}")
        if name == ALIASES and spec.nested_aliases:
            values[ALIASES] = _aliases(where, raw)
            continue
        param = spec.params.get(name)
        if param is None:
            known = list(spec.params) + ([ALIASES] if spec.nested_aliases else [])
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Invalid(f"{where}: unknown field {name!r}{hint}; {spec.collection} take: {', '.join(sorted(known))}")
        values[name] = _value(where, name, param, raw)
    for name in spec.required:
        if values.get(name) is None:
            raise _Invalid(f"{where}: {name} is required")
    if values.get("guest_pin"):
        if not values.get("pin") or not values.get("allow_guests"):
            raise _Invalid(f"{where}: a guest_pin needs a pin (the Host PIN) and allow_guests: true")
        if values["guest_pin"] == values["pin"]:
            raise _Invalid(f"{where}: guest_pin and pin must differ")
    doc.objects[spec.collection][key] = values


def _aliases(where: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Invalid(f"{where}: aliases must be a list (of aliases, or of {{alias, description}})")
    out: dict[str, tuple[str, str]] = {}
    for item in raw:
        if isinstance(item, dict):
            extra = [k for k in item if k not in ("alias", "description")]
            if extra:
                raise _Invalid(f"{where}: an alias takes alias and description, not {extra[0]!r}")
            alias, description = item.get("alias"), item.get("description", "")
        else:
            alias, description = item, ""
        if not isinstance(alias, str) or not alias.strip() or any(ch.isspace() for ch in alias.strip()):
            raise _Invalid(f"{where}: an alias is text without spaces, not {alias!r}")
        if not isinstance(description, str) or any(ch in description for ch in "\r\n\0"):
            raise _Invalid(f"{where}: the description of alias {alias!r} must be one line of text")
        alias = alias.strip()
        if _bare(alias) in out:
            raise _Invalid(f"{where}: alias {alias!r} is given twice")
        out[_bare(alias)] = (alias, description.strip())
    return tuple(sorted(out.values(), key=lambda a: (_bare(a[0]), a)))


class _Dumper(yaml.SafeDumper):
    pass


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.@/-]*$")
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    plain = bool(_PLAIN.match(value)) and value.lower() not in _WORDS
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else "'")


_Dumper.add_representer(str, _represent_str)


def dump(doc: Doc) -> str:
    """``doc`` in the intended-config format: objects by name, the name first, then the fields
    that differ from the Management Node's defaults, sorted; a VMR's aliases last."""
    data: dict[str, list] = {}
    for collection in ORDER:
        spec = SPECS[collection]
        items = []
        for key in sorted(doc.objects[collection]):
            values = doc.objects[collection][key]
            item: dict[str, Any] = {"name": key}
            for name in sorted(n for n in values if n != ALIASES):
                if values[name] != spec.params[name].default or name in spec.required:
                    item[name] = values[name]
            if values.get(ALIASES):
                item[ALIASES] = [a if not d else {"alias": a, "description": d} for a, d in values[ALIASES]]
            items.append(item)
        data[collection] = items
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


# =========================================================================================
# What is on the MCU, and what to change
# =========================================================================================

@dataclass
class _Object:
    id: str
    values: dict[str, Any]


@dataclass
class _Op:
    action: str                    # create | update | delete
    collection: str
    key: str
    before: dict[str, Any]
    after: dict[str, Any]

    def changed(self) -> list[str]:
        return [n for n in sorted(set(self.before) | set(self.after)) if self.before.get(n) != self.after.get(n)]


def _target(spec: Spec, want: dict[str, Any]) -> dict[str, Any]:
    """The object as it must be: the document's values, the defaults for the rest."""
    target = {name: param.default for name, param in spec.params.items()}
    if spec.nested_aliases:
        target[ALIASES] = ()
    target.update(want)
    return target


def plan(have: dict[str, dict[str, _Object]], desired: Doc) -> list[_Op]:
    ops = []
    for collection in ORDER:
        spec = SPECS[collection]
        mine, want = have[collection], desired.objects[collection]
        for key in sorted(set(mine) | set(want)):
            if key not in want:
                ops.append(_Op("delete", collection, key, mine[key].values, {}))
            elif key not in mine:
                ops.append(_Op("create", collection, key, {}, _target(spec, want[key])))
            else:
                target = _target(spec, want[key])
                if target != mine[key].values:
                    ops.append(_Op("update", collection, key, mine[key].values, target))
    return ops


def _phases(ops: list[_Op]) -> list[_Op]:
    """Deletions first (VMRs free their aliases), then VMRs changed and created, then rules."""
    rank = {("delete", "conferences"): 0, ("delete", "gateway_routing_rules"): 1, ("update", "conferences"): 2,
            ("create", "conferences"): 3, ("update", "gateway_routing_rules"): 4,
            ("create", "gateway_routing_rules"): 5}
    return sorted(ops, key=lambda op: (rank[(op.action, op.collection)], op.key))


class _ApiFailure(Exception):
    """The Management Node answered with an error."""

    def __init__(self, method: str, path: str, status: int, detail: str):
        super().__init__(f"{method} {path}: HTTP {status} {detail}".rstrip())
        self.status = status
        self.detail = detail


def _failure(response: requests.Response) -> str:
    """The error of a Pexip answer, flattened: ``field: message; aliases[0].alias: message``,
    a command's ``reason``, or Tastypie's ``error``."""
    try:
        data = response.json()
    except ValueError:
        return response.reason or ""
    parts: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            if all(isinstance(v, str) for v in value):
                parts.append(f"{prefix}: {' '.join(value)}")
            else:
                for i, v in enumerate(value):
                    if v:
                        walk(f"{prefix}[{i}]", v)
        elif value is not None:
            parts.append(f"{prefix}: {value}" if prefix else str(value))

    if isinstance(data, dict) and ("reason" in data or "error" in data):
        return _short(str(data.get("reason") or data.get("error")))
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))          # {"conference": {field: [...]}}: the resource name goes
    walk("", data)
    return _short("; ".join(parts))


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _show(name: str, value: Any) -> str:
    if _is_secret(name) and value not in ("", None):
        return "<redacted>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if value == "":
        return '""'
    return str(value)


def _without_secrets(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    if isinstance(value, dict):
        return {k: ("<redacted>" if _is_secret(k) and isinstance(v, str) and v else _without_secrets(v))
                for k, v in value.items()}
    return value


def _when(text: Any) -> dt.datetime | None:
    """A date and time of the API (UTC, ISO 8601, with or without offset)."""
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


#: a path for ask(): <api>/v1/<resource>/[<id>/[<sub-resource>/]]
_ASK_PATH = re.compile(r"^(status|configuration|history)/v1/[a-z][a-z0-9_]*/([A-Za-z0-9-]+/([a-z][a-z0-9_]*/)?)?$")
_ASK_PARAM = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*(__(exact|iexact|contains|icontains|startswith|"
                        r"istartswith|endswith|iendswith|gt|gte|lt|lte|in|isnull|range))?$")


# =========================================================================================
# The driver
# =========================================================================================

class PexipDriver(McuDriver):
    platform: ClassVar[str] = "pexip_infinity"
    device_class: ClassVar[str] = "mcu"

    def __init__(self, host: str, params: ConnectionParams):
        super().__init__(host, params)
        self._session: requests.Session | None = None
        self._ca: str | None = None
        self._doc: Doc | None = None
        self._backup: tuple[Doc, dict[str, set[str]]] | None = None

    # -- ownership scope (gbtt/drivers/mcu.py) ----------------------------------------------
    def _check_scope(self, doc: Doc) -> None:
        """Every object of a Pexip document is named (routing rules too), so every one counts."""
        self._check_names((collection, key) for collection in ORDER for key in sorted(doc.keys()[collection]))

    # -- session ---------------------------------------------------------------------------
    def open(self) -> None:
        self._ca = https.ca_bundle(self.host, self.params, "MCU")
        session = https.session(self._ca, {"Accept": "application/json"})
        session.auth = (self.params.username, self.params.password)
        self._session = session
        try:
            self._json("GET", "status/v1/management_vm/")
        except _ApiFailure as exc:
            self.close()
            raise ConnectError(self.host, f"the Pexip management API does not answer: {exc}") from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    # -- HTTP ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, query: dict[str, Any] | None = None,
                 body: dict | None = None) -> requests.Response:
        """``path`` under ``/api/admin/`` (``configuration/v1/conference/``)."""
        if self._session is None:
            raise ConnectError(self.host, "not connected: open() first")
        response = https.request(self._session, self.host, method, f"{https.base_url(self.params)}{API_PREFIX}{path}",
                                 ca=self._ca, timeout=self.params.timeout, device="MCU", what=f"{method} {path}",
                                 params=query, json=body)
        if response.status_code in (401, 403):
            raise AuthenticationError(self.host, f"login as {self.params.username!r} refused "
                                                 f"(HTTP {response.status_code})")
        if response.status_code >= 300:
            detail = _failure(response) if response.status_code >= 400 else \
                f"redirected to {response.headers.get('Location', '?')}"
            raise _ApiFailure(method, path, response.status_code,
                              redact(detail, [self.params.password, self.params.secret]))
        return response

    def _json(self, method: str, path: str, query: dict[str, Any] | None = None, body: dict | None = None) -> Any:
        response = self._request(method, path, query, body)
        if not response.content.strip():
            return {}
        try:
            return response.json()
        except ValueError:
            raise DriverError(self.host, f"{method} {path}: the answer is no JSON") from None

    def _list(self, path: str, query: dict[str, str] | None = None) -> list[dict]:
        """Every object of a list, following ``meta.next`` to the end."""
        objects: list[dict] = []
        page = self._json("GET", path, query)
        for _ in range(100_000):
            if not isinstance(page, dict) or not isinstance(page.get("objects"), list):
                raise DriverError(self.host, f"GET {path}: the answer is not a list (meta, objects)")
            objects += [o for o in page["objects"] if isinstance(o, dict)]
            following = (page.get("meta") or {}).get("next")
            if not following:
                return objects
            parts = urlsplit(following)
            if parts.scheme or parts.netloc or parts.path != API_PREFIX + path:
                raise DriverError(self.host, f"GET {path}: meta.next {following!r} leaves the list")
            page = self._json("GET", path, dict(parse_qsl(parts.query, keep_blank_values=True)))
        raise DriverError(self.host, f"GET {path}: the list does not end")

    # -- reading ---------------------------------------------------------------------------
    def get_facts(self) -> dict:
        try:
            managers = self._list("status/v1/management_vm/")
            nodes = self._list("status/v1/worker_vm/")
        except _ApiFailure as exc:
            raise DriverError(self.host, f"reading the platform status failed: {exc}") from None
        primary = next((m for m in managers if m.get("primary")), managers[0] if managers else {})
        version = str(primary.get("version") or "")
        release = re.match(r"\s*(\d+(?:\.\d+)*)", version)
        now = dt.datetime.now(dt.timezone.utc)
        boots = [b for b in (_when(n.get("boot_time")) for n in nodes) if b is not None]
        uptime = int((now - max(boots)).total_seconds()) if boots else -1
        return {
            "hostname": self.host,
            "vendor": "Pexip",
            "model": "Pexip Infinity",
            "serial": str(primary.get("name") or ""),       # the Management Node's name: Pexip shows no serial
            "serial_number": str(primary.get("name") or ""),
            "software_version": version,
            "os_version": release.group(1) if release else version,
            "uptime": max(uptime, 0) if boots else -1,
            "conferencing_nodes": len([n for n in nodes if n.get("node_type", "CONFERENCING") == "CONFERENCING"]),
        }

    def _read(self, owned: dict[str, set[str]]) -> dict[str, dict[str, _Object]]:
        try:
            return self._read_state(owned)
        except _ApiFailure as exc:
            raise DriverError(self.host, f"reading the configuration failed: {exc}") from None

    def _read_state(self, owned: dict[str, set[str]]) -> dict[str, dict[str, _Object]]:
        state: dict[str, dict[str, _Object]] = {c: {} for c in ORDER}
        for collection in ORDER:
            spec = SPECS[collection]
            for item in self._list(spec.path):
                key = str(item.get("name") or "")
                if not key or not (key in owned[collection] or self._owns_name(key)):
                    continue
                if key in state[collection]:
                    raise ConfigError(self.host, f"the MCU has two or more {collection} named {key!r}: gbtt cannot "
                                                 "tell which is meant; remove the extra ones by hand")
                state[collection][key] = _Object(str(item.get("id")), self._values(spec, item))
        return state

    @staticmethod
    def _values(spec: Spec, item: dict) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, param in spec.params.items():
            value = item.get(name, param.default)
            if param.kind == "enum" and value is None and "" in param.choices:
                value = ""
            values[name] = value
        if spec.nested_aliases:
            aliases = {}
            for a in item.get(ALIASES) or ():
                if isinstance(a, dict) and isinstance(a.get("alias"), str):
                    aliases[_bare(a["alias"])] = (a["alias"], str(a.get("description") or ""))
            values[ALIASES] = tuple(sorted(aliases.values(), key=lambda x: (_bare(x[0]), x)))
        return values

    @staticmethod
    def _doc_of(state: dict[str, dict[str, _Object]]) -> Doc:
        doc = Doc()
        for collection in ORDER:
            for key, obj in state[collection].items():
                doc.objects[collection][key] = dict(obj.values)
        return doc

    def get_config(self) -> str:
        owned = self._doc.keys() if self._doc else {c: set() for c in ORDER}
        return dump(self._doc_of(self._read(owned)))

    # -- changing --------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        try:
            doc = parse(intended)
        except _Invalid as exc:
            raise ConfigError(self.host, f"intended configuration: {exc}") from None
        self._check_scope(doc)
        self._doc = doc
        self.candidate = intended

    def discard(self) -> None:
        super().discard()
        self._doc = None

    def _candidate(self) -> Doc:
        if self._doc is None:
            raise ConfigError(self.host, "no candidate loaded: load_candidate() first")
        return self._doc

    def compare(self) -> str:
        doc = self._candidate()
        return self._diff(plan(self._read(doc.keys()), doc))

    def _diff(self, ops: list[_Op]) -> str:
        if not ops:
            return ""
        lines = [f"--- {self.host} (running)", f"+++ {self.host} (candidate)"]
        label = {"create": " (new)", "delete": " (deleted)", "update": ""}
        for op in sorted(ops, key=lambda o: (ORDER.index(o.collection), o.key)):
            lines.append(f"@@ {op.collection} name={op.key}{label[op.action]} @@")
            for name in sorted((set(op.before) | set(op.after)) - {ALIASES}):
                before, after = op.before.get(name), op.after.get(name)
                if name in op.before and name in op.after and before == after:
                    continue
                if op.action == "create" and after == SPECS[op.collection].params[name].default:
                    continue
                if op.action == "delete" and before == SPECS[op.collection].params[name].default:
                    continue
                if name in op.before:
                    lines.append(f"-  {name}: {_show(name, before)}")
                if name in op.after:
                    lines.append(f"+  {name}: {_show(name, after)}")
            old = {_bare(a): (a, d) for a, d in op.before.get(ALIASES, ())}
            new = {_bare(a): (a, d) for a, d in op.after.get(ALIASES, ())}
            for key in sorted(set(old) | set(new)):
                if old.get(key) == new.get(key):
                    continue
                if key in old:
                    lines.append(f"-  alias: {old[key][0]}" + (f" ({old[key][1]})" if old[key][1] else ""))
                if key in new:
                    lines.append(f"+  alias: {new[key][0]}" + (f" ({new[key][1]})" if new[key][1] else ""))
        return redact("\n".join(lines) + "\n", [self.params.password, self.params.secret])

    def backup(self) -> str:
        owned = self._doc.keys() if self._doc else {c: set() for c in ORDER}
        self._backup = (self._doc_of(self._read(owned)), owned)
        return dump(self._backup[0])

    def commit(self, confirm_timeout: int | None = None) -> None:
        doc = self._candidate()
        owned = doc.keys()
        state = self._read(owned)
        before = self._doc_of(state)
        self._backup = (before, owned)
        self._apply(state, doc, owned, before)

    def confirm(self) -> None:
        """Pexip has no revert timer: nothing to confirm."""

    def rollback(self) -> None:
        if self._backup is None:
            raise DriverError(self.host, "nothing to roll back to: no backup or commit in this session")
        backup, owned_then = self._backup
        owned = {c: owned_then[c] | backup.keys()[c] | (self._doc.keys()[c] if self._doc else set()) for c in ORDER}
        state = self._read(owned)
        self._apply(state, backup, owned, self._doc_of(state))

    # -- writing ---------------------------------------------------------------------------
    def _apply(self, state: dict[str, dict[str, _Object]], desired: Doc, owned: dict[str, set[str]],
               before: Doc) -> None:
        ops = plan(state, desired)
        if not ops:
            return
        done: list[tuple[str, str, str, dict[str, Any]]] = []
        try:
            self._execute(_phases(ops), state, done)
        except (_ApiFailure, DriverError) as exc:
            cause = exc.message if isinstance(exc, DriverError) else str(exc)
            if isinstance(exc, _ApiFailure) and not done:
                raise ConfigError(self.host, f"the MCU refused the change: {cause}; nothing was changed") from None
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"writing failed after {len(done)} change(s): {cause}", restored) from None
        try:
            left = plan(self._read(owned), desired)
        except DriverError as exc:
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"reading back failed: {exc.message}", restored) from None
        if left:
            what = ", ".join(f"{op.collection} {op.key!r} ({', '.join(op.changed())})" for op in left)
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"read back, the MCU differs from the candidate: {what}", restored)

    @staticmethod
    def _payload(values: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
        out = {}
        for name in names if names is not None else list(values):
            value = values.get(name)
            if name == ALIASES:
                value = [{"alias": a, "description": d} for a, d in (value or ())]
            out[name] = value
        return out

    def _execute(self, ops: list[_Op], state: dict[str, dict[str, _Object]], done: list) -> None:
        for op in ops:
            spec = SPECS[op.collection]
            if op.action == "create":
                oid = self._post(spec.path, {"name": op.key, **self._payload(op.after)})
                done.append(("create", op.collection, oid, {}))
            elif op.action == "update":
                obj = state[op.collection][op.key]
                changed = op.changed()
                self._request("PATCH", f"{spec.path}{obj.id}/", body=self._payload(op.after, changed))
                done.append(("update", op.collection, obj.id, {n: obj.values.get(n) for n in changed}))
            else:
                obj = state[op.collection][op.key]
                self._request("DELETE", f"{spec.path}{obj.id}/")
                done.append(("delete", op.collection, obj.id, {"name": op.key, **obj.values}))

    def _post(self, path: str, body: dict) -> str:
        response = self._request("POST", path, body=body)
        location = response.headers.get("Location", "")
        oid = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
        if not oid.isdigit():
            raise DriverError(self.host, f"POST {path}: the MCU gave no Location of the new object")
        return oid

    def _undo(self, done: list, owned: dict[str, set[str]], before: Doc) -> bool:
        """Undo ``done`` (newest first); True when the MCU then matches ``before``."""
        try:
            for action, collection, oid, values in reversed(done):
                path = SPECS[collection].path
                if action == "create":
                    self._request("DELETE", f"{path}{oid}/")
                elif action == "update":
                    self._request("PATCH", f"{path}{oid}/", body=self._payload(values))
                else:
                    self._post(path, self._payload(values))
            return not plan(self._read(owned), before)
        except (_ApiFailure, DriverError):
            return False

    # -- health ----------------------------------------------------------------------------
    def health(self) -> list[Check]:
        try:
            facts = self.get_facts()
            licensing = self._licensing()
        except (_ApiFailure, DriverError) as exc:
            detail = exc.message if isinstance(exc, DriverError) else str(exc)
            return [Check("api", False, detail), Check("licensed", False, "no licensing status")]
        ports = licensing.get("port_total")
        licensed = isinstance(ports, int) and ports > 0
        return [Check("api", True, f"the management API answers (software {facts['software_version'] or '?'})"),
                Check("licensed", licensed, f"{ports} port licences" if licensed else
                      "no port licence: the MCU takes no call (check its licences)")]

    def _licensing(self) -> dict:
        objects = self._list("status/v1/licensing/")
        return objects[0] if objects else {}

    # -- maintenance queries ---------------------------------------------------------------
    def ask(self, query: dict) -> Any:
        """``{"get": "<api>/v1/<resource>/…"}``: one GET of the status, configuration or history
        API (``status/v1/licensing/``, ``configuration/v1/licence/``, ``status/v1/worker_vm/``,
        ``history/v1/participant/?conference_name=x``…), its JSON answer as it is (a list is one
        page: ``meta`` and ``objects``), PINs and passwords ``<redacted>``.  Only those APIs
        (never ``command``), a path of lower-case resource names and ids, the list parameters
        ``limit``, ``offset``, ``order_by`` and Tastypie filters ``<field>[__<lookup>]``;
        anything else is a :class:`ConfigError` before a request is sent.  HTTP 400/404 is a
        ConfigError, other failures DriverErrors."""
        path, params = self._get_path(query)
        try:
            answer = self._json("GET", path, params or None)
        except _ApiFailure as exc:
            kind = ConfigError if exc.status in (400, 404) else DriverError
            raise kind(self.host, f"ask: the MCU answered {exc}") from None
        return _without_secrets(answer) if isinstance(answer, dict) else {"objects": _without_secrets(answer)}

    def _get_path(self, query: Any) -> tuple[str, dict[str, str]]:
        usage = ('pexip_infinity answers {get: "<status|configuration|history>/v1/<resource>/"}, e.g. '
                 '{get: "status/v1/licensing/"}')
        if not isinstance(query, dict) or set(query) != {"get"} or not isinstance(query["get"], str):
            raise ConfigError(self.host, f"ask {_short(repr(query))}: {usage}; the maintenance only reads")
        text = query["get"].strip()
        path, mark, rest = text.partition("?")
        path = path.lstrip("/")
        if path and not path.endswith("/"):
            path += "/"
        if path.startswith("command/"):
            raise ConfigError(self.host, f"ask: {_short(text)!r}: the command API changes the MCU; the maintenance "
                                         "only reads")
        if not _ASK_PATH.match(path):
            raise ConfigError(self.host, f"ask: {_short(text)!r} is not a path under /api/admin/ of the status, "
                                         "configuration or history API: give <api>/v1/<resource>/[<id>/] (lower-case "
                                         "resource names, no .., no host, no /api/admin prefix)")
        params: dict[str, str] = {}
        if mark:
            try:
                pairs = parse_qsl(rest, keep_blank_values=True, strict_parsing=True)
            except ValueError:
                raise ConfigError(self.host, f"ask: {_short(text)!r}: the query string is not name=value&…") from None
            for name, value in pairs:
                if name in params:
                    raise ConfigError(self.host, f"ask: {_short(text)!r}: {name!r} is given twice")
                if name not in ("limit", "offset", "order_by") and not _ASK_PARAM.match(name):
                    raise ConfigError(self.host, f"ask: {_short(text)!r}: {name!r} is not a list parameter (limit, "
                                                 "offset, order_by) or a filter <field>[__<lookup>]")
                if (name in ("limit", "offset") and not value.isdigit()) or \
                        any(not ch.isprintable() for ch in value):
                    raise ConfigError(self.host, f"ask: {_short(text)!r}: {name} has a bad value")
                params[name] = value
        return path, params

    # -- call control ----------------------------------------------------------------------
    def call_up(self, space: str, remote: str, bandwidth_kbps: int) -> dict:
        """Make sure the VMR ``space`` (of this scope) has a connected participant dialled to
        ``remote``: one already connected is left alone (``changed`` False, no write); one not
        yet connected is disconnected; then ``remote`` is dialled through the Call Routing Rules.
        Returns ``{"changed", "leg" (the participant id), "state" ("connected" or
        "disconnected"), "reason" (why not connected: the history's disconnect reason)}``; a
        VMR that does not exist, or is not this scope's, is a ConfigError.  Pexip's dial command
        takes no call rate: ``bandwidth_kbps`` is checked, the VMR's ``max_callrate_out`` (capped
        by the rule's) sets the rate."""
        if not isinstance(remote, str) or not remote.strip() or any(ch in remote for ch in "\r\n\0"):
            raise ConfigError(self.host, f"call_up {space}: the remote party must be one line of text")
        if isinstance(bandwidth_kbps, bool) or not isinstance(bandwidth_kbps, int) or bandwidth_kbps < 64:
            raise ConfigError(self.host, f"call_up {space}: bandwidth_kbps must be a whole number of 64 or more")
        remote = remote.strip()
        with self._api(f"call_up {space} to {remote}"):
            vmr = self._space(space, owned=True)
            if vmr is None:
                raise ConfigError(self.host, f"call_up: conference {space!r} does not exist on the MCU: deploy it "
                                             "first")
            aliases = [a["alias"] for a in vmr.get(ALIASES) or () if isinstance(a, dict) and a.get("alias")]
            if not aliases:
                raise ConfigError(self.host, f"call_up: conference {space!r} has no alias to dial out from")
            alias = next((a for a in aliases if "@" not in a), aliases[0])
            legs = [leg for leg in self.calls(space) if leg["direction"] == "outgoing"
                    and _bare(leg["remote"]) == _bare(remote)]
            for leg in legs:
                if leg["state"] == "connected":
                    return {"changed": False, "leg": leg["id"], "state": "connected", "reason": None}
            for leg in legs:
                self._command("participant/disconnect", {"participant_id": leg["id"]}, missing_ok=True)
            answer = self._command("participant/dial", {
                "conference_alias": alias, "destination": remote, "routing": "routing_rule", "role": "guest",
                "protocol": "sip", "call_type": "video", "keep_conference_alive": "keep_conference_alive",
                "remote_display_name": remote})
            pid = (answer.get("data") or {}).get("participant_id") if isinstance(answer, dict) else None
            if not isinstance(pid, str) or not pid:
                raise DriverError(self.host, f"call_up {space}: the dial command gave no participant_id")
            return {"changed": True, **self._dialled(pid)}

    def calls(self, space: str) -> list[dict]:
        """The participants of the conference running in the VMR ``space`` (any VMR: this only
        reads): ``[{"id", "remote" (the dialled alias of an outgoing participant, the caller's of
        an incoming one), "direction", "state" ("connected" once it has media, else
        "connecting"), "reason" (None), "bandwidth" (kbit/s)}]``; [] when no conference runs."""
        with self._api(f"calls {space}"):
            running = [c for c in self._list("status/v1/conference/", {"name": space}) if c.get("name") == space]
            if not running:
                return []
            return [self._leg(p) for p in self._list("status/v1/participant/", {"conference": space})
                    if p.get("conference") == space]

    def call_down(self, space: str) -> bool:
        """End the conference running in the VMR ``space`` of this scope
        (``command/v1/conference/disconnect/``: every participant leaves); True when one ran."""
        with self._api(f"call_down {space}"):
            if not self._owns_name(space):
                raise ConfigError(self.host, f"conference {space!r} is not gbtt's in the scope of "
                                             f"{self._scope_label()}: gbtt controls only the calls of its own "
                                             "conferences")
            ended = False
            for conf in self._list("status/v1/conference/", {"name": space}):
                if conf.get("name") == space and conf.get("id"):
                    ended = self._command("conference/disconnect", {"conference_id": conf["id"]},
                                          missing_ok=True) is not None or ended
            return ended

    @contextmanager
    def _api(self, what: str) -> Iterator[None]:
        try:
            yield
        except _ApiFailure as exc:
            kind = ConfigError if exc.status == 400 else DriverError
            raise kind(self.host, redact(f"{what}: the MCU answered {exc}", [self.params.password])) from None

    def _space(self, name: str, owned: bool) -> dict | None:
        if owned and not self._owns_name(name):
            raise ConfigError(self.host, f"conference {name!r} is not gbtt's in the scope of {self._scope_label()}: "
                                         "gbtt controls only the calls of its own conferences")
        found = [c for c in self._list("configuration/v1/conference/", {"name": name}) if c.get("name") == name]
        if len(found) > 1:
            raise ConfigError(self.host, f"the MCU has {len(found)} conferences named {name!r}")
        return found[0] if found else None

    def _command(self, name: str, body: dict, missing_ok: bool = False) -> dict | None:
        """POST a command; None when ``missing_ok`` and the participant or conference is gone."""
        try:
            answer = self._json("POST", f"command/v1/{name}/", body=body)
        except _ApiFailure as exc:
            if missing_ok and exc.status == 404:
                return None
            raise
        if isinstance(answer, dict) and answer.get("status") not in (None, "success"):
            raise _ApiFailure("POST", f"command/v1/{name}/", 200, str(answer.get("reason") or answer))
        return answer if isinstance(answer, dict) else {}

    @staticmethod
    def _leg(p: dict) -> dict:
        outgoing = p.get("call_direction") == "out"
        bandwidth = p.get("bandwidth")
        return {"id": str(p.get("id")),
                "remote": str((p.get("destination_alias") if outgoing else p.get("source_alias")) or ""),
                "direction": "outgoing" if outgoing else "incoming",
                "state": "connected" if p.get("has_media", True) else "connecting", "reason": None,
                "bandwidth": bandwidth if isinstance(bandwidth, int) and not isinstance(bandwidth, bool) else None}

    def _dialled(self, pid: str) -> dict:
        """``leg``, ``state`` and ``reason`` of the participant just dialled, once it has media
        or has gone (then the history says why), or the driver's timeout has passed."""
        deadline = time.monotonic() + self.params.timeout
        while True:
            try:
                participant = self._json("GET", f"status/v1/participant/{pid}/")
            except _ApiFailure as exc:
                if exc.status != 404:
                    raise
                return {"leg": pid, "state": "disconnected", "reason": self._history_reason(pid)}
            if participant.get("has_media"):
                return {"leg": pid, "state": "connected", "reason": None}
            if time.monotonic() >= deadline:
                return {"leg": pid, "state": "disconnected",
                        "reason": f"not connected after {self.params.timeout} s"}
            time.sleep(DIAL_POLL_SECONDS)

    def _history_reason(self, pid: str) -> str:
        try:
            record = self._json("GET", f"history/v1/participant/{pid}/")
        except _ApiFailure as exc:
            if exc.status != 404:
                raise
            return "the MCU dropped the participant"
        return str(record.get("disconnect_reason") or "disconnected")
