"""Driver for Cisco Meeting Server (CMS) Call Bridges: the REST API (``/api/v1``) over HTTPS.

Transport
---------
One ``requests`` session (one kept-alive HTTPS connection) per driver instance, i.e. per
deploy.  The server certificate is ALWAYS verified, against ``params.ca_bundle`` only: never
the system store, never ``verify=False``.  The bundle is passed with every request and the
session ignores the environment (``trust_env = False``), so ``$REQUESTS_CA_BUNDLE``,
``$CURL_CA_BUNDLE``, proxies and ``.netrc`` cannot change what is trusted.  Basic auth.
A certificate that does not verify is a :class:`TrustError` raised by :meth:`CmsDriver.open`
before any request reaches the API; HTTP 401/403 is an :class:`AuthenticationError` (never
retried); a refused, dropped or timed-out connection is a :class:`ConnectError`.

Intended configuration
----------------------
A YAML (or JSON) document with up to five lists; every object is keyed by its ``name``
(dial plan rules by their ``domain``), the other keys are the parameters of the CMS
API reference for that object, with their API names::

    callLegProfiles:
      - name: gbtt-huyen                   # key
        defaultLayout: automatic
        needsActivation: false
    callProfiles:
      - name: gbtt-giao-ban                # key: a label only, see below
        participantLimit: 40
    coSpaces:
      - name: gbtt-giao-ban-huyen          # key
        uri: giaoban.vixuyen
        callId: "88021001"                 # digits: quote them to keep leading zeros
        passcode: "2468"                   # a secret: never shown by compare()
        callLegProfile: gbtt-huyen         # references are by key; the driver uses ids
        callProfile: gbtt-giao-ban
    outboundDialPlanRules:
      - domain: hagiang.gov.vn             # key
        sipProxy: 10.23.0.10
        priority: 10
    inboundDialPlanRules:
      - domain: 10.23.16.2                 # key: the domain of calls this MCU takes
        resolveTocoSpaces: true            # spelt as in the API reference (small c)

* Values: ``true``/``false`` for flags, numbers for numeric parameters, the documented words
  for enumerations; everything is checked locally by :meth:`CmsDriver.load_candidate`
  (unknown parameter, bad value, duplicate key, dangling reference → :class:`ConfigError`,
  before anything is written).  A parameter left out is unset on the MCU, except what the
  MCU sets itself: a coSpace's ``secret`` (generated with its ``callId``) is compared only
  when the document gives it, and a dial plan rule's defaults apply when the document gives
  none: for an outbound rule ``priority 0``, ``trunkType sip``, ``sipControlEncryption
  auto``, ``failureAction stop``, ``scope global``, ``callRouting default``; for an inbound
  rule ``priority 0``, ``resolveToUsers``, ``resolveTocoSpaces`` and ``resolveToIvrs``
  true, ``resolveToLyncConferences`` and ``resolveToLyncSimplejoin`` false.
* References (``callLegProfile``, ``callProfile`` of a coSpace) name an object of the same
  document; a reference may also be the id (UUID) of an object that exists on the MCU, which
  is how :meth:`get_config` writes a reference to an object gbtt does not own.  Tenants,
  call branding profiles and call bridges are not managed: refer to them by id.
* ``absent: true`` (with only the key) deletes an object that gbtt could not otherwise tell
  is its own: a dial plan rule, or an object whose name does not start with ``gbtt-``.
* API actions (``requireCallId``, ``regenerateSecret``) are not settings and are refused.

Ownership: gbtt owns an object whose key is in the document, or (call leg profiles,
coSpaces) whose name is in the driver's scope — the names of everything gbtt creates.  It
creates, updates and deletes only those; every other object on the MCU is left alone, and
an owned object missing from the document is deleted.  The scope is
``ConnectionParams.extra["scope"]``:

* none (the deploy of the MCU's own configuration): names starting with ``gbtt-`` except
  ``gbtt-link-…`` and ``gbtt-meeting-…``.  Those belong to the interconnect and meeting jobs: a
  deploy never changes or deletes them, and a deploy document that names one is refused
  (:class:`ConfigError`).
* ``link:<id>`` (the interconnect job, one link of MCUs): only ``gbtt-link-<id>`` and
  ``gbtt-link-<id>--…``, with the call profiles their coSpaces use, and the dial plan rules its
  document names.  Its document may name no other call leg profile, call profile or coSpace
  (:class:`ConfigError`).  Tearing a link down is the empty document in its scope (its
  objects are deleted) with ``absent: true`` for its dial plan rules.  The separator is a
  double hyphen, which no id contains: link ``a`` never owns ``gbtt-link-a-b``, link
  ``a-b``'s.
* ``meeting:<id>`` (the meeting job, playbooks/meeting.yml): the same for ``gbtt-meeting-<id>``
  and ``gbtt-meeting-<id>--…``, the meeting's space on each MCU it uses.

CMS call profiles have no
name: a call profile is gbtt's when a coSpace gbtt owns uses it, and the document's call
profile names are matched to the MCU's profiles through the coSpaces that refer to them
(so every call profile of the document must be used by a coSpace).  :meth:`get_config` names
a call profile it cannot match to the loaded candidate ``gbtt-callProfile-<id prefix>``.

:meth:`get_config` (and :meth:`backup`) return the owned objects in this format, objects
sorted by key, parameters by name (the key first), secrets included so that a backup can be
loaded back: treat the text as a secret.  :meth:`compare` shows, per object and parameter,
what :meth:`commit` would change, with secrets redacted; "" when nothing.

Commit writes only what differs, in dependency order: deletions of coSpaces, then creations
and updates of profiles and rules, then of coSpaces, then deletions of profiles and rules.
When the MCU refuses a write (``<failureDetails>``) or the connection fails part-way, the
writes already made are undone (deleted objects are created again, with their old
parameters) and :class:`CommitError` says whether the MCU is back to its backup; a refusal
of the first write is a :class:`ConfigError` (nothing changed).  After writing, the driver
reads the objects back and checks them against the candidate.  :meth:`rollback` applies the
backup taken by the last commit; CMS has no revert timer, so :meth:`confirm` does nothing.

Maintenance
-----------
What the annual maintenance checks (``checks/*.yml``) ask an MCU, read-only:

* :meth:`CmsDriver.ask` ``{"get": "system/status"}``: one GET under ``/api/v1`` on the open
  session, the XML answer as a plain dict (:func:`plain`): ``{"softwareVersion": "3.9.2",
  "uptimeSeconds": "86400", "callLegsActive": "3", …}``, ``{"features": {"callBridge":
  {"status": "activated", "expiry": "2030-Dec-31"}, …}}`` for ``system/licensing``.  Only GET,
  only a plain path (no ``..``, no host) with the API's documented list parameters; anything
  else is a :class:`ConfigError` before a request is sent.
* :meth:`CmsDriver.probe` ``{"tls": true}``: the certificate the MCU presents (subject,
  issuer, validity, days left, whether it verifies against the CA bundle), read from a TLS
  handshake alone: no credentials, no request, and also when it does not verify.
* :meth:`CmsDriver.get_facts` (``{facts: true}``): ``os_version`` is ``softwareVersion``,
  ``uptime`` is ``uptimeSeconds`` in seconds.

Call control
------------
:meth:`CmsDriver.call_up`, :meth:`CmsDriver.calls` and :meth:`CmsDriver.call_down` (the MCU
interface of :class:`gbtt.drivers.base.Driver`) start, read and end the active call of a
coSpace (by name) and its dial-outs, through ``/calls``, ``/calls/<id>/participants`` and
``/callLegs``; lists are paged.  ``call_up`` and ``call_down`` act only on coSpaces of the
driver's scope; ``calls`` reads any.  The interconnect job cascades MCUs with them: on the hub,
``call_up("gbtt-link-<id>", "gbtt-link-<id>@<spoke address>", kbps)`` in scope ``link:<id>``,
then ``calls("gbtt-link-<id>")`` on each MCU shows the outgoing and the incoming leg.
"""

