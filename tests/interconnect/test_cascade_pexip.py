"""A cascade across MCU platforms, through the drivers: quan-ba-mcu (Pexip Infinity) and yen-minh-mcu
(Cisco Meeting Server), each configured in the link's scope from its own rendered
templates/interconnect/<platform>.j2, in both directions: the Pexip hub dials the CMS spoke,
and the CMS hub dials the Pexip spoke.  What the interconnect job does (gbtt/interconnect.py),
step by step and without the approval gate (the lead's tests/interconnect/test_interconnect_lab.py
runs the whole job).

Both MCUs are first deployed with their own configuration (templates/mcu: the CMS's inbound dial
plan rule for its address, the Pexip's rule to its endpoints), as the job expects; each test
tears its link down (the absent documents) and checks that nothing of it is left.
"""

from __future__ import annotations

import dataclasses

import pytest

from gbtt import interconnect as ic
from gbtt.deploy import connection_params, deploy
from gbtt.drivers.base import Driver, driver_for

pytestmark = pytest.mark.lab

PEXIP, CMS = "quan-ba-mcu", "yen-minh-mcu"
PEXIP_ADDRESS, CMS_ADDRESS = "10.23.15.2", "10.23.14.2"


def link(lab, ident: str, hub: str, spoke: str, kbps: int = 1536):
    """An interconnect of the lab registry's shape, between the systems ``hub`` and ``spoke``."""
    base = next(iter(lab.registry.interconnects.values()))
    return dataclasses.replace(base, id=ident, name=f"Liên thông thử {ident}", hub=hub, spokes=(spoke,),
                               bandwidth_kbps=kbps)


def open_driver(variables: dict, host: str, scope: str | None) -> Driver:
    params, _ = connection_params(variables[host])
    if scope:
        params.extra["scope"] = scope
    driver = driver_for(variables[host]["gbtt_platform"])(host, params)
    driver.open()
    return driver


@pytest.fixture
def variables(lab, tmp_path) -> dict[str, dict]:
    """Both MCUs' variables, each MCU deployed with its own configuration."""
    out = lab.host_variables(PEXIP, CMS)
    for host, values in out.items():
        outcome = deploy(host, values, backup_dir=tmp_path, audit_log=tmp_path / "audit.log")
        assert not outcome.failed, outcome.message
    return out


class Cascade:
    """The link's two drivers (hub, spoke) in its scope, and its rendered documents."""

    def __init__(self, lab, variables: dict, interconnect):
        self.link = interconnect
        self.space = ic.space(interconnect.id)
        self.rendered = ic.render_link(lab.registry, interconnect)
        self.absent = ic.render_link(lab.registry, interconnect, "absent")
        hub_host = lab.registry.systems[interconnect.hub].mcu.host
        spoke_host = lab.registry.systems[interconnect.spokes[0]].mcu.host
        scope = f"link:{interconnect.id}"
        self.hub = open_driver(variables, hub_host, scope)
        self.spoke = open_driver(variables, spoke_host, scope)
        self.remote = f"{self.space}@{lab.registry.systems[interconnect.spokes[0]].mcu.address}"

    def drivers(self) -> list[Driver]:
        return [self.spoke, self.hub]          # the spokes first, the hub last, as the job commits

    def commit(self, documents: dict[str, str]) -> dict[str, str]:
        diffs = {}
        for driver in self.drivers():
            driver.load_candidate(documents[driver.host])
            diffs[driver.host] = driver.compare()
            if diffs[driver.host]:
                driver.commit()
            assert driver.compare() == ""
        return diffs

    def teardown(self) -> None:
        self.hub.call_down(self.space)
        self.commit(self.absent)
        for driver in self.drivers():
            assert driver.calls(self.space) == []
            driver.load_candidate("")
            assert driver.get_config().count(self.space) == 0, driver.get_config()
            driver.close()


@pytest.fixture
def pexip_hub(lab, variables):
    cascade = Cascade(lab, variables, link(lab, "qb-ym", "quan-ba", "yen-minh"))
    yield cascade
    cascade.teardown()


@pytest.fixture
def cms_hub(lab, variables):
    cascade = Cascade(lab, variables, link(lab, "ym-qb", "yen-minh", "quan-ba", kbps=2000))
    yield cascade
    cascade.teardown()


def test_the_templates_give_each_platform_its_own_objects(lab, pexip_hub):
    rendered = pexip_hub.rendered
    assert "gateway_routing_rules:" in rendered[PEXIP] and "name: gbtt-link-qb-ym--yen-minh" in rendered[PEXIP]
    assert f'"gbtt-link-qb-ym@{PEXIP_ADDRESS}"' in rendered[PEXIP] and "max_callrate_out: 1536000" in rendered[PEXIP]
    assert "coSpaces:" in rendered[CMS] and "uri: gbtt-link-qb-ym" in rendered[CMS]
    assert "outboundDialPlanRules" not in rendered[CMS]             # a spoke dials nobody
    assert "gbtt-link" not in pexip_hub.absent[PEXIP].split("\n", 2)[-1]     # absent: only comments


