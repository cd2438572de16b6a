"""The router template (templates/router/cisco_ios.j2): every router of the province renders a
whole IOS XE configuration that the lab's router accepts as ``configure replace`` does, and
that the router then shows as rendered (so a deploy is idempotent: a second compare is empty);
and one deploy end to end through the ``cisco_ios`` driver on the lab.

Secrets are rendered as type 9 hashes with a salt derived from host and secret
(``gbtt.render``'s ``ios_type9`` filter), as IOS shows them: the compare stays empty and the
clear secret never reaches the router."""

from __future__ import annotations

import re

import pytest

from gbtt import inventory, registry, render
from gbtt.drivers.base import ConnectionParams, driver_for
from gbtt.lab.cisco_ios import Config, IosRouter, contextual_diff, type9_matches
from gbtt.lab.device import Facts
from lab.fakelab import FakeLab

from conftest import ROOT

SECRETS = {"router_password": "test-login-secret", "router_enable_secret": "test-enable-secret"}
LAB_SECRETS = {"router_password": "lab-router-only", "router_enable_secret": "lab-enable-only"}


@pytest.fixture(scope="module")
def data():
    return inventory.build(registry.load(ROOT / "inventory" / "hagiang").registry)


def routers(data) -> list[str]:
    return sorted(h for h, hv in data.hostvars.items() if hv["gbtt_device_class"] == "router")


