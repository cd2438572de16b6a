"""The Poly codec driver (``gbtt.drivers.poly_group``) over real HTTPS against the lab's Poly
codecs of the Quản Bạ system, the certificate verified against the lab CA: facts, the deploy
flow (compare, commit, read back, idempotence, rollback), a refused value, a connection dropped
part-way, a reboot under an open session, a certificate that is not the trusted one, a refused
login, secrets kept out of diffs and errors, camera presets, the maintenance queries and
meeting control.

Hosts: quan-ba-tam-son-codec (settings), quan-ba-nghia-thuan-codec (failures),
quan-ba-cao-ma-po-codec (trust, login, secrets, ask), quan-ba-ubnd-codec and
quan-ba-tung-vai-codec (meeting control).  No test assumes a codec as another left it: each
first writes the values it starts from."""

from __future__ import annotations

import socket

import pytest
import requests

from gbtt.deploy import deploy
from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams,
                               DriverError, TrustError, driver_for)
from gbtt.drivers.poly_group import (CAPABILITIES, NOT_SUPPORTED, PolyDriver, parse_candidate, quote,
                                     software_version)

pytestmark = pytest.mark.lab

PASSWORD = "lab-codec-only"
SETTINGS_HOST = "quan-ba-tam-son-codec"
FAILING = "quan-ba-nghia-thuan-codec"
ASKED = "quan-ba-cao-ma-po-codec"
CHAIR = "quan-ba-ubnd-codec"
FLOOR = "quan-ba-tung-vai-codec"


def params(lab, host: str, **kw) -> ConnectionParams:
    values = dict(address="127.0.0.1", port=lab.ports[host], username="gbtt", password=PASSWORD,
                  ca_bundle=str(lab.settings.ca_bundle), timeout=10.0)
    values.update(kw)
    return ConnectionParams(**values)


def driver(lab, host: str, **kw) -> PolyDriver:
    return PolyDriver(host, params(lab, host, **kw))


def running(lab, host: str) -> dict[str, str]:
    """Every readable setting and preset as a fresh session reads it: name -> line."""
    with driver(lab, host) as dev:
        text = dev.get_config()
    return {line.split(":", 1)[0]: line for line in text.splitlines()}


def put(lab, host: str, text: str) -> None:
    """Bring ``host`` to the values of ``text`` (the state a test starts from)."""
    with driver(lab, host) as dev:
        dev.load_candidate(text)
        dev.commit()
        assert dev.compare() == ""


def mark(lab, host: str) -> int:
    return len(lab.log_entries(host))


def since(lab, host: str, start: int, event: str = "config") -> list[str]:
    """What ``host`` logged of ``event`` since ``start``: for ``config``, the settings written
    (``name: value``)."""
    return [e["detail"].rsplit(" (", 1)[0] for e in lab.log_entries(host)[start:] if e["event"] == event]


def requests_since(lab, host: str, start: int) -> list[str]:
    return [e["detail"] for e in lab.log_entries(host)[start:] if e["event"] == "request"]


