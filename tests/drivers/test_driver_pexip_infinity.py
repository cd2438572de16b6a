"""The Pexip Infinity driver (gbtt/drivers/pexip_infinity.py) against the lab's Pexip platform over
real HTTPS: deploys, ownership and scopes, validation, commit failures and their undo, trust and
login errors, call control, and the maintenance queries (ask, probe).

quan-ba-mcu is the lab's only Pexip Infinity; the lead's tests deploy it too, so every test here
first brings it to a known state: the empty document in the deploy scope (every gbtt- object of
the deploy goes) and in the scopes these tests use.  The codecs dialled are quan-ba-dong-ha-codec
and quan-ba-lung-tam-codec (Cisco CE), which no other test file calls.
"""

from __future__ import annotations

import socket

import pytest
import requests

from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams, Driver,
                               TrustError, driver_for)
from gbtt.drivers.pexip_infinity import PexipDriver, dump, parse

pytestmark = pytest.mark.lab

AUTH = ("gbtt-api", "lab-mcu-only")
QB, ADDRESS = "quan-ba-mcu", "10.23.15.2"
DONG_HA, LUNG_TAM = "10.23.15.139", "10.23.15.141"
CONF, RULES = "configuration/v1/conference/", "configuration/v1/gateway_routing_rule/"
L1, L2, M1 = "link:pt1", "link:pt2", "meeting:pm1"

INTENDED = """\
conferences:
  - name: gbtt-qb-giao-ban
    service_type: conference
    participant_limit: 24
    mute_all_guests: true
    pin: "24680135"
    max_callrate_out: 2048000
    aliases:
      - qb.giaoban
      - {alias: qb.giaoban@10.23.15.2, description: SIP}
  - name: gbtt-qb-hop-xa
    host_view: four_mains_zero_pips
    aliases: [qb.hopxa]
gateway_routing_rules:
  - name: gbtt-qb-endpoints
    priority: 100
    match_string: '(sip:)?([^@]+@)?10\\.23\\.15(\\.\\d{1,3}){1}'
    match_incoming_calls: false
    match_outgoing_calls: true
"""


# -- helpers -------------------------------------------------------------------------------

def params(lab, **overrides) -> ConnectionParams:
    scope = overrides.pop("scope", None)
    values = dict(address="127.0.0.1", port=lab.ports[QB], username="gbtt-api", password="lab-mcu-only",
                  ca_bundle=str(lab.settings.ca_bundle), timeout=10, extra={} if scope is None else {"scope": scope})
    values.update(overrides)
    return ConnectionParams(**values)


def driver(lab, **overrides) -> PexipDriver:
    return PexipDriver(QB, params(lab, **overrides))


def deploy(lab, intended: str, scope: str | None = None) -> str:
    """The deploy flow of gbtt/drivers/base.py in a scope; the diff it applied."""
    with driver(lab, scope=scope) as dev:
        dev.load_candidate(intended)
        diff = dev.compare()
        if diff:
            dev.backup()
            dev.commit()
            assert all(check.ok for check in dev.health())
            dev.confirm()
        return diff


def api(lab, method: str, path: str, body=None, **query) -> requests.Response:
    return requests.request(method, f"https://127.0.0.1:{lab.ports[QB]}/api/admin/{path}", auth=AUTH, json=body,
                            params=query, verify=str(lab.settings.ca_bundle), timeout=10)


def create(lab, path: str, **fields) -> str:
    response = api(lab, "POST", path, fields)
    assert response.status_code == 201, response.text
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def listing(lab, path: str) -> list[dict]:
    objects, query = [], {"limit": 1000}
    page = api(lab, "GET", path, **query).json()
    objects += page["objects"]
    assert page["meta"]["next"] is None
    return objects


def snapshot(lab) -> dict[str, dict[int, dict]]:
    """Every VMR and Call Routing Rule on the platform, by id, without the creation times."""
    def plain(obj: dict) -> dict:
        out = {k: v for k, v in obj.items() if k != "creation_time"}
        if "aliases" in out:
            out["aliases"] = sorted((a["alias"], a["description"]) for a in out["aliases"])
        return out
    return {path: {o["id"]: plain(o) for o in listing(lab, path)} for path in (CONF, RULES)}


def by_name(snap: dict, path: str, name: str) -> dict:
    (found,) = [o for o in snap[path].values() if o["name"] == name]
    return found


def with_vmr(intended: str, line: str) -> str:
    """``intended`` with one more VMR (a flow mapping line) at the end of its conferences."""
    return intended.replace("gateway_routing_rules:\n", f"{line}\ngateway_routing_rules:\n", 1)


def requests_logged(lab) -> list[str]:
    return [e["detail"] for e in lab.log_entries(QB) if e["event"] == "request"]


def writes(details: list[str]) -> list[str]:
    return [d for d in details if not d.startswith("GET ")]


