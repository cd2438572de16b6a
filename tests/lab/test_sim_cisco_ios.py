"""The simulated Cisco IOS XE router (gbtt/lab/cisco_ios.py), without sockets.

Lines go straight to ``IosShell.feed``; the lab is a FakeLab (timers fire on ``advance``).
Stock netmiko and NAPALM talk to the router through :class:`Terminal`, an in-memory stand-in
for the lab core's PTY (echo, CR LF, output then prompt), so their own parsers judge the
output formats; SCP is replaced by a direct ``write_file``, as the core's SCP sink does."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from fakelab import FakeLab

from gbtt.lab.cisco_ios import Config, IosRouter, contextual_diff, type9, type9_matches
from gbtt.lab.device import Facts

HOST = "dong-van-lung-cu-router"
ADDRESS = "10.23.12.13"
SECRET = "lab-enable-only"


def router_facts(host: str = HOST, address: str = ADDRESS, **extra) -> Facts:
    return Facts(host=host, platform="cisco_ios", device_class="router", address=address,
                 model="Cisco ISR 1111-4P", name="UBND xã Lũng Cú", software="17.09.05",
                 serial="FOC1A2B3C4D", extra={"enable_secret": SECRET, **extra})


class FakeCodec:
    """Another lab device, for ping."""

    def __init__(self, host: str, address: str):
        self.facts = Facts(host=host, platform="cisco_ce", device_class="codec", address=address)


@pytest.fixture
def lab() -> FakeLab:
    lab = FakeLab(seconds_per_minute=60.0)
    lab.devices["dong-van-lung-cu-codec"] = FakeCodec("dong-van-lung-cu-codec", "10.23.12.133")
    return lab


@pytest.fixture
def router(lab: FakeLab) -> IosRouter:
    device = IosRouter(router_facts(), lab)
    lab.devices[HOST] = device
    return device


class Session:
    """An interactive session as a person types it: ``run`` returns the output of the lines."""

    def __init__(self, device: IosRouter, username: str = "gbtt"):
        self.shell = device.shell(username)

    def run(self, *lines: str) -> str:
        return "".join(self.shell.feed(line) for line in lines)

    @property
    def prompt(self) -> str:
        return self.shell.prompt()


@pytest.fixture
def cli(router: IosRouter) -> Session:
    """A privileged session."""
    session = Session(router)
    session.run("enable", SECRET)
    assert session.prompt == f"{HOST}#"
    return session


def running(device: IosRouter) -> str:
    return device.state["running"]


# =========================================================================================
# The factory state
# =========================================================================================

def test_factory_configuration_comes_from_the_registry(router):
    text = running(router)
    assert f"hostname {HOST}\n" in text
    assert "interface GigabitEthernet0/0/0\n description Uplink\n ip address 10.23.12.13 255.255.255.0\n" in text
    assert "ip route 0.0.0.0 0.0.0.0 10.23.12.1\n" in text
    assert "ntp server 10.23.0.10\n" in text
    assert "ip scp server enable\n" in text            # NAPALM's SCP check
    assert "archive\n path flash:archive\n" in text     # NAPALM's revert_in needs it
    assert "clock timezone ICT 7 0\n" in text
    assert text.startswith("!\nversion 17.9\n") and text.endswith("!\nend\n")
    assert SECRET not in text and re.search(r"^enable secret 9 \$9\$\S+\$\S+$", text, re.M)
    assert router.state["startup"] == text
    json.dumps(router.state)


def test_factory_configuration_lists_every_physical_port(router):
    names = re.findall(r"^interface (\S+)$", running(router), re.M)
    assert names == ["GigabitEthernet0/0/0", "GigabitEthernet0/0/1", *(f"GigabitEthernet0/1/{n}" for n in range(4)),
                     "Vlan1"]


def test_state_survives_a_lab_restart(router, lab):
    router.state["flash"]["notes.txt"] = "x\n"
    again = IosRouter(router_facts(), lab, json.loads(json.dumps(router.state)))
    assert again.state["running"] == running(router)
    assert again.read_file("flash:/notes.txt") == b"x\n"


def test_rendering_is_stable(router, cli):
    cli.run("configure terminal", "banner motd ^CLab only^C", "interface Loopback0",
            "ip address 10.255.0.1 255.255.255.255", "archive", "log config", "logging enable", "end")
    config = router.running_config()
    assert Config.parse(config.render(), router.interfaces)[0].render() == config.render()


def test_the_ports_follow_the_model(lab):
    other = IosRouter(Facts(host="r2", platform="cisco_ios", device_class="router", address="10.23.13.1",
                            model="Cisco ISR 4331"), lab)
    assert re.findall(r"^interface (\S+)$", other.state["running"], re.M) == ["GigabitEthernet0/0/0",
                                                                            "GigabitEthernet0/0/1"]
    assert "ip route 0.0.0.0 0.0.0.0 10.23.13.254\n" in other.state["running"]    # .1 is the router itself
    assert "enable secret" not in other.state["running"]
    assert other.interfaces.resolve("vlan1") is None and other.interfaces.resolve("lo5") == "Loopback5"


# =========================================================================================
# Sessions, privilege, prompts
# =========================================================================================

def test_login_lands_in_user_exec_and_enable_asks_for_the_secret(router):
    session = Session(router)
    assert session.prompt == f"{HOST}>"
    assert session.run("enable") == ""
    assert session.prompt == "Password: " and session.shell.echo is False
    assert session.run(SECRET) == ""
    assert session.prompt == f"{HOST}#" and session.shell.echo is True
    session.run("disable")
    assert session.prompt == f"{HOST}>"


def test_a_wrong_enable_secret_is_denied(router):
    session = Session(router)
    session.run("enable")
    assert session.run("guess").startswith("% Access denied")
    assert session.prompt == f"{HOST}>"


def test_enable_without_a_secret_configured(router, cli):
    cli.run("configure terminal", "no enable secret", "end")
    assert Session(router).run("enable") == "% No password set\n"


def test_the_enable_secret_follows_the_configuration(router, cli):
    cli.run("configure terminal", "enable secret other-secret", "end")
    assert re.search(r"^enable secret 9 \$9\$", running(router), re.M)
    session = Session(router)
    session.run("enable", "other-secret")
    assert session.prompt.endswith("#")


def test_a_privilege_15_user_lands_in_privileged_exec(router, cli):
    cli.run("configure terminal", "username admin privilege 15 secret admin-pass", "end")
    assert Session(router, "admin").prompt == f"{HOST}#"


def test_privileged_commands_are_invalid_input_in_user_exec(router):
    session = Session(router)
    assert session.run("show running-config") == \
        " " * (len(HOST) + 6) + "^\n% Invalid input detected at '^' marker.\n\n"
    assert session.run("configure terminal").startswith(" " * (len(HOST) + 1) + "^\n")


def test_exit_ends_the_session(cli):
    cli.run("exit")
    assert cli.shell.closed


def test_the_greeting_shows_the_banners(router, cli):
    assert Session(router).shell.greeting() == ""
    cli.run("configure terminal", "banner motd #Authorised access only#", "end")
    assert Session(router).shell.greeting() == "Authorised access only\n"


# =========================================================================================
# The parser
# =========================================================================================

def test_keywords_may_be_abbreviated(cli):
    assert cli.run("sh ip int br") == cli.run("show ip interface brief")
    assert cli.run("sh run").startswith("Building configuration...")
    cli.run("conf t")
    assert cli.prompt == "dong-van-lung-cu-rou(config)#"
    cli.run("int gi0/0/1", "desc to the district")
    assert cli.prompt == "dong-van-lung-cu-rou(config-if)#"
    cli.run("end")
    assert cli.run("wr") == "Building configuration...\n[OK]\n"


def test_invalid_input_puts_the_caret_under_the_word(cli):
    prompt = f"{HOST}#"
    assert cli.run("show ip rout") != cli.run("show ip bogus")
    assert cli.run("show ip bogus") == " " * (len(prompt) + 8) + "^\n% Invalid input detected at '^' marker.\n\n"
    cli.run("configure terminal")
    assert cli.run("hostnmae x") == " " * len("dong-van-lung-cu-rou(config)#") + \
        "^\n% Invalid input detected at '^' marker.\n\n"
    assert cli.run("ip route 10.0.0.0 255.0.0.0 nowhere") == \
        " " * (len("dong-van-lung-cu-rou(config)#") + 28) + "^\n% Invalid input detected at '^' marker.\n\n"


def test_incomplete_and_ambiguous_commands(cli):
    assert cli.run("show") == "% Incomplete command.\n\n"
    assert cli.run("d flash:") == '% Ambiguous command:  "d flash:"\n'
    cli.run("configure terminal")
    assert cli.run("ip route 10.0.0.0") == "% Incomplete command.\n\n"


def test_an_unknown_first_word_in_exec_is_taken_for_a_host_name(cli):
    assert cli.run("hostname x") == ('Translating "hostname"\n'
                                     "% Unknown command or computer name, or unable to find computer address\n")


def test_output_filters(cli):
    assert cli.run("show running-config | include ip scp") == "ip scp server enable\n"
    assert cli.run("show run | i ^ntp") == "ntp server 10.23.0.10\n"
    assert cli.run("show running-config | section line vty") == "line vty 0 4\n login local\n transport input ssh\n"
    assert cli.run("show running-config | section archive") == "archive\n path flash:archive\n maximum 5\n"
    assert cli.run("show ip interface brief | exclude unassigned").splitlines()[1].startswith("GigabitEthernet0/0/0")
    assert cli.run("show running-config | begin ^line").startswith("line con 0\n")
    assert cli.run("show running-config | count ^interface") == "Number of lines which match regexp = 7\n"
    assert "^\n% Invalid input" in cli.run("show version | grep x")
    assert cli.run("| include x") == " " * len(f"{HOST}#") + "^\n% Invalid input detected at '^' marker.\n\n"


# =========================================================================================
# Configuration mode
# =========================================================================================

def test_configuration_prompts(cli):
    cli.run("configure terminal")
    assert cli.prompt == "dong-van-lung-cu-rou(config)#"   # IOS cuts the hostname at 20 characters
    cli.run("interface GigabitEthernet0/0/1")
    assert cli.prompt.endswith("(config-if)#")
    cli.run("line vty 0 4")
    assert cli.prompt.endswith("(config-line)#")
    cli.run("archive")
    assert cli.prompt.endswith("(config-archive)#")
    cli.run("log config")
    assert cli.prompt.endswith("(config-archive-log-cfg)#")
    cli.run("exit")
    assert cli.prompt.endswith("(config-archive)#")
    cli.run("exit", "exit")
    assert cli.prompt == f"{HOST}#"


def test_configure_asks_where_from(cli):
    cli.run("configure")
    assert cli.prompt == "Configuring from terminal, memory, or network [terminal]? "
    assert cli.run("") == "Enter configuration commands, one per line.  End with CNTL/Z.\n"
    assert cli.prompt.endswith("(config)#")


def test_lines_are_stored_as_ios_shows_them(router, cli):
    cli.run("configure terminal",
            "int gi0/0/1", "descr Link to the district", "ip add 10.23.99.1 255.255.255.252", "no shut",
            "interface loopback 0", "interface loopback0", "ip address 10.255.0.1 255.255.255.255",
            "exit",
            "ip route 10.24.0.0 255.255.0.0 10.23.99.2",
            "ntp server 10.23.0.11 prefer",
            "logging host 10.23.0.20", "logging trap informational",
            "snmp-server location Lung Cu", "snmp-server community lab RO",
            "service tcp-keepalives-in",
            "username operator privilege 15 secret operator-pass",
            "clock timezone UTC 0 0",
            "ip host mcu 10.23.12.2",
            "end")
    text = running(router)
    assert "interface Loopback0\n ip address 10.255.0.1 255.255.255.255\n!\ninterface GigabitEthernet0/0/0" in text
    assert ("interface GigabitEthernet0/0/1\n description Link to the district\n"
            " ip address 10.23.99.1 255.255.255.252\n negotiation auto\n!") in text
    assert "ip route 0.0.0.0 0.0.0.0 10.23.12.1\nip route 10.24.0.0 255.255.0.0 10.23.99.2\n" in text
    assert "ntp server 10.23.0.10\nntp server 10.23.0.11 prefer\n" in text
    assert "logging trap informational\nlogging host 10.23.0.20\n" in text
    assert "snmp-server community lab RO\nsnmp-server location Lung Cu\n" in text
    assert "service tcp-keepalives-in\n" in text and "clock timezone UTC 0 0\n" in text
    assert "ip host mcu 10.23.12.2\n" in text
    assert re.search(r"^username operator privilege 15 secret 9 \$9\$\S+$", text, re.M)
    assert "operator-pass" not in text
    assert router.state["last_change"]["by"] == "gbtt"
    assert cli.run("show running-config").splitlines()[4].startswith("! Last configuration change at ")


def test_a_new_value_replaces_the_old_one(router, cli):
    cli.run("configure terminal", "hostname lab-r1", "logging buffered 4096", "ntp server 10.23.0.10 prefer", "end")
    text = running(router)
    assert "hostname lab-r1\n" in text and HOST not in text
    assert "logging buffered 4096\n" in text and "51200" not in text
    assert text.count("ntp server 10.23.0.10") == 1
    assert cli.prompt == "lab-r1#"


def test_no_forms(router, cli):
    cli.run("configure terminal", "no ntp server 10.23.0.10", "no ip domain lookup", "ip domain lookup",
            "ip http server", "interface GigabitEthernet0/0/0", "no ip address", "no description", "shutdown", "end")
    text = running(router)
    assert "ntp server" not in text
    assert "ip domain lookup" not in text                      # the default shows as nothing
    assert "ip http server\n" in text and "no ip http server" not in text
    assert "interface GigabitEthernet0/0/0\n no ip address\n shutdown\n negotiation auto\n" in text
    cli.run("configure terminal", "no ip http server", "no interface Loopback7", "end")
    assert "no ip http server\n" in running(router)


def test_physical_interfaces_cannot_be_removed_but_virtual_ones_can(router, cli):
    cli.run("configure terminal")
    assert cli.run("no interface GigabitEthernet0/0/1") == "% Removal of physical interfaces is not permitted\n"
    assert cli.run("interface GigabitEthernet0/0/9").startswith(" " * len("dong-van-lung-cu-rou(config)#interface "))
    cli.run("interface Tunnel5", "tunnel destination 10.24.0.1", "exit")
    assert "interface Tunnel5\n no ip address\n tunnel destination 10.24.0.1\n" in running(router)
    cli.run("no interface Tunnel5")
    assert "Tunnel5" not in running(router)


def test_values_ios_refuses(cli):
    cli.run("configure terminal")
    assert cli.run("hostname bad_name") == "% Hostname contains one or more illegal characters.\n"
    cli.run("interface GigabitEthernet0/0/1")
    assert cli.run("ip address 10.23.99.0 255.255.255.0") == "Bad mask /24 for address 10.23.99.0\n"
    assert "^\n% Invalid input" in cli.run("ip address 10.23.99.1 255.0.255.0")
    cli.run("exit", "interface GigabitEthernet0/1/0")                 # a switch port: no ip address
    assert "^\n% Invalid input" in cli.run("ip address 10.23.99.1 255.255.255.0")
    assert cli.run("switchport access vlan 20") == ""


def test_a_submode_falls_back_to_global_configuration(router, cli):
    cli.run("configure terminal", "interface GigabitEthernet0/0/1")
    assert cli.run("ntp server 10.23.0.12") == ""
    assert cli.prompt.endswith("(config)#")
    cli.run("interface GigabitEthernet0/0/1", "line vty 0 4")
    assert cli.prompt.endswith("(config-line)#")
    assert "ntp server 10.23.0.12\n" in running(router)


def test_do_runs_exec_commands_in_configuration_mode(cli):
    cli.run("configure terminal")
    assert cli.run("do show running-config | include ^hostname") == f"hostname {HOST}\n"
    assert "^\n% Invalid input" in cli.run("show running-config")


def test_ctrl_z_ends_configuration_mode(cli):
    cli.run("configure terminal", "interface GigabitEthernet0/0/1", "description x\x1a")
    assert cli.prompt == f"{HOST}#"


def test_banners_on_one_line_or_many(router, cli):
    cli.run("configure terminal")
    assert cli.run("banner login %") == "Enter TEXT message.  End with the character '%'.\n"
    assert cli.prompt == ""
    cli.run("Lab router", "Hà Giang%")
    assert cli.prompt.endswith("(config)#")
    cli.run("banner exec ^CWelcome^C", "end")
    assert "banner exec ^CWelcome^C\nbanner login ^C\nLab router\nHà Giang^C\n" in running(router)


# =========================================================================================
# QoS, access lists, AAA, SNMP and syslog
# =========================================================================================

def section(text: str, header: str) -> str:
    """A top-level block of a running configuration: its header and indented lines."""
    lines = text.splitlines()
    start = lines.index(header)
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def test_class_maps_and_policy_maps_are_stored_as_ios_shows_them(router, cli):
    cli.run("configure terminal", "class-map match-any VIDEO")
    assert cli.prompt.endswith("(config-cmap)#")
    cli.run("match dscp 34 af42", "class-map VOICE", "match ip dscp 46", "exit", "policy-map VIDEO-QOS")
    assert cli.prompt.endswith("(config-pmap)#")
    cli.run("class class-default")
    assert cli.prompt.endswith("(config-pmap-c)#")
    cli.run("fair-queue", "class VOICE", "priority percent 10", "class VIDEO", "bandwidth percent 80",
            "set dscp af41", "exit", "exit",
            "policy-map WAN-OUT", "class class-default", "shape average 2048000", "service-policy VIDEO-QOS", "end")
    text = running(router)
    assert ("!\nclass-map match-any VIDEO\n match dscp af41 af42\nclass-map match-all VOICE\n match ip dscp ef\n!\n"
            "policy-map VIDEO-QOS\n class VOICE\n  priority percent 10\n class VIDEO\n  bandwidth percent 80\n"
            "  set dscp af41\n class class-default\n  fair-queue\n"            # class-default stays last
            "policy-map WAN-OUT\n class class-default\n  shape average 2048000\n  service-policy VIDEO-QOS\n!\n"
            "interface GigabitEthernet0/0/0\n") in text
    assert Config.parse(text, router.interfaces)[0].render() == text


def test_an_interface_takes_a_service_policy(router, cli):
    cli.run("configure terminal", "class-map match-any VOICE", "match dscp ef", "policy-map WAN-OUT", "class VOICE",
            "priority percent 10", "exit", "exit", "interface GigabitEthernet0/0/1", "bandwidth 2048")
    assert cli.run("service-policy output NO-SUCH-POLICY") == "policy map NO-SUCH-POLICY not configured\n"
    cli.run("service-policy output WAN-OUT", "end")
    assert ("interface GigabitEthernet0/0/1\n bandwidth 2048\n no ip address\n shutdown\n negotiation auto\n"
            " service-policy output WAN-OUT\n!\n") in running(router)


def test_qos_names_must_exist_and_stay_while_used(router, cli):
    cli.run("configure terminal", "class-map match-any VIDEO", "match dscp af41", "policy-map P")
    assert cli.run("class NO-SUCH-CLASS") == "% class-map NO-SUCH-CLASS not configured\n"
    assert cli.prompt.endswith("(config-pmap)#")
    cli.run("class VIDEO", "bandwidth percent 50", "exit", "exit", "interface GigabitEthernet0/0/1",
            "service-policy output P", "exit")
    assert cli.run("no class-map VIDEO") == "% Class-map VIDEO is being used\n"
    assert cli.run("no policy-map P") == "% Policy map P is being used\n"
    assert cli.run("class-map match-all VIDEO") == "% class-map match-any VIDEO already exists\n"
    cli.run("interface GigabitEthernet0/0/1", "no service-policy output P", "exit", "no policy-map P",
            "no class-map VIDEO", "end")
    text = running(router)
    assert "class-map" not in text and "policy-map" not in text and "service-policy" not in text


def test_a_child_policy_map_made_after_its_parent_survives_a_reparse(router, cli):
    cli.run("configure terminal", "policy-map WAN-OUT", "class class-default", "shape average 2048000", "exit",
            "exit", "policy-map CHILD", "class class-default", "fair-queue", "exit", "exit",
            "policy-map WAN-OUT", "class class-default", "service-policy CHILD", "end")
    text = running(router)
    assert "policy-map WAN-OUT\n class class-default\n  shape average 2048000\n  service-policy CHILD\n" \
           "policy-map CHILD\n" in text
    assert Config.parse(text, router.interfaces)[1] == []


def test_priority_and_bandwidth_of_a_policy_map(cli):
    cli.run("configure terminal", "class-map match-any VIDEO", "match dscp af41", "class-map match-any VOICE",
            "match dscp ef", "policy-map P", "class VOICE", "priority percent 30")
    assert cli.run("bandwidth percent 10") == "% Cannot configure bandwidth and priority in the same class\n"
    cli.run("class VIDEO")
    assert cli.run("bandwidth percent 80") == "% Sum total of class bandwidths exceeds 100 percent\n"
    assert cli.run("bandwidth percent 70") == ""
    assert cli.run("bandwidth percent 60") == ""          # replaces the 70
    assert "^\n% Invalid input" in cli.run("bandwidth percent 101")


def test_access_lists_number_their_entries(router, cli):
    cli.run("configure terminal", "ip access-list standard MGMT")
    assert cli.prompt.endswith("(config-std-nacl)#")
    cli.run("remark province management", "permit 10.23.5.7 0.0.255.255", "permit host 10.1.1.1",
            "permit 10.2.2.2 0.0.0.0", "permit 10.23.0.0 0.0.255.255", "15 permit 10.9.9.0 0.0.0.255",
            "deny any log")
    assert cli.run("15 permit any") == "% Duplicate sequence number\n"
    cli.run("no 40", "no permit host 10.1.1.1", "exit", "ip access-list extended EDGE")
    assert cli.prompt.endswith("(config-ext-nacl)#")
    cli.run("permit tcp 10.23.0.0 0.0.255.255 any eq 22", "permit udp any host 10.23.0.10 eq 123",
            "permit tcp any eq 80 10.0.0.5 0.0.0.0 range 1000 2000 established", "permit udp any any eq 514",
            "permit 47 any any", "deny ip any any log", "end")
    text = running(router)
    assert ("ip scp server enable\n!\n"
            "ip access-list standard MGMT\n 10 remark province management\n 15 permit 10.9.9.0 0.0.0.255\n"
            " 20 permit 10.23.0.0 0.0.255.255\n 50 deny any log\n!\n"       # host bits cleared, duplicate ignored
            "ip access-list extended EDGE\n 10 permit tcp 10.23.0.0 0.0.255.255 any eq 22\n"
            " 20 permit udp any host 10.23.0.10 eq ntp\n"
            " 30 permit tcp any eq www host 10.0.0.5 range 1000 2000 established\n"
            " 40 permit udp any any eq syslog\n 50 permit gre any any\n 60 deny ip any any log\n!\n") in text
    assert Config.parse(text, router.interfaces)[0].render() == text


def test_access_list_typos_are_refused(cli):
    cli.run("configure terminal", "ip access-list extended EDGE")
    assert "^\n% Invalid input" in cli.run("permit tcp any any eq 70000")
    assert "^\n% Invalid input" in cli.run("permit ip any")
    assert "^\n% Invalid input" in cli.run("permit ip 10.0.0.0 any")       # an extended list wants a wildcard
    cli.run("exit", "ip access-list standard MGMT")
    assert "^\n% Invalid input" in cli.run("permit tcp any any")


def test_vty_access_class_and_snmp_community_name_an_access_list(router, cli):
    cli.run("configure terminal", "ip access-list standard MGMT", "permit 10.23.0.0 0.0.255.255", "exit",
            "line vty 0 4", "access-class MGMT in", "access-class MGMT2 in", "exit",
            "snmp-server community s3cret MGMT", "snmp-server location xin-man-ubnd",
            "snmp-server contact ICT Center", "logging trap informational", "logging host 10.23.0.10",
            "ip route 10.23.0.0 255.255.0.0 10.23.12.1 name province-core", "end")
    text = running(router)
    assert "line vty 0 4\n access-class MGMT2 in\n login local\n transport input ssh\n" in text
    assert ("ip access-list standard MGMT\n 10 permit 10.23.0.0 0.0.255.255\n!\n"
            "logging trap informational\nlogging host 10.23.0.10\n!\n"
            "snmp-server community s3cret RO MGMT\nsnmp-server location xin-man-ubnd\n"
            "snmp-server contact ICT Center\n!\n") in text
    assert "ip route 10.23.0.0 255.255.0.0 10.23.12.1 name province-core\n" in text


def test_aaa_needs_new_model(router, cli):
    cli.run("configure terminal")
    assert "^\n% Invalid input" in cli.run("aaa authentication login default local")
    cli.run("aaa new-model", "aaa authentication login default local", "aaa authorization exec default local",
            "aaa authentication login CONSOLE group tacacs+ local", "end")
    assert ("!\naaa new-model\naaa authentication login default local\n"
            "aaa authentication login CONSOLE group tacacs+ local\naaa authorization exec default local\n"
            "aaa session-id common\nclock timezone ICT 7 0\n") in running(router)   # IOS adds the session id
    cli.run("configure terminal", "no aaa new-model", "end")
    assert "!\nno aaa new-model\nclock timezone ICT 7 0\n" in running(router)


ROUTER_CONFIG = """\
version 17.9
!
hostname r1
!
enable secret 9 {enable}
!
aaa new-model
aaa authentication login default local
aaa authorization exec default local
aaa session-id common
!
username gbtt privilege 15 secret 9 {login}
!
archive
 path flash:archive
