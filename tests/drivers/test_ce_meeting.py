"""Meeting control on codecs (``gbtt.drivers.cisco_ce``: calls, microphones, camera presets,
standby, hang-up) over real SSH against the lab's codecs of the ha-giang system, host key
checking on.  What the participants and the chair do besides (dial, answer, store a preset, a
touch panel's halfwake) goes through stock netmiko ``cisco_tp`` in terminal mode, which also
reads the codec's state independently of the driver."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from gbtt.drivers.base import ConfigError, ConnectionParams, Driver, driver_for
from gbtt.drivers.cisco_ce import (CeDriver, call_fields, call_summary, find_preset,
                                   remote_forms, standby_is)

pytestmark = pytest.mark.lab

PASSWORD = "lab-codec-only"
CHAIR = "ha-giang-tran-phu-codec"
FLOOR = "ha-giang-ngoc-ha-codec"
GUEST = "ha-giang-nguyen-trai-codec"
END = r"\n(OK|ERROR|Command not recognized\.)\n"
RESULT_END = r"\*\* end"


def driver(lab, host: str) -> CeDriver:
    return CeDriver(host, ConnectionParams(
        address="127.0.0.1", port=lab.ports[host], username="gbtt", password=PASSWORD,
        known_hosts=str(lab.settings.known_hosts), timeout=10.0))


class Console:
    """A person at a codec (stock netmiko ``cisco_tp``, terminal mode), one session per host for
    the module: netmiko takes seconds to log in and out."""

    def __init__(self, lab):
        self.lab = lab
        self.sessions: dict[str, Any] = {}

    def _conn(self, host: str) -> Any:
        if host not in self.sessions:
            self.sessions[host] = self.lab.netmiko(host, "cisco_tp")
        return self.sessions[host]

    def status(self, host: str, path: str) -> str:
        """``xStatus <path>``: the value of its one leaf, quotes removed."""
        out = self._conn(host).send_command(f"xStatus {path}", expect_string=END, read_timeout=20)
        m = re.search(rf"^\*s {re.escape(path)}: (.*)$", out, re.M)
        assert m, out
        return m[1].strip().strip('"')

    def command(self, host: str, command: str) -> dict[str, str]:
        """``xCommand <command>``, which must succeed: the fields of its result."""
        out = self._conn(host).send_command(f"xCommand {command}", expect_string=RESULT_END,
                                            read_timeout=20)
        assert "(status=OK)" in out, out
        fields = re.finditer(r"^\*r \w+Result (\S+): (.*)$", out, re.M)
        return {m[1]: m[2].strip('"') for m in fields}

    def close(self) -> None:
        for conn in self.sessions.values():
            conn.disconnect()


@pytest.fixture(scope="module")
def console(lab) -> Iterator[Console]:
    handle = Console(lab)
    yield handle
    handle.close()


def hang_up_everywhere(lab, *hosts: str) -> None:
    for host in hosts:
        with driver(lab, host) as dev:
            dev.hang_up()


def log_mark(lab, host: str) -> int:
    return len(lab.log_entries(host))


def commands_since(lab, host: str, mark: int) -> list[str]:
    """The xCommand and xConfiguration lines sent to ``host`` since ``mark``."""
    return [e["detail"] for e in lab.log_entries(host)[mark:]
            if e["event"] == "command" and e["detail"].startswith(("xCommand", "xConfiguration"))]


def call_in(lab, console: Console, caller: str, callee: str, rate: int = 1920) -> None:
    """``caller`` dials ``callee`` by address; the callee (no auto-answer) rings, then answers."""
    console.command(caller, f"Dial Number: {lab.address[callee]} CallRate: {rate}")
    console.command(callee, "Call Accept")


# -- the interface --------------------------------------------------------------------------


@pytest.mark.parametrize("method, args", [
    ("codec_calls", ()), ("microphones_muted", ()), ("set_microphones", (True,)),
    ("camera_presets", ()), ("activate_preset", ("Chủ tọa",)), ("standby_state", ()),
    ("set_standby", (True,)), ("hang_up", (None,))])
def test_other_platforms_have_no_meeting_control(method, args):
    params = ConnectionParams(address="127.0.0.1")
    with pytest.raises(NotImplementedError, match=r"^cisco_ios: no meeting control$"):
        getattr(driver_for("cisco_ios")("r", params), method)(*args)
    with pytest.raises(NotImplementedError, match=r"^Driver: no meeting control$"):
        getattr(Driver("x", params), method)(*args)


def test_calls_as_a_roomos_codec_reports_them_in_json():
    status = {"Call": [
        {"id": "27", "AnswerState": {"Value": "Answered"},
         "CallbackNumber": {"Value": "sip:giao-ban@10.23.2.2"},
         "Direction": {"Value": "Outgoing"}, "Encryption": {"Type": {"Value": "Aes-128"}},
         "ReceiveCallRate": {"Value": "2048"}, "RemoteNumber": {"Value": "giao-ban@10.23.2.2"},
         "Status": {"Value": "Connected"}, "TransmitCallRate": {"Value": "4096"}},
        {"id": "28", "CallbackNumber": {"Value": "h323:10.23.11.133"},
         "Direction": {"Value": "Incoming"}, "ReceiveCallRate": {"Value": "0"},
         "RemoteNumber": {"Value": ""}, "Status": {"Value": "Ringing"},
         "TransmitCallRate": {"Value": "0"}}]}
    calls = call_fields(status)
    assert [c["id"] for c in calls] == ["27", "28"] and calls[0]["Encryption Type"] == "Aes-128"
    assert [call_summary(c) for c in calls] == [
        {"id": "27", "remote": "giao-ban@10.23.2.2", "direction": "outgoing", "state": "connected",
         "rate_kbps": 2048},
        {"id": "28", "remote": "h323:10.23.11.133", "direction": "incoming", "state": "ringing",
         "rate_kbps": None}]
    assert call_fields({}) == []


def test_remote_forms_presets_and_standby_states():
    assert remote_forms(" SIP:giao-ban@10.23.2.2;transport=tls ") == {
        "SIP:giao-ban@10.23.2.2;transport=tls", "giao-ban@10.23.2.2"}
    assert remote_forms("10.23.11.133") == {"10.23.11.133"} and remote_forms(" ") == set()
    presets = [{"id": 3, "name": "Toàn cảnh", "camera": 1},
               {"id": 7, "name": " 3 ", "camera": 1}]
    assert find_preset(presets, 3)["name"] == "Toàn cảnh"
    assert find_preset(presets, "3")["id"] == 7        # a name first, then an id
    assert find_preset(presets, "7")["id"] == 7 and find_preset(presets, "Toàn") is None
    assert find_preset(presets, 5) is None and find_preset(presets, "٣") is None
    assert [standby_is(s, True) for s in ("Standby", "EnteringStandby", "Halfwake", "Off")] == [
        True, True, False, False]
    assert [standby_is(s, False) for s in ("Standby", "Halfwake", "Off")] == [False, False, True]


# -- calls ----------------------------------------------------------------------------------


def test_an_idle_codec_has_no_calls_and_nothing_to_hang_up(lab):
    mark = log_mark(lab, CHAIR)
    with driver(lab, CHAIR) as dev:
        assert dev.codec_calls() == []
        assert dev.hang_up() == 0
        assert dev.hang_up("10.23.11.134") == 0
    assert commands_since(lab, CHAIR, mark) == []      # read, nothing sent to disconnect


def test_a_call_between_two_codecs_shows_on_both_sides(lab, console):
    try:
        console.command(CHAIR, f"Dial Number: {lab.address[FLOOR]} CallRate: 1920")
        with driver(lab, CHAIR) as chair, driver(lab, FLOOR) as floor:
            (ringing,) = floor.codec_calls()
            assert (ringing["direction"], ringing["state"]) == ("incoming", "ringing")
            assert chair.codec_calls()[0]["state"] == "ringing"
            console.command(FLOOR, "Call Accept")
            (out,) = chair.codec_calls()
            (into,) = floor.codec_calls()
        assert out == {"id": out["id"], "remote": lab.address[FLOOR], "direction": "outgoing",
                       "state": "connected", "rate_kbps": 1920}
        assert into == {"id": into["id"], "remote": lab.address[CHAIR], "direction": "incoming",
                        "state": "connected", "rate_kbps": 1920}
        assert console.status(CHAIR, f"Call {out['id']} Status") == "Connected"
    finally:
        hang_up_everywhere(lab, CHAIR, FLOOR)


def test_hang_up_one_remote_then_all_ends_the_calls_on_both_sides(lab, console):
    try:
        call_in(lab, console, FLOOR, CHAIR)
        call_in(lab, console, GUEST, CHAIR, 1024)
        mark = log_mark(lab, CHAIR)
        with driver(lab, CHAIR) as chair:
            calls = chair.codec_calls()
            assert sorted((c["remote"], c["state"], c["rate_kbps"]) for c in calls) == sorted(
                [(lab.address[FLOOR], "connected", 1920), (lab.address[GUEST], "connected", 1024)])
            assert chair.hang_up("10.23.99.99") == 0
            assert chair.hang_up(f"sip:{lab.address[FLOOR]};transport=tls") == 1
            assert [c["remote"] for c in chair.codec_calls()] == [lab.address[GUEST]]
            with pytest.raises(ConfigError, match="empty remote"):
                chair.hang_up("  ")
        floor_call = next(c for c in calls if c["remote"] == lab.address[FLOOR])
        assert commands_since(lab, CHAIR, mark) == [
            f"xCommand Call Disconnect CallId: {floor_call['id']}"]
        with driver(lab, FLOOR) as floor, driver(lab, GUEST) as guest:
            assert floor.codec_calls() == []                  # the far end hung up too
            (left,) = guest.codec_calls()
            assert (left["remote"], left["state"]) == (lab.address[CHAIR], "connected")
            assert guest.hang_up(left["remote"]) == 1         # as the codec shows it
            assert guest.codec_calls() == []
        with driver(lab, CHAIR) as chair:
            assert chair.codec_calls() == []
        call_in(lab, console, FLOOR, CHAIR)
        call_in(lab, console, GUEST, CHAIR)
        with driver(lab, CHAIR) as chair:
            assert len(chair.codec_calls()) == 2
            assert chair.hang_up() == 2
            assert chair.codec_calls() == [] and chair.hang_up() == 0
        with driver(lab, FLOOR) as floor, driver(lab, GUEST) as guest:
            assert floor.codec_calls() == [] and guest.codec_calls() == []
    finally:
        hang_up_everywhere(lab, CHAIR, FLOOR, GUEST)


# -- microphones, presets, standby ----------------------------------------------------------


def test_mute_and_unmute_are_idempotent(lab, console):
    mark = log_mark(lab, FLOOR)
    with driver(lab, FLOOR) as dev:
        assert dev.set_microphones(False) is False        # a codec boots unmuted
        assert dev.set_microphones(True) is True
        assert dev.set_microphones(True) is False
        assert dev.microphones_muted() is True
        assert console.status(FLOOR, "Audio Microphones Mute") == "On"
        assert dev.set_microphones(False) is True
        assert dev.set_microphones(False) is False
        assert dev.microphones_muted() is False
    assert console.status(FLOOR, "Audio Microphones Mute") == "Off"
    assert commands_since(lab, FLOOR, mark) == [
        "xCommand Audio Microphones Mute", "xCommand Audio Microphones Unmute"]


def test_camera_presets_by_name_and_by_id(lab, console):
    console.command(CHAIR, "Camera PositionSet CameraId: 1 Pan: 300 Tilt: -100 Zoom: 5000")
    console.command(CHAIR, 'Camera Preset Store PresetId: 3 CameraId: 1 Name: "Toàn cảnh"')
    console.command(CHAIR, "Camera PositionSet CameraId: 1 Pan: -900 Tilt: 50 Zoom: 8000")
    console.command(CHAIR, 'Camera Preset Store PresetId: 7 CameraId: 1 Name: "Chủ tọa"')
    console.command(CHAIR, "Camera PositionSet CameraId: 1 Pan: 0 Tilt: 0 Zoom: 0")
    with driver(lab, CHAIR) as dev:
        assert dev.camera_presets() == [{"id": 3, "name": "Toàn cảnh", "camera": 1},
                                        {"id": 7, "name": "Chủ tọa", "camera": 1}]
        assert dev.activate_preset("  Chủ tọa ") == {"id": 7, "name": "Chủ tọa"}
        assert console.status(CHAIR, "Cameras Camera 1 Position Pan") == "-900"
        assert dev.activate_preset(3) == {"id": 3, "name": "Toàn cảnh"}
        assert console.status(CHAIR, "Cameras Camera 1 Position Zoom") == "5000"
        assert dev.activate_preset("7") == {"id": 7, "name": "Chủ tọa"}
        assert console.status(CHAIR, "Cameras Camera 1 Position Tilt") == "50"
        mark = log_mark(lab, CHAIR)
        with pytest.raises(ConfigError) as err:
            dev.activate_preset("Thư ký")
        assert str(err.value) == (f"{CHAIR}: no camera preset 'Thư ký' on the codec; its "
                                  "presets: 'Toàn cảnh', 'Chủ tọa'")
        with pytest.raises(ConfigError, match="no camera preset 9 "):
            dev.activate_preset(9)
        with pytest.raises(ConfigError, match="no camera preset name or id"):
            dev.activate_preset(True)
    assert commands_since(lab, CHAIR, mark) == ["xCommand Camera Preset List"] * 2
    with driver(lab, FLOOR) as dev, pytest.raises(ConfigError, match="it has no presets"):
        dev.activate_preset("Chủ tọa")


def test_standby_on_and_off_is_idempotent_and_a_call_wakes_the_codec(lab, console):
    try:
        with driver(lab, FLOOR) as dev:
            dev.set_standby(False)         # the lab's idle timer may have put it to sleep
            mark = log_mark(lab, FLOOR)
            assert dev.standby_state() == "Off"
            assert dev.set_standby(False) is False
            assert dev.set_standby(True) is True
            assert dev.set_standby(True) is False
            assert dev.standby_state() == "Standby"
            assert console.status(FLOOR, "Standby State") == "Standby"
            assert dev.set_standby(False) is True
            assert console.status(FLOOR, "Standby State") == "Off"
            assert commands_since(lab, FLOOR, mark) == ["xCommand Standby Activate",
                                                        "xCommand Standby Deactivate"]
            console.command(FLOOR, "Standby Halfwake")  # neither asleep nor awake: both act
            assert dev.standby_state() == "Halfwake"
            assert dev.set_standby(True) is True and dev.standby_state() == "Standby"
            console.command(FLOOR, "Standby Halfwake")
            assert dev.set_standby(False) is True and dev.standby_state() == "Off"
            console.command(FLOOR, "Standby Halfwake")
            lab.fault(FLOOR, "expire")                 # the idle timer: halfwake, then standby
            assert dev.standby_state() == "Standby"
            console.command(CHAIR, f"Dial Number: {lab.address[FLOOR]}")
            assert dev.standby_state() == "Off"        # the incoming call woke it
            assert dev.codec_calls()[0]["state"] == "ringing"
    finally:
        hang_up_everywhere(lab, CHAIR, FLOOR)


# -- commands, not configuration ------------------------------------------------------------


def test_meeting_control_changes_no_configuration_and_keeps_the_candidate(lab, console):
    intended = ('xConfiguration Audio DefaultVolume: 65\n'
                'xPreset 3 CameraId: 1 Name: "Toàn cảnh"\n')
    with driver(lab, GUEST) as dev:
        console.command(GUEST, 'Camera Preset Store PresetId: 3 CameraId: 1 Name: "Toàn cảnh"')
        before = dev.get_config()
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff == ("-xConfiguration Audio DefaultVolume: 50\n"
                        "+xConfiguration Audio DefaultVolume: 65\n")
        mark = log_mark(lab, GUEST)
        try:
            call_in(lab, console, CHAIR, GUEST)
            assert dev.set_microphones(True) and dev.microphones_muted()
            assert dev.activate_preset("Toàn cảnh")["id"] == 3
            assert dev.codec_calls()[0]["state"] == "connected"
            assert dev.hang_up() == 1
            assert dev.set_standby(True) and dev.set_standby(False)
        finally:
            hang_up_everywhere(lab, CHAIR, GUEST)
        assert not [c for c in commands_since(lab, GUEST, mark) if c.startswith("xConfiguration")]
        assert dev.candidate == intended
        assert dev.compare() == diff                   # the candidate still stands as it was
        dev.discard()
        assert dev.get_config() == before
    with driver(lab, GUEST) as dev:
        assert dev.get_config() == before