def as_driver_reads(text: str) -> str:
    """A configuration as the driver's ``get_config`` gives it: from the ``version`` line on
    (the comment lines before it dropped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("!"))
    return "".join(f"{line}\n" for line in lines[start:])


def simulator(data, host: str) -> IosRouter:
    hv = data.hostvars[host]
    province = next(g.vars["gbtt_province"] for g in data.groups.values() if "gbtt_province" in g.vars)
    facts = Facts(host=host, platform="cisco_ios", device_class="router", address=hv["ansible_host"],
                  model=hv["gbtt_model"], name=hv["gbtt_endpoint"]["name"],
                  software=province["software_baselines"]["cisco_ios"], extra={"enable_secret": "factory"})
    return IosRouter(facts, FakeLab())


def test_every_router_renders_a_configuration_the_router_shows_back_unchanged(data):
    hosts = routers(data)
    assert len(hosts) == 240
    for host in hosts:
        text = render.render_host(data, host, SECRETS)
        router = simulator(data, host)
        candidate, errors = Config.parse(text, router.interfaces)
        assert not errors, f"{host}: rejected: {[line for line, _ in errors]}"
        assert router.replace(text, "flash:candidate_config.txt", "gbtt").endswith("Rollback Done\n"), host
        shown = as_driver_reads(router.running_text())
        assert shown == as_driver_reads(text), host
        assert contextual_diff(candidate, router.running_config()).endswith("!No changes were found\n"), host


def test_the_configuration_follows_the_registry(data):
    host = "xin-man-coc-pai-router"
    text = render.render_host(data, host, SECRETS)
    hv = data.hostvars[host]
    endpoint, address = hv["gbtt_endpoint"], hv["ansible_host"]
    assert f"\nhostname {host}\n" in text
    assert (f"interface GigabitEthernet0/0/0\n description LAN {endpoint['id']}\n"
            f" ip address {address} 255.255.255.0\n") in text
    line = endpoint["line"]
    assert (f"interface GigabitEthernet0/0/1\n description WAN {line['provider']} circuit to fill in\n"
            f" bandwidth {line['bandwidth_kbps']}\n") in text
    assert f"  shape average {line['bandwidth_kbps'] * 1000}\n" in text
    assert "ip route 10.23.0.0 255.255.0.0 10.23.19.1 name province-core\n" in text
    assert "ip route 10.23.19.2 255.255.255.255 10.23.19.1 name mcu-xin-man\n" in text
    assert "ip access-list standard MGMT\n 10 permit 10.23.0.0 0.0.255.255\n" in text
    assert "line vty 0 4\n access-class MGMT in\n login local\n transport input ssh\n" in text
    assert "logging host 10.23.0.10\n" in text and "ntp server 10.23.0.10\nntp server 10.23.0.11\n" in text
    assert "snmp-server" not in text                       # no community among the secrets
    assert re.search(r"^enable secret 9 \$9\$\S+$", text, re.M)
    assert re.search(r"^username gbtt privilege 15 secret 9 \$9\$\S+$", text, re.M)


def test_a_known_circuit_and_an_snmp_community(data):
    host = "xin-man-coc-pai-router"
    variables = render.context(data, host)
    endpoint = variables["gbtt_endpoint"]
    endpoint = {**endpoint, "line": {**endpoint["line"], "circuit": "VT-HG-0042"}}
    text = render.render_context(host, {**variables, "gbtt_endpoint": endpoint},
                                 {**SECRETS, "router_snmp_community": "c0mmunity"})
    assert " description WAN viettel-hg VT-HG-0042\n" in text
    assert "snmp-server community c0mmunity RO MGMT\nsnmp-server location ubnd-xin-man-coc-pai\n" in text
    router = simulator(data, host)
    assert not Config.parse(text, router.interfaces)[1]
    router.replace(text, "flash:candidate_config.txt", "gbtt")
    assert as_driver_reads(router.running_text()) == as_driver_reads(text)


def test_placeholders_render_and_parse(data):
    """``gbtt render`` (placeholders for the secrets) gives a configuration the router accepts."""
    host = "tinh-tinh-uy-router"
    text = render.render_host(data, host)
    assert "<secret:" not in text  # even placeholders are hashed: nothing secret-looking in clear
    assert not Config.parse(text, simulator(data, host).interfaces)[1]


def test_deploy_on_the_lab_is_idempotent(lab):
    """Render with the lab's credentials, replace, commit with a revert timer, check health,
    confirm; then the same configuration again is no change, and the login still works."""
    host = "xin-man-coc-pai-router"
    data = inventory.build(lab.registry)
    intended = render.render_host(data, host, LAB_SECRETS)
    params = ConnectionParams("127.0.0.1", lab.ports[host], "gbtt", "lab-router-only",
                              secret="lab-enable-only", known_hosts=str(lab.settings.known_hosts),
                              extra={"management_address": lab.address[host]})
    driver = driver_for("cisco_ios")
    with driver(host, params) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        assert "+policy-map WAN-OUT" in diff and "+ip access-list standard MGMT" in diff
        assert "lab-router-only" not in diff and "lab-enable-only" not in diff
        dev.commit(confirm_timeout=60)
        checks = dev.health()
        assert all(c.ok for c in checks), checks
        dev.confirm()
    with driver(host, params) as dev:                      # the new login and enable secret work
        assert dev.get_config() == as_driver_reads(intended)
        dev.load_candidate(intended)
        assert dev.compare() == ""


def test_router_secrets_render_as_stable_type9_hashes_never_in_clear(data):
    host = "xin-man-coc-pai-router"
    text = render.render_host(data, host, SECRETS)
    assert render.render_host(data, host, SECRETS) == text  # same salt every time: idempotent
    for value in (SECRETS["router_password"], SECRETS["router_enable_secret"]):
        assert value not in text
    hashes = re.findall(r"secret 9 (\$9\$\S+)", text)
    assert len(hashes) == 2
    assert type9_matches(SECRETS["router_enable_secret"], hashes[0])
    assert type9_matches(SECRETS["router_password"], hashes[1])
    other = render.render_host(data, "xin-man-ubnd-router", SECRETS)
    assert hashes[0] not in other  # a salt per router: equal secrets do not show as equal hashes
    # the salt comes from the host alone: nothing in the line tests a guess faster than scrypt
    changed = render.render_host(data, host, {**SECRETS, "router_enable_secret": "another-secret-9"})
    salts = [h.split("$")[2] for h in re.findall(r"secret 9 (\$9\$\S+)", changed)]
    assert salts == [h.split("$")[2] for h in hashes] and salts[0] == salts[1]
    assert re.findall(r"secret 9 (\$9\$\S+)", changed)[0] != hashes[0]
