"""The simulated Pexip Infinity (gbtt/lab/pexip_infinity.py), without sockets: requests go straight
to ``PexipMcu.handle`` and the lab is a FakeLab holding fake codecs, a router and, for the
cascades, the simulated Cisco Meeting Server (gbtt/lab/cisco_cms.py) itself."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET

import pytest
from fakelab import FakeLab

from gbtt.lab.cisco_cms import CmsMcu
from gbtt.lab.device import CallRefused, Facts, HttpRequest, HttpResponse
from gbtt.lab.pexip_infinity import PexipMcu

HOST, ADDRESS = "quan-ba-mcu", "10.23.15.2"
CMS_HOST, CMS_ADDRESS = "yen-minh-mcu", "10.23.14.2"
CONF = "configuration/v1/conference/"
RULES = "configuration/v1/gateway_routing_rule/"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ENDPOINTS = r"(sip:)?([^@]+@)?10\.23\.15(\.\d{1,3}){1}"


class FakeCodec:
    """What the MCU needs of a codec simulator: incoming_call and end_call."""

    def __init__(self, host: str, address: str, name: str | None = None, refuse: bool = False):
        self.facts = Facts(host=host, platform="cisco_ce", device_class="codec", address=address, name=name)
        self.refuse = refuse
        self.cascades = False
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
    cascades = False

    def __init__(self, host: str, address: str):
        self.facts = Facts(host=host, platform="cisco_ios", device_class="router", address=address)


def facts(host: str = HOST, address: str = ADDRESS) -> Facts:
    return Facts(host=host, platform="pexip_infinity", device_class="mcu", address=address, model="Pexip Infinity",
                 name="Hệ thống huyện Quản Bạ", software="35.1")


@pytest.fixture
def lab() -> FakeLab:
    lab = FakeLab()
    lab.devices["tam-son-codec"] = FakeCodec("tam-son-codec", "10.23.15.132", "UBND thị trấn Tam Sơn")
    lab.devices["bat-dai-son-codec"] = FakeCodec("bat-dai-son-codec", "10.23.15.133", "UBND xã Bát Đại Sơn")
    lab.devices["tam-son-router"] = FakeRouter("tam-son-router", "10.23.15.12")
    return lab


@pytest.fixture
def mcu(lab: FakeLab) -> PexipMcu:
    device = PexipMcu(facts(), lab)
    lab.devices[HOST] = device
    return device


def api(mcu, method: str, path: str, body=None, **query) -> HttpResponse:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    request = HttpRequest(method, f"/api/admin/{path}", {k: str(v) for k, v in query.items()}, {}, "admin", body=raw)
    return asyncio.run(mcu.handle(request))


def ok(response: HttpResponse, status: int = 200):
    assert response.status == status, response.body
    assert response.content_type.startswith("application/json")
    return json.loads(response.body)


def create(mcu, path: str, **fields) -> str:
    response = api(mcu, "POST", path, fields)
    assert response.status == 201, response.body
    location = response.headers["Location"]
    assert location.startswith(f"/api/admin/{path}") and location.endswith("/")
    return location.rstrip("/").rsplit("/", 1)[1]


def get(mcu, path: str, **query):
    return ok(api(mcu, "GET", path, **query))


def refused(response: HttpResponse, status: int = 400):
    assert response.status == status, response.body
    return json.loads(response.body)


def vmr(mcu, name: str = "gbtt-quan-ba-3a", *aliases: str, **fields) -> str:
    return create(mcu, CONF, name=name, aliases=[{"alias": a} for a in (aliases or ("quan-ba.3a",))], **fields)


def endpoints_rule(mcu, **fields) -> str:
    return create(mcu, RULES, name="gbtt-quan-ba-endpoints", priority=100, match_string=ENDPOINTS,
                  match_incoming_calls=False, match_outgoing_calls=True, **fields)


def dial(mcu, destination: str, alias: str = "quan-ba.3a", status: int = 200, **fields):
    answer = ok(api(mcu, "POST", "command/v1/participant/dial/",
                    {"conference_alias": alias, "destination": destination, "routing": "routing_rule", **fields}),
                status)
    assert answer["status"] == "success"
    pid = answer["data"]["participant_id"]
    assert answer["data"]["participant_ids"] == [pid] and UUID.match(pid)
    return pid


def participants(mcu, **query) -> list[dict]:
    return get(mcu, "status/v1/participant/", **query)["objects"]


def history(mcu, pid: str) -> dict:
    return get(mcu, f"history/v1/participant/{pid}/")


# =========================================================================================
# Configuration: VMRs, aliases, Call Routing Rules
# =========================================================================================

@pytest.mark.parametrize("path", [CONF, "configuration/v1/conference_alias/", RULES, "status/v1/conference/",
                                  "status/v1/participant/", "status/v1/alarm/", "history/v1/conference/",
                                  "history/v1/participant/"])
def test_factory_state_has_no_objects(mcu, path):
    listing = get(mcu, path)
    assert listing == {"meta": {"limit": 20, "offset": 0, "total_count": 0, "next": None, "previous": None},
                       "objects": []}


def test_create_a_vmr_with_its_aliases_and_read_it_with_the_defaults(mcu):
    oid = vmr(mcu, "gbtt-quan-ba-3a", "quan-ba.3a", "quan-ba.3a@10.23.15.2", participant_limit=24,
              mute_all_guests=True)
    assert oid == "1"
    obj = get(mcu, f"{CONF}1/")
    assert obj["id"] == 1 and obj["resource_uri"] == "/api/admin/configuration/v1/conference/1/"
    assert (obj["name"], obj["participant_limit"], obj["mute_all_guests"]) == ("gbtt-quan-ba-3a", 24, True)
    assert (obj["service_type"], obj["pin"], obj["allow_guests"], obj["max_callrate_out"]) == ("conference", "", False,
                                                                                              None)
    assert (obj["host_view"], obj["enable_chat"], obj["call_type"]) == ("one_main_seven_pips", "default", "video")
    assert [(a["alias"], a["conference"]) for a in obj["aliases"]] == [
        ("quan-ba.3a", obj["resource_uri"]), ("quan-ba.3a@10.23.15.2", obj["resource_uri"])]
    aliases = get(mcu, "configuration/v1/conference_alias/")["objects"]
    assert [a["alias"] for a in aliases] == ["quan-ba.3a", "quan-ba.3a@10.23.15.2"]
    assert get(mcu, CONF)["objects"] == [obj]                   # a list shows the whole object


def test_patch_changes_what_it_names_and_replaces_the_aliases(mcu):
    vmr(mcu, "gbtt-a", "a.1", "a.2", participant_limit=10)
    assert api(mcu, "PATCH", f"{CONF}1/", {"participant_limit": None, "aliases": [{"alias": "a.3"}]}).status == 202
    obj = get(mcu, f"{CONF}1/")
    assert obj["participant_limit"] is None and [a["alias"] for a in obj["aliases"]] == ["a.3"]
    assert api(mcu, "PATCH", f"{CONF}1/", {"description": "Giao ban"}).status == 202
    assert [a["alias"] for a in get(mcu, f"{CONF}1/")["aliases"]] == ["a.3"]        # kept when not given
    assert api(mcu, "PUT", f"{CONF}1/", {"name": "gbtt-a"}).status == 202           # PUT: the rest to defaults
    assert get(mcu, f"{CONF}1/")["description"] == ""


def test_delete_takes_the_aliases_along(mcu):
    vmr(mcu, "gbtt-a", "a.1")
    assert api(mcu, "DELETE", f"{CONF}1/").status == 204
    assert get(mcu, CONF)["meta"]["total_count"] == 0
    assert get(mcu, "configuration/v1/conference_alias/")["objects"] == []
    assert api(mcu, "GET", f"{CONF}1/").status == 404
    vmr(mcu, "gbtt-b", "a.1")                                   # the alias is free again
    assert get(mcu, f"{CONF}2/")["aliases"][0]["alias"] == "a.1"


@pytest.mark.parametrize("fields, field, message", [
    ({"colour": "blue"}, "colour", "Unknown field."),
    ({"participant_limit": -1}, "participant_limit", "greater than or equal to 0"),
    ({"participant_limit": "many"}, "participant_limit", "whole number"),
    ({"max_callrate_out": 1000}, "max_callrate_out", "greater than or equal to 128000"),
    ({"pin": "12ab"}, "pin", "4 to 20 digits"),
    ({"host_view": "huge"}, "host_view", "Select a valid choice"),
    ({"mute_all_guests": "yes"}, "mute_all_guests", "not a valid boolean"),
    ({"description": "a\nb"}, "description", "one line"),
    ({"guest_pin": "5678"}, "guest_pin", "needs Allow Guests"),
    ({"guest_pin": "5678", "allow_guests": True}, "guest_pin", "needs a Host PIN"),
    ({"guest_pin": "5678", "pin": "5678", "allow_guests": True}, "guest_pin", "must differ"),
])
def test_bad_values_are_refused_with_the_field_and_change_nothing(mcu, fields, field, message):
    answer = refused(api(mcu, "POST", CONF, {"name": "gbtt-x", **fields}))
    assert list(answer) == ["conference"] and list(answer["conference"]) == [field]
    assert message in answer["conference"][field][0]
    assert get(mcu, CONF)["objects"] == []
    vmr(mcu, "gbtt-y", "y.1")
    refused(api(mcu, "PATCH", f"{CONF}1/", fields))
    assert get(mcu, f"{CONF}1/")["description"] == "" and get(mcu, f"{CONF}1/")["pin"] == ""


def test_names_and_aliases_are_unique(mcu):
    vmr(mcu, "gbtt-a", "a.1")
    assert refused(api(mcu, "POST", CONF, {"name": "gbtt-a"})) == {
        "conference": {"name": ["Conference with this Name already exists."]}}
    answer = refused(api(mcu, "POST", CONF, {"name": "gbtt-b", "aliases": [{"alias": "b.1"}, {"alias": "SIP:A.1"}]}))
    assert answer == {"conference": {"aliases": [{}, {"alias": ["Conference alias with this Alias already exists."]}]}}
    assert refused(api(mcu, "POST", CONF, {"name": "gbtt-b", "aliases": ["b.1"]}))["conference"]["aliases"] == [
        {"alias": ["This field is required."]}]
    assert get(mcu, CONF)["meta"]["total_count"] == 1
    answer = refused(api(mcu, "POST", "configuration/v1/conference_alias/",
                         {"alias": "a.1", "conference": "/api/admin/configuration/v1/conference/1/"}))
    assert answer == {"conference_alias": {"alias": ["Conference alias with this Alias already exists."]}}
    assert refused(api(mcu, "POST", "configuration/v1/conference_alias/",
                       {"alias": "z", "conference": "/api/admin/configuration/v1/conference/9/"}))[
        "conference_alias"]["conference"] == ["Could not find the conference of this URI."]
    alias = create(mcu, "configuration/v1/conference_alias/", alias="a.2",
                   conference="/api/admin/configuration/v1/conference/1/")
    assert [a["alias"] for a in get(mcu, f"{CONF}1/")["aliases"]] == ["a.1", "a.2"]
    assert api(mcu, "DELETE", f"configuration/v1/conference_alias/{alias}/").status == 204


def test_call_routing_rules(mcu):
    assert refused(api(mcu, "POST", RULES, {"name": "r"}))["gateway_routing_rule"] == {
        "priority": ["This field is required."]}
    assert "Invalid regular expression" in refused(api(mcu, "POST", RULES, {"name": "r", "priority": 5,
                                                                           "match_string": "(["}))[
        "gateway_routing_rule"]["match_string"][0]
    assert "less than or equal to 200" in refused(api(mcu, "POST", RULES, {
        "name": "r", "priority": 201, "match_string": "x"}))["gateway_routing_rule"]["priority"][0]
    rid = endpoints_rule(mcu)
    rule = get(mcu, f"{RULES}{rid}/")
    assert (rule["enable"], rule["match_incoming_calls"], rule["match_outgoing_calls"]) == (True, False, True)
    assert (rule["called_device_type"], rule["outgoing_protocol"], rule["replace_string"]) == ("external", "sip", "")


def test_lists_page_by_20_with_next_and_previous(mcu):
    for i in range(25):
        vmr(mcu, f"gbtt-xa-{i:02d}", f"xa{i:02d}")
    first = get(mcu, CONF)
    assert first["meta"] == {"limit": 20, "offset": 0, "total_count": 25, "previous": None,
                             "next": "/api/admin/configuration/v1/conference/?limit=20&offset=20"}
    second = get(mcu, CONF, limit=20, offset=20)
    assert [o["name"] for o in second["objects"]] == [f"gbtt-xa-{i}" for i in range(20, 25)]
    assert second["meta"]["next"] is None and second["meta"]["previous"].endswith("limit=20&offset=0")
    assert len(get(mcu, CONF, limit=0)["objects"]) == 25 and len(get(mcu, CONF, limit=5)["objects"]) == 5
    assert "positive integer" in refused(api(mcu, "GET", CONF, limit="all"))["error"]


def test_filters_and_order(mcu):
    vmr(mcu, "gbtt-b", "b")
    vmr(mcu, "Phòng họp", "c")
    vmr(mcu, "gbtt-a", "a")
    assert [o["name"] for o in get(mcu, CONF, name__startswith="gbtt-", order_by="name")["objects"]] == [
        "gbtt-a", "gbtt-b"]
    assert [o["name"] for o in get(mcu, CONF, name="Phòng họp")["objects"]] == ["Phòng họp"]
    assert [o["name"] for o in get(mcu, CONF, order_by="-name")["objects"]] == ["gbtt-b", "gbtt-a", "Phòng họp"]
    assert refused(api(mcu, "GET", CONF, pin="1234")) == {"error": "The 'pin' field does not allow filtering."}
    assert refused(api(mcu, "GET", CONF, name__regex=".*"))["error"].startswith("The 'name__regex'")


def test_paths_methods_and_bodies(mcu):
    response = api(mcu, "GET", "configuration/v1/conference", name="x")
    assert (response.status, response.headers["Location"]) == (301, "/api/admin/configuration/v1/conference/?name=x")
    assert api(mcu, "GET", "configuration/v1/nothing/").status == 404
    assert api(mcu, "GET", "configuration/v2/conference/").status == 404
    assert asyncio.run(mcu.handle(HttpRequest("GET", "/admin/", {}, {}, "admin"))).status == 404
    assert api(mcu, "DELETE", CONF).status == 405
    assert api(mcu, "POST", "status/v1/conference/", {}).status == 405
    assert api(mcu, "GET", "command/v1/participant/dial/").status == 405
    assert refused(api(mcu, "POST", CONF, b"{not json"))["error"] == "The request body is not valid JSON."
    assert api(mcu, "PATCH", f"{CONF}7/", {}).status == 404


# =========================================================================================
# Status, licences, history, faults
# =========================================================================================

def test_platform_status_and_licences(mcu):
    (manager,) = get(mcu, "status/v1/management_vm/")["objects"]
    assert (manager["name"], manager["version"], manager["primary"]) == (HOST, "35.1 (build 81267)", True)
    nodes = get(mcu, "status/v1/worker_vm/")["objects"]
    assert [n["name"] for n in nodes] == [f"{HOST}-cn1", f"{HOST}-cn2"]
    assert {n["node_type"] for n in nodes} == {"CONFERENCING"} and nodes[0]["max_hd_calls"] == 40
    assert nodes[0]["boot_time"] < nodes[0]["last_updated"]
    (licensing,) = get(mcu, "status/v1/licensing/")["objects"]
    assert (licensing["port_count"], licensing["port_total"], licensing["audio_total"]) == (0, 50, 20)
    entitlements = get(mcu, "configuration/v1/licence/")["objects"]
    assert [(e["license_type"], e["concurrent"], e["expiration_date"]) for e in entitlements] == [
        ("port", 50, "31-dec-2030"), ("audio", 20, "31-dec-2030"), ("system", 2, "31-dec-2030")]
    assert get(mcu, "configuration/v1/licence/1/")["entitlement_id"] == entitlements[0]["entitlement_id"]
    assert get(mcu, "status/v1/system_location/")["objects"][0]["name"] == "Hệ thống huyện Quản Bạ"


def test_drift_licences_and_version(mcu):
    assert mcu.drift(["licence", "port", "expiry", "1-jan-2020"]) == "licence port: expiry 1-jan-2020"
    assert get(mcu, "status/v1/licensing/")["objects"][0]["port_total"] == 0       # expired: counts no more
    mcu.drift(["licence", "port", "expiry", "permanent"])
    mcu.drift(["licence", "port", "concurrent", "3"])
    assert get(mcu, "status/v1/licensing/")["objects"][0]["port_total"] == 3
    assert mcu.drift(["version", "34.2"]) == "version '35.1' -> '34.2'"
    assert get(mcu, "status/v1/worker_vm/")["objects"][0]["version"] == "34.2 (build 81267)"
    mcu.drift(["version", "baseline"])
    assert get(mcu, "status/v1/management_vm/")["objects"][0]["version"].startswith("35.1 ")
    for bad in (["licence", "teams", "concurrent", "1"], ["licence", "port", "expiry", "soon"], ["version", "x y"],
                ["conference", "nobody", "delete"], ["colour"]):
        with pytest.raises(ValueError):
            mcu.drift(bad)


def test_drift_changes_or_deletes_configuration(mcu):
    vmr(mcu, "gbtt-a", "a")
    assert mcu.drift(["conference", "gbtt-a", "participant_limit", "5"]) == "conference gbtt-a: participant_limit -> 5"
    assert get(mcu, f"{CONF}1/")["participant_limit"] == 5
    mcu.drift(["conference", "1", "description", "đổi tay"])
    assert get(mcu, f"{CONF}1/")["description"] == "đổi tay"
    with pytest.raises(ValueError, match="greater than or equal"):
        mcu.drift(["conference", "gbtt-a", "participant_limit", "-5"])
    assert mcu.drift(["conference", "gbtt-a", "delete"]) == "deleted conference gbtt-a"
    assert get(mcu, CONF)["objects"] == [] and get(mcu, "configuration/v1/conference_alias/")["objects"] == []


# =========================================================================================
# Calls: dial-outs to codecs
# =========================================================================================

@pytest.mark.parametrize("destination", ["10.23.15.132", "sip:10.23.15.132", "giaoban@10.23.15.132",
                                         "sip:x@10.23.15.132"])
def test_a_dial_out_through_a_rule_rings_the_codec(mcu, lab, destination):
    vmr(mcu, mute_all_guests=True, max_callrate_out=1_536_000)
    endpoints_rule(mcu)
    pid = dial(mcu, destination, remote_display_name="Tam Sơn")
    codec = lab.devices["tam-son-codec"]
    assert list(codec.calls.values()) == [(f"quan-ba.3a@{ADDRESS}", 1536)]
    (conference,) = get(mcu, "status/v1/conference/")["objects"]
    assert (conference["name"], conference["guests_muted"], conference["is_locked"]) == ("gbtt-quan-ba-3a", True, False)
    (leg,) = participants(mcu, conference="gbtt-quan-ba-3a")
    assert leg["id"] == pid and get(mcu, f"status/v1/participant/{pid}/") == leg
    assert (leg["call_direction"], leg["destination_alias"], leg["source_alias"]) == ("out", destination,
                                                                                     f"quan-ba.3a@{ADDRESS}")
    assert (leg["role"], leg["is_muted"], leg["has_media"], leg["bandwidth"]) == ("guest", True, True, 1536)
    assert (leg["display_name"], leg["remote_address"]) == ("UBND thị trấn Tam Sơn", "10.23.15.132")
    assert get(mcu, "status/v1/licensing/")["objects"][0]["port_count"] == 1
    assert participants(mcu, conference="other") == []


def test_rates_roles_and_manual_routing(mcu, lab):
    vmr(mcu)
    endpoints_rule(mcu, max_callrate_out=768_000)
    dial(mcu, "10.23.15.132", role="chair")
    assert list(lab.devices["tam-son-codec"].calls.values()) == [(f"quan-ba.3a@{ADDRESS}", 768)]
    (leg,) = participants(mcu)
    assert (leg["role"], leg["is_muted"]) == ("chair", False)             # mute_all_guests is off: nobody muted
    dial(mcu, "10.23.15.133", routing="manual")                            # no rule: called as it is
    assert list(lab.devices["bat-dai-son-codec"].calls.values()) == [(f"quan-ba.3a@{ADDRESS}", 4128)]


@pytest.mark.parametrize("destination, routing, reason", [
    ("10.23.15.132", "routing_rule", "No matching Call Routing Rule"),          # the rule is disabled
    ("10.23.15.199", "manual", "Call failed: 10.23.15.199 not reachable"),
    ("10.23.15.12", "manual", "Call rejected: incompatible destination"),
    (ADDRESS, "manual", f"Call failed: {ADDRESS} not reachable"),
])
def test_a_failed_dial_is_only_in_the_history(mcu, lab, destination, routing, reason):
    vmr(mcu)
    endpoints_rule(mcu, enable=False)
    pid = dial(mcu, destination, routing=routing)
    assert participants(mcu) == [] and get(mcu, "status/v1/conference/")["objects"] == []
    assert api(mcu, "GET", f"status/v1/participant/{pid}/").status == 404
    record = history(mcu, pid)
    assert (record["disconnect_reason"], record["call_direction"], record["remote_alias"]) == (reason, "out",
                                                                                            destination)
    assert (record["conference_name"], record["duration"]) == ("gbtt-quan-ba-3a", 0)
    (ended,) = get(mcu, "history/v1/conference/")["objects"]      # started for the dial, ended with it
    assert record["conference"] == ended["resource_uri"] and ended["participant_count"] == 1


def test_a_codec_that_refuses(mcu, lab):
    lab.devices["busy-codec"] = FakeCodec("busy-codec", "10.23.15.140", refuse=True)
    vmr(mcu)
    endpoints_rule(mcu)
    assert history(mcu, dial(mcu, "10.23.15.140"))["disconnect_reason"] == "Call rejected: busy"
    assert any(event == "dial" and "busy-codec refused" in detail for _, event, detail in lab.entries)


def test_rules_are_tried_by_priority_with_their_replace_string(mcu, lab):
    vmr(mcu)
    create(mcu, RULES, name="nobody", priority=5, match_string=r"tam-son", replace_string="10.23.15.250",
           match_outgoing_calls=True)
    create(mcu, RULES, name="by-name", priority=10, match_string=r"(tam|bat)-son", replace_string=r"\1.x@10.23.15.132",
           match_outgoing_calls=True)
    create(mcu, RULES, name="teams", priority=1, match_string=r".*", called_device_type="teams_conference",
           match_outgoing_calls=True)
    dial(mcu, "tam-son")
    assert list(lab.devices["tam-son-codec"].calls.values()) == [(f"quan-ba.3a@{ADDRESS}", 4128)]
    assert participants(mcu)[0]["destination_alias"] == "tam-son"
    pid = dial(mcu, "ma-le")                      # only the Teams rule matches: not simulated
    assert history(mcu, pid)["disconnect_reason"] == "Call failed: call target teams_conference/sip is not simulated"


def test_dial_command_errors(mcu):
    vmr(mcu)
    assert refused(api(mcu, "POST", "command/v1/participant/dial/", {"destination": "x"})) == {
        "status": "failed", "reason": "conference_alias: give it as one line of text"}
    assert refused(api(mcu, "POST", "command/v1/participant/dial/", {"conference_alias": "nothing",
                                                                     "destination": "x"}))["reason"] == \
        "conference_alias nothing: no service has this alias"
    for field, value in (("routing", "auto"), ("role", "boss"), ("colour", "blue")):
        answer = refused(api(mcu, "POST", "command/v1/participant/dial/",
                             {"conference_alias": "quan-ba.3a", "destination": "x", field: value}))
        assert answer["status"] == "failed" and field in answer["reason"]
    assert refused(api(mcu, "POST", "command/v1/participant/disconnect/",
                       {"participant_id": "00000000-0000-0000-0000-000000000000"}), 404)["status"] == "failed"
    assert refused(api(mcu, "POST", "command/v1/conference/disconnect/", {"conference_id": "x"}), 404)["reason"] == \
        "conference x not found"
    assert api(mcu, "POST", "command/v1/conference/explode/", {}).status == 404


def test_hanging_up_ends_the_codec_call(mcu, lab):
    vmr(mcu)
    endpoints_rule(mcu)
    first = dial(mcu, "10.23.15.132")
    second = dial(mcu, "10.23.15.133")
    assert ok(api(mcu, "POST", "command/v1/participant/disconnect/", {"participant_id": first})) == {
        "status": "success"}
    assert lab.devices["tam-son-codec"].ended == [1]
    assert [p["id"] for p in participants(mcu)] == [second]
    assert history(mcu, first)["disconnect_reason"] == "API"
    (conference,) = get(mcu, "status/v1/conference/")["objects"]
    ok(api(mcu, "POST", "command/v1/conference/disconnect/", {"conference_id": conference["id"]}))
    assert lab.devices["bat-dai-son-codec"].ended == [1] and participants(mcu) == []
    assert history(mcu, second)["disconnect_reason"] == "Conference terminated"
    assert get(mcu, "history/v1/conference/")["objects"][0]["participant_count"] == 2
    assert get(mcu, "status/v1/licensing/")["objects"][0]["port_count"] == 0


def test_mute_lock_and_the_guests(mcu, lab):
    vmr(mcu)
    endpoints_rule(mcu)
    pid = dial(mcu, "10.23.15.132")
    cid = get(mcu, "status/v1/conference/")["objects"][0]["id"]
    ok(api(mcu, "POST", "command/v1/participant/mute/", {"participant_id": pid}))
    assert participants(mcu)[0]["is_muted"] is True
    ok(api(mcu, "POST", "command/v1/participant/unmute/", {"participant_id": pid}))
    ok(api(mcu, "POST", "command/v1/conference/mute_guests/", {"conference_id": cid}))
    assert get(mcu, f"status/v1/conference/{cid}/")["guests_muted"] is True and participants(mcu)[0]["is_muted"]
    dial(mcu, "10.23.15.133")
    assert all(p["is_muted"] for p in participants(mcu))               # a Guest joins muted now
    ok(api(mcu, "POST", "command/v1/conference/unmute_guests/", {"conference_id": cid}))
    ok(api(mcu, "POST", "command/v1/conference/lock/", {"conference_id": cid}))
    assert get(mcu, f"status/v1/conference/{cid}/")["is_locked"] is True
    assert not any(p["is_muted"] for p in participants(mcu))


def test_the_participant_limit_and_the_port_licences(mcu, lab):
    vmr(mcu, participant_limit=1)
    endpoints_rule(mcu)
    dial(mcu, "10.23.15.132")
    pid = dial(mcu, "10.23.15.133")
    assert history(mcu, pid)["disconnect_reason"] == "Call rejected: participant limit 1 reached"
    api(mcu, "PATCH", f"{CONF}1/", {"participant_limit": None})
    mcu.drift(["licence", "port", "concurrent", "1"])
    assert history(mcu, dial(mcu, "10.23.15.133"))["disconnect_reason"] == \
        "Call rejected: no port licence available (1 in use)"
    assert not lab.devices["bat-dai-son-codec"].calls


def test_a_reboot_ends_every_conference_and_keeps_the_configuration(mcu, lab):
    vmr(mcu)
    endpoints_rule(mcu)
    pid = dial(mcu, "10.23.15.132")
    booted = get(mcu, "status/v1/worker_vm/")["objects"][0]["boot_time"]
    mcu.reboot()
    assert participants(mcu) == [] and lab.devices["tam-son-codec"].ended == [1]
    assert history(mcu, pid)["disconnect_reason"] == "Conferencing Node restarted"
    assert get(mcu, "status/v1/worker_vm/")["objects"][0]["boot_time"] > booted
    assert get(mcu, CONF)["meta"]["total_count"] == 1 and get(mcu, RULES)["meta"]["total_count"] == 1


def test_state_is_json_and_survives_a_restart(mcu, lab):
    vmr(mcu)
    endpoints_rule(mcu)
    pid = dial(mcu, "10.23.15.132")
    again = PexipMcu(facts(), lab, json.loads(json.dumps(mcu.state)))
    assert [p["id"] for p in get(again, "status/v1/participant/")["objects"]] == [pid]
    ok(api(again, "POST", "command/v1/participant/disconnect/", {"participant_id": pid}))
    assert lab.devices["tam-son-codec"].ended == [1]


def test_ids_are_reproducible_per_host(lab):
    def one(host: str) -> str:
        device = PexipMcu(facts(host), lab)
        vmr(device)
        create(device, RULES, name="r", priority=1, match_string="1.*", match_outgoing_calls=True)
        return dial(device, "10.23.15.132")
    assert one(HOST) == one(HOST) != one("other-mcu")


def test_changes_and_commands_are_logged_without_pins(mcu, lab):
    vmr(mcu, pin="97531864")
    api(mcu, "PATCH", f"{CONF}1/", {"pin": "86420000"})
    details = [detail for _, event, detail in lab.entries if event == "api"]
    assert details[0] == ("POST /api/admin/configuration/v1/conference/ ['aliases', 'name', 'pin']: 201 "
                          "/api/admin/configuration/v1/conference/1/")
    assert details[1] == "PATCH /api/admin/configuration/v1/conference/1/ ['pin']: 202"
    assert not any("97531864" in d or "86420000" in d for _, _, d in lab.entries)


# =========================================================================================
# Cascades with the simulated Cisco Meeting Server
# =========================================================================================

def cms_api(cms: CmsMcu, method: str, path: str, **form) -> HttpResponse:
    return asyncio.run(cms.handle(HttpRequest(method, f"/api/v1/{path}", {}, {k: str(v) for k, v in form.items()},
                                              "admin")))


def cms_create(cms: CmsMcu, path: str, **form) -> str:
    response = cms_api(cms, "POST", path, **form)
    assert response.status == 200, response.body
    return response.headers["Location"].rsplit("/", 1)[1]


def cms_legs(cms: CmsMcu) -> list[ET.Element]:
    listing = ET.fromstring(cms_api(cms, "GET", "callLegs").body)
    return [ET.fromstring(cms_api(cms, "GET", f"callLegs/{leg.get('id')}").body) for leg in listing]


@pytest.fixture
def cms(lab: FakeLab) -> CmsMcu:
    """yen-minh-mcu: a Call Bridge with the link's coSpace, taking calls to its own address."""
    device = CmsMcu(Facts(host=CMS_HOST, platform="cisco_cms", device_class="mcu", address=CMS_ADDRESS,
                          model="Cisco Meeting Server 1000", name="Hệ thống huyện Yên Minh", software="3.9.2"), lab)
    lab.devices[CMS_HOST] = device
    cms_create(device, "inboundDialPlanRules", domain=CMS_ADDRESS, resolveTocoSpaces="true")
    cms_create(device, "coSpaces", name="gbtt-link-t1", uri="gbtt-link-t1")
    return device