!
class-map match-any VIDEO
 match dscp af41
class-map match-any VOICE
 match dscp ef
!
policy-map VIDEO-QOS
 class VOICE
  priority percent 10
 class VIDEO
  bandwidth percent 80
 class class-default
  fair-queue
policy-map WAN-OUT
 class class-default
  shape average 2048000
  service-policy VIDEO-QOS
!
interface GigabitEthernet0/0/0
 ip address 10.23.12.13 255.255.255.0
 negotiation auto
!
interface GigabitEthernet0/0/1
 description WAN viettel-hg circuit to fill in
 bandwidth 2048
 no ip address
 negotiation auto
 service-policy output WAN-OUT
!
interface GigabitEthernet0/1/0
!
interface GigabitEthernet0/1/1
!
interface GigabitEthernet0/1/2
!
interface GigabitEthernet0/1/3
!
ip route 10.23.0.0 255.255.0.0 10.23.12.1 name province-core
ip ssh version 2
ip scp server enable
!
ip access-list standard MGMT
 10 permit 10.23.0.0 0.0.255.255
!
logging trap informational
logging host 10.23.0.10
!
snmp-server community s3cret RO MGMT
!
line vty 0 4
 access-class MGMT in
 transport input ssh
!
ntp server 10.23.0.10
!
end
"""


def test_a_router_configuration_with_qos_and_access_lists_replaces_and_compares_clean(router, cli):
    text = ROUTER_CONFIG.format(enable=type9(SECRET), login=type9("lab-login"))
    router.write_file("candidate_config.txt", text.encode())
    assert cli.run("configure replace flash:candidate_config.txt force") == REPLACED
    assert running(router) == "!\n" + text
    assert cli.run(COMPARE) == "!Contextual Config Diffs:\n!No changes were found\n"
    broken = text.replace(" class VIDEO\n", " class VIDEOS\n")           # a class map that does not exist
    router.write_file("candidate_config.txt", broken.encode())
    out = cli.run("configure replace flash:candidate_config.txt force")
    assert "class VIDEOS\n% class-map VIDEOS not configured\n" in out and "replace failed" in out
    assert running(router) == "!\n" + text


# =========================================================================================
# Saving and files
# =========================================================================================

def test_write_memory_saves_to_startup(router, cli):
    cli.run("configure terminal", "hostname lab-r1", "end")
    assert router.state["startup"] != running(router)
    assert cli.run("write memory") == "Building configuration...\n[OK]\n"
    assert router.state["startup"] == running(router)
    startup = cli.run("show startup-config")
    assert re.match(r"Using \d+ out of 33554432 bytes\n!\n! NVRAM config last updated at .* by gbtt\n!\nversion",
                    startup)


def test_copy_running_startup_asks_unless_file_prompt_quiet(router, cli):
    cli.run("configure terminal", "hostname lab-r1", "end")
    assert cli.run("copy running-config startup-config") == ""
    assert cli.prompt == "Destination filename [startup-config]? "
    assert cli.run("") == "Building configuration...\n[OK]\n"
    assert router.state["startup"] == running(router)
    cli.run("copy running-config flash:backup.cfg", "before-change.cfg")
    assert router.list_files() == {"before-change.cfg": len(router.running_text().encode())}
    cli.run("configure terminal", "file prompt quiet", "end")
    assert cli.run("copy run start") == "Building configuration...\n[OK]\n"


def test_dir_verify_more_delete(router, cli):
    router.write_file("candidate_config.txt", b"hostname x\n")
    listing = cli.run("dir")
    assert listing.startswith("Directory of flash:/\n\n")
    assert re.search(r"^\s+\d+\s+-rw-\s+11\s+\w{3} [ \d]\d \d{4} \d\d:\d\d:\d\d \+07:00  candidate_config.txt$",
                     listing, re.M)
    assert re.search(r"^(\d+) bytes total \((\d+) bytes free\)$", listing, re.M)
    one = cli.run("dir flash:/candidate_config.txt")
    assert one.startswith("Directory of flash:/candidate_config.txt\n") and one.splitlines()[2].split()[2] == "11"
    assert cli.run("dir flash:/missing.txt") == "%Error opening flash:/missing.txt (No such file or directory)\n"
    md5 = hashlib.md5(b"hostname x\n").hexdigest()
    assert cli.run("verify /md5 flash:/candidate_config.txt").endswith(
        f"Done!\nverify /md5 (flash:/candidate_config.txt) = {md5}\n\n")
    assert cli.run("more flash:/candidate_config.txt") == "hostname x\n"
    cli.run("delete flash:/candidate_config.txt")
    assert cli.prompt == "Delete filename [candidate_config.txt]? "
    cli.run("")
    assert cli.prompt == "Delete flash:/candidate_config.txt? [confirm]"
    cli.run("")
    assert router.list_files() == {}


def test_copy_between_files(router, cli):
    cli.run("configure terminal", "file prompt quiet", "end")
    assert re.fullmatch(r"\d+ bytes copied in [\d.]+ secs \(\d+ bytes/sec\)\n",
                        cli.run("copy running-config flash:/rollback_config.txt"))
    assert router.read_file("rollback_config.txt").decode().endswith(running(router))
    cli.run("copy null: flash:/merge_config.txt")
    assert router.read_file("merge_config.txt") == b""
    cli.run("copy flash:/rollback_config.txt flash:/copy.txt")
    assert router.read_file("copy.txt") == router.read_file("rollback_config.txt")


def test_scp_files_live_in_the_state(router):
    router.write_file("flash:/a.cfg", "hostname a\n".encode())
    router.write_file("image.bin", bytes(range(256)))
    assert router.list_files() == {"a.cfg": 11, "image.bin": 256}
    assert router.read_file("image.bin") == bytes(range(256))
    assert router.state["flash"]["a.cfg"] == "hostname a\n"
    assert router.read_file("running-config").decode().endswith(running(router))
    json.dumps(router.state)
    with pytest.raises(PermissionError):
        router.write_file("nvram:private-config", b"x")


# =========================================================================================
# Show commands
# =========================================================================================

def test_show_version(router, cli):
    out = cli.run("show version")
    assert out.startswith("Cisco IOS XE Software, Version 17.09.05\n"
                          "Cisco IOS Software [Cupertino], ISR Software (")
    assert f"\n{HOST} uptime is 0 minutes\n" in out
    assert "\ncisco ISR1111-4P (1RU) processor with 1518210K/6147K bytes of memory.\n" in out
    assert "\nProcessor board ID FOC1A2B3C4D\n" in out
    router.booted_at -= 2 * 86400 + 3 * 3600 + 60
    assert f"\n{HOST} uptime is 2 days, 3 hours, 1 minute\n" in cli.run("show version")


def test_show_running_config_of_one_interface(cli):
    assert cli.run("show running-config interface gi0/0/1") == (
        "Building configuration...\n\nCurrent configuration : 80 bytes\n!\n"
        "interface GigabitEthernet0/0/1\n no ip address\n shutdown\n negotiation auto\nend\n")
    assert cli.run("show running-config interface Loopback3").endswith(
        "^\n% Invalid input detected at '^' marker.\n\n")


def test_show_ip_interface_brief(cli):
    lines = cli.run("show ip interface brief").splitlines()
    assert lines[0] == "Interface              IP-Address      OK? Method Status                Protocol"
    assert lines[1].split() == ["GigabitEthernet0/0/0", "10.23.12.13", "YES", "NVRAM", "up", "up"]
    assert lines[2].split() == ["GigabitEthernet0/0/1", "unassigned", "YES", "unset",
                                "administratively", "down", "down"]


def test_show_interfaces(cli):
    out = cli.run("show interfaces GigabitEthernet0/0/0")
    assert out.startswith("GigabitEthernet0/0/0 is up, line protocol is up \n  Hardware is ISR-1GE, address is ")
    assert "\n  Description: Uplink\n  Internet address is 10.23.12.13/24\n" \
           "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, \n" in out
    assert cli.run("show interfaces").count(" is ") >= 7


def test_show_ip_route(cli):
    out = cli.run("show ip route")
    assert "\nGateway of last resort is 10.23.12.1 to network 0.0.0.0\n\n" \
           "S*    0.0.0.0/0 [1/0] via 10.23.12.1\n" \
           "      10.0.0.0/8 is variably subnetted, 2 subnets, 2 masks\n" \
           "C        10.23.12.0/24 is directly connected, GigabitEthernet0/0/0\n" \
           "L        10.23.12.13/32 is directly connected, GigabitEthernet0/0/0\n" in out
    cli.run("configure terminal", "ip route 172.16.0.0 255.255.0.0 10.99.0.1", "end")  # next hop unreachable
    assert "172.16" not in cli.run("show ip route")
    cli.run("configure terminal", "interface GigabitEthernet0/0/0", "shutdown", "end")
    assert cli.run("show ip route").endswith("Gateway of last resort is not set\n\n")


def test_show_hosts_ntp_and_clock(cli):
    hosts = cli.run("show hosts")
    assert hosts.startswith("Default domain is gbtt.lab\nName/address lookup uses static mappings\n")
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} ICT \w{3} \w{3} \d{1,2} \d{4}\n", cli.run("show clock"))
    assert cli.run("show ntp status").startswith("Clock is synchronized, stratum 3, reference is 10.23.0.10\n")
    assert "\n*~10.23.0.10      .GPS.            1     12     64   377  1.000   0.500  0.120\n" in \
        cli.run("show ntp associations")
    cli.run("configure terminal", "no ntp server 10.23.0.10", "end")
    assert cli.run("show ntp status") == "%NTP is not enabled.\n"
    assert cli.run("show clock").startswith("*")


# =========================================================================================
# ping
# =========================================================================================

def test_ping_a_lab_device(cli):
    assert cli.run("ping 10.23.12.133") == (
        "Type escape sequence to abort.\n"
        "Sending 5, 100-byte ICMP Echos to 10.23.12.133, timeout is 2 seconds:\n"
        "!!!!!\n"
        "Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms\n")


def test_ping_anything_else_fails(cli):
    out = cli.run("ping 8.8.8.8 timeout 1 size 200 repeat 3")
    assert "Sending 3, 200-byte ICMP Echos to 8.8.8.8, timeout is 1 seconds:\n" \
           "...\nSuccess rate is 0 percent (0/3)\n" in out


def test_ping_needs_a_route(cli):
    cli.run("configure terminal", "no ip route 0.0.0.0 0.0.0.0 10.23.12.1", "end")
    assert cli.run("ping 10.23.13.2").endswith("Success rate is 0 percent (0/5)\n")
    assert "!!!!!" in cli.run("ping 10.23.12.133 source GigabitEthernet0/0/0")


def test_ping_names_and_bad_options(cli):
    assert cli.run("ping nowhere") == "% Unrecognized host or address, or protocol not running.\n\n"
    cli.run("configure terminal", "ip host codec 10.23.12.133", "end")
    assert "!!!!!" in cli.run("ping codec")
    assert "^\n% Invalid input" in cli.run("ping 10.23.12.133 loudly 3")
    assert cli.run("ping 10.23.12.133 source Loopback0") == \
        "% Invalid source address- IP address not on any of our up interfaces\n"


# =========================================================================================
# Compare, replace, Rollback Confirmed Change
# =========================================================================================

SMALLER_BUFFER = ("logging buffered 51200 warnings", "logging buffered 5000")
NEW_NAME = ("hostname " + HOST, "hostname lab-r1")
COMPARE = "show archive config differences system:/running-config flash:/candidate_config.txt"   # as NAPALM sends it
REPLACED = "Total number of passes: 1\nRollback Done\n"


def candidate(router: IosRouter, *changes: tuple[str, str]) -> str:
    """The running configuration with some changes."""
    text = running(router)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


def stage(router: IosRouter, *changes: tuple[str, str]) -> str:
    """Copy a candidate to flash:candidate_config.txt, as NAPALM's SCP does."""
    text = candidate(router, *changes)
    router.write_file("candidate_config.txt", text.encode())
    return text