class Console:
    """A person (or a touch panel) using the codec's REST API without the driver."""

    def __init__(self, lab, host: str):
        self.url = f"https://127.0.0.1:{lab.ports[host]}/rest/"
        self.http = requests.Session()
        self.http.trust_env = False                     # the lab CA only, whatever the environment says
        self.http.verify = str(lab.settings.ca_bundle)
        response = self.http.post(self.url + "session", json={"user": "gbtt", "password": PASSWORD}, timeout=10)
        assert response.status_code == 200, response.text

    def __call__(self, method: str, path: str, body=None):
        response = self.http.request(method, self.url + path, json=body, timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json() if response.content else None


# -- the driver class ---------------------------------------------------------------------------


def test_registered_with_its_capabilities():
    assert driver_for("poly_group") is PolyDriver
    assert PolyDriver.platform == "poly_group" and PolyDriver.device_class == "codec"
    assert PolyDriver.capabilities == frozenset(CAPABILITIES) >= {"meeting_control", "camera_presets"}
    assert not PolyDriver.capabilities & set(NOT_SUPPORTED)
    assert {"local_accounts", "camera_preset_names", "revert_timer"} <= set(NOT_SUPPORTED)


@pytest.mark.parametrize("raw, version", [
    ("4.1.0", "4.1.0"), ("4.1.0-410123", "4.1.0"), ("Release - 6.2.2.8-670021", "6.2.2.8"),
    ("3.10.0", "3.10.0"), ("VideoOS next", "VideoOS next")])
def test_software_version(raw, version):
    assert software_version(raw) == version


# -- reading ------------------------------------------------------------------------------------


def test_facts_and_config(lab):
    device = {d.host: d for d in lab.registry.devices()}[SETTINGS_HOST]
    with driver(lab, SETTINGS_HOST) as dev:
        facts = dev.get_facts()
        config = dev.get_config()
        assert dev.get_config() == config                              # stable
        dev.load_candidate(config)
        assert dev.compare() == ""                                     # it loads back and matches
    assert facts["model"] == "StudioX50" and device.model == "Poly Studio X50"
    assert facts["vendor"] == "Poly" and facts["serial"] and facts["serial"] == facts["serial_number"]
    assert facts["os_version"] == lab.registry.province.software_baselines["poly_group"] == "4.1.0"
    assert facts["uptime"] >= 0 and facts["hostname"] and facts["state"] in ("READY", "ASLEEP")
    lines = config.splitlines()
    assert f"device.net.ipAddress: {device.address}" in lines
    assert "sec.auth.admin.id: gbtt" in lines
    assert not {"voIpProt.SIP.auth.password", "sec.auth.admin.password"} & {
        line.split(":", 1)[0] for line in lines}                           # secure settings are left out
    names = [line.split(":", 1)[0] for line in lines]
    assert names == sorted(names, key=lambda n: (n.startswith("preset"), n.lower())) and len(names) > 50


# -- the deploy flow ----------------------------------------------------------------------------

START = ('device.local.deviceName: "Tam Sơn (gbtt test)"\n'
         "call.autoAnswer.answerP2PCall: No\n"
         "call.preferredSpeed.outgoing: 6144\n"
         "device.local.timezone: Etc_UTC\n"
         'voIpProt.SIP.userName: ""\n'
         "device.sleepTimeout: 15\n")


def test_change_commit_read_back_idempotent_rollback(lab):
    put(lab, SETTINGS_HOST, START)
    before = running(lab, SETTINGS_HOST)
    intended = "\n".join([
        "# the owned settings only",
        'device.local.deviceName: "UBND thị trấn Tam Sơn"',
        "",
        "CALL.AUTOANSWER.ANSWERP2PCALL: Yes",                       # names match in any case
        "call.preferredSpeed.outgoing: 2048",
        "device.local.timezone: Asia_Ho_Chi_Minh",
        'voIpProt.SIP.userName: "quan-ba-tam-son@10.23.15.2"',
        "device.sleepTimeout: 015",                                  # = the running 15
    ]) + "\n"
    start = mark(lab, SETTINGS_HOST)
    with driver(lab, SETTINGS_HOST) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff.splitlines() == [
            '-device.local.deviceName: "Tam Sơn (gbtt test)"',
            '+device.local.deviceName: "UBND thị trấn Tam Sơn"',
            "-call.autoAnswer.answerP2PCall: No",
            "+call.autoAnswer.answerP2PCall: Yes",
            "-call.preferredSpeed.outgoing: 6144",
            "+call.preferredSpeed.outgoing: 2048",
            "-device.local.timezone: Etc_UTC",
            "+device.local.timezone: Asia_Ho_Chi_Minh",
            '-voIpProt.SIP.userName: ""',
            "+voIpProt.SIP.userName: quan-ba-tam-son@10.23.15.2",
        ]
        backup = dev.backup()
        assert backup.splitlines() == [
            'device.local.deviceName: "Tam Sơn (gbtt test)"', "call.autoAnswer.answerP2PCall: No",
            "call.preferredSpeed.outgoing: 6144", "device.local.timezone: Etc_UTC", 'voIpProt.SIP.userName: ""',
            "device.sleepTimeout: 15"]
        dev.commit()
        assert all(check.ok for check in dev.health())
        dev.confirm()
        assert dev.compare() == ""                                   # idempotent in the same session
    # only what differed was written, once each, in the order of the intended configuration
    assert since(lab, SETTINGS_HOST, start) == [
        "device.local.deviceName: UBND thị trấn Tam Sơn", "call.autoAnswer.answerP2PCall: Yes",
        "call.preferredSpeed.outgoing: 2048", "device.local.timezone: Asia_Ho_Chi_Minh",
        "voIpProt.SIP.userName: quan-ba-tam-son@10.23.15.2"]
    after = running(lab, SETTINGS_HOST)
    assert {k for k in before if before[k] != after[k]} == {
        "device.local.deviceName", "call.autoAnswer.answerP2PCall", "call.preferredSpeed.outgoing",
        "device.local.timezone", "voIpProt.SIP.userName"}                 # nothing not owned was touched
    start = mark(lab, SETTINGS_HOST)
    with driver(lab, SETTINGS_HOST) as dev:                           # a new deploy: nothing to do
        dev.load_candidate(intended)
        assert dev.compare() == ""
        dev.commit()
    assert since(lab, SETTINGS_HOST, start) == []
    with driver(lab, SETTINGS_HOST) as dev:                           # health failed: back to the backup
        dev.load_candidate("call.preferredSpeed.outgoing: 4096\n")
        dev.commit()
        dev.rollback()
        assert dev.compare().splitlines() == ["-call.preferredSpeed.outgoing: 2048",
                                              "+call.preferredSpeed.outgoing: 4096"]
    assert running(lab, SETTINGS_HOST) == after
    with driver(lab, SETTINGS_HOST) as dev:                           # the first backup loads back
        dev.load_candidate(backup)
        dev.commit()
    assert running(lab, SETTINGS_HOST) == before


def test_a_refused_value_restores_what_was_written(lab):
    put(lab, FAILING, START)
    before = running(lab, FAILING)
    intended = ('device.local.deviceName: "Nghĩa Thuận"\n'
                "device.sleepTimeout: 30\n"
                "# a rate the codec does not offer:\n"
                "call.preferredSpeed.outgoing: 2000\n"
                "device.local.timezone: Asia_Ho_Chi_Minh\n")
    start = mark(lab, FAILING)
    with driver(lab, FAILING) as dev:
        dev.load_candidate(intended)
        assert "+call.preferredSpeed.outgoing: 2000" in dev.compare()
        with pytest.raises(ConfigError) as err:
            dev.commit()
    message = str(err.value)
    assert "line 4: call.preferredSpeed.outgoing" in message and "INVALID_VALUE" in message
    assert "2 change(s) written before it were restored" in message
    assert since(lab, FAILING, start) == [                          # the one after it never went
        "device.local.deviceName: Nghĩa Thuận", "device.sleepTimeout: 30",
        "refused: call.preferredSpeed.outgoing INVALID_VALUE",
        "device.sleepTimeout: 15", "device.local.deviceName: Tam Sơn (gbtt test)"]
    assert running(lab, FAILING) == before


def test_an_unknown_setting_is_refused_before_anything_is_written(lab):
    start = mark(lab, FAILING)
    with driver(lab, FAILING) as dev:
        dev.load_candidate("device.sleepTimeout: 30\nno.such.setting: 1\n")
        with pytest.raises(ConfigError, match="no such setting on this codec: line 2: no.such.setting"):
            dev.compare()
    assert since(lab, FAILING, start) == []


def test_a_connection_dropped_mid_push_is_reported_and_rolled_back_after_clear(lab):
    put(lab, FAILING, START)
    before = running(lab, FAILING)
    intended = ('device.local.deviceName: "Nghĩa Thuận"\n'
                "device.sleepTimeout: 30\n"
                "call.autoAnswer.answerP2PCall: Yes\n"
                "device.local.timezone: Asia_Ho_Chi_Minh\n")
    with driver(lab, FAILING) as dev:
        dev.load_candidate(intended)
        start = mark(lab, FAILING)
        assert len(dev.compare().splitlines()) == 8
        assert len(requests_since(lab, FAILING, start)) == 1         # one read; commit reads nothing again
        lab.fault(FAILING, "drop", "2")                              # two settings go through, the third drops
        try:
            with pytest.raises(CommitError) as err:
                dev.commit()
        finally:
            lab.fault(FAILING, "clear")
        # the codec stays unreachable while the fault lasts: the driver could not write back
        assert err.value.restored is False and "NOT restored" in str(err.value)
        assert "connection lost writing line 3 (call.autoAnswer.answerP2PCall)" in str(err.value)
        assert running(lab, FAILING) != before
        dev.rollback()                                               # reachable again: back to before
    assert running(lab, FAILING) == before
    assert any(e["event"] == "fault" and "drop after" in e["detail"] for e in lab.log_entries(FAILING))


def test_a_read_over_a_dropped_connection_is_a_connect_error(lab):
    with driver(lab, FAILING) as dev:
        lab.fault(FAILING, "drop", "0")
        try:
            with pytest.raises(ConnectError):
                dev.get_facts()
        finally:
            lab.fault(FAILING, "clear")
        assert dev.get_facts()["os_version"] == "4.1.0"               # a new connection, logged in again


def test_a_reboot_ends_the_session_and_the_driver_logs_in_again(lab):
    with driver(lab, FAILING) as dev:
        dev.load_candidate("device.sleepTimeout: 15\n")
        dev.compare()
        start = mark(lab, FAILING)
        lab.fault(FAILING, "reboot")
        assert dev.get_facts()["uptime"] < 60
        assert dev.compare() == ""
    logins = [e for e in lab.log_entries(FAILING)[start:] if e["event"] == "login"]
    assert len(logins) == 1 and logins[0]["detail"] == "gbtt: accepted"


@pytest.mark.parametrize("text, line", [
    ("device.sleepTimeout 15\n", 1),
    ("# ok\n\nxConfiguration SystemUnit Name: x\n", 3),
    ('device.local.deviceName: "unterminated\n', 1),
    ('device.local.deviceName: "a" b\n', 1),
    ("device.sleepTimeout: 15\nDEVICE.sleepTimeout: 30\n", 2),
    ("sleepTimeout: 15\n", 1),
    ("preset 100: stored\n", 1),
    ("preset 1: framed\n", 1),
    ("preset 1: stored\npreset 01: absent\n", 2),
])
def test_the_candidate_is_validated_locally(text, line):
    dev = PolyDriver("nowhere-codec", ConnectionParams("127.0.0.1", 9))       # never connects
    with pytest.raises(ConfigError, match=f"line {line}:"):
        dev.load_candidate(text)


def test_the_intended_format():
    settings, presets = parse_candidate('  voIpProt.SIP.userName : ""\n'
                                        "device.net.dns.server.2: 10.23.0.53\n"
                                        'device.local.deviceName: "a \\\\ b \\"c\\" # d: e"  \n'
                                        "   # comment\n"
                                        "PRESET 3 : Stored\npreset 0: absent\n")
    assert [(s.name, s.value, s.line) for s in settings] == [
        ("voIpProt.SIP.userName", "", 1), ("device.net.dns.server.2", "10.23.0.53", 2),
        ("device.local.deviceName", 'a \\ b "c" # d: e', 3)]
    assert [(p.index, p.absent, p.line) for p in presets] == [(3, False, 5), (0, True, 6)]
    assert [quote(v) for v in ("true", "10.23.0.10", "Asia_Ho_Chi_Minh", "", "a b", 'x"y')] == [
        "true", "10.23.0.10", "Asia_Ho_Chi_Minh", '""', '"a b"', '"x\\"y"']


# -- trust, login, secrets ---------------------------------------------------------------------


def test_a_certificate_that_is_not_the_trusted_one_is_refused_before_the_login(lab):
    lab.fault(ASKED, "badcert")
    try:
        start = mark(lab, ASKED)
        with pytest.raises(TrustError) as err:
            with driver(lab, ASKED) as dev:
                dev.load_candidate("device.sleepTimeout: 30\n")
                dev.commit()
        assert "does not verify" in str(err.value) and PASSWORD not in str(err.value)
        assert not [e for e in lab.log_entries(ASKED)[start:] if e["event"] in ("login", "request")]
    finally:
        lab.fault(ASKED, "clear")
    with driver(lab, ASKED) as dev:                                   # its own certificate again
        assert dev.get_facts()["serial"]


def test_an_expired_certificate_is_refused(lab):
    lab.fault(ASKED, "badcert", "-5")
    try:
        with pytest.raises(TrustError):
            driver(lab, ASKED).open()
    finally:
        lab.fault(ASKED, "clear")


def test_no_ca_bundle_trusts_nothing(lab, tmp_path):
    with pytest.raises(TrustError, match="no CA bundle"):
        driver(lab, ASKED, ca_bundle=None).open()
    with pytest.raises(TrustError, match="does not exist"):
        driver(lab, ASKED, ca_bundle=str(tmp_path / "none.pem")).open()


def test_a_refused_login_is_an_authentication_error(lab):
    lab.fault(ASKED, "refuse_login")
    try:
        start = mark(lab, ASKED)
        with pytest.raises(AuthenticationError, match="HTTP 403"):
            driver(lab, ASKED).open()
        assert len([e for e in lab.log_entries(ASKED)[start:] if e["event"] == "login"]) == 1   # no loop
    finally:
        lab.fault(ASKED, "clear")
    with pytest.raises(AuthenticationError) as err:
        driver(lab, ASKED, password="wrong-password-7").open()
    assert "wrong-password-7" not in str(err.value) and err.value.host == ASKED
    with driver(lab, ASKED) as dev:
        assert all(check.ok for check in dev.health())


def test_nothing_listening_is_a_connect_error(lab):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError):
        driver(lab, ASKED, port=port, timeout=3.0).open()


