"""The codec driver (``gbtt.drivers.cisco_ce``) over real SSH against the lab's codecs of the
hoang-su-phi system, host key checking on: facts, the deploy flow (compare, commit, read back,
idempotence, rollback), a refused value, a connection dropped part-way through a push, a
changed host key, a refused login, and secrets kept out of diffs and errors."""

from __future__ import annotations

import socket
import time

import pytest

from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError,
                               ConnectionParams, DriverError, TrustError, driver_for)
from gbtt.drivers.cisco_ce import CeDriver, parse_candidate, parse_intended, software_version

pytestmark = pytest.mark.lab

PASSWORD = "lab-codec-only"


def params(lab, host: str, **kw) -> ConnectionParams:
    values = dict(address="127.0.0.1", port=lab.ports[host], username="gbtt", password=PASSWORD,
                  known_hosts=str(lab.settings.known_hosts), timeout=10.0)
    values.update(kw)
    return ConnectionParams(**values)


def driver(lab, host: str, **kw) -> CeDriver:
    return CeDriver(host, params(lab, host, **kw))


def running(lab, host: str) -> dict[str, str]:
    """Every setting as a fresh session reads it: path -> line."""
    with driver(lab, host) as dev:
        text = dev.get_config()
    return {line.split(":", 1)[0]: line for line in text.splitlines()}


def session_entries(lab, host: str) -> list[dict]:
    """The request log of the host's latest session (from its last login)."""
    entries = lab.log_entries(host)
    last = max(i for i, e in enumerate(entries) if e["event"] == "login")
    return entries[last:]


def writes(entries: list[dict]) -> list[str]:
    return [e["detail"] for e in entries
            if e["event"] == "command" and e["detail"].startswith("xConfiguration ")
            and ":" in e["detail"]]


def test_registered_for_the_platform():
    assert driver_for("cisco_ce") is CeDriver
    assert CeDriver.platform == "cisco_ce" and CeDriver.device_class == "codec"


def test_facts_and_config(lab):
    host = "hoang-su-phi-ubnd-codec"
    device = {d.host: d for d in lab.registry.devices()}[host]
    with driver(lab, host) as dev:
        facts = dev.get_facts()
        config = dev.get_config()
        assert dev.get_config() == config  # stable
        dev.load_candidate(config)
        assert dev.compare() == ""  # what get_config renders loads back, and matches
    assert facts["model"] == device.model == "Cisco Webex Room Kit Pro"
    assert facts["vendor"] == "Cisco" and facts["serial_number"].startswith("FOC")
    assert facts["os_version"] == lab.registry.province.software_baselines["cisco_ce"]
    assert facts["uptime"] >= 0 and facts["hostname"]
    lines = config.splitlines()
    objects = [line for line in lines if not line.startswith("xConfiguration ")]
    assert objects == ['xUser "admin" Roles: Admin Active: True ShellLogin: True',
                       'xUser "gbtt" Roles: Admin,User Active: True ShellLogin: True']
    lines = lines[:-2]
    assert "xConfiguration Audio DefaultVolume: 50" in lines
    assert f'xConfiguration Network 1 IPv4 Address: "{device.address}"' in lines
    assert "xConfiguration Video Input Connector 6 Quality: Sharpness" in lines  # Pro: 6 inputs
    keys = [line.split(":", 1)[0] for line in lines]
    assert len(keys) == len(set(keys)) > 50