def test_show_archive_config_differences(router, cli):
    stage(router, SMALLER_BUFFER, (" description Uplink\n", " description Uplink VNPT\n"), ("ntp server 10.23.0.10\n", ""))
    out = cli.run(COMPARE)
    assert out == ("!Contextual Config Diffs:\n"
                   "+logging buffered 5000\n"
                   "interface GigabitEthernet0/0/0\n"
                   " +description Uplink VNPT\n"
                   "-logging buffered 51200 warnings\n"
                   "interface GigabitEthernet0/0/0\n"
                   " -description Uplink\n"
                   "-ntp server 10.23.0.10\n")


def test_a_whole_new_section_is_marked_line_by_line(router):
    old = router.running_config()
    new = old.copy()
    new.load("interface Loopback1\n ip address 10.255.0.2 255.255.255.255\n")
    assert contextual_diff(old, new) == ("!Contextual Config Diffs:\n"
                                         "+interface Loopback1\n"
                                         " +ip address 10.255.0.2 255.255.255.255\n")


def test_no_difference(router, cli):
    router.write_file("flash:/candidate_config.txt", running(router).encode())
    assert cli.run("show archive config differences system:running-config flash:candidate_config.txt") == \
        "!Contextual Config Diffs:\n!No changes were found\n"
    assert cli.run("show archive config differences") == "!Contextual Config Diffs:\n!No changes were found\n"
    assert cli.run("show archive config differences flash:/nothing.txt") == \
        "%Error opening flash:/nothing.txt (No such file or directory)\n"


