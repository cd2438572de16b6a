"""The simulated Huawei VRPv8 router (gbtt/lab/huawei_vrp.py), without sockets.

Lines go straight to ``VrpShell.feed``; the lab is a FakeLab (timers fire on ``advance``).
Stock netmiko ``huawei_vrpv8`` talks to the router through :class:`Terminal`, an in-memory
stand-in for the lab core's PTY (echo, CR LF, output then prompt), so its own prompt handling
judges the CLI; SFTP is replaced by a direct ``write_file``, as the core's SFTP sink does."""

from __future__ import annotations

import json
import re

import pytest
from fakelab import FakeLab

from gbtt.lab.device import Facts
from gbtt.lab.huawei_vrp import (Config, Interfaces, VrpRouter, candidate_changes, cipher_matches, encipher,
                                 is_cipher, uptime_text, vrp_version)

HOST = "quan-ba-ubnd-router"
ADDRESS = "10.23.15.11"
MCU = "10.23.15.2"


def router_facts(host: str = HOST, address: str = ADDRESS, **extra) -> Facts:
    return Facts(host=host, platform="huawei_vrp", device_class="router", address=address,
                 model="Huawei NetEngine 8000 M1C", name="UBND huyện Quản Bạ", software="V800R022C10SPC500",
                 serial="FOC1A2B3C4D", extra={"enable_secret": "lab-enable-only", **extra})


class FakeDevice:
    """Another lab device, for ping."""

    def __init__(self, host: str, address: str, device_class: str, name: str | None = None):
        self.facts = Facts(host=host, platform="x", device_class=device_class, address=address, name=name)


@pytest.fixture
def lab() -> FakeLab:
    lab = FakeLab(seconds_per_minute=60.0)
    lab.devices["quan-ba-mcu"] = FakeDevice("quan-ba-mcu", MCU, "mcu")
    lab.devices["quan-ba-ubnd-codec"] = FakeDevice("quan-ba-ubnd-codec", "10.23.15.131", "codec",
                                                   "UBND huyện Quản Bạ")
    return lab


@pytest.fixture
def router(lab: FakeLab) -> VrpRouter:
    device = VrpRouter(router_facts(), lab)
    lab.devices[HOST] = device
    return device


class Session:
    """An interactive session as a person types it: ``run`` returns the output of the lines."""

    def __init__(self, device: VrpRouter, username: str = "gbtt"):
        self.shell = device.shell(username)

    def run(self, *lines: str) -> str:
        return "".join(self.shell.feed(line) for line in lines)

    @property
    def prompt(self) -> str:
        return self.shell.prompt()


@pytest.fixture
def cli(router: VrpRouter) -> Session:
    return Session(router)


def running(device: VrpRouter) -> str:
    return device.state["running"]


def lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.strip() and not x.strip().startswith(("#", "!"))]


# =========================================================================================
# The factory state
# =========================================================================================

def test_factory_configuration_comes_from_the_registry(router):
    text = running(router)
    assert text.startswith("#\nclock timezone ICT add 07:00:00\n#\nsysname quan-ba-ubnd-router\n#\n")
    assert (f"interface GigabitEthernet0/2/0\n description Uplink\n undo shutdown\n"
            f" ip address {ADDRESS} 255.255.255.0\n#\n") in text
    assert "ip route-static 0.0.0.0 0.0.0.0 10.23.15.1\n" in text and "ntp-service unicast-server 10.23.0.10\n" in text
    assert "stelnet server enable\nsftp server enable\nssh user gbtt\n" in text
    assert re.search(r"^ local-user gbtt password irreversible-cipher \$1c\$[./0-9A-Za-z]{10}\$[./0-9A-Za-z]{43}\$$",
                     text, re.M)
    assert text.endswith("#\nreturn\n") and router.state["saved"] == text
    assert [c["id"] for c in router.state["commits"]] == [1000000001]
    json.dumps(router.state)


def test_factory_configuration_lists_every_port(router):
    assert re.findall(r"^interface (\S+)$", running(router), re.M) == [
        "GigabitEthernet0/0/0", "GigabitEthernet0/2/0", "GigabitEthernet0/2/1", "GigabitEthernet0/2/2",
        "GigabitEthernet0/2/3", "NULL0"]