def wipe(lab) -> None:
    for scope in (L1, L2, M1):
        with driver(lab, scope=scope) as dev:
            dev.call_down(f"gbtt-{scope.split(':')[0]}-{scope.split(':')[1]}")
        deploy(lab, "", scope)
    deploy(lab, "")


@pytest.fixture
def qb(lab):
    """quan-ba-mcu without gbtt objects of the deploy or of these tests' scopes, before and after."""
    wipe(lab)
    yield QB
    wipe(lab)


# -- the document (no device) ---------------------------------------------------------------

def test_json_and_yaml_read_the_same_and_get_config_output_loads_back():
    doc = parse(INTENDED)
    as_json = parse('{"conferences": [{"name": "gbtt-qb-giao-ban", "service_type": "conference", '
                    '"participant_limit": 24, "mute_all_guests": true, "pin": "24680135", "max_callrate_out": 2048000, '
                    '"aliases": ["qb.giaoban", {"alias": "qb.giaoban@10.23.15.2", "description": "SIP"}]}, '
                    '{"name": "gbtt-qb-hop-xa", "host_view": "four_mains_zero_pips", "aliases": ["qb.hopxa"]}], '
                    '"gateway_routing_rules": [{"name": "gbtt-qb-endpoints", "priority": 100, "match_string": '
                    '"(sip:)?([^@]+@)?10\\\\.23\\\\.15(\\\\.\\\\d{1,3}){1}", "match_incoming_calls": false, '
                    '"match_outgoing_calls": true}]}')
    assert as_json.objects == doc.objects
    text = dump(doc)
    assert dump(parse(text)) == text == dump(as_json)
    assert "service_type" not in text                           # the default is not written: the same target
    assert parse("conferences:\n  - {name: gbtt-x, pin: \"0012\"}\n").objects["conferences"]["gbtt-x"]["pin"] == "0012"


def test_registry_knows_the_driver():
    assert driver_for("pexip_infinity") is PexipDriver
    assert PexipDriver.platform == "pexip_infinity" and PexipDriver.device_class == "mcu"
    for name in ("call_up", "calls", "call_down", "ask", "probe"):
        assert getattr(PexipDriver, name) is not getattr(Driver, name)


# -- reading -------------------------------------------------------------------------------

def test_facts_come_from_the_management_and_conferencing_nodes(lab):
    with driver(lab) as dev:
        facts = dev.get_facts()
    manager = api(lab, "GET", "status/v1/management_vm/").json()["objects"][0]
    assert facts["hostname"] == QB and facts["vendor"] == "Pexip" and facts["model"] == "Pexip Infinity"
    assert facts["software_version"] == manager["version"] == "35.1 (build 81267)"
    assert facts["os_version"] == "35.1" and facts["serial"] == manager["name"]
    assert isinstance(facts["uptime"], int) and facts["uptime"] >= 0 and facts["conferencing_nodes"] == 2


def test_health_checks_the_api_and_the_licences(lab):
    with driver(lab) as dev:
        checks = dev.health()
    assert [c.name for c in checks] == ["api", "licensed"] and all(c.ok for c in checks), checks
    lab.fault(QB, "drift", "licence", "port", "concurrent", "0")
    try:
        with driver(lab) as dev:
            licensed = dev.health()[1]
    finally:
        lab.fault(QB, "drift", "licence", "port", "concurrent", "50")
    assert not licensed.ok and "no port licence" in licensed.detail


# -- deploying -----------------------------------------------------------------------------

def test_first_deploy_creates_the_objects_and_a_second_compare_is_empty(lab, qb):
    with driver(lab) as dev:
        dev.load_candidate(INTENDED)
        diff = dev.compare()
        assert diff.startswith(f"--- {QB} (running)\n+++ {QB} (candidate)\n")
        for header in ("@@ conferences name=gbtt-qb-giao-ban (new) @@", "@@ conferences name=gbtt-qb-hop-xa (new) @@",
                       "@@ gateway_routing_rules name=gbtt-qb-endpoints (new) @@"):
            assert header in diff
        assert "+  participant_limit: 24" in diff and "+  alias: qb.giaoban@10.23.15.2 (SIP)" in diff
        assert "+  pin: <redacted>" in diff and "24680135" not in diff
        assert "service_type" not in diff                       # a default is no difference
        before = len(requests_logged(lab))
        dev.compare()
        assert not writes(requests_logged(lab)[before:])       # compare never writes
        dev.commit()
        assert dev.compare() == ""
    snap = snapshot(lab)
    giao_ban = by_name(snap, CONF, "gbtt-qb-giao-ban")
    assert (giao_ban["participant_limit"], giao_ban["mute_all_guests"], giao_ban["pin"]) == (24, True, "24680135")
    assert giao_ban["aliases"] == [("qb.giaoban", ""), ("qb.giaoban@10.23.15.2", "SIP")]
    rule = by_name(snap, RULES, "gbtt-qb-endpoints")
    assert (rule["priority"], rule["match_outgoing_calls"], rule["match_incoming_calls"]) == (100, True, False)
    before = len(requests_logged(lab))                          # idempotent in a new session, without a write
    assert deploy(lab, INTENDED) == ""
    assert not writes(requests_logged(lab)[before:])