def test_napalm_normalizes_the_diff(router, cli):
    normalize = pytest.importorskip("napalm.ios.ios").IOSDriver("lab", "gbtt", "x")._normalize_compare_config
    cli.run("configure terminal", "file prompt quiet", "end")
    stage(router, ("file prompt quiet\n", ""), NEW_NAME)
    assert normalize(cli.run(COMPARE)).strip() == f"+hostname lab-r1\n-hostname {HOST}"
    stage(router)
    assert normalize(cli.run(COMPARE)) == ""


def test_configure_replace(router, cli):
    new = stage(router, NEW_NAME, ("ntp server 10.23.0.10", "ntp server 10.23.0.11"))
    assert cli.run("configure replace flash:/candidate_config.txt force") == REPLACED
    assert running(router) == new
    assert cli.prompt == "lab-r1#"


def test_configure_replace_asks_without_force(router, cli):
    stage(router, NEW_NAME)
    cli.run("configure replace flash:/candidate_config.txt")
    assert cli.prompt.endswith("Enter Y if you are sure you want to proceed. ? [no]: ")
    cli.run("n")
    assert router.hostname() == HOST
    cli.run("configure replace flash:/candidate_config.txt", "y")
    assert router.hostname() == "lab-r1"


def test_a_replace_with_a_typo_fails_and_changes_nothing(router, cli):
    before = running(router)
    stage(router, NEW_NAME, ("ip scp server enable\n", "ip scp server enable\nhostnmae oops\n"))
    out = cli.run("configure replace flash:/candidate_config.txt force revert trigger error")
    assert out == ("The following lines of flash:/candidate_config.txt could not be applied:\n"
                   "hostnmae oops\n"
                   "^\n"
                   "% Invalid input detected at '^' marker.\n"
                   "%Configuration replace failed: no command was applied.\n"
                   "The original configuration has been successfully restored.\n")
    assert running(router) == before


