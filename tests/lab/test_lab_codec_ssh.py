"""The lab's codecs through stock netmiko ``cisco_tp`` over real SSH on loopback, with host key
checking on: the xAPI, an MCU's dial-out showing up on the codec, and the faults a client sees.

netmiko 4.8's ``cisco_tp`` builds its default end-of-reply pattern with "\\r\\n" after it has
normalised the output to "\\n", so it never matches (on a real codec either): every call here
passes ``expect_string``, as gbtt's codec driver does."""

from __future__ import annotations

import re
import time

import paramiko
import pytest
import requests
from netmiko.exceptions import NetmikoAuthenticationException

END = r"\n(OK|ERROR|Command not recognized\.)\n"
RESULT_END = r"\*\* end"


def send(conn, command: str, expect: str = END) -> str:
    return conn.send_command(command, expect_string=expect, read_timeout=20)


def test_configuration_write_read_and_value_space(lab):
    host = "dong-van-pho-bang-codec"
    with lab.netmiko(host, "cisco_tp") as c:
        assert send(c, 'xConfiguration SystemUnit Name: "Phố Bảng"').strip().endswith("OK")
        out = send(c, "xConfiguration SystemUnit Name")
        assert '*c xConfiguration SystemUnit Name: "Phố Bảng"' in out and "** end" in out
        bad = send(c, "xConfiguration Audio DefaultVolume: 101")
        assert bad.strip().endswith("ERROR")
        unknown = send(c, "xConfiguration No Such Path: 1")
        assert unknown.strip().endswith("ERROR")
        assert "Command not recognized." in send(c, "show running-config")
    commands = [e["detail"] for e in lab.log_entries(host) if e["event"] == "command"]
    assert 'xConfiguration SystemUnit Name: "Phố Bảng"' in commands


def test_status_and_commands(lab):
    host = "dong-van-lung-cu-codec"
    with lab.netmiko(host, "cisco_tp") as c:
        status = send(c, "xStatus SystemUnit Software Version")
        assert re.search(r'\*s SystemUnit Software Version: "', status)
        address = send(c, "xStatus Network 1 IPv4 Address")
        assert lab.address[host] in address  # the registry's address, as the codec reports it
        stored = send(c, 'xCommand Camera Preset Store PresetId: 1 CameraId: 1 Name: "Toàn cảnh"', RESULT_END)
        assert "status=OK" in stored
        assert "Command not recognized." in send(c, "xCommand")  or "status=Error" in send(c, "xCommand No Such")


def test_json_output_mode(lab):
    import json
    host = "dong-van-sung-la-codec"
    with lab.netmiko(host, "cisco_tp") as c:
        c.write_channel("xPreferences OutputMode json\r\n")
        time.sleep(0.3)
        c.clear_buffer()
        out = c.send_command("xStatus SystemUnit Uptime", expect_string=r"\}\s*$", read_timeout=20)
        doc = json.loads(out[out.index("{"):])
        assert "Status" in doc


def test_mcu_dial_out_shows_up_in_xstatus_call(lab):
    codec, mcu = "dong-van-ubnd-codec", "dong-van-mcu"
    ca, auth = str(lab.settings.ca_bundle), ("gbtt-api", "lab-mcu-only")
    base = f"https://127.0.0.1:{lab.ports[mcu]}/api/v1"
    with lab.netmiko(codec, "cisco_tp") as c:
        send(c, "xConfiguration Conference AutoAnswer Mode: On")
        send(c, "xConfiguration Conference AutoAnswer Delay: 0")
        space = requests.post(f"{base}/coSpaces", data={"name": "Giao ban", "uri": "giaoban.dongvan"}, auth=auth,
                              verify=ca, timeout=10).headers["Location"].rsplit("/", 1)[1]
        call = requests.post(f"{base}/calls", data={"coSpace": space}, auth=auth, verify=ca,
                             timeout=10).headers["Location"].rsplit("/", 1)[1]
        r = requests.post(f"{base}/calls/{call}/participants", data={"remoteParty": lab.address[codec]},
                          auth=auth, verify=ca, timeout=10)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 10
        out = ""
        while time.monotonic() < deadline:
            out = send(c, "xStatus Call")
            if "*s Call" in out:
                break
            time.sleep(0.2)
        assert "*s Call" in out and "giaoban.dongvan" in out
        requests.delete(f"{base}/calls/{call}", auth=auth, verify=ca, timeout=10)
        assert "*s Call" not in send(c, "xStatus Call")