def test_get_config_is_the_intended_format_and_loads_back(lab, qb):
    deploy(lab, INTENDED)
    with driver(lab) as dev:
        dev.load_candidate(INTENDED)
        config = dev.get_config()
        assert dev.backup() == config
        assert config.index("conferences:") < config.index("gateway_routing_rules:")
        assert config.index("name: gbtt-qb-giao-ban") < config.index("name: gbtt-qb-hop-xa")
        assert "pin: '24680135'" in config                       # a backup can be loaded back
        dev.load_candidate(config)
        assert dev.compare() == ""
        assert dev.get_config() == config


def test_changing_a_field_patches_only_that_field(lab, qb):
    deploy(lab, INTENDED)
    before = snapshot(lab)
    oid = by_name(before, CONF, "gbtt-qb-hop-xa")["id"]
    start = len(requests_logged(lab))
    diff = deploy(lab, INTENDED.replace("four_mains_zero_pips", "nine_mains_zero_pips"))
    assert diff.splitlines()[2:] == ["@@ conferences name=gbtt-qb-hop-xa @@", "-  host_view: four_mains_zero_pips",
                                     "+  host_view: nine_mains_zero_pips"]
    assert writes(requests_logged(lab)[start:]) == [f"PATCH /api/admin/{CONF}{oid}/"]
    after = snapshot(lab)
    after[CONF][oid]["host_view"] = "four_mains_zero_pips"
    assert after == before


def test_aliases_are_a_set_changed_alias_by_alias(lab, qb):
    deploy(lab, INTENDED)
    diff = deploy(lab, INTENDED.replace("aliases: [qb.hopxa]", "aliases: [QB.HOPXA, qb.hopxa@10.23.15.2]"))
    assert diff.splitlines()[2:] == ["@@ conferences name=gbtt-qb-hop-xa @@", "-  alias: qb.hopxa",
                                     "+  alias: QB.HOPXA", "+  alias: qb.hopxa@10.23.15.2"]
    assert by_name(snapshot(lab), CONF, "gbtt-qb-hop-xa")["aliases"] == [("QB.HOPXA", ""),
                                                                        ("qb.hopxa@10.23.15.2", "")]
    reordered = INTENDED.replace("aliases: [qb.hopxa]", "aliases: [qb.hopxa@10.23.15.2, QB.HOPXA]")
    assert deploy(lab, reordered) == ""                        # the order of the aliases is no difference


def test_removing_an_owned_object_deletes_it_and_the_empty_document_deletes_all(lab, qb):
    deploy(lab, INTENDED)
    smaller = INTENDED.replace("  - name: gbtt-qb-hop-xa\n    host_view: four_mains_zero_pips\n"
                               "    aliases: [qb.hopxa]\n", "")
    diff = deploy(lab, smaller)
    assert "@@ conferences name=gbtt-qb-hop-xa (deleted) @@" in diff and "-  alias: qb.hopxa" in diff
    assert [o["name"] for o in snapshot(lab)[CONF].values() if o["name"].startswith("gbtt-qb")] == ["gbtt-qb-giao-ban"]
    start = len(requests_logged(lab))
    deploy(lab, "")
    deletes = [d.split("/")[5] for d in writes(requests_logged(lab)[start:])]
    assert deletes == ["conference", "gateway_routing_rule"]    # the VMRs first, then the rules
    snap = snapshot(lab)
    assert not [o for path in snap for o in snap[path].values() if o["name"].startswith("gbtt-qb")]


def test_objects_of_someone_else_are_never_touched_and_absent_deletes_one(lab, qb):
    theirs = [create(lab, CONF, name="Phòng giao ban UBND", aliases=[{"alias": "ubnd.quanba"}]),
              create(lab, RULES, name="Định tuyến tỉnh", priority=5, match_string=".*@10\\.23\\.1\\.2",
                     match_outgoing_calls=True)]
    try:
        before = snapshot(lab)
        start = len(requests_logged(lab))
        deploy(lab, INTENDED)
        with driver(lab) as dev:
            dev.load_candidate(INTENDED)
            config = dev.get_config()
        assert "Phòng giao ban" not in config and "Định tuyến" not in config
        deploy(lab, "")
        touched = [d for d in writes(requests_logged(lab)[start:]) if f"/{theirs[0]}/" in d or f"/{theirs[1]}/" in d]
        assert touched == []
        assert snapshot(lab) == before
        diff = deploy(lab, "conferences:\n  - {name: Phòng giao ban UBND, absent: true}\n")
        assert "@@ conferences name=Phòng giao ban UBND (deleted) @@" in diff and "-  alias: ubnd.quanba" in diff
        assert theirs[0] not in [str(i) for i in snapshot(lab)[CONF]]
    finally:
        api(lab, "DELETE", f"{CONF}{theirs[0]}/")
        api(lab, "DELETE", f"{RULES}{theirs[1]}/")