def test_the_pexip_hub_dials_the_cms_spoke(lab, pexip_hub):
    diffs = pexip_hub.commit(pexip_hub.rendered)
    assert "@@ conferences name=gbtt-link-qb-ym (new) @@" in diffs[PEXIP]
    assert "@@ gateway_routing_rules name=gbtt-link-qb-ym--yen-minh (new) @@" in diffs[PEXIP]
    assert "@@ coSpaces name=gbtt-link-qb-ym (new) @@" in diffs[CMS]
    hub, spoke = pexip_hub.hub, pexip_hub.spoke
    up = hub.call_up(pexip_hub.space, pexip_hub.remote, 1536)
    assert up["changed"] is True and (up["state"], up["reason"]) == ("connected", None)
    assert hub.calls(pexip_hub.space) == [{"id": up["leg"], "remote": pexip_hub.remote, "direction": "outgoing",
                                           "state": "connected", "reason": None, "bandwidth": 1536}]
    (incoming,) = spoke.calls(pexip_hub.space)
    assert {k: v for k, v in incoming.items() if k != "id"} == {
        "remote": f"gbtt-link-qb-ym@{PEXIP_ADDRESS}", "direction": "incoming", "state": "connected", "reason": None,
        "bandwidth": 1536}
    assert hub.call_up(pexip_hub.space, pexip_hub.remote, 1536) == {**up, "changed": False}
    # the CMS spoke ends its side: the Pexip's participant goes; call_up dials again
    assert spoke.call_down(pexip_hub.space) is True
    assert hub.calls(pexip_hub.space) == [] and spoke.calls(pexip_hub.space) == []
    again = hub.call_up(pexip_hub.space, pexip_hub.remote, 1536)
    assert again["changed"] is True and again["state"] == "connected" and again["leg"] != up["leg"]
    assert [leg["state"] for leg in spoke.calls(pexip_hub.space)] == ["connected"]
    # the hub ends the call: both sides are empty
    assert hub.call_down(pexip_hub.space) is True
    assert hub.calls(pexip_hub.space) == [] and spoke.calls(pexip_hub.space) == []
    assert pexip_hub.commit(pexip_hub.rendered) == {PEXIP: "", CMS: ""}       # idempotent


def test_the_pexip_hub_reports_a_spoke_without_the_link(lab, pexip_hub):
    pexip_hub.commit({PEXIP: pexip_hub.rendered[PEXIP], CMS: pexip_hub.absent[CMS]})
    failed = pexip_hub.hub.call_up(pexip_hub.space, pexip_hub.remote, 1536)
    assert (failed["changed"], failed["state"]) == (True, "disconnected")
    assert failed["reason"] == "Call rejected: unknownDestination"
    assert pexip_hub.hub.calls(pexip_hub.space) == []


def test_the_cms_hub_dials_the_pexip_spoke(lab, cms_hub):
    diffs = cms_hub.commit(cms_hub.rendered)
    assert "@@ conferences name=gbtt-link-ym-qb (new) @@" in diffs[PEXIP]
    assert "gateway_routing_rules" not in diffs[PEXIP]              # a spoke dials nobody
    assert f"@@ outboundDialPlanRules domain={PEXIP_ADDRESS} (new) @@" in diffs[CMS]
    hub, spoke = cms_hub.hub, cms_hub.spoke
    up = hub.call_up(cms_hub.space, cms_hub.remote, 2000)
    assert up["changed"] is True and (up["state"], up["reason"]) == ("connected", None)
    assert [(leg["direction"], leg["state"], leg["remote"]) for leg in hub.calls(cms_hub.space)] == [
        ("outgoing", "connected", f"gbtt-link-ym-qb@{PEXIP_ADDRESS}")]
    (incoming,) = spoke.calls(cms_hub.space)
    assert {k: v for k, v in incoming.items() if k != "id"} == {
        "remote": f"gbtt-link-ym-qb@{CMS_ADDRESS}", "direction": "incoming", "state": "connected", "reason": None,
        "bandwidth": 2000}
    # the Pexip spoke ends its side: the CMS hub's leg is down, and call_up dials again
    assert spoke.call_down(cms_hub.space) is True
    assert spoke.calls(cms_hub.space) == []
    assert [(leg["state"], leg["reason"]) for leg in hub.calls(cms_hub.space)] == [("disconnected", "remoteTeardown")]
    again = hub.call_up(cms_hub.space, cms_hub.remote, 2000)
    assert again["changed"] is True and again["state"] == "connected"
    assert [leg["state"] for leg in spoke.calls(cms_hub.space)] == ["connected"]
    assert hub.call_down(cms_hub.space) is True
    assert spoke.calls(cms_hub.space) == []


def test_the_link_leaves_the_deployed_configuration_alone(lab, variables, cms_hub):
    cms_hub.commit(cms_hub.rendered)
    for host in (PEXIP, CMS):
        outcome = deploy(host, variables[host], check=True)
        assert (outcome.failed, outcome.changed, outcome.diff) == (False, False, ""), outcome.message
    mcu = open_driver(variables, PEXIP, None)
    try:
        mcu.load_candidate("")
        assert "gbtt-link-ym-qb" not in mcu.compare()
    finally:
        mcu.close()
