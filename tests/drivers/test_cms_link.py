"""The CMS driver's ownership scopes and MCU call control, against the lab's MCUs over real
HTTPS: what the interconnect job does with ``scope: link:<id>``, and what a deploy (no scope)
leaves alone.

The hub tinh-mcu and the spoke cntt-mcu are shared with tests/lab/test_cms_cascade.py (which
uses raw API objects of its own); the fixture ``clean`` removes everything these tests make, in
every scope, before and after each test.
"""

from __future__ import annotations

import pytest
from test_driver_cisco_cms import api, create, params, requests_logged, snapshot, writes

from gbtt.drivers.base import ConfigError, ConnectionParams, Driver, driver_for
from gbtt.drivers.cisco_cms import CmsDriver

pytestmark = pytest.mark.lab

HUB, SPOKE = "tinh-mcu", "cntt-mcu"
HUB_ADDRESS, SPOKE_ADDRESS = "10.23.1.2", "10.23.2.2"
T1, T2 = "link:t1", "link:t2"
DIAL = f"gbtt-link-t1@{SPOKE_ADDRESS}"

def own(address: str) -> str:
    """The MCU's own configuration, as the MCU template renders it (deploy scope)."""
    return f"""\
callLegProfiles:
  - {{name: gbtt-participant, rxAudioMute: true}}
coSpaces:
  - {{name: gbtt-giao-ban, uri: giaoban.{address}, callLegProfile: gbtt-participant}}
outboundDialPlanRules:
  - {{domain: "{address}", sipProxy: "{address}", priority: 10}}
inboundDialPlanRules:
  - {{domain: "{address}", resolveTocoSpaces: true}}
"""


def own_teardown(address: str) -> str:
    return (f'outboundDialPlanRules:\n  - {{domain: "{address}", absent: true}}\n'
            f'inboundDialPlanRules:\n  - {{domain: "{address}", absent: true}}\n')


#: the link t1's objects on each MCU; the hub dials the spoke through its outbound rule
LINK_T1 = """\
callLegProfiles:
  - {name: gbtt-link-t1, needsActivation: false}
callProfiles:
  - {name: gbtt-link-t1, participantLimit: 5}
coSpaces:
  - {name: gbtt-link-t1, uri: gbtt-link-t1, callLegProfile: gbtt-link-t1, callProfile: gbtt-link-t1}
"""
RULE_TO_SPOKE = f'outboundDialPlanRules:\n  - {{domain: "{SPOKE_ADDRESS}", sipProxy: "{SPOKE_ADDRESS}", priority: 20}}\n'
RULE_ABSENT = f'outboundDialPlanRules:\n  - {{domain: "{SPOKE_ADDRESS}", absent: true}}\n'
LINK_T2 = "coSpaces:\n  - {name: gbtt-link-t2, uri: gbtt-link-t2}\n"


def driver(lab, host: str, scope: str | None = None) -> CmsDriver:
    return CmsDriver(host, params(lab, host, extra={} if scope is None else {"scope": scope}))


def deploy(lab, host: str, intended: str, scope: str | None = None) -> str:
    """The deploy flow in a scope; the diff it applied."""
    with driver(lab, host, scope) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        if diff:
            dev.backup()
            dev.commit()
            dev.confirm()
        return diff


def headers(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith("@@")]


def ids(snap: dict) -> set[tuple[str, str]]:
    return {(collection, oid) for collection, objects in snap.items() for oid in objects}


@pytest.fixture
def clean(lab):
    def wipe() -> None:
        for host in (HUB, SPOKE):
            with driver(lab, host, T1) as dev:             # the link's calls end with its coSpaces
                dev.call_down("gbtt-link-t1")
            deploy(lab, host, RULE_ABSENT, T1)              # the empty document of a link, and its rule
            deploy(lab, host, "", T2)
            deploy(lab, host, own_teardown(lab.address[host]))
    wipe()
    before = {host: snapshot(lab, host) for host in (HUB, SPOKE)}
    yield
    wipe()
    assert {host: snapshot(lab, host) for host in (HUB, SPOKE)} == before     # nothing of ours is left


# -- scopes --------------------------------------------------------------------------------------

def test_a_link_changes_only_its_own_objects(lab, clean):
    foreign = create(lab, HUB, "coSpaces", name="Phòng họp khác", uri="phongkhac.tinh")
    try:
        check_link_scope(lab)
    finally:
        api(lab, HUB, "DELETE", f"coSpaces/{foreign}")