def test_close_logs_out(lab):
    start = mark(lab, ASKED)
    with driver(lab, ASKED) as dev:
        dev.get_facts()
    assert requests_since(lab, ASKED, start)[-1] == "DELETE /rest/session"


def test_secrets_never_appear_in_a_diff_or_an_error(lab):
    alias = "qb-alias-7731"
    put(lab, ASKED, 'voIpProt.SIP.auth.password: ""\nvoIpProt.H323.name: ""\n')
    with driver(lab, ASKED, extra={"secrets": [alias]}) as dev:
        dev.load_candidate('voIpProt.SIP.auth.password: "hunter2-x"\n'
                           f'voIpProt.H323.name: "{alias}"\n')
        diff = dev.compare()
        assert diff.splitlines() == ["-voIpProt.SIP.auth.password: <redacted>",
                                     "+voIpProt.SIP.auth.password: <redacted>",
                                     '-voIpProt.H323.name: ""', "+voIpProt.H323.name: <redacted>"]
        dev.commit()
        assert dev.compare() == ""                  # a secure setting that is set counts as the wanted one
        assert "hunter2-x" not in dev.backup() and "password" not in dev.backup()
        dev.load_candidate("voIpProt.H323.name: x\n")
        assert "-voIpProt.H323.name: <redacted>" in dev.compare()
        with pytest.raises(ConfigError) as err:
            dev.load_candidate(f'device.local.deviceName: "{PASSWORD}\n')
        assert PASSWORD not in str(err.value)
    with driver(lab, ASKED, extra={"update_passphrase": "always"}) as dev:
        dev.load_candidate('voIpProt.SIP.auth.password: "hunter2-y"\n')
        assert dev.compare().splitlines() == ["-voIpProt.SIP.auth.password: <redacted>",
                                              "+voIpProt.SIP.auth.password: <redacted>"]
        dev.load_candidate('voIpProt.SIP.auth.password: "' + "p" * 300 + '"\n')     # refused by the codec
        with pytest.raises(ConfigError) as err:
            dev.commit()
        assert "p" * 20 not in str(err.value) and "line 1: voIpProt.SIP.auth.password" in str(err.value)
    assert not any("hunter2" in e["detail"] for e in lab.log_entries(ASKED))      # passwords are never logged
    assert dev._shown("device.local.deviceName", PASSWORD) == "<redacted>"