@pytest.fixture
def link(mcu) -> None:
    """The Pexip side of the link t1: its VMR, and a rule to the CMS's address."""
    vmr(mcu, "gbtt-link-t1", "gbtt-link-t1", f"gbtt-link-t1@{ADDRESS}", max_callrate_out=2_000_000)
    create(mcu, RULES, name="gbtt-link-t1--yen-minh", priority=50, match_string=r"(sip:)?[^@]+@10\.23\.14\.2",
           match_incoming_calls=False, match_outgoing_calls=True, max_callrate_out=1_536_000)


def test_pexip_hub_dials_the_cms_spoke(mcu, cms, lab, link):
    pid = dial(mcu, f"gbtt-link-t1@{CMS_ADDRESS}", alias="gbtt-link-t1")
    (leg,) = participants(mcu, conference="gbtt-link-t1")
    assert (leg["id"], leg["call_direction"], leg["bandwidth"], leg["display_name"]) == (
        pid, "out", 1536, "Hệ thống huyện Yên Minh")
    (incoming,) = cms_legs(cms)
    assert incoming.findtext("direction") == "incoming" and incoming.findtext("status/state") == "connected"
    assert incoming.findtext("remoteParty") == f"gbtt-link-t1@{ADDRESS}"
    assert incoming.findtext("status/bandwidth") == "1536000"
    # the CMS hangs up: the participant goes, with the reason
    cms_api(cms, "DELETE", f"callLegs/{incoming.get('id')}")
    assert participants(mcu) == [] and history(mcu, pid)["disconnect_reason"] == "Call disconnected"
    # dialled again, then ended on the Pexip: the CMS's leg goes too
    pid = dial(mcu, f"sip:GBTT-LINK-T1@{CMS_ADDRESS}", alias="gbtt-link-t1")
    assert len(cms_legs(cms)) == 1
    ok(api(mcu, "POST", "command/v1/participant/disconnect/", {"participant_id": pid}))
    assert cms_legs(cms) == [] and ET.fromstring(cms_api(cms, "GET", "calls").body).get("total") == "0"


