"""The simulated Cisco Meeting Server (CMS) of the embedded lab: the MCU of each system.

A :class:`CmsMcu` answers the CMS REST API (``/api/v1/…``) the way a Call Bridge does, so the
MCU role and its drivers can be developed and tested against the lab.  The lab core serves it
over HTTPS with basic auth; this module only turns an :class:`HttpRequest` into an
:class:`HttpResponse`.

What is simulated
-----------------
* Configuration objects with create (POST), read (GET), modify (PUT) and delete (DELETE):
  ``coSpaces``, ``callLegProfiles``, ``callProfiles``, ``outboundDialPlanRules``,
  ``inboundDialPlanRules``, with the parameters of the CMS API reference (2.x/3.x; the inbound
  rules' ``resolveTocoSpaces`` is spelt with a small c, as there).  Parameters are
  form-encoded; values are checked by type (``true|false``, numbers, the documented
  enumerations, references to other objects).  PUT leaves omitted parameters alone and unsets a
  parameter given empty.  A new inbound rule resolves to users, coSpaces and IVRs and not to
  Lync unless the request says otherwise (the Web Admin's defaults).
* Active calls: ``POST /calls`` (``coSpace=…`` or ``name=…``) starts a call (asking again for
  a coSpace finds its one active call); ``POST /calls/<id>/participants`` (or ``/callLegs``)
  with ``remoteParty=…`` dials out.  A participant and its one SIP call leg share their id, as
  on a CMS.  A call profile's ``participantLimit`` is enforced.  Routing, by the outbound dial
  plan as a Call Bridge does it: the remote party (``user@domain``, a ``sip:`` URI, an address
  or a host name; ``;parameters`` and ``:port`` dropped) has a domain; the outbound rules whose
  ``domain`` is exactly that (case-insensitive; wildcards are not simulated) are tried highest
  ``priority`` first, the next one only after a failure of a rule with ``failureAction
  continue``, and send the call to their ``sipProxy`` (or the domain), looked up in the lab by
  address or host name.  Without a matching rule the MCU looks the remote party up directly
  (the domain, then the user part), as the lab always did: that reaches a codec, but never
  another Call Bridge (``unknownDestination``: a Call Bridge needs a dial plan rule for that).

  - A codec gets ``incoming_call(caller_uri, rate_kbps)`` (the caller is the coSpace's URI at
    this MCU's address, else the address; the rate is the leg's ``bandwidth`` in bit/s, 2000
    kbit/s when the request gives none) and the participant is *connected*.
  - Another lab MCU (a cascade) takes the call with its inbound dial plan
    (:meth:`CmsMcu.incoming_cascade`): a rule for exactly the called domain with
    ``resolveTocoSpaces`` true, and a coSpace whose ``uri``, ``secondaryUri`` or ``callId`` is
    the user part.  The call joins that coSpace's active call (started for it if there is none,
    with ``activeWhenEmpty`` false, so it ends with its last participant) as a connected leg
    with direction *incoming*, remote party ``<caller coSpace uri>@<caller address>`` and the
    caller's bandwidth.  Both legs keep the other's host and leg id.
  - Otherwise the participant stays listed as *disconnected* with a ``reason``
    (``unknownDestination``: nothing there, no inbound rule or no coSpace;
    ``incompatibleDestination``: a router; ``callRejected``: the codec refused, or the other
    MCU's participant limit is reached) — real CMS drops a failed leg; the lab keeps it so
    that a playbook can see why.

  Hanging up: DELETE of a participant, call leg or call (and of a coSpace with a call), and
  the ``reboot`` fault, end the legs.  A codec gets ``end_call(codec_call_id)``; the other MCU
  of a cascade loses its end too: an incoming leg there is removed (a CMS removes every leg
  that ends), an outgoing one stays listed *disconnected* with reason ``remoteTeardown``.  A
  call whose ``activeWhenEmpty`` is false ends when its last connected leg goes.  Every dial,
  answer, refusal and hang-up is a ``dial`` entry of the lab's request log, on both MCUs.
  Active calls are part of the state too (a cascade leg names its peer by host and leg id), so
  they outlast ``gbtt lab down``/``up``.
* Lists: ``offset``/``limit`` paging with ``total`` = every match; the server caps a page at
  :attr:`CmsMcu.page_limit` entries (10), like the real server's own limit, so clients must
  page.  ``filter`` (substring, case-insensitive) where the reference has it: coSpaces (name,
  uri, secondaryUri, callId), outbound and inbound dial plan rules (domain), call legs (name,
  remote party), participants (name, uri); plus ``callLegProfileFilter``, ``usageFilter``,
  ``coSpaceFilter`` and ``participantFilter``.
* Errors as ``<failureDetails>`` with the reference's reason codes: ``…DoesNotExist`` (404 for
  the object in the URL, 400 for one referenced by a parameter), ``parameterError`` with
  ``parameter`` and ``error`` attributes (400; ``error`` is ``unrecognised``, ``required`` or
  ``invalidValue``), ``duplicateCoSpaceUri``, ``duplicateCoSpaceId``,
  ``participantLimitReached``, ``invalidOperation`` (405) and ``unrecognizedObject`` (404).
* ``/system/status`` as the API reference gives it: ``softwareVersion`` (the registry's
  baseline unless ``drift version`` changed it), ``uptimeSeconds``, ``activated`` (the
  ``callBridge`` licence is activated or in grace), ``callLegsActive`` (connected legs now),
  ``callLegsMaxActive`` (the most at once since boot), ``callLegsCompleted`` (since boot) and
  the audio and video bit rates.  ``/system/licensing``: per feature (``callBridge``,
  ``webBridge``, ``turn``, ``shared``, ``personal``, ``recording``…) a ``status``
  (``activated``, ``grace``, ``expired``, ``noLicense``) and an ``expiry`` written as the MCU
  writes it (``2030-Dec-31``).  ``/system/configuration/cluster`` (GET, PUT, POST):
  ``uniqueName``, ``peerLinkBitRate``, ``participantLimit``, ``loadLimit`` and the load limit
  basis points; a factory MCU has ``participantLimit`` 96 (a CMS 1000) or 700 (a CMS 2000),
  about the 720p30 call capacity of the model, and only that limit acts: an incoming call is
  refused (``callRejected``) while that many legs are connected, as a real Call Bridge
  refuses new incoming SIP calls at its limit.
* Node names are matched case-insensitively (``/api/v1/calllegprofiles`` works, as on a CMS).
* Ids are UUIDs derived from the host name and a counter kept in the state, so the same
  requests give the same ids after ``gbtt lab reset``; generated call ids and secrets too.
* Faults: ``reboot`` drops every active call (the configuration is kept: a CMS has no unsaved
  configuration); ``drift`` changes or deletes an object out of band, or a licence
  (``drift licence shared expired``, ``drift licence callBridge activated 2026-Dec-31``), a
  cluster setting (``drift cluster participantLimit 5``) or the installed software
  (``drift version 3.8.1``; ``drift version baseline`` goes back); see :meth:`CmsMcu.drift`.
  The TLS certificate is the lab core's (``gbtt/lab/server.py``): ``badcert`` serves one of an
  untrusted CA, ``badcert DAYS`` one of the lab CA with DAYS of validity left (``badcert 10``
  expires in ten days, ``badcert -30`` expired a month ago); ``clear`` serves the normal one.

What is not
-----------
Media and SIP signalling (a cascade is one method call between the two simulators, and it
connects or fails at once: no ringing), wildcard domains, ``localContactDomain``/``trunkType``/
``sipControlEncryption`` and the rules' scope (stored only), call forwarding rules, the
inbound rules' ``resolveToUsers``/``resolveToIvrs``/Lync targets (stored only), tenants, users,
LDAP, access methods, coSpace members, passcodes on incoming calls, call branding, IVRs,
clustering and distributed calls (each MCU of a cascade sees a plain SIP leg), recording and
streaming (flags only), CDRs and webhooks, ``/system/load`` and the load limits (stored
only), ``/system/multipartyLicensing`` and licence enforcement (an expired licence changes
only ``activated``), the web admin pages and the MMP.  A codec hanging
up on its side is not seen by the MCU; a Call Bridge that dials itself fails
(``unknownDestination``).  Unknown parameters are refused (``parameterError``), also in query
strings, which a real CMS may silently ignore: the lab is stricter on purpose.
"""