def test_lists_are_read_to_the_end(lab, qb):
    ids = [create(lab, CONF, name=f"Phòng {i:02d}") for i in range(12)]
    try:
        intended = "conferences:\n" + "".join(f"  - {{name: gbtt-xa-{i:02d}, aliases: [xa{i:02d}.quanba]}}\n"
                                              for i in range(14))
        deploy(lab, intended)
        start = len(requests_logged(lab))
        with driver(lab) as dev:
            dev.load_candidate(intended)
            assert dev.compare() == ""
            assert dev.get_config().count("- name: gbtt-xa-") == 14
            dev.load_candidate("")
            assert dev.compare().count("(deleted) @@") == 14
        assert any("offset=20" in d for d in requests_logged(lab)[start:])
    finally:
        for oid in ids:
            api(lab, "DELETE", f"{CONF}{oid}/")


# -- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("intended, message", [
    ("conferences:\n  - {name: gbtt-x, colour: blue}\n", "unknown field 'colour'"),
    ("conferences:\n  - {name: gbtt-x, participant_limt: 3}\n", "did you mean 'participant_limit'"),
    ("conferences:\n  - {name: gbtt-x, participant_limit: -3}\n", "participant_limit must be 0..1000000"),
    ("conferences:\n  - {name: gbtt-x, pin: 12ab9876}\n", "4 to 20 digits"),
    ("conferences:\n  - {name: gbtt-x, host_view: huge}\n", "host_view must be one of"),
    ("conferences:\n  - {name: gbtt-x, mute_all_guests: maybe}\n", "must be true or false"),
    ("conferences:\n  - {name: gbtt-x, max_callrate_out: 64}\n", "max_callrate_out must be 128000..8192000"),
    ("conferences:\n  - {name: gbtt-x, guest_pin: '13579'}\n", "a guest_pin needs a pin"),
    ("conferences:\n  - {name: gbtt-x}\n  - {name: gbtt-x}\n", "given twice"),
    ("conferences:\n  - {aliases: [x]}\n", "has no name"),
    ("conferences:\n  - {name: gbtt-x, aliases: [a b]}\n", "without spaces"),
    ("conferences:\n  - {name: gbtt-x, aliases: [a]}\n  - {name: gbtt-y, aliases: [SIP:A]}\n", "reaches one service"),
    ("conferences:\n  - {name: gbtt-x, absent: true, pin: '1234'}\n", "give only name and absent"),
    ("gateway_routing_rules:\n  - {name: gbtt-r, match_string: x}\n", "priority is required"),
    ("gateway_routing_rules:\n  - {name: gbtt-r, priority: 5, match_string: '(['}\n", "not a regular expression"),
    ("conference: []\n", "did you mean 'conferences'"),
    ("conferences: [\n", "not YAML"),
    ("conferences:\n  - {name: gbtt-link-1}\n", "reserved for the interconnect job"),
    ("gateway_routing_rules:\n  - {name: gbtt-meeting-1, priority: 1, match_string: x}\n", "reserved"),
])
def test_a_bad_intended_is_refused_before_any_write(lab, intended, message):
    start = len(requests_logged(lab))
    with driver(lab) as dev:
        with pytest.raises(ConfigError, match=message) as err:
            dev.load_candidate(intended)
        assert "12ab9876" not in str(err.value) and "13579" not in str(err.value)
        with pytest.raises(ConfigError, match="no candidate loaded"):
            dev.commit()
    assert writes(requests_logged(lab)[start:]) == []


def test_an_api_refusal_mid_commit_is_undone(lab, qb):
    deploy(lab, INTENDED)
    theirs = create(lab, CONF, name="Phòng khác", aliases=[{"alias": "phongkhac.quanba"}])
    try:
        before = snapshot(lab)
        # a changed VMR, then a new one whose alias is taken: the MCU refuses the second write
        bad = with_vmr(INTENDED.replace("four_mains_zero_pips", "nine_mains_zero_pips"),
                       "  - {name: gbtt-qb-zz-trung, aliases: [PHONGKHAC.quanba]}")
        start = len(requests_logged(lab))
        with driver(lab) as dev:
            dev.load_candidate(bad)
            with pytest.raises(CommitError, match="aliases\\[0\\].alias: Conference alias with this Alias already "
                                                  "exists") as err:
                dev.commit()
            assert err.value.restored is True and "restored to the previous configuration" in str(err.value)
        assert snapshot(lab) == before
        assert [d.split(" ")[0] for d in writes(requests_logged(lab)[start:])] == ["PATCH", "POST", "PATCH"]
        # the first write refused: nothing changed, a ConfigError
        with driver(lab) as dev:
            dev.load_candidate(with_vmr(INTENDED, "  - {name: gbtt-qb-trung, aliases: [phongkhac.quanba]}"))
            with pytest.raises(ConfigError, match="nothing was changed"):
                dev.commit()
        assert snapshot(lab) == before
    finally:
        api(lab, "DELETE", f"{CONF}{theirs}/")


