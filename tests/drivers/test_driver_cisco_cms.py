"""The CMS driver (gbtt/drivers/cisco_cms.py) against the lab's MCUs over real HTTPS:
deploys, ownership, validation, commit failures and their undo, trust and login errors, and the
maintenance queries (ask, probe).

The MCUs vi-xuyen-mcu and ha-giang-mcu are this file's own (other test files use others);
every test starts by deploying an empty document, which deletes every gbtt- object.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

import pytest
import requests

from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams,
                               TrustError, driver_for)
from gbtt.drivers.cisco_cms import CmsDriver

pytestmark = pytest.mark.lab

AUTH = ("gbtt-api", "lab-mcu-only")
VX, HG = "vi-xuyen-mcu", "ha-giang-mcu"
COLLECTIONS = ("callLegProfiles", "callProfiles", "outboundDialPlanRules", "inboundDialPlanRules", "coSpaces")

INTENDED = """\
callLegProfiles:
  - name: gbtt-huyen
    defaultLayout: automatic
    needsActivation: false
callProfiles:
  - name: gbtt-giao-ban
    participantLimit: 40
outboundDialPlanRules:
  - domain: vixuyen.hagiang.gov.vn
    sipProxy: 10.23.0.10
    priority: 10
coSpaces:
  - name: gbtt-giao-ban-huyen
    uri: giaoban.vixuyen
    callId: "88021001"
    passcode: "24680135"
    callLegProfile: gbtt-huyen
    callProfile: gbtt-giao-ban
  - name: gbtt-hop-xa
    uri: hopxa.vixuyen
    defaultLayout: allEqual
    callLegProfile: gbtt-huyen