from __future__ import annotations

import base64
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Iterable

from gbtt.lab.device import CallRefused, Device, Facts, HttpRequest, HttpResponse, Lab

#: namespace of every id the simulated MCUs make (uuid5 of host and counter)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gbtt.invalid/lab/cisco_cms")

API_PREFIX = "/api/v1"
DEFAULT_BANDWIDTH_BPS = 2_000_000     # a call leg's bandwidth when the request gives none
LICENCE_EXPIRY = "2030-Dec-31"          # the MMP and API date format: YYYY-Mon-DD
#: ``participantLimit`` of ``/system/configuration/cluster`` after a factory reset, by model
#: (about the 720p30 call capacity Cisco gives for each); other models have none
PARTICIPANT_LIMITS = {"Cisco Meeting Server 1000": 96, "Cisco Meeting Server 2000": 700}


# =========================================================================================
# Parameters
# =========================================================================================

@dataclass(frozen=True)
class Param:
    """One form parameter: how its value is checked and whether it is stored."""

    kind: str = "text"                   # text | bool | int | enum | ref | digits | dtmf
    choices: tuple[str, ...] = ()        # enum values (kind "enum"); extra words for "int"
    ref: str = ""                        # the collection an id refers to (kind "ref")
    minimum: int = 0
    maximum: int | None = None
    stored: bool = True                  # False: an action (requireCallId), not a setting


TEXT, BOOL, INT, DIGITS = Param(), Param("bool"), Param("int"), Param("digits")


def _enum(*choices: str) -> Param:
    return Param("enum", choices)


def _ref(collection: str) -> Param:
    return Param("ref", ref=collection)


LAYOUT = _enum("allEqual", "speakerOnly", "telepresence", "stacked", "allEqualQuarters",
               "allEqualNinths", "allEqualSixteenths", "allEqualTwentyFifths", "onePlusFive",
               "onePlusSeven", "onePlusNine", "automatic", "onePlusN")

#: the in-call behaviour a call leg profile sets, and a call leg can override
_CALL_LEG_SETTINGS: dict[str, Param] = {
    "needsActivation": BOOL, "defaultLayout": LAYOUT, "changeLayoutAllowed": BOOL,
    "participantLabels": BOOL, "presentationDisplayMode": _enum("dualStream", "singleStream"),
    "presentationContributionAllowed": BOOL, "presentationViewingAllowed": BOOL,
    "endCallAllowed": BOOL, "muteOthersAllowed": BOOL, "videoMuteOthersAllowed": BOOL,
    "muteSelfAllowed": BOOL, "videoMuteSelfAllowed": BOOL,
    "joinToneParticipantThreshold": Param("int", maximum=100),
    "leaveToneParticipantThreshold": Param("int", maximum=100),
    "videoMode": _enum("auto", "disabled"), "rxAudioMute": BOOL, "txAudioMute": BOOL,
    "rxVideoMute": BOOL, "txVideoMute": BOOL,
    "sipMediaEncryption": _enum("optional", "required", "prohibited"),
    "audioPacketSizeMs": INT, "deactivationMode": _enum("deactivate", "disconnect", "remainActivated"),
    "deactivationModeTime": INT, "telepresenceCallsAllowed": BOOL,
    "sipPresentationChannelEnabled": BOOL, "bfcpMode": _enum("serverOnly", "serverAndClient"),
    "disconnectOthersAllowed": BOOL, "addParticipantAllowed": BOOL,
    "qualityMain": _enum("unrestricted", "max1080p30", "max720p30", "max480p30"),
    "qualityPresentation": _enum("unrestricted", "max1080p30", "max720p5"),
    "participantCounter": _enum("never", "auto", "always"),
}

_CALL_LEG_PROFILE_PARAMS: dict[str, Param] = {
    "name": TEXT, **_CALL_LEG_SETTINGS,
    "allowAllPresentationContributionAllowed": BOOL, "changeJoinAudioMuteOverrideAllowed": BOOL,
    "allowAllMuteSelfAllowed": BOOL, "callLockAllowed": BOOL, "setImportanceAllowed": BOOL,
    "recordingControlAllowed": BOOL, "streamingControlAllowed": BOOL, "maxCallDurationTime": INT,
}

_COSPACE_PARAMS: dict[str, Param] = {
    "name": TEXT, "uri": TEXT, "secondaryUri": TEXT, "callId": DIGITS, "cdrTag": TEXT,
    "passcode": DIGITS, "defaultLayout": LAYOUT, "tenant": _ref("tenants"),
    "callLegProfile": _ref("callLegProfiles"), "callProfile": _ref("callProfiles"),
    "callBrandingProfile": _ref("callBrandingProfiles"),
    "requireCallId": Param("bool", stored=False), "secret": TEXT,
    "nonMemberAccess": BOOL, "ownerJid": TEXT, "streamUrl": TEXT, "ownerAdGuid": TEXT,
    "meetingScheduler": TEXT, "panePlacementHighestImportance": INT,
    "panePlacementSelfPaneMode": _enum("skip", "self", "blank", "unset"),
}

_CALL_PROFILE_PARAMS: dict[str, Param] = {
    "participantLimit": INT, "messageBoardEnabled": BOOL, "locked": BOOL,
    "recordingMode": _enum("disabled", "manual", "automatic"),
    "streamingMode": _enum("disabled", "manual", "automatic"),
    "passcodeMode": _enum("required", "timeout"), "passcodeTimeout": INT,
    "gatewayAudioCallOptimization": BOOL,
    "lyncConferenceMode": _enum("dualHomeCluster", "dualHomeCallBridge", "gateway"),
}

_OUTBOUND_RULE_PARAMS: dict[str, Param] = {
    "domain": TEXT, "priority": INT, "localContactDomain": TEXT, "localFromDomain": TEXT,
    "sipProxy": TEXT, "trunkType": _enum("sip", "lync", "avaya"),
    "failureAction": _enum("stop", "continue"),
    "sipControlEncryption": _enum("auto", "encrypted", "unencrypted"),
    "scope": _enum("global", "callBridge", "callBridgeGroup"),
    "callBridge": _ref("callBridges"), "callBridgeGroup": _ref("callBridgeGroups"),
    "tenant": _ref("tenants"), "callRouting": _enum("default", "traversal"),
}

#: the incoming call matching rules (``/inboundDialPlanRules``), spelt as in the API reference
#: (``resolveTocoSpaces``, with a small c)
_INBOUND_RULE_PARAMS: dict[str, Param] = {
    "domain": TEXT, "priority": INT, "resolveToUsers": BOOL, "resolveTocoSpaces": BOOL, "resolveToIvrs": BOOL,
    "resolveToLyncConferences": BOOL, "resolveToLyncSimplejoin": BOOL, "tenant": _ref("tenants"),
}

_CALL_SETTINGS: dict[str, Param] = {
    "locked": BOOL, "recording": BOOL, "streaming": BOOL, "allowAllMuteSelf": BOOL,
    "allowAllPresentationContribution": BOOL, "joinAudioMuteOverride": BOOL, "messageText": TEXT,
    "messagePosition": _enum("top", "middle", "bottom"),
    "messageDuration": Param("int", choices=("permanent",)), "activeWhenEmpty": BOOL,
    "panePlacementHighestImportance": INT,
    "panePlacementSelfPaneMode": _enum("skip", "self", "blank", "unset"),
}
_CALL_CREATE_PARAMS = {"coSpace": _ref("coSpaces"), "name": TEXT, **_CALL_SETTINGS}

