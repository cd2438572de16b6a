"""The simulated Pexip Infinity of the embedded lab: the management API of a Management Node.

A :class:`PexipMcu` answers the Pexip Infinity management API (``/api/admin/…``) the way a
Management Node does, so that the Pexip driver, the MCU role and the interconnect and meeting
jobs can be developed and tested against the lab.  The lab core serves it over HTTPS with
basic auth; this module turns an :class:`HttpRequest` into an :class:`HttpResponse`.  JSON in
and out, Tastypie-style: lists are ``{"meta": {"limit", "next", "offset", "previous",
"total_count"}, "objects": […]}``, 20 objects a page unless ``limit`` asks otherwise (at most
:attr:`PexipMcu.page_max`), ``next``/``previous`` relative URLs or null; a POST creates (201,
``Location``), PATCH changes (202), DELETE removes (204); paths end with ``/`` (a path without
it is redirected, 301, as Django's ``APPEND_SLASH`` does).

What is simulated
-----------------
* Configuration (``/api/admin/configuration/v1/``), with integer ids and ``resource_uri``:

  - ``conference/`` (Virtual Meeting Rooms and the other services): ``name`` (unique),
    ``service_type`` (``conference``, ``lecture``, ``two_stage_dialing``, ``test_call``,
    ``media_playback``), ``description``, ``pin``/``guest_pin`` (4–20 digits, an optional
    final ``#``; a guest PIN needs ``allow_guests`` and a host PIN, and differs from it),
    ``allow_guests``, ``participant_limit`` (0–1000000 or null), ``max_callrate_in``/``_out``
    (bit/s, 128000–8192000, or null), ``mute_all_guests``, ``guests_can_present``,
    ``host_view``/``guest_view`` (the layouts), ``tag``, ``enable_chat``,
    ``enable_overlay_text``, ``call_type``, ``crypto_mode``, and ``aliases``: the nested list
    of the VMR's aliases (``[{"alias", "description"}]``; given on a POST or PATCH it replaces
    the VMR's aliases).  Deleting a VMR deletes its aliases; a conference already running in it
    goes on (configuration applies to the next conference, as on Pexip).
  - ``conference_alias/``: ``alias`` (unique across every service, compared without case),
    ``conference`` (the URI of its service), ``description``.
  - ``gateway_routing_rule/`` (Call Routing Rules): ``name``, ``priority`` (1–200, required),
    ``match_string`` (a Python regular expression, required), ``replace_string``, ``enable``,
    ``match_incoming_calls``, ``match_outgoing_calls``, ``match_incoming_sip``/``h323``/
    ``mssip``/``webrtc``/``teams``, ``match_incoming_only_if_registered``,
    ``called_device_type``, ``outgoing_protocol``, ``call_type``, ``crypto_mode``,
    ``max_callrate_in``/``_out``, ``treat_as_trusted``, ``description``, ``tag``.
  - ``licence/`` (read only): the licence entitlements, with ``entitlement_id``,
    ``license_type`` (``port``, ``audio``, ``system``), ``concurrent``, ``start_date`` and
    ``expiration_date`` (``31-dec-2030`` or ``permanent``) among the fields of the API.

  Values are checked by type, enumeration and range; an unknown field is refused (a real
  Management Node ignores it: the lab is stricter on purpose).  A refusal is HTTP 400 with the
  Tastypie error shape ``{"<resource>": {"<field>": ["message"]}}`` (nested aliases:
  ``{"conference": {"aliases": [{"alias": ["…"]}]}}``).  Filters on lists: ``<field>``,
  ``<field>__startswith``, ``__istartswith``, ``__contains``, ``__icontains``, ``__iexact``
  for the documented fields of each resource (``name``, ``service_type``, ``tag``, ``alias``,
  ``conference``…), and ``order_by``; another filter is a 400 ``{"error": …}``.
* Status (``/api/admin/status/v1/``), read only:

  - ``conference/``: the conferences in progress (a UUID ``id``, ``name`` = the service's name,
    ``service_type``, ``is_locked``, ``is_started``, ``guests_muted``, ``start_time``, ``tag``).
  - ``participant/``: the participants in them (``id``, ``conference`` = its name,
    ``display_name``, ``destination_alias``, ``source_alias``, ``call_direction`` ``in``/``out``,
    ``protocol``, ``role`` ``chair``/``guest``, ``bandwidth`` kbit/s, ``connect_time``,
    ``has_media``, ``is_muted``, ``remote_address``, ``license_type``…); filters
    ``conference``, ``call_direction``, ``role``.
  - ``licensing/``: ``port_count``/``port_total``, ``audio_count``/``audio_total``,
    ``system_count``/``system_total`` and the other counters of the API (0 here).
  - ``worker_vm/`` (two Conferencing Nodes), ``management_vm/``, ``system_location/``,
    ``alarm/`` (empty): versions (``35.1 (build 81267)``: the registry's baseline unless
    ``drift version`` changed it), ``boot_time``, ``max_hd_calls``, ``media_load``…
* History (``/api/admin/history/v1/``), read only: ``conference/`` (each conference that
  ended: ``name``, ``start_time``, ``end_time``, ``duration``, ``participant_count``) and
  ``participant/`` (each participant that left, or a dial-out that failed: its status fields,
  ``end_time``, ``duration`` and ``disconnect_reason``); a participant keeps its id in the
  history.  The 200 newest of each are kept (a Management Node keeps 10000).
* Commands (``/api/admin/command/v1/``, POST, JSON): ``participant/dial``
  (``conference_alias``, ``destination``, ``routing`` ``manual``/``routing_rule``,
  ``protocol``, ``role``, ``call_type``, ``remote_display_name``, ``keep_conference_alive``…;
  answers ``{"status": "success", "data": {"participant_id": …, "participant_ids": […]}}``),
  ``participant/disconnect``, ``participant/mute``, ``participant/unmute``,
  ``conference/disconnect``, ``conference/lock``, ``conference/unlock``,
  ``conference/mute_guests``, ``conference/unmute_guests``.  A failure is
  ``{"status": "failed", "reason": …}`` (400; 404 for an unknown id).
* Calls.  A dial-out joins the conference of the alias (started for it when none runs).  With
  ``routing: routing_rule`` the enabled rules with ``match_outgoing_calls`` whose
  ``match_string`` matches the whole destination are tried by ``priority`` (lowest first), each
  with its ``replace_string`` (``\\1`` groups); with ``manual`` the destination is called as it
  is.  The destination's host part (``sip:``, ``;parameters`` and ``:port`` dropped; else the
  user part) is looked up in the lab:

  - a codec gets ``incoming_call(<conference alias>@<this MCU's address>, kbit/s)`` and the
    participant is connected at once (``has_media``), at the lowest of the VMR's and the rule's
    ``max_callrate_out`` (4128 kbit/s without either);
  - another lab MCU (a Cisco Meeting Server or another Pexip) is offered the call
    (``incoming_cascade``): connected when it takes it;
  - otherwise the participant fails at once and is only in the history, with
    ``disconnect_reason`` ``No matching Call Routing Rule``, ``Call failed: <host> not
    reachable`` or ``Call rejected: <why>``.

  An incoming cascade call (:meth:`PexipMcu.incoming_cascade`) reaches the service one of whose
  aliases is the dialled ``user@domain`` (compared without case; Pexip matches the whole
  alias), and joins its conference as a ``chair`` (Host: the lab's VMRs have no PIN), with
  ``source_alias`` the caller's URI.  Refused (:class:`~gbtt.lab.device.CallRefused`):
  ``unknownDestination`` without such an alias (or a service that is not a VMR or Virtual
  Auditorium), ``callRejected`` when the conference is locked, at the VMR's
  ``participant_limit`` or out of port licences.  Guests join muted when the conference's
  guests are muted (``mute_all_guests`` starts it so).  Hanging up (``participant/disconnect``,
  ``conference/disconnect``, the ``reboot`` fault) ends the codec's call (``end_call``) or the
  other MCU's leg (``peer_hung_up``); the other MCU hanging up removes the participant here
  (``Call disconnected``).  A conference ends with its last participant.  Every dial, answer,
  refusal and hang-up is a ``dial`` entry of the lab's request log.  Conferences and
  participants are part of the state: they outlast ``gbtt lab down``/``up``.
* Licences: every connected video participant takes a port licence (audio-only ones an audio
  licence); at ``port_total`` new calls are refused.  An entitlement whose expiration date has
  passed counts no more.
* Faults: ``reboot`` ends every conference (the Conferencing Nodes boot again; the
  configuration stays); ``drift`` changes the configuration out of band (``conference <name>
  <field> <value>``, ``conference <name> delete``, the same for ``gateway_routing_rule``), a
  licence (``licence port concurrent 5``, ``licence port expiry 10-jan-2027``) or the software
  (``version 34.2``; ``version baseline``).  The TLS certificate is the lab core's (``badcert``).

What is not
-----------
Media, SIP and H.323 signalling (a call connects or fails at once: no ringing), PIN entry and
the Host/Guest split of incoming calls (callers are Hosts), Virtual Receptions,
Automatically Dialed Participants, scheduled conferences, end users, devices, registrations,
system locations and Conferencing Nodes as configuration, SIP proxies, gatekeepers and the
``registration``/Teams/Google Meet/Skype call targets of Call Routing Rules (a call routed to
them fails), incoming gateway calls (a call to an alias no service has is refused, whatever
the rules), themes, event sinks, the ``schema`` resources, OAuth, the 1000-requests-a-minute
rate limit, backups, upgrades and the Administrator web interface.  Filters are the
simplest Tastypie lookups listed above.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar
from urllib.parse import urlencode

from gbtt.lab.device import CallRefused, Device, Facts, HttpRequest, HttpResponse, Lab

#: namespace of the UUIDs the simulated Management Nodes make (uuid5 of host and counter)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gbtt.invalid/lab/pexip_infinity")

API_PREFIX = "/api/admin/"
CONFIG = "configuration/v1"
DEFAULT_CALLRATE_KBPS = 4128      # a dial-out's rate without a VMR or rule cap
HISTORY_KEPT = 200                # newest history records kept per resource
BUILD = "81267"                   # the build number the lab's versions carry
LICENCE_EXPIRY = "31-dec-2030"    # FlexNet's date form, as the licence page shows it
#: the factory entitlements: type -> concurrent licences
FACTORY_LICENCES = {"port": 50, "audio": 20, "system": 2}
#: each Conferencing Node's capacity (a 4-core node: about 10 HD calls per 2 cores, as Pexip sizes it)
NODE_CAPACITY = {"max_hd_calls": 40, "max_sd_calls": 80, "max_full_hd_calls": 20, "max_audio_calls": 300}

_LAYOUTS = ("one_main_zero_pips", "one_main_seven_pips", "one_main_twentyone_pips", "two_mains_twentyone_pips",
            "four_mains_zero_pips", "nine_mains_zero_pips", "sixteen_mains_zero_pips", "twentyfive_mains_zero_pips",
            "five_mains_seven_pips", "one_main_thirtythree_pips", "ac", "teams")
_PIN = re.compile(r"^\d{4,20}#?$")


# =========================================================================================
# Fields
# =========================================================================================

@dataclass(frozen=True)
class Field:
    """One field of a configuration resource: how its value is checked."""

    kind: str = "text"              # text | bool | int | enum | pin | regex | uri | aliases
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    required: bool = False
    default: Any = ""
    max_length: int = 250
    ref: str = ""                   # kind uri: the resource it points into


TEXT = Field()


def _enum(*choices: str, default: str | None = None, nullable: bool = False) -> Field:
    return Field("enum", choices, default=choices[0] if default is None else default, nullable=nullable)


def _bool(default: bool) -> Field:
    return Field("bool", default=default)


def _rate() -> Field:
    return Field("int", minimum=128_000, maximum=8_192_000, nullable=True, default=None)


CONFERENCE_FIELDS: dict[str, Field] = {
    "name": Field(required=True, default=None),
    "service_type": _enum("conference", "lecture", "two_stage_dialing", "test_call", "media_playback"),
    "description": TEXT,
    "pin": Field("pin", max_length=21),
    "guest_pin": Field("pin", max_length=21),
    "allow_guests": _bool(False),
    "participant_limit": Field("int", minimum=0, maximum=1_000_000, nullable=True, default=None),
    "max_callrate_in": _rate(),
    "max_callrate_out": _rate(),
    "mute_all_guests": _bool(False),
    "guests_can_present": _bool(True),
    "host_view": _enum(*_LAYOUTS, default="one_main_seven_pips"),
    "guest_view": _enum(*_LAYOUTS, default="one_main_seven_pips"),
    "tag": TEXT,
    "enable_chat": _enum("default", "yes", "no"),
    "enable_overlay_text": _bool(False),
    "call_type": _enum("video", "video-only", "audio"),
    "crypto_mode": _enum("besteffort", "on", "off", default="", nullable=True),
    "aliases": Field("aliases", default=()),
}

ALIAS_FIELDS: dict[str, Field] = {
    "alias": Field(required=True, default=None),
    "conference": Field("uri", required=True, default=None, ref="conference"),
    "description": TEXT,
}

RULE_FIELDS: dict[str, Field] = {
    "name": Field(required=True, default=None),
    "priority": Field("int", minimum=1, maximum=200, required=True, default=None),
    "match_string": Field("regex", required=True, default=None),
    "replace_string": TEXT,
    "enable": _bool(True),
    "match_incoming_calls": _bool(True),
    "match_outgoing_calls": _bool(False),
    "match_incoming_sip": _bool(True),
    "match_incoming_h323": _bool(True),
    "match_incoming_mssip": _bool(True),
    "match_incoming_webrtc": _bool(True),
    "match_incoming_teams": _bool(True),
    "match_incoming_only_if_registered": _bool(False),
    "called_device_type": _enum("external", "registration", "mssip_conference_id", "mssip_server",
                                "gms_conference", "teams_conference", "telehealth_profile"),
    "outgoing_protocol": _enum("sip", "h323", "mssip", "rtmp", "gms", "teams"),
    "call_type": _enum("video", "video-only", "audio", "auto"),
    "crypto_mode": _enum("besteffort", "on", "off", default="", nullable=True),
    "max_callrate_in": _rate(),
    "max_callrate_out": _rate(),
    "treat_as_trusted": _bool(False),
    "description": TEXT,
    "tag": TEXT,
}

#: configuration resources: fields, filterable fields, what may order a list
RESOURCES: dict[str, dict[str, Field]] = {"conference": CONFERENCE_FIELDS, "conference_alias": ALIAS_FIELDS,
                                          "gateway_routing_rule": RULE_FIELDS}
_FILTERS = {
    "conference": ("name", "service_type", "tag", "description"),
    "conference_alias": ("alias", "conference", "description"),
    "gateway_routing_rule": ("name", "priority", "enable", "tag"),
    "licence": ("license_type", "entitlement_id"),
    "status/conference": ("name", "service_type", "tag"),
    "status/participant": ("conference", "call_direction", "role", "display_name", "protocol"),
    "status/worker_vm": ("name", "system_location"),
    "status/management_vm": ("name",),
    "status/system_location": ("name",),
    "status/alarm": ("name", "level"),
    "history/conference": ("name", "service_type", "tag"),
    "history/participant": ("conference_name", "call_direction", "role", "display_name", "disconnect_reason"),
}
_LOOKUPS = ("", "exact", "iexact", "startswith", "istartswith", "contains", "icontains")
_LIST_PARAMS = ("limit", "offset", "order_by", "format")


class ApiError(Exception):
    """A request the Management Node refuses: ``body`` is its JSON answer."""

    def __init__(self, status: int, body: Any = None):
        super().__init__(json.dumps(body) if body is not None else str(status))
        self.status = status
        self.body = body

    @classmethod
    def field(cls, resource: str, name: str, message: str) -> ApiError:
        return cls(400, {resource: {name: [message]}})

    def response(self) -> HttpResponse:
        if self.body is None:
            return HttpResponse(self.status, "", content_type="text/html; charset=utf-8")
        return _json(self.body, self.status)


class _Refused(CallRefused):
    """The simulated Pexip turned an incoming cascade call down."""


def _json(data: Any, status: int = 200, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(status, json.dumps(data, ensure_ascii=False, indent=1) + "\n", headers or {},
                        "application/json; charset=utf-8")


def _now() -> str:
    """A date and time as the API gives them: UTC, ISO 8601 without an offset."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def split_uri(uri: str) -> tuple[str, str]:
    """``(user, host)`` of a dial string: a ``sip:``/``sips:``/``h323:``/``tel:`` scheme,
    ``;parameters`` and a ``:port`` dropped; without ``@`` it is all host (user "")."""
    text = uri.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("sip", "sips", "h323", "tel"):
        text = rest
    user, _, host = text.split(";", 1)[0].rpartition("@")
    bare, colon, port = host.rpartition(":")
    if colon and port.isdigit() and ":" not in bare:
        host = bare
    return user, host