def test_change_commit_read_back_idempotent_rollback(lab):
    host = "hoang-su-phi-vinh-quang-codec"
    before = running(lab, host)
    intended = "\n".join([
        "# the codec template (owned settings only)",
        'xConfiguration SystemUnit Name: "UBND thị trấn Vinh Quang"',
        "xConfiguration Audio DefaultVolume: 60",
        "",
        "xConfiguration conference autoanswer mode: on",        # case as the xAPI allows
        "xConfiguration Conference MaxReceiveCallRate: 06000",  # = the running 6000
        "xConfiguration Time Zone: Asia/Ho_Chi_Minh",
        'xConfiguration SIP DisplayName: "Vinh Quang \\"A\\" # 1"',
        "xConfiguration Standby Control: On",                     # already so
    ]) + "\n"
    with driver(lab, host) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff.splitlines() == [
            '-xConfiguration SystemUnit Name: ""',
            '+xConfiguration SystemUnit Name: "UBND thị trấn Vinh Quang"',
            "-xConfiguration Audio DefaultVolume: 50",
            "+xConfiguration Audio DefaultVolume: 60",
            "-xConfiguration Conference AutoAnswer Mode: Off",
            "+xConfiguration Conference AutoAnswer Mode: on",
            "-xConfiguration Time Zone: Etc/UTC",
            "+xConfiguration Time Zone: Asia/Ho_Chi_Minh",
            '-xConfiguration SIP DisplayName: ""',
            '+xConfiguration SIP DisplayName: "Vinh Quang \\"A\\" # 1"',
        ]
        backup = dev.backup()
        assert 'xConfiguration SystemUnit Name: ""' in backup.splitlines()
        assert len(backup.splitlines()) == 7  # every owned setting, nothing else
        dev.commit()
        assert all(check.ok for check in dev.health())
        dev.confirm()
        assert dev.compare() == ""  # idempotent in the same session
    # only the settings that differed were written, once each
    assert writes(session_entries(lab, host)) == [
        'xConfiguration SystemUnit Name: "UBND thị trấn Vinh Quang"',
        "xConfiguration Audio DefaultVolume: 60",
        "xConfiguration Conference AutoAnswer Mode: on",
        "xConfiguration Time Zone: Asia/Ho_Chi_Minh",
        'xConfiguration SIP DisplayName: "Vinh Quang \\"A\\" # 1"',
    ]
    after = running(lab, host)
    assert after["xConfiguration SystemUnit Name"].endswith('"UBND thị trấn Vinh Quang"')
    assert after["xConfiguration Conference AutoAnswer Mode"].endswith(": On")
    assert after["xConfiguration SIP DisplayName"].endswith(': "Vinh Quang \\"A\\" # 1"')
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"xConfiguration SystemUnit Name", "xConfiguration Audio DefaultVolume",
                       "xConfiguration Conference AutoAnswer Mode", "xConfiguration Time Zone",
                       "xConfiguration SIP DisplayName"}  # nothing not owned was touched
    with driver(lab, host) as dev:  # a new deploy: nothing to do, nothing written
        dev.load_candidate(intended)
        assert dev.compare() == ""
        dev.commit()
    assert writes(session_entries(lab, host)) == []
    # a deploy whose health checks fail goes back to the backup
    with driver(lab, host) as dev:
        dev.load_candidate("xConfiguration Audio DefaultVolume: 70\n")
        assert dev.compare()
        dev.commit()
        dev.rollback()
        assert dev.compare().splitlines() == ["-xConfiguration Audio DefaultVolume: 60",
                                              "+xConfiguration Audio DefaultVolume: 70"]
    assert running(lab, host) == after


def test_bad_value_is_refused_and_nothing_changes(lab):
    host = "hoang-su-phi-ban-may-codec"
    before = running(lab, host)
    intended = ("xConfiguration SystemUnit Name: Bản Máy\n"
                "xConfiguration Standby Delay: 30\n"
                "# a value out of the value space <0..100>:\n"
                "xConfiguration Audio DefaultVolume: 101\n"
                "xConfiguration Macros Mode: On\n")
    with driver(lab, host) as dev:
        dev.load_candidate(intended)
        assert "+xConfiguration Audio DefaultVolume: 101" in dev.compare()
        dev.backup()
        with pytest.raises(ConfigError) as err:
            dev.commit()
        assert "line 4" in str(err.value) and "Audio DefaultVolume" in str(err.value)
        assert "101" not in err.value.message
    # the two settings before the bad one were written, then put back; the one after never
    assert writes(session_entries(lab, host)) == [
        'xConfiguration SystemUnit Name: "Bản Máy"', "xConfiguration Standby Delay: 30",
        "xConfiguration Audio DefaultVolume: 101",
        "xConfiguration Standby Delay: 10", 'xConfiguration SystemUnit Name: ""']
    assert running(lab, host) == before


def test_unknown_setting_is_refused_before_writing(lab):
    host = "hoang-su-phi-ban-may-codec"
    with driver(lab, host) as dev:
        dev.load_candidate("xConfiguration Audio DefaultVolume: 40\n"
                           "xConfiguration Audio NoSuchThing: 1\n")
        with pytest.raises(ConfigError, match="line 2: xConfiguration Audio NoSuchThing"):
            dev.compare()
    assert writes(session_entries(lab, host)) == []