@pytest.mark.parametrize("text, message", [
    ("sec.auth.admin.password: x\n", "the password gbtt logs in with"),
    ("sec.auth.admin.id: admin\n", "the account gbtt logs in with"),
])
def test_gbtts_own_account_is_never_changed(lab, text, message):
    dev = PolyDriver("nowhere-codec", ConnectionParams("127.0.0.1", 9, username="gbtt"))
    with pytest.raises(ConfigError, match=message):
        dev.load_candidate(text)
    dev.load_candidate("sec.auth.admin.id: gbtt\n")                  # listed as it is: a backup does


# -- camera presets -----------------------------------------------------------------------------


def test_presets_stored_kept_and_cleared_by_a_backup(lab):
    put(lab, ASKED, "device.sleepTimeout: 15\npreset 4: absent\npreset 5: absent\npreset 6: absent\n")
    intended = "device.sleepTimeout: 15\npreset 4: stored\npreset 5: stored\npreset 6: absent\n"
    start = mark(lab, ASKED)
    with driver(lab, ASKED) as dev:
        dev.load_candidate(intended)
        assert dev.compare().splitlines() == ["-preset 4: absent", "+preset 4: stored",
                                              "-preset 5: absent", "+preset 5: stored"]
        backup = dev.backup()
        assert backup.splitlines()[1:] == ["preset 4: absent", "preset 5: absent", "preset 6: absent"]
        dev.commit()
        assert dev.compare() == ""
        assert {4, 5} <= {p["id"] for p in dev.camera_presets()}
    assert since(lab, ASKED, start, "preset") == ["4: stored", "5: stored"]
    start = mark(lab, ASKED)
    with driver(lab, ASKED) as dev:                                   # again: nothing to do
        dev.load_candidate(intended)
        dev.commit()
        dev.load_candidate(backup)                                     # the backup clears them
        dev.commit()
    assert since(lab, ASKED, start, "preset") == ["4: cleared", "5: cleared"]