from __future__ import annotations

import difflib
import re
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator
from urllib.parse import parse_qsl

import requests
import yaml

from gbtt.drivers import https
from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError, ConnectError,
                               ConnectionParams, DriverError, redact)
from gbtt.drivers.mcu import OWNED_PREFIX, McuDriver
from gbtt.yamlio import YamlProblem, fast_load

API_PREFIX = "/api/v1"
PAGE_SIZE = 10            # what a CMS returns at most per list request: clients page
DIAL_POLL_SECONDS = 0.5   # how often call_up reads a leg that is still ringing
#: the scopes of the jobs that own objects beside the deploy: scope kind -> the prefix of their names


# =========================================================================================
# Parameters (CMS API reference 2.x/3.x)
# =========================================================================================

@dataclass(frozen=True)
class Param:
    kind: str = "text"                   # text | bool | int | enum | digits | ref
    choices: tuple[str, ...] = ()        # enum values; words an int may also take
    ref: str = ""                        # the collection a reference points into
    minimum: int = 0
    maximum: int | None = None


TEXT, BOOL, INT, DIGITS = Param(), Param("bool"), Param("int"), Param("digits")


def _enum(*choices: str) -> Param:
    return Param("enum", choices)


def _ref(collection: str) -> Param:
    return Param("ref", ref=collection)


_LAYOUT = _enum("allEqual", "speakerOnly", "telepresence", "stacked", "allEqualQuarters", "allEqualNinths",
                "allEqualSixteenths", "allEqualTwentyFifths", "onePlusFive", "onePlusSeven", "onePlusNine",
                "automatic", "onePlusN")

_CALL_LEG_PROFILE: dict[str, Param] = {
    "name": TEXT, "needsActivation": BOOL, "defaultLayout": _LAYOUT, "changeLayoutAllowed": BOOL,
    "participantLabels": BOOL, "presentationDisplayMode": _enum("dualStream", "singleStream"),
    "presentationContributionAllowed": BOOL, "presentationViewingAllowed": BOOL, "endCallAllowed": BOOL,
    "muteOthersAllowed": BOOL, "videoMuteOthersAllowed": BOOL, "muteSelfAllowed": BOOL,
    "videoMuteSelfAllowed": BOOL, "joinToneParticipantThreshold": Param("int", maximum=100),
    "leaveToneParticipantThreshold": Param("int", maximum=100), "videoMode": _enum("auto", "disabled"),
    "rxAudioMute": BOOL, "txAudioMute": BOOL, "rxVideoMute": BOOL, "txVideoMute": BOOL,
    "sipMediaEncryption": _enum("optional", "required", "prohibited"), "audioPacketSizeMs": INT,
    "deactivationMode": _enum("deactivate", "disconnect", "remainActivated"), "deactivationModeTime": INT,
    "telepresenceCallsAllowed": BOOL, "sipPresentationChannelEnabled": BOOL,
    "bfcpMode": _enum("serverOnly", "serverAndClient"), "disconnectOthersAllowed": BOOL,
    "addParticipantAllowed": BOOL, "qualityMain": _enum("unrestricted", "max1080p30", "max720p30", "max480p30"),
    "qualityPresentation": _enum("unrestricted", "max1080p30", "max720p5"),
    "participantCounter": _enum("never", "auto", "always"),
    "allowAllPresentationContributionAllowed": BOOL, "changeJoinAudioMuteOverrideAllowed": BOOL,
    "allowAllMuteSelfAllowed": BOOL, "callLockAllowed": BOOL, "setImportanceAllowed": BOOL,
    "recordingControlAllowed": BOOL, "streamingControlAllowed": BOOL, "maxCallDurationTime": INT,
}

_CALL_PROFILE: dict[str, Param] = {
    "participantLimit": INT, "messageBoardEnabled": BOOL, "locked": BOOL,
    "recordingMode": _enum("disabled", "manual", "automatic"),
    "streamingMode": _enum("disabled", "manual", "automatic"),
    "passcodeMode": _enum("required", "timeout"), "passcodeTimeout": INT, "gatewayAudioCallOptimization": BOOL,
    "lyncConferenceMode": _enum("dualHomeCluster", "dualHomeCallBridge", "gateway"),
}

_COSPACE: dict[str, Param] = {
    "name": TEXT, "uri": TEXT, "secondaryUri": TEXT, "callId": DIGITS, "cdrTag": TEXT, "passcode": DIGITS,
    "defaultLayout": _LAYOUT, "tenant": _ref("tenants"), "callLegProfile": _ref("callLegProfiles"),
    "callProfile": _ref("callProfiles"), "callBrandingProfile": _ref("callBrandingProfiles"), "secret": TEXT,
    "nonMemberAccess": BOOL, "ownerJid": TEXT, "streamUrl": TEXT, "ownerAdGuid": TEXT, "meetingScheduler": TEXT,
    "panePlacementHighestImportance": INT, "panePlacementSelfPaneMode": _enum("skip", "self", "blank", "unset"),
}

_OUTBOUND_RULE: dict[str, Param] = {
    "domain": TEXT, "priority": INT, "localContactDomain": TEXT, "localFromDomain": TEXT, "sipProxy": TEXT,
    "trunkType": _enum("sip", "lync", "avaya"), "failureAction": _enum("stop", "continue"),
    "sipControlEncryption": _enum("auto", "encrypted", "unencrypted"),
    "scope": _enum("global", "callBridge", "callBridgeGroup"), "callBridge": _ref("callBridges"),
    "callBridgeGroup": _ref("callBridgeGroups"), "tenant": _ref("tenants"),
    "callRouting": _enum("default", "traversal"),
}