ASKED = "xin-man-thu-ta-codec"    # maintenance queries; its faults cleared after each test


def sent(lab, host: str) -> list[str]:
    """The command lines of the host's latest session (the JSON preference first; not the
    closing "bye")."""
    return [e["detail"] for e in session_entries(lab, host)
            if e["event"] == "command" and e["detail"] != "bye"]


def test_ask_reads_status_and_read_only_commands(lab):
    with driver(lab, ASKED) as dev:
        cameras = dev.ask({"status": "Cameras"})
        assert cameras["Cameras Camera 1 Connected"] == "True"
        assert cameras["Cameras Camera 1 Model"] == "Room Kit Camera"
        assert all(path.startswith("Cameras Camera 1 ") for path in cameras)
        assert dev.ask({"status": "xStatus  NetworkServices NTP"}) == {
            "NetworkServices NTP CurrentAddress": "", "NetworkServices NTP Status": "NotSynced"}
        assert dev.ask({"status": "Call"}) == {}                         # idle: no call instance
        users = dev.ask({"command": "xCommand UserManagement User List"})
        assert (users["User 1 Username"], users["User 1 Roles Role 1"]) == ("admin", "Admin")
        assert dev.ask({"command": "Peripherals List Type: TouchPanel"})["Device 1 Type"] == "TouchPanel"
        assert dev.ask({"command": "Camera Preset List CameraId: 1"}) == {}
        assert dev.ask({"command": 'CallHistory Get Limit: 1 DetailLevel: "Full"'}) == {
            "ResultInfo Offset": "0", "ResultInfo Limit": "1"}
        with pytest.raises(DriverError, match="No match on address expression"):
            dev.ask({"status": "Cameras Lens"})
    assert sent(lab, ASKED)[1:] == [
        "xStatus Cameras", "xStatus NetworkServices NTP", "xStatus Call",
        "xCommand UserManagement User List", "xCommand Peripherals List Type: TouchPanel",
        "xCommand Camera Preset List CameraId: 1",
        'xCommand CallHistory Get Limit: 1 DetailLevel: "Full"', "xStatus Cameras Lens"]


def test_ask_sees_the_lab_faults_and_facts_the_version(lab):
    try:
        lab.fault(ASKED, "drift", "unplug", "camera", "1")
        lab.fault(ASKED, "drift", "version", "ce9.15.3.17")
        lab.fault(ASKED, "drift", "uptime", "2d")
        with driver(lab, ASKED) as dev:
            assert dev.ask({"status": "Cameras Camera 1 Connected"}) == {"Cameras Camera 1 Connected": "False"}
            facts = dev.get_facts()
        assert facts["os_version"] == facts["software_version"] == "ce9.15.3.17"
        assert facts["software_display"] == "ce 9.15.3.17"
        assert 172800 <= facts["uptime"] < 172800 + 60
    finally:
        lab.fault(ASKED, "drift", "clear")


@pytest.mark.parametrize("query", [
    {"command": "Dial Number: 10.23.1.131"},                         # not a read
    {"command": "SystemUnit Boot"},
    {"command": "xCommand Call Disconnect"},
    {"command": "CallHistory Get Limit: 1\nxCommand SystemUnit Boot"},   # a second line
    {"command": "CallHistory Get Limit: 1\rxCommand SystemUnit Boot"},
    {"command": 'CallHistory Get Limit: 1 | resultId="x"'},
    {"command": "CallHistory"},
    {"status": "Cameras\nxCommand SystemUnit Boot"},
    {"status": "Cameras: True"},
    {"status": ""},
    {"config": "SIP"},                                                # no such query kind
    {"status": "Cameras", "command": "CallHistory Get"},              # one query at a time
])
def test_ask_refuses_anything_but_a_read_before_sending_it(lab, query):
    with driver(lab, ASKED) as dev:
        with pytest.raises(ConfigError):
            dev.ask(query)
    assert sent(lab, ASKED)[1:] == []


