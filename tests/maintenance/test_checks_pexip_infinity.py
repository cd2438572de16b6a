"""The annual-maintenance checks of a Pexip Infinity platform (checks/mcu-*.yml and the common ones,
judged by checks/judges/pexip_infinity.py): the lab's Pexip passes them, and each fault the lab
can put on it makes the right check warn or fail, over real HTTPS on loopback (no mock of the
driver).  Then the judges' thresholds, as unit tests on answers shaped like the platform's.

The platform is quan-ba-mcu (the lab's only Pexip, shared with the lead's tests): it is deployed
first (config-compliance then passes), and every test puts back what it changed.  The capacity
test dials five Cisco CE codecs of Quản Bạ that no other test file calls.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gbtt import checks as ck
from gbtt import deploy, maintenance
from gbtt.deploy import connection_params
from gbtt.drivers.pexip_infinity import PexipDriver

HOST = "quan-ba-mcu"
MCU_CHECKS = ("reachable", "software-baseline", "config-compliance", "uptime", "mcu-licences", "mcu-capacity",
              "mcu-certificate")
CODECS = ("10.23.15.135", "10.23.15.137", "10.23.15.139", "10.23.15.141", "10.23.15.143")
UTC = dt.timezone.utc


# =========================================================================================
# Against the lab
# =========================================================================================

@pytest.fixture(scope="module")
def variables(lab, tmp_path_factory) -> dict:
    values = lab.host_variables(HOST)[HOST]
    folder = tmp_path_factory.mktemp("deploy")
    outcome = deploy.deploy(HOST, values, backup_dir=folder, audit_log=folder / "audit.log")
    assert not outcome.failed, outcome.message
    return values


@pytest.fixture(scope="module")
def checks() -> list[ck.Check]:
    return ck.load()


def run(variables, checks) -> dict[str, maintenance.Result]:
    report = maintenance.check_device(HOST, variables, checks)
    results = {r.check: r for r in report.results}
    assert set(MCU_CHECKS) <= set(results), sorted(results)
    return results


def run_under(lab, variables, checks, fault: tuple[str, ...], undo: tuple[str, ...] = ("clear",)):
    lab.fault(HOST, *fault)
    try:
        return run(variables, checks)
    finally:
        lab.fault(HOST, *undo)


def assert_others_pass(results, *skip: str) -> None:
    """Every check but ``skip`` passes; the lab has run for less than a day, so uptime warns."""
    for name, result in results.items():
        if name in skip:
            continue
        allowed = ("pass", "warn") if name == "uptime" else ("pass",)
        assert result.status in allowed, (name, result)


def test_the_pexip_passes_every_check(lab, variables, checks):
    results = run(variables, checks)
    assert_others_pass(results)
    assert results["software-baseline"].value == "35.1"
    assert results["config-compliance"].value == "in sync"
    assert results["mcu-capacity"].value == "0 of 50 ports (0 %)"
    assert "max_hd_calls 80 on 2 Conferencing Node(s)" in results["mcu-capacity"].evidence
    assert results["mcu-licences"].value == "50 port licences, next expiry 2030-12-31 (audio)"
    assert "port (" in results["mcu-licences"].evidence and "expiry 31-dec-2030" in results["mcu-licences"].evidence
    assert re.fullmatch(r"expires 20\d\d-\d\d-\d\d \(82[45] days\)", results["mcu-certificate"].value)
    assert not any(r.status in ck.FAILING for r in results.values())


def test_an_expired_certificate_fails_and_the_platform_is_not_reached(lab, variables, checks):
    results = run_under(lab, variables, checks, ("badcert", "-30"))
    cert, reach = results["mcu-certificate"], results["reachable"]
    assert cert.status == "fail" and cert.value.endswith("(30 days ago)")
    assert "certificate has expired" in cert.evidence
    assert reach.status == "fail" and reach.value == "không tin cậy được khóa/chứng thư (not trusted)"
    assert {r.status for name, r in results.items() if name not in ("reachable", "mcu-certificate")} == {"not-run"}


def test_a_certificate_expiring_in_ten_days_warns(lab, variables, checks):
    results = run_under(lab, variables, checks, ("badcert", "10"))
    assert results["mcu-certificate"].status == "warn" and results["mcu-certificate"].value.endswith("(10 days)")
    assert_others_pass(results, "mcu-certificate")


def test_licences_expired_expiring_or_none(lab, variables, checks):
    soon = (dt.datetime.now(UTC) + dt.timedelta(days=12)).strftime("%d-%b-%Y").lower()
    try:
        lab.fault(HOST, "drift", "licence", "port", "expiry", "1-jan-2020")
        results = run(variables, checks)
        licences = results["mcu-licences"]
        assert licences.status == "fail"
        assert licences.value == "port licence expired 2020-01-01; no port licence: the MCU takes no call"
        assert "status/v1/licensing: port 0 of 0" in licences.evidence
        assert results["mcu-capacity"].status == "fail" and results["mcu-capacity"].value == "0 of 0 ports"

        lab.fault(HOST, "drift", "licence", "port", "expiry", soon)
        licences = run(variables, checks)["mcu-licences"]
        assert licences.status == "warn" and licences.value.startswith("port licence expires ")
        assert licences.value.endswith(("(11 days)", "(12 days)"))

        lab.fault(HOST, "drift", "licence", "port", "expiry", "permanent")
        lab.fault(HOST, "drift", "licence", "audio", "expiry", "2030-12-31")
        assert run(variables, checks)["mcu-licences"].value == "50 port licences, next expiry 2030-12-31 (audio)"

        lab.fault(HOST, "drift", "licence", "port", "concurrent", "0")
        licences = run(variables, checks)["mcu-licences"]
        assert (licences.status, licences.value) == ("fail", "no port licence: the MCU takes no call")
    finally:
        lab.fault(HOST, "drift", "licence", "port", "expiry", "31-dec-2030")
        lab.fault(HOST, "drift", "licence", "audio", "expiry", "31-dec-2030")
        lab.fault(HOST, "drift", "licence", "port", "concurrent", "50")
    assert run(variables, checks)["mcu-licences"].status == "pass"


def test_software_out_of_the_baseline_fails(lab, variables, checks):
    results = run_under(lab, variables, checks, ("drift", "version", "34.2"), undo=("drift", "version", "baseline"))
    assert results["software-baseline"].status == "fail" and results["software-baseline"].value == "34.2"
    assert "'35.1'" in results["software-baseline"].evidence
    assert_others_pass(results, "software-baseline")


def test_capacity_near_the_licences_warns_then_fails(lab, variables, checks):
    """Five codecs dialled from the system's VMR, with six port licences, then five."""
    params, _ = connection_params(variables)
    mcu = PexipDriver(HOST, params)
    mcu.open()
    try:
        lab.fault(HOST, "drift", "licence", "port", "concurrent", "6")
        for address in CODECS:
            assert mcu.call_up("gbtt-quan-ba-3a", address, 2048)["state"] == "connected"
        results = run(variables, checks)
        assert results["mcu-capacity"].status == "warn" and results["mcu-capacity"].value == "5 of 6 ports (83 %)"
        assert_others_pass(results, "mcu-capacity")
        lab.fault(HOST, "drift", "licence", "port", "concurrent", "5")
        capacity = run(variables, checks)["mcu-capacity"]
        assert capacity.status == "fail" and capacity.value == "5 of 5 ports (100 %)"
        refused = mcu.call_up("gbtt-quan-ba-3a", "10.23.15.133", 2048)   # at the limit: a new call is refused
        assert refused["reason"] == "Call rejected: no port licence available (5 in use)"
    finally:
        mcu.call_down("gbtt-quan-ba-3a")
        mcu.close()
        lab.fault(HOST, "drift", "licence", "port", "concurrent", "50")
    assert run(variables, checks)["mcu-capacity"].status == "pass"