"""

EMPTY = ("outboundDialPlanRules:\n  - {domain: vixuyen.hagiang.gov.vn, absent: true}\n"
         "inboundDialPlanRules:\n  - {domain: vixuyen.hagiang.gov.vn, absent: true}\n")


# -- helpers -------------------------------------------------------------------------------

def params(lab, host: str, **overrides) -> ConnectionParams:
    values = dict(address="127.0.0.1", port=lab.ports[host], username="gbtt-api", password="lab-mcu-only",
                  ca_bundle=str(lab.settings.ca_bundle), timeout=10)
    values.update(overrides)
    return ConnectionParams(**values)


def driver(lab, host: str, **overrides) -> CmsDriver:
    return CmsDriver(host, params(lab, host, **overrides))


def deploy(lab, host: str, intended: str) -> str:
    """The deploy flow of gbtt/drivers/base.py; the diff it applied."""
    with driver(lab, host) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        if diff:
            dev.backup()
            dev.commit()
            assert all(check.ok for check in dev.health())
            dev.confirm()
        return diff


def api(lab, host: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, f"https://127.0.0.1:{lab.ports[host]}/api/v1/{path}", auth=AUTH,
                            verify=str(lab.settings.ca_bundle), timeout=10, **kw)


def create(lab, host: str, collection: str, **form: str) -> str:
    response = api(lab, host, "POST", collection, data=form)
    assert response.status_code == 200, response.text
    return response.headers["Location"].rsplit("/", 1)[-1]


def listing(lab, host: str, collection: str) -> list[str]:
    ids, offset = [], 0
    while True:
        root = ET.fromstring(api(lab, host, "GET", collection, params={"offset": offset}).text)
        ids += [item.get("id") for item in root]
        offset += len(root)
        if not len(root) or offset >= int(root.get("total")):
            return ids


def fetch(lab, host: str, collection: str, oid: str) -> dict[str, str]:
    response = api(lab, host, "GET", f"{collection}/{oid}")
    assert response.status_code == 200, response.text
    return {child.tag: child.text or "" for child in ET.fromstring(response.text)}


def snapshot(lab, host: str) -> dict[str, dict[str, dict[str, str]]]:
    """Every configuration object on the MCU, by id, with every parameter."""
    return {c: {oid: fetch(lab, host, c, oid) for oid in listing(lab, host, c)} for c in COLLECTIONS}


def by_name(snap: dict, collection: str, name: str, key: str = "name") -> tuple[str, dict[str, str]]:
    found = [(oid, obj) for oid, obj in snap[collection].items() if obj.get(key) == name]
    assert len(found) == 1, (collection, name, found)
    return found[0]


def requests_logged(lab, host: str) -> list[str]:
    return [e["detail"] for e in lab.log_entries(host) if e["event"] == "request"]


def writes(details: list[str]) -> list[str]:
    return [d for d in details if not d.startswith("GET ")]


@pytest.fixture
def vx(lab) -> str:
    deploy(lab, VX, EMPTY)
    return VX


@pytest.fixture
def hg(lab) -> str:
    deploy(lab, HG, "")
    return HG


# -- the document (no device) ---------------------------------------------------------------

def test_json_and_yaml_read_the_same_and_get_config_output_loads_back():
    from gbtt.drivers.cisco_cms import dump, parse
    doc = parse(INTENDED)
    as_json = parse('{"callLegProfiles": [{"name": "gbtt-huyen", "defaultLayout": "automatic", '
                    '"needsActivation": false}], "callProfiles": [{"name": "gbtt-giao-ban", "participantLimit": 40}], '
                    '"outboundDialPlanRules": [{"domain": "vixuyen.hagiang.gov.vn", "sipProxy": "10.23.0.10", '
                    '"priority": 10}], "coSpaces": [{"name": "gbtt-giao-ban-huyen", "uri": "giaoban.vixuyen", '
                    '"callId": "88021001", "passcode": "24680135", "callLegProfile": "gbtt-huyen", '
                    '"callProfile": "gbtt-giao-ban"}, {"name": "gbtt-hop-xa", "uri": "hopxa.vixuyen", '
                    '"defaultLayout": "allEqual", "callLegProfile": "gbtt-huyen"}]}')
    assert as_json.objects == doc.objects
    text = dump(doc)
    assert parse(text).objects == doc.objects and dump(parse(text)) == text
    assert parse("coSpaces:\n  - {name: gbtt-x, passcode: \"0012\"}\n").objects["coSpaces"]["gbtt-x"]["passcode"] == "0012"


# -- reading -------------------------------------------------------------------------------

def test_registry_knows_the_driver():
    assert driver_for("cisco_cms") is CmsDriver
    assert CmsDriver.platform == "cisco_cms" and CmsDriver.device_class == "mcu"


def test_facts_come_from_system_status(lab):
    with driver(lab, HG) as dev:
        facts = dev.get_facts()
    status = ET.fromstring(api(lab, HG, "GET", "system/status").text)
    assert facts["hostname"] == HG
    assert facts["software_version"] == status.findtext("softwareVersion") != ""
    assert facts["serial"] == status.findtext("hostId")
    assert isinstance(facts["uptime"], int) and facts["uptime"] >= 0
    assert facts["activated"] is True and facts["model"] == "Cisco Meeting Server"


def test_health_checks_the_api_and_the_activated_call_bridge(lab):
    with driver(lab, HG) as dev:
        checks = dev.health()
    assert [c.name for c in checks] == ["api", "call bridge activated"]
    assert all(c.ok for c in checks), checks


# -- deploying -----------------------------------------------------------------------------

def test_first_deploy_creates_the_objects_and_a_second_compare_is_empty(lab, vx):
    with driver(lab, vx) as dev:
        dev.load_candidate(INTENDED)
        diff = dev.compare()
        assert diff.startswith(f"--- {vx} (running)\n+++ {vx} (candidate)\n")
        for header in ("@@ callLegProfiles name=gbtt-huyen (new) @@", "@@ callProfiles name=gbtt-giao-ban (new) @@",
                       "@@ coSpaces name=gbtt-giao-ban-huyen (new) @@", "@@ coSpaces name=gbtt-hop-xa (new) @@",
                       "@@ outboundDialPlanRules domain=vixuyen.hagiang.gov.vn (new) @@"):
            assert header in diff
        assert "+  uri: giaoban.vixuyen" in diff and "+  participantLimit: 40" in diff
        assert "+  callLegProfile: gbtt-huyen" in diff           # references by name, not id
        assert "+  passcode: <redacted>" in diff and "24680135" not in diff
        before = len(requests_logged(lab, vx))
        dev.compare()
        assert not writes(requests_logged(lab, vx)[before:])   # compare never writes
        dev.commit()
        assert dev.compare() == ""
    snap = snapshot(lab, vx)
    profile_id, _ = by_name(snap, "callLegProfiles", "gbtt-huyen")
    _, space = by_name(snap, "coSpaces", "gbtt-giao-ban-huyen")
    assert space["callLegProfile"] == profile_id and space["passcode"] == "24680135"
    assert snap["callProfiles"][space["callProfile"]]["participantLimit"] == "40"
    _, rule = by_name(snap, "outboundDialPlanRules", "vixuyen.hagiang.gov.vn", key="domain")
    assert rule["sipProxy"] == "10.23.0.10" and rule["priority"] == "10"
    # idempotent in a new session too, without a single write
    before = len(requests_logged(lab, vx))
    assert deploy(lab, vx, INTENDED) == ""
    assert not writes(requests_logged(lab, vx)[before:])


def test_get_config_is_the_intended_format_and_loads_back(lab, vx):
    deploy(lab, vx, INTENDED)
    with driver(lab, vx) as dev:
        dev.load_candidate(INTENDED)
        config = dev.get_config()
        assert dev.backup() == config
        assert config.index("callLegProfiles:") < config.index("callProfiles:") < config.index("coSpaces:")
        assert "callLegProfile: gbtt-huyen" in config and "callProfile: gbtt-giao-ban" in config
        assert config.index("name: gbtt-giao-ban-huyen") < config.index("name: gbtt-hop-xa")
        assert 'passcode: "24680135"' in config                  # a backup can be loaded back
        dev.load_candidate(config)
        assert dev.compare() == ""
        assert dev.get_config() == config                         # stable


def test_changing_a_parameter_updates_only_that_object(lab, vx):
    deploy(lab, vx, INTENDED)
    before = snapshot(lab, vx)
    space_id, _ = by_name(before, "coSpaces", "gbtt-hop-xa")
    start = len(requests_logged(lab, vx))
    diff = deploy(lab, vx, INTENDED.replace("defaultLayout: allEqual", "defaultLayout: speakerOnly"))
    assert diff.splitlines()[2:] == ["@@ coSpaces name=gbtt-hop-xa @@", "-  defaultLayout: allEqual",
                                     "+  defaultLayout: speakerOnly"]
    assert writes(requests_logged(lab, vx)[start:]) == [f"PUT /api/v1/coSpaces/{space_id} ['defaultLayout']"]
    after = snapshot(lab, vx)
    assert after["coSpaces"][space_id]["defaultLayout"] == "speakerOnly"
    after["coSpaces"][space_id]["defaultLayout"] = "allEqual"
    assert after == before


def test_a_call_profile_is_updated_in_place_and_deleted_when_no_coSpace_uses_it(lab, vx):
    deploy(lab, vx, INTENDED)
    _, space = by_name(snapshot(lab, vx), "coSpaces", "gbtt-giao-ban-huyen")
    profile_id = space["callProfile"]
    deploy(lab, vx, INTENDED.replace("participantLimit: 40", "participantLimit: 25"))
    snap = snapshot(lab, vx)
    assert list(snap["callProfiles"]) == [profile_id] and snap["callProfiles"][profile_id]["participantLimit"] == "25"
    without = (INTENDED.replace("callProfiles:\n  - name: gbtt-giao-ban\n    participantLimit: 40\n", "")
               .replace("    callProfile: gbtt-giao-ban\n", ""))
    diff = deploy(lab, vx, without)
    # the candidate no longer names the profile: the diff names it after its id
    label = f"gbtt-callProfile-{profile_id[:8]}"
    assert f"@@ callProfiles name={label} (deleted) @@" in diff and f"-  callProfile: {label}" in diff
    snap = snapshot(lab, vx)
    assert snap["callProfiles"] == {} and "callProfile" not in by_name(snap, "coSpaces", "gbtt-giao-ban-huyen")[1]


def test_removing_an_owned_object_from_intended_deletes_it(lab, vx):
    deploy(lab, vx, INTENDED)
    smaller = INTENDED.replace("  - name: gbtt-hop-xa\n    uri: hopxa.vixuyen\n    defaultLayout: allEqual\n"
                               "    callLegProfile: gbtt-huyen\n", "")
    smaller = smaller.replace("    sipProxy: 10.23.0.10\n    priority: 10\n", "    absent: true\n")
    diff = deploy(lab, vx, smaller)
    assert "@@ coSpaces name=gbtt-hop-xa (deleted) @@" in diff and "-  uri: hopxa.vixuyen" in diff
    assert "@@ outboundDialPlanRules domain=vixuyen.hagiang.gov.vn (deleted) @@" in diff
    snap = snapshot(lab, vx)
    assert [s["name"] for s in snap["coSpaces"].values()] == ["gbtt-giao-ban-huyen"]
    assert snap["outboundDialPlanRules"] == {}
    # the empty document: every gbtt- object goes, profiles after the coSpaces that use them
    start = len(requests_logged(lab, vx))
    deploy(lab, vx, "")
    deletes = [d.split("/")[3] for d in writes(requests_logged(lab, vx)[start:])]
    assert deletes == ["coSpaces", "callProfiles", "callLegProfiles"]
    assert snapshot(lab, vx) == {c: {} for c in COLLECTIONS}


def test_inbound_dial_plan_rules_are_keyed_by_domain_with_the_mcus_defaults(lab, vx):
    theirs = create(lab, vx, "inboundDialPlanRules", domain="khac.hagiang.gov.vn")
    try:
        check_inbound_rules(lab, vx, theirs)
    finally:
        api(lab, vx, "DELETE", f"inboundDialPlanRules/{theirs}")


def check_inbound_rules(lab, vx: str, theirs: str) -> None:
    intended = "inboundDialPlanRules:\n  - {domain: vixuyen.hagiang.gov.vn, resolveTocoSpaces: true}\n"
    diff = deploy(lab, vx, intended)
    assert "@@ inboundDialPlanRules domain=vixuyen.hagiang.gov.vn (new) @@" in diff and "+  resolveToIvrs: true" in diff
    oid, rule = by_name(snapshot(lab, vx), "inboundDialPlanRules", "vixuyen.hagiang.gov.vn", key="domain")
    assert (rule["resolveTocoSpaces"], rule["resolveToLyncConferences"], rule["priority"]) == ("true", "false", "0")
    assert deploy(lab, vx, intended) == ""                   # the MCU's defaults are no difference
    diff = deploy(lab, vx, intended.replace("}", ", resolveToUsers: false}"))
    assert diff.splitlines()[2:] == ["@@ inboundDialPlanRules domain=vixuyen.hagiang.gov.vn @@", "-  resolveToUsers: true",
                                     "+  resolveToUsers: false"]
    with driver(lab, vx) as dev:
        dev.load_candidate(intended)
        config = dev.get_config()
    assert "inboundDialPlanRules:\n- domain: vixuyen.hagiang.gov.vn\n" in config and "khac" not in config
    deploy(lab, vx, "")                                       # a rule not named is neither changed nor deleted
    assert fetch(lab, vx, "inboundDialPlanRules", oid)["resolveToUsers"] == "false"
    diff = deploy(lab, vx, "inboundDialPlanRules:\n  - {domain: vixuyen.hagiang.gov.vn, absent: true}\n")
    assert "@@ inboundDialPlanRules domain=vixuyen.hagiang.gov.vn (deleted) @@" in diff
    assert listing(lab, vx, "inboundDialPlanRules") == [theirs]


def test_objects_of_someone_else_are_never_touched(lab, hg):
    profile = create(lab, hg, "callLegProfiles", name="Hồ sơ chuẩn", defaultLayout="allEqual")
    space = create(lab, hg, "coSpaces", name="Phòng giao ban UBND", uri="ubnd.hagiang", callLegProfile=profile)
    rule = create(lab, hg, "outboundDialPlanRules", domain="ubnd.hagiang.gov.vn", sipProxy="10.23.0.1")
    theirs = {("callLegProfiles", profile), ("coSpaces", space), ("outboundDialPlanRules", rule)}
    try:
        check_untouched(lab, hg, theirs, profile)
    finally:
        for collection, oid in theirs:
            api(lab, hg, "DELETE", f"{collection}/{oid}")


def check_untouched(lab, hg: str, theirs: set[tuple[str, str]], profile: str) -> None:
    before = {key: fetch(lab, hg, *key) for key in theirs}
    start = len(requests_logged(lab, hg))
    intended = """\