def test_pexip_hub_without_its_rule_or_a_cms_without_the_cospace(mcu, cms, lab, link):
    api(mcu, "PATCH", f"{RULES}1/", {"enable": False})
    assert history(mcu, dial(mcu, f"gbtt-link-t1@{CMS_ADDRESS}", alias="gbtt-link-t1"))["disconnect_reason"] == \
        "No matching Call Routing Rule"
    api(mcu, "PATCH", f"{RULES}1/", {"enable": True})
    assert history(mcu, dial(mcu, f"gbtt-link-t2@{CMS_ADDRESS}", alias="gbtt-link-t1"))["disconnect_reason"] == \
        "Call rejected: unknownDestination"
    assert cms_legs(cms) == []


def test_cms_hub_dials_the_pexip_spoke(mcu, cms, lab, link):
    cms_create(cms, "outboundDialPlanRules", domain=ADDRESS, sipProxy=ADDRESS, priority="100")
    space = ET.fromstring(cms_api(cms, "GET", "coSpaces").body)[0].get("id")
    cid = cms_create(cms, "calls", coSpace=space)
    pid = cms_create(cms, f"calls/{cid}/participants", remoteParty=f"gbtt-link-t1@{ADDRESS}", bandwidth="1536000")
    leg = ET.fromstring(cms_api(cms, "GET", f"callLegs/{pid}").body)
    assert leg.findtext("status/state") == "connected" and leg.findtext("name") == "Hệ thống huyện Quản Bạ"
    (incoming,) = participants(mcu, conference="gbtt-link-t1")
    assert (incoming["call_direction"], incoming["source_alias"], incoming["destination_alias"]) == (
        "in", f"gbtt-link-t1@{CMS_ADDRESS}", f"gbtt-link-t1@{ADDRESS}")
    assert (incoming["role"], incoming["is_muted"], incoming["bandwidth"]) == ("chair", False, 1536)
    # the Pexip ends its side: the hub's leg is down, remoteTeardown
    ok(api(mcu, "POST", "command/v1/participant/disconnect/", {"participant_id": incoming["id"]}))
    leg = ET.fromstring(cms_api(cms, "GET", f"callLegs/{pid}").body)
    assert (leg.findtext("status/state"), leg.findtext("status/reason")) == ("disconnected", "remoteTeardown")
    # dialled again; the hub ends its call: the Pexip's conference ends
    cms_create(cms, f"calls/{cid}/participants", remoteParty=f"gbtt-link-t1@{ADDRESS}")
    assert len(participants(mcu)) == 1
    cms_api(cms, "DELETE", f"calls/{cid}")
    assert participants(mcu) == [] and get(mcu, "status/v1/conference/")["objects"] == []
    assert get(mcu, "history/v1/participant/")["objects"][0]["disconnect_reason"] == "Call disconnected"