#: ``/system/configuration/cluster``: this Call Bridge's place in a cluster, and its limits
#: (only ``participantLimit`` acts: incoming calls are refused when it is reached)
_CLUSTER_PARAMS: dict[str, Param] = {
    "uniqueName": TEXT, "peerLinkBitRate": INT, "participantLimit": INT, "loadLimit": INT,
    "newConferenceLoadLimitBasisPoints": Param("int", maximum=10000),
    "existingConferenceLoadLimitBasisPoints": Param("int", maximum=10000),
}

#: what a call leg can change while it is up (also accepted when it is created)
_LEG_MODIFY_PARAMS: dict[str, Param] = {
    **_CALL_LEG_SETTINGS, "layout": LAYOUT, "chosenLayout": LAYOUT,
    "callLegProfile": _ref("callLegProfiles"), "ownerId": TEXT, "nameLabelOverride": TEXT,
    "dtmfSequence": Param("dtmf", stored=False),
}
_LEG_CREATE_PARAMS: dict[str, Param] = {
    "remoteParty": TEXT, "bandwidth": Param("int", minimum=64_000), "confirmation": BOOL,
    "importance": INT, **_LEG_MODIFY_PARAMS,
}
_PARTICIPANT_MODIFY_PARAMS: dict[str, Param] = {"importance": INT, "nameLabelOverride": TEXT}


@dataclass(frozen=True)
class Resource:
    """A configuration collection: ``/api/v1/<collection>`` of ``<element id=…>`` objects."""

    collection: str
    element: str
    params: dict[str, Param]
    summary: tuple[str, ...]                       # what a list shows of each object
    filter_fields: tuple[str, ...] = ()            # what ``filter=`` matches (empty: no filter)
    list_params: tuple[str, ...] = ()              # other query parameters of the list
    required: tuple[str, ...] = ()                 # must be given (and not empty) on POST
    defaults: dict[str, str] = field(default_factory=dict)   # set on POST when not given

    @property
    def not_found(self) -> str:
        return f"{self.element}DoesNotExist"


RESOURCES: dict[str, Resource] = {r.collection: r for r in (
    Resource("coSpaces", "coSpace", _COSPACE_PARAMS,
             summary=("name", "autoGenerated", "uri", "secondaryUri", "callId"),
             filter_fields=("name", "uri", "secondaryUri", "callId"),
             list_params=("callLegProfileFilter",)),
    Resource("callLegProfiles", "callLegProfile", _CALL_LEG_PROFILE_PARAMS,
             summary=("name",), list_params=("usageFilter",)),
    Resource("callProfiles", "callProfile", _CALL_PROFILE_PARAMS,
             summary=(), list_params=("usageFilter",)),
    Resource("outboundDialPlanRules", "outboundDialPlanRule", _OUTBOUND_RULE_PARAMS,
             summary=("domain", "priority"), filter_fields=("domain",), required=("domain",),
             defaults={"priority": "0", "trunkType": "sip", "sipControlEncryption": "auto",
                       "failureAction": "stop", "scope": "global", "callRouting": "default"}),
    Resource("inboundDialPlanRules", "inboundDialPlanRule", _INBOUND_RULE_PARAMS,
             summary=("domain", "tenant"), filter_fields=("domain",), required=("domain",),
             defaults={"priority": "0", "resolveToUsers": "true", "resolveTocoSpaces": "true",
                       "resolveToIvrs": "true", "resolveToLyncConferences": "false",
                       "resolveToLyncSimplejoin": "false"}),
)}

#: element names of the collections a parameter may refer to (some are not simulated, so
#: every reference to them fails as on a CMS where none is configured)
_ELEMENT = {**{r.collection: r.element for r in RESOURCES.values()}, "tenants": "tenant",
            "callBrandingProfiles": "callBrandingProfile", "callBridges": "callBridge",
            "callBridgeGroups": "callBridgeGroup", "calls": "call", "participants": "participant"}

#: node names, matched case-insensitively like the real API
_NODES = {name.lower(): name for name in (*RESOURCES, "calls", "callLegs", "participants", "system")}


# =========================================================================================
# Errors and XML
# =========================================================================================