def test_state_survives_a_lab_restart(router, lab):
    router.state["files"]["notes.txt"] = "eAo="          # "x\n"
    again = VrpRouter(router_facts(), lab, json.loads(json.dumps(router.state)))
    assert again.state["running"] == running(router)
    assert again.read_file("cfcard:/notes.txt") == b"x\n"


def test_rendering_is_stable(router, cli):
    cli.run("system-view", "interface LoopBack0", "ip address 10.255.0.1 32", "quit", "aaa",
            "local-user admin password irreversible-cipher Admin-Pass-1", "local-user admin level 3", "quit",
            "acl number 2001", "rule permit source 10.23.0.0 0.0.255.255", "rule deny", "commit")
    text = running(router)
    assert Config.parse(text, Interfaces())[0].render() == text
    assert " rule 5 permit source 10.23.0.0 0.0.255.255\n rule 10 deny\n" in text


# =========================================================================================
# The command line
# =========================================================================================

def test_greeting_and_prompts(router, cli):
    assert cli.shell.greeting().startswith("Info: The max number of VTY users is")
    assert cli.prompt == f"<{HOST}>"
    assert cli.run("sys") == "Enter system view, return user view with return command.\n"
    assert cli.prompt == f"[~{HOST}]"
    cli.run("interface GigabitEthernet 0/2/1")
    assert cli.prompt == f"[~{HOST}-GigabitEthernet0/2/1]"
    cli.run("description WAN")
    assert cli.prompt == f"[*{HOST}-GigabitEthernet0/2/1]"
    for view, prompt in (("aaa", "aaa"), ("acl number 2000", "acl4-basic-2000"),
                         ("traffic classifier VIDEO", "classifier-VIDEO"), ("traffic behavior VIDEO", "behavior-VIDEO"),
                         ("traffic policy P", "trafficpolicy-P"), ("user-interface vty 0 4", "ui-vty0-4"),
                         ("user-interface con 0", "ui-console0")):
        cli.run(view)
        assert cli.prompt == f"[*{HOST}-{prompt}]"
    cli.run("quit")
    assert cli.prompt == f"[*{HOST}]"


def test_errors_point_at_the_word(cli):
    unrecognized = "^\nError: Unrecognized command found at '^' position.\n"
    assert cli.run("dispaly version") == " " * len(f"<{HOST}>") + unrecognized
    assert cli.run("display ip").endswith("Error: Incomplete command found at '^' position.\n")
    assert cli.run("display version now").endswith("Error: Too many parameters found at '^' position.\n")
    cli.run("system-view")
    line = "ip route-static 10.1.0.0 255.255.0.0 nowhere"
    out = cli.run(line)
    wrong = "^\nError: Wrong parameter found at '^' position.\n"
    assert out == " " * (len(f"[~{HOST}]") + line.index("nowhere")) + wrong
    assert cli.run("d").endswith("Error: Incomplete command found at '^' position.\n")
    assert cli.run("ntp-service unicast-servr 10.1.1.1").endswith(unrecognized[2:])
    assert cli.run("interface GigabitEthernet0/9/0").endswith("Error: Wrong parameter found at '^' position.\n")
    assert cli.prompt == f"[~{HOST}]"                   # nothing changed


def test_abbreviations_and_filters(router, cli):
    assert cli.run("dis cur | include ^sysname") == f"sysname {HOST}\n"
    begun = cli.run("display current-configuration | begin ^user-interface | no-more")
    assert begun.startswith("user-interface vty 0 4")
    assert cli.run("display current-configuration | exclude ^[ #]").count("\n") > 5
    assert cli.run("screen-length 0 temporary").startswith("Info: The configuration takes effect")


def test_display_current_configuration_says_when_it_changed(router, cli):
    out = cli.run("display current-configuration")
    assert out.startswith("!Software Version V800R022C10SPC500\n!Last configuration was updated at ")
    assert "\n!Last configuration was saved at " in out and out.endswith(running(router))
    cli.run("system-view", "sysname renamed", "commit", "return")
    assert cli.prompt == "<renamed>"
    assert re.search(r"^!Last configuration was updated at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+07:00 by gbtt$",
                     cli.run("display current-configuration"), re.M)