@pytest.mark.parametrize("raw, version", [
    ("ce11.17.1.5", "ce11.17.1.5"),
    ("ce11.17.1.5 2b9c0f5f8c4", "ce11.17.1.5"),          # a build suffix
    ("CE9.15.3.17.8dc3c1f7b1d", "ce9.15.3.17"),
    ("RoomOS 11", "RoomOS 11"),                           # not a release: as it is
])
def test_software_version(raw, version):
    assert software_version(raw) == version


@pytest.mark.parametrize("text, line", [
    ("xConfiguration Audio DefaultVolume 50\n", 1),
    ("# ok\n\nxStatus SystemUnit Uptime\n", 3),
    ('xConfiguration SystemUnit Name: "unterminated\n', 1),
    ('xConfiguration SystemUnit Name: "a" b\n', 1),
    ("xConfiguration Audio DefaultVolume: 50\nxConfiguration audio defaultvolume: 60\n", 2),
    ("xConfiguration 1 Network: x\n", 1),
    ("xConfiguration Audio-Volume: 1\n", 1),
])
def test_candidate_is_validated_locally(text, line):
    dev = CeDriver("nowhere-codec", ConnectionParams("127.0.0.1", 9))  # never connects
    with pytest.raises(ConfigError, match=f"line {line}:"):
        dev.load_candidate(text)


def test_intended_format():
    settings = parse_intended('  xConfiguration  SIP   URI : ""\n'
                              "xconfiguration Network 1 DNS Server 2 Address: 10.23.0.53\n"
                              'xConfiguration SystemUnit Name: "a \\\\ b \\"c\\""  \n'
                              "   # comment\n")
    assert [(s.path, s.value, s.line) for s in settings] == [
        ("SIP URI", "", 1), ("Network 1 DNS Server 2 Address", "10.23.0.53", 2),
        ("SystemUnit Name", 'a \\ b "c"', 3)]


def test_connection_dropped_mid_push_is_restored(lab):
    host = "hoang-su-phi-thang-tin-codec"
    before = running(lab, host)
    intended = "".join(f"xConfiguration {line}\n" for line in (
        'SystemUnit Name: "Thàng Tín"', "Audio DefaultVolume: 35", "Standby Delay: 45",
        "Conference AutoAnswer Mode: On", "Macros Mode: On", "Time DateFormat: YY_MM_DD"))
    dev = driver(lab, host)
    try:
        dev.open()
        dev.load_candidate(intended)
        assert len(dev.compare().splitlines()) == 12
        sent = sum(1 for e in session_entries(lab, host) if e["event"] == "command")
        lab.fault(host, "drop", str(sent + 2))  # two settings go through, the third drops
        try:
            with pytest.raises(CommitError) as err:
                dev.commit()
        finally:
            lab.fault(host, "clear")
        assert err.value.restored, str(err.value)
        assert "connection lost" in str(err.value) and "line 3" in str(err.value)
    finally:
        dev.close()
    assert running(lab, host) == before
    assert any(e["event"] == "fault" and "drop" in e["detail"] for e in lab.log_entries(host))


def test_changed_host_key_is_refused_and_nothing_is_sent(lab):
    host = "hoang-su-phi-then-chu-phin-codec"
    lab.fault(host, "hostkey")
    try:
        since = time.time()
        with pytest.raises(TrustError) as err:
            with driver(lab, host) as dev:
                dev.load_candidate("xConfiguration Audio DefaultVolume: 10\n")
                dev.compare()
                dev.commit()
        assert "host key" in str(err.value)
        after = [e for e in lab.log_entries(host) if e["t"] >= since]
        assert not [e for e in after if e["event"] in ("login", "command")], after
    finally:
        lab.fault(host, "clear")
    with driver(lab, host) as dev:  # its own key again
        assert dev.get_facts()["serial_number"]


def test_unknown_host_key_is_refused(lab, tmp_path):
    host = "hoang-su-phi-then-chu-phin-codec"
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(TrustError):
        driver(lab, host, known_hosts=str(empty)).open()
    with pytest.raises(TrustError):  # no known_hosts: nothing is trusted, checking stays on
        driver(lab, host, known_hosts=None).open()


