"""Cascades between the lab's MCUs over real HTTPS: the hub's coSpace call dials
``<coSpace uri>@<spoke address>``, the hub's outbound dial plan sends it to the spoke, the
spoke's inbound dial plan puts it into its coSpace's call; both MCUs show the call, and a hang-up
on either side (or a reboot) ends the other side too.

The MCUs are tinh-mcu (hub), cntt-mcu and bac-quang-mcu (spokes), which
tests/drivers/test_cms_link.py also uses (with driver objects of its own); every test removes
what it made (the fixtures delete the coSpaces, which ends their calls, and the rules).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
import requests

from conftest import Lab, lab_base_port

pytestmark = pytest.mark.lab

AUTH = ("gbtt-api", "lab-mcu-only")
HUB, SPOKE, SPOKE2 = "tinh-mcu", "cntt-mcu", "bac-quang-mcu"
URI = "gbtt-link-casc"                 # the coSpace URI on every MCU of the cascade


def leg_state(leg: ET.Element) -> tuple[str, str | None]:
    return leg.findtext("status/state"), leg.findtext("status/reason")


@dataclass
class Mcu:
    """One MCU of the cascade, through its REST API: its coSpace and what the test made on it."""

    lab: Lab
    host: str
    space: str = ""
    made: list[str] = field(default_factory=list)      # paths, deleted at the end (newest first)

    @property
    def address(self) -> str:
        return self.lab.address[self.host]

    def request(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"https://127.0.0.1:{self.lab.ports[self.host]}/api/v1/{path}", auth=AUTH,
                                verify=str(self.lab.settings.ca_bundle), timeout=10, **kw)

    def create(self, path: str, **form: str) -> str:
        response = self.request("POST", path, data=form)
        assert response.status_code == 200, response.text
        return response.headers["Location"].rsplit("/", 1)[-1]

    def get(self, path: str, **query: str) -> ET.Element:
        response = self.request("GET", path, params=query)
        assert response.status_code == 200, response.text
        return ET.fromstring(response.text)

    def delete(self, path: str) -> None:
        assert self.request("DELETE", path).status_code == 200

    def call(self) -> str | None:
        """The coSpace's active call."""
        calls = self.get("calls", coSpaceFilter=self.space)
        return calls[0].get("id") if len(calls) else None

    def legs(self) -> list[ET.Element]:
        """Every call leg of the coSpace's active call, in full."""
        cid = self.call()
        return [self.get(f"callLegs/{leg.get('id')}") for leg in (self.get(f"calls/{cid}/callLegs") if cid else [])]

    def status(self, name: str) -> str | None:
        return self.get("system/status").findtext(name)


def setup_mcu(lab, host: str, rules: list[tuple[str, dict]]) -> Mcu:
    mcu = Mcu(lab, host)
    mcu.space = mcu.create("coSpaces", name="Liên kết thử", uri=URI)
    mcu.made.append(f"coSpaces/{mcu.space}")
    mcu.made += [f"{collection}/{mcu.create(collection, **form)}" for collection, form in rules]
    return mcu


@pytest.fixture
def cascade(lab):
    """The hub with an outbound rule to each spoke; each spoke with its inbound rule."""
    spokes = [setup_mcu(lab, host, [("inboundDialPlanRules", {"domain": lab.address[host],
                                                              "resolveTocoSpaces": "true"})])
              for host in (SPOKE, SPOKE2)]
    hub = setup_mcu(lab, HUB, [("outboundDialPlanRules", {"domain": s.address, "sipProxy": s.address,
                                                          "priority": "10"}) for s in spokes])
    yield hub, spokes
    for mcu in (hub, *spokes):
        for path in reversed(mcu.made):
            mcu.request("DELETE", path)
        assert mcu.get("calls").get("total") == "0", mcu.host


def dial(hub: Mcu, spoke: Mcu, bandwidth: str = "1536000") -> str:
    cid = hub.create("calls", coSpace=hub.space)
    return hub.create(f"calls/{cid}/participants", remoteParty=f"{URI}@{spoke.address}", bandwidth=bandwidth)


# -- up --------------------------------------------------------------------------------------

def test_the_cascade_is_up_on_both_mcus(lab, cascade):
    hub, (spoke, spoke2) = cascade
    start = {host: len(lab.log_entries(host)) for host in (HUB, SPOKE)}
    first = dial(hub, spoke)
    second = dial(hub, spoke2, bandwidth="768000")
    legs = {leg.get("id"): leg for leg in hub.legs()}
    assert sorted(legs) == sorted([first, second])
    out = legs[first]
    assert (out.findtext("direction"), out.findtext("status/direction")) == ("outgoing", "outgoing")
    assert out.findtext("remoteParty") == f"{URI}@{spoke.address}" and leg_state(out) == ("connected", None)
    assert out.findtext("name") == lab.registry.systems["cntt"].name
    assert hub.get(f"calls/{hub.call()}").findtext("numCallLegs") == "2"
    for mcu, bandwidth in ((spoke, "1536000"), (spoke2, "768000")):
        (incoming,) = mcu.legs()
        assert (incoming.findtext("direction"), incoming.findtext("status/direction")) == ("incoming", "incoming")
        assert incoming.findtext("remoteParty") == f"{URI}@{hub.address}"
        assert leg_state(incoming) == ("connected", None) and incoming.findtext("status/bandwidth") == bandwidth
        call = mcu.get(f"calls/{mcu.call()}")
        assert (call.findtext("coSpace"), call.findtext("numCallLegs")) == (mcu.space, "1")
        assert mcu.get(f"participants/{incoming.get('id')}").findtext("status/state") == "connected"
    dials = {host: [e["detail"] for e in lab.log_entries(host)[start[host]:] if e["event"] == "dial"]
             for host in (HUB, SPOKE)}
    assert any(d.startswith(f"{URI}@{spoke.address}: connected to {SPOKE}") for d in dials[HUB])
    assert any(d.startswith(f"incoming {URI}@{hub.address} from {HUB}") for d in dials[SPOKE])