@pytest.mark.parametrize("user, domain, change, reason", [
    ("gbtt-link-t1", "hagiang.gov.vn", None, "unknownDestination"),    # Pexip matches the whole alias
    ("gbtt-link-t9", ADDRESS, None, "unknownDestination"),
    ("gbtt-link-t1", ADDRESS, {"service_type": "test_call"}, "unknownDestination"),
    ("gbtt-link-t1", ADDRESS, {"participant_limit": 0}, "callRejected"),
])
def test_the_pexip_spoke_refuses_a_call_it_cannot_place(mcu, cms, lab, link, user, domain, change, reason):
    if change is not None:
        assert api(mcu, "PATCH", f"{CONF}1/", change).status == 202
    with pytest.raises(CallRefused) as refusal:
        mcu.incoming_cascade(user, domain, f"gbtt-link-t1@{CMS_ADDRESS}", cms, "cms-leg", 2_000_000)
    assert refusal.value.reason == reason
    assert participants(mcu) == [] and get(mcu, "status/v1/conference/")["objects"] == []
    assert any(host == HOST and detail.startswith(f"incoming gbtt-link-t1@{CMS_ADDRESS} to {user}@{domain}: {reason}")
               for host, _, detail in lab.entries)


def test_a_locked_conference_or_no_licence_refuses(mcu, cms, lab, link):
    endpoints_rule(mcu)
    dial(mcu, "10.23.15.132", alias="gbtt-link-t1")
    cid = get(mcu, "status/v1/conference/")["objects"][0]["id"]
    ok(api(mcu, "POST", "command/v1/conference/lock/", {"conference_id": cid}))
    with pytest.raises(CallRefused, match="locked"):
        mcu.incoming_cascade("gbtt-link-t1", ADDRESS, f"gbtt-link-t1@{CMS_ADDRESS}", cms, "leg", 2_000_000)
    ok(api(mcu, "POST", "command/v1/conference/unlock/", {"conference_id": cid}))
    mcu.drift(["licence", "port", "concurrent", "1"])
    with pytest.raises(CallRefused, match="no port licence"):
        mcu.incoming_cascade("gbtt-link-t1", ADDRESS, f"gbtt-link-t1@{CMS_ADDRESS}", cms, "leg", 2_000_000)