def test_refused_login(lab):
    host = "hoang-su-phi-po-lo-codec"
    lab.fault(host, "refuse_login")
    try:
        with pytest.raises(AuthenticationError):
            driver(lab, host).open()
    finally:
        lab.fault(host, "clear")
    with pytest.raises(AuthenticationError) as err:
        driver(lab, host, password="wrong-password").open()
    assert "wrong-password" not in str(err.value)
    with driver(lab, host) as dev:
        assert all(check.ok for check in dev.health())


def test_connection_refused():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dev = CeDriver("nowhere-codec", ConnectionParams("127.0.0.1", port, "gbtt", PASSWORD,
                                                     known_hosts="/dev/null", timeout=3))
    with pytest.raises(ConnectError):
        dev.open()


def test_secrets_never_appear_in_a_diff_or_an_error(lab):
    host = "hoang-su-phi-ban-phung-codec"
    alias = "hsp-alias-7731"
    with driver(lab, host, extra={"secrets": [alias]}) as dev:
        dev.load_candidate(f"xConfiguration SIP DisplayName: {PASSWORD}\n"
                           f'xConfiguration H323 H323Alias ID: "{alias}"\n')
        diff = dev.compare()
        assert diff.splitlines() == ['-xConfiguration SIP DisplayName: ""',
                                     "+xConfiguration SIP DisplayName: <redacted>",
                                     '-xConfiguration H323 H323Alias ID: ""',
                                     "+xConfiguration H323 H323Alias ID: <redacted>"]
        dev.commit()
        dev.load_candidate("xConfiguration SIP DisplayName: Bản Phùng\n"
                           "xConfiguration H323 H323Alias ID: x\n")
        diff = dev.compare()
        assert PASSWORD not in diff and alias not in diff
        assert "-xConfiguration H323 H323Alias ID: <redacted>" in diff
        assert dev.backup() and PASSWORD not in dev.compare()
        # a password-like setting: its value is never shown, not even in an error
        dev.load_candidate('xConfiguration SIP Authentication Password: "hunter2-x"\n')
        with pytest.raises(ConfigError) as err:
            dev.compare()
        assert "hunter2-x" not in str(err.value)
        with pytest.raises(ConfigError) as err:
            dev.load_candidate(f'xConfiguration SIP Authentication Password: "{PASSWORD}\n')
        assert PASSWORD not in str(err.value)
    assert dev._shown("SIP Authentication Password", "hunter2-x") == "<redacted>"
    assert dev._shown("Security Passphrase", "abc") == "<redacted>"
    assert dev._shown("SIP URI", PASSWORD) == "<redacted>"


# -- camera presets and local accounts ----------------------------------------------------------

OPERATOR = "lab-operator-1"       # passphrases of the accounts the tests create
TECHNICIAN = "lab-technician-1"
OBJECTS = ('xPreset 1 CameraId: 1 Name: "Toàn cảnh"\n'
           'xPreset 2 Name: "Chủ tọa"\n'
           f'xUser "kythuat" Roles: Admin,User Active: True ShellLogin: True Passphrase: "{TECHNICIAN}"\n'
           f'xUser vanhanh Roles: User Active: True ShellLogin: False Passphrase: "{OPERATOR}"\n')


def object_commands(entries: list[dict]) -> list[str]:
    return [e["detail"] for e in entries if e["event"] == "command"
            and e["detail"].startswith(("xCommand Camera Preset", "xCommand UserManagement"))
            and not e["detail"].endswith(" List")]


def objects(lab, host: str) -> list[str]:
    """The presets and accounts of the codec, as get_config gives them."""
    with driver(lab, host) as dev:
        return [line for line in dev.get_config().splitlines()
                if line.startswith(("xPreset", "xUser"))]