def test_a_sub_view_runs_commands_of_the_views_above(router, cli):
    cli.run("system-view", "interface GigabitEthernet0/2/1", "ntp-service unicast-server 10.23.0.12")
    assert cli.prompt == f"[*{HOST}]"
    cli.run("commit")
    assert "ntp-service unicast-server 10.23.0.12\n" in running(router)


def test_undo_and_the_displayed_undo_forms(router, cli):
    cli.run("system-view", "undo telnet server enable", "interface GigabitEthernet0/2/1", "undo shutdown",
            "shutdown", "undo shutdown", "quit", "undo ntp-service unicast-server 10.23.0.10", "commit")
    text = running(router)
    assert "undo telnet server enable\n" in text and "ntp-service" not in text
    assert "interface GigabitEthernet0/2/1\n undo shutdown\n#" in text
    assert cli.run("undo interface GigabitEthernet0/2/1") == "Error: The physical interface cannot be deleted.\n"
    cli.run("aaa", "undo local-user gbtt", "commit")
    assert "local-user gbtt" not in running(router)


# =========================================================================================
# The two-stage configuration
# =========================================================================================

def test_changes_wait_for_commit_and_are_private_to_the_session(router, cli):
    other = Session(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12")
    assert "10.23.0.12" not in running(router)
    assert cli.run("display configuration candidate changes") == "+ntp-service unicast-server 10.23.0.12\n"
    other.run("system-view")
    assert other.prompt == f"[~{HOST}]" and other.run("display configuration candidate changes") == ""
    cli.run("commit")
    assert "ntp-service unicast-server 10.23.0.12\n" in running(router) and cli.prompt == f"[~{HOST}]"
    commit = router.state["commits"][-1]
    assert commit["id"] == 1000000002 and commit["user"] == "gbtt"


def test_leaving_with_uncommitted_changes_asks(router, cli):
    cli.run("system-view", "sysname other")
    assert cli.run("return") == "" and cli.prompt.endswith("[Y(yes)/N(no)/C(cancel)]:")
    cli.run("c")
    assert cli.prompt == f"[*{HOST}]"
    cli.run("return", "n")
    assert cli.prompt == f"<{HOST}>" and f"sysname {HOST}\n" in running(router)
    cli.run("system-view", "sysname other", "quit", "y")
    assert cli.prompt == "<other>"


def test_clear_configuration_candidate(router, cli):
    before = running(router)
    cli.run("system-view", "interface GigabitEthernet0/2/1", "description x", "clear configuration candidate")
    assert cli.prompt == f"[~{HOST}]"
    cli.run("commit")
    assert running(router) == before


def test_commit_trial_reverts_unless_confirmed(router, cli, lab):
    before = running(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12")
    out = cli.run("commit trial 120")
    assert out == ("Committing..done.\nInfo: The system enters the trial configuration mode. The system will revert to "
                   "previous configuration if the trial configuration is not confirmed in 120 seconds.\n")
    assert "10.23.0.12" in running(router) and cli.prompt == f"[*{HOST}]"
    assert cli.run("sysname other").startswith("Error: The system is in the configuration trial mode.")
    lab.advance(119)
    assert "10.23.0.12" in running(router)
    lab.advance(2)
    assert running(router) == before and router.trial is None
    assert lab.entries[-1][1] == "revert" and router.state["commits"][-1]["description"] == "trial rollback"
    assert cli.prompt == f"[~{HOST}]"


def test_commit_confirms_a_trial_from_any_session(router, cli, lab):
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit trial 60")
    other = Session(router)
    other.run("system-view")
    assert other.run("commit") == "Info: The trial configuration is confirmed.\n"
    lab.fire_all()
    assert "10.23.0.12" in running(router) and router.trial is None
    assert cli.run("commit trial") == "Error: No configuration needs to be committed.\n"


def test_abort_trial(router, cli):
    before = running(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit trial 600")
    assert cli.run("abort trial") == "" and cli.prompt.endswith("Continue? [Y/N]:")
    assert cli.run("y") == "Info: The trial configuration has been rolled back.\n"
    assert running(router) == before
    assert cli.run("abort trial") == "Error: The system is not in the configuration trial mode.\n"


def test_the_trial_time_is_checked(cli):
    cli.run("system-view", "sysname x")
    assert "Wrong parameter" in cli.run("commit trial 30")
    assert "Wrong parameter" in cli.run("commit trial 65536")


def test_expire_fault_and_reboot_end_a_trial(router, cli):
    before = running(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit trial 600")
    assert router.expire_timers() == ["configuration trial (600 s): reverted"]
    assert running(router) == before and router.expire_timers() == []
    cli.run("ntp-service unicast-server 10.23.0.13", "commit trial 600")
    router.reboot()
    assert running(router) == router.state["saved"] and router.trial is None


def test_a_trial_survives_a_lab_restart(router, cli, lab):
    before = running(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit trial 600")
    again = VrpRouter(router_facts(), lab, json.loads(json.dumps(router.state)))
    lab.fire_all()
    assert again.state["running"] == before


def test_rollback_configuration_to_a_commit_id(router, cli):
    before = running(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit", "sysname other", "commit", "return")
    listing = cli.run("display configuration commit list")
    assert re.search(r"^ 1\s+1000000003\s+-\s+gbtt\s+\d{4}-", listing, re.M)
    assert re.search(r"^ 3\s+1000000001\s+-\s+SYSTEM\s", listing, re.M)
    cli.run("rollback configuration to commit-id 1000000001")
    assert cli.prompt.endswith("Continue? [Y/N]:")
    assert cli.run("y") == "Info: The configuration has been rolled back to commit ID 1000000001.\n"
    assert running(router) == before and cli.prompt == f"<{HOST}>"
    assert "rollback to commit ID 1000000001" in cli.run("display configuration commit list verbose")
    assert cli.run("rollback configuration to commit-id 1000000999") == \
        "Error: The commit ID 1000000999 does not exist.\n"
    cli.run("rollback configuration last 1", "y")
    assert "sysname other\n" in running(router)


def test_save_and_reboot(router, cli):
    cli.run("system-view", "ntp-service unicast-server 10.23.0.12", "commit", "return")
    router.reboot()
    assert "10.23.0.12" not in running(router)
    cli = Session(router)
    cli.run("system-view", "ntp-service unicast-server 10.23.0.13", "commit", "return", "save")
    assert cli.prompt == "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
    assert cli.run("y").endswith("Info: Save the configuration successfully.\n")
    router.reboot()
    assert "ntp-service unicast-server 10.23.0.13\n" in running(router)
    assert cli.run("display saved-configuration") == router.state["saved"]


# =========================================================================================
# Files and load configuration
# =========================================================================================

def candidate(router: VrpRouter, edit=lambda text: text) -> str:
    return edit(running(router))


def test_load_configuration_replace_then_commit(router, cli):
    new = running(router).replace("ntp-service unicast-server 10.23.0.10\n", "ntp-service unicast-server 10.23.0.20\n")
    router.write_file("/gbtt-candidate.cfg", new.encode())
    assert "gbtt-candidate.cfg" in cli.run("dir")
    assert cli.run("system-view", "load configuration file gbtt-candidate.cfg replace") == \
        "Enter system view, return user view with return command.\n"
    assert cli.prompt == f"[*{HOST}]"
    assert cli.run("display configuration candidate changes") == \
        "+ntp-service unicast-server 10.23.0.20\n-ntp-service unicast-server 10.23.0.10\n"
    cli.run("commit")
    assert running(router) == new


def test_a_file_with_an_invalid_line_changes_nothing(router, cli):
    before = running(router)
    bad = before.replace("sysname quan-ba-ubnd-router\n", "sysname-of-nothing quan-ba-ubnd-router\n")
    bad = bad.replace(" ip address 10.23.15.11 255.255.255.0\n", " ip address 10.23.15.0 255.255.255.0\n")
    router.write_file("bad.cfg", bad.encode())
    out = cli.run("system-view", "load configuration file cfcard:/bad.cfg replace")
    assert "Error: Line 4: sysname-of-nothing quan-ba-ubnd-router\n       Error: Unrecognized command" in out
    assert "ip address 10.23.15.0 255.255.255.0\n       Error: The specified IP address is invalid." in out
    assert out.rstrip().endswith("2 invalid line(s). The candidate configuration is not changed.")
    assert cli.prompt == f"[~{HOST}]" and cli.run("commit") == "" and running(router) == before
    assert cli.run("load configuration file missing.cfg replace") == \
        "Error: The file cfcard:/missing.cfg does not exist.\n"


def test_a_file_lacking_lines_removes_them(router, cli):
    text = running(router)
    shorter = text.replace("ntp-service unicast-server 10.23.0.10\n", "").replace(" description Uplink\n", "")
    shorter = re.sub(r"interface GigabitEthernet0/2/3\n#\n", "", shorter)     # a physical port stays
    router.write_file("short.cfg", shorter.encode())
    cli.run("system-view", "load configuration file short.cfg replace", "commit")
    assert "ntp-service" not in running(router) and "description Uplink" not in running(router)
    assert "interface GigabitEthernet0/2/3\n" in running(router)


def test_load_merge(router, cli):
    router.write_file("extra.cfg", b"ntp-service unicast-server 10.23.0.21\n")
    cli.run("system-view", "load configuration file extra.cfg merge", "commit")
    assert "ntp-service unicast-server 10.23.0.10\nntp-service unicast-server 10.23.0.21\n" in running(router)


def test_sftp_needs_the_sftp_server(router, cli):
    cli.run("system-view", "undo sftp server enable", "commit")
    with pytest.raises(PermissionError):
        router.write_file("x.cfg", b"x")


def test_more_and_delete(router, cli):
    router.write_file("x.cfg", b"sysname x\n")
    assert cli.run("more x.cfg") == "sysname x\n"
    cli.run("delete /unreserved x.cfg")
    assert cli.prompt == "Warning: The contents of file cfcard:/x.cfg cannot be recycled. Continue? [Y/N]:"
    assert cli.run("y") == "Info: Deleting file cfcard:/x.cfg...succeeded.\n"
    assert router.list_files() == {}


# =========================================================================================
# The configuration grammar
# =========================================================================================

def test_qos_references_are_checked(router, cli):
    cli.run("system-view")
    assert cli.run("traffic policy P", "classifier C behavior B") == "Error: The classifier C does not exist.\n"
    cli.run("traffic classifier C", "if-match dscp 34 46", "traffic behavior B", "queue af bandwidth pct 80",
            "traffic behavior E", "queue ef bandwidth pct 30", "traffic policy P", "share-mode",
            "classifier C behavior B")
    assert cli.run("classifier C2 behavior E") == "Error: The classifier C2 does not exist.\n"
    cli.run("traffic classifier C2", "if-match dscp ef")
    assert cli.run("traffic policy P", "classifier C2 behavior E") == \
        "Error: The sum of the queue bandwidth percentages in the policy exceeds 100.\n"
    cli.run("traffic behavior E", "queue ef bandwidth pct 10", "traffic policy P", "classifier C2 behavior E",
            "interface GigabitEthernet0/2/1", "traffic-policy P outbound", "port shaping 2", "commit")
    text = running(router)
    assert "traffic classifier C operator or\n if-match dscp af41 ef\n" in text
    assert ("traffic policy P\n share-mode\n classifier C behavior B precedence 1\n"
            " classifier C2 behavior E precedence 2\n") in text
    assert "interface GigabitEthernet0/2/1\n port shaping 2\n traffic-policy P outbound\n" in text
    assert cli.run("undo traffic policy P") == "Error: The traffic policy P is being applied to an interface.\n"
    assert cli.run("undo traffic behavior B") == "Error: The behavior B is being used by a traffic policy.\n"
    assert cli.run("interface GigabitEthernet0/2/2", "traffic-policy NONE outbound") == \
        "Error: The traffic policy NONE does not exist.\n"


def test_values_are_stored_as_vrp_shows_them(router, cli):
    cli.run("system-view", "ip route-static 10.24.0.0 16 10.23.15.1 description core",
            "user-interface vty 0 4", "idle-timeout 10", "acl 2000 inbound", "interface ge0/2/1",
            "ip address 192.0.2.1 30", "commit")
    text = running(router)
    assert "ip route-static 10.24.0.0 255.255.0.0 10.23.15.1 description core\n" in text
    assert "user-interface vty 0 4\n acl 2000 inbound\n authentication-mode aaa\n idle-timeout 10 0\n" in text
    assert "interface GigabitEthernet0/2/1\n ip address 192.0.2.1 255.255.255.252\n" in text
    assert cli.run("ip route-static 10.24.0.1 16 10.23.15.1") == \
        "Error: The destination address and mask do not match.\n"


def test_local_user_passwords_are_enciphered(router, cli):
    cli.run("system-view", "aaa", "local-user admin password irreversible-cipher Admin-Pass-1",
            "local-user admin service-type ssh", "commit")
    first = re.search(r"local-user admin password irreversible-cipher (\S+)", running(router)).group(1)
    assert is_cipher(first) and cipher_matches("Admin-Pass-1", first) and "Admin-Pass-1" not in running(router)
    cli.run("local-user admin password irreversible-cipher Admin-Pass-1", "commit")
    second = re.search(r"local-user admin password irreversible-cipher (\S+)", running(router)).group(1)
    assert second != first and cipher_matches("Admin-Pass-1", second)         # a new salt each time
    cli.run(f"local-user admin password irreversible-cipher {second}", "commit")
    assert f"irreversible-cipher {second}\n" in running(router)               # a cipher is kept
    assert cli.run("local-user admin password irreversible-cipher short") == \
        "Error: The password length must be in the range of 8 to 128.\n"
    assert router.check_login("admin", "Admin-Pass-1") and not router.check_login("admin", "other-pass")
    cli.run("local-user admin state block", "commit")
    assert not router.check_login("admin", "Admin-Pass-1")


def test_the_hidden_password_prompt(router, cli):
    cli.run("system-view", "aaa")
    assert cli.run("local-user op password") == "Please configure the password (8-128)\n"
    assert cli.prompt == "Enter Password:" and not cli.shell.echo
    assert cli.run("Op-Pass-2024") == "" and cli.prompt == "Confirm Password:" and not cli.shell.echo
    assert cli.run("Op-Pass-2024") == "" and cli.shell.echo
    cli.run("local-user op service-type ssh", "commit")
    assert router.check_login("op", "Op-Pass-2024")
    assert cli.run("local-user op password", "One-Pass-1", "Two-Pass-2").endswith(
        "Error: The two passwords are different.\n")
    assert router.check_login("op", "Op-Pass-2024")
    assert "Op-Pass-2024" not in json.dumps(router.state)


def test_aaa_lines_are_grouped_per_user(router, cli):
    cli.run("system-view", "aaa", "local-user zed level 1", "local-user zed password irreversible-cipher Zed-Pass-1",
            "local-user gbtt level 2", "commit")
    names = [line.split()[1:3] for line in running(router).split("aaa\n", 1)[1].split("#")[0].splitlines()]
    assert names == [["gbtt", "password"], ["gbtt", "service-type"], ["gbtt", "level"], ["gbtt", "state"],
                     ["zed", "password"], ["zed", "level"]]


def test_the_request_log_hides_passwords(router):
    assert VrpRouter.redact("local-user a password irreversible-cipher Secret-1") == \
        "local-user a password irreversible-cipher <redacted>"


def test_candidate_changes_show_lines_under_their_view(router):
    old = router.running_config()
    new = old.copy()
    new.apply(new.interface("GigabitEthernet0/2/1"), "description WAN")
    assert candidate_changes(old, new) == " interface GigabitEthernet0/2/1\n+ description WAN\n"


# =========================================================================================
# Display commands and faults
# =========================================================================================

def test_display_version(router, cli):
    out = cli.run("display version")
    assert out.startswith("Huawei Versatile Routing Platform Software\n"
                          "VRP (R) software, Version 8.221 (NetEngine 8000 V800R022C10SPC500)\n")
    assert re.search(r"^HUAWEI NetEngine 8000 M1C uptime is 0 days, 0 hours, 0 minutes$", out, re.M)
    assert uptime_text(90061) == "1 day, 1 hour, 1 minute" and vrp_version("V800R021C10SPC600") == "8.211"
    assert cli.run("display esn") == "ESN of slot 1: FOC1A2B3C4D\n"


def test_display_interfaces(router, cli):
    out = cli.run("display interface GigabitEthernet0/2/0")
    assert out.startswith("GigabitEthernet0/2/0 current state : UP (ifindex: 4)\nLine protocol current state : UP\n")
    assert f"Internet Address is {ADDRESS}/24\n" in out and "      CRC: 0 packets, Symbol: 0 packets\n" in out
    cli.run("system-view", "interface GigabitEthernet0/2/2", "shutdown", "commit", "return")
    assert cli.run("display interface GigabitEthernet0/2/2").startswith(
        "GigabitEthernet0/2/2 current state : Administratively DOWN")
    brief = cli.run("display ip interface brief")
    assert re.search(rf"^GigabitEthernet0/2/0\s+{ADDRESS}/24\s+up\s+up\s+--$", brief, re.M)
    assert re.search(r"^GigabitEthernet0/2/2\s+unassigned\s+\*down\s+down\s+--$", brief, re.M)
    assert re.search(r"^GigabitEthernet0/2/0\s+up\s+up\s", cli.run("display interface brief"), re.M)
    assert re.search(r"^\s+0\.0\.0\.0/0\s+Static\s+60\s+0\s+RD\s+10\.23\.15\.1\s+GigabitEthernet0/2/0$",
                     cli.run("display ip routing-table"), re.M)


def test_ntp_status_and_its_fault(router, cli):
    assert cli.run("display ntp-service status").startswith(
        " clock status: synchronized\n clock stratum: 3\n reference clock ID: 10.23.0.10\n")
    assert router.drift(["ntp", "unsynced"]) == "ntp: unsynchronised (no server answers)"
    assert cli.run("display ntp-service status").startswith(" clock status: unsynchronized\n clock stratum: 16\n")
    assert "clock status: configured, insane" in cli.run("display ntp-service sessions")
    assert cli.run("display ntp status") == cli.run("display ntp-service status")    # an abbreviation
    assert "Unrecognized command" in cli.run("display ntp-server status")
    router.drift(["ntp", "synced"])
    assert "synchronized" in cli.run("display ntp-service status")


def test_ping(router, cli, lab):
    out = cli.run(f"ping -c 3 {MCU}")
    assert out.startswith(f"  PING {MCU}: 56  data bytes, press CTRL_C to break\n    Reply from {MCU}: bytes=56")
    assert "    3 packet(s) received\n    0.00% packet loss\n    round-trip min/avg/max = 1/1/2 ms\n" in out
    dead = cli.run("ping -c 2 -t 500 192.0.2.1")
    assert dead.count("Request time out") == 2 and "100.00% packet loss" in dead and "round-trip" not in dead
    router.drift(["line", "loss", "10", "latency", "180"])
    lossy = cli.run(f"ping -c 20 {MCU}")
    assert "18 packet(s) received" in lossy and "10.00% packet loss" in lossy
    own = cli.run("ping -c 1 10.23.15.131")                             # its own codec: not beyond the site
    assert "time=2 ms" in own and "0.00% packet loss" in own
    assert cli.run("ping mcu") == "Error: Failed to resolve the host name mcu.\n"
    assert cli.run("ping -c 0 1.1.1.1").startswith("Error: Wrong parameter")


def test_errors_fault(router, cli):
    said = router.drift(["errors", "crc", "1200", "input", "1500", "drops", "300"])
    assert said.startswith("errors: GigabitEthernet0/2/0")
    out = cli.run("display interface GigabitEthernet0/2/0")
    assert "CRC: 1200 packets, Symbol: 300 packets" in out and "Lost: 300 packets" in out
    router.drift(["errors", "clear"])
    assert "CRC: 0 packets" in cli.run("display interface GigabitEthernet0/2/0")


def test_version_fault_and_clear(router, cli):
    router.drift(["version", "V800R021C10SPC600"])
    assert "(NetEngine 8000 V800R021C10SPC600)" in cli.run("display version")
    assert cli.run("display current-configuration").startswith("!Software Version V800R021C10SPC600\n")
    assert router.drift(["clear"]) == "health faults cleared: software"
    assert "V800R022C10SPC500" in cli.run("display version")
    with pytest.raises(ValueError):
        router.drift(["line", "loss", "200"])


def test_configuration_drift(router, cli):
    assert router.drift(["sysname", "someone-changed-it"]) == "configuration changed: sysname someone-changed-it"
    assert cli.prompt == "<someone-changed-it>"
    router.drift(["interface GigabitEthernet0/2/0", " shutdown"])
    assert "interface GigabitEthernet0/2/0\n description Uplink\n shutdown\n" in running(router)
    assert router.state["commits"][-1]["user"] == "console"
    with pytest.raises(ValueError, match="Unrecognized command"):
        router.drift(["sysnam-e", "x"])


def test_logins_of_local_users(router):
    assert not router.check_login("gbtt", "lab-router-only")    # the lab login is the core's
    assert not router.check_login("nobody", "x")


# =========================================================================================
# Stock netmiko
# =========================================================================================

netmiko = pytest.importorskip("netmiko")
from netmiko.channel import Channel  # noqa: E402
from netmiko.huawei.huawei import HuaweiVrpv8SSH  # noqa: E402


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class Terminal(Channel):
    """The lab core's PTY, in memory: echo as typed (not while ``echo`` is off), a line ends
    at CR, LF or CR LF, then the device's output and its prompt, all in CR LF."""

    def __init__(self, shell):
        self.shell = shell
        self.pending = ""
        self.echoed = 0
        self.output = _crlf(shell.greeting() + shell.prompt())

    def write_channel(self, out_data: str) -> None:
        self.pending += out_data
        while not self.shell.closed:
            cuts = [i for i in (self.pending.find("\r"), self.pending.find("\n")) if i >= 0]
            if not cuts:
                break
            cut = min(cuts)
            line, ending, self.pending = self.pending[:cut], self.pending[cut], self.pending[cut + 1:]
            if ending == "\r" and self.pending.startswith("\n"):
                self.pending = self.pending[1:]
            self.output += (line[self.echoed:] if self.shell.echo else "") + "\r\n"
            self.echoed = 0
            out = self.shell.feed(line)
            if out and not out.endswith("\n"):
                out += "\n"
            self.output += _crlf(out + ("" if self.shell.closed else self.shell.prompt()))
        if self.pending and self.shell.echo and self.echoed < len(self.pending):
            self.output += self.pending[self.echoed:]
            self.echoed = len(self.pending)

    def read_buffer(self) -> str:
        return self.read_channel()

    def read_channel(self) -> str:
        data, self.output = self.output, ""
        return data

    def close(self) -> None:
        pass


class LabVrpSSH(HuaweiVrpv8SSH):
    """Stock netmiko ``huawei_vrpv8``, over a :class:`Terminal` instead of paramiko."""

    def __init__(self, device: VrpRouter):
        self.device = device
        super().__init__(host="127.0.0.1", username="gbtt", password="lab-router-only", device_type="huawei_vrpv8")

    def establish_connection(self, width: int = 511, height: int = 1000) -> None:
        self.channel = Terminal(self.device.shell(self.username))
        self.remote_conn = self.channel


@pytest.fixture
def fast(monkeypatch):
    """Netmiko waits for slow devices; the terminal answers at once."""
    import time as time_module
    monkeypatch.setattr(time_module, "sleep", lambda seconds: None)


def test_netmiko_session(router, fast):
    conn = LabVrpSSH(router)
    assert conn.base_prompt == HOST
    assert conn.find_prompt() == f"<{HOST}>"
    assert conn.send_command("display current-configuration | include ^sysname") == f"sysname {HOST}"
    out = conn.send_config_set(["interface GigabitEthernet0/2/1", "description to the district", "undo shutdown"])
    assert "Error" not in out and conn.check_config_mode()
    assert conn.find_prompt() == f"[*{HOST}-GigabitEthernet0/2/1]"
    assert "Error" not in conn.commit()                # netmiko's own commit: commit, then return
    assert conn.find_prompt() == f"<{HOST}>"
    assert " description to the district\n undo shutdown\n" in running(router)
    assert "Info: Save the configuration successfully." in conn.save_config()
    assert router.state["saved"] == running(router)
    conn.disconnect()


def test_encipher_is_salted_pbkdf2():
    cipher = encipher("Some-Pass-1", salt="abcdefghij")
    assert cipher == encipher("Some-Pass-1", salt="abcdefghij") and cipher.startswith("$1c$abcdefghij$")
    assert cipher_matches("Some-Pass-1", cipher) and not cipher_matches("Some-Pass-2", cipher)