def test_a_preset_the_codec_refuses_restores_the_settings(lab):
    put(lab, ASKED, "device.sleepTimeout: 15\npreset 7: absent\npreset 8: absent\n")
    before = running(lab, ASKED)
    lab.fault(ASKED, "drift", "unplug", "camera", "1")
    try:
        with driver(lab, ASKED) as dev:
            dev.load_candidate("device.sleepTimeout: 60\npreset 7: stored\n")
            dev.compare()
            with pytest.raises(ConfigError) as err:
                dev.commit()
    finally:
        lab.fault(ASKED, "drift", "clear")
    assert "line 2: preset 7" in str(err.value) and "CameraNotConnected" in str(err.value)
    assert "1 change(s) written before it were restored" in str(err.value)
    assert running(lab, ASKED) == before


# -- maintenance queries ------------------------------------------------------------------------


def test_ask_reads_under_rest(lab):
    with driver(lab, ASKED) as dev:
        start = mark(lab, ASKED)
        system = dev.ask({"get": "system"})
        assert system["softwareVersion"] == "4.1.0" and system["timeServerState"].startswith("TIMESERVER_")
        status = dev.ask({"get": "/rest/system/status"})
        assert {i["name"] for i in status} >= {"system.status.sipserver", "system.status.mr.camera"}
        assert isinstance(dev.ask({"get": "system/sipservers"}), list)
        cameras = dev.ask({"get": "cameras/near/all"})
        assert cameras[0]["cameraIndex"] == 1 and cameras[0]["connected"] is True
        assert dev.ask({"get": "audio"})["numOfMicsConnected"] == 1
        assert isinstance(dev.ask({"get": "calllog/cdr?limit=1"}), list)
        assert dev.ask({"get": "rest/calllog/entries?limit=2"}) == dev.ask({"get": "calllog/entries?limit=2"})
        with pytest.raises(DriverError, match="HTTP 404"):
            dev.ask({"get": "cameras/lens"})
    assert requests_since(lab, ASKED, start) == [
        "GET /rest/system", "GET /rest/system/status", "GET /rest/system/sipservers", "GET /rest/cameras/near/all",
        "GET /rest/audio", "GET /rest/calllog/cdr?limit=1", "GET /rest/calllog/entries?limit=2",
        "GET /rest/calllog/entries?limit=2", "GET /rest/cameras/lens", "DELETE /rest/session"]