def test_presets_and_accounts_created_kept_and_restored(lab):
    host = "hoang-su-phi-nam-son-codec"
    before = objects(lab, host)
    assert not any(line.startswith("xPreset") for line in before)
    intended = "xConfiguration Audio DefaultVolume: 55\n" + OBJECTS
    with driver(lab, host) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff.splitlines() == [
            "-xConfiguration Audio DefaultVolume: 50",
            "+xConfiguration Audio DefaultVolume: 55",
            '+xPreset 1 CameraId: 1 Name: "Toàn cảnh"',
            '+xPreset 2 CameraId: 1 Name: "Chủ tọa"',
            '+xUser "kythuat" Roles: Admin,User Active: True ShellLogin: True Passphrase: <redacted>',
            '+xUser "vanhanh" Roles: User Active: True ShellLogin: False Passphrase: <redacted>',
        ]
        backup = dev.backup()
        assert backup.splitlines()[1:] == [
            "xPreset 1 State: Absent", "xPreset 2 State: Absent",
            'xUser "kythuat" State: Absent', 'xUser "vanhanh" State: Absent']
        dev.commit()
        assert dev.compare() == ""
    commands = object_commands(session_entries(lab, host))
    assert [c.split(" Passphrase:")[0] for c in commands] == [
        'xCommand Camera Preset Store PresetId: 1 CameraId: 1 Name: "Toàn cảnh"',
        'xCommand Camera Preset Store PresetId: 2 CameraId: 1 Name: "Chủ tọa"',
        'xCommand UserManagement User Add Username: "kythuat"',
        'xCommand UserManagement User Add Username: "vanhanh"']
    assert not any(OPERATOR in e["detail"] or TECHNICIAN in e["detail"]
                   for e in lab.log_entries(host))
    # the accounts exist with their passphrases: the technician may log in over SSH, the
    # operator (no shell login) may not
    with driver(lab, host, username="kythuat", password=TECHNICIAN) as dev:
        assert dev.get_facts()["name"] == ""
    with pytest.raises(AuthenticationError):
        driver(lab, host, username="vanhanh", password=OPERATOR).open()
    # a second deploy: nothing to do, nothing written (the passphrases are left alone)
    with driver(lab, host) as dev:
        dev.load_candidate(intended)
        assert dev.compare() == ""
        dev.commit()
    assert object_commands(session_entries(lab, host)) == []
    # a rename, a role and a state change: an edit and a modify, then a rollback
    changed = (intended.replace('Name: "Chủ tọa"', 'Name: "Chủ tọa (bàn đầu)"')
               .replace("Roles: User Active: True", "Roles: User,Audit Active: False"))
    with driver(lab, host) as dev:
        dev.load_candidate(changed)
        assert dev.compare().splitlines() == [
            '-xPreset 2 CameraId: 1 Name: "Chủ tọa"',
            '+xPreset 2 CameraId: 1 Name: "Chủ tọa (bàn đầu)"',
            '-xUser "vanhanh" Roles: User Active: True ShellLogin: False',
            '+xUser "vanhanh" Roles: Audit,User Active: False ShellLogin: False']
        dev.commit()
        assert dev.compare() == ""
        dev.rollback()
        assert dev.compare()
    assert object_commands(session_entries(lab, host)) == [
        'xCommand Camera Preset Edit PresetId: 2 Name: "Chủ tọa (bàn đầu)"',
        'xCommand UserManagement User Modify Username: "vanhanh" AddRole: Audit Active: False',
        'xCommand UserManagement User Modify Username: "vanhanh" RemoveRole: Audit Active: True',
        'xCommand Camera Preset Edit PresetId: 2 Name: "Chủ tọa"']
    after = objects(lab, host)
    assert 'xPreset 2 CameraId: 1 Name: "Chủ tọa"' in after
    # loading the first backup back removes what the deploy created
    with driver(lab, host) as dev:
        dev.load_candidate(backup)
        dev.commit()
    assert objects(lab, host) == before


def test_presets_and_accounts_restored_when_the_connection_drops(lab):
    host = "hoang-su-phi-nam-khoa-codec"
    before = running(lab, host)
    before_objects = objects(lab, host)
    with driver(lab, host) as dev:
        dev.load_candidate("xConfiguration Audio DefaultVolume: 45\n" + OBJECTS)
        dev.compare()
        sent = sum(1 for e in session_entries(lab, host) if e["event"] == "command")
        lab.fault(host, "drop", str(sent + 2))  # the setting and one preset go through
        try:
            with pytest.raises(CommitError) as err:
                dev.commit()
        finally:
            lab.fault(host, "clear")
    assert err.value.restored, str(err.value)
    assert "line 3" in str(err.value) and "xPreset 2" in str(err.value)
    assert running(lab, host) == before
    assert objects(lab, host) == before_objects


