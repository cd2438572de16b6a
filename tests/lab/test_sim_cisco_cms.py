"""The simulated Cisco Meeting Server (gbtt/lab/cisco_cms.py), without sockets: requests go
straight to ``CmsMcu.handle`` and the lab is a FakeLab holding fake codecs."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET

import pytest
from fakelab import FakeLab

from gbtt.lab.cisco_cms import CmsMcu
from gbtt.lab.device import Facts, HttpRequest, HttpResponse

MCU_HOST = "dong-van-mcu"
MCU_ADDRESS = "10.23.13.2"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class FakeCodec:
    """What the MCU needs of a codec simulator: incoming_call and end_call."""

    def __init__(self, host: str, address: str, name: str | None = None, refuse: bool = False):
        self.facts = Facts(host=host, platform="cisco_ce", device_class="codec", address=address, name=name)
        self.refuse = refuse
        self.calls: dict[int, tuple[str, int]] = {}
        self.ended: list[int] = []
        self._next = 0

    def incoming_call(self, remote_uri: str, rate: int) -> int:
        if self.refuse:
            raise RuntimeError("busy")
        self._next += 1
        self.calls[self._next] = (remote_uri, rate)
        return self._next

    def end_call(self, call_id: int) -> None:
        del self.calls[call_id]
        self.ended.append(call_id)


class FakeRouter:
    """A lab device that is no codec."""

    def __init__(self, host: str, address: str):
        self.facts = Facts(host=host, platform="cisco_ios", device_class="router", address=address)


def facts(host: str = MCU_HOST) -> Facts:
    return Facts(host=host, platform="cisco_cms", device_class="mcu", address=MCU_ADDRESS,
                 model="Cisco Meeting Server 1000", name="Hệ thống huyện Đồng Văn", software="3.9.2")


@pytest.fixture
def lab() -> FakeLab:
    lab = FakeLab()
    lab.devices["lung-cu-codec"] = FakeCodec("lung-cu-codec", "10.23.13.11", "UBND xã Lũng Cú")
    lab.devices["ma-le-codec"] = FakeCodec("ma-le-codec", "10.23.13.12", "UBND xã Má Lé")
    lab.devices["lung-cu-router"] = FakeRouter("lung-cu-router", "10.23.13.1")
    return lab


@pytest.fixture
def mcu(lab: FakeLab) -> CmsMcu:
    device = CmsMcu(facts(), lab)
    lab.devices[MCU_HOST] = device
    return device


def api(mcu: CmsMcu, method: str, path: str, form: dict | None = None, **query: str) -> HttpResponse:
    request = HttpRequest(method, f"/api/v1/{path}", {k: str(v) for k, v in query.items()},
                          {k: str(v) for k, v in (form or {}).items()}, "admin")
    return asyncio.run(mcu.handle(request))


def xml(response: HttpResponse) -> ET.Element:
    assert response.body.startswith('<?xml version="1.0"?>')
    return ET.fromstring(response.body)


def create(mcu: CmsMcu, collection: str, **form: str) -> str:
    response = api(mcu, "POST", collection, form)
    assert response.status == 200, response.body
    assert response.body == ""
    location = response.headers["Location"]
    assert location.startswith("/api/v1/")
    return location.rsplit("/", 1)[1]


def get(mcu: CmsMcu, path: str, **query: str) -> ET.Element:
    response = api(mcu, "GET", path, **query)
    assert response.status == 200, response.body
    return xml(response)


def failure(response: HttpResponse, status: int) -> ET.Element:
    """The one reason element of a failureDetails answer."""
    assert response.status == status, response.body
    root = xml(response)
    assert root.tag == "failureDetails"
    assert len(root) == 1
    return root[0]


def ids(root: ET.Element) -> list[str]:
    return [child.get("id") for child in root]


def text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else child.text


def start_call(mcu: CmsMcu, **space: str) -> str:
    space_id = create(mcu, "coSpaces", **{"name": "Giao ban huyện", "uri": "giaoban.dongvan", **space})
    return create(mcu, "calls", coSpace=space_id)


# =========================================================================================
# Factory state and ids
# =========================================================================================

@pytest.mark.parametrize("collection", ["coSpaces", "callLegProfiles", "callProfiles",
                                        "outboundDialPlanRules", "inboundDialPlanRules", "calls", "callLegs",
                                        "participants"])
def test_factory_state_has_no_objects(mcu, collection):
    root = get(mcu, collection)
    assert root.tag == collection
    assert root.get("total") == "0"
    assert len(root) == 0


def test_state_is_json_and_survives_a_restart(mcu, lab):
    space = create(mcu, "coSpaces", name="Giao ban", uri="giaoban", callId="100200300")
    call = create(mcu, "calls", coSpace=space)
    api(mcu, "POST", f"calls/{call}/participants", {"remoteParty": "10.23.13.11"})
    saved = json.loads(json.dumps(mcu.state))
    again = CmsMcu(facts(), lab, saved)
    assert api(again, "GET", f"coSpaces/{space}").body == api(mcu, "GET", f"coSpaces/{space}").body
    assert get(again, "participants").get("total") == "1"
    newer = create(again, "callProfiles")
    assert newer not in (space, call)


def test_ids_are_uuids_reproducible_per_host(lab):
    first, second, other = CmsMcu(facts(), lab), CmsMcu(facts(), lab), CmsMcu(facts("meo-vac-mcu"), lab)
    made = [create(device, "coSpaces", name="A") for device in (first, second, other)]
    assert all(UUID.match(oid) for oid in made)
    assert made[0] == made[1] != made[2]
    assert create(first, "coSpaces", name="B") != made[0]


# =========================================================================================
# coSpaces
# =========================================================================================

def test_create_cospace_returns_location_and_get_shows_it(mcu):
    response = api(mcu, "POST", "coSpaces", {"name": "Giao ban tỉnh", "uri": "giaoban.tinh",
                                              "callId": "123456789", "passcode": "2468",
                                              "defaultLayout": "telepresence", "nonMemberAccess": "True"})
    assert response.status == 200 and response.body == ""
    oid = re.fullmatch(r"/api/v1/coSpaces/(.+)", response.headers["Location"]).group(1)
    space = get(mcu, f"coSpaces/{oid}")
    assert space.tag == "coSpace" and space.get("id") == oid
    assert text(space, "name") == "Giao ban tỉnh"
    assert text(space, "autoGenerated") == "false"
    assert text(space, "uri") == "giaoban.tinh"
    assert text(space, "callId") == "123456789"
    assert text(space, "passcode") == "2468"
    assert text(space, "defaultLayout") == "telepresence"
    assert text(space, "nonMemberAccess") == "true"
    assert text(space, "secret")                          # chosen because the coSpace has a call id


def test_list_shows_the_summary_of_each_cospace(mcu):
    first = create(mcu, "coSpaces", name="Một", uri="mot", passcode="1111")
    second = create(mcu, "coSpaces", name="Hai", uri="hai")
    root = get(mcu, "coSpaces")
    assert root.get("total") == "2"
    assert ids(root) == [first, second]
    assert [text(e, "name") for e in root] == ["Một", "Hai"]
    assert root[0].find("passcode") is None                # details only in the single GET


def test_modify_cospace_changes_unsets_and_keeps(mcu):
    oid = create(mcu, "coSpaces", name="Cũ", uri="cu", cdrTag="tag")
    assert api(mcu, "PUT", f"coSpaces/{oid}", {"name": "Mới", "cdrTag": ""}).status == 200
    space = get(mcu, f"coSpaces/{oid}")
    assert text(space, "name") == "Mới"
    assert text(space, "uri") == "cu"
    assert space.find("cdrTag") is None


def test_delete_cospace(mcu):
    oid = create(mcu, "coSpaces", name="X")
    response = api(mcu, "DELETE", f"coSpaces/{oid}")
    assert response.status == 200 and response.body == ""
    assert failure(api(mcu, "GET", f"coSpaces/{oid}"), 404).tag == "coSpaceDoesNotExist"
    assert get(mcu, "coSpaces").get("total") == "0"


@pytest.mark.parametrize("collection, reason", [
    ("coSpaces", "coSpaceDoesNotExist"), ("callLegProfiles", "callLegProfileDoesNotExist"),
    ("callProfiles", "callProfileDoesNotExist"), ("outboundDialPlanRules", "outboundDialPlanRuleDoesNotExist"),
    ("inboundDialPlanRules", "inboundDialPlanRuleDoesNotExist"),
    ("calls", "callDoesNotExist"), ("callLegs", "callLegDoesNotExist"),
    ("participants", "participantDoesNotExist")])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_id_is_404_with_failure_details(mcu, collection, reason, method):
    response = api(mcu, method, f"{collection}/0b0d2a5e-3d6a-4a4e-9a57-3f1f4b6d8c11")
    assert failure(response, 404).tag == reason
    assert response.body == f'<?xml version="1.0"?>\n<failureDetails>\n  <{reason} />\n</failureDetails>\n'


def test_unknown_parameter_is_a_parameter_error(mcu):
    reason = failure(api(mcu, "POST", "coSpaces", {"name": "A", "colour": "blue"}), 400)
    assert reason.tag == "parameterError"
    assert reason.attrib == {"parameter": "colour", "error": "unrecognised"}
    assert get(mcu, "coSpaces").get("total") == "0"


@pytest.mark.parametrize("form, parameter", [
    ({"nonMemberAccess": "yes"}, "nonMemberAccess"), ({"defaultLayout": "mosaic"}, "defaultLayout"),
    ({"callId": "12ab"}, "callId"), ({"passcode": "12 34"}, "passcode"),
    ({"panePlacementHighestImportance": "many"}, "panePlacementHighestImportance")])
def test_bad_values_are_parameter_errors(mcu, form, parameter):
    reason = failure(api(mcu, "POST", "coSpaces", form), 400)
    assert reason.tag == "parameterError"
    assert reason.attrib == {"parameter": parameter, "error": "invalidValue"}


def test_modify_with_a_bad_value_changes_nothing(mcu):
    oid = create(mcu, "coSpaces", name="A", uri="a")
    failure(api(mcu, "PUT", f"coSpaces/{oid}", {"name": "B", "defaultLayout": "mosaic"}), 400)
    assert text(get(mcu, f"coSpaces/{oid}"), "name") == "A"


def test_duplicate_uri_is_refused_on_create_and_modify(mcu):
    create(mcu, "coSpaces", name="A", uri="giaoban", secondaryUri="8000")
    other = create(mcu, "coSpaces", name="B", uri="khac")
    for form in ({"uri": "giaoban"}, {"uri": "GiaoBan"}, {"uri": "8000"}, {"secondaryUri": "giaoban"}):
        assert failure(api(mcu, "POST", "coSpaces", form), 400).tag == "duplicateCoSpaceUri"
    assert failure(api(mcu, "PUT", f"coSpaces/{other}", {"uri": "giaoban"}), 400).tag == "duplicateCoSpaceUri"
    assert api(mcu, "PUT", f"coSpaces/{other}", {"uri": "khac", "name": "B2"}).status == 200
    assert get(mcu, "coSpaces").get("total") == "2"


def test_duplicate_call_id_is_refused(mcu):
    create(mcu, "coSpaces", name="A", callId="5000")
    assert failure(api(mcu, "POST", "coSpaces", {"name": "B", "callId": "5000"}), 400).tag == "duplicateCoSpaceId"


def test_require_call_id_generates_one_and_a_secret(mcu):
    oid = create(mcu, "coSpaces", name="A", requireCallId="true")
    space = get(mcu, f"coSpaces/{oid}")
    assert re.fullmatch(r"[1-9]\d{8}", text(space, "callId"))
    assert space.find("requireCallId") is None
    secret = text(space, "secret")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", secret)
    api(mcu, "PUT", f"coSpaces/{oid}", {"regenerateSecret": "true"})
    assert text(get(mcu, f"coSpaces/{oid}"), "secret") != secret
    assert failure(api(mcu, "POST", "coSpaces", {"regenerateSecret": "true"}), 400).get("error") == "unrecognised"


def test_references_to_missing_objects_are_refused(mcu):
    missing = "0b0d2a5e-3d6a-4a4e-9a57-3f1f4b6d8c11"
    assert failure(api(mcu, "POST", "coSpaces", {"callLegProfile": missing}), 400).tag == "callLegProfileDoesNotExist"
    assert failure(api(mcu, "POST", "coSpaces", {"callProfile": missing}), 400).tag == "callProfileDoesNotExist"
    assert failure(api(mcu, "POST", "coSpaces", {"tenant": missing}), 400).tag == "tenantDoesNotExist"
    profile = create(mcu, "callLegProfiles", name="Chủ trì")
    oid = create(mcu, "coSpaces", name="A", callLegProfile=profile.upper())
    assert text(get(mcu, f"coSpaces/{oid}"), "callLegProfile") == profile


# =========================================================================================
# Paging and filters
# =========================================================================================

@pytest.fixture
def spaces(mcu) -> list[str]:
    return [create(mcu, "coSpaces", name=f"Xã {i:02d}", uri=f"xa{i:02d}") for i in range(25)]


@pytest.mark.parametrize("query, first, count", [
    ({}, 0, 10), ({"limit": "3"}, 0, 3), ({"offset": "20", "limit": "10"}, 20, 5),
    ({"offset": "4"}, 4, 10), ({"limit": "100"}, 0, 10), ({"offset": "30"}, 30, 0)])
def test_paging_with_offset_and_limit(mcu, spaces, query, first, count):
    root = get(mcu, "coSpaces", **query)
    assert root.get("total") == "25"
    assert ids(root) == spaces[first:first + count]


def test_paging_reaches_every_object(mcu, spaces):
    seen: list[str] = []
    while True:
        root = get(mcu, "coSpaces", offset=str(len(seen)))
        seen += ids(root)
        if len(seen) >= int(root.get("total")):
            break
    assert seen == spaces


@pytest.mark.parametrize("name, value", [("offset", "-1"), ("limit", "ten"), ("offset", "")])
def test_bad_paging_values(mcu, name, value):
    reason = failure(api(mcu, "GET", "coSpaces", **{name: value}), 400)
    assert reason.attrib == {"parameter": name, "error": "invalidValue"}


def test_filter_matches_name_uri_and_call_id(mcu, spaces):
    create(mcu, "coSpaces", name="Giao ban tỉnh", uri="tinh", callId="777000")
    assert get(mcu, "coSpaces", filter="giao BAN").get("total") == "1"
    assert get(mcu, "coSpaces", filter="xa1").get("total") == "10"
    assert get(mcu, "coSpaces", filter="777").get("total") == "1"
    root = get(mcu, "coSpaces", filter="Xã", offset="20")
    assert root.get("total") == "25" and len(root) == 5


def test_call_leg_profile_filter_and_usage_filter(mcu):
    used = create(mcu, "callLegProfiles", name="Dùng")
    unused = create(mcu, "callLegProfiles", name="Không dùng")
    space = create(mcu, "coSpaces", name="A", callLegProfile=used)
    create(mcu, "coSpaces", name="B")
    assert ids(get(mcu, "coSpaces", callLegProfileFilter=used)) == [space]
    assert ids(get(mcu, "callLegProfiles", usageFilter="referenced")) == [used]
    assert ids(get(mcu, "callLegProfiles", usageFilter="unreferenced")) == [unused]
    assert failure(api(mcu, "GET", "callLegProfiles", usageFilter="some"), 400).get("error") == "invalidValue"


def test_lists_without_filter_refuse_it(mcu):
    reason = failure(api(mcu, "GET", "callLegProfiles", filter="x"), 400)
    assert reason.attrib == {"parameter": "filter", "error": "unrecognised"}


# =========================================================================================
# Profiles and dial plan rules
# =========================================================================================

def test_call_leg_profile_crud(mcu):
    oid = create(mcu, "callLegProfiles", name="Khách", needsActivation="true", defaultLayout="speakerOnly",
                 joinToneParticipantThreshold="0", sipMediaEncryption="required")
    profile = get(mcu, f"callLegProfiles/{oid}")
    assert (text(profile, "name"), text(profile, "needsActivation"), text(profile, "defaultLayout")) == \
        ("Khách", "true", "speakerOnly")
    assert text(get(mcu, "callLegProfiles")[0], "name") == "Khách"
    api(mcu, "PUT", f"callLegProfiles/{oid}", {"needsActivation": "false", "sipMediaEncryption": ""})
    profile = get(mcu, f"callLegProfiles/{oid}")
    assert text(profile, "needsActivation") == "false" and profile.find("sipMediaEncryption") is None
    reason = failure(api(mcu, "PUT", f"callLegProfiles/{oid}", {"joinToneParticipantThreshold": "101"}), 400)
    assert reason.attrib == {"parameter": "joinToneParticipantThreshold", "error": "invalidValue"}
    assert api(mcu, "DELETE", f"callLegProfiles/{oid}").status == 200
    assert get(mcu, "callLegProfiles").get("total") == "0"


def test_call_profile_crud(mcu):
    oid = create(mcu, "callProfiles", participantLimit="12", recordingMode="disabled")
    assert get(mcu, "callProfiles")[0].attrib == {"id": oid}       # a list shows ids only
    profile = get(mcu, f"callProfiles/{oid}")
    assert text(profile, "participantLimit") == "12" and text(profile, "recordingMode") == "disabled"
    api(mcu, "PUT", f"callProfiles/{oid}", {"participantLimit": "30"})
    assert text(get(mcu, f"callProfiles/{oid}"), "participantLimit") == "30"
    assert failure(api(mcu, "PUT", f"callProfiles/{oid}", {"recordingMode": "always"}), 400).tag == "parameterError"
    api(mcu, "DELETE", f"callProfiles/{oid}")
    assert failure(api(mcu, "GET", f"callProfiles/{oid}"), 404).tag == "callProfileDoesNotExist"


def test_outbound_dial_plan_rule_crud(mcu):
    reason = failure(api(mcu, "POST", "outboundDialPlanRules", {"priority": "1"}), 400)
    assert reason.attrib == {"parameter": "domain", "error": "required"}
    oid = create(mcu, "outboundDialPlanRules", domain="hagiang.gov.vn", sipProxy="10.23.0.10")
    create(mcu, "outboundDialPlanRules", domain="*.vn", priority="5")
    rule = get(mcu, f"outboundDialPlanRules/{oid}")
    assert [(c.tag, c.text) for c in rule][:2] == [("domain", "hagiang.gov.vn"), ("priority", "0")]
    assert text(rule, "trunkType") == "sip" and text(rule, "scope") == "global"
    assert text(rule, "sipProxy") == "10.23.0.10"
    assert ids(get(mcu, "outboundDialPlanRules", filter="hagiang")) == [oid]
    assert failure(api(mcu, "PUT", f"outboundDialPlanRules/{oid}", {"domain": ""}), 400).get("error") == "invalidValue"
    api(mcu, "PUT", f"outboundDialPlanRules/{oid}", {"priority": "10", "trunkType": "lync"})
    assert text(get(mcu, f"outboundDialPlanRules/{oid}"), "priority") == "10"
    api(mcu, "DELETE", f"outboundDialPlanRules/{oid}")
    assert get(mcu, "outboundDialPlanRules").get("total") == "1"


def test_inbound_dial_plan_rule_crud(mcu):
    reason = failure(api(mcu, "POST", "inboundDialPlanRules", {"resolveTocoSpaces": "true"}), 400)
    assert reason.attrib == {"parameter": "domain", "error": "required"}
    oid = create(mcu, "inboundDialPlanRules", domain=MCU_ADDRESS, resolveToUsers="False")
    other = create(mcu, "inboundDialPlanRules", domain="dongvan.hagiang.gov.vn", priority="5",
                   resolveToLyncSimplejoin="true")
    rule = get(mcu, f"inboundDialPlanRules/{oid}")
    assert [(c.tag, c.text) for c in rule] == [
        ("domain", MCU_ADDRESS), ("priority", "0"), ("resolveToUsers", "false"), ("resolveTocoSpaces", "true"),
        ("resolveToIvrs", "true"), ("resolveToLyncConferences", "false"), ("resolveToLyncSimplejoin", "false")]
    listed = get(mcu, "inboundDialPlanRules")
    assert ids(listed) == [oid, other] and [c.tag for c in listed[1]] == ["domain"]   # the list: domain, tenant
    assert ids(get(mcu, "inboundDialPlanRules", filter="HAGIANG")) == [other]
    # the reference spells it resolveTocoSpaces; the capital C of the brief is no parameter
    reason = failure(api(mcu, "PUT", f"inboundDialPlanRules/{oid}", {"resolveToCoSpaces": "false"}), 400)
    assert reason.attrib == {"parameter": "resolveToCoSpaces", "error": "unrecognised"}
    for form in ({"resolveTocoSpaces": "yes"}, {"priority": "high"}, {"domain": ""}):
        assert failure(api(mcu, "PUT", f"inboundDialPlanRules/{oid}", form), 400).get("error") == "invalidValue"
    missing = "0b0d2a5e-3d6a-4a4e-9a57-3f1f4b6d8c11"
    assert failure(api(mcu, "PUT", f"inboundDialPlanRules/{oid}", {"tenant": missing}), 400).tag == "tenantDoesNotExist"
    api(mcu, "PUT", f"inboundDialPlanRules/{oid}", {"resolveTocoSpaces": "false", "priority": "7"})
    rule = get(mcu, f"inboundDialPlanRules/{oid}")
    assert (text(rule, "resolveTocoSpaces"), text(rule, "priority")) == ("false", "7")
    assert mcu.drift(["inboundDialPlanRule", MCU_ADDRESS, "resolveTocoSpaces", "true"]) == \
        f"inboundDialPlanRule {MCU_ADDRESS}: resolveTocoSpaces 'false' -> 'true'"
    api(mcu, "DELETE", f"inboundDialPlanRules/{oid}")
    assert ids(get(mcu, "inboundDialPlanRules")) == [other]


# =========================================================================================
# Calls and dial-out
# =========================================================================================

def test_a_call_from_a_cospace(mcu):
    space = create(mcu, "coSpaces", name="Giao ban huyện", uri="giaoban")
    cid = create(mcu, "calls", coSpace=space)
    assert create(mcu, "calls", coSpace=space) == cid          # one active call per coSpace
    listed = get(mcu, "calls")
    assert listed.get("total") == "1"
    assert (text(listed[0], "name"), text(listed[0], "coSpace")) == ("Giao ban huyện", space)
    call = get(mcu, f"calls/{cid}")
    assert text(call, "callType") == "coSpace"
    assert text(call, "numCallLegs") == "0" and text(call, "locked") == "false"
    assert int(text(call, "durationSeconds")) >= 0
    assert ids(get(mcu, "calls", coSpaceFilter=space)) == [cid]
    api(mcu, "PUT", f"calls/{cid}", {"locked": "true", "messageText": "Bắt đầu"})
    call = get(mcu, f"calls/{cid}")
    assert text(call, "locked") == "true" and text(call, "messageText") == "Bắt đầu"
    assert failure(api(mcu, "PUT", f"calls/{cid}", {"coSpace": space}), 400).get("error") == "unrecognised"
    assert api(mcu, "DELETE", f"calls/{cid}").status == 200
    assert get(mcu, "calls").get("total") == "0"


def test_call_creation_errors_and_ad_hoc_calls(mcu):
    assert failure(api(mcu, "POST", "calls", {}), 400).attrib == {"parameter": "coSpace", "error": "required"}
    missing = "0b0d2a5e-3d6a-4a4e-9a57-3f1f4b6d8c11"
    assert failure(api(mcu, "POST", "calls", {"coSpace": missing}), 400).tag == "coSpaceDoesNotExist"
    cid = create(mcu, "calls", name="Họp đột xuất")
    call = get(mcu, f"calls/{cid}")
    assert text(call, "callType") == "adHoc" and call.find("coSpace") is None


@pytest.mark.parametrize("remote", ["10.23.13.11", "lung-cu-codec", "lung-cu-codec@hagiang.gov.vn",
                                    "sip:giaoban@10.23.13.11:5060", "sip:10.23.13.11;transport=tcp"])
def test_dial_out_rings_the_codec(mcu, lab, remote):
    cid = start_call(mcu)
    response = api(mcu, "POST", f"calls/{cid}/participants", {"remoteParty": remote, "bandwidth": "1536000"})
    assert response.status == 200 and response.body == ""
    pid = re.fullmatch(r"/api/v1/participants/(.+)", response.headers["Location"]).group(1)
    codec = lab.devices["lung-cu-codec"]
    assert list(codec.calls.values()) == [(f"giaoban.dongvan@{MCU_ADDRESS}", 1536)]
    participant = get(mcu, f"participants/{pid}")
    assert text(participant, "name") == "UBND xã Lũng Cú"
    assert text(participant, "call") == cid and text(participant, "uri") == remote
    assert text(participant, "numCallLegs") == "1"
    assert participant.find("status/state").text == "connected"
    leg = get(mcu, f"callLegs/{pid}")                    # the participant's one SIP call leg
    assert text(leg, "remoteParty") == remote and text(leg, "direction") == "outgoing"
    assert leg.find("status/state").text == "connected"
    assert ids(get(mcu, "participants")) == [pid]
    assert ids(get(mcu, "callLegs")) == [pid]
    assert ids(get(mcu, f"calls/{cid}/participants")) == [pid]
    assert ids(get(mcu, f"calls/{cid}/callLegs")) == [pid]
    assert ids(get(mcu, f"participants/{pid}/callLegs")) == [pid]
    assert text(get(mcu, f"calls/{cid}"), "numCallLegs") == "1"
    assert text(get(mcu, "system/status"), "callLegsActive") == "1"


def test_dial_out_defaults_and_caller_without_uri(mcu, lab):
    cid = create(mcu, "calls", name="Họp")
    api(mcu, "POST", f"calls/{cid}/callLegs", {"remoteParty": "ma-le-codec"})
    assert list(lab.devices["ma-le-codec"].calls.values()) == [(MCU_ADDRESS, 2000)]


@pytest.mark.parametrize("remote, reason", [
    ("10.99.99.99", "unknownDestination"), ("nobody@hagiang.gov.vn", "unknownDestination"),
    ("lung-cu-router", "incompatibleDestination"), (MCU_ADDRESS, "unknownDestination")])
def test_dial_out_to_no_codec_fails_with_a_reason(mcu, lab, remote, reason):
    cid = start_call(mcu)
    pid = create(mcu, f"calls/{cid}/participants", remoteParty=remote)
    participant = get(mcu, f"participants/{pid}")
    assert participant.find("status/state").text == "disconnected"
    assert participant.find("status/reason").text == reason
    assert text(participant, "numCallLegs") == "0"
    assert text(get(mcu, "system/status"), "callLegsActive") == "0"
    assert not lab.devices["lung-cu-codec"].calls


def test_a_codec_that_refuses_the_call(mcu, lab):
    lab.devices["busy-codec"] = FakeCodec("busy-codec", "10.23.13.13", refuse=True)
    cid = start_call(mcu)
    pid = create(mcu, f"calls/{cid}/participants", remoteParty="10.23.13.13")
    assert get(mcu, f"participants/{pid}").find("status/reason").text == "callRejected"
    assert any(event == "dial" and "busy" in detail for _, event, detail in lab.entries)


def test_participant_errors(mcu):
    cid = start_call(mcu)
    reason = failure(api(mcu, "POST", f"calls/{cid}/participants", {}), 400)
    assert reason.attrib == {"parameter": "remoteParty", "error": "required"}
    reason = failure(api(mcu, "POST", f"calls/{cid}/participants", {"remoteParty": "x", "bandwidth": "fast"}), 400)
    assert reason.attrib == {"parameter": "bandwidth", "error": "invalidValue"}
    missing = "0b0d2a5e-3d6a-4a4e-9a57-3f1f4b6d8c11"
    assert failure(api(mcu, "POST", f"calls/{missing}/participants", {"remoteParty": "x"}), 404).tag == \
        "callDoesNotExist"


def test_participant_limit_of_the_call_profile(mcu):
    profile = create(mcu, "callProfiles", participantLimit="1")
    cid = start_call(mcu, callProfile=profile)
    create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    response = api(mcu, "POST", f"calls/{cid}/participants", {"remoteParty": "ma-le-codec"})
    assert failure(response, 400).tag == "participantLimitReached"


def test_hanging_up_a_participant_ends_the_codec_call(mcu, lab):
    cid = start_call(mcu)
    pid = create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    other = create(mcu, f"calls/{cid}/participants", remoteParty="ma-le-codec")
    assert api(mcu, "DELETE", f"participants/{pid}").status == 200
    assert lab.devices["lung-cu-codec"].ended == [1] and not lab.devices["lung-cu-codec"].calls
    assert ids(get(mcu, "participants")) == [other]
    assert api(mcu, "DELETE", f"callLegs/{other}").status == 200
    assert lab.devices["ma-le-codec"].ended == [1]
    status = get(mcu, "system/status")
    assert (text(status, "callLegsActive"), text(status, "callLegsMaxActive"), text(status, "callLegsCompleted")) \
        == ("0", "2", "2")
    assert text(get(mcu, f"calls/{cid}"), "maxCallLegs") == "2"


def test_ending_the_call_or_deleting_its_cospace_hangs_up(mcu, lab):
    cid = start_call(mcu)
    create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    api(mcu, "DELETE", f"calls/{cid}")
    assert not lab.devices["lung-cu-codec"].calls
    assert get(mcu, "participants").get("total") == "0"
    space = create(mcu, "coSpaces", name="Khác", uri="khac")
    cid = create(mcu, "calls", coSpace=space)
    create(mcu, f"calls/{cid}/participants", remoteParty="ma-le-codec")
    api(mcu, "DELETE", f"coSpaces/{space}")
    assert not lab.devices["ma-le-codec"].calls
    assert get(mcu, "calls").get("total") == "0"


def test_modify_participant_and_call_leg(mcu):
    cid = start_call(mcu)
    pid = create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec", importance="2",
                 chosenLayout="speakerOnly")
    assert get(mcu, f"participants/{pid}").find("configuration/importance").text == "2"
    api(mcu, "PUT", f"participants/{pid}", {"importance": "5"})
    assert get(mcu, f"participants/{pid}").find("configuration/importance").text == "5"
    api(mcu, "PUT", f"callLegs/{pid}", {"chosenLayout": "allEqual", "rxAudioMute": "true",
                                         "nameLabelOverride": "Lũng Cú"})
    leg = get(mcu, f"callLegs/{pid}")
    assert leg.find("configuration/chosenLayout").text == "allEqual"
    assert leg.find("configuration/rxAudioMute").text == "true"
    assert text(leg, "name") == "Lũng Cú"
    assert failure(api(mcu, "PUT", f"callLegs/{pid}", {"remoteParty": "x"}), 400).get("error") == "unrecognised"


def test_participant_filters(mcu):
    cid = start_call(mcu)
    first = create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    second = create(mcu, f"calls/{cid}/participants", remoteParty="ma-le-codec")
    assert ids(get(mcu, "participants", filter="má lé")) == [second]
    assert ids(get(mcu, "callLegs", filter="lung-cu")) == [first]
    assert ids(get(mcu, "callLegs", participantFilter=first)) == [first]


# =========================================================================================
# Dial plan routing and cascades between two MCUs (the HTTPS side: tests/lab/test_cms_cascade.py)
# =========================================================================================

SPOKE_HOST, SPOKE_ADDRESS = "yen-minh-mcu", "10.23.14.2"


@pytest.fixture
def spoke(lab: FakeLab) -> CmsMcu:
    """A second MCU that takes calls to its own address into the coSpace gbtt-link-ym."""
    device = CmsMcu(Facts(host=SPOKE_HOST, platform="cisco_cms", device_class="mcu", address=SPOKE_ADDRESS,
                          name="Hệ thống huyện Yên Minh"), lab)
    lab.devices[SPOKE_HOST] = device
    create(device, "inboundDialPlanRules", domain=SPOKE_ADDRESS)
    create(device, "coSpaces", name="Liên kết", uri="gbtt-link-ym", secondaryUri="lienket", callId="5001")
    return device


def dial(mcu: CmsMcu, cid: str, remote: str, **form: str) -> tuple[str, ET.Element]:
    pid = create(mcu, f"calls/{cid}/participants", remoteParty=remote, **form)
    return pid, get(mcu, f"callLegs/{pid}")


def state(leg: ET.Element) -> tuple[str, str | None]:
    return leg.find("status/state").text, text(leg.find("status"), "reason")


def test_outbound_rules_by_priority_and_failure_action(mcu, lab, spoke):
    cid = start_call(mcu)
    first = create(mcu, "outboundDialPlanRules", domain=SPOKE_ADDRESS.upper(), sipProxy="10.99.99.99",
                   priority="10", failureAction="continue")
    create(mcu, "outboundDialPlanRules", domain=SPOKE_ADDRESS, sipProxy=f"sip:{SPOKE_ADDRESS}:5061", priority="5")
    create(mcu, "outboundDialPlanRules", domain="other.vn", sipProxy=SPOKE_ADDRESS, priority="20")
    pid, leg = dial(mcu, cid, f"sip:GBTT-LINK-YM@{SPOKE_ADDRESS}:5060;transport=tls", bandwidth="768000")
    assert state(leg) == ("connected", None) and text(leg, "direction") == "outgoing"
    incoming = get(spoke, "callLegs")[0]
    assert text(get(spoke, f"callLegs/{incoming.get('id')}"), "remoteParty") == f"giaoban.dongvan@{MCU_ADDRESS}"
    assert ("dong-van-mcu", "dial", f"sip:GBTT-LINK-YM@{SPOKE_ADDRESS}:5060;transport=tls: unknownDestination") \
        in lab.entries                                     # the first rule's proxy is nobody; it says continue
    api(mcu, "PUT", f"outboundDialPlanRules/{first}", {"failureAction": "stop"})
    assert state(dial(mcu, cid, f"lienket@{SPOKE_ADDRESS}")[1]) == ("disconnected", "unknownDestination")
    api(mcu, "PUT", f"outboundDialPlanRules/{first}", {"priority": "1"})
    assert state(dial(mcu, cid, f"5001@{SPOKE_ADDRESS}")[1]) == ("connected", None)   # by call id
    assert text(get(spoke, "calls")[0], "name") == "Liên kết"
    assert text(get(spoke, f"calls/{get(spoke, 'calls')[0].get('id')}"), "numCallLegs") == "2"


def test_an_mcu_is_reached_only_through_a_rule(mcu, lab, spoke):
    cid = start_call(mcu)
    _, leg = dial(mcu, cid, f"gbtt-link-ym@{SPOKE_ADDRESS}")
    assert state(leg) == ("disconnected", "unknownDestination")
    assert any("reached only through an outbound dial plan rule" in detail for _, _, detail in lab.entries)
    assert get(spoke, "calls").get("total") == "0"
    create(mcu, "outboundDialPlanRules", domain=MCU_ADDRESS, sipProxy=MCU_ADDRESS)   # a rule back to itself
    assert state(dial(mcu, cid, f"giaoban.dongvan@{MCU_ADDRESS}")[1]) == ("disconnected", "unknownDestination")


def test_a_rule_decides_before_the_direct_lookup(mcu, lab):
    cid = start_call(mcu)
    create(mcu, "outboundDialPlanRules", domain="hagiang.gov.vn", sipProxy="10.23.13.12")   # Má Lé's codec
    _, leg = dial(mcu, cid, "lung-cu-codec@hagiang.gov.vn")
    assert state(leg) == ("connected", None) and text(leg, "name") == "UBND xã Má Lé"
    assert not lab.devices["lung-cu-codec"].calls and len(lab.devices["ma-le-codec"].calls) == 1
    create(mcu, "outboundDialPlanRules", domain="lung-cu-router", sipProxy="lung-cu-router")
    assert state(dial(mcu, cid, "lung-cu-router")[1]) == ("disconnected", "incompatibleDestination")


@pytest.mark.parametrize("change, remote, reason", [
    (("inboundDialPlanRules", "delete"), "gbtt-link-ym", "unknownDestination"),
    (("inboundDialPlanRules", {"resolveTocoSpaces": "false"}), "gbtt-link-ym", "unknownDestination"),
    (("inboundDialPlanRules", {"domain": "yenminh.hagiang.gov.vn"}), "gbtt-link-ym", "unknownDestination"),
    (None, "gbtt-link-khac", "unknownDestination"),
    (("callProfiles", {"participantLimit": "0"}), "gbtt-link-ym", "callRejected"),
])
def test_the_called_mcu_refuses_without_rule_or_cospace(mcu, lab, spoke, change, remote, reason):
    if change is not None:
        collection, what = change
        if collection == "callProfiles":
            space = get(spoke, "coSpaces")[0].get("id")
            api(spoke, "PUT", f"coSpaces/{space}", {"callProfile": create(spoke, "callProfiles", **what)})
        else:
            rule = get(spoke, collection)[0].get("id")
            api(spoke, "DELETE" if what == "delete" else "PUT", f"{collection}/{rule}", what if what != "delete" else {})
    create(mcu, "outboundDialPlanRules", domain=SPOKE_ADDRESS, sipProxy=SPOKE_ADDRESS)
    _, leg = dial(mcu, start_call(mcu), f"{remote}@{SPOKE_ADDRESS}")
    assert state(leg) == ("disconnected", reason)
    assert get(spoke, "calls").get("total") == "0" and get(spoke, "callLegs").get("total") == "0"
    assert any(host == SPOKE_HOST and detail.startswith(f"incoming giaoban.dongvan@{MCU_ADDRESS} to {remote}@")
               and reason in detail for host, _, detail in lab.entries)


def test_the_called_mcu_refuses_at_its_participant_limit(mcu, lab, spoke):
    """A Call Bridge's participantLimit (/system/configuration/cluster) counts its connected
    legs, whatever their call: at the limit an incoming call is refused."""
    create(mcu, "outboundDialPlanRules", domain=SPOKE_ADDRESS, sipProxy=SPOKE_ADDRESS)
    cid = start_call(mcu)
    assert api(spoke, "PUT", "system/configuration/cluster", {"participantLimit": "1"}).status == 200
    assert state(dial(mcu, cid, f"gbtt-link-ym@{SPOKE_ADDRESS}")[1]) == ("connected", None)
    assert state(dial(mcu, cid, f"lienket@{SPOKE_ADDRESS}")[1]) == ("disconnected", "callRejected")
    assert any(host == SPOKE_HOST and "participantLimit 1 is reached" in detail for host, _, detail in lab.entries)
    assert api(spoke, "POST", "system/configuration/cluster", {"participantLimit": ""}).status == 200
    assert state(dial(mcu, cid, f"5001@{SPOKE_ADDRESS}")[1]) == ("connected", None)
    assert text(get(spoke, "system/status"), "callLegsActive") == "2"
    assert text(get(mcu, "system/status"), "callLegsActive") == "2"     # the limit counts incoming calls only


def test_cascade_legs_survive_a_restart_and_hang_up_across(mcu, lab, spoke):
    create(mcu, "outboundDialPlanRules", domain=SPOKE_ADDRESS, sipProxy=SPOKE_ADDRESS)
    cid = start_call(mcu)
    pid, _ = dial(mcu, cid, f"gbtt-link-ym@{SPOKE_ADDRESS}")
    again = FakeLab(devices=dict(lab.devices))
    for device in (mcu, spoke):
        again.devices[device.facts.host] = CmsMcu(device.facts, again, json.loads(json.dumps(device.state)))
    hub, other = again.devices[MCU_HOST], again.devices[SPOKE_HOST]
    spoke_call = get(other, "calls")[0].get("id")
    assert text(get(other, f"calls/{spoke_call}"), "activeWhenEmpty") == "false"
    incoming = get(other, f"calls/{spoke_call}/participants")[0].get("id")
    assert text(get(other, f"participants/{incoming}"), "name") == "Hệ thống huyện Đồng Văn"
    api(other, "DELETE", f"participants/{incoming}")
    assert state(get(hub, f"callLegs/{pid}")) == ("disconnected", "remoteTeardown")
    assert get(other, "calls").get("total") == "0"                  # it came with the call, and took it along
    assert text(get(hub, "system/status"), "callLegsCompleted") == "1"
    api(hub, "PUT", f"calls/{cid}", {"activeWhenEmpty": "false"})  # the hub's call ends with its last leg
    dial(hub, cid, f"gbtt-link-ym@{SPOKE_ADDRESS}")
    other.reboot()
    assert get(hub, "calls").get("total") == "0" and get(hub, "participants").get("total") == "0"


# =========================================================================================
# System, faults, routing, logging
# =========================================================================================

def test_system_status(mcu):
    status = get(mcu, "system/status")
    assert status.tag == "status"
    assert text(status, "softwareVersion") == "3.9.2"
    assert 0 <= int(text(status, "uptimeSeconds")) < 60
    assert text(status, "activated") == "true" and text(status, "clusterEnabled") == "false"
    assert UUID.match(text(status, "hostId"))
    assert text(status, "callLegsActive") == "0"


def test_system_licensing(mcu):
    features = get(mcu, "system/licensing").find("features")
    assert features.find("callBridge/status").text == "activated"
    assert features.find("callBridge/expiry").text == "2030-Dec-31"
    assert features.find("recording/status").text == "noLicense" and features.find("recording/expiry") is None


def test_cluster_configuration(mcu, lab):
    cluster = get(mcu, "system/configuration/cluster")
    assert cluster.tag == "cluster" and [(c.tag, c.text) for c in cluster] == [("participantLimit", "96")]
    assert api(mcu, "PUT", "system/configuration/cluster",
               {"uniqueName": "xin-man", "participantLimit": "007", "loadLimit": "120000"}).status == 200
    assert [(c.tag, c.text) for c in get(mcu, "system/configuration/cluster")] == \
        [("uniqueName", "xin-man"), ("participantLimit", "7"), ("loadLimit", "120000")]
    assert failure(api(mcu, "PUT", "system/configuration/cluster", {"participantLimit": "many"}), 400).attrib == \
        {"parameter": "participantLimit", "error": "invalidValue"}
    assert failure(api(mcu, "PUT", "system/configuration/cluster", {"callLegsActive": "1"}), 400).attrib == \
        {"parameter": "callLegsActive", "error": "unrecognised"}
    assert failure(api(mcu, "DELETE", "system/configuration/cluster"), 405).tag == "invalidOperation"
    again = CmsMcu(facts(), lab, json.loads(json.dumps(mcu.state)))
    assert text(get(again, "system/configuration/cluster"), "participantLimit") == "7"
    bigger = CmsMcu(Facts(host="tinh-mcu", platform="cisco_cms", device_class="mcu", address="10.23.1.2",
                          model="Cisco Meeting Server 2000"), lab)
    assert text(get(bigger, "system/configuration/cluster"), "participantLimit") == "700"
    virtual = CmsMcu(Facts(host="vm-mcu", platform="cisco_cms", device_class="mcu", address="10.23.1.3"), lab)
    assert len(get(virtual, "system/configuration/cluster")) == 0          # no limit set


def test_a_state_saved_before_the_cluster_was_simulated_gets_the_factory_one(mcu, lab):
    saved = json.loads(json.dumps(mcu.state))
    del saved["system"]["cluster"]
    assert text(get(CmsMcu(facts(), lab, saved), "system/configuration/cluster"), "participantLimit") == "96"


def test_drift_cluster_and_software_version(mcu):
    assert mcu.drift(["cluster", "participantLimit", "5"]) == "cluster: participantLimit '96' -> '5'"
    assert text(get(mcu, "system/configuration/cluster"), "participantLimit") == "5"
    assert mcu.drift(["cluster", "participantLimit", ""]) == "cluster: participantLimit '5' -> ''"
    with pytest.raises(ValueError, match="parameterError"):
        mcu.drift(["cluster", "participantLimit", "-1"])
    assert mcu.drift(["version", "3.8.1"]) == "softwareVersion '3.9.2' -> '3.8.1'"
    assert text(get(mcu, "system/status"), "softwareVersion") == "3.8.1"
    mcu.reboot()                                                            # firmware stays installed
    assert text(get(mcu, "system/status"), "softwareVersion") == "3.8.1"
    assert mcu.drift(["version", "baseline"]) == "softwareVersion '3.8.1' -> '3.9.2'"
    assert text(get(mcu, "system/status"), "softwareVersion") == "3.9.2"
    for args in (["version", "3.8 beta"], ["version", ""], ["cluster", "participantLimit"]):
        with pytest.raises(ValueError):
            mcu.drift(args)


def test_drift_licence_expiry_and_grace(mcu):
    assert mcu.drift(["licence", "shared", "grace", "2026-Dec-01"]) == "licence shared: grace (expiry 2026-Dec-01)"
    shared = get(mcu, "system/licensing").find("features/shared")
    assert (text(shared, "status"), text(shared, "expiry")) == ("grace", "2026-Dec-01")
    assert text(get(mcu, "system/status"), "activated") == "true"
    mcu.drift(["licence", "callBridge", "grace"])
    assert text(get(mcu, "system/status"), "activated") == "true"          # grace still works


def test_reboot_drops_calls_keeps_configuration(mcu, lab):
    cid = start_call(mcu)
    create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    profile = create(mcu, "callLegProfiles", name="Giữ")
    mcu.booted_at -= 1000
    mcu.reboot()
    assert not lab.devices["lung-cu-codec"].calls
    assert get(mcu, "calls").get("total") == "0"
    assert get(mcu, "participants").get("total") == "0"
    assert get(mcu, "coSpaces").get("total") == "1"
    assert ids(get(mcu, "callLegProfiles")) == [profile]
    status = get(mcu, "system/status")
    assert int(text(status, "uptimeSeconds")) < 1000
    assert text(status, "callLegsCompleted") == "0"


def test_drift_changes_a_cospace(mcu):
    oid = create(mcu, "coSpaces", name="Giao ban", uri="giaoban")
    create(mcu, "coSpaces", name="Khác", uri="khac")
    assert mcu.drift(["coSpace", "Giao ban", "uri", "x"]) == "coSpace Giao ban: uri 'giaoban' -> 'x'"
    assert text(get(mcu, f"coSpaces/{oid}"), "uri") == "x"
    with pytest.raises(ValueError, match="duplicateCoSpaceUri"):
        mcu.drift(["coSpace", oid, "uri", "khac"])
    mcu.drift(["coSpace", "x", "passcode", ""])
    assert mcu.drift(["coSpace", "khac", "delete"]) == "deleted coSpace Khác"
    assert get(mcu, "coSpaces").get("total") == "1"


def test_drift_licence_and_bad_arguments(mcu):
    assert mcu.drift(["licence", "callBridge", "expired"]).startswith("licence callBridge: expired")
    assert text(get(mcu, "system/status"), "activated") == "false"
    assert get(mcu, "system/licensing").find("features/callBridge/status").text == "expired"
    for args in ([], ["coSpace"], ["coSpace", "nothing", "uri", "x"], ["router", "a", "b", "c"],
                 ["licence", "callBridge", "maybe"]):
        with pytest.raises(ValueError):
            mcu.drift(args)


@pytest.mark.parametrize("path", ["coSpace", "system/profile", "coSpaces/a/b/c", "calls/x/diagnostics/y"])
def test_unknown_nodes(mcu, path):
    assert failure(api(mcu, "GET", path), 404).tag in ("unrecognizedObject", "callDoesNotExist")


def test_outside_the_api(mcu):
    response = asyncio.run(mcu.handle(HttpRequest("GET", "/index.html", {}, {}, "admin")))
    assert failure(response, 404).tag == "unrecognizedObject"


@pytest.mark.parametrize("method, path", [("POST", "system/status"), ("DELETE", "coSpaces"),
                                          ("POST", "participants"), ("PATCH", "coSpaces")])
def test_unsupported_methods(mcu, method, path):
    assert failure(api(mcu, method, path), 405).tag == "invalidOperation"


def test_node_names_are_case_insensitive(mcu):
    oid = create(mcu, "calllegprofiles", name="A")
    assert get(mcu, f"CallLegProfiles/{oid.upper()}/").get("id") == oid


def test_query_parameters_on_changes_are_refused(mcu):
    response = api(mcu, "POST", "coSpaces", {"name": "A"}, name="B")
    assert failure(response, 400).attrib == {"parameter": "name", "error": "unrecognised"}


def test_changes_and_errors_are_logged_without_secrets(mcu, lab):
    oid = create(mcu, "coSpaces", name="A", uri="a", passcode="97531", secret="s3cr3tvalue")
    api(mcu, "GET", f"coSpaces/{oid}")
    api(mcu, "GET", "coSpaces/nothing")
    cid = create(mcu, "calls", coSpace=oid)
    create(mcu, f"calls/{cid}/participants", remoteParty="lung-cu-codec")
    events = [(host, event, detail) for host, event, detail in lab.entries]
    assert (MCU_HOST, "api", f"POST /api/v1/coSpaces: 200 /api/v1/coSpaces/{oid}") in events
    assert (MCU_HOST, "api", "GET /api/v1/coSpaces/nothing: 404 coSpaceDoesNotExist") in events
    assert any(event == "dial" and "connected to lung-cu-codec" in detail for _, event, detail in events)
    assert not any("97531" in detail or "s3cr3t" in detail for _, _, detail in events)