# -- failures ----------------------------------------------------------------------------------

def test_without_the_hubs_outbound_rule_the_spoke_is_an_unknown_destination(cascade):
    hub, (spoke, _) = cascade
    hub.delete(next(path for path in hub.made if path.startswith("outboundDialPlanRules/")
                    and hub.get(path).findtext("domain") == spoke.address))
    pid = dial(hub, spoke)
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("disconnected", "unknownDestination")
    assert spoke.call() is None


@pytest.mark.parametrize("spoke_lacks", ["inbound rule", "coSpace resolution", "coSpace"])
def test_without_the_spokes_inbound_rule_or_cospace_the_call_fails(cascade, spoke_lacks):
    hub, (spoke, _) = cascade
    rule = next(path for path in spoke.made if path.startswith("inboundDialPlanRules/"))
    if spoke_lacks == "inbound rule":
        spoke.delete(rule)
    elif spoke_lacks == "coSpace resolution":
        assert spoke.request("PUT", rule, data={"resolveTocoSpaces": "false"}).status_code == 200
    else:
        assert spoke.request("PUT", f"coSpaces/{spoke.space}", data={"uri": "gbtt-link-khac"}).status_code == 200
    pid = dial(hub, spoke)
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("disconnected", "unknownDestination")
    assert spoke.call() is None
    assert spoke.get("callLegs").get("total") == "0"


# -- down --------------------------------------------------------------------------------------

@pytest.fixture
def up(cascade):
    """The cascade up to both spokes: the hub, the spokes and the hub's leg to the first."""
    hub, (spoke, spoke2) = cascade
    pid = dial(hub, spoke)
    dial(hub, spoke2)
    return hub, spoke, spoke2, pid


@pytest.mark.parametrize("how", ["participant", "callLeg", "call"])
def test_hanging_up_on_the_hub_ends_the_spokes_side(up, how):
    hub, spoke, spoke2, pid = up
    hub.delete({"participant": f"participants/{pid}", "callLeg": f"callLegs/{pid}", "call": f"calls/{hub.call()}"}[how])
    assert spoke.call() is None                      # the leg went, and the call that came with it
    assert (spoke2.call() is None) == (how == "call")
    assert spoke.status("callLegsActive") == "0"


@pytest.mark.parametrize("how", ["callLeg", "call", "coSpace"])
def test_hanging_up_on_the_spoke_disconnects_the_hubs_leg(up, how):
    hub, spoke, spoke2, pid = up
    (incoming,) = spoke.legs()
    path = {"callLeg": f"callLegs/{incoming.get('id')}", "call": f"calls/{spoke.call()}",
            "coSpace": f"coSpaces/{spoke.space}"}[how]
    spoke.delete(path)
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("disconnected", "remoteTeardown")
    assert hub.get(f"calls/{hub.call()}").findtext("numCallLegs") == "1"       # the other spoke stays
    assert [leg_state(leg) for leg in spoke2.legs()] == [("connected", None)]
    if how == "coSpace":
        spoke.made.remove(path)
        return
    again = hub.create(f"calls/{hub.call()}/participants", remoteParty=f"{URI}@{spoke.address}")
    assert leg_state(hub.get(f"callLegs/{again}")) == ("connected", None)
    assert [leg_state(leg) for leg in spoke.legs()] == [("connected", None)]


def test_a_reboot_on_either_side_ends_the_cascade(lab, up):
    hub, spoke, spoke2, pid = up
    lab.fault(SPOKE, "reboot")
    assert spoke.call() is None
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("disconnected", "remoteTeardown")
    assert [leg_state(leg) for leg in spoke2.legs()] == [("connected", None)]
    lab.fault(HUB, "reboot")
    assert hub.call() is None and spoke2.call() is None
    assert spoke2.status("callLegsActive") == "0"


# -- state ---------------------------------------------------------------------------------------

@pytest.fixture
def two_mcus(tmp_path):
    """A lab of its own with just the hub and one spoke (cheap to bring down and up again), on
    the worker's lifecycle port block, as tests/lab/test_lab_lifecycle.py's labs."""
    handle = Lab(tmp_path / "lab", lab_base_port("lifecycle"), 60.0)
    handle.up("--limit", f"{HUB},{SPOKE}")
    yield handle
    handle.down()


def test_the_cascade_outlasts_lab_down_and_up(two_mcus):
    lab = two_mcus
    spoke = setup_mcu(lab, SPOKE, [("inboundDialPlanRules", {"domain": lab.address[SPOKE]})])
    hub = setup_mcu(lab, HUB, [("outboundDialPlanRules", {"domain": spoke.address, "sipProxy": spoke.address})])
    pid = dial(hub, spoke)
    (incoming,) = spoke.legs()
    lab.down()
    lab.up("--limit", f"{HUB},{SPOKE}")
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("connected", None)
    assert [(leg.get("id"), leg_state(leg)) for leg in spoke.legs()] == [(incoming.get("id"), ("connected", None))]
    spoke.delete(f"callLegs/{incoming.get('id')}")                 # the two legs still know each other
    assert leg_state(hub.get(f"callLegs/{pid}")) == ("disconnected", "remoteTeardown")