def test_changed_host_key_is_refused(lab):
    host = "dong-van-ma-le-codec"
    lab.fault(host, "hostkey")
    try:
        with pytest.raises((paramiko.BadHostKeyException, paramiko.SSHException)):
            lab.netmiko(host, "cisco_tp")
    finally:
        lab.fault(host, "clear")
    with lab.netmiko(host, "cisco_tp") as c:  # the device's own key again
        assert "OK" in send(c, "xStatus SystemUnit Uptime")


def test_unknown_host_key_is_refused_without_known_hosts(lab, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException):
        lab.netmiko("dong-van-ma-le-codec", "cisco_tp", alt_key_file=str(empty))


def test_refused_login(lab):
    host = "dong-van-ta-lung-codec"
    lab.fault(host, "refuse_login")
    try:
        with pytest.raises(NetmikoAuthenticationException):
            lab.netmiko(host, "cisco_tp")
    finally:
        lab.fault(host, "clear")
    with pytest.raises(NetmikoAuthenticationException):
        lab.netmiko(host, "cisco_tp", password="wrong")


def test_drop_after_n_lines(lab):
    host = "dong-van-lung-tao-codec"
    lab.fault(host, "drop", "2")
    try:
        c = lab.netmiko(host, "cisco_tp")
        send(c, "xStatus SystemUnit Uptime")
        with pytest.raises(Exception):  # the connection is gone: netmiko cannot read (OSError, ReadTimeout)
            for _ in range(5):
                c.send_command("xStatus SystemUnit Uptime", expect_string=END, read_timeout=3)
        c.disconnect()
    finally:
        lab.fault(host, "clear")
    assert any(e["event"] == "fault" and "drop" in e["detail"] for e in lab.log_entries(host))


def test_drift_and_reboot(lab):
    host = "dong-van-sang-tung-codec"
    print(lab.fault(host, "drift", "SystemUnit Name", "Ai đó đã đổi"))
    with lab.netmiko(host, "cisco_tp") as c:
        assert "Ai đó đã đổi" in send(c, "xConfiguration SystemUnit Name")
    before = None
    with lab.netmiko(host, "cisco_tp") as c:
        before = send(c, "xStatus SystemUnit Uptime")
    time.sleep(1.2)
    lab.fault(host, "reboot")
    with lab.netmiko(host, "cisco_tp") as c:
        after = send(c, "xStatus SystemUnit Uptime")
        assert "Ai đó đã đổi" in send(c, "xConfiguration SystemUnit Name")  # CE keeps its configuration

    def uptime(text: str) -> int:
        return int(re.search(r"Uptime: (\d+)", text).group(1))
    assert uptime(after) < uptime(before) + 1