#: the incoming call matching rules; ``resolveTocoSpaces`` is spelt as in the API reference
_INBOUND_RULE: dict[str, Param] = {
    "domain": TEXT, "priority": INT, "resolveToUsers": BOOL, "resolveTocoSpaces": BOOL, "resolveToIvrs": BOOL,
    "resolveToLyncConferences": BOOL, "resolveToLyncSimplejoin": BOOL, "tenant": _ref("tenants"),
}

#: API actions: accepted by the API but not settings, so not part of an intended state
_ACTIONS = {"requireCallId": "give the coSpace a callId instead",
            "regenerateSecret": "give the coSpace a secret instead"}

_SECRET_PARAM = re.compile(r"(?i)^(passcode|secret|password|passphrase|pin)$")


@dataclass(frozen=True)
class Spec:
    """One managed collection."""

    collection: str
    element: str
    key: str                                   # what the document keys objects by
    params: dict[str, Param]
    key_is_param: bool = True                  # False: callProfiles, whose name is a label only
    by_prefix: bool = True                     # a gbtt- name makes the object gbtt's
    defaults: dict[str, str] = field(default_factory=dict)   # set by the MCU on create
    managed: tuple[str, ...] = ()              # set by the MCU: compared only when the document gives them


SPECS: dict[str, Spec] = {s.collection: s for s in (
    Spec("callLegProfiles", "callLegProfile", "name", _CALL_LEG_PROFILE),
    Spec("callProfiles", "callProfile", "name", _CALL_PROFILE, key_is_param=False, by_prefix=False),
    Spec("outboundDialPlanRules", "outboundDialPlanRule", "domain", _OUTBOUND_RULE, by_prefix=False,
         defaults={"priority": "0", "trunkType": "sip", "sipControlEncryption": "auto", "failureAction": "stop",
                   "scope": "global", "callRouting": "default"}),
    Spec("inboundDialPlanRules", "inboundDialPlanRule", "domain", _INBOUND_RULE, by_prefix=False,
         defaults={"priority": "0", "resolveToUsers": "true", "resolveTocoSpaces": "true", "resolveToIvrs": "true",
                   "resolveToLyncConferences": "false", "resolveToLyncSimplejoin": "false"}),
    Spec("coSpaces", "coSpace", "name", _COSPACE, managed=("secret",)),
)}

#: dependency order: what a coSpace refers to comes first
ORDER = ("callLegProfiles", "callProfiles", "outboundDialPlanRules", "inboundDialPlanRules", "coSpaces")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _is_id(value: str) -> bool:
    return bool(_UUID.match(value))


def _is_secret(param: str) -> bool:
    return bool(_SECRET_PARAM.search(param))


# =========================================================================================
# The document: parsing, validation, output
# =========================================================================================

@dataclass
class Doc:
    """An intended configuration: collection -> key -> {parameter: API value}; references
    hold keys of the document (or ids)."""

    objects: dict[str, dict[str, dict[str, str]]] = field(default_factory=lambda: {c: {} for c in ORDER})
    absent: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in ORDER})

    def keys(self) -> dict[str, set[str]]:
        return {c: set(self.objects[c]) | self.absent[c] for c in ORDER}


class _Invalid(Exception):
    pass


def _value(where: str, name: str, param: Param, raw: Any) -> str:
    """The API form of one value of the document (never echoing the value: it may be secret)."""
    what = f"{where}: {name}"
    if raw is None:
        raise _Invalid(f"{what} has no value: give one, or leave the parameter out")
    if isinstance(raw, (dict, list)):
        raise _Invalid(f"{what} must be a single value, not a list or mapping")
    if param.kind == "bool":
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower()
        raise _Invalid(f"{what} must be true or false")
    if param.kind == "int":
        if isinstance(raw, str) and raw.strip() in param.choices:
            return raw.strip()
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and raw.strip().isdigit():
            number = int(raw.strip())
        else:
            raise _Invalid(f"{what} must be a whole number")
        if number < param.minimum or (param.maximum is not None and number > param.maximum):
            upper = f"..{param.maximum}" if param.maximum is not None else " or more"
            raise _Invalid(f"{what} must be {param.minimum}{upper}")
        return str(number)
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _Invalid(f"{what} must be text, not {'true/false' if isinstance(raw, bool) else type(raw).__name__}")
    if isinstance(raw, float) and param.kind != "text":
        raise _Invalid(f"{what} must be text")
    value = str(raw).strip()
    if value == "":
        raise _Invalid(f"{what} is empty: give a value, or leave the parameter out")
    if param.kind == "enum":
        if value not in param.choices:
            raise _Invalid(f"{what} must be one of: {', '.join(param.choices)}")
        return value
    if param.kind == "digits":
        if not value.isdigit():
            raise _Invalid(f"{what} must be digits only (quote it in YAML to keep leading zeros)")
        return value
    if param.kind == "ref":
        return value.lower() if _is_id(value) else value
    if any(ch in value for ch in "\r\n\0"):
        raise _Invalid(f"{what} must be one line of text")
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
        raise _Invalid(f"unknown top-level key {str(unknown[0])!r}: the document holds the lists {', '.join(ORDER)}")
    doc = Doc()
    for collection in ORDER:
        items = data.get(collection)
        if items is None:
            continue
        if not isinstance(items, list):
            raise _Invalid(f"{collection} must be a list of objects")
        for index, item in enumerate(items):
            _parse_object(doc, SPECS[collection], index, item)
    _check_references(doc)
    return doc