def test_ask_sees_the_faults_and_facts_the_version(lab):
    try:
        lab.fault(ASKED, "drift", "version", "3.11.0")
        lab.fault(ASKED, "drift", "uptime", "2d")
        lab.fault(ASKED, "drift", "unplug", "microphone", "1")
        with driver(lab, ASKED) as dev:
            assert dev.ask({"get": "audio"})["numOfMicsConnected"] == 0
            facts = dev.get_facts()
        assert facts["os_version"] == facts["software_version"] == "3.11.0"
        assert 172800 <= facts["uptime"] < 172800 + 60
    finally:
        lab.fault(ASKED, "drift", "clear")


@pytest.mark.parametrize("query", [
    {"get": "../system"},
    {"get": "system/../session"},
    {"get": "session"},                               # its id is a credential
    {"get": "https://10.23.15.2/rest/system"},
    {"get": "system status"},
    {"get": "system\nstatus"},
    {"get": "calllog/entries?limit=1&action=delete"},
    {"get": "calllog/entries?limit=1&limit=2"},
    {"get": "rest/rest/system"},
    {"get": ""},
    {"post": "config"},
    {"status": "Cameras"},
    {"get": "system", "also": "audio"},
])
def test_ask_refuses_anything_but_a_read_before_sending_it(lab, query):
    with driver(lab, ASKED) as dev:
        start = mark(lab, ASKED)
        with pytest.raises(ConfigError):
            dev.ask(query)
    assert requests_since(lab, ASKED, start) == ["DELETE /rest/session"]