coSpaces:
  - name: gbtt-tinh
    uri: tinh.hagiang
    callLegProfile: 00000000-0000-0000-0000-000000000000
"""
    with driver(lab, hg) as dev:
        with pytest.raises(ConfigError, match="does not exist on the MCU"):
            dev.load_candidate(intended)
            dev.compare()
        dev.load_candidate(intended.replace("00000000-0000-0000-0000-000000000000", profile))
        assert "Phòng giao ban" not in dev.compare()
        dev.commit()
        config = dev.get_config()
        assert "Phòng giao ban" not in config and "Hồ sơ chuẩn" not in config and "ubnd" not in config
        assert f"callLegProfile: {profile}" in config        # someone else's profile, by id
        assert dev.compare() == ""
    deploy(lab, hg, "")                                       # deletes every gbtt- object, and only those
    assert {key: fetch(lab, hg, *key) for key in theirs} == before
    touched = [d for d in writes(requests_logged(lab, hg)[start:]) if any(oid in d for _, oid in theirs)]
    assert touched == []
    snap = snapshot(lab, hg)
    assert {(c, oid) for c in COLLECTIONS for oid in snap[c]} == theirs


def test_lists_are_paged(lab, hg):
    ids = [create(lab, hg, "coSpaces", name=f"Phòng {i}", uri=f"phong{i}.hagiang") for i in range(7)]
    try:
        check_paging(lab, hg, ids)
    finally:
        for oid in ids:
            api(lab, hg, "DELETE", f"coSpaces/{oid}")


def check_paging(lab, hg: str, ids: list[str]) -> None:
    intended = "coSpaces:\n" + "".join(f"  - {{name: gbtt-xa-{i:02d}, uri: xa{i:02d}.hagiang}}\n" for i in range(14))
    deploy(lab, hg, intended)
    with driver(lab, hg) as dev:
        dev.load_candidate(intended)
        assert dev.compare() == ""
        assert dev.get_config().count("- name: gbtt-xa-") == 14
        dev.load_candidate("")
        assert dev.compare().count("(deleted) @@") == 14
    assert sum("offset=10" in d for d in requests_logged(lab, hg)[-40:]) >= 1
    deploy(lab, hg, "")
    assert sorted(listing(lab, hg, "coSpaces")) == sorted(ids)


# -- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("intended, message", [
    ("coSpaces:\n  - {name: gbtt-x, colour: blue}\n", "unknown parameter 'colour'"),
    ("coSpaces:\n  - {name: gbtt-x, pascode: '1234'}\n", "did you mean 'passcode'"),
    ("coSpaces:\n  - {name: gbtt-x, callLegProfile: gbtt-missing}\n", "callLegProfile 'gbtt-missing' is not in"),
    ("coSpaces:\n  - {name: gbtt-x, callProfile: gbtt-missing}\n", "callProfile 'gbtt-missing' is not in"),
    ("coSpaces:\n  - {name: gbtt-x, passcode: 12ab9876}\n", "passcode must be digits only"),
    ("coSpaces:\n  - {name: gbtt-x, defaultLayout: huge}\n", "defaultLayout must be one of"),
    ("coSpaces:\n  - {name: gbtt-x}\n  - {name: gbtt-x}\n", "given twice"),
    ("coSpaces:\n  - {uri: x}\n", "has no name"),
    ("coSpaces:\n  - {name: gbtt-x, requireCallId: true}\n", "API action"),
    ("callProfiles:\n  - {name: gbtt-cp, participantLimit: 3}\n", "used by no coSpace"),
    ("callLegProfiles:\n  - {name: gbtt-p, needsActivation: maybe}\n", "must be true or false"),
    ("cospaces: []\n", "unknown top-level key"),
    ("coSpaces: [\n", "not YAML"),
    ("inboundDialPlanRules:\n  - {domain: x.vn, resolveToCoSpaces: true}\n", "did you mean 'resolveTocoSpaces'"),
    ("coSpaces:\n  - {name: gbtt-link-1, uri: x}\n", "reserved for the interconnect job"),
])
def test_a_bad_intended_is_refused_before_any_write(lab, intended, message):
    start = len(requests_logged(lab, VX))
    with driver(lab, VX) as dev:
        with pytest.raises(ConfigError, match=message) as err:
            dev.load_candidate(intended)
        assert "12ab9876" not in str(err.value) and "1234" not in str(err.value)
        with pytest.raises(ConfigError, match="no candidate loaded"):
            dev.commit()
    assert writes(requests_logged(lab, VX)[start:]) == []


def test_an_api_refusal_mid_commit_is_undone(lab, hg):
    deploy(lab, hg, INTENDED)
    theirs = create(lab, hg, "coSpaces", name="Phòng khác", uri="phongkhac.hagiang")
    before = snapshot(lab, hg)
    # a new profile, an update, then a coSpace whose URI is taken: the MCU refuses the third write
    bad = INTENDED.replace("defaultLayout: allEqual", "defaultLayout: stacked") + """\
  - name: gbtt-zz-trung
    uri: phongkhac.hagiang
    callLegProfile: gbtt-moi