# =========================================================================================
# The judges' thresholds
# =========================================================================================

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)          # 10:00 in Hà Giang


def ctx() -> ck.Context:
    return ck.Context(HOST, "pexip_infinity", "mcu", {"gbtt_province": {"timezone": "Asia/Ho_Chi_Minh"}}, NOW)


def judge(name: str):
    return ck.judge(f"pexip_infinity.{name}")


def page(*objects: dict) -> dict:
    return {"meta": {"limit": 20, "offset": 0, "total_count": len(objects), "next": None, "previous": None},
            "objects": list(objects)}


def entitlement(kind: str, expiry: str, concurrent: int = 50) -> dict:
    return {"entitlement_id": f"{kind.upper()}-0001-ABCD", "license_type": kind, "concurrent": concurrent,
            "expiration_date": expiry, "status": "Trusted"}


def licensing(port_total: int = 50, port_count: int = 0) -> dict:
    return page({"port_count": port_count, "port_total": port_total, "audio_count": 0, "audio_total": 20,
                 "system_count": 2, "system_total": 2})


def day(offset: int, fmt: str = "%d-%b-%Y") -> str:
    return (dt.date(2026, 12, 1) + dt.timedelta(days=offset)).strftime(fmt).lower()


@pytest.mark.parametrize("entitlements, ports, status, value", [
    ([entitlement("port", "31-dec-2030")], 50, "pass", "50 port licences, next expiry 2030-12-31 (port)"),
    ([entitlement("port", "permanent")], 50, "pass", "50 port licences"),
    ([entitlement("port", "")], 50, "pass", "50 port licences"),
    ([entitlement("port", day(31)), entitlement("audio", day(40))], 50, "pass",
     "50 port licences, next expiry 2027-01-01 (port)"),
    ([entitlement("port", day(30))], 50, "warn", "port licence expires 2026-12-31 (30 days)"),
    ([entitlement("port", day(1, "%Y-%m-%d"))], 50, "warn", "port licence expires 2026-12-02 (1 day)"),
    ([entitlement("port", day(0))], 50, "fail", "port licence expired 2026-12-01"),
    ([entitlement("audio", day(-3)), entitlement("port", "permanent")], 50, "fail", "audio licence expired 2026-11-28"),
    ([entitlement("port", "someday")], 50, "warn", "port (PORT-000): expiry 'someday'?"),
    ([entitlement("port", "permanent")], 0, "fail", "no port licence: the MCU takes no call"),
    ([entitlement("port", day(-1)), entitlement("audio", day(5))], 0, "fail",
     "port licence expired 2026-11-30; no port licence: the MCU takes no call; audio licence expires 2026-12-06 "
     "(5 days)"),
])
def test_licence_thresholds(entitlements, ports, status, value):
    verdict = judge("licences")([page(*entitlements), licensing(ports)], ctx())
    assert (verdict.status, verdict.value) == (status, value), verdict.evidence


