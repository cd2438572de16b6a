"""The simulated Poly codec (gbtt/lab/poly_group.py), without sockets: requests go straight to
``PolyCodec.handle`` (with the session cookie a client keeps) and the lab is a FakeLab holding
a fake MCU and a fake router."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest
from fakelab import FakeLab

from gbtt.lab.device import Facts, HttpRequest, HttpResponse
from gbtt.lab.poly_group import MASKED, REMOVED, SCHEMA, PolyCodec, secure_matches

G7500 = "quan-ba-ubnd-codec"
X50 = "quan-ba-tam-son-codec"
MCU_ADDRESS = "10.23.15.2"
LOGIN = {"username": "gbtt", "password": "lab-codec-only"}


def facts(host: str = G7500, address: str = "10.23.15.131", model: str = "Poly G7500",
          name: str = "UBND huyện Quản Bạ") -> Facts:
    return Facts(host=host, platform="poly_group", device_class="codec", address=address, model=model,
                 name=name, software="4.1.0", serial="8L2138" + host[-6:].upper(), extra=dict(LOGIN))


class FakeMcu:
    """An MCU of the lab as a codec sees it: facts, and it calls incoming_call."""

    def __init__(self):
        self.facts = Facts(host="quan-ba-mcu", platform="pexip_infinity", device_class="mcu",
                           address=MCU_ADDRESS, name="Hệ thống giao ban trực tuyến huyện Quản Bạ")


class FakeRouter:
    def __init__(self):
        self.facts = Facts(host="quan-ba-ubnd-router", platform="huawei_vrp", device_class="router",
                           address="10.23.15.11")


@pytest.fixture
def lab() -> FakeLab:
    lab = FakeLab(seconds_per_minute=1.0)
    for dev in (FakeMcu(), FakeRouter()):
        lab.devices[dev.facts.host] = dev
    return lab


@pytest.fixture
def codec(lab: FakeLab) -> PolyCodec:
    dev = PolyCodec(facts(), lab)
    lab.devices[G7500] = dev
    return dev


@pytest.fixture
def other(lab: FakeLab) -> PolyCodec:
    dev = PolyCodec(facts(X50, "10.23.15.132", "Poly Studio X50", "UBND thị trấn Tam Sơn"), lab)
    lab.devices[X50] = dev
    return dev


class Client:
    """A REST client of one codec: keeps the session cookie like a browser."""

    def __init__(self, codec: PolyCodec):
        self.codec = codec
        self.cookie = ""
        self.logins: list[str] = []

    def _login(self, user: str, password: str) -> bool:
        self.logins.append(user)
        return (user, password) == (LOGIN["username"], LOGIN["password"])

    def __call__(self, method: str, path: str, body=None, raw: bytes | None = None, **query: str) -> HttpResponse:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        headers = {"Cookie": self.cookie} if self.cookie else {}
        request = HttpRequest(method, path, {k: str(v) for k, v in query.items()}, {}, "", body=data,
                              headers=headers, login=self._login)
        response = asyncio.run(self.codec.handle(request))
        cookie = response.headers.get("Set-Cookie", "")
        if cookie.startswith("session_id="):
            self.cookie = cookie.split(";", 1)[0]
        return response

    def login(self) -> "Client":
        response = self("POST", "/rest/session", {"user": LOGIN["username"], "password": LOGIN["password"]})
        assert response.status == 200, response.body
        return self

    def json(self, method: str, path: str, body=None, status: int = 200, **query: str):
        response = self(method, path, body, **query)
        assert response.status == status, (response.status, response.body)
        assert response.content_type == "application/json"
        return json.loads(response.body)

    def config(self, *names: str) -> dict[str, str]:
        doc = self.json("POST", "/rest/config", {"names": list(names)})
        return {v["name"]: v.get("value", v["result"]) for v in doc["vars"]}

    def set(self, status: int = 200, **values: str):
        pairs = [{"name": k.replace("__", "."), "value": v} for k, v in values.items()]
        return self.json("POST", "/rest/config", {"vars": pairs}, status=status)

    def status(self, name: str) -> str:
        items = self.json("GET", "/rest/system/status")
        return next(i["stateList"][0] for i in items if i["name"] == f"system.status.{name}")


@pytest.fixture
def rest(codec: PolyCodec) -> Client:
    return Client(codec).login()


@pytest.fixture
def rest2(other: PolyCodec) -> Client:
    return Client(other).login()


def register(client: Client, uri: str = "quan-ba-ubnd@10.23.15.2", registrar: str = MCU_ADDRESS,
             answer: str = "Yes") -> None:
    client.json("POST", "/rest/config", {"vars": [
        {"name": "voIpProt.SIP.userName", "value": uri}, {"name": "voIpProt.SIP.registrarServer", "value": registrar},
        {"name": "call.autoAnswer.answerP2PCall", "value": answer}]})


# -- state ------------------------------------------------------------------------------------


def test_factory_state_is_json_with_the_registry_address_and_the_lab_login(lab):
    state = PolyCodec.factory_state(facts())
    assert json.loads(json.dumps(state)) == state
    config = state["config"]
    assert config["device.net.ipAddress"] == "10.23.15.131" and config["device.net.ipGateway"] == "10.23.15.1"
    assert config["sec.auth.admin.id"] == "gbtt"
    assert config["device.local.deviceName"].startswith("G7500-")
    assert set(state["secure"]) == {n for n, s in SCHEMA.items() if s.secure}
    assert all(v == "" for v in state["secure"].values())


def test_a_saved_state_round_trips_and_an_older_one_is_completed(lab, codec, rest):
    rest.set(device__local__deviceName="Phòng họp")
    saved = json.loads(json.dumps(codec.state))
    del saved["config"]["snmp.enable"]
    del saved["faults"]
    again = PolyCodec(facts(), lab, saved)
    assert again.config("device.local.deviceName") == "Phòng họp"
    assert again.config("snmp.enable") == "false" and again.state["faults"] == {}


# -- sessions ---------------------------------------------------------------------------------


def test_login_sets_a_session_cookie_and_logout_ends_it(codec):
    client = Client(codec)
    assert client("GET", "/rest/system").status == 401                 # no session yet
    response = client("POST", "/rest/session", {"user": "gbtt", "password": "lab-codec-only"})
    doc = json.loads(response.body)
    assert response.status == 200 and doc["success"] is True
    assert doc["session"]["role"] == "ADMIN" and doc["session"]["userId"] == "gbtt"
    assert response.headers["Set-Cookie"] == f"session_id={doc['session']['sessionId']}; Path=/; Secure; HttpOnly"
    assert client.json("GET", "/rest/session")["session"]["sessionId"] == doc["session"]["sessionId"]
    assert client.json("GET", "/rest/system")["state"] == "READY"
    assert client.json("DELETE", "/rest/session") == {"success": True}
    assert client("GET", "/rest/system").status == 401
    assert json.loads(client("DELETE", "/rest/session").body)["reason"] == "SessionNoActiveSession"


def test_a_refused_login_is_403_and_opens_no_session(codec):
    client = Client(codec)
    response = client("POST", "/rest/session", {"user": "gbtt", "password": "wrong"})
    doc = json.loads(response.body)
    assert response.status == 403 and doc["success"] is False and doc["reason"] == "SessionRequestInvalid"
    assert doc["loginStatus"]["failedLogins"] == 1 and "Set-Cookie" not in response.headers
    assert client("POST", "/rest/session", {"user": "gbtt"}).status == 400
    assert client("POST", "/rest/session", raw=b"{not json").status == 400
    assert client("GET", "/rest/system").status == 401
    client.cookie = "session_id=forged"
    assert client("GET", "/rest/system").status == 401
    assert codec.sessions == {}


def test_unknown_paths_and_methods(rest):
    assert rest("GET", "/api/v1/system").status == 404
    assert rest("GET", "/rest/nothing").status == 404
    assert rest("DELETE", "/rest/system").status == 405
    assert rest("GET", "/rest/config").status == 405


# -- configuration ----------------------------------------------------------------------------


def test_config_read_in_the_codecs_spelling_and_unknown_names(rest):
    doc = rest.json("POST", "/rest/config", {"names": ["DEVICE.LOCAL.TIMEZONE", "no.such.thing",
                                                       "call.preferredspeed.outgoing"]})
    assert doc == {"vars": [
        {"name": "device.local.timezone", "value": "Etc_UTC", "result": "NOERROR"},
        {"name": "no.such.thing", "result": "INVALID_NAME"},
        {"name": "call.preferredSpeed.outgoing", "value": "6144", "result": "NOERROR"}]}
    assert rest("POST", "/rest/config", {"names": "device.local.timezone"}).status == 400
    assert rest("POST", "/rest/config", {"names": [], "vars": []}).status == 400


def test_config_write_applies_saves_and_logs(lab, codec, rest):
    doc = rest.set(device__local__deviceName="UBND huyện Quản Bạ", call__autoAnswer__micMute="FALSE",
                   qos__maxTxBandwidth=4096)
    assert doc == {"vars": [
        {"name": "device.local.deviceName", "requestedValue": "UBND huyện Quản Bạ", "result": "NOERROR"},
        {"name": "call.autoAnswer.micMute", "requestedValue": "false", "result": "NOERROR"},
        {"name": "qos.maxTxBandwidth", "requestedValue": "4096", "result": "NOERROR"}], "rebootNeeded": False}
    assert rest.config("device.local.deviceName", "call.autoAnswer.micMute", "qos.maxTxBandwidth") == {
        "device.local.deviceName": "UBND huyện Quản Bạ", "call.autoAnswer.micMute": "false",
        "qos.maxTxBandwidth": "4096"}
    assert codec.state["config"]["call.autoAnswer.micMute"] == "false"
    assert (G7500, "config", "qos.maxTxBandwidth: 4096 (api)") in lab.entries


@pytest.mark.parametrize("name, value", [
    ("call.preferredSpeed.outgoing", "2000"),          # not a rate the codec offers
    ("qos.maxTxBandwidth", "6145"),
    ("call.autoAnswer.answerP2PCall", "Always"),
    ("voIpProt.SIP.enable", "on"),
    ("device.net.ipAddress", "10.23.15.300"),
    ("device.local.timezone", "Asia/Ho_Chi_Minh"),     # the codec writes _ for /
    ("device.local.deviceName", ""),
    ("device.local.deviceName", "x" * 65),
])
def test_a_refused_value_writes_nothing_of_its_request(codec, rest, name, value):
    before = dict(codec.state["config"])
    doc = rest.json("POST", "/rest/config", {"vars": [{"name": "snmp.enable", "value": "true"},
                                                      {"name": name, "value": value}]}, status=400)
    assert [v["result"] for v in doc["vars"]] == ["NOERROR", "INVALID_VALUE"]
    assert codec.state["config"] == before


def test_an_unknown_name_is_refused(codec, rest):
    doc = rest.json("POST", "/rest/config", {"vars": [{"name": "no.such.setting", "value": "1"}]}, status=400)
    assert doc["vars"] == [{"name": "no.such.setting", "requestedValue": "1", "result": "INVALID_NAME"}]
    assert rest("POST", "/rest/config", {"vars": [{"name": "snmp.enable"}]}).status == 400


def test_secure_settings_are_masked_hashed_and_never_logged(lab, codec, rest):
    assert rest.config("voIpProt.SIP.auth.password") == {"voIpProt.SIP.auth.password": ""}
    doc = rest.set(voIpProt__SIP__auth__password="hunter2-secret")
    assert doc["vars"][0]["requestedValue"] == MASKED
    assert rest.config("voIpProt.SIP.auth.password") == {"voIpProt.SIP.auth.password": MASKED}
    stored = codec.state["secure"]["voIpProt.SIP.auth.password"]
    assert "hunter2" not in json.dumps(codec.state) and secure_matches(stored, "hunter2-secret")
    assert not any("hunter2" in detail for _, _, detail in lab.entries)
    rest.set(voIpProt__SIP__auth__password="")
    assert rest.config("voIpProt.SIP.auth.password") == {"voIpProt.SIP.auth.password": ""}


def test_provisioning_export_has_every_setting_secure_ones_removed(rest):
    rest.set(device__local__deviceName='Phòng "A" & <B>', voIpProt__SIP__auth__password="hunter2-secret")
    response = rest("GET", "/rest/provisioning/config")
    assert response.status == 200 and response.content_type.startswith("application/xml")
    (all_,) = ET.fromstring(response.body)
    assert all_.tag == "ALL" and set(all_.attrib) == set(SCHEMA)
    assert all_.attrib["device.local.deviceName"] == 'Phòng "A" & <B>'
    assert all_.attrib["voIpProt.SIP.auth.password"] == REMOVED and "hunter2" not in response.body


def test_a_network_change_needs_a_reboot(codec, rest):
    assert rest.set(device__net__ipGateway="10.23.15.11")["rebootNeeded"] is True
    assert rest.json("GET", "/rest/system")["rebootNeeded"] is True
    codec.reboot()
    rest.login()
    assert rest.json("GET", "/rest/system")["rebootNeeded"] is False
    assert rest.config("device.net.ipGateway")["device.net.ipGateway"] == "10.23.15.11"


# -- status -----------------------------------------------------------------------------------


def test_system_reports_the_product_the_baseline_and_the_name(codec, rest):
    system = rest.json("GET", "/rest/system")
    assert (system["model"], system["softwareVersion"], system["serialNumber"]) == ("G7500", "4.1.0", codec.facts.serial)
    assert system["systemName"] == codec.config("device.local.deviceName") and system["state"] == "READY"
    assert system["uptime"] >= 0 and system["lanStatus"]["state"] == "LAN_UP"
    rest.set(device__local__deviceName="UBND huyện Quản Bạ")
    assert rest.json("GET", "/rest/system")["systemName"] == "UBND huyện Quản Bạ"
    assert rest.json("GET", "/rest/system/time")["time"] > 0


def test_sip_registers_only_to_an_mcu_of_the_lab(rest):
    assert rest.status("sipserver") == "down"                            # no SIP address yet
    assert rest.json("GET", "/rest/system/sipservers") == []
    register(rest)
    assert rest.status("sipserver") == "up"
    assert rest.json("GET", "/rest/system/sipservers") == [
        {"address": MCU_ADDRESS, "state": "up", "model": "", "version": ""}]
    register(rest, registrar="10.23.15.11")                              # a router: no registrar there
    assert rest.status("sipserver") == "down"
    register(rest, registrar="10.23.99.2")
    assert rest.status("sipserver") == "down"
    rest.set(voIpProt__SIP__enable="false")
    assert rest.status("sipserver") == "off" and rest.json("GET", "/rest/system/sipservers") == []


def test_h323_gatekeeper(rest):
    assert rest.status("gatekeeper") == "off"
    rest.set(voIpProt__H323__gk__mode="Specify", voIpProt__H323__gk__ipAddress=MCU_ADDRESS)
    assert rest.status("gatekeeper") == "up"
    assert rest.json("GET", "/rest/system/h323gatekeepers")[0]["address"] == MCU_ADDRESS
    rest.set(voIpProt__H323__enable="false")
    assert rest.status("gatekeeper") == "off"


def test_time_server_state(rest):
    assert rest.json("GET", "/rest/system")["timeServerState"] == "TIMESERVER_DOWN"    # Auto: no DHCP in the lab
    rest.set(device__local__ntpServer__mode="Manual", device__local__ntpServer__address__1="10.23.0.10")
    assert rest.json("GET", "/rest/system")["timeServerState"] == "TIMESERVER_UP"
    rest.set(device__local__ntpServer__mode="Off")
    assert rest.json("GET", "/rest/system")["timeServerState"] == "TIMESERVER_OFF"


def test_cameras_and_microphones_by_model(lab, codec, other, rest, rest2):
    cameras = rest.json("GET", "/rest/cameras/near/all")
    people = [c for c in cameras if c["sourceType"] == "SRC_PEOPLE"]
    assert [(c["cameraIndex"], c["model"], c["connected"]) for c in people] == [
        (1, "EagleEyeCube", True), (2, "", False), (3, "", False)]
    assert cameras[-1]["sourceType"] == "SRC_CONTENT"
    assert rest2.json("GET", "/rest/cameras/near/people")[0]["model"] == "BUILT_IN_1.0"
    assert rest.json("GET", "/rest/audio") == {"muteLocked": False, "muted": False, "numOfMicsConnected": 1,
                                               "volume": 37}
    assert rest.status("mr.camera") == "all_up" and rest.status("mr.audio") == "all_up"


def test_peripheral_faults(codec, rest):
    assert codec.drift(["unplug", "camera", "1"]) == "camera 1 disconnected"
    assert codec.drift(["unplug microphone 1"]) == "microphone 1 disconnected"
    assert rest.json("GET", "/rest/cameras/near/all")[0]["connected"] is False
    assert rest.json("GET", "/rest/audio")["numOfMicsConnected"] == 0
    assert rest.status("mr.camera") == "down" and rest.status("mr.audio") == "down"
    codec.drift(["plug", "microphone", "2"])
    assert rest.json("GET", "/rest/audio")["numOfMicsConnected"] == 1
    for words in (["unplug", "camera", "9"], ["unplug", "display", "1"], ["plug"]):
        with pytest.raises(ValueError):
            codec.drift(words)
    assert "cleared peripherals" in codec.drift(["clear"])
    assert rest.json("GET", "/rest/cameras/near/all")[0]["connected"] is True


def test_registration_ntp_version_and_uptime_faults(codec, rest):
    register(rest)
    codec.drift(["sip", "down"])
    assert rest.status("sipserver") == "down"
    codec.drift(["sip", "auto"])
    assert rest.status("sipserver") == "up"
    codec.drift(["ntp", "down"])
    assert rest.json("GET", "/rest/system")["timeServerState"] == "TIMESERVER_DOWN"
    codec.drift(["version", "3.11.0"])
    assert rest.json("GET", "/rest/system")["softwareVersion"] == "3.11.0"
    codec.drift(["uptime", "2d"])
    assert 172800 <= rest.json("GET", "/rest/system")["uptime"] < 172860
    for words in (["sip", "maybe"], ["ntp"], ["version", "latest"], ["uptime", "soon"]):
        with pytest.raises(ValueError):
            codec.drift(words)
    assert codec.state["faults"] == {"ntp": "TIMESERVER_DOWN", "software": "3.11.0"}   # sip auto: none
    codec.drift(["clear"])
    assert rest.json("GET", "/rest/system")["softwareVersion"] == "4.1.0"


def test_drift_a_setting_as_a_person_would(lab, codec, rest):
    assert codec.drift(["device.local.deviceName", "Phòng họp cũ"]) == (
        f"device.local.deviceName: {codec.factory_state(codec.facts)['config']['device.local.deviceName']!r}"
        " -> 'Phòng họp cũ'")
    assert rest.config("device.local.deviceName") == {"device.local.deviceName": "Phòng họp cũ"}
    with pytest.raises(ValueError, match="no setting"):
        codec.drift(["no.such.setting", "1"])
    with pytest.raises(ValueError, match="call.preferredSpeed.outgoing"):
        codec.drift(["call.preferredSpeed.outgoing", "2000"])
    with pytest.raises(ValueError):
        codec.drift(["device.local.deviceName"])


# -- microphones, presets, sleep ---------------------------------------------------------------


def test_microphone_mute(lab, rest):
    assert rest.json("GET", "/rest/audio/muted") is False
    assert rest.json("POST", "/rest/audio/muted", True) is True
    assert rest.json("GET", "/rest/audio/muted") is True
    assert rest.json("GET", "/rest/audio")["muted"] is True
    assert rest("POST", "/rest/audio/muted", "yes").status == 400
    assert rest.json("POST", "/rest/audio/muted", False) is False
    assert [d for h, e, d in lab.entries if e == "audio"] == ["muted", "unmuted"]


def test_camera_presets_store_activate_clear(codec, rest):
    assert rest.json("GET", "/rest/cameras/near/presets/all") == []
    move = {"camPosition": {"pan": 300, "tilt": -100, "zoom": 5000}}
    rest.json("POST", "/rest/cameras/near/position/SELECTED_PEOPLE", move)
    rest.json("POST", "/rest/cameras/near/presets/2", {"action": "store", "withImage": "Yes"})
    rest.json("POST", "/rest/cameras/near/position/SELECTED_PEOPLE", {"camPosition": {"pan": 0, "tilt": 0, "zoom": 0}})
    rest.json("POST", "/rest/cameras/near/presets/0", {"action": "store"})
    assert rest.json("GET", "/rest/cameras/near/presets/all") == [
        {"imageLocation": "/images/preset_0.jpg", "index": 0, "near": True, "sessionId": 0, "stored": True},
        {"imageLocation": "/images/preset_2.jpg", "index": 2, "near": True, "sessionId": 0, "stored": True}]
    rest.json("POST", "/rest/cameras/near/presets/2", {"action": "activate"})
    assert codec.camera_position == {"pan": 300, "tilt": -100, "zoom": 5000}
    assert rest.json("GET", "/rest/cameras/near/presets/2")["stored"] is True
    rest.json("POST", "/rest/cameras/near/presets/2", {"action": "clear"})
    assert rest("GET", "/rest/cameras/near/presets/2").status == 404
    assert rest("POST", "/rest/cameras/near/presets/2", {"action": "activate"}).status == 404
    assert rest("POST", "/rest/cameras/near/presets/100", {"action": "store"}).status == 400
    assert rest("POST", "/rest/cameras/near/presets/1", {"action": "frame"}).status == 400
    assert rest("POST", "/rest/cameras/near/position/SELECTED_PEOPLE", {"camPosition": {"pan": 1}}).status == 400


def test_presets_need_a_camera_and_survive_a_reboot(codec, rest):
    rest.json("POST", "/rest/cameras/near/presets/1", {"action": "store"})
    codec.drift(["unplug", "camera", "1"])
    assert json.loads(rest("POST", "/rest/cameras/near/presets/3", {"action": "store"}).body)["reason"] == \
        "CameraNotConnected"
    codec.drift(["clear"])
    codec.reboot()
    rest.login()
    assert [p["index"] for p in rest.json("GET", "/rest/cameras/near/presets/all")] == [1]


def test_sleep_wake_and_the_idle_timer(lab, codec, rest):
    rest.json("POST", "/rest/system/sleep")
    assert rest.json("GET", "/rest/system")["state"] == "ASLEEP"
    rest.json("POST", "/rest/system/wake")
    assert rest.json("GET", "/rest/system")["state"] == "READY"
    lab.advance(14)                                    # a lab minute is 1 s here
    assert rest.json("GET", "/rest/system")["state"] == "READY"
    lab.advance(2)                                     # device.sleepTimeout: 15 minutes
    assert rest.json("GET", "/rest/system")["state"] == "ASLEEP"
    codec.incoming_call("sip:giao-ban@10.23.15.2", 2048)     # a call wakes it
    assert rest.json("GET", "/rest/system")["state"] == "READY"
    assert rest("GET", "/rest/system/sleep").status == 405


def test_expire_fires_the_sleep_timer(codec, rest):
    assert codec.expire_timers() == ["sleep"]
    assert rest.json("GET", "/rest/system")["state"] == "ASLEEP"


# -- calls --------------------------------------------------------------------------------------


def test_an_mcu_call_is_auto_answered_with_microphones_muted(lab, codec, rest):
    register(rest)
    cid = codec.incoming_call("giao-ban@10.23.15.2", 2048)
    (conference,) = rest.json("GET", "/rest/conferences")
    (connection,) = conference["connections"]
    assert conference["id"] == str(cid) and conference["isActive"] is True
    assert (connection["address"], connection["incoming"], connection["state"], connection["rate"],
            connection["type"]) == ("giao-ban@10.23.15.2", True, "CONNECTED", 2048, "MCU")
    assert rest.json("GET", "/rest/audio/muted") is True                  # call.autoAnswer.micMute
    stats = rest.json("GET", f"/rest/conferences/{cid}/mediastats")
    assert stats[0]["callRate"] == 2048 and stats[0]["videoRx"]["packetLoss"] == 0
    codec.end_call(cid)
    assert rest.json("GET", "/rest/conferences") == []
    (entry,) = rest.json("GET", "/rest/calllog/entries", limit="1")
    assert (entry["type"], entry["connected"], entry["outgoingCall"], entry["rate"]) == ("RECEIVED", True, False, 2048)
    with pytest.raises(KeyError):
        codec.end_call(cid)


def test_a_call_rings_without_auto_answer_and_is_rejected(lab, codec, rest):
    register(rest, answer="No")
    cid = codec.incoming_call("sip:giao-ban@10.23.15.2", 1920)
    (conference,) = rest.json("GET", "/rest/conferences")
    assert conference["id"] == "PENDING" and conference["connections"][0]["state"] == "RINGING"
    assert conference["connections"][0]["answerable"] is True
    assert rest.json("GET", "/rest/audio/muted") is False
    rest.json("DELETE", f"/rest/conferences/PENDING/connections/{cid}")
    assert rest.json("GET", "/rest/conferences") == []
    (entry,) = rest.json("GET", "/rest/calllog/entries", limit="1")
    assert (entry["type"], entry["connected"], entry["causeCode"]) == ("MISSED", False, 21)


def test_do_not_disturb_and_busy_refuse_calls(codec, rest):
    register(rest, answer="DoNotDisturb")
    with pytest.raises(RuntimeError, match="do not disturb"):
        codec.incoming_call("giao-ban@10.23.15.2", 2048)
    register(rest)
    codec.incoming_call("a@10.23.15.2", 2048)
    codec.incoming_call("b@10.23.15.2", 2048)
    with pytest.raises(RuntimeError, match="busy"):
        codec.incoming_call("c@10.23.15.2", 2048)
    assert rest("POST", "/rest/conferences", {"address": "10.23.15.132"}).status == 400


def test_a_call_between_two_poly_codecs_shows_and_ends_on_both_sides(lab, codec, other, rest, rest2):
    register(rest)
    register(rest2, uri="quan-ba-tam-son@10.23.15.2")
    rest2.set(call__preferredSpeed__maxIncoming="1920")
    doc = rest.json("POST", "/rest/conferences", {"address": "10.23.15.132", "rate": 2048, "dialType": "AUTO"})
    (mine,) = rest.json("GET", "/rest/conferences")[0]["connections"]
    (theirs,) = rest2.json("GET", "/rest/conferences")[0]["connections"]
    assert doc["id"] == mine["parentConfId"]
    assert (mine["address"], mine["incoming"], mine["state"], mine["rate"]) == ("10.23.15.132", False, "CONNECTED", 2048)
    assert (theirs["address"], theirs["incoming"], theirs["state"], theirs["rate"]) == (
        "quan-ba-ubnd@10.23.15.2", True, "CONNECTED", 1920)
    rest2.json("DELETE", f"/rest/conferences/{theirs['parentConfId']}")
    assert rest.json("GET", "/rest/conferences") == [] and rest2.json("GET", "/rest/conferences") == []
    (placed,) = rest.json("GET", "/rest/calllog/entries", limit="5")
    (cdr,) = rest.json("GET", "/rest/calllog/cdr", limit="5")
    assert (placed["type"], placed["address"]) == ("PLACED", "10.23.15.132")
    assert cdr["callDirection"] == "Outgoing" and cdr["remoteSystemName"] == other.display_name()


@pytest.mark.parametrize("address, cause", [("10.23.99.99", 1), ("10.23.15.11", 18)])
def test_a_dial_that_cannot_connect_is_logged(codec, rest, address, cause):
    doc = rest.json("POST", "/rest/conferences", {"address": address})
    assert doc["connections"][0]["state"] == "DISCONNECTED"
    (entry,) = rest.json("GET", "/rest/calllog/entries", limit="1")
    assert (entry["type"], entry["connected"], entry["causeCode"]) == ("PLACED", False, cause)
    (row,) = rest.json("GET", "/rest/calllog/cdr", limit="1")
    assert "avgPercentPacketLossRx" not in row and row["callDuration"] == 0
    assert rest("POST", "/rest/conferences", {"address": " "}).status == 400


def test_the_call_detail_report_and_a_lossy_last_call(codec, rest):
    with pytest.raises(ValueError, match="empty"):
        codec.drift(["lastcall", "loss", "3"])
    register(rest)
    cid = codec.incoming_call("giao-ban@10.23.15.2", 2048)
    codec.state["calls"][str(cid)]["connectedAt"] -= 60            # a minute of call
    codec.end_call(cid)
    (row,) = rest.json("GET", "/rest/calllog/cdr", limit="1")
    assert row["callDuration"] == 60 and row["avgPercentPacketLossRx"] == 0.0 and row["avgPacketsLostRx"] == 0
    assert 4 <= row["maxJitterRx"] <= 13 and row["callRate"] == 2048
    assert codec.drift(["lastcall", "loss", "6", "jitter", "120"]) == f"call {row['rowId']}: loss 6, jitter 120"
    (row,) = rest.json("GET", "/rest/calllog/cdr", limit="1")
    assert row["avgPercentPacketLossRx"] == 6.0 and row["maxJitterRx"] == 120.0 and row["avgPacketsLostRx"] > 0
    with pytest.raises(ValueError):
        codec.drift(["lastcall", "loss", "101"])
    assert "lastcall" in codec.drift(["clear"])
    assert rest.json("GET", "/rest/calllog/cdr", limit="1")[0]["avgPercentPacketLossRx"] == 0.0
    assert rest("GET", "/rest/calllog/cdr", limit="0").status == 400


def test_a_call_that_never_connected_has_no_media_to_lose(codec, rest):
    register(rest, answer="No")
    cid = codec.incoming_call("giao-ban@10.23.15.2", 2048)
    codec.end_call(cid)
    with pytest.raises(ValueError, match="never connected"):
        codec.drift(["lastcall", "loss", "3"])


def test_reboot_drops_calls_on_both_sides_and_ends_the_sessions(lab, codec, other, rest, rest2):
    register(rest2, uri="quan-ba-tam-son@10.23.15.2")
    rest.json("POST", "/rest/conferences", {"address": "quan-ba-tam-son-codec"})
    assert len(rest2.json("GET", "/rest/conferences")) == 1
    rest.json("POST", "/rest/audio/muted", True)
    codec.reboot()
    assert rest("GET", "/rest/system").status == 401                       # the session ended
    rest.login()
    assert rest.json("GET", "/rest/conferences") == [] and rest2.json("GET", "/rest/conferences") == []
    assert rest.json("GET", "/rest/audio/muted") is False
    assert ("quan-ba-ubnd-codec", "boot", "Poly VideoOS 4.1.0 booted") in lab.entries


def test_reboot_through_the_api(codec, rest):
    assert rest("POST", "/rest/system/reboot", {"action": "now"}).status == 400
    rest.json("POST", "/rest/system/reboot", {"action": "reboot"})
    assert rest("GET", "/rest/system").status == 401


def test_calls_and_the_call_log_are_in_the_state(lab, codec, rest):
    register(rest)
    cid = codec.incoming_call("giao-ban@10.23.15.2", 2048)
    again = PolyCodec(facts(), lab, json.loads(json.dumps(codec.state)))
    assert str(cid) in again.state["calls"]
    again.end_call(cid)
    assert again.state["callLog"][-1]["type"] == "RECEIVED"