def test_a_refused_object_restores_what_was_written(lab):
    host = "hoang-su-phi-nam-khoa-codec"
    before = running(lab, host)
    before_objects = objects(lab, host)
    with driver(lab, host) as dev:   # a Room Kit has one camera: camera 7 is refused
        dev.load_candidate("xConfiguration Audio DefaultVolume: 45\n"
                           'xPreset 1 Name: "Toàn cảnh"\n'
                           'xPreset 3 CameraId: 7 Name: "Camera 7"\n')
        dev.compare()
        with pytest.raises(ConfigError) as err:
            dev.commit()
    assert "line 3: xPreset 3" in str(err.value) and "Camera 7 is not connected" in str(err.value)
    assert "2 change(s) written before it were restored" in str(err.value)
    assert running(lab, host) == before
    assert objects(lab, host) == before_objects


def test_update_passphrase_always_sets_it_on_every_deploy(lab):
    host = "hoang-su-phi-ho-thau-codec"
    first = f'xUser "kythuat" Roles: Admin Passphrase: "{TECHNICIAN}"\n'
    with driver(lab, host) as dev:
        dev.load_candidate(first)
        dev.commit()
        dev.load_candidate(first.replace(TECHNICIAN, "lab-technician-2"))
        assert dev.compare() == ""  # on_create: an existing account keeps its passphrase
    with driver(lab, host, extra={"update_passphrase": "always"}) as dev:
        dev.load_candidate(first.replace(TECHNICIAN, "lab-technician-2"))
        assert dev.compare().splitlines() == [
            '-xUser "kythuat" Roles: Admin Active: True ShellLogin: True',
            '+xUser "kythuat" Roles: Admin Passphrase: <redacted>']
        dev.commit()
        assert dev.compare()  # always: set again on every deploy
    with pytest.raises(AuthenticationError):
        driver(lab, host, username="kythuat", password=TECHNICIAN).open()
    with driver(lab, host, username="kythuat", password="lab-technician-2") as dev:
        assert dev.get_facts()
    assert not any(TECHNICIAN in e["detail"] or "lab-technician-2" in e["detail"]
                   for e in lab.log_entries(host))


def test_an_account_cannot_be_created_without_a_passphrase(lab):
    host = "hoang-su-phi-ho-thau-codec"
    with driver(lab, host) as dev:
        dev.load_candidate('xUser "nguoimoi" Roles: User Passphrase: ""\n')
        with pytest.raises(ConfigError, match="line 1: xUser nguoimoi does not exist"):
            dev.compare()


@pytest.mark.parametrize("text, message", [
    ("xPreset 36 Name: a\n", "line 1: xPreset: the preset number must be 1-35"),
    ("xPreset 1 CameraId: 1\n", "line 1: xPreset 1: Name missing"),
    ('xPreset 1 Name: "a\n', "line 1: xPreset 1: Name: unterminated"),
    ("xPreset 1 Name: a\nxpreset 01 Name: b\n", "line 2: xPreset 1 is set already on line 1"),
    ("xPreset 1 State: Absent Name: a\n", "an absent object takes no other field"),
    ("xUser a Roles: God\n", "unknown role 'God'"),
    ("xUser a Active: True\n", "Roles missing"),
    ("xUser a Roles: User Colour: red\n", "unknown field 'Colour'"),
    ("xUser gbtt Roles: User\n", "the account gbtt logs in with"),
    ("xUser gbtt Roles: Admin Passphrase: x\n", "the account gbtt logs in with"),
])
def test_objects_are_validated_locally(text, message):
    dev = CeDriver("nowhere-codec", ConnectionParams("127.0.0.1", 9, username="gbtt"))
    with pytest.raises(ConfigError, match=message):
        dev.load_candidate(text)


def test_object_lines_parse():
    settings, items = parse_candidate('xConfiguration SIP URI: ""\n'
                                      'xpreset 02 cameraid: 2 name: "Đại biểu"\n'
                                      "xUser Old State: absent\n"
                                      'xUser "a b" roles: user,ADMIN shelllogin: off\n')
    assert [(s.path, s.line) for s in settings] == [("SIP URI", 1)]
    assert [(i.kind.name, i.key, i.fields, i.absent, i.line) for i in items] == [
        ("Preset", "2", {"CameraId": "2", "Name": "Đại biểu"}, False, 2),
        ("User", "Old", {}, True, 3),
        ("User", "a b", {"Roles": "Admin,User", "ShellLogin": "False"}, False, 4)]