def test_a_replace_keeps_physical_interfaces_and_the_version(router, cli):
    router.write_file("candidate_config.txt", b"hostname bare\ninterface GigabitEthernet0/0/0\n"
                                              b" ip address 10.23.12.13 255.255.255.0\nend\n")
    cli.run("configure replace flash:/candidate_config.txt force")
    text = running(router)
    assert text.startswith("!\nversion 17.9\n!\nhostname bare\n")
    assert "interface GigabitEthernet0/0/1\n no ip address\n negotiation auto\n" in text
    assert "ntp server" not in text and "ip route" not in text


def test_a_replace_with_a_revert_timer_reverts_unless_confirmed(router, cli, lab):
    before = running(router)
    stage(router, SMALLER_BUFFER)
    out = cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 2")
    assert out == REPLACED
    assert "logging buffered 5000\n" in running(router)
    timer = cli.run("show archive config rollback timer")
    assert re.fullmatch(r"Time configured \(or reset\): .*\nTimer type: .*\nTimer value: 2 min\nUser: gbtt\n", timer)
    lab.advance(119)
    assert "logging buffered 5000\n" in running(router)
    lab.advance(1)
    assert running(router) == before
    assert cli.run("show archive config rollback timer") == "%No Rollback Confirmed Change pending\n"
    assert ("dong-van-lung-cu-router", "revert",
            "configuration change not confirmed within 2 min: reverted") in lab.entries