# -- meeting control ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meeting(lab):
    """CHAIR and FLOOR deployed from the registry (auto-answer, microphones muted on answer),
    no call; a console on each."""
    values = lab.host_variables(CHAIR, FLOOR)
    for host in (CHAIR, FLOOR):
        outcome = deploy(host, values[host])
        assert not outcome.failed, outcome.message
    consoles = {host: Console(lab, host) for host in (CHAIR, FLOOR)}
    yield consoles
    for host in (CHAIR, FLOOR):
        with driver(lab, host) as dev:
            dev.hang_up()


def test_calls_between_two_poly_codecs_and_hang_up(lab, meeting):
    with driver(lab, CHAIR) as chair, driver(lab, FLOOR) as floor:
        chair.hang_up()
        floor.hang_up()
        assert chair.codec_calls() == [] and chair.hang_up() == 0
        meeting[CHAIR]("POST", "conferences", {"address": lab.address[FLOOR], "rate": 2048, "dialType": "AUTO"})
        (out,) = chair.codec_calls()
        (into,) = floor.codec_calls()
        assert {k: out[k] for k in ("remote", "direction", "state", "rate_kbps")} == {
            "remote": lab.address[FLOOR], "direction": "outgoing", "state": "connected", "rate_kbps": 2048}
        assert (into["remote"], into["direction"], into["state"]) == ("quan-ba-ubnd@10.23.15.2", "incoming",
                                                                      "connected")
        assert floor.microphones_muted() is True                     # auto-answered, muted (Art. 9.2a)
        assert chair.hang_up("10.23.99.99") == 0
        with pytest.raises(ConfigError, match="empty remote"):
            chair.hang_up("  ")
        start = mark(lab, CHAIR)
        assert chair.hang_up(f"sip:{lab.address[FLOOR]};transport=tls") == 1
        assert requests_since(lab, CHAIR, start)[-1] == f"DELETE /rest/conferences/{out['conference']}/connections/{out['id']}"
        assert chair.codec_calls() == [] and floor.codec_calls() == []       # both sides ended
        meeting[FLOOR]("POST", "conferences", {"address": CHAIR})
        assert chair.codec_calls()[0]["direction"] == "incoming"
        assert chair.hang_up() == 1 and floor.codec_calls() == []