def _parse_object(doc: Doc, spec: Spec, index: int, item: Any) -> None:
    where = f"{spec.collection}[{index}]"
    if not isinstance(item, dict):
        raise _Invalid(f"{where} must be a mapping of parameters")
    key = item.get(spec.key)
    if not isinstance(key, str) or not key.strip():
        raise _Invalid(f"{where} has no {spec.key}: every {spec.element} is keyed by its {spec.key}")
    key = _value(where, spec.key, TEXT, key)
    where = f"{spec.collection} {key!r}"
    if key in doc.objects[spec.collection] or key in doc.absent[spec.collection]:
        raise _Invalid(f"{where} is given twice")
    absent = item.get("absent", False)
    if not isinstance(absent, bool):
        raise _Invalid(f"{where}: absent must be true or false")
    if absent:
        if not spec.key_is_param:
            raise _Invalid(f"{where}: call profiles cannot be absent (they have no name on the MCU): "
                           "leave the profile out and no coSpace of gbtt uses it, so it is deleted")
        others = [k for k in item if k not in (spec.key, "absent")]
        if others:
            raise _Invalid(f"{where} is absent: give only {spec.key} and absent, not {others[0]}")
        doc.absent[spec.collection].add(key)
        return
    values: dict[str, str] = {spec.key: key} if spec.key_is_param else {}
    for name, raw in item.items():
        if name in (spec.key, "absent"):
            continue
        if not isinstance(name, str):
            raise _Invalid(f"{where}: parameter names are text, not {name!r}")
        if name in _ACTIONS and spec.collection == "coSpaces":
            raise _Invalid(f"{where}: {name} is an API action, not a setting: {_ACTIONS[name]}")
        param = spec.params.get(name)
        if param is None:
            close = difflib.get_close_matches(name, list(spec.params), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Invalid(f"{where}: unknown parameter {name!r}{hint}; a {spec.element} takes: "
                           f"{', '.join(sorted(spec.params))}")
        values[name] = _value(where, name, param, raw)
    doc.objects[spec.collection][key] = values


def _check_references(doc: Doc) -> None:
    used: set[str] = set()
    for collection in ORDER:
        spec = SPECS[collection]
        for key, values in doc.objects[collection].items():
            for name, value in values.items():
                param = spec.params.get(name)
                if param is None or param.kind != "ref":
                    continue
                if param.ref not in SPECS:
                    if not _is_id(value):
                        raise _Invalid(f"{collection} {key!r}: {name} must be the id of an existing "
                                       f"{param.ref[:-1]} (gbtt does not manage {param.ref})")
                    continue
                if param.ref == "callProfiles":
                    used.add(value)
                if _is_id(value):
                    continue
                if value in doc.absent[param.ref]:
                    raise _Invalid(f"{collection} {key!r}: {name} {value!r} is marked absent")
                if value not in doc.objects[param.ref]:
                    raise _Invalid(f"{collection} {key!r}: {name} {value!r} is not in {param.ref} of the document "
                                   f"(refer to a {SPECS[param.ref].element} of the document by its "
                                   f"{SPECS[param.ref].key}, or to one on the MCU by its id)")
    for key in sorted(doc.objects["callProfiles"]):
        if key not in used:
            raise _Invalid(f"callProfiles {key!r} is used by no coSpace: CMS call profiles have no name, so gbtt "
                           "finds its call profiles through the coSpaces that use them")


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.@/-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    plain = (bool(_PLAIN.match(value)) and value.lower() not in _YAML_WORDS) or _is_id(value)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _represent_str)


def _typed(param: Param | None, value: str) -> Any:
    if param is not None and param.kind == "bool" and value in ("true", "false"):
        return value == "true"
    if param is not None and param.kind == "int" and value.isdigit():
        return int(value)
    return value


def _param_order(spec: Spec, names: set[str] | list[str]) -> list[str]:
    return sorted(names, key=lambda n: (n != spec.key, n))


def dump(doc: Doc) -> str:
    """``doc`` in the intended-config format: objects by key, parameters by name, key first."""
    data: dict[str, list[dict[str, Any]]] = {}
    for collection in ORDER:
        spec = SPECS[collection]
        items = []
        for key in sorted(doc.objects[collection]):
            values = doc.objects[collection][key]
            item: dict[str, Any] = {spec.key: key}
            for name in _param_order(spec, set(values) - {spec.key}):
                item[name] = _typed(spec.params.get(name), values[name])
            items.append(item)
        data[collection] = items
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


# =========================================================================================
# What is on the MCU, and what to change
# =========================================================================================

@dataclass
class _Object:
    id: str
    values: dict[str, str]               # API values of the known parameters (references: ids)


@dataclass
class _State:
    """The owned objects on the MCU: collection -> key -> object."""

    objects: dict[str, dict[str, _Object]]

    def key_of(self, collection: str, oid: str) -> str | None:
        for key, obj in self.objects.get(collection, {}).items():
            if obj.id == oid:
                return key
        return None

    def ids(self) -> dict[str, dict[str, str]]:
        return {c: {k: o.id for k, o in objs.items()} for c, objs in self.objects.items()}

    def doc(self) -> Doc:
        """The owned objects in the document's terms (references by key where owned)."""
        doc = Doc()
        for collection in ORDER:
            spec = SPECS[collection]
            for key, obj in self.objects[collection].items():
                values = {}
                for name, value in obj.values.items():
                    param = spec.params[name]
                    if param.kind == "ref" and param.ref in SPECS:
                        value = self.key_of(param.ref, value) or value
                    values[name] = value
                doc.objects[collection][key] = values
        return doc


@dataclass
class _Op:
    action: str                          # create | update | delete
    collection: str
    key: str
    before: dict[str, str]               # document terms
    after: dict[str, str]

    def changed(self) -> list[str]:
        return [n for n in sorted(set(self.before) | set(self.after)) if self.before.get(n) != self.after.get(n)]


def _target(spec: Spec, want: dict[str, str], have: dict[str, str] | None) -> dict[str, str]:
    """What an object must look like: the document's values, the MCU's defaults where the
    document gives none, and what the MCU manages itself unless the document gives it."""
    target = {**spec.defaults, **want}
    for name in spec.managed:
        if name not in want and have is not None and name in have:
            target[name] = have[name]
    return target


def plan(state: _State, desired: Doc) -> list[_Op]:
    have = state.doc()
    ops = []
    for collection in ORDER:
        spec = SPECS[collection]
        mine, want = have.objects[collection], desired.objects[collection]
        for key in sorted(set(mine) | set(want)):
            if key not in want:
                ops.append(_Op("delete", collection, key, mine[key], {}))
            elif key not in mine:
                ops.append(_Op("create", collection, key, {}, _target(spec, want[key], None)))
            else:
                target = _target(spec, want[key], mine[key])
                if target != mine[key]:
                    ops.append(_Op("update", collection, key, mine[key], target))
    return ops


def _phases(ops: list[_Op]) -> list[_Op]:
    """Dependency order: delete coSpaces; create/update profiles and rules; create/update
    coSpaces; delete rules and profiles (what refers comes before what it refers to)."""
    def rank(op: _Op) -> tuple[int, int, str]:
        pos = ORDER.index(op.collection)
        if op.action == "delete":
            return (0, 0, op.key) if op.collection == "coSpaces" else (3, -pos, op.key)
        return (2 if op.collection == "coSpaces" else 1, pos, op.key)
    return sorted(ops, key=rank)