def test_a_reboot_on_either_side_ends_the_cascade(mcu, cms, lab, link):
    pid = dial(mcu, f"gbtt-link-t1@{CMS_ADDRESS}", alias="gbtt-link-t1")
    cms.reboot()
    assert participants(mcu) == [] and history(mcu, pid)["disconnect_reason"] == "Call disconnected"
    dial(mcu, f"gbtt-link-t1@{CMS_ADDRESS}", alias="gbtt-link-t1")
    mcu.reboot()
    assert cms_legs(cms) == []


def test_two_pexip_platforms_cascade(mcu, lab, link):
    other = PexipMcu(facts("yen-minh-mcu", CMS_ADDRESS), lab)
    lab.devices["yen-minh-mcu"] = other
    vmr(other, "gbtt-link-t1", "gbtt-link-t1", f"gbtt-link-t1@{CMS_ADDRESS}")
    pid = dial(mcu, f"gbtt-link-t1@{CMS_ADDRESS}", alias="gbtt-link-t1")
    (incoming,) = participants(other)
    assert (incoming["call_direction"], incoming["source_alias"]) == ("in", f"gbtt-link-t1@{ADDRESS}")
    ok(api(other, "POST", "command/v1/participant/disconnect/", {"participant_id": incoming["id"]}))
    assert participants(mcu) == [] and history(mcu, pid)["disconnect_reason"] == "Call disconnected"