def test_licences_without_entitlements_fail():
    assert judge("licences")([page(), licensing()], ctx()).value == "no licence"
    assert judge("licences")([{}, {}], ctx()).status == "fail"


def node(name: str, hd: int = 40, maintenance_mode: bool = False) -> dict:
    return {"name": name, "node_type": "CONFERENCING", "max_hd_calls": hd, "media_load": 10,
            "maintenance_mode": maintenance_mode}


@pytest.mark.parametrize("count, total, nodes, status, value", [
    (0, 50, [node("cn1"), node("cn2")], "pass", "0 of 50 ports (0 %)"),
    (40, 50, [node("cn1"), node("cn2")], "pass", "40 of 50 ports (80 %)"),
    (41, 50, [node("cn1"), node("cn2")], "warn", "41 of 50 ports (82 %)"),
    (48, 50, [node("cn1"), node("cn2")], "fail", "48 of 50 ports (96 %)"),
    (33, 50, [node("cn1"), node("cn2", maintenance_mode=True)], "warn", "33 of 40 HD calls (82 %)"),
    (3, 50, [], "pass", "3 of 50 ports (6 %)"),
    (0, 0, [node("cn1")], "fail", "0 of 0 ports"),
])
def test_capacity_thresholds(count, total, nodes, status, value):
    verdict = judge("capacity")([licensing(total, count), page(*nodes)], ctx())
    assert (verdict.status, verdict.value) == (status, value), verdict.evidence
    assert f"port_count {count}" in verdict.evidence


def test_capacity_without_counters_or_limits():
    assert judge("capacity")([page({}), page()], ctx()).status == "fail"
    verdict = judge("capacity")([page({"port_count": 2}), page()], ctx())
    assert (verdict.status, verdict.value) == ("n/a", "2 ports in use, no limit")


def test_the_certificate_is_judged_as_a_cisco_meeting_servers():
    answer = {"subject": f"CN={HOST}", "issuer": "CN=lab CA", "not_after": "2026-12-11T03:00:00Z", "verified": True,
              "error": None}
    verdict = judge("certificate")(answer, ctx())
    assert (verdict.status, verdict.value) == ("warn", "expires 2026-12-11 (10 days)")
    assert (verdict.status, verdict.value, verdict.evidence) == \
        tuple(getattr(ck.judge("cisco_cms.certificate")(answer, ctx()), k) for k in ("status", "value", "evidence"))
    assert judge("certificate")({**answer, "verified": False}, ctx()).status == "fail"