class ApiError(Exception):
    """A request the MCU refuses: answered with ``<failureDetails><reason …/></failureDetails>``."""

    def __init__(self, status: int, reason: str, **attributes: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.attributes = attributes

    @classmethod
    def parameter(cls, name: str, error: str) -> ApiError:
        return cls(400, "parameterError", parameter=name, error=error)

    def response(self) -> HttpResponse:
        root = ET.Element("failureDetails")
        ET.SubElement(root, self.reason, self.attributes)
        return HttpResponse(self.status, _document(root))

    def __str__(self) -> str:
        details = " ".join(f'{k}="{v}"' for k, v in self.attributes.items())
        return f"{self.reason} {details}".strip()


class _Refused(CallRefused):
    """A Call Bridge turned an incoming cascade call down (the lab's :class:`CallRefused`)."""


def _split_uri(uri: str) -> tuple[str, str]:
    """``(user, host)`` of a dial string, as :meth:`Device.resolve` reads it: a ``sip:``,
    ``sips:``, ``h323:`` or ``tel:`` scheme, ``;parameters`` and a ``:port`` are dropped; a
    string without ``@`` is all host (``user`` is then "")."""
    text = uri.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("sip", "sips", "h323", "tel"):
        text = rest
    user, _, host = text.split(";", 1)[0].rpartition("@")
    bare, colon, port = host.rpartition(":")
    if colon and port.isdigit() and ":" not in bare:   # host:port, not an IPv6 address
        host = bare
    return user, host


def _document(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _add(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    """Append ``<tag>value</tag>``: booleans as true/false, floats rounded to seconds."""
    child = ET.SubElement(parent, tag)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, float):
        child.text = str(int(value))
    else:
        child.text = str(value)
    return child


def _add_fields(parent: ET.Element, values: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in values:
            _add(parent, name, values[name])


def _matches(text: str, values: Iterable[Any]) -> bool:
    needle = text.casefold()
    return any(needle in str(v).casefold() for v in values if v is not None)


def _xml(root: ET.Element) -> HttpResponse:
    return HttpResponse(200, _document(root))


def _apply(target: dict[str, Any], values: dict[str, str], params: dict[str, Param]) -> None:
    """Set the stored parameters among ``values`` on ``target``; an empty value unsets."""
    for name, value in values.items():
        if not params[name].stored:
            continue
        if value == "":
            target.pop(name, None)
        else:
            target[name] = value


# =========================================================================================
# The device
# =========================================================================================

class CmsMcu(Device):
    """A Cisco Meeting Server Call Bridge answering its REST API."""

    platform: ClassVar[str] = "cisco_cms"
    protocol: ClassVar[str] = "https"
    cascades: ClassVar[bool] = True
    #: the most entries one list response holds, whatever ``limit`` asks
    page_limit: ClassVar[int] = 10

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        super().__init__(facts, lab, state)
        self._legs_completed = 0          # since boot, as /system/status reports them
        self._legs_max_active = 0

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        """No configuration; the Call Bridge's host id and licences."""
        features = {name: {"status": "activated", "expiry": LICENCE_EXPIRY}
                    for name in ("callBridge", "webBridge", "turn")}
        features["callBridgeNoEncryption"] = {"status": "noLicense"}
        features["recording"] = {"status": "noLicense"}
        features["streaming"] = {"status": "noLicense"}
        features["personal"] = {"status": "noLicense"}
        features["shared"] = {"status": "activated", "expiry": LICENCE_EXPIRY, "limit": 50}
        features["capacityUnits"] = {"status": "noLicense"}
        return {
            "nextId": 0,
            "system": {"hostId": str(uuid.uuid5(_NAMESPACE, f"{facts.host}/host")),
                       "licensing": features, "cluster": cls._factory_cluster(facts)},
            **{collection: {} for collection in RESOURCES},
            "calls": {},
            "participants": {},
        }

    @staticmethod
    def _factory_cluster(facts: Facts) -> dict[str, str]:
        limit = PARTICIPANT_LIMITS.get(facts.model or "")
        return {"participantLimit": str(limit)} if limit else {}

    def _cluster(self) -> dict[str, str]:
        """The Call Bridge's ``/system/configuration/cluster`` settings (a state saved before
        they were simulated gets the factory ones)."""
        return self.state["system"].setdefault("cluster", self._factory_cluster(self.facts))

    def software_version(self) -> str:
        """What ``softwareVersion`` says: the registry's baseline, unless ``drift version`` put
        other firmware on the MCU."""
        return self.state["system"].get("softwareVersion") or self.facts.software or ""

    def reboot(self) -> None:
        """Every active call ends (the codecs hang up, the other end of each cascade sees its leg
        go); the configuration stays."""
        for leg in self.state["participants"].values():
            self._hang_up(leg, "reboot")
        self.state["calls"].clear()
        self.state["participants"].clear()
        self._legs_completed = 0
        self._legs_max_active = 0
        super().reboot()

    def drift(self, args: list[str]) -> str:
        """Change the MCU out of band, as an administrator on the web interface would:

        * ``<kind> <id|name|uri|domain> <parameter> <value>`` sets a parameter ("" unsets);
        * ``<kind> <id|name|uri|domain> delete`` deletes the object;
        * ``licence <feature> <status> [<expiry>]`` changes a licence (``activated``,
          ``grace``, ``expired``, ``noLicense``; the expiry as the MCU writes it, ``2030-Dec-31``);
        * ``cluster <parameter> <value>`` sets a parameter of ``/system/configuration/cluster``
          (``participantLimit 5``; "" unsets it);
        * ``version <version>`` installs other software (``version 3.8.1``: what
          ``softwareVersion`` says); ``version baseline`` goes back to the registry's baseline.

        ``kind`` is ``coSpace``, ``callLegProfile``, ``callProfile``,
        ``outboundDialPlanRule`` or ``inboundDialPlanRule``.  Raises ValueError on bad arguments.
        """
        if len(args) >= 3 and args[0].lower() in ("licence", "license"):
            return self._drift_licence(args[1:])
        if len(args) == 3 and args[0].lower() == "cluster":
            before = self._cluster().get(args[1], "")
            try:
                self._modify_cluster({args[1]: args[2]})
            except ApiError as err:
                raise ValueError(f"drift: cluster: {err}") from err
            return f"cluster: {args[1]} {before!r} -> {self._cluster().get(args[1], '')!r}"
        if len(args) == 2 and args[0].lower() == "version":
            return self._drift_version(args[1])
        by_element = {r.element.lower(): r for r in RESOURCES.values()}
        res = by_element.get(args[0].lower()) if args else None
        if res is None or len(args) not in (3, 4) or (len(args) == 3 and args[2] != "delete"):
            raise ValueError("drift: <coSpace|callLegProfile|callProfile|outboundDialPlanRule|inboundDialPlanRule> "
                             "<id|name> <parameter> <value> | <kind> <id|name> delete | "
                             "licence <feature> <status> [<expiry>] | cluster <parameter> <value> | "
                             "version <version|baseline>")
        oid = self._select(res, args[1])
        obj = self.state[res.collection][oid]
        label = f"{res.element} {obj.get('name') or obj.get('uri') or obj.get('domain') or oid}"
        if len(args) == 3:
            self._delete_object(res, oid)
            return f"deleted {label}"
        name, value = args[2], args[3]
        before = obj.get(name, "")
        try:
            self._modify_object(res, oid, {name: value})
        except ApiError as err:
            raise ValueError(f"drift: {label}: {err}") from err
        after = self.state[res.collection][oid].get(name, "")
        return f"{label}: {name} {before!r} -> {after!r}"

    def _drift_licence(self, args: list[str]) -> str:
        features = self.state["system"]["licensing"]
        feature, status = args[0], args[1]
        if feature not in features or status not in ("activated", "grace", "expired", "noLicense"):
            raise ValueError(f"drift: licence {feature} {status}: features {', '.join(features)}; "
                             "status activated|grace|expired|noLicense")
        entry = features[feature]
        entry["status"] = status
        if status == "noLicense":
            entry.pop("expiry", None)
        elif len(args) > 2:
            entry["expiry"] = args[2]
        else:
            entry.setdefault("expiry", LICENCE_EXPIRY)
        return f"licence {feature}: {status}" + (f" (expiry {entry['expiry']})" if "expiry" in entry else "")

    def _drift_version(self, version: str) -> str:
        before = self.software_version()
        if version == "baseline":
            self.state["system"].pop("softwareVersion", None)
        elif not version or any(ch.isspace() or not ch.isprintable() for ch in version):
            raise ValueError(f"drift: version {version!r}: give a version such as 3.8.1, or baseline")
        else:
            self.state["system"]["softwareVersion"] = version
        return f"softwareVersion {before!r} -> {self.software_version()!r}"

    def _modify_cluster(self, form: dict[str, str]) -> None:
        values = self._check_form(form, _CLUSTER_PARAMS)
        cluster = dict(self._cluster())
        _apply(cluster, values, _CLUSTER_PARAMS)
        self.state["system"]["cluster"] = cluster

    def _select(self, res: Resource, key: str) -> str:
        """The id of the one object whose id, name, uri or domain is ``key``."""
        objects = self.state[res.collection]
        if key.lower() in objects:
            return key.lower()
        found = [oid for oid, obj in objects.items()
                 if key.casefold() in (str(obj.get(f, "")).casefold() for f in ("name", "uri", "domain"))]
        if len(found) != 1:
            raise ValueError(f"drift: {len(found) or 'no'} {res.element} match {key!r}")
        return found[0]

    # -- HTTP ---------------------------------------------------------------------------
    async def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self._route(request)
        except ApiError as err:
            response = err.response()
            self.lab.log(self.facts.host, "api", f"{request.method} {request.path}: {response.status} {err}")
        else:
            if request.method != "GET":
                where = response.headers.get("Location", "")
                self.lab.log(self.facts.host, "api",
                             f"{request.method} {request.path}: {response.status} {where}".rstrip())
        return response

    def _route(self, request: HttpRequest) -> HttpResponse:
        path = request.path.rstrip("/")
        if not path.startswith(API_PREFIX + "/"):
            raise ApiError(404, "unrecognizedObject")
        parts = path[len(API_PREFIX) + 1:].split("/")
        node = _NODES.get(parts[0].lower())
        if node is None:
            raise ApiError(404, "unrecognizedObject")
        method = request.method.upper()
        if method in ("POST", "PUT", "DELETE") and request.query:
            raise ApiError.parameter(next(iter(request.query)), "unrecognised")
        if node == "system":
            return self._system(method, parts[1:], request)
        if node in RESOURCES:
            return self._config(RESOURCES[node], method, parts[1:], request)
        if node == "calls":
            return self._calls(method, parts[1:], request)
        if node == "participants":
            return self._participants(method, parts[1:], request)
        return self._call_legs(method, parts[1:], request)

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise ApiError(405, "invalidOperation")

    # -- configuration objects ----------------------------------------------------------
    def _config(self, res: Resource, method: str, rest: list[str], request: HttpRequest) -> HttpResponse:
        if len(rest) > 1:
            raise ApiError(404, "unrecognizedObject")
        if not rest:
            self._allow(method, "GET", "POST")
            if method == "GET":
                return self._list_config(res, request.query)
            oid = self._create_object(res, request.form)
            return HttpResponse(200, "", {"Location": f"{API_PREFIX}/{res.collection}/{oid}"})
        oid = rest[0].lower()
        if oid not in self.state[res.collection]:
            raise ApiError(404, res.not_found)
        self._allow(method, "GET", "PUT", "DELETE")
        if method == "GET":
            self._check_query(request.query, ())
            return _xml(self._config_element(res, oid))
        if method == "PUT":
            self._modify_object(res, oid, request.form)
        else:
            self._delete_object(res, oid)
        return HttpResponse(200, "")

    def _list_config(self, res: Resource, query: dict[str, str]) -> HttpResponse:
        self._check_query(query, (*(("filter",) if res.filter_fields else ()), *res.list_params))
        if query.get("usageFilter") not in (None, "referenced", "unreferenced"):
            raise ApiError.parameter("usageFilter", "invalidValue")
        selected = []
        for oid, obj in self.state[res.collection].items():
            if "filter" in query and not _matches(query["filter"], (obj.get(f) for f in res.filter_fields)):
                continue
            if "callLegProfileFilter" in query and obj.get("callLegProfile") != query["callLegProfileFilter"].lower():
                continue
            if "usageFilter" in query and self._referenced(res, oid) != (query["usageFilter"] == "referenced"):
                continue
            selected.append(oid)
        return self._page(res.collection, query, selected,
                          lambda oid: self._config_element(res, oid, summary=True))

    def _config_element(self, res: Resource, oid: str, summary: bool = False) -> ET.Element:
        obj = self.state[res.collection][oid]
        element = ET.Element(res.element, id=oid)
        names = res.summary if summary else (*res.summary, *(n for n in res.params if n not in res.summary))
        _add_fields(element, obj, names)
        return element

    def _referenced(self, res: Resource, oid: str) -> bool:
        """Whether a coSpace uses this call leg profile or call profile."""
        return any(space.get(res.element) == oid for space in self.state["coSpaces"].values())

    def _create_object(self, res: Resource, form: dict[str, str]) -> str:
        values = self._check_form(form, res.params, required=res.required)
        obj: dict[str, Any] = {"autoGenerated": "false"} if res.collection == "coSpaces" else {}
        obj.update(res.defaults)
        _apply(obj, values, res.params)
        if res.collection == "coSpaces":
            self._check_cospace_unique(None, obj)
        oid = self._new_id()
        if res.collection == "coSpaces":
            self._complete_cospace(obj, values)
        self.state[res.collection][oid] = obj
        return oid

    def _modify_object(self, res: Resource, oid: str, form: dict[str, str]) -> None:
        params = dict(res.params)
        if res.collection == "coSpaces":
            params["regenerateSecret"] = Param("bool", stored=False)
        values = self._check_form(form, params)
        for name in res.required:
            if values.get(name) == "":
                raise ApiError.parameter(name, "invalidValue")
        updated = dict(self.state[res.collection][oid])
        _apply(updated, values, params)
        if res.collection == "coSpaces":
            self._check_cospace_unique(oid, updated)
            self._complete_cospace(updated, values)
        self.state[res.collection][oid] = updated

    def _delete_object(self, res: Resource, oid: str) -> None:
        if res.collection == "coSpaces":
            for cid, call in list(self.state["calls"].items()):
                if call.get("coSpace") == oid:
                    self._end_call(cid, "coSpace deleted")
        del self.state[res.collection][oid]

    def _check_cospace_unique(self, oid: str | None, obj: dict[str, Any]) -> None:
        """A URI (primary or secondary) and a call id belong to one coSpace only."""
        mine = {obj[f].casefold() for f in ("uri", "secondaryUri") if obj.get(f)}
        for other_id, other in self.state["coSpaces"].items():
            if other_id == oid:
                continue
            if mine & {other[f].casefold() for f in ("uri", "secondaryUri") if other.get(f)}:
                raise ApiError(400, "duplicateCoSpaceUri")
            if obj.get("callId") and obj.get("callId") == other.get("callId"):
                raise ApiError(400, "duplicateCoSpaceId")

    def _complete_cospace(self, obj: dict[str, Any], values: dict[str, str]) -> None:
        """``requireCallId`` generates a call id; a coSpace with a call id gets a secret."""
        if values.get("requireCallId") == "true" and not obj.get("callId"):
            taken = {space.get("callId") for space in self.state["coSpaces"].values()}
            call_id = str(100_000_000 + self._new_uuid().int % 900_000_000)
            while call_id in taken:
                call_id = str(100_000_000 + self._new_uuid().int % 900_000_000)
            obj["callId"] = call_id
        if obj.get("callId") and (not obj.get("secret") or values.get("regenerateSecret") == "true"):
            obj["secret"] = base64.urlsafe_b64encode(self._new_uuid().bytes).decode().rstrip("=")

    # -- calls --------------------------------------------------------------------------
    def _calls(self, method: str, rest: list[str], request: HttpRequest) -> HttpResponse:
        if not rest:
            self._allow(method, "GET", "POST")
            if method == "GET":
                self._check_query(request.query, ("coSpaceFilter",))
                ids = [cid for cid, call in self.state["calls"].items()
                       if "coSpaceFilter" not in request.query
                       or call.get("coSpace") == request.query["coSpaceFilter"].lower()]
                return self._page("calls", request.query, ids, lambda cid: self._call_element(cid, True))
            cid = self._create_call(request.form)
            return HttpResponse(200, "", {"Location": f"{API_PREFIX}/calls/{cid}"})
        cid = rest[0].lower()
        if cid not in self.state["calls"]:
            raise ApiError(404, "callDoesNotExist")
        if len(rest) == 1:
            self._allow(method, "GET", "PUT", "DELETE")
            if method == "GET":
                self._check_query(request.query, ())
                return _xml(self._call_element(cid))
            if method == "PUT":
                values = self._check_form(request.form, _CALL_SETTINGS)
                _apply(self.state["calls"][cid]["settings"], values, _CALL_SETTINGS)
            else:
                self._end_call(cid, "deleted")
            return HttpResponse(200, "")
        if len(rest) == 2 and rest[1].lower() in ("participants", "calllegs"):
            self._allow(method, "GET", "POST")
            as_legs = rest[1].lower() == "calllegs"
            if method == "GET":
                ids = [pid for pid, leg in self.state["participants"].items() if leg["call"] == cid]
                return self._list_legs(request.query, ids, as_legs)
            pid = self._add_participant(cid, request.form)
            node = "callLegs" if as_legs else "participants"
            return HttpResponse(200, "", {"Location": f"{API_PREFIX}/{node}/{pid}"})
        raise ApiError(404, "unrecognizedObject")

    def _create_call(self, form: dict[str, str]) -> str:
        values = self._check_form(form, _CALL_CREATE_PARAMS)
        space_id = values.pop("coSpace", "")
        name = values.pop("name", "")
        if not space_id and not name:
            raise ApiError.parameter("coSpace", "required")
        if space_id:
            existing = self._call_of(space_id)
            if existing is not None:
                return existing       # a coSpace has one active call; asking again finds it
        return self._start_call(space_id, name, {k: v for k, v in values.items() if v != ""})

    def _call_of(self, space_id: str) -> str | None:
        """The active call of a coSpace, if it has one."""
        return next((cid for cid, call in self.state["calls"].items() if call.get("coSpace") == space_id), None)

    def _start_call(self, space_id: str, name: str, settings: dict[str, str]) -> str:
        cid = self._new_id()
        call: dict[str, Any] = {
            "name": name or self.state["coSpaces"][space_id].get("name", ""),
            "callType": "coSpace" if space_id else "adHoc",
            "callCorrelator": str(self._new_uuid()),
            "startedAt": time.time(),
            "maxCallLegs": 0,
            "settings": {"locked": "false", "recording": "false", "streaming": "false",
                         "allowAllMuteSelf": "false", "allowAllPresentationContribution": "false",
                         "messagePosition": "middle", "messageDuration": "0", "activeWhenEmpty": "true",
                         **settings},
        }
        if space_id:
            call["coSpace"] = space_id
        self.state["calls"][cid] = call
        return cid

    def _call_element(self, cid: str, summary: bool = False) -> ET.Element:
        call = self.state["calls"][cid]
        element = ET.Element("call", id=cid)
        _add_fields(element, call, ("name", "coSpace", "callCorrelator") if summary else
                    ("name", "callType", "coSpace", "callCorrelator"))
        if summary:
            return element
        connected = sum(1 for leg in self._legs_of(cid) if leg["state"] == "connected")
        _add(element, "durationSeconds", time.time() - call["startedAt"])
        _add(element, "numCallLegs", connected)
        _add(element, "maxCallLegs", call["maxCallLegs"])
        _add(element, "numParticipantsLocal", connected)
        _add(element, "numParticipantsRemote", 0)
        _add(element, "numDistributedInstances", 0)
        _add_fields(element, call["settings"], _CALL_SETTINGS)
        return element

    def _end_call(self, cid: str, why: str) -> None:
        for pid, leg in list(self.state["participants"].items()):
            if leg["call"] == cid:
                self._hang_up(leg, why)
                del self.state["participants"][pid]
        del self.state["calls"][cid]

    def _legs_of(self, cid: str) -> list[dict[str, Any]]:
        return [leg for leg in self.state["participants"].values() if leg["call"] == cid]

    def _drop_leg(self, pid: str) -> None:
        """Remove a leg that is no longer connected; a call with ``activeWhenEmpty`` false (as a
        call that an incoming cascade call started) ends with its last connected leg."""
        cid = self.state["participants"].pop(pid)["call"]
        self._end_if_empty(cid)

    def _end_if_empty(self, cid: str) -> None:
        call = self.state["calls"].get(cid)
        if call is None or call["settings"].get("activeWhenEmpty") != "false":
            return
        if not any(leg["state"] == "connected" for leg in self._legs_of(cid)):
            self._end_call(cid, "empty")
            self.lab.log(self.facts.host, "dial", f"call {cid} ended: no participant left")

    def _count_connected(self, cid: str) -> None:
        """Keep the call's ``maxCallLegs`` and the MCU's ``callLegsMaxActive`` up to date."""
        call = self.state["calls"][cid]
        call["maxCallLegs"] = max(call["maxCallLegs"], sum(leg["state"] == "connected" for leg in self._legs_of(cid)))
        active = sum(leg["state"] == "connected" for leg in self.state["participants"].values())
        self._legs_max_active = max(self._legs_max_active, active)

    def _limit_reached(self, space_id: str, cid: str | None) -> bool:
        """Whether the coSpace's call profile admits no further connected participant to its
        call ``cid`` (None: a call yet to start)."""
        limit = self._participant_limit(space_id)
        connected = sum(leg["state"] == "connected" for leg in self._legs_of(cid)) if cid else 0
        return limit is not None and connected >= limit

    # -- participants and call legs -----------------------------------------------------
    def _add_participant(self, cid: str, form: dict[str, str]) -> str:
        values = self._check_form(form, _LEG_CREATE_PARAMS, required=("remoteParty",))
        if self._limit_reached(self.state["calls"][cid].get("coSpace", ""), cid):
            raise ApiError(400, "participantLimitReached")
        remote = values.pop("remoteParty")
        bandwidth = int(values.pop("bandwidth", "") or DEFAULT_BANDWIDTH_BPS)
        pid = self._new_id()
        leg: dict[str, Any] = {"call": cid, "remoteParty": remote, "name": remote,
                               "bandwidth": bandwidth, "configuration": {}}
        _apply(leg, {"importance": values.pop("importance", "")}, _LEG_CREATE_PARAMS)
        _apply(leg["configuration"], {k: v for k, v in values.items() if k in _LEG_MODIFY_PARAMS},
               _LEG_MODIFY_PARAMS)
        self._dial(cid, pid, leg)
        self.state["participants"][pid] = leg
        if leg["state"] == "connected":
            self._count_connected(cid)
        return pid

    def _participant_limit(self, space_id: str) -> int | None:
        space = self.state["coSpaces"].get(space_id, {})
        profile = self.state["callProfiles"].get(space.get("callProfile", ""), {})
        return int(profile["participantLimit"]) if "participantLimit" in profile else None

    def _dial(self, cid: str, pid: str, leg: dict[str, Any]) -> None:
        """Call the remote party, through the outbound dial plan: the rules whose domain is the
        remote party's (highest priority first; the next one only after a failure of a rule
        with ``failureAction continue``) send the call to their ``sipProxy`` (or the domain
        itself).  Without a rule the lab looks the remote party up directly, which reaches a
        codec but never another Call Bridge.  A codec rings and answers, a Call Bridge matches
        the call to a coSpace by its inbound dial plan; anything else fails."""
        remote = leg["remoteParty"]
        user, domain = _split_uri(remote)
        rules = sorted((rule for rule in self.state["outboundDialPlanRules"].values()
                        if rule.get("domain", "").casefold() == domain.casefold()),
                       key=lambda rule: -int(rule.get("priority", "0")))
        reason = None
        for rule in rules:
            proxy = _split_uri(rule.get("sipProxy") or rule["domain"])[1]
            reason = self._connect(cid, pid, leg, self.lab.device_by_address(proxy), user, domain)
            if reason is None or rule.get("failureAction") != "continue":
                break
        if not rules:
            target = self.resolve(remote)
            if getattr(target, "cascades", False):
                reason = "unknownDestination"
                self.lab.log(self.facts.host, "dial", f"{remote}: {reason}: {target.facts.host} is a Call Bridge, "
                                                      f"reached only through an outbound dial plan rule for {domain}")
            else:
                reason = self._connect(cid, pid, leg, target, user, domain)
        if reason is not None:
            leg.update(state="disconnected", reason=reason)

    def _connect(self, cid: str, pid: str, leg: dict[str, Any], target: Device | None, user: str,
                 domain: str) -> str | None:
        """Offer the call to ``target``: None when it answered (``leg`` is then connected),
        else the reason the leg failed."""
        remote = leg["remoteParty"]
        rate_kbps = max(64, leg["bandwidth"] // 1000)
        if getattr(target, "cascades", False) and target is not self:
            try:
                peer_leg = target.incoming_cascade(user, domain, self._caller_uri(cid), self, pid, leg["bandwidth"])
            except CallRefused as refusal:
                self.lab.log(self.facts.host, "dial", f"{remote}: {target.facts.host} refused: {refusal}")
                return refusal.reason
            leg.update(state="connected", connectedAt=time.time(), peerHost=target.facts.host, peerLeg=peer_leg,
                       name=target.facts.name or target.facts.host)
            self.lab.log(self.facts.host, "dial", f"{remote}: connected to {target.facts.host} "
                                                  f"(cascade leg {peer_leg}, {rate_kbps} kbps)")
            return None
        if target is None or target is self:
            reason = "unknownDestination"
        elif not callable(getattr(target, "incoming_call", None)):
            reason = "incompatibleDestination"
        else:
            try:
                codec_call_id = target.incoming_call(self._caller_uri(cid), rate_kbps)
            except Exception as exc:        # the codec refused (busy, not registered, …)
                self.lab.log(self.facts.host, "dial", f"{remote}: {target.facts.host} refused: {exc}")
                return "callRejected"
            leg.update(state="connected", connectedAt=time.time(), codecHost=target.facts.host,
                       codecCallId=codec_call_id, name=target.facts.name or target.facts.host)
            self.lab.log(self.facts.host, "dial",
                         f"{remote}: connected to {target.facts.host} (call {codec_call_id}, {rate_kbps} kbps)")
            return None
        self.lab.log(self.facts.host, "dial", f"{remote}: {reason}")
        return reason

    def incoming_cascade(self, user: str, domain: str, caller_uri: str, caller: Device, caller_leg: str,
                         bandwidth: int) -> str:
        """Another lab Call Bridge calls ``user@domain`` here (the lab's SIP between MCUs).

        An inbound dial plan rule for exactly ``domain`` with ``resolveTocoSpaces`` true, and a
        coSpace whose ``uri``, ``secondaryUri`` or ``callId`` is ``user``, take the call: it
        joins the coSpace's active call (started now if there is none, ending with its last
        participant) as a connected *incoming* leg whose remote party is ``caller_uri``.
        Returns the new leg's id; raises :class:`_Refused` (``unknownDestination`` without rule
        or coSpace, ``callRejected`` when the call profile's participant limit is reached)."""
        try:
            limit = self._cluster().get("participantLimit")
            active = sum(leg["state"] == "connected" for leg in self.state["participants"].values())
            if limit is not None and active >= int(limit):
                raise _Refused("callRejected", f"the Call Bridge's participantLimit {limit} is reached")
            space_id = self._resolve_inbound(user, domain)
            cid = self._call_of(space_id)
            if self._limit_reached(space_id, cid):
                raise _Refused("callRejected", "participantLimitReached")
        except _Refused as refusal:
            self.lab.log(self.facts.host, "dial", f"incoming {caller_uri} to {user}@{domain}: {refusal}")
            raise
        if cid is None:
            cid = self._start_call(space_id, "", {"activeWhenEmpty": "false"})
        pid = self._new_id()
        self.state["participants"][pid] = {
            "call": cid, "remoteParty": caller_uri, "name": caller.facts.name or caller.facts.host,
            "bandwidth": bandwidth, "configuration": {}, "direction": "incoming", "state": "connected",
            "connectedAt": time.time(), "peerHost": caller.facts.host, "peerLeg": caller_leg}
        self._count_connected(cid)
        self.lab.log(self.facts.host, "dial", f"incoming {caller_uri} from {caller.facts.host} to {user}@{domain}: "
                                              f"connected to coSpace {self.state['calls'][cid]['name']} "
                                              f"(call {cid}, leg {pid})")
        return pid

    def _resolve_inbound(self, user: str, domain: str) -> str:
        """The coSpace an incoming call to ``user@domain`` reaches, by the inbound dial plan."""
        rules = [rule for rule in self.state["inboundDialPlanRules"].values()
                 if rule.get("domain", "").casefold() == domain.casefold()]
        if not rules:
            raise _Refused("unknownDestination", f"no inbound dial plan rule for {domain}")
        if not any(rule.get("resolveTocoSpaces") == "true" for rule in rules):
            raise _Refused("unknownDestination", f"the inbound dial plan rule for {domain} does not resolve to coSpaces")
        wanted = user.casefold()
        for oid, space in self.state["coSpaces"].items():
            if wanted and (wanted in (space.get("uri", "").casefold(), space.get("secondaryUri", "").casefold())
                           or user == space.get("callId")):
                return oid
        raise _Refused("unknownDestination", f"no coSpace with the URI or call id {user!r}")

    def _caller_uri(self, cid: str) -> str:
        """Who the codec sees calling: the coSpace's URI at the MCU, else the MCU."""
        space = self.state["coSpaces"].get(self.state["calls"][cid].get("coSpace", ""), {})
        user = space.get("uri") or space.get("callId")
        return f"{user}@{self.facts.address}" if user else self.facts.address

    def _hang_up(self, leg: dict[str, Any], why: str) -> None:
        """End a connected leg: the codec gets ``end_call``, the Call Bridge at the other end of
        a cascade loses its leg; the leg is left disconnected."""
        if leg.get("state") != "connected":
            return
        leg["state"] = "disconnected"
        leg["reason"] = "localTeardown"
        self._legs_completed += 1
        if "peerHost" in leg:
            peer = self.lab.device(leg["peerHost"])
            if getattr(peer, "cascades", False):
                peer.peer_hung_up(leg["peerLeg"], self.facts.host)
        elif "codecHost" in leg:
            codec = self.lab.device(leg["codecHost"])
            try:
                if codec is not None:
                    codec.end_call(leg["codecCallId"])
            except Exception as exc:             # the codec had already hung up
                self.lab.log(self.facts.host, "dial", f"{leg['remoteParty']}: end_call failed: {exc}")
        self.lab.log(self.facts.host, "dial", f"{leg['remoteParty']}: disconnected ({why})")

    def peer_hung_up(self, pid: str, host: str) -> None:
        """The Call Bridge ``host`` ended its end of the cascade leg ``pid``: an incoming leg is
        removed (as a CMS removes every leg that ends), an outgoing one stays listed,
        disconnected with reason ``remoteTeardown``, like a failed dial-out."""
        leg = self.state["participants"].get(pid)
        if leg is None or leg.get("peerHost") != host or leg["state"] != "connected":
            return
        leg.update(state="disconnected", reason="remoteTeardown")
        self._legs_completed += 1
        self.lab.log(self.facts.host, "dial", f"{leg['remoteParty']}: disconnected (remoteTeardown by {host})")
        if leg.get("direction") == "incoming":
            self._drop_leg(pid)
        else:
            self._end_if_empty(leg["call"])

    def _participants(self, method: str, rest: list[str], request: HttpRequest) -> HttpResponse:
        if not rest:
            self._allow(method, "GET")
            return self._list_legs(request.query, list(self.state["participants"]), as_legs=False)
        pid = rest[0].lower()
        if pid not in self.state["participants"]:
            raise ApiError(404, "participantDoesNotExist")
        if len(rest) == 2 and rest[1].lower() == "calllegs":
            self._allow(method, "GET")
            return self._list_legs(request.query, [pid], as_legs=True)
        if len(rest) > 1:
            raise ApiError(404, "unrecognizedObject")
        self._allow(method, "GET", "PUT", "DELETE")
        return self._leg_request(method, pid, request, _PARTICIPANT_MODIFY_PARAMS, as_legs=False)

    def _call_legs(self, method: str, rest: list[str], request: HttpRequest) -> HttpResponse:
        if not rest:
            self._allow(method, "GET")
            return self._list_legs(request.query, list(self.state["participants"]), as_legs=True)
        pid = rest[0].lower()
        if pid not in self.state["participants"]:
            raise ApiError(404, "callLegDoesNotExist")
        if len(rest) > 1:
            raise ApiError(404, "unrecognizedObject")
        self._allow(method, "GET", "PUT", "DELETE")
        return self._leg_request(method, pid, request, _LEG_MODIFY_PARAMS, as_legs=True)

    def _leg_request(self, method: str, pid: str, request: HttpRequest, params: dict[str, Param],
                     as_legs: bool) -> HttpResponse:
        leg = self.state["participants"][pid]
        if method == "GET":
            self._check_query(request.query, ())
            return _xml(self._leg_element(pid, as_legs))
        if method == "PUT":
            values = self._check_form(request.form, params)
            if "importance" in values:
                _apply(leg, {"importance": values.pop("importance")}, params)
            _apply(leg["configuration"], values, params)
        else:
            self._hang_up(leg, "deleted")
            self._drop_leg(pid)
        return HttpResponse(200, "")

    def _list_legs(self, query: dict[str, str], ids: list[str], as_legs: bool) -> HttpResponse:
        self._check_query(query, ("filter", "participantFilter") if as_legs else ("filter",))
        selected = []
        for pid in ids:
            leg = self.state["participants"][pid]
            if "filter" in query and not _matches(query["filter"], (self._display_name(leg), leg["remoteParty"])):
                continue
            if "participantFilter" in query and pid != query["participantFilter"].lower():
                continue
            selected.append(pid)
        collection = "callLegs" if as_legs else "participants"
        return self._page(collection, query, selected, lambda pid: self._leg_element(pid, as_legs, True))

    @staticmethod
    def _display_name(leg: dict[str, Any]) -> str:
        return leg["configuration"].get("nameLabelOverride") or leg["name"]

    def _leg_element(self, pid: str, as_leg: bool, summary: bool = False) -> ET.Element:
        """A call leg or a participant (the same connection, seen at two levels)."""
        leg = self.state["participants"][pid]
        connected = leg["state"] == "connected"
        direction = leg.get("direction", "outgoing")
        element = ET.Element("callLeg" if as_leg else "participant", id=pid)
        _add(element, "name", self._display_name(leg))
        if as_leg:
            _add(element, "remoteParty", leg["remoteParty"])
            _add(element, "originalRemoteParty", leg["remoteParty"])
        _add(element, "call", leg["call"])
        if summary:
            return element
        if as_leg:
            _add(element, "type", "sip")
            _add(element, "direction", direction)
            _add(element, "canMove", False)
            configuration = ET.SubElement(element, "configuration")
            _add_fields(configuration, leg["configuration"], leg["configuration"])
        else:
            _add(element, "numCallLegs", 1 if connected else 0)
            _add(element, "uri", leg["remoteParty"])
            _add(element, "originalUri", leg["remoteParty"])
            _add(element, "isActivator", leg["configuration"].get("needsActivation") != "true")
            _add(element, "canMove", False)
            configuration = ET.SubElement(element, "configuration")
            _add_fields(configuration, leg, ("importance",))
        status = ET.SubElement(element, "status")
        _add(status, "state", leg["state"])
        if connected:
            _add(status, "durationSeconds", time.time() - leg["connectedAt"])
        else:
            _add(status, "reason", leg["reason"])
        if as_leg:
            _add(status, "direction", direction)
            _add(status, "groupId", pid)
            if connected:
                _add(status, "bandwidth", leg["bandwidth"])
        return element

    # -- system -------------------------------------------------------------------------
    def _system(self, method: str, rest: list[str], request: HttpRequest) -> HttpResponse:
        node = "/".join(rest).lower()
        if node == "configuration/cluster":
            self._allow(method, "GET", "PUT", "POST")
            if method != "GET":
                self._modify_cluster(request.form)
                return HttpResponse(200, "")
            self._check_query(request.query, ())
            return _xml(self._cluster_element())
        if node not in ("status", "licensing"):
            raise ApiError(404, "unrecognizedObject")
        self._allow(method, "GET")
        self._check_query(request.query, ())
        return _xml(self._status() if node == "status" else self._licensing())

    def _cluster_element(self) -> ET.Element:
        root = ET.Element("cluster")
        _add_fields(root, self._cluster(), _CLUSTER_PARAMS)
        return root

    def _status(self) -> ET.Element:
        system = self.state["system"]
        legs = [leg for leg in self.state["participants"].values() if leg["state"] == "connected"]
        video = sum(max(0, leg["bandwidth"] - 64_000) for leg in legs)
        root = ET.Element("status")
        _add(root, "hostId", system["hostId"])
        _add(root, "softwareVersion", self.software_version())
        _add(root, "uptimeSeconds", float(self.uptime()))
        _add(root, "cdrTime", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        _add(root, "activated", system["licensing"]["callBridge"]["status"] in ("activated", "grace"))
        _add(root, "clusterEnabled", False)
        _add(root, "cdrCorrelatorIndex", 0)
        _add(root, "callLegsActive", len(legs))
        _add(root, "callLegsMaxActive", self._legs_max_active)
        _add(root, "callLegsCompleted", self._legs_completed)
        _add(root, "audioBitRateOutgoing", 64_000 * len(legs))
        _add(root, "audioBitRateIncoming", 64_000 * len(legs))
        _add(root, "videoBitRateOutgoing", video)
        _add(root, "videoBitRateIncoming", video)
        return root

    def _licensing(self) -> ET.Element:
        root = ET.Element("licensing")
        features = ET.SubElement(root, "features")
        for name, entry in self.state["system"]["licensing"].items():
            _add_fields(ET.SubElement(features, name), entry, ("status", "expiry", "limit"))
        return root

    # -- helpers ------------------------------------------------------------------------
    def _new_uuid(self) -> uuid.UUID:
        """The next deterministic id of this MCU (uuid5 of host and counter)."""
        self.state["nextId"] += 1
        return uuid.uuid5(_NAMESPACE, f"{self.facts.host}/{self.state['nextId']}")

    def _new_id(self) -> str:
        return str(self._new_uuid())

    def _page(self, collection: str, query: dict[str, str], ids: list[str],
              element: Callable[[str], ET.Element]) -> HttpResponse:
        offset = self._number(query, "offset", 0)
        limit = min(self._number(query, "limit", self.page_limit), self.page_limit)
        root = ET.Element(collection, total=str(len(ids)))
        for oid in ids[offset:offset + limit]:
            root.append(element(oid))
        return _xml(root)

    @staticmethod
    def _number(query: dict[str, str], name: str, default: int) -> int:
        if name not in query:
            return default
        value = query[name].strip()
        if not value.isdigit():
            raise ApiError.parameter(name, "invalidValue")
        return int(value)

    @staticmethod
    def _check_query(query: dict[str, str], allowed: tuple[str, ...]) -> None:
        for name in query:
            if name not in ("offset", "limit", *allowed):
                raise ApiError.parameter(name, "unrecognised")

    def _check_form(self, form: dict[str, str], params: dict[str, Param],
                    required: tuple[str, ...] = ()) -> dict[str, str]:
        """The form's values, normalised (``True`` -> ``true``, ``007`` -> ``7``), or an
        ApiError for the first unknown parameter, missing one, bad value or dangling id."""
        for name in form:
            if name not in params:
                raise ApiError.parameter(name, "unrecognised")
        for name in required:
            if not form.get(name, "").strip():
                raise ApiError.parameter(name, "required")
        values = {name: self._value(name, params[name], raw) for name, raw in form.items()}
        for name, value in values.items():
            param = params[name]
            if param.kind == "ref" and value and value not in self.state.get(param.ref, {}):
                raise ApiError(400, f"{_ELEMENT[param.ref]}DoesNotExist")
        return values

    @staticmethod
    def _value(name: str, param: Param, raw: str) -> str:
        value = raw.strip()
        if value == "" and param.stored:
            return ""                       # unsets the parameter
        bad = ApiError.parameter(name, "invalidValue")
        if param.kind == "bool":
            if value.lower() not in ("true", "false"):
                raise bad
            return value.lower()
        if param.kind == "int":
            if value in param.choices:
                return value
            try:
                number = int(value)
            except ValueError:
                raise bad from None
            if number < param.minimum or (param.maximum is not None and number > param.maximum):
                raise bad
            return str(number)
        if param.kind == "enum":
            if value not in param.choices:
                raise bad
            return value
        if param.kind == "digits" and not value.isdigit():
            raise bad
        if param.kind == "dtmf" and any(ch not in "0123456789*#," for ch in value):
            raise bad
        if param.kind == "ref":
            return value.lower()
        if param.kind == "text" and any(ch in value for ch in "\r\n\0"):
            raise bad
        return value