def test_users_log_in_over_ssh_with_their_passphrase(lab):
    import json
    host = "dong-van-sa-phin-codec"
    add = "xCommand UserManagement User Add"
    with lab.netmiko(host, "cisco_tp") as c:
        assert "status=OK" in send(c, f'{add} Username: vanhanh Passphrase: "Hà Giang 2024" Role: Admin '
                                      "Role: User ShellLogin: True PassphraseChangeRequired: False", RESULT_END)
        send(c, f"{add} Username: nghi Passphrase: nghi-phep-1 Role: User Active: False "
                "PassphraseChangeRequired: False", RESULT_END)
        send(c, f"{add} Username: webonly Passphrase: chi-web-1 Role: User ShellLogin: False "
                "PassphraseChangeRequired: False", RESULT_END)
        assert "status=Error" in send(c, f"{add} Username: ngan Passphrase: 1234 Role: User", RESULT_END)
    with lab.netmiko(host, "cisco_tp", username="vanhanh", password="Hà Giang 2024") as c:
        listed = send(c, "xCommand UserManagement User List", RESULT_END)
        assert '*r UserListResult User 3 Username: "vanhanh"' in listed
        assert "*r UserListResult User 3 Roles Role 2: User" in listed
        out = send(c, "xCommand UserManagement User Passphrase Set Username: vanhanh NewPassphrase: doi-roi-2 "
                      'YourPassphrase: "Hà Giang 2024"', RESULT_END)
        assert "status=OK" in out
        c.write_channel("xPreferences OutputMode json\r\n")
        time.sleep(0.3)
        c.clear_buffer()
        out = c.send_command("xCommand UserManagement User List", expect_string=r"\n\}\s*$", read_timeout=20)
        doc = json.loads(out[out.index("{"):])
        users = doc["CommandResponse"]["UserListResult"]["User"]
        assert [(u["id"], u["Username"]["Value"]) for u in users] == [
            ("1", "admin"), ("2", "gbtt"), ("3", "vanhanh"), ("4", "nghi"), ("5", "webonly")]
        assert users[2]["Roles"] == {"Role": [{"id": "1", "Value": "Admin"}, {"id": "2", "Value": "User"}]}
    with lab.netmiko(host, "cisco_tp", username="vanhanh", password="doi-roi-2") as c:
        assert "OK" in send(c, "xStatus SystemUnit Uptime")
    # the old passphrase, an inactive user, a user without shell login
    for username, password in (("vanhanh", "Hà Giang 2024"), ("nghi", "nghi-phep-1"), ("webonly", "chi-web-1")):
        with pytest.raises(NetmikoAuthenticationException):
            lab.netmiko(host, "cisco_tp", username=username, password=password)
    logins = [e["detail"] for e in lab.log_entries(host) if e["event"] == "login"]
    assert "vanhanh: accepted" in logins and "nghi: refused" in logins and "webonly: refused" in logins


def test_a_codec_user_is_refused_under_the_refuse_login_fault(lab):
    host = "dong-van-ta-phin-codec"
    with lab.netmiko(host, "cisco_tp") as c:
        send(c, "xCommand UserManagement User Add Username: vanhanh Passphrase: 12345678 Role: User "
                "PassphraseChangeRequired: False", RESULT_END)
    lab.fault(host, "refuse_login")
    try:
        with pytest.raises(NetmikoAuthenticationException):
            lab.netmiko(host, "cisco_tp", username="vanhanh", password="12345678")
    finally:
        lab.fault(host, "clear")
    with lab.netmiko(host, "cisco_tp", username="vanhanh", password="12345678") as c:
        assert "OK" in send(c, "xStatus SystemUnit Uptime")


def test_passphrases_never_reach_the_request_log(lab):
    host = "dong-van-pho-cao-codec"
    secrets = ("Bi-mat-2024", "mat khau moi", "lab-codec-only", "exec-bi-mat")
    with lab.netmiko(host, "cisco_tp") as c:
        send(c, "xCommand UserManagement User Add Username: vanhanh Passphrase: Bi-mat-2024 Role: User "
                "YourPassphrase: lab-codec-only PassphraseChangeRequired: False", RESULT_END)
        send(c, 'xCommand UserManagement User Passphrase Set Username: vanhanh NewPassphrase: "mat khau moi" '
                "YourPassphrase: lab-codec-only", RESULT_END)
    client = paramiko.SSHClient()
    client.load_host_keys(str(lab.settings.known_hosts))
    client.connect("127.0.0.1", port=lab.ports[host], username="gbtt", password="lab-codec-only",
                   allow_agent=False, look_for_keys=False)
    try:
        _, stdout, _ = client.exec_command("xCommand UserManagement User Passphrase Set Username: vanhanh "
                                           "NewPassphrase: exec-bi-mat YourPassphrase: lab-codec-only")
        assert "PassphraseSetResult (status=OK)" in stdout.read().decode()
    finally:
        client.close()
    entries = lab.log_entries(host)
    assert not [e for e in entries if any(secret in e["detail"] for secret in secrets)]
    commands = [e["detail"] for e in entries if e["event"] in ("command", "exec")]
    assert ('xCommand UserManagement User Passphrase Set Username: vanhanh NewPassphrase: <redacted> '
            "YourPassphrase: <redacted>") in commands
    assert any("Passphrase: <redacted> Role: User" in detail for detail in commands)