class _ApiFailure(Exception):
    """The MCU answered a request with an error (``<failureDetails>`` or an HTTP error)."""

    def __init__(self, method: str, path: str, status: int, reason: str):
        super().__init__(f"{method} {path}: HTTP {status} {reason}".rstrip())
        self.status = status
        self.reason = reason


# =========================================================================================
# The driver
# =========================================================================================

class CmsDriver(McuDriver):
    platform: ClassVar[str] = "cisco_cms"
    device_class: ClassVar[str] = "mcu"

    def __init__(self, host: str, params: ConnectionParams):
        super().__init__(host, params)
        self._session: requests.Session | None = None
        self._ca: str | None = None
        self._doc: Doc | None = None
        self._backup: tuple[Doc, dict[str, set[str]]] | None = None
        self._status: ET.Element | None = None

    # -- ownership scope (gbtt/drivers/mcu.py) ----------------------------------------------
    def _check_scope(self, doc: Doc) -> None:
        """Dial plan rules, keyed by domain, are free in every scope; named objects are not."""
        self._check_names(((collection, key) for collection in ORDER if SPECS[collection].key == "name"
                           for key in sorted(doc.keys()[collection])), besides=" (and dial plan rules)")

    # -- session ---------------------------------------------------------------------------
    def open(self) -> None:
        self._ca = https.ca_bundle(self.host, self.params, "MCU")
        session = https.session(self._ca, {"Accept": "application/xml, text/xml"})
        session.auth = (self.params.username, self.params.password)
        self._session = session
        try:
            self._status = self._xml("GET", "system/status")
        except _ApiFailure as exc:
            self.close()
            raise ConnectError(self.host, f"the CMS API does not answer: {exc}") from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    # -- HTTP ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, query: dict[str, Any] | None = None,
                 form: dict[str, str] | None = None) -> requests.Response:
        if self._session is None:
            raise ConnectError(self.host, "not connected: open() first")
        response = https.request(self._session, self.host, method, f"{https.base_url(self.params)}{API_PREFIX}/{path}",
                                 ca=self._ca, timeout=self.params.timeout, device="MCU", what=f"{method} {path}",
                                 params=query, data=form)
        if response.status_code in (401, 403):
            raise AuthenticationError(self.host, f"login as {self.params.username!r} refused "
                                                 f"(HTTP {response.status_code})")
        if response.status_code >= 400:
            raise _ApiFailure(method, path, response.status_code, _failure(response))
        return response

    def _xml(self, method: str, path: str, query: dict[str, Any] | None = None) -> ET.Element:
        response = self._request(method, path, query)
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise DriverError(self.host, f"{method} {path}: the answer is no XML ({exc})") from None

    def _list(self, path: str, query: dict[str, str] | None = None) -> list[ET.Element]:
        """Every entry of a list (``query``: its filters), page by page (the MCU returns at most
        10 per request)."""
        seen: dict[str, ET.Element] = {}
        offset = 0
        while True:
            root = self._xml("GET", path, {**(query or {}), "offset": offset, "limit": PAGE_SIZE})
            page = list(root)
            for item in page:
                seen.setdefault(item.get("id", ""), item)
            offset += len(page)
            total = int(root.get("total", "0") or 0)
            if not page or offset >= total:
                return list(seen.values())

    def _get(self, collection: str, oid: str) -> _Object | None:
        try:
            element = self._xml("GET", f"{collection}/{oid}")
        except _ApiFailure as exc:
            if exc.status == 404:
                return None
            raise DriverError(self.host, str(exc)) from None
        params = SPECS[collection].params
        values = {child.tag: (child.text or "").strip() for child in element if child.tag in params}
        return _Object(oid, {k: v for k, v in values.items() if v != ""})

    # -- reading ---------------------------------------------------------------------------
    def get_facts(self) -> dict:
        status = self._xml("GET", "system/status")
        self._status = status
        uptime = (status.findtext("uptimeSeconds") or "").strip()
        host_id = status.findtext("hostId") or ""
        version = status.findtext("softwareVersion") or ""
        return {
            "hostname": self.host,
            "vendor": "Cisco",
            "model": "Cisco Meeting Server",
            "serial": host_id,                 # the Call Bridge's host id: a CMS shows no serial number
            "serial_number": host_id,          # (NAPALM's name)
            "software_version": version,
            "os_version": version,             # (NAPALM's name)
            "uptime": int(float(uptime)) if re.fullmatch(r"\d+(\.\d+)?", uptime) else -1,   # seconds
            "activated": status.findtext("activated") == "true",
            "cluster_enabled": status.findtext("clusterEnabled") == "true",
            "call_legs_active": int(status.findtext("callLegsActive") or 0),
        }

    def _read(self, owned: dict[str, set[str]], desired: Doc | None) -> _State:
        """The objects gbtt owns on the MCU (``owned``: keys of the document(s) in play).
        ``desired`` names the call profiles, matched through the coSpaces that use them."""
        try:
            return self._read_state(owned, desired)
        except _ApiFailure as exc:
            raise DriverError(self.host, f"reading the configuration failed: {exc}") from None

    def _read_state(self, owned: dict[str, set[str]], desired: Doc | None) -> _State:
        objects: dict[str, dict[str, _Object]] = {c: {} for c in ORDER}
        for collection in ("callLegProfiles", "outboundDialPlanRules", "inboundDialPlanRules", "coSpaces"):
            spec = SPECS[collection]
            found: dict[str, str] = {}
            for item in self._list(collection):
                key = (item.findtext(spec.key) or "").strip()
                if not key or not (key in owned[collection] or (spec.by_prefix and self._owns_name(key))):
                    continue
                if key in found:
                    raise ConfigError(self.host, f"the MCU has two or more {collection} with {spec.key} {key!r}: "
                                                 "gbtt cannot tell which is meant; remove the extra ones by hand")
                found[key] = item.get("id", "").lower()
            for key, oid in found.items():
                obj = self._get(collection, oid)
                if obj is not None:                  # deleted meanwhile
                    objects[collection][key] = obj
        # call profiles: those the owned coSpaces use (not those the document refers to by id)
        by_id = {v for c in (desired.objects["coSpaces"].values() if desired else ())
                 for v in [c.get("callProfile", "")] if _is_id(v)}
        profiles: dict[str, _Object] = {}
        for space in sorted(objects["coSpaces"]):
            pid = objects["coSpaces"][space].values.get("callProfile")
            if pid and pid not in profiles and pid not in by_id:
                obj = self._get("callProfiles", pid)
                if obj is not None:
                    profiles[pid] = obj
        names: dict[str, str] = {}
        if desired is not None:
            for space in sorted(desired.objects["coSpaces"]):
                want = desired.objects["coSpaces"][space].get("callProfile")
                have = objects["coSpaces"].get(space)
                pid = have.values.get("callProfile") if have else None
                if (want in desired.objects["callProfiles"] and pid in profiles and pid not in names
                        and want not in names.values()):
                    names[pid] = want
        taken = set(names.values()) | (set(desired.objects["callProfiles"]) if desired else set())
        for pid in sorted(profiles):
            if pid not in names:
                name = f"{OWNED_PREFIX}callProfile-{pid[:8]}"
                names[pid] = name if name not in taken else f"{OWNED_PREFIX}callProfile-{pid}"
                taken.add(names[pid])
        objects["callProfiles"] = {names[pid]: obj for pid, obj in profiles.items()}
        return _State(objects)

    def get_config(self) -> str:
        owned = self._doc.keys() if self._doc else {c: set() for c in ORDER}
        return dump(self._read(owned, self._doc).doc())

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
        state = self._read(doc.keys(), doc)
        ops = plan(state, doc)
        self._check_ids(ops, state)
        return self._diff(ops)

    def _diff(self, ops: list[_Op]) -> str:
        if not ops:
            return ""
        lines = [f"--- {self.host} (running)", f"+++ {self.host} (candidate)"]
        label = {"create": " (new)", "delete": " (deleted)", "update": ""}
        for op in sorted(ops, key=lambda o: (ORDER.index(o.collection), o.key)):
            spec = SPECS[op.collection]
            lines.append(f"@@ {op.collection} {spec.key}={op.key}{label[op.action]} @@")
            for name in _param_order(spec, set(op.before) | set(op.after)):
                before, after = op.before.get(name), op.after.get(name)
                if before == after:
                    continue
                if before is not None:
                    lines.append(f"-  {name}: {_show(name, before)}")
                if after is not None:
                    lines.append(f"+  {name}: {_show(name, after)}")
        return redact("\n".join(lines) + "\n", [self.params.password, self.params.secret])

    def _check_ids(self, ops: list[_Op], state: _State) -> None:
        """References by id must be to objects that exist on the MCU and stay there."""
        deleted = {(op.collection, state.objects[op.collection][op.key].id) for op in ops if op.action == "delete"}
        checked: set[tuple[str, str]] = set()
        for op in ops:
            spec = SPECS[op.collection]
            for name, value in op.after.items():
                param = spec.params.get(name)
                if param is None or param.kind != "ref" or param.ref not in SPECS or not _is_id(value):
                    continue
                if (param.ref, value) in deleted:
                    raise ConfigError(self.host, f"{op.collection} {op.key!r}: {name} refers by id to a "
                                                 f"{SPECS[param.ref].element} that this change deletes")
                if (param.ref, value) in checked or state.key_of(param.ref, value) is not None:
                    continue
                try:
                    exists = self._get(param.ref, value) is not None
                except DriverError as exc:
                    raise DriverError(self.host, f"checking {name} of {op.collection} {op.key!r}: {exc.message}") \
                        from None
                if not exists:
                    raise ConfigError(self.host, f"{op.collection} {op.key!r}: {name} {value} does not exist on "
                                                 "the MCU")
                checked.add((param.ref, value))

    def backup(self) -> str:
        owned = self._doc.keys() if self._doc else {c: set() for c in ORDER}
        state = self._read(owned, self._doc)
        self._backup = (state.doc(), owned)
        return dump(self._backup[0])

    def commit(self, confirm_timeout: int | None = None) -> None:
        doc = self._candidate()
        owned = doc.keys()
        state = self._read(owned, doc)
        before = state.doc()
        self._backup = (before, owned)
        self._apply(state, doc, owned, before)

    def confirm(self) -> None:
        """CMS has no revert timer: nothing to confirm."""

    def rollback(self) -> None:
        if self._backup is None:
            raise DriverError(self.host, "nothing to roll back to: no backup or commit in this session")
        backup, owned_then = self._backup
        owned = {c: owned_then[c] | backup.keys()[c] | (self._doc.keys()[c] if self._doc else set()) for c in ORDER}
        state = self._read(owned, backup)
        self._apply(state, backup, owned, state.doc())

    # -- writing ---------------------------------------------------------------------------
    def _apply(self, state: _State, desired: Doc, owned: dict[str, set[str]], before: Doc) -> None:
        """Make the owned objects ``desired``; on failure undo, and say whether ``before`` is back."""
        ops = plan(state, desired)
        self._check_ids(ops, state)
        if not ops:
            return
        done: list[tuple[str, str, str, dict[str, str]]] = []
        try:
            self._execute(_phases(ops), state, done)
        except (_ApiFailure, DriverError) as exc:
            cause = exc.message if isinstance(exc, DriverError) else str(exc)
            if isinstance(exc, _ApiFailure) and not done:
                raise ConfigError(self.host, f"the MCU refused the change: {cause}; nothing was changed") from None
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"writing failed after {len(done)} change(s): {cause}", restored) from None
        try:
            left = plan(self._read(owned, desired), desired)
        except DriverError as exc:
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"reading back failed: {exc.message}", restored) from None
        if left:
            what = ", ".join(f"{op.collection} {op.key!r} ({', '.join(op.changed())})" for op in left)
            restored = self._undo(done, owned, before)
            raise CommitError(self.host, f"read back, the MCU differs from the candidate: {what}", restored)

    def _execute(self, ops: list[_Op], state: _State, done: list) -> None:
        ids = state.ids()

        def api_values(spec: Spec, values: dict[str, str]) -> dict[str, str]:
            out = {}
            for name, value in values.items():
                if name not in spec.params:
                    continue
                param = spec.params[name]
                if param.kind == "ref" and param.ref in SPECS and value:
                    value = ids[param.ref].get(value, value)
                out[name] = value
            return out

        for op in ops:
            spec = SPECS[op.collection]
            if op.action == "create":
                form = api_values(spec, op.after)
                oid = self._post(op.collection, form)
                ids[op.collection][op.key] = oid
                done.append(("create", op.collection, oid, {}))
            elif op.action == "update":
                obj = state.objects[op.collection][op.key]
                changed = op.changed()
                form = api_values(spec, {n: op.after.get(n, "") for n in changed})
                self._request("PUT", f"{op.collection}/{obj.id}", form=form)
                done.append(("update", op.collection, obj.id, {n: obj.values.get(n, "") for n in changed}))
            else:
                obj = state.objects[op.collection][op.key]
                self._request("DELETE", f"{op.collection}/{obj.id}")
                done.append(("delete", op.collection, obj.id, dict(obj.values)))

    def _post(self, collection: str, form: dict[str, str]) -> str:
        response = self._request("POST", collection, form=form)
        location = response.headers.get("Location", "")
        oid = location.rstrip("/").rsplit("/", 1)[-1].lower()
        if not location or not _is_id(oid):
            raise DriverError(self.host, f"POST {collection}: the MCU gave no Location of the new object")
        return oid

    def _undo(self, done: list, owned: dict[str, set[str]], before: Doc) -> bool:
        """Undo ``done`` (newest first); True when the MCU then matches ``before``."""
        remap: dict[str, str] = {}

        def remapped(collection: str, values: dict[str, str]) -> dict[str, str]:
            spec = SPECS[collection]
            return {n: (remap.get(v, v) if spec.params[n].kind == "ref" else v) for n, v in values.items()}

        try:
            for action, collection, oid, values in reversed(done):
                oid = remap.get(oid, oid)
                if action == "create":
                    self._request("DELETE", f"{collection}/{oid}")
                elif action == "update":
                    self._request("PUT", f"{collection}/{oid}", form=remapped(collection, values))
                else:
                    remap[oid] = self._post(collection, remapped(collection, values))
            return not plan(self._read(owned, before), before)
        except (_ApiFailure, DriverError):
            return False

    # -- maintenance queries ---------------------------------------------------------------
    def ask(self, query: dict) -> Any:
        """``{"get": "<path under /api/v1>"}``: one GET of the API (``system/status``,
        ``system/licensing``, ``system/configuration/cluster``, ``coSpaces?filter=x``…), its XML
        answer as a plain dict (see :func:`plain`).  The path is letters, digits, ``-`` and
        ``_`` between slashes, and may carry the API's documented list parameters (``offset``,
        ``limit``, ``filter`` and the ``…Filter`` ones); anything else, and any other query kind
        (the maintenance reads, never writes), is a :class:`ConfigError` before a request is
        sent.  A list is one page (the MCU's page size; give ``offset``).  Secrets (a coSpace's
        ``passcode`` and ``secret``, any ``password``) read ``<redacted>``: answers end up in
        maintenance records.  HTTP 400/404 (no such node or object, a refused parameter) is a
        ConfigError; other failures DriverErrors."""
        path, params = self._get_path(query)
        try:
            root = self._xml("GET", path, params or None)
        except _ApiFailure as exc:
            kind = ConfigError if exc.status in (400, 404) else DriverError
            raise kind(self.host, f"ask: the MCU answered {exc}") from None
        answer = _without_secrets(plain(root))
        return answer if isinstance(answer, dict) else ({"#text": answer} if answer else {})

    def _get_path(self, query: Any) -> tuple[str, dict[str, str]]:
        """The path and list parameters of a ``{"get": …}`` query, validated."""
        usage = 'cisco_cms answers {get: "<path under /api/v1>"}, e.g. {get: "system/status"}'
        if not isinstance(query, dict) or set(query) != {"get"} or not isinstance(query["get"], str):
            raise ConfigError(self.host, f"ask {_short(repr(query))}: {usage}; the maintenance only reads")
        text = query["get"].strip()
        path, mark, rest = text.partition("?")
        path = path.strip("/")
        if not _API_PATH.match(path) or path.lower().split("/")[0] == "api":
            raise ConfigError(self.host, f"ask: {_short(text)!r} is not a path under /api/v1: give segments of "
                                         "letters, digits, - and _ between slashes (no .., no host, no "
                                         "/api/v1 prefix)")
        params: dict[str, str] = {}
        if mark:
            try:
                pairs = parse_qsl(rest, keep_blank_values=True, strict_parsing=True)
            except ValueError:
                raise ConfigError(self.host, f"ask: {_short(text)!r}: the query string is not name=value&…") \
                    from None
            for name, value in pairs:
                if name not in _LIST_PARAMS or name in params:
                    raise ConfigError(self.host, f"ask: {_short(text)!r}: {name!r} is not a list parameter of the "
                                                 f"API, or is given twice (allowed: {', '.join(_LIST_PARAMS)})")
                if (name in ("offset", "limit") and not value.isdigit()) or any(not ch.isprintable() for ch in value):
                    raise ConfigError(self.host, f"ask: {_short(text)!r}: {name} has a bad value")
                params[name] = value
        return path, params

    # -- health ----------------------------------------------------------------------------
    def health(self) -> list[Check]:
        try:
            status = self._xml("GET", "system/status")
        except (_ApiFailure, DriverError) as exc:
            detail = exc.message if isinstance(exc, DriverError) else str(exc)
            return [Check("api", False, detail), Check("call bridge activated", False, "no system status")]
        activated = status.findtext("activated") == "true"
        return [
            Check("api", True, f"system/status answers (software {status.findtext('softwareVersion') or '?'})"),
            Check("call bridge activated", activated,
                  "activated" if activated else "the Call Bridge is not activated (check its licence)"),
        ]


    # -- call control ----------------------------------------------------------------------
    def call_up(self, space: str, remote: str, bandwidth_kbps: int) -> dict:
        """Make sure the owned coSpace ``space`` has its active call with a connected outgoing
        leg to ``remote``: the call is started if there is none (``POST /calls``), a connected
        leg to ``remote`` is left alone (``changed`` False, no write), disconnected ones are
        deleted and ``remote`` is dialled (``POST /calls/<id>/participants``, ``bandwidth`` in
        bit/s).  A real MCU connects a leg after a while: the new leg is read until it is
        connected or has failed, for up to the driver's timeout.  Returns ``{"changed", "leg"
        (the call leg id), "state" ("connected" or "disconnected"), "reason" (why it is not
        connected, else None)}``; a coSpace that does not exist, or is not this scope's, is a
        ConfigError."""
        if not isinstance(remote, str) or not remote.strip() or any(ch in remote for ch in "\r\n\0"):
            raise ConfigError(self.host, f"call_up {space}: the remote party must be one line of text")
        if isinstance(bandwidth_kbps, bool) or not isinstance(bandwidth_kbps, int) or bandwidth_kbps < 64:
            raise ConfigError(self.host, f"call_up {space}: bandwidth_kbps must be a whole number of 64 or more")
        remote = remote.strip()
        with self._api(f"call_up {space} to {remote}"):
            sid = self._space(space, owned=True)
            if sid is None:
                raise ConfigError(self.host, f"call_up: coSpace {space!r} does not exist on the MCU: deploy it first")
            cid = next(iter(self._active_calls(sid)), None) or self._post("calls", {"coSpace": sid})
            legs = [leg for leg in self._legs(cid)
                    if leg["direction"] == "outgoing" and leg["remote"].casefold() == remote.casefold()]
            for leg in legs:
                if leg["state"] == "connected":
                    return {"changed": False, "leg": leg["id"], "state": "connected", "reason": None}
            for leg in legs:
                self._delete(f"callLegs/{leg['id']}")
            pid = self._post(f"calls/{cid}/participants", {"remoteParty": remote, "bandwidth": str(bandwidth_kbps * 1000)})
            return {"changed": True, **self._dialled(pid)}

    def calls(self, space: str) -> list[dict]:
        """The call legs of the active call of the coSpace ``space`` (any coSpace: this only
        reads): ``[{"id", "remote", "direction" ("incoming"/"outgoing"), "state", "reason"
        (None when connected), "bandwidth" (kbit/s, None when not known)}]``; [] when the
        coSpace has no active call or does not exist."""
        with self._api(f"calls {space}"):
            sid = self._space(space, owned=False)
            return [] if sid is None else [leg for cid in self._active_calls(sid) for leg in self._legs(cid)]

    def call_down(self, space: str) -> bool:
        """End the active call of the owned coSpace ``space`` (``DELETE /calls/<id>``: every leg
        hangs up).  True when a call was ended; False when there was none, or no such coSpace."""
        with self._api(f"call_down {space}"):
            sid = self._space(space, owned=True)
            ended = False
            for cid in self._active_calls(sid) if sid else []:
                ended = self._delete(f"calls/{cid}") or ended
            return ended

    @contextmanager
    def _api(self, what: str) -> Iterator[None]:
        """API refusals during call control as driver errors: a refused write (HTTP 400) is a
        ConfigError, anything else a DriverError."""
        try:
            yield
        except _ApiFailure as exc:
            kind = ConfigError if exc.status == 400 else DriverError
            raise kind(self.host, redact(f"{what}: the MCU answered {exc}", [self.params.password])) from None

    def _space(self, name: str, owned: bool) -> str | None:
        """The id of the coSpace called ``name``, None when there is none.  ``owned``: it must be
        this scope's (a ConfigError otherwise, before anything is read)."""
        if owned and not self._owns_name(name):
            raise ConfigError(self.host, f"coSpace {name!r} is not gbtt's in the scope of {self._scope_label()}: "
                                         "gbtt controls only the calls of its own coSpaces")
        found = [item.get("id", "").lower() for item in self._list("coSpaces", {"filter": name})
                 if (item.findtext("name") or "").strip() == name]
        if len(found) > 1:
            raise ConfigError(self.host, f"the MCU has {len(found)} coSpaces named {name!r}: gbtt cannot tell which "
                                         "is meant; remove the extra ones by hand")
        return found[0] if found else None

    def _active_calls(self, space_id: str) -> list[str]:
        return [item.get("id", "").lower() for item in self._list("calls", {"coSpaceFilter": space_id})]

    def _legs(self, cid: str) -> list[dict]:
        legs = []
        for item in self._list(f"calls/{cid}/callLegs"):
            lid = item.get("id", "").lower()
            try:
                element = self._xml("GET", f"callLegs/{lid}")
            except _ApiFailure as exc:
                if exc.status == 404:            # hung up meanwhile
                    continue
                raise
            legs.append(_leg(lid, element))
        return legs

    def _delete(self, path: str) -> bool:
        """DELETE, True when it was there (a 404: gone meanwhile)."""
        try:
            self._request("DELETE", path)
        except _ApiFailure as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _dialled(self, pid: str) -> dict:
        """``leg``, ``state`` and ``reason`` of the participant ``pid`` just dialled, once it is
        connected or has failed (or the driver's timeout has passed)."""
        deadline = time.monotonic() + self.params.timeout
        while True:
            try:
                participant = self._xml("GET", f"participants/{pid}")
            except _ApiFailure as exc:
                if exc.status != 404:
                    raise
                return {"leg": pid, "state": "disconnected", "reason": "the MCU dropped the call leg"}
            state = participant.findtext("status/state") or ""
            if state in ("connected", "disconnected") or time.monotonic() >= deadline:
                break
            time.sleep(DIAL_POLL_SECONDS)
        legs = self._list(f"participants/{pid}/callLegs")
        leg = legs[0].get("id", pid).lower() if legs else pid
        if state == "connected":
            return {"leg": leg, "state": "connected", "reason": None}
        reason = participant.findtext("status/reason") or f"not connected after {self.params.timeout} s ({state})"
        return {"leg": leg, "state": "disconnected", "reason": reason}