def test_a_dropped_connection_mid_commit_is_reported_and_rolled_back_after_clear(lab, qb):
    deploy(lab, INTENDED)
    before = snapshot(lab)
    changed = with_vmr(INTENDED.replace("participant_limit: 24", "participant_limit: 30").replace(
        "four_mains_zero_pips", "nine_mains_zero_pips"), "  - {name: gbtt-qb-zz-moi, aliases: [moi.quanba]}")
    with driver(lab) as dev:
        dev.load_candidate(changed)
        start = len(requests_logged(lab))
        dev.compare()
        reads = len(requests_logged(lab)) - start          # commit reads the same before writing
        lab.fault(QB, "drop", str(reads + 1))               # the first write passes, the second is cut
        try:
            with pytest.raises(CommitError, match="connection failed") as err:
                dev.commit()
            assert err.value.restored is False and "NOT restored" in str(err.value)
        finally:
            lab.fault(QB, "clear")
        assert snapshot(lab) != before
        dev.rollback()
    assert snapshot(lab) == before


def test_rollback_applies_the_backup(lab, qb):
    deploy(lab, INTENDED)
    with driver(lab) as reference:
        original = reference.get_config()
    changed = (INTENDED.replace("participant_limit: 24", "participant_limit: 12")
               .replace("  - name: gbtt-qb-hop-xa\n", "  - name: gbtt-qb-hop-xa-2\n")
               .replace("    priority: 100\n", "    priority: 90\n"))
    with driver(lab) as dev:
        dev.load_candidate(changed)
        dev.backup()
        dev.commit()
        assert dev.compare() == ""
        dev.rollback()
        dev.load_candidate(INTENDED)
        assert dev.compare() == ""
        assert dev.get_config() == original


# -- secrets, trust, login -----------------------------------------------------------------

def test_pins_never_appear_in_compare_or_errors(lab, qb):
    deploy(lab, INTENDED)
    with driver(lab) as dev:
        dev.load_candidate(INTENDED.replace('"24680135"', '"97531864"'))
        assert dev.compare().splitlines()[2:] == ["@@ conferences name=gbtt-qb-giao-ban @@", "-  pin: <redacted>",
                                                  "+  pin: <redacted>"]
        dev.load_candidate(INTENDED.replace("    pin:", "    allow_guests: true\n    guest_pin: '11223344'\n    pin:"))
        diff = dev.compare()
        assert "+  guest_pin: <redacted>" in diff
        for value in ("24680135", "97531864", "11223344", "lab-mcu-only"):
            assert value not in diff
        assert "24680135" not in str(dev.ask({"get": CONF}))


def test_one_https_connection_per_deploy(lab, qb):
    with driver(lab) as dev:
        dev.load_candidate(INTENDED)
        dev.compare()
        dev.commit()
        dev.health()
        pools = dev._session.get_adapter("https://").poolmanager.pools
        assert sum(pools[key].num_connections for key in pools.keys()) == 1


def test_the_environment_cannot_change_what_is_trusted(lab, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    with driver(lab) as dev:
        assert dev.get_facts()["hostname"] == QB
    with pytest.raises(TrustError, match="does not verify"):
        driver(lab, ca_bundle=requests.certs.where()).open()
    with pytest.raises(TrustError, match="no CA bundle"):
        driver(lab, ca_bundle=None).open()


def test_an_untrusted_certificate_is_refused_before_any_request(lab):
    before = len(lab.log_entries(QB))
    lab.fault(QB, "badcert")
    try:
        with pytest.raises(TrustError, match="certificate") as err:
            driver(lab).open()
        assert "lab-mcu-only" not in str(err.value)
        after = lab.log_entries(QB)[before:]
    finally:
        lab.fault(QB, "clear")
    assert [e for e in after if e["event"] in ("request", "login", "api")] == []
    with driver(lab) as dev:
        assert dev.health()[0].ok


def test_a_refused_login_is_an_authentication_error(lab):
    lab.fault(QB, "refuse_login")
    try:
        start = len(lab.log_entries(QB))
        with pytest.raises(AuthenticationError, match="gbtt-api") as err:
            driver(lab).open()
        assert "lab-mcu-only" not in str(err.value)
        assert [e["event"] for e in lab.log_entries(QB)[start:]] == ["login"]   # tried once, no retry loop
    finally:
        lab.fault(QB, "clear")
    with pytest.raises(AuthenticationError):
        driver(lab, password="wrong").open()


def test_an_unreachable_mcu_is_a_connect_error(lab):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError):
        driver(lab, port=port, timeout=3).open()


# -- scopes --------------------------------------------------------------------------------------