def test_configure_confirm_keeps_the_change(router, cli, lab):
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 1")
    assert cli.run("configure confirm") == ""
    lab.fire_all()
    assert "logging buffered 5000\n" in running(router)
    assert cli.run("configure confirm") == "%No Rollback Confirmed Change pending\n"


def test_configure_revert_now_and_timer(router, cli, lab):
    before = running(router)
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force time 1")
    assert cli.run("configure revert timer 10") == ""
    lab.advance(60 * 9)
    assert running(router) != before
    assert cli.run("configure revert now") == ""
    assert running(router) == before
    assert cli.run("configure revert now") == "%No Rollback Confirmed Change pending\n"


def test_configure_terminal_with_a_revert_timer(router, cli, lab):
    before = running(router)
    cli.run("configure terminal revert timer 1", "hostname lab-r1", "end")
    assert router.hostname() == "lab-r1"
    lab.advance(60)
    assert running(router) == before


def test_the_revert_timer_needs_the_archive(router, cli):
    cli.run("configure terminal", "no archive", "end")
    router.write_file("candidate_config.txt", running(router).encode())
    assert cli.run("show archive") == " Archive feature not enabled\n"
    assert cli.run("configure replace flash:/candidate_config.txt force revert trigger error") == \
        "%Please turn config archive on before using Rollback Confirmed Change.\n"
    assert cli.run("configure replace flash:/candidate_config.txt force") == REPLACED


def test_expire_fires_the_revert_now(router, cli):
    before = running(router)
    assert router.expire_timers() == []
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 120")
    assert router.expire_timers() == ["revert timer (120 min): running configuration reverted"]
    assert running(router) == before


def test_a_pending_revert_survives_a_lab_restart(router, cli, lab):
    before = running(router)
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 5")
    lab.timers.clear()                                    # the lab stopped
    again = IosRouter(router_facts(), lab, json.loads(json.dumps(router.state)))
    lab.advance(5 * 60)
    assert again.state["running"] == before


def test_reboot_loses_what_was_not_saved_and_a_pending_revert(router, cli, lab):
    saved = running(router)
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 5", "configure terminal",
            "hostname lab-r1", "end")
    router.reboot()
    assert running(router) == saved
    assert router.state["revert"] is None and all(t.cancelled for t in lab.timers)
    assert router.read_file("candidate_config.txt") is not None     # flash keeps its files


def test_show_archive_and_archive_config(router, cli):
    assert cli.run("archive config") == ""
    out = cli.run("show archive")
    assert out.startswith("The maximum archive configurations allowed is 5.\n"
                          "There are currently 1 archive configurations saved.\n"
                          "The next archive file will be named flash:archive-<timestamp>-1\n"
                          " Archive #  Name\n")
    assert re.search(r"^   1        flash:archive-\w{3}-[-\d]\d-\d\d-\d\d-\d\d\.\d{3}-0 <- Most Recent$", out, re.M)
    assert len(router.list_files()) == 1


def test_merge_a_file_into_the_running_configuration(router, cli):
    cli.run("configure terminal", "file prompt quiet", "end")
    router.write_file("merge_config.txt", b"ntp server 10.23.0.99\ninterface GigabitEthernet0/0/0\n description Uplink\n"
                                          b" load-interval 30\nntp server 10.23.0.10\n")
    assert cli.run("show archive config incremental-diffs flash:/merge_config.txt ignorecase") == (
        "!List of Commands:\n"
        "ntp server 10.23.0.99\n"
        "interface GigabitEthernet0/0/0\n"
        " load-interval 30\n"
        "end\n")
    assert "bytes copied" in cli.run("copy flash:/merge_config.txt running-config")
    assert "ntp server 10.23.0.99\n" in running(router) and " load-interval 30\n" in running(router)
    assert cli.run("show archive config incremental-diffs flash:/merge_config.txt") == \
        "!List of Commands:\nend\n!No changes were found\n"


# =========================================================================================
# Faults and tclsh
# =========================================================================================

def test_drift(router):
    assert router.drift(["hostname", "someone-else"]) == "running-config: hostname someone-else"
    assert router.hostname() == "someone-else"
    assert router.drift(["interface GigabitEthernet0/0/0", " description changed by hand"]) == \
        "running-config: interface GigabitEthernet0/0/0; description changed by hand"
    assert " description changed by hand\n" in running(router)
    assert router.state["startup"] != running(router)
    with pytest.raises(ValueError, match="hostnmae"):
        router.drift(["hostnmae", "x"])


# -- health faults (the maintenance checks) --------------------------------------------------

MCU_ADDRESS = "10.23.12.2"


class FakeMcu:
    def __init__(self, host: str, address: str):
        self.facts = Facts(host=host, platform="cisco_cms", device_class="mcu", address=address)


@pytest.fixture
def site(lab, router):
    """The system's MCU beyond the line, and the router's own codec (its endpoint's name) on the LAN."""
    lab.devices["dong-van-mcu"] = FakeMcu("dong-van-mcu", MCU_ADDRESS)
    lab.devices["dong-van-lung-cu-codec"].facts.name = router.facts.name
    return lab


def echo_marks(out: str) -> str:
    return "".join(line for line in out.splitlines() if set(line) <= {"!", "."} and line)