def _bare(alias: str) -> str:
    """An alias as Pexip matches it: without a URI scheme, compared without case."""
    text = alias.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("sip", "sips", "h323"):
        text = rest
    return text.split(";", 1)[0].casefold()


def _licence_date(text: str) -> datetime | None:
    """``31-dec-2030`` (FlexNet's form) or ISO; None for ``permanent`` or what cannot be read."""
    for fmt in ("%d-%b-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return None


# =========================================================================================
# The device
# =========================================================================================

class PexipMcu(Device):
    """A Pexip Infinity Management Node (with its Conferencing Nodes) answering its API."""

    platform: ClassVar[str] = "pexip_infinity"
    protocol: ClassVar[str] = "https"
    cascades: ClassVar[bool] = True
    page_default: ClassVar[int] = 20
    page_max: ClassVar[int] = 10_000

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        super().__init__(facts, lab, state)
        self.node_boot = time.time()        # the Conferencing Nodes' boot (wall clock, for boot_time)

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        """No services, no rules; the licences of a district platform."""
        licences = [{"license_type": kind, "concurrent": count, "expiration_date": LICENCE_EXPIRY,
                     "start_date": "1-jan-2024",
                     "entitlement_id": str(uuid.uuid5(_NAMESPACE, f"{facts.host}/licence/{kind}")).upper()}
                    for kind, count in FACTORY_LICENCES.items()]
        return {"nextId": {name: 0 for name in RESOURCES}, "counter": 0,
                **{name: {} for name in RESOURCES}, "licences": licences, "system": {},
                "conferences": {}, "participants": {}, "history": {"conference": [], "participant": []}}

    def software_version(self) -> str:
        return self.state["system"].get("version") or self.facts.software or ""

    def reboot(self) -> None:
        """Every conference ends (the codecs and the other MCUs see their calls go); the
        configuration stays."""
        for pid in list(self.state["participants"]):
            if pid in self.state["participants"]:
                self._leave(pid, "Conferencing Node restarted", notify=True)
        self.node_boot = time.time()
        super().reboot()

    def drift(self, args: list[str]) -> str:
        """Change the platform out of band, as an administrator would:

        * ``conference|gateway_routing_rule <id|name> <field> <value>`` (JSON values are read as
          JSON: ``true``, ``12``, ``null``; else text), ``… <id|name> delete``;
        * ``licence <port|audio|system> concurrent <n>`` or ``expiry <31-dec-2030|permanent>``;
        * ``version <version>``, ``version baseline``.
        """
        usage = ("drift: conference|gateway_routing_rule <id|name> <field> <value> | … <id|name> delete | "
                 "licence <type> concurrent <n> | licence <type> expiry <date> | version <version|baseline>")
        if len(args) == 2 and args[0] == "version":
            before = self.software_version()
            if args[1] == "baseline":
                self.state["system"].pop("version", None)
            elif not re.fullmatch(r"\d+(\.\d+)*", args[1]):
                raise ValueError(f"drift: version {args[1]!r}: give a version such as 34.2, or baseline")
            else:
                self.state["system"]["version"] = args[1]
            return f"version {before!r} -> {self.software_version()!r}"
        if len(args) == 4 and args[0] in ("licence", "license"):
            entry = next((e for e in self.state["licences"] if e["license_type"] == args[1]), None)
            if entry is None or args[2] not in ("concurrent", "expiry"):
                raise ValueError(usage)
            if args[2] == "concurrent":
                if not args[3].isdigit():
                    raise ValueError("drift: licence … concurrent <number>")
                entry["concurrent"] = int(args[3])
            else:
                if args[3] != "permanent" and _licence_date(args[3]) is None:
                    raise ValueError("drift: licence … expiry <31-dec-2030|2030-12-31|permanent>")
                entry["expiration_date"] = args[3]
            return f"licence {args[1]}: {args[2]} {args[3]}"
        if len(args) < 3 or args[0] not in ("conference", "gateway_routing_rule") or \
                (len(args) == 3 and args[2] != "delete") or len(args) > 4:
            raise ValueError(usage)
        resource = args[0]
        oid = self._select(resource, args[1])
        label = f"{resource} {self.state[resource][oid]['name']}"
        if len(args) == 3:
            self._delete(resource, oid)
            return f"deleted {label}"
        try:
            value = json.loads(args[3])
        except ValueError:
            value = args[3]
        try:
            self._write(resource, {args[2]: value}, oid)
        except ApiError as err:
            raise ValueError(f"drift: {label}: {err}") from err
        return f"{label}: {args[2]} -> {value!r}"

    def _select(self, resource: str, key: str) -> str:
        objects = self.state[resource]
        if key in objects:
            return key
        found = [oid for oid, obj in objects.items() if obj.get("name") == key]
        if len(found) != 1:
            raise ValueError(f"drift: {len(found) or 'no'} {resource} named {key!r}")
        return found[0]

    # -- HTTP ---------------------------------------------------------------------------
    async def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if not path.startswith(API_PREFIX):
            return HttpResponse(404, "", content_type="text/html; charset=utf-8")
        if not path.endswith("/"):
            query = f"?{urlencode(request.query)}" if request.query else ""
            return HttpResponse(301, "", {"Location": path + "/" + query}, "text/html; charset=utf-8")
        parts = path[len(API_PREFIX):].strip("/").split("/")
        try:
            if len(parts) < 3 or parts[1] != "v1" or parts[0] not in ("configuration", "status", "history",
                                                                      "command"):
                raise ApiError(404)
            family, rest = parts[0], parts[2:]
            if family == "command":
                return self._command(request, rest)
            if family == "configuration":
                return self._configuration(request, rest)
            return self._read_only(request, family, rest)
        except ApiError as err:
            if request.method != "GET":
                self.lab.log(self.facts.host, "api", f"{request.method} {path}: HTTP {err.status} {err}")
            return err.response()

    def _body(self, request: HttpRequest, resource: str) -> dict:
        if not request.body.strip():
            return {}
        try:
            data = json.loads(request.body)
        except ValueError:
            raise ApiError(400, {"error": "The request body is not valid JSON."}) from None
        if not isinstance(data, dict):
            raise ApiError(400, {"error": f"The {resource} must be given as a JSON object."})
        return data

    # -- configuration ------------------------------------------------------------------
    def _configuration(self, request: HttpRequest, rest: list[str]) -> HttpResponse:
        resource = rest[0]
        if resource == "licence":
            return self._licences(request, rest[1:])
        if resource not in RESOURCES or len(rest) > 2:
            raise ApiError(404)
        if len(rest) == 1:
            if request.method == "GET":
                return self._list(request, resource, list(self.state[resource]),
                                  lambda oid: self._object(resource, oid))
            if request.method != "POST":
                raise ApiError(405)
            data = self._body(request, resource)
            oid = self._write(resource, data, None)
            self.lab.log(self.facts.host, "api", f"POST {request.path} {sorted(data)}: 201 {self._uri(resource, oid)}")
            return HttpResponse(201, "", {"Location": self._uri(resource, oid)}, "text/html; charset=utf-8")
        oid = rest[1]
        if oid not in self.state[resource]:
            raise ApiError(404)
        if request.method == "GET":
            self._check_query(request.query, ("format",))
            return _json(self._object(resource, oid))
        if request.method in ("PATCH", "PUT"):
            data = self._body(request, resource)
            self._write(resource, data, oid, replace=request.method == "PUT")
            self.lab.log(self.facts.host, "api", f"{request.method} {request.path} {sorted(data)}: 202")
            return HttpResponse(202, "", content_type="text/html; charset=utf-8")
        if request.method == "DELETE":
            self._delete(resource, oid)
            self.lab.log(self.facts.host, "api", f"DELETE {request.path}: 204")
            return HttpResponse(204, "", content_type="text/html; charset=utf-8")
        raise ApiError(405)

    def _uri(self, resource: str, oid: str) -> str:
        return f"{API_PREFIX}{CONFIG}/{resource}/{oid}/"

    def _object(self, resource: str, oid: str) -> dict:
        obj = dict(self.state[resource][oid])
        if resource == "conference":
            obj["aliases"] = [self._object("conference_alias", aid) for aid in self._aliases_of(oid)]
            obj["automatic_participants"] = []
        return {**obj, "id": int(oid), "resource_uri": self._uri(resource, oid)}

    def _aliases_of(self, conference_id: str) -> list[str]:
        uri = self._uri("conference", conference_id)
        return [aid for aid, alias in self.state["conference_alias"].items() if alias["conference"] == uri]

    def _value(self, resource: str, name: str, spec: Field, raw: Any) -> Any:
        """The stored form of one value, or an ApiError naming the field."""
        def bad(message: str) -> ApiError:
            return ApiError.field(resource, name, message)
        if raw is None:
            if spec.nullable:
                return None
            raise bad("This field cannot be null.")
        if spec.kind == "bool":
            if not isinstance(raw, bool):
                raise bad(f"'{raw}' is not a valid boolean value.")
            return raw
        if spec.kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int):
                if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
                    raw = int(raw)
                else:
                    raise bad("Enter a whole number.")
            if spec.minimum is not None and raw < spec.minimum:
                raise bad(f"Ensure this value is greater than or equal to {spec.minimum}.")
            if spec.maximum is not None and raw > spec.maximum:
                raise bad(f"Ensure this value is less than or equal to {spec.maximum}.")
            return raw
        if not isinstance(raw, str):
            raise bad("This field must be text.")
        if spec.kind == "enum":
            if raw not in spec.choices and not (spec.nullable and raw == ""):
                raise bad(f"Select a valid choice. {raw} is not one of the available choices.")
            return raw
        if len(raw) > spec.max_length:
            raise bad(f"Ensure this value has at most {spec.max_length} characters (it has {len(raw)}).")
        if any(ch in raw for ch in "\r\n\0"):
            raise bad("This field must be one line of text.")
        if spec.kind == "pin" and raw and not _PIN.match(raw):
            raise bad("A PIN is 4 to 20 digits, optionally followed by #.")
        if spec.kind == "regex":
            try:
                re.compile(raw)
            except re.error as exc:
                raise bad(f"Invalid regular expression: {exc}.") from None
        if spec.required and not raw.strip():
            raise bad("This field is required.")
        return raw

    def _write(self, resource: str, data: dict, oid: str | None, replace: bool = False) -> str:
        """Create (``oid`` None) or change an object; an ApiError changes nothing."""
        fields = RESOURCES[resource]
        for name in data:
            if name not in fields and name not in ("id", "resource_uri", "creation_time", "automatic_participants"):
                raise ApiError.field(resource, name, "Unknown field.")
        current = self.state[resource].get(oid, {}) if oid else {}
        values: dict[str, Any] = {}
        for name, spec in fields.items():
            if spec.kind == "aliases":
                continue
            if name in data:
                values[name] = self._value(resource, name, spec, data[name])
            elif oid is not None and not replace:
                values[name] = current[name]
            elif spec.required:
                raise ApiError.field(resource, name, "This field is required.")
            else:
                values[name] = spec.default
        aliases = self._new_aliases(data["aliases"], oid) if "aliases" in data else None
        self._validate(resource, values, oid)
        if oid is None:
            self.state["nextId"][resource] += 1
            oid = str(self.state["nextId"][resource])
            values["creation_time"] = _now()
        else:
            values["creation_time"] = current.get("creation_time", _now())
        self.state[resource][oid] = values
        if aliases is not None:
            for aid in self._aliases_of(oid):
                del self.state["conference_alias"][aid]
            for alias in aliases:
                self.state["nextId"]["conference_alias"] += 1
                self.state["conference_alias"][str(self.state["nextId"]["conference_alias"])] = {
                    **alias, "conference": self._uri("conference", oid), "creation_time": _now()}
        return oid

    def _new_aliases(self, raw: Any, oid: str | None) -> list[dict]:
        """A conference's nested ``aliases``, checked: unique, and not another service's."""
        if not isinstance(raw, list):
            raise ApiError.field("conference", "aliases", "Give a list of aliases.")
        out, seen, errors = [], set(), []
        mine = set(self._aliases_of(oid)) if oid else set()
        for item in raw:
            error: dict[str, list[str]] = {}
            if not isinstance(item, dict) or not isinstance(item.get("alias"), str) or not item["alias"].strip():
                error["alias"] = ["This field is required."]
            else:
                unknown = [k for k in item if k not in ("alias", "description", "id", "conference", "resource_uri",
                                                        "creation_time")]
                alias = item["alias"].strip()
                taken = [aid for aid, a in self.state["conference_alias"].items()
                         if _bare(a["alias"]) == _bare(alias) and aid not in mine]
                description = item.get("description", "")
                if unknown:
                    error[unknown[0]] = ["Unknown field."]
                elif any(ch in alias for ch in "\r\n\0 ") or len(alias) > 250:
                    error["alias"] = ["Enter a valid alias."]
                elif taken or _bare(alias) in seen:
                    error["alias"] = ["Conference alias with this Alias already exists."]
                elif not isinstance(description, str) or len(description) > 250:
                    error["description"] = ["Ensure this value has at most 250 characters."]
                else:
                    seen.add(_bare(alias))
                    out.append({"alias": alias, "description": description})
            errors.append(error)
        if any(errors):
            raise ApiError(400, {"conference": {"aliases": errors}})
        return out

    def _validate(self, resource: str, values: dict, oid: str | None) -> None:
        """What the Management Node checks across fields and objects."""
        if resource == "conference":
            others = [o for k, o in self.state["conference"].items() if k != oid]
            if any(o["name"] == values["name"] for o in others):
                raise ApiError.field(resource, "name", "Conference with this Name already exists.")
            if values["guest_pin"]:
                if not values["allow_guests"]:
                    raise ApiError.field(resource, "guest_pin", "A Guest PIN needs Allow Guests.")
                if not values["pin"]:
                    raise ApiError.field(resource, "guest_pin", "A Guest PIN needs a Host PIN.")
                if values["guest_pin"] == values["pin"]:
                    raise ApiError.field(resource, "guest_pin", "The Guest PIN must differ from the Host PIN.")
        elif resource == "conference_alias":
            target = re.fullmatch(re.escape(f"{API_PREFIX}{CONFIG}/conference/") + r"(\d+)/", values["conference"])
            if not target or target.group(1) not in self.state["conference"]:
                raise ApiError.field(resource, "conference", "Could not find the conference of this URI.")
            if any(_bare(a["alias"]) == _bare(values["alias"]) for k, a in self.state["conference_alias"].items()
                   if k != oid):
                raise ApiError.field(resource, "alias", "Conference alias with this Alias already exists.")
        elif resource == "gateway_routing_rule":
            others = [o for k, o in self.state[resource].items() if k != oid]
            if any(o["name"] == values["name"] for o in others):
                raise ApiError.field(resource, "name", "Gateway routing rule with this Name already exists.")

    def _delete(self, resource: str, oid: str) -> None:
        del self.state[resource][oid]
        if resource == "conference":
            for aid in self._aliases_of(oid):
                del self.state["conference_alias"][aid]

    def _licences(self, request: HttpRequest, rest: list[str]) -> HttpResponse:
        if request.method != "GET":
            raise ApiError(405)
        entries = {str(i + 1): self._licence(i) for i in range(len(self.state["licences"]))}
        if rest:
            if rest[0] not in entries or len(rest) > 1:
                raise ApiError(404)
            return _json(entries[rest[0]])
        return self._list(request, "licence", list(entries), entries.__getitem__)

    def _licence(self, index: int) -> dict:
        entry = self.state["licences"][index]
        return {"fulfillment_id": f"FID-{entry['entitlement_id'][:8]}", "entitlement_id": entry["entitlement_id"],
                "fulfillment_type": "PROD", "product_id": f"pexip_{entry['license_type']}",
                "license_type": entry["license_type"], "features": entry["license_type"],
                "concurrent": entry["concurrent"], "concurrent_overdraft": 0, "activatable": 0,
                "activatable_overdraft": 0, "hybrid": 0, "hybrid_overdraft": 0,
                "start_date": entry.get("start_date", ""), "expiration_date": entry["expiration_date"],
                "status": "Trusted", "trust_flags": 7, "repair": 0, "server_chain": "", "offline_mode": False,
                "resource_uri": f"{API_PREFIX}{CONFIG}/licence/{index + 1}/"}

    # -- lists --------------------------------------------------------------------------
    def _check_query(self, query: dict[str, str], allowed: tuple[str, ...]) -> None:
        for name in query:
            if name not in allowed:
                raise ApiError(400, {"error": f"The '{name}' field does not allow filtering."})

    def _list(self, request: HttpRequest, resource: str, ids: list[str], item: Callable[[str], dict]) -> HttpResponse:
        if request.method != "GET":
            raise ApiError(405)
        query = request.query
        filters = _FILTERS.get(resource, ())
        objects = [item(oid) for oid in ids]
        for name, wanted in query.items():
            if name in _LIST_PARAMS:
                continue
            field, _, lookup = name.partition("__")
            if field not in filters or lookup not in _LOOKUPS:
                raise ApiError(400, {"error": f"The '{name}' field does not allow filtering."})
            objects = [o for o in objects if _matches(o.get(field), wanted, lookup or "exact")]
        order = query.get("order_by", "")
        if order:
            key = order.lstrip("-")
            if key not in filters and key not in ("id", "start_time", "end_time", "creation_time", "priority"):
                raise ApiError(400, {"error": f"No matching 'order_by' field: {order}"})
            objects.sort(key=lambda o: (o.get(key) is None, o.get(key) if o.get(key) is not None else 0),
                         reverse=order.startswith("-"))
        limit = self._number(query, "limit", self.page_default)
        limit = min(limit or self.page_max, self.page_max)
        offset = self._number(query, "offset", 0)
        page = objects[offset:offset + limit]

        def link(start: int) -> str:
            rest = {k: v for k, v in query.items() if k not in ("limit", "offset")}
            return f"{request.path}?{urlencode({**rest, 'limit': limit, 'offset': start})}"

        meta = {"limit": limit, "offset": offset, "total_count": len(objects),
                "next": link(offset + limit) if offset + limit < len(objects) else None,
                "previous": link(max(0, offset - limit)) if offset > 0 else None}
        return _json({"meta": meta, "objects": page})

    @staticmethod
    def _number(query: dict[str, str], name: str, default: int) -> int:
        if name not in query:
            return default
        value = query[name].strip()
        if not value.isdigit():
            raise ApiError(400, {"error": f"Invalid {name} '{value}' provided. Please provide a positive integer."})
        return int(value)

    # -- status and history -----------------------------------------------------------------
    def _read_only(self, request: HttpRequest, family: str, rest: list[str]) -> HttpResponse:
        if request.method != "GET":
            raise ApiError(405)
        resource = rest[0]
        tables: dict[str, Callable[[], dict[str, dict]]] = {
            "status": lambda: {
                "conference": {cid: self._conference_status(cid) for cid in self.state["conferences"]},
                "participant": {pid: self._participant_status(pid) for pid in self.state["participants"]},
                "worker_vm": self._worker_vms(), "management_vm": self._management_vm(),
                "system_location": self._system_location(), "alarm": {}, "licensing": {},
            }.get(resource),
            "history": lambda: {
                "conference": {e["id"]: e for e in self.state["history"]["conference"]},
                "participant": {e["id"]: e for e in self.state["history"]["participant"]},
            }.get(resource),
        }
        if family == "status" and resource == "licensing":
            if len(rest) > 1:
                raise ApiError(404)
            return self._list(request, "status/licensing", ["1"], lambda _: self._licensing())
        table = tables[family]()
        if table is None or len(rest) > 2:
            raise ApiError(404)
        if len(rest) == 2:
            if rest[1] not in table:
                raise ApiError(404)
            self._check_query(request.query, ("format",))
            return _json(table[rest[1]])
        ids = list(table)
        if family == "history":
            ids.reverse()                  # newest first
        return self._list(request, f"{family}/{resource}", ids, table.__getitem__)

    def _conference_status(self, cid: str) -> dict:
        conf = self.state["conferences"][cid]
        return {"id": cid, "name": conf["name"], "service_type": conf["service_type"], "tag": conf["tag"],
                "is_locked": conf["is_locked"], "is_started": True, "guests_muted": conf["guests_muted"],
                "start_time": conf["start_time"], "resource_uri": f"{API_PREFIX}status/v1/conference/{cid}/"}

    def _participant_status(self, pid: str) -> dict:
        leg = self.state["participants"][pid]
        conf = self.state["conferences"][leg["conference"]]
        return {"id": pid, "conference": conf["name"], "service_type": conf["service_type"],
                "service_tag": conf["tag"], "display_name": leg["display_name"],
                "destination_alias": leg["destination_alias"], "source_alias": leg["source_alias"],
                "call_direction": leg["call_direction"], "protocol": leg["protocol"], "role": leg["role"],
                "bandwidth": leg["bandwidth"], "rx_bandwidth": leg["bandwidth"], "tx_bandwidth": leg["bandwidth"],
                "connect_time": leg["connect_time"], "has_media": True, "is_muted": leg["is_muted"],
                "is_on_hold": False, "is_presenting": False, "is_streaming": False, "encryption": "On",
                "remote_address": leg["remote_address"], "remote_port": 5061, "call_uuid": leg["call_uuid"],
                "license_count": 1, "license_type": "audio" if leg["call_type"] == "audio" else "port",
                "call_quality": "1_good", "media_node": self._node_address(1),
                "signalling_node": self._node_address(1), "system_location": self.facts.name or self.facts.host,
                "vendor": leg.get("vendor", ""), "parent_id": pid,
                "resource_uri": f"{API_PREFIX}status/v1/participant/{pid}/"}

    def _node_address(self, n: int) -> str:
        return f"{self.facts.host}-cn{n}"

    def _worker_vms(self) -> dict[str, dict]:
        video = sum(1 for leg in self.state["participants"].values() if leg["call_type"] != "audio")
        nodes = {}
        for n in (1, 2):
            on_node = (video + (2 - n)) // 2          # the calls spread over the two nodes
            nodes[str(n)] = {
                "id": n, "configuration_id": n, "name": self._node_address(n), "node_type": "CONFERENCING",
                "system_location": self.facts.name or self.facts.host, "version": self._version_text(),
                "boot_time": _stamp(self.node_boot), "last_updated": _now(), "last_attempted_contact": _now(),
                "sync_status": "SYNCED", "upgrade_status": "IDLE", "maintenance_mode": False,
                "maintenance_mode_reason": "", "deploy_status": "DEPLOYED", "cpu_count": 8, "cpu_model": "x86_64",
                "total_ram": 16_384, "hypervisor": "VMware", **NODE_CAPACITY, "media_tokens_used": on_node * 6,
                "max_media_tokens": NODE_CAPACITY["max_hd_calls"] * 6,
                "media_load": round(100 * on_node / NODE_CAPACITY["max_hd_calls"]),
                "signaling_count": on_node, "resource_uri": f"{API_PREFIX}status/v1/worker_vm/{n}/"}
        return nodes

    def _management_vm(self) -> dict[str, dict]:
        return {"1": {"id": 1, "configuration_id": 1, "name": self.facts.host, "primary": True,
                      "version": self._version_text(), "sync_status": "SYNCED", "upgrade_status": "IDLE",
                      "last_updated": _now(), "last_attempted_contact": _now(),
                      "resource_uri": f"{API_PREFIX}status/v1/management_vm/1/"}}

    def _system_location(self) -> dict[str, dict]:
        return {"1": {"id": 1, "name": self.facts.name or self.facts.host, "active_nodes": 2, "total_nodes": 2,
                      "max_hd_calls": 2 * NODE_CAPACITY["max_hd_calls"],
                      "active_calls": sum(1 for leg in self.state["participants"].values()),
                      "resource_uri": f"{API_PREFIX}status/v1/system_location/1/"}}

    def _version_text(self) -> str:
        return f"{self.software_version()} (build {BUILD})"

    def licence_totals(self) -> dict[str, int]:
        """Concurrent licences per type, of the entitlements that have not expired."""
        today = datetime.now(timezone.utc)
        totals = {kind: 0 for kind in FACTORY_LICENCES}
        for entry in self.state["licences"]:
            expiry = _licence_date(entry["expiration_date"])
            if entry["expiration_date"] == "permanent" or (expiry and expiry + timedelta(days=1) > today):
                totals[entry["license_type"]] = totals.get(entry["license_type"], 0) + entry["concurrent"]
        return totals

    def _licensing(self) -> dict:
        totals = self.licence_totals()
        legs = self.state["participants"].values()
        return {"port_count": sum(1 for leg in legs if leg["call_type"] != "audio"), "port_total": totals["port"],
                "audio_count": sum(1 for leg in legs if leg["call_type"] == "audio"),
                "audio_total": totals["audio"], "system_count": 2, "system_total": totals["system"],
                "vmr_count": 0, "vmr_total": 0, "teams_count": 0, "teams_total": 0, "ghm_count": 0, "ghm_total": 0,
                "otj_count": 0, "otj_total": 0, "scheduling_count": 0, "scheduling_total": 0,
                "telehealth_count": 0, "telehealth_total": 0, "customlayouts_active": False,
                "resource_uri": f"{API_PREFIX}status/v1/licensing/1/"}

    # -- commands -----------------------------------------------------------------------
    def _command(self, request: HttpRequest, rest: list[str]) -> HttpResponse:
        if len(rest) != 2:
            raise ApiError(404)
        if request.method != "POST":
            raise ApiError(405)
        data = self._body(request, "command")
        name = "/".join(rest)
        commands = {"participant/dial": self._cmd_dial, "participant/disconnect": self._cmd_disconnect,
                    "participant/mute": lambda d: self._cmd_mute(d, True),
                    "participant/unmute": lambda d: self._cmd_mute(d, False),
                    "conference/disconnect": self._cmd_end, "conference/lock": lambda d: self._cmd_lock(d, True),
                    "conference/unlock": lambda d: self._cmd_lock(d, False),
                    "conference/mute_guests": lambda d: self._cmd_mute_guests(d, True),
                    "conference/unmute_guests": lambda d: self._cmd_mute_guests(d, False)}
        if name not in commands:
            raise ApiError(404)
        self.lab.log(self.facts.host, "api", f"command {name} {sorted(data)}")
        return _json({"status": "success", **commands[name](data)})

    @staticmethod
    def _failed(status: int, reason: str) -> ApiError:
        return ApiError(status, {"status": "failed", "reason": reason})

    def _text_arg(self, data: dict, name: str, required: bool = True, choices: tuple = ()) -> str:
        value = data.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()) or any(c in value for c in "\r\n\0"):
            raise self._failed(400, f"{name}: give it as one line of text")
        if choices and value and value not in choices:
            raise self._failed(400, f"{name}: one of {', '.join(choices)}")
        return value.strip()

    def _participant_arg(self, data: dict) -> str:
        pid = self._text_arg(data, "participant_id")
        if pid not in self.state["participants"]:
            raise self._failed(404, f"participant {pid} not found")
        return pid

    def _conference_arg(self, data: dict) -> str:
        cid = self._text_arg(data, "conference_id")
        if cid not in self.state["conferences"]:
            raise self._failed(404, f"conference {cid} not found")
        return cid

    def _cmd_dial(self, data: dict) -> dict:
        known = ("conference_alias", "destination", "routing", "protocol", "role", "call_type",
                 "remote_display_name", "local_display_name", "keep_conference_alive", "streaming", "dtmf_sequence",
                 "presentation_url", "system_location", "node", "custom_sip_headers")
        for name in data:
            if name not in known:
                raise self._failed(400, f"{name}: not a parameter of the dial command")
        alias = self._text_arg(data, "conference_alias")
        destination = self._text_arg(data, "destination")
        routing = self._text_arg(data, "routing", False, ("manual", "routing_rule")) or "manual"
        protocol = self._text_arg(data, "protocol", False, ("sip", "h323", "mssip", "rtmp", "gms", "teams", "auto"))
        role = self._text_arg(data, "role", False, ("guest", "chair")) or "guest"
        call_type = self._text_arg(data, "call_type", False, ("video", "video-only", "audio")) or "video"
        self._text_arg(data, "keep_conference_alive", False,
                       ("keep_conference_alive", "keep_conference_alive_if_multiple", "keep_conference_alive_never"))
        display = self._text_arg(data, "remote_display_name", False)
        service = self._service_of(alias)
        if service is None:
            raise self._failed(400, f"conference_alias {alias}: no service has this alias")
        cid = self._conference_for(service)
        pid = self._new_id()
        leg = {"conference": cid, "display_name": display or destination, "destination_alias": destination,
               "source_alias": alias if "@" in alias else f"{alias}@{self.facts.address}",
               "call_direction": "out", "protocol": protocol or "sip", "role": role, "call_type": call_type,
               "remote_address": "", "call_uuid": self._new_id(), "connect_time": _now(), "start": time.time()}
        reason = self._dial(service, pid, leg, destination, routing, protocol or "sip")
        if reason is not None:
            self._record(pid, leg, reason)
            self._end_if_empty(cid)
        return {"data": {"participant_id": pid, "participant_ids": [pid]}}

    def _cmd_disconnect(self, data: dict) -> dict:
        self._leave(self._participant_arg(data), "API", notify=True)
        return {}

    def _cmd_mute(self, data: dict, muted: bool) -> dict:
        self.state["participants"][self._participant_arg(data)]["is_muted"] = muted
        return {}

    def _cmd_end(self, data: dict) -> dict:
        cid = self._conference_arg(data)
        for pid in [p for p, leg in self.state["participants"].items() if leg["conference"] == cid]:
            self._leave(pid, "Conference terminated", notify=True)
        return {}

    def _cmd_lock(self, data: dict, locked: bool) -> dict:
        self.state["conferences"][self._conference_arg(data)]["is_locked"] = locked
        return {}

    def _cmd_mute_guests(self, data: dict, muted: bool) -> dict:
        cid = self._conference_arg(data)
        self.state["conferences"][cid]["guests_muted"] = muted
        for leg in self.state["participants"].values():
            if leg["conference"] == cid and leg["role"] == "guest":
                leg["is_muted"] = muted
        return {}

    # -- calls --------------------------------------------------------------------------
    def _service_of(self, alias: str) -> str | None:
        """The id of the service one of whose aliases is ``alias``."""
        wanted = _bare(alias)
        for entry in self.state["conference_alias"].values():
            if _bare(entry["alias"]) == wanted:
                return entry["conference"].rstrip("/").rsplit("/", 1)[-1]
        return None

    def _conference_for(self, service: str) -> str:
        """The conference running in a service, started now if there is none."""
        config = self.state["conference"][service]
        for cid, conf in self.state["conferences"].items():
            if conf["service"] == service:
                return cid
        cid = self._new_id()
        self.state["conferences"][cid] = {"service": service, "name": config["name"],
                                          "service_type": config["service_type"], "tag": config["tag"],
                                          "is_locked": False, "guests_muted": config["mute_all_guests"],
                                          "start_time": _now(), "start": time.time()}
        self.lab.log(self.facts.host, "dial", f"conference {config['name']} started ({cid})")
        return cid

    def _admits(self, service: str, cid: str | None, call_type: str) -> str | None:
        """Why one more participant cannot join the service's conference ``cid`` (None: one
        yet to start) now, or None."""
        config = self.state["conference"].get(service, {})
        legs = [leg for leg in self.state["participants"].values() if cid is not None and leg["conference"] == cid]
        limit = config.get("participant_limit")
        if limit is not None and len(legs) >= limit:
            return f"participant limit {limit} reached"
        totals, counts = self.licence_totals(), self._licensing()
        kind = "audio" if call_type == "audio" else "port"
        if counts[f"{kind}_count"] >= totals[kind]:
            return f"no {kind} licence available ({counts[f'{kind}_count']} in use)"
        return None

    def _rate(self, service: str, rule: dict | None) -> int:
        """A dial-out's rate in kbit/s: the lowest of the VMR's and the rule's caps."""
        caps = [self.state["conference"][service].get("max_callrate_out"), (rule or {}).get("max_callrate_out")]
        caps = [c // 1000 for c in caps if c]
        return min(caps) if caps else DEFAULT_CALLRATE_KBPS

    def _dial(self, service: str, pid: str, leg: dict, destination: str, routing: str, protocol: str) -> str | None:
        """Place the dial-out; None when ``leg`` is connected (then stored), else why not."""
        why = self._admits(service, leg["conference"], leg["call_type"])
        if why is not None:
            self.lab.log(self.facts.host, "dial", f"{destination}: refused: {why}")
            return f"Call rejected: {why}"
        if routing == "manual":
            return self._connect(service, pid, leg, destination, None, protocol)
        rules = sorted(((rid, rule) for rid, rule in self.state["gateway_routing_rule"].items()
                        if rule["enable"] and rule["match_outgoing_calls"]),
                       key=lambda item: (item[1]["priority"], int(item[0])))
        reason = None
        for _, rule in rules:
            match = re.fullmatch(rule["match_string"], destination)
            if match is None:
                continue
            try:
                target = match.expand(rule["replace_string"]) if rule["replace_string"] else destination
            except (re.error, IndexError):
                target = destination
            if rule["called_device_type"] != "external" or rule["outgoing_protocol"] not in ("sip", "h323"):
                reason = f"Call failed: call target {rule['called_device_type']}/{rule['outgoing_protocol']} " \
                         "is not simulated"
                continue
            reason = self._connect(service, pid, leg, target, rule, rule["outgoing_protocol"])
            if reason is None:
                return None
        if reason is None:
            self.lab.log(self.facts.host, "dial", f"{destination}: no matching Call Routing Rule")
            return "No matching Call Routing Rule"
        return reason

    def _connect(self, service: str, pid: str, leg: dict, destination: str, rule: dict | None,
                 protocol: str) -> str | None:
        """Offer the call to what ``destination`` reaches: None when it answered (``leg`` joins
        the conference as ``pid``), else the reason it failed."""
        user, host = split_uri(destination)
        target = self.lab.device_by_address(host) if host else None
        if target is None and user:
            target = self.lab.device_by_address(user)
        kbps = self._rate(service, rule)
        leg.update(bandwidth=kbps, protocol="h323" if protocol == "h323" else "sip")
        if target is None or target is self:
            self.lab.log(self.facts.host, "dial", f"{destination}: not reachable")
            return f"Call failed: {host or destination} not reachable"
        if target.cascades:
            try:
                peer_leg = target.incoming_cascade(user, host, leg["source_alias"], self, pid, kbps * 1000)
            except CallRefused as refusal:
                self.lab.log(self.facts.host, "dial", f"{destination}: {target.facts.host} refused: {refusal}")
                return f"Call rejected: {refusal.reason}"
            leg.update(peerHost=target.facts.host, peerLeg=peer_leg, display_name=target.facts.name or leg[
                "display_name"], remote_address=target.facts.address)
        elif callable(getattr(target, "incoming_call", None)):
            try:
                call_id = target.incoming_call(leg["source_alias"], kbps)
            except Exception as exc:              # the codec refused (busy, …)
                self.lab.log(self.facts.host, "dial", f"{destination}: {target.facts.host} refused: {exc}")
                return "Call rejected: busy"
            leg.update(codecHost=target.facts.host, codecCallId=call_id, remote_address=target.facts.address,
                       display_name=target.facts.name or leg["display_name"])
        else:
            self.lab.log(self.facts.host, "dial", f"{destination}: {target.facts.host} takes no calls")
            return "Call rejected: incompatible destination"
        self._join(pid, leg)
        self.lab.log(self.facts.host, "dial", f"{destination}: connected to {target.facts.host} ({kbps} kbps)")
        return None

    def _join(self, pid: str, leg: dict) -> str:
        """Add a connected participant."""
        conf = self.state["conferences"][leg["conference"]]
        leg["is_muted"] = leg["role"] == "guest" and conf["guests_muted"]
        leg["connect_time"] = _now()
        leg["start"] = time.time()
        leg["connected"] = True
        self.state["participants"][pid] = leg
        return pid

    def incoming_cascade(self, user: str, domain: str, caller_uri: str, caller: Device, caller_leg: str,
                         bandwidth: int) -> str:
        """Another lab MCU calls ``user@domain`` here: the service with that alias takes it.

        Returns the new participant's id; raises :class:`_Refused` (``unknownDestination``: no
        service has the alias, or it is not a VMR or Virtual Auditorium; ``callRejected``: the
        conference is locked, full, or no port licence is left)."""
        dialled = f"{user}@{domain}" if user else domain
        try:
            service = self._service_of(dialled)
            if service is None:
                raise _Refused("unknownDestination", f"no service has the alias {dialled}")
            if self.state["conference"][service]["service_type"] not in ("conference", "lecture"):
                raise _Refused("unknownDestination", f"{dialled} is not a Virtual Meeting Room")
            running = next((cid for cid, c in self.state["conferences"].items() if c["service"] == service), None)
            if running is not None and self.state["conferences"][running]["is_locked"]:
                raise _Refused("callRejected", "the conference is locked")
            why = self._admits(service, running, "video")
            if why:
                raise _Refused("callRejected", why)
        except _Refused as refusal:
            self.lab.log(self.facts.host, "dial", f"incoming {caller_uri} to {dialled}: {refusal}")
            raise
        cid = self._conference_for(service)
        pid = self._join(self._new_id(), {
            "conference": cid, "display_name": caller.facts.name or caller.facts.host, "destination_alias": dialled,
            "source_alias": caller_uri, "call_direction": "in", "protocol": "sip", "role": "chair",
            "call_type": "video", "bandwidth": bandwidth // 1000, "remote_address": caller.facts.address,
            "call_uuid": self._new_id(), "peerHost": caller.facts.host, "peerLeg": caller_leg})
        self.lab.log(self.facts.host, "dial", f"incoming {caller_uri} from {caller.facts.host} to {dialled}: "
                                              f"connected to {self.state['conference'][service]['name']} "
                                              f"(participant {pid})")
        return pid

    def peer_hung_up(self, leg: str, host: str) -> None:
        """The MCU ``host`` ended its end of the cascade participant ``leg``."""
        entry = self.state["participants"].get(leg)
        if entry is not None and entry.get("peerHost") == host:
            self._leave(leg, "Call disconnected", notify=False)

    def _leave(self, pid: str, reason: str, notify: bool) -> None:
        """A participant leaves: the far end is told (``notify``), the history keeps it, and the
        conference ends with its last participant."""
        leg = self.state["participants"].pop(pid)
        if notify and "peerHost" in leg:
            peer = self.lab.device(leg["peerHost"])
            if peer is not None and peer.cascades:
                peer.peer_hung_up(leg["peerLeg"], self.facts.host)
        elif notify and "codecHost" in leg:
            codec = self.lab.device(leg["codecHost"])
            try:
                if codec is not None:
                    codec.end_call(leg["codecCallId"])
            except Exception as exc:             # the codec had already hung up
                self.lab.log(self.facts.host, "dial", f"{leg['destination_alias']}: end_call failed: {exc}")
        self._record(pid, leg, reason)
        self.lab.log(self.facts.host, "dial", f"{leg['display_name']}: disconnected ({reason})")
        self._end_if_empty(leg["conference"])

    def _record(self, pid: str, leg: dict, reason: str) -> None:
        conf = self.state["conferences"][leg["conference"]]
        ended = time.time()
        entry = {"id": pid, "conference": f"{API_PREFIX}history/v1/conference/{leg['conference']}/",
                 "conference_name": conf["name"], "service_type": conf["service_type"], "service_tag": conf["tag"],
                 "display_name": leg["display_name"], "local_alias": leg["source_alias"] if leg["call_direction"] ==
                 "out" else leg["destination_alias"], "remote_alias": leg["destination_alias"] if
                 leg["call_direction"] == "out" else leg["source_alias"], "remote_address": leg["remote_address"],
                 "call_direction": leg["call_direction"], "protocol": leg["protocol"], "role": leg["role"],
                 "bandwidth": leg.get("bandwidth"), "call_uuid": leg["call_uuid"], "start_time": _stamp(leg["start"]),
                 "end_time": _stamp(ended), "duration": int(ended - leg["start"]) if leg.get("connected") else 0,
                 "disconnect_reason": reason, "license_type": "audio" if leg["call_type"] == "audio" else "port",
                 "call_quality": "1_good" if leg.get("connected") else "0_unknown",
                 "resource_uri": f"{API_PREFIX}history/v1/participant/{pid}/"}
        kept = self.state["history"]["participant"]
        kept.append(entry)
        del kept[:-HISTORY_KEPT]

    def _end_if_empty(self, cid: str) -> None:
        if any(leg["conference"] == cid for leg in self.state["participants"].values()):
            return
        conf = self.state["conferences"].pop(cid)
        ended = time.time()
        count = sum(1 for e in self.state["history"]["participant"] if e["conference"].endswith(f"/{cid}/"))
        kept = self.state["history"]["conference"]
        kept.append({"id": cid, "name": conf["name"], "service_type": conf["service_type"], "tag": conf["tag"],
                     "start_time": conf["start_time"], "end_time": _stamp(ended),
                     "duration": int(ended - conf["start"]), "participant_count": count,
                     "resource_uri": f"{API_PREFIX}history/v1/conference/{cid}/"})
        del kept[:-HISTORY_KEPT]
        self.lab.log(self.facts.host, "dial", f"conference {conf['name']} ended ({cid})")

    def _new_id(self) -> str:
        self.state["counter"] += 1
        return str(uuid.uuid5(_NAMESPACE, f"{self.facts.host}/{self.state['counter']}"))


def _matches(value: Any, wanted: str, lookup: str) -> bool:
    if isinstance(value, bool):
        value = "true" if value else "false"
        wanted = wanted.lower()
    text = "" if value is None else str(value)
    if lookup == "exact":
        return text == wanted
    if lookup == "iexact":
        return text.casefold() == wanted.casefold()
    if lookup == "startswith":
        return text.startswith(wanted)
    if lookup == "istartswith":
        return text.casefold().startswith(wanted.casefold())
    if lookup == "contains":
        return wanted in text
    return wanted.casefold() in text.casefold()