LINK_PT1 = """\
conferences:
  - name: gbtt-link-pt1
    max_callrate_out: 2000000
    aliases: [gbtt-link-pt1, gbtt-link-pt1@10.23.15.2]
gateway_routing_rules:
  - name: gbtt-link-pt1--yen-minh
    priority: 50
    match_string: '(sip:)?[^@]+@10\\.23\\.14\\.2'
    match_incoming_calls: false
    match_outgoing_calls: true
"""
LINK_PT2 = "conferences:\n  - {name: gbtt-link-pt2, aliases: [gbtt-link-pt2]}\n"


def headers(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith("@@")]


def test_a_link_changes_only_its_own_objects(lab, qb):
    deploy(lab, INTENDED)
    deploy(lab, LINK_PT2, L2)
    before = snapshot(lab)
    with driver(lab, scope=L1) as dev:
        dev.load_candidate(LINK_PT1)
        assert headers(dev.compare()) == ["@@ conferences name=gbtt-link-pt1 (new) @@",
                                          "@@ gateway_routing_rules name=gbtt-link-pt1--yen-minh (new) @@"]
        dev.commit()
        config = dev.get_config()
        assert dev.compare() == ""
    for other in ("gbtt-link-pt2", "gbtt-qb-giao-ban", "gbtt-qb-endpoints"):
        assert other not in config
    after = snapshot(lab)
    assert {path: {k: v for k, v in objs.items() if k in before[path]} for path, objs in after.items()} == before
    # the deploy and the other link see nothing to do: the link's objects are not theirs
    assert deploy(lab, INTENDED) == "" and deploy(lab, LINK_PT2, L2) == ""
    with driver(lab) as dev:
        dev.load_candidate("")
        assert "gbtt-link" not in dev.compare()
    assert deploy(lab, LINK_PT1, L1) == ""
    diff = deploy(lab, "", L1)                     # the teardown: its empty document
    assert len(headers(diff)) == 2 and all(h.endswith(" (deleted) @@") for h in headers(diff))
    assert snapshot(lab) == before


@pytest.mark.parametrize("scope, intended, message", [
    (None, "conferences:\n  - {name: gbtt-link-pt1}\n", "reserved for the interconnect job"),
    (None, "conferences:\n  - {name: gbtt-meeting-pm1, absent: true}\n", "reserved for the interconnect job"),
    (L1, "conferences:\n  - {name: gbtt-qb-giao-ban}\n", "a link:pt1 document names only gbtt-link-pt1"),
    (L1, "conferences:\n  - {name: gbtt-link-pt10}\n", "a link:pt1 document names only gbtt-link-pt1"),
    (L1, "gateway_routing_rules:\n  - {name: gbtt-link-pt2--x, priority: 1, match_string: x}\n",
     "a link:pt1 document names only gbtt-link-pt1"),
    (M1, "conferences:\n  - {name: gbtt-link-pt1}\n", "a meeting:pm1 document names only gbtt-meeting-pm1"),
])
def test_a_document_names_only_objects_of_its_scope(lab, scope, intended, message):
    dev = driver(lab, scope=scope)
    with pytest.raises(ConfigError, match=message):
        dev.load_candidate(intended)
    assert dev.candidate is None


@pytest.mark.parametrize("scope", ["link:", "link:PT1", "link:a b", "deploy", 5])
def test_an_unknown_scope_is_refused(lab, scope):
    with pytest.raises(ConfigError, match="give none"):
        driver(lab, scope=scope)


# -- call control ----------------------------------------------------------------------------------

MEETING = "conferences:\n  - {name: gbtt-meeting-pm1, max_callrate_out: 1536000, aliases: [gbtt-meeting-pm1]}\n"


@pytest.fixture
def meeting(lab, qb):
    """The meeting pm1's VMR, and the deploy's rule to the system's endpoints."""
    deploy(lab, INTENDED)
    deploy(lab, MEETING, M1)


def test_call_up_dials_the_codec_and_is_idempotent(lab, meeting):
    with driver(lab, scope=M1) as mcu:
        assert mcu.calls("gbtt-meeting-pm1") == []
        first = mcu.call_up("gbtt-meeting-pm1", DONG_HA, 2048)
        assert first["changed"] is True and (first["state"], first["reason"]) == ("connected", None)
        start = len(requests_logged(lab))
        assert mcu.call_up("gbtt-meeting-pm1", f"sip:{DONG_HA}", 2048) == {**first, "changed": False}
        assert writes(requests_logged(lab)[start:]) == []
        assert mcu.calls("gbtt-meeting-pm1") == [{"id": first["leg"], "remote": DONG_HA, "direction": "outgoing",
                                                  "state": "connected", "reason": None, "bandwidth": 1536}]
        second = mcu.call_up("gbtt-meeting-pm1", LUNG_TAM, 2048)
        assert second["changed"] is True and second["leg"] != first["leg"]
        assert len(mcu.calls("gbtt-meeting-pm1")) == 2
        participant = api(lab, "GET", f"status/v1/participant/{first['leg']}/").json()
        assert (participant["role"], participant["source_alias"]) == ("guest", "gbtt-meeting-pm1@10.23.15.2")
        assert mcu.call_down("gbtt-meeting-pm1") is True
        assert mcu.calls("gbtt-meeting-pm1") == [] and mcu.call_down("gbtt-meeting-pm1") is False
    dial = [d for d in writes(requests_logged(lab)) if "command/v1" in d]
    assert dial[-3:] == ["POST /api/admin/command/v1/participant/dial/"] * 2 + [
        "POST /api/admin/command/v1/conference/disconnect/"]
    reasons = [api(lab, "GET", f"history/v1/participant/{leg}/").json()["disconnect_reason"]
               for leg in (first["leg"], second["leg"])]
    assert reasons == ["Conference terminated"] * 2