def test_line_fault_loses_and_delays_echoes_beyond_the_site(router, cli, site):
    assert cli.run(f"ping {MCU_ADDRESS} repeat 20").endswith(
        "Success rate is 100 percent (20/20), round-trip min/avg/max = 1/1/2 ms\n")
    assert router.drift(["line", "loss", "10", "latency", "180"]) == \
        "line: 10 % loss, 180 ms latency beyond the site"
    out = cli.run(f"ping {MCU_ADDRESS} repeat 20")
    assert echo_marks(out).count(".") == 2 and len(echo_marks(out)) == 20
    found = re.search(r"Success rate is 90 percent \(18/20\), round-trip min/avg/max = (\d+)/(\d+)/(\d+) ms\n$", out)
    low, average, high = map(int, found.groups())
    assert 162 <= low <= average <= high <= 198 and 170 <= average <= 190
    assert cli.run(f"ping {MCU_ADDRESS} repeat 20") == out                    # the same ping, the same answer
    assert "Success rate is 80 percent (4/5)" in cli.run(f"ping {MCU_ADDRESS}")   # 10 % of 5, rounded up
    assert echo_marks(cli.run(f"ping {MCU_ADDRESS} repeat 100")).count(".") == 10
    for local in ("10.23.12.133", ADDRESS):                                    # its codec, itself: no line
        assert cli.run(f"ping {local} repeat 20").endswith("(20/20), round-trip min/avg/max = 1/1/2 ms\n")
    assert cli.run("ping 8.8.8.8").endswith("Success rate is 0 percent (0/5)\n")
    router.drift(["line", "clear"])
    assert cli.run(f"ping {MCU_ADDRESS}").endswith("(5/5), round-trip min/avg/max = 1/1/2 ms\n")


def test_an_echo_slower_than_the_timeout_is_lost(router, cli, site):
    router.drift(["line", "latency", "2500"])
    assert cli.run(f"ping {MCU_ADDRESS} timeout 2").endswith("\n.....\nSuccess rate is 0 percent (0/5)\n")
    out = cli.run(f"ping {MCU_ADDRESS} timeout 3")
    assert "\n!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 2" in out


def test_napalm_reads_the_lossy_line(napalm, router, site):
    router.drift(["line", "loss", "10", "latency", "180"])
    result = napalm.ping(MCU_ADDRESS, count=20)["success"]
    assert (result["probes_sent"], result["packet_loss"]) == (20, 2)
    assert 170 <= result["rtt_avg"] <= 190


def test_errors_fault_sets_the_uplink_counters(router, cli):
    assert router.drift(["errors", "crc", "1200", "input", "1500", "drops", "300"]) == \
        "errors: GigabitEthernet0/0/0 counters crc 1200, input 1500, drops 300"
    uplink = cli.run("show interfaces GigabitEthernet0/0/0")
    assert "  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: 300\n" in uplink
    assert "\n     1500 input errors, 1200 CRC, 300 frame, 0 overrun, 0 ignored\n" in uplink
    assert "\n     0 output errors, 0 collisions, 0 interface resets\n" in uplink
    spare = cli.run("show interfaces GigabitEthernet0/0/1")
    assert "\n     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n" in spare and "output drops: 0\n" in spare
    router.drift(["errors", "crc", "7", "output", "2", "packets", "5000000"])    # input errors count CRC errors
    uplink = cli.run("show interfaces GigabitEthernet0/0/0")
    assert "\n     7 input errors, 7 CRC, 0 frame," in uplink and "\n     2 output errors," in uplink
    packets = int(re.search(r"(\d+) packets input", uplink).group(1))
    assert 5_000_000 <= packets < 5_001_000 and "Total output drops: 0\n" in uplink
    router.drift(["errors", "clear"])
    assert "\n     0 input errors, 0 CRC, 0 frame," in cli.run("show interfaces GigabitEthernet0/0/0")


def test_ntp_fault_unsynchronises_the_clock(router, cli):
    assert router.drift(["ntp", "unsynced"]) == "ntp: unsynchronised (no server answers)"
    status = cli.run("show ntp status")
    assert status.startswith("Clock is unsynchronized, stratum 16, no reference clock\n")
    assert "reference time is 00000000.00000000 (07:00:00.000 ICT Mon Jan 1 1900)\n" in status
    assert status.endswith("system poll interval is 64, never updated.\n")
    assert "\n ~10.23.0.10      .INIT.          16      -     64     0  0.000   0.000 15937.\n" in \
        cli.run("show ntp associations")
    assert cli.run("show clock").startswith("*")
    assert router.drift(["ntp", "server", "10.23.0.12"]).startswith("running-config: ")   # configuration still
    router.drift(["ntp", "synced"])
    assert cli.run("show ntp status").startswith("Clock is synchronized, stratum 3, reference is 10.23.0.10\n")
    assert not cli.run("show clock").startswith("*")


def test_version_fault_runs_another_version(router, cli):
    change = router.state["last_change"]
    assert router.drift(["version", "16.12.04"]) == "version: runs 16.12.04"
    version = cli.run("show version")
    assert version.startswith("Cisco IOS XE Software, Version 16.12.04\nCisco IOS Software [Gibraltar], ISR "
                              "Software (ARMV8EL_LINUX_IOSD-UNIVERSALK9_IAS-M), Version 16.12.4, RELEASE SOFTWARE")
    assert cli.run("show running-config | include ^version") == "version 16.12\n"
    assert router.state["last_change"] == change                       # as after a reload, not a change
    router.drift(["version", "17.09.04"])
    assert cli.run("show running-config | include ^version") == "version 17.9\n"
    assert "[Cupertino]" in cli.run("show version")
    router.drift(["version", "clear"])
    assert cli.run("show version").startswith("Cisco IOS XE Software, Version 17.09.05\n")
    assert router.drift(["version", "17.9"]) == "running-config: version 17.9 (no change)"   # a configuration line


def test_health_faults_last_until_cleared_or_reset(router, lab):
    for words in (["line", "loss", "5"], ["errors", "crc", "3"], ["ntp", "unsynced"], ["version", "16.12.04"]):
        router.drift(words)
    faults = dict(router.state["health"])
    again = IosRouter(router_facts(), lab, json.loads(json.dumps(router.state)))   # gbtt lab down, up
    assert again.state["health"] == faults and again.software == "16.12.04"
    again.reboot()
    assert again.state["health"] == faults and "version 16.12\n" in running(again)
    assert again.drift(["clear"]) == "health faults cleared: errors, line, ntp, software"
    assert again.state["health"] == {} and "version 17.9\n" in running(again)
    assert again.drift(["clear"]) == "health faults cleared: none were set"
    router.factory_reset()
    assert router.state.get("health", {}) == {} and router.software == "17.09.05"


@pytest.mark.parametrize("words, message", [
    (["line", "loss", "101"], r"line: loss 101 is out of range \(0 to 100\)"),
    (["line", "loss"], r"line takes \[loss N\] \[latency N\] or clear"),
    (["line", "latency", "fast"], r"line: latency 'fast' is not a number"),
    (["errors"], r"errors takes \[crc N\] \[input N\] \[output N\] \[drops N\] \[packets N\] or clear"),
    (["errors", "collisions", "4"], r"errors: unknown word 'collisions'"),
    (["errors", "crc", "-1"], r"errors: crc -1 is out of range"),
    (["errors", "crc", "1.5"], r"errors: crc 1.5 is not a whole number"),
])
def test_health_fault_words_are_checked(router, words, message):
    with pytest.raises(ValueError, match=message):
        router.drift(words)
    assert router.state.get("health", {}) == {}


def test_configuration_lines_are_not_health_faults(router):
    assert router.drift(["line", "vty", "0", "4"]) == "running-config: line vty 0 4 (no change)"
    assert router.drift(["line loss 10"]) == "line: 10 % loss, 0 ms latency beyond the site"   # one argument


def test_tclsh_writes_a_file_as_netmiko_inline_transfer_does(router, cli):
    source = "hostname lab-r1\n!\nend"
    cli.run("tclsh")
    assert cli.prompt == f"{HOST}(tcl)#"
    lines = f'puts [open "flash:candidate_config.txt" w+] {{{source}}}'.replace("\n", "\r").split("\r")
    for line in lines:
        assert cli.run(line) == ""
    assert cli.prompt == f"{HOST}(tcl)#"
    assert "Directory of flash:/candidate_config.txt" in cli.run("dir flash:/candidate_config.txt")
    cli.run("tclquit")
    assert cli.prompt == f"{HOST}#"
    assert router.read_file("candidate_config.txt") == (source + "\n").encode()   # netmiko's config_md5