"""
    bad = bad.replace("callLegProfiles:\n", "callLegProfiles:\n  - {name: gbtt-moi, muteSelfAllowed: true}\n")
    start = len(requests_logged(lab, hg))
    with driver(lab, hg) as dev:
        dev.load_candidate(bad)
        with pytest.raises(CommitError, match="duplicateCoSpaceUri") as err:
            dev.commit()
        assert err.value.restored is True and "restored to the previous configuration" in str(err.value)
    assert snapshot(lab, hg) == before
    done = writes(requests_logged(lab, hg)[start:])
    assert [d.split(" ")[0] for d in done] == ["POST", "PUT", "POST", "PUT", "DELETE"]
    # the first write refused: nothing changed, a ConfigError
    with driver(lab, hg) as dev:
        dev.load_candidate(INTENDED + "  - {name: gbtt-trung, uri: phongkhac.hagiang}\n")
        with pytest.raises(ConfigError, match="nothing was changed"):
            dev.commit()
    api(lab, hg, "DELETE", f"coSpaces/{theirs}")
    before["coSpaces"].pop(theirs)
    assert snapshot(lab, hg) == before


def test_a_dropped_connection_mid_commit_is_reported_and_rolled_back_after_clear(lab, vx):
    deploy(lab, vx, INTENDED)
    before = snapshot(lab, vx)
    changed = INTENDED.replace("hopxa.vixuyen", "hopxa2.vixuyen").replace("giaoban.vixuyen", "giaoban2.vixuyen")
    changed += "  - {name: gbtt-zz-moi, uri: moi.vixuyen}\n"
    with driver(lab, vx) as dev:
        dev.load_candidate(changed)
        start = len(requests_logged(lab, vx))
        dev.compare()
        reads = len(requests_logged(lab, vx)) - start      # commit reads the same before writing
        lab.fault(vx, "drop", str(reads + 1))                # the first write passes, the second is cut
        try:
            with pytest.raises(CommitError, match="connection failed") as err:
                dev.commit()
            assert err.value.restored is False and "NOT restored" in str(err.value)
        finally:
            lab.fault(vx, "clear")
        assert snapshot(lab, vx) != before
        dev.rollback()
    assert snapshot(lab, vx) == before


def test_rollback_applies_the_backup(lab, vx):
    deploy(lab, vx, INTENDED)
    reference = driver(lab, vx)
    with reference:
        original = reference.get_config()
    changed = (INTENDED.replace("defaultLayout: automatic", "defaultLayout: stacked")
               .replace("  - name: gbtt-hop-xa\n", "  - name: gbtt-hop-xa-2\n")
               .replace("    priority: 10\n", "    priority: 20\n"))
    with driver(lab, vx) as dev:
        dev.load_candidate(changed)
        dev.backup()
        dev.commit()
        assert dev.compare() == ""
        dev.rollback()
        dev.load_candidate(INTENDED)
        assert dev.compare() == ""
    with reference:
        assert reference.get_config() == original


# -- secrets, trust, login -----------------------------------------------------------------

def test_secrets_never_appear_in_compare(lab, vx):
    deploy(lab, vx, INTENDED)
    _, space = by_name(snapshot(lab, vx), "coSpaces", "gbtt-giao-ban-huyen")
    generated = space["secret"]                  # the MCU made one with the call id: not in intended
    assert generated
    with driver(lab, vx) as dev:
        dev.load_candidate(INTENDED.replace('"24680135"', '"97531864"'))
        diff = dev.compare()
        assert diff.splitlines()[2:] == ["@@ coSpaces name=gbtt-giao-ban-huyen @@", "-  passcode: <redacted>",
                                         "+  passcode: <redacted>"]
        dev.load_candidate(INTENDED.replace("    passcode:", "    secret: sEcReT-guest-link\n    passcode:"))
        diff = dev.compare()
        assert "secret: <redacted>" in diff
        for value in ("24680135", "97531864", "sEcReT-guest-link", generated, "lab-mcu-only"):
            assert value not in diff


def test_one_https_connection_per_deploy(lab, vx):
    with driver(lab, vx) as dev:
        dev.load_candidate(INTENDED)
        dev.compare()
        dev.commit()
        dev.health()
        pools = dev._session.get_adapter("https://").poolmanager.pools
        assert sum(pools[key].num_connections for key in pools.keys()) == 1


def test_the_environment_cannot_change_what_is_trusted(lab, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    with driver(lab, HG) as dev:
        assert dev.get_facts()["hostname"] == HG
    system_store = requests.certs.where()
    with pytest.raises(TrustError, match="does not verify"):
        driver(lab, HG, ca_bundle=system_store).open()
    with pytest.raises(TrustError, match="no CA bundle"):
        driver(lab, HG, ca_bundle=None).open()


def test_an_untrusted_certificate_is_refused_before_any_request(lab):
    host = HG
    before = len(lab.log_entries(host))
    lab.fault(host, "badcert")
    try:
        dev = driver(lab, host)
        with pytest.raises(TrustError, match="certificate") as err:
            dev.open()
        assert "lab-mcu-only" not in str(err.value)
        after = lab.log_entries(host)[before:]
    finally:
        lab.fault(host, "clear")
    assert [e for e in after if e["event"] in ("request", "login", "api")] == []
    with driver(lab, host) as dev:
        assert dev.health()[0].ok


def test_a_refused_login_is_an_authentication_error(lab):
    lab.fault(HG, "refuse_login")
    try:
        start = len(lab.log_entries(HG))
        with pytest.raises(AuthenticationError, match="gbtt-api") as err:
            driver(lab, HG).open()
        assert "lab-mcu-only" not in str(err.value)
        assert [e["event"] for e in lab.log_entries(HG)[start:]] == ["login"]   # tried once, no retry loop
    finally:
        lab.fault(HG, "clear")
    with pytest.raises(AuthenticationError):
        driver(lab, HG, password="wrong").open()


def test_an_unreachable_mcu_is_a_connect_error(lab):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError):
        driver(lab, HG, port=port, timeout=3).open()


# -- maintenance queries: ask and probe --------------------------------------------------------

def test_ask_gives_the_api_answer_as_a_plain_dict(lab, hg):
    create(lab, hg, "coSpaces", name="gbtt-ask-a", uri="ask.a")
    create(lab, hg, "coSpaces", name="gbtt-ask-b", uri="ask.b")
    with driver(lab, hg) as dev:
        status = dev.ask({"get": "system/status"})
        facts = dev.get_facts()
        assert status["softwareVersion"] == facts["os_version"] == "3.9.2"
        assert status["callLegsActive"] == "0" and status["activated"] == "true"
        assert isinstance(facts["uptime"], int) and 0 <= facts["uptime"] - int(status["uptimeSeconds"]) <= 1
        licensing = dev.ask({"get": "system/licensing"})
        assert licensing["features"]["callBridge"] == {"status": "activated", "expiry": "2030-Dec-31"}
        assert licensing["features"]["recording"] == {"status": "noLicense"}
        assert dev.ask({"get": "/system/configuration/cluster"}) == {"participantLimit": "96"}
        spaces = dev.ask({"get": "coSpaces?filter=gbtt-ask&limit=5"})
        assert spaces["@total"] == "2"
        assert sorted(s["name"] for s in spaces["coSpace"]) == ["gbtt-ask-a", "gbtt-ask-b"]   # repeated: a list
        one = dev.ask({"get": "coSpaces?filter=gbtt-ask-a"})
        assert one["coSpace"]["uri"] == "ask.a" and set(one["coSpace"]) >= {"@id", "name", "uri"}
        assert dev.ask({"get": "coSpaces?filter=nothing-like-this"}) == {"@total": "0"}
        secret = dev.ask({"get": f"coSpaces/{create(lab, hg, 'coSpaces', name='gbtt-ask-c', passcode='8642')}"})
        assert secret["passcode"] == "<redacted>" and secret["name"] == "gbtt-ask-c"
    assert "GET /api/v1/coSpaces?filter=gbtt-ask&limit=5" in requests_logged(lab, hg)


@pytest.mark.parametrize("query, message", [
    ({"get": "../admin"}, "not a path"),
    ({"get": "system/../coSpaces"}, "not a path"),
    ({"get": "/api/v1/system/status"}, "not a path"),
    ({"get": "https://10.0.0.1/api/v1/system/status"}, "not a path"),
    ({"get": "system//status"}, "not a path"),
    ({"get": "system/status%2F.."}, "not a path"),
    ({"get": ""}, "not a path"),
    ({"get": "coSpaces?secret=x"}, "not a list parameter"),
    ({"get": "coSpaces?limit=5&limit=6"}, "given twice"),
    ({"get": "coSpaces?limit=all"}, "bad value"),
    ({"get": "coSpaces?filter"}, "not name=value"),
    ({"get": "coSpaces", "method": "DELETE"}, "only reads"),
    ({"post": "coSpaces"}, "only reads"),
    ({"get": ["system/status"]}, "only reads"),
    ("system/status", "only reads"),
])
def test_ask_refuses_anything_but_a_plain_get(lab, query, message):
    before = len(requests_logged(lab, HG))
    with driver(lab, HG) as dev:
        with pytest.raises(ConfigError, match=message):
            dev.ask(query)
    assert requests_logged(lab, HG)[before:] == ["GET /api/v1/system/status"]     # open() only


def test_ask_for_what_the_mcu_does_not_have_is_a_config_error(lab):
    with driver(lab, HG) as dev:
        with pytest.raises(ConfigError, match="unrecognizedObject"):
            dev.ask({"get": "system/nothing"})
        with pytest.raises(ConfigError, match="coSpaceDoesNotExist"):
            dev.ask({"get": "coSpaces/00000000-0000-0000-0000-000000000000"})


def test_probe_reads_the_certificate_without_a_login(lab):
    before = len(lab.log_entries(HG))
    dev = driver(lab, HG)                     # never opened: the probe needs no session
    cert = dev.probe({"tls": True})
    assert lab.log_entries(HG)[before:] == []     # no request, no login: only a handshake
    assert cert["verified"] is True and cert["error"] is None
    assert cert["subject"] == f"CN={HG},O=gbtt embedded lab"
    assert cert["issuer"] == "CN=gbtt lab CA (127.0.0.1 only),O=gbtt embedded lab"
    assert cert["not_after"].endswith("Z") and cert["not_before"] < cert["not_after"]
    assert 823 < cert["days_left"] <= 825 and len(cert["sha256"].split(":")) == 32
    with pytest.raises(ConfigError, match="tls: true"):
        dev.probe({"tls": "yes"})


@pytest.mark.parametrize("fault, error", [(("badcert",), "unable to get local issuer certificate"),
                                          (("badcert", "-2"), "certificate has expired")])
def test_probe_reads_a_certificate_that_does_not_verify(lab, fault, error):
    lab.fault(HG, *fault)
    try:
        cert = driver(lab, HG).probe({"tls": True})
        with pytest.raises(TrustError, match=error):
            driver(lab, HG).open()
    finally:
        lab.fault(HG, "clear")
    assert cert["verified"] is False and error in cert["error"]
    if fault[1:]:
        assert -2.01 < cert["days_left"] < -1.99 and cert["issuer"].startswith("CN=gbtt lab CA")
    else:
        assert cert["issuer"] == "CN=an untrusted CA,O=gbtt embedded lab"
    assert driver(lab, HG).probe({"tls": True})["verified"] is True


def test_probe_without_a_ca_bundle_or_a_listener(lab):
    cert = driver(lab, HG, ca_bundle=None).probe({"tls": True})
    assert cert["verified"] is False and "no CA bundle" in cert["error"]
    assert cert["subject"] == f"CN={HG},O=gbtt embedded lab"
    wrong = driver(lab, HG, ca_bundle=requests.certs.where()).probe({"tls": True})
    assert wrong["verified"] is False and "unable to get local issuer certificate" in wrong["error"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError):
        driver(lab, HG, port=port, timeout=3).probe({"tls": True})