def test_call_up_reports_a_failed_dial_and_dials_again(lab, meeting):
    deploy(lab, "")                                 # the system's rule goes: no route to the codec
    with driver(lab, scope=M1) as mcu:
        failed = mcu.call_up("gbtt-meeting-pm1", DONG_HA, 2048)
        assert (failed["changed"], failed["state"], failed["reason"]) == (True, "disconnected",
                                                                         "No matching Call Routing Rule")
        assert mcu.calls("gbtt-meeting-pm1") == []
        deploy(lab, INTENDED)
        again = mcu.call_up("gbtt-meeting-pm1", DONG_HA, 2048)
        assert again["changed"] is True and again["state"] == "connected" and again["leg"] != failed["leg"]
        assert [leg["id"] for leg in mcu.calls("gbtt-meeting-pm1")] == [again["leg"]]
        assert mcu.call_down("gbtt-meeting-pm1") is True


def test_call_control_acts_only_on_the_scopes_conferences(lab, meeting):
    with driver(lab, scope=M1) as mcu, driver(lab) as deployer:
        mcu.call_up("gbtt-meeting-pm1", DONG_HA, 2048)
        for act in (lambda: mcu.call_up("gbtt-qb-giao-ban", DONG_HA, 2048), lambda: mcu.call_down("gbtt-qb-hop-xa"),
                    lambda: deployer.call_up("gbtt-meeting-pm1", DONG_HA, 2048),
                    lambda: deployer.call_down("gbtt-meeting-pm1")):
            with pytest.raises(ConfigError, match="not gbtt's in the scope of") as err:
                act()
            assert "lab-mcu-only" not in str(err.value)
        assert [leg["state"] for leg in deployer.calls("gbtt-meeting-pm1")] == ["connected"]   # reading is free
        with pytest.raises(ConfigError, match="does not exist on the MCU"):
            mcu.call_up("gbtt-meeting-pm1--b", DONG_HA, 2048)
        for remote, kbps in ((DONG_HA, 32), (DONG_HA, True), ("", 2048), (DONG_HA + "\r\nX: y", 2048)):
            with pytest.raises(ConfigError):
                mcu.call_up("gbtt-meeting-pm1", remote, kbps)
        assert mcu.calls("gbtt-meeting-pm1--b") == [] and mcu.call_down("gbtt-meeting-pm1--b") is False
        assert mcu.call_down("gbtt-meeting-pm1") is True


def test_a_vmr_without_an_alias_cannot_dial(lab, qb):
    deploy(lab, "conferences:\n  - {name: gbtt-meeting-pm1}\n", M1)
    with driver(lab, scope=M1) as mcu:
        with pytest.raises(ConfigError, match="has no alias"):
            mcu.call_up("gbtt-meeting-pm1", DONG_HA, 2048)


# -- maintenance queries: ask and probe --------------------------------------------------------

def test_ask_gives_the_api_answer_as_it_is(lab, qb):
    deploy(lab, INTENDED)
    with driver(lab) as dev:
        licensing = dev.ask({"get": "status/v1/licensing/"})
        assert licensing["objects"][0]["port_total"] == 50 and licensing["meta"]["total_count"] == 1
        licences = dev.ask({"get": "configuration/v1/licence/?limit=100"})
        assert {e["license_type"] for e in licences["objects"]} == {"port", "audio", "system"}
        nodes = dev.ask({"get": "/status/v1/worker_vm"})
        assert [n["max_hd_calls"] for n in nodes["objects"]] == [40, 40]
        found = dev.ask({"get": "configuration/v1/conference/?name__startswith=gbtt-qb&order_by=name"})
        assert [c["name"] for c in found["objects"]] == ["gbtt-qb-giao-ban", "gbtt-qb-hop-xa"]
        assert found["objects"][0]["pin"] == "<redacted>"
        one = dev.ask({"get": f"configuration/v1/conference/{found['objects'][1]['id']}/"})
        assert one["name"] == "gbtt-qb-hop-xa" and one["pin"] == ""
        assert dev.ask({"get": "history/v1/participant/?limit=1"})["meta"]["limit"] == 1
    assert "GET /api/admin/configuration/v1/licence/?limit=100" in requests_logged(lab)