def test_type9_secrets():
    hashed = type9("lab-enable-only")
    assert re.fullmatch(r"\$9\$[./0-9A-Za-z]{14}\$[./0-9A-Za-z]{43}", hashed)
    assert type9_matches("lab-enable-only", hashed) and not type9_matches("other", hashed)


# =========================================================================================
# Stock netmiko and NAPALM
# =========================================================================================

netmiko = pytest.importorskip("netmiko")
from netmiko.channel import Channel  # noqa: E402
from netmiko.cisco.cisco_ios import CiscoIosSSH  # noqa: E402


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


class LabIosSSH(CiscoIosSSH):
    """Stock netmiko ``cisco_ios``, over a :class:`Terminal` instead of paramiko."""

    def __init__(self, device: IosRouter):
        self.device = device
        super().__init__(host="127.0.0.1", username="gbtt", password="lab-router-only", secret=SECRET,
                         device_type="cisco_ios")

    def establish_connection(self, width: int = 511, height: int = 1000) -> None:
        self.channel = Terminal(self.device.shell(self.username))
        self.remote_conn = self.channel


@pytest.fixture
def fast(monkeypatch):
    """Netmiko waits for slow devices; the terminal answers at once."""
    import time as time_module
    monkeypatch.setattr(time_module, "sleep", lambda seconds: None)


@pytest.fixture
def napalm(router, fast, monkeypatch):
    """Stock NAPALM ``ios`` on a stock netmiko session; SCP lands in the router's flash as
    the lab core's SCP sink writes it."""
    from napalm.ios.ios import IOSDriver
    from netmiko.scp_handler import SCPConn

    monkeypatch.setattr(SCPConn, "establish_scp_conn", lambda self: None)
    monkeypatch.setattr(SCPConn, "scp_transfer_file",
                        lambda self, source, dest: router.write_file(dest, open(source, "rb").read()))
    monkeypatch.setattr(SCPConn, "close", lambda self: None)
    driver = IOSDriver("127.0.0.1", "gbtt", "lab-router-only", optional_args={"secret": SECRET})
    driver.device = driver._netmiko_device = LabIosSSH(router)
    driver.device.enable()
    yield driver
    driver.close()


def test_netmiko_session(router, fast):
    conn = LabIosSSH(router)
    assert conn.base_prompt == HOST[:16]
    assert not conn.check_enable_mode()
    conn.enable()
    assert conn.find_prompt() == f"{HOST}#"
    assert conn.send_command("show running-config | include ^hostname") == f"hostname {HOST}"
    out = conn.send_config_set(["interface GigabitEthernet0/0/1", "description to the district", "no shutdown"])
    assert "Invalid" not in out and conn.find_prompt() == f"{HOST}#"
    assert conn.save_config().startswith("write mem\nBuilding configuration...\n[OK]")
    assert router.state["startup"] == running(router) and " description to the district\n" in running(router)
    conn.disconnect()


def test_napalm_getters(napalm):
    facts = napalm.get_facts()
    assert facts["hostname"] == HOST and facts["fqdn"] == f"{HOST}.gbtt.lab"
    assert facts["serial_number"] == "FOC1A2B3C4D" and facts["model"] == "ISR1111-4P"
    assert facts["os_version"].endswith("Version 17.9.5, RELEASE SOFTWARE (fc3)")
    assert facts["interface_list"][:2] == ["GigabitEthernet0/0/0", "GigabitEthernet0/0/1"]
    interfaces = napalm.get_interfaces()
    assert interfaces["GigabitEthernet0/0/0"]["is_up"] and not interfaces["GigabitEthernet0/0/1"]["is_enabled"]
    assert interfaces["GigabitEthernet0/0/0"]["speed"] == 1000.0 and interfaces["GigabitEthernet0/0/0"]["mtu"] == 1500
    assert napalm.get_interfaces_ip() == {"GigabitEthernet0/0/0": {"ipv4": {ADDRESS: {"prefix_length": 24}}}}
    assert napalm.get_ntp_servers() == {"10.23.0.10": {}}
    assert napalm.get_ntp_stats()[0]["synchronized"]
    assert list(napalm.get_users()) == ["gbtt"]
    assert napalm.get_snmp_information()["chassis_id"] == "FOC1A2B3C4D"
    assert napalm.ping("10.23.12.133")["success"]["packet_loss"] == 0
    assert napalm.ping("8.8.8.8")["success"]["packet_loss"] == 5
    config = napalm.get_config()
    assert config["running"].startswith("!\n! No configuration change since last restart\n!\nversion 17.9\n")
    assert config["running"].endswith("\nend")
    assert config["startup"].startswith("Using ")


def test_napalm_replace_compare_commit_rollback(napalm, router):
    original = napalm.get_config()["running"]
    new = original.replace("logging buffered 51200 warnings", "logging buffered 5000")
    napalm.load_replace_candidate(config=new)
    assert napalm.compare_config() == "+logging buffered 5000\n-logging buffered 51200 warnings"
    napalm.commit_config()
    assert "logging buffered 5000\n" in running(router) and router.state["startup"] == running(router)
    napalm.load_replace_candidate(config=new)
    assert napalm.compare_config() == ""
    napalm.rollback()
    assert "logging buffered 51200 warnings\n" in running(router)


def test_napalm_commit_with_revert_in(napalm, router, lab):
    original = napalm.get_config()["running"]
    napalm.load_replace_candidate(config=original.replace("logging buffered 51200 warnings", "logging buffered 5000"))
    napalm.commit_config(revert_in=120)
    assert napalm.has_pending_commit()
    napalm.confirm_commit()
    assert not napalm.has_pending_commit()
    lab.fire_all()
    assert "logging buffered 5000\n" in running(router)
    napalm.load_replace_candidate(config=original)
    napalm.commit_config(revert_in=60)
    lab.advance(60)
    assert not napalm.has_pending_commit() and "logging buffered 5000\n" in running(router)


def test_napalm_refuses_a_candidate_with_a_typo(napalm, router):
    from napalm.base.exceptions import ReplaceConfigException
    original = napalm.get_config()["running"]
    napalm.load_replace_candidate(config=original.replace("ip scp server enable", "ip scp server enable\nhostnmae x"))
    before = router.running_config().copy()
    with pytest.raises(ReplaceConfigException, match="original configuration has been successfully restored"):
        napalm.commit_config()
    assert contextual_diff(before, router.running_config()) == "!Contextual Config Diffs:\n+file prompt quiet\n"
    napalm.discard_config()
    assert napalm.compare_config() == ""


def test_napalm_inline_transfer(router, napalm):
    napalm.inline_transfer = True
    original = napalm.get_config()["running"]
    napalm.load_replace_candidate(config=original.replace("logging buffered 51200 warnings", "logging buffered 5000"))
    assert napalm.compare_config() == "+logging buffered 5000\n-logging buffered 51200 warnings"


def test_napalm_merge(napalm, router):
    napalm.load_merge_candidate(config="ntp server 10.23.0.99\n")
    assert napalm.compare_config() == "+ntp server 10.23.0.99"
    napalm.commit_config()
    assert "ntp server 10.23.0.99\n" in router.state["startup"]


def test_a_factory_reset_parses_nothing_until_the_router_is_used(router, cli, lab, monkeypatch):
    """``gbtt lab reset`` of thousands of routers at once: the factory state is made on first use,
    as at start; a pending revert is dropped and never fires."""
    factory = running(router)
    stage(router, SMALLER_BUFFER)
    cli.run("configure replace flash:/candidate_config.txt force revert trigger error timer 2")
    parsed = []
    original = IosRouter.factory_state.__func__
    monkeypatch.setattr(IosRouter, "factory_state", classmethod(lambda cls, facts: parsed.append(1) or original(cls, facts)))
    router.factory_reset()
    assert parsed == []
    assert running(router) == factory and router.state["startup"] == factory and parsed == [1]
    assert router.pending_revert() is None
    lab.advance(180)
    assert running(router) == factory and not any(e[1] == "revert" for e in lab.entries)