def check_link_scope(lab) -> None:
    deploy(lab, HUB, own(HUB_ADDRESS))
    deploy(lab, HUB, LINK_T2, T2)
    before = snapshot(lab, HUB)
    with driver(lab, HUB, T1) as dev:
        dev.load_candidate(LINK_T1 + RULE_TO_SPOKE)
        assert headers(dev.compare()) == [
            "@@ callLegProfiles name=gbtt-link-t1 (new) @@", "@@ callProfiles name=gbtt-link-t1 (new) @@",
            f"@@ outboundDialPlanRules domain={SPOKE_ADDRESS} (new) @@", "@@ coSpaces name=gbtt-link-t1 (new) @@"]
        dev.commit()
        config = dev.get_config()
        assert dev.compare() == ""
    for other in ("gbtt-link-t2", "gbtt-participant", "gbtt-giao-ban", "Phòng họp khác", f'"{HUB_ADDRESS}"'):
        assert other not in config
    after = snapshot(lab, HUB)
    assert {key: after[key[0]][key[1]] for key in ids(before)} == \
        {key: before[key[0]][key[1]] for key in ids(before)}                  # nothing else changed
    assert sorted(c for c, _ in ids(after) - ids(before)) == [
        "callLegProfiles", "callProfiles", "coSpaces", "outboundDialPlanRules"]
    # the deploy and the other link see nothing to do: the link's objects are not theirs
    assert deploy(lab, HUB, own(HUB_ADDRESS)) == "" and deploy(lab, HUB, LINK_T2, T2) == ""
    with driver(lab, HUB) as dev:
        dev.load_candidate("")
        assert "gbtt-link" not in dev.compare()
    # a new session of the link: idempotent; then its teardown takes its objects, and only those
    assert deploy(lab, HUB, LINK_T1 + RULE_TO_SPOKE, T1) == ""
    diff = deploy(lab, HUB, RULE_ABSENT, T1)
    assert len(headers(diff)) == 4 and all(h.endswith(" (deleted) @@") for h in headers(diff))
    assert snapshot(lab, HUB) == before


@pytest.mark.parametrize("scope, intended, message", [
    (None, "coSpaces:\n  - {name: gbtt-link-t1, uri: x}\n", "reserved for the interconnect job"),
    (None, "callLegProfiles:\n  - {name: gbtt-link-t1}\n", "reserved for the interconnect job"),
    (None, "coSpaces:\n  - {name: gbtt-link-t1, absent: true}\n", "reserved for the interconnect job"),
    (None, "callProfiles:\n  - {name: gbtt-link-cp}\ncoSpaces:\n  - {name: gbtt-x, callProfile: gbtt-link-cp}\n",
     "reserved for the interconnect job"),
    (T1, "coSpaces:\n  - {name: gbtt-giao-ban}\n", "a link:t1 document names only gbtt-link-t1"),
    (T1, "coSpaces:\n  - {name: gbtt-link-t2}\n", "a link:t1 document names only gbtt-link-t1"),
    (T1, "coSpaces:\n  - {name: gbtt-link-t10}\n", "a link:t1 document names only gbtt-link-t1"),
    (T1, "coSpaces:\n  - {name: gbtt-link-t1-b}\n", "a link:t1 document names only gbtt-link-t1"),
    (T1, "callLegProfiles:\n  - {name: Hồ sơ chuẩn, absent: true}\n", "a link:t1 document names only gbtt-link-t1"),
    (T1, "callProfiles:\n  - {name: gbtt-cp}\ncoSpaces:\n  - {name: gbtt-link-t1, callProfile: gbtt-cp}\n",
     "a link:t1 document names only gbtt-link-t1"),
])
def test_a_document_names_only_objects_of_its_scope(lab, scope, intended, message):
    dev = driver(lab, HUB, scope)
    with pytest.raises(ConfigError, match=message):
        dev.load_candidate(intended)
    assert dev.candidate is None


@pytest.mark.parametrize("intended", ["", "{}\n", "coSpaces: []\n", RULE_ABSENT,
                                      "coSpaces:\n  - {name: gbtt-link-t1--b, uri: b}\n",
                                      "inboundDialPlanRules:\n  - {domain: x.vn, resolveTocoSpaces: false}\n"])
def test_a_link_document_may_be_empty_or_hold_only_rules(lab, intended):
    dev = driver(lab, HUB, T1)
    dev.load_candidate(intended)
    assert dev.candidate == intended


@pytest.mark.parametrize("scope", ["link:", "link:T1", "link:a b", "deploy", 5])
def test_an_unknown_scope_is_refused(lab, scope):
    with pytest.raises(ConfigError, match="give none"):
        CmsDriver(HUB, params(lab, HUB, extra={"scope": scope}))


# -- call control ----------------------------------------------------------------------------------

@pytest.fixture
def link_t1(lab, clean):
    """The link t1 deployed on both MCUs, the spoke taking calls to its own address."""
    deploy(lab, SPOKE, own(SPOKE_ADDRESS))
    deploy(lab, SPOKE, LINK_T1, T1)
    deploy(lab, HUB, LINK_T1 + RULE_TO_SPOKE, T1)