def test_mute_and_unmute_are_idempotent(lab, meeting):
    with driver(lab, FLOOR) as dev:
        dev.set_microphones(False)
        start = mark(lab, FLOOR)
        assert dev.set_microphones(False) is False
        assert dev.set_microphones(True) is True
        assert dev.set_microphones(True) is False
        assert dev.microphones_muted() is True and meeting[FLOOR]("GET", "audio/muted") is True
        assert dev.set_microphones(False) is True
        assert meeting[FLOOR]("GET", "audio")["muted"] is False
    assert [r for r in requests_since(lab, FLOOR, start) if r.startswith("POST")] == [
        "POST /rest/audio/muted", "POST /rest/audio/muted"]


def test_camera_presets_by_number_and_by_the_registrys_names(lab, meeting):
    with driver(lab, CHAIR) as dev:
        presets = dev.camera_presets()
        assert {1, 2, 3} <= {p["id"] for p in presets} and all(p["name"] == "" for p in presets)
        start = mark(lab, CHAIR)
        assert dev.activate_preset(2) == {"id": 2, "name": ""}
        assert dev.activate_preset(" 3 ") == {"id": 3, "name": ""}
        with pytest.raises(ConfigError) as err:
            dev.activate_preset("Chủ tọa")                            # the codec has no names
        assert str(err.value).startswith(f"{CHAIR}: no camera preset 'Chủ tọa' on the codec (a Poly preset has "
                                         "a number, no name); its presets: 1, 2, 3")
        with pytest.raises(ConfigError, match="no camera preset 9 "):
            dev.activate_preset(9)
        with pytest.raises(ConfigError, match="no camera preset name or number"):
            dev.activate_preset(True)
    assert since(lab, CHAIR, start, "preset") == ["2: activated", "3: activated"]
    names = list(lab.registry.endpoints["quan-ba-ubnd"].camera_presets)      # [{id, name}]
    with driver(lab, CHAIR, extra={"camera_presets": names}) as dev:
        assert dev.camera_presets()[1] == {"id": 2, "name": "Chủ tọa", "camera": 1}
        assert dev.activate_preset("  Chủ tọa ") == {"id": 2, "name": "Chủ tọa"}


def test_standby_is_idempotent_and_a_call_wakes_the_codec(lab, meeting):
    with driver(lab, FLOOR) as dev:
        dev.set_standby(False)
        start = mark(lab, FLOOR)
        assert dev.standby_state() == "READY"
        assert dev.set_standby(False) is False
        assert dev.set_standby(True) is True and dev.set_standby(True) is False
        assert dev.standby_state() == "ASLEEP"
        meeting[CHAIR]("POST", "conferences", {"address": FLOOR})
        assert dev.standby_state() == "READY"                          # the call woke it
        assert dev.hang_up() == 1
        lab.fault(FLOOR, "expire")                                     # the idle timer
        assert dev.standby_state() == "ASLEEP"
        assert dev.set_standby(False) is True
    assert [r for r in requests_since(lab, FLOOR, start) if r.startswith("POST")] == [
        "POST /rest/system/sleep", "POST /rest/system/wake"]


def test_meeting_control_changes_no_configuration_and_keeps_the_candidate(lab, meeting):
    intended = "device.sleepTimeout: 30\npreset 1: stored\n"
    with driver(lab, FLOOR) as dev:
        before = dev.get_config()
        dev.load_candidate(intended)
        diff = dev.compare()
        assert diff == "-device.sleepTimeout: 15\n+device.sleepTimeout: 30\n"
        start = mark(lab, FLOOR)
        meeting[CHAIR]("POST", "conferences", {"address": FLOOR})
        assert dev.set_microphones(True) in (True, False) and dev.microphones_muted()
        assert dev.activate_preset(1)["id"] == 1
        assert dev.codec_calls()[0]["state"] == "connected"
        assert dev.hang_up() == 1
        assert dev.set_standby(True) and dev.set_standby(False)
        assert since(lab, FLOOR, start) == []                          # no setting written
        assert dev.candidate == intended and dev.compare() == diff
        dev.discard()
        assert dev.get_config() == before