@pytest.mark.parametrize("query, message", [
    ({"get": "command/v1/participant/dial/"}, "changes the MCU"),
    ({"get": "../admin/"}, "not a path"),
    ({"get": "status/v1/../configuration/v1/conference/"}, "not a path"),
    ({"get": "/api/admin/status/v1/licensing/"}, "not a path"),
    ({"get": "https://10.0.0.1/api/admin/status/v1/licensing/"}, "not a path"),
    ({"get": "status/v2/licensing/"}, "not a path"),
    ({"get": "status/v1//"}, "not a path"),
    ({"get": "status/v1/Licensing/"}, "not a path"),
    ({"get": ""}, "not a path"),
    ({"get": "configuration/v1/conference/?pin=1234&pin=5678"}, "given twice"),
    ({"get": "configuration/v1/conference/?name__regex=x"}, "not a list parameter"),
    ({"get": "configuration/v1/conference/?limit=all"}, "bad value"),
    ({"get": "configuration/v1/conference/?name"}, "not name=value"),
    ({"get": "status/v1/licensing/", "method": "DELETE"}, "only reads"),
    ({"post": "status/v1/licensing/"}, "only reads"),
    ("status/v1/licensing/", "only reads"),
])
def test_ask_refuses_anything_but_a_plain_get(lab, query, message):
    with driver(lab) as dev:
        before = len(requests_logged(lab))
        with pytest.raises(ConfigError, match=message):
            dev.ask(query)
        assert requests_logged(lab)[before:] == []


def test_ask_for_what_the_mcu_does_not_have_is_a_config_error(lab):
    with driver(lab) as dev:
        with pytest.raises(ConfigError, match="HTTP 404"):
            dev.ask({"get": "status/v1/nothing/"})
        with pytest.raises(ConfigError, match="HTTP 404"):
            dev.ask({"get": "configuration/v1/conference/999999/"})
        with pytest.raises(ConfigError, match="does not allow filtering"):
            dev.ask({"get": "configuration/v1/conference/?colour=blue"})


def test_probe_reads_the_certificate_without_a_login(lab):
    before = len(lab.log_entries(QB))
    dev = driver(lab)                              # never opened: the probe needs no session
    cert = dev.probe({"tls": True})
    assert lab.log_entries(QB)[before:] == []
    assert cert["verified"] is True and cert["error"] is None
    assert cert["subject"] == f"CN={QB},O=gbtt embedded lab"
    assert 823 < cert["days_left"] <= 825 and len(cert["sha256"].split(":")) == 32
    with pytest.raises(ConfigError, match="tls: true"):
        dev.probe({"tls": "yes"})
    lab.fault(QB, "badcert", "-2")
    try:
        expired = driver(lab).probe({"tls": True})
    finally:
        lab.fault(QB, "clear")
    assert expired["verified"] is False and "certificate has expired" in expired["error"]
    assert -2.01 < expired["days_left"] < -1.99


# -- the templates render documents the driver takes, each in its scope ------------------------

def test_the_templates_render_documents_the_driver_takes(lab):
    import dataclasses

    from gbtt import interconnect as ic
    from gbtt import render
    mcu = render.render(lab.registry, QB)
    doc = parse(mcu)
    assert sorted(doc.objects["conferences"]) == ["gbtt-quan-ba-3a", "gbtt-quan-ba-3b", "gbtt-quan-ba-3c"]
    assert doc.objects["conferences"]["gbtt-quan-ba-3a"]["mute_all_guests"] is True
    assert ("quan-ba.3a@10.23.15.2", "") in doc.objects["conferences"]["gbtt-quan-ba-3a"]["aliases"]
    driver(lab).load_candidate(mcu)
    meeting = render.environment().get_template("meetings/pexip_infinity.j2")
    view = {"id": "pm1", "clause": "3a", "space": "gbtt-meeting-pm1", "title": "Giao ban"}
    for state, me in (("present", None), ("present", {"address": ADDRESS}), ("absent", None)):
        text = meeting.render(meeting=view, host=QB, state=state, **({"me": me} if me else {}))
        dev = driver(lab, scope=M1)
        dev.load_candidate(text)
        aliases = dev._doc.objects["conferences"].get("gbtt-meeting-pm1", {}).get("aliases", ())
        assert [a for a, _ in aliases] == ([] if state == "absent" else
                                           ["gbtt-meeting-pm1"] + ([f"gbtt-meeting-pm1@{ADDRESS}"] if me else []))
    base = next(iter(lab.registry.interconnects.values()))
    hub = dataclasses.replace(base, id="pt1", hub="quan-ba", spokes=("yen-minh",))
    for state in ("present", "absent"):
        text = ic.render_link(lab.registry, hub, state)[QB]
        dev = driver(lab, scope=L1)
        dev.load_candidate(text)
        rules = dev._doc.objects["gateway_routing_rules"]
        assert list(rules) == ([] if state == "absent" else ["gbtt-link-pt1--yen-minh"])