def test_call_up_is_idempotent_and_both_mcus_see_the_call(lab, link_t1):
    with driver(lab, HUB, T1) as hub, driver(lab, SPOKE, T1) as spoke:
        assert hub.calls("gbtt-link-t1") == [] and spoke.calls("gbtt-link-t1") == []
        first = hub.call_up("gbtt-link-t1", DIAL, 1536)
        assert first["changed"] is True and (first["state"], first["reason"]) == ("connected", None)
        start = len(requests_logged(lab, HUB))
        assert hub.call_up("gbtt-link-t1", DIAL, 1536) == {**first, "changed": False}
        assert writes(requests_logged(lab, HUB)[start:]) == []
        assert hub.calls("gbtt-link-t1") == [{"id": first["leg"], "remote": DIAL, "direction": "outgoing",
                                              "state": "connected", "reason": None, "bandwidth": 1536}]
        (incoming,) = spoke.calls("gbtt-link-t1")
        assert {k: v for k, v in incoming.items() if k != "id"} == {
            "remote": f"gbtt-link-t1@{HUB_ADDRESS}", "direction": "incoming", "state": "connected", "reason": None,
            "bandwidth": 1536}
        # the spoke ends its side: the hub's leg is down, and call_up dials again
        assert spoke.call_down("gbtt-link-t1") is True
        assert spoke.calls("gbtt-link-t1") == []
        assert [(leg["state"], leg["reason"]) for leg in hub.calls("gbtt-link-t1")] == [
            ("disconnected", "remoteTeardown")]
        again = hub.call_up("gbtt-link-t1", DIAL, 1536)
        assert again["changed"] is True and again["state"] == "connected" and again["leg"] != first["leg"]
        assert [leg["id"] for leg in hub.calls("gbtt-link-t1")] == [again["leg"]]     # the dead leg went
        assert [leg["state"] for leg in spoke.calls("gbtt-link-t1")] == ["connected"]
        # the hub ends the call: both sides are empty
        assert hub.call_down("gbtt-link-t1") is True
        assert hub.calls("gbtt-link-t1") == [] and spoke.calls("gbtt-link-t1") == []
        assert hub.call_down("gbtt-link-t1") is False


def test_call_up_reports_a_failed_dial_and_dials_again(lab, link_t1):
    deploy(lab, HUB, LINK_T1 + RULE_ABSENT, T1)          # the hub has no way to the spoke
    with driver(lab, HUB, T1) as hub:
        failed = hub.call_up("gbtt-link-t1", DIAL, 2000)
        assert (failed["changed"], failed["state"], failed["reason"]) == (True, "disconnected", "unknownDestination")
        again = hub.call_up("gbtt-link-t1", DIAL, 2000)
        assert again["changed"] is True and again["leg"] != failed["leg"]
        assert [leg["id"] for leg in hub.calls("gbtt-link-t1")] == [again["leg"]]
        assert hub.call_down("gbtt-link-t1") is True


def test_call_control_acts_only_on_the_scopes_coSpaces(lab, link_t1):
    deploy(lab, HUB, own(HUB_ADDRESS))
    with driver(lab, HUB, T1) as hub, driver(lab, HUB) as deployer:
        hub.call_up("gbtt-link-t1", DIAL, 1536)
        for act in (lambda: hub.call_up("gbtt-giao-ban", DIAL, 1536), lambda: hub.call_down("gbtt-giao-ban"),
                    lambda: deployer.call_up("gbtt-link-t1", DIAL, 1536), lambda: deployer.call_down("gbtt-link-t1")):
            with pytest.raises(ConfigError, match="not gbtt's in the scope of") as err:
                act()
            assert "lab-mcu-only" not in str(err.value)
        assert [leg["state"] for leg in deployer.calls("gbtt-link-t1")] == ["connected"]   # reading is free
        with pytest.raises(ConfigError, match="does not exist on the MCU"):
            hub.call_up("gbtt-link-t1--b", DIAL, 1536)
        for remote, kbps in ((DIAL, 32), (DIAL, True), ("", 1536), (DIAL + "\r\nX: y", 1536)):
            with pytest.raises(ConfigError):
                hub.call_up("gbtt-link-t1", remote, kbps)
        assert hub.calls("gbtt-link-t1--b") == [] and hub.call_down("gbtt-link-t1--b") is False
        assert hub.call_down("gbtt-link-t1") is True


def test_call_control_is_part_of_the_driver_interface():
    for name in ("call_up", "calls", "call_down"):
        assert getattr(CmsDriver, name) is not getattr(Driver, name)
    codec = driver_for("cisco_ce")("dong-van-ubnd-codec", ConnectionParams(address="127.0.0.1"))
    with pytest.raises(NotImplementedError, match="no call control"):
        codec.call_up("gbtt-x", DIAL, 2000)
    with pytest.raises(NotImplementedError):
        codec.calls("gbtt-x")