#: an API path: segments of letters, digits, - and _ (ids are UUIDs), no "..", no empty segment
_API_PATH = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
#: the list parameters of the CMS API reference that a maintenance query may give
_LIST_PARAMS = ("offset", "limit", "filter", "coSpaceFilter", "callLegProfileFilter", "tenantFilter",
                "usageFilter", "participantFilter", "activeFilter", "callBridgeFilter")


def plain(element: ET.Element) -> Any:
    """An XML answer as plain data: an element with neither children nor attributes is its
    text ("" when empty); otherwise a dict of its children by element name (repeated ones as a
    list, in document order), its attributes as ``"@name"`` keys (``<coSpaces total="2">``
    gives ``"@total": "2"``) and any text beside children as ``"#text"``.  Values stay text."""
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    out: dict[str, Any] = {f"@{name}": value for name, value in element.attrib.items()}
    grouped: dict[str, list] = {}
    for child in children:
        grouped.setdefault(child.tag, []).append(plain(child))
    for tag, values in grouped.items():
        out[tag] = values[0] if len(values) == 1 else values
    if text:
        out["#text"] = text
    return out


def _without_secrets(value: Any) -> Any:
    """``value`` (from :func:`plain`) with the text of every secret-named element redacted."""
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    if isinstance(value, dict):
        return {k: ("<redacted>" if _is_secret(k) and isinstance(v, str) and v else _without_secrets(v))
                for k, v in value.items()}
    return value


def _leg(lid: str, element: ET.Element) -> dict:
    """A call leg as :meth:`CmsDriver.calls` gives it."""
    bandwidth = (element.findtext("status/bandwidth") or "").strip()
    return {"id": lid, "remote": (element.findtext("remoteParty") or "").strip(),
            "direction": element.findtext("direction") or element.findtext("status/direction") or "outgoing",
            "state": element.findtext("status/state") or "", "reason": element.findtext("status/reason") or None,
            "bandwidth": int(bandwidth) // 1000 if bandwidth.isdigit() else None}


def _show(name: str, value: str) -> str:
    return "<redacted>" if _is_secret(name) else value


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _failure(response: requests.Response) -> str:
    """``<failureDetails><reason a="b"/></failureDetails>`` as ``reason a="b"``."""
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return response.reason or ""
    if root.tag != "failureDetails" or not len(root):
        return response.reason or ""
    reason = root[0]
    attrs = " ".join(f'{k}="{v}"' for k, v in reason.attrib.items())
    return f"{reason.tag} {attrs}".strip()
