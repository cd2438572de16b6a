"""The annual-maintenance checks of a Cisco Meeting Server (checks/mcu-*.yml and the common ones,
judged by checks/judges/cisco_cms.py): a healthy lab MCU passes them, and each fault the lab can
put on an MCU makes the right check warn or fail, over real HTTPS on loopback (no mock of the
driver).  Then the judges' thresholds, as unit tests on answers shaped like the MCU's.

The MCUs are xin-man-mcu (healthy, certificate faults) and hoang-su-phi-mcu (licences, software,
capacity); other test files use them only for transport faults they clear.  Both are deployed
once (config-compliance then passes), and every test puts back what it changed.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
import requests

from gbtt import checks as ck
from gbtt import deploy, maintenance

HEALTHY, FAULTY = "xin-man-mcu", "hoang-su-phi-mcu"
AUTH = ("gbtt-api", "lab-mcu-only")
MCU_CHECKS = ("reachable", "software-baseline", "config-compliance", "uptime", "mcu-licences", "mcu-capacity",
              "mcu-certificate")
UTC = dt.timezone.utc


# =========================================================================================
# Against the lab
# =========================================================================================

@pytest.fixture(scope="module")
def variables(lab, tmp_path_factory) -> dict[str, dict]:
    """The two MCUs' variables as the playbooks see them, both MCUs deployed."""
    out = lab.host_variables(HEALTHY, FAULTY)
    folder = tmp_path_factory.mktemp("deploy")
    for host, values in out.items():
        outcome = deploy.deploy(host, values, backup_dir=folder, audit_log=folder / "audit.log")
        assert not outcome.failed, outcome.message
    return out


@pytest.fixture(scope="module")
def checks() -> list[ck.Check]:
    return ck.load()


def run(variables, checks, host: str) -> dict[str, maintenance.Result]:
    report = maintenance.check_device(host, variables[host], checks)
    results = {r.check: r for r in report.results}
    assert set(MCU_CHECKS) <= set(results), sorted(results)
    return results


def run_under(lab, variables, checks, host: str, fault: tuple[str, ...], undo: tuple[str, ...] = ("clear",)):
    """The checks of ``host`` while the lab fault ``fault`` is on; ``undo`` then puts it back."""
    lab.fault(host, *fault)
    try:
        return run(variables, checks, host)
    finally:
        lab.fault(host, *undo)


def api(lab, host: str, method: str, path: str, **form: str) -> requests.Response:
    response = requests.request(method, f"https://127.0.0.1:{lab.ports[host]}/api/v1/{path}", data=form or None,
                                auth=AUTH, verify=str(lab.settings.ca_bundle), timeout=10)
    assert response.status_code == 200, response.text
    return response


def assert_others_pass(results, *skip: str) -> None:
    """Every check but ``skip`` passes; the lab MCUs have run for less than a day, so uptime warns."""
    for name, result in results.items():
        if name in skip:
            continue
        allowed = ("pass", "warn", "n/a") if name == "uptime" else ("pass", "n/a") if name not in MCU_CHECKS \
            else ("pass",)
        assert result.status in allowed, (name, result)


def test_a_healthy_mcu_passes_every_check(lab, variables, checks):
    results = run(variables, checks, HEALTHY)
    assert_others_pass(results)
    assert results["uptime"].status in ("pass", "warn")
    assert results["software-baseline"].value == "3.9.2"
    assert results["config-compliance"].value == "in sync"
    assert results["mcu-capacity"].value == "0 of 96 call legs (0 %)"
    assert results["mcu-licences"].value.startswith("4 licensed, next expiry 2030-12-31")
    assert re.fullmatch(r"expires 20\d\d-\d\d-\d\d \(82[45] days\)", results["mcu-certificate"].value)
    assert not any(r.status in ck.FAILING for r in results.values())


def test_an_expired_certificate_fails_and_the_mcu_is_not_reached(lab, variables, checks):
    results = run_under(lab, variables, checks, HEALTHY, ("badcert", "-30"))
    cert, reach = results["mcu-certificate"], results["reachable"]
    assert cert.status == "fail" and cert.value.startswith("expired ") and cert.value.endswith("(30 days ago)")
    assert "certificate has expired" in cert.evidence
    assert reach.status == "fail" and reach.value == "không tin cậy được khóa/chứng thư (not trusted)"
    assert "certificate has expired" in reach.evidence
    others = {r.status for name, r in results.items() if name not in ("reachable", "mcu-certificate")}
    assert others == {"not-run"}                      # the runner does not try what needs the login
    assert run(variables, checks, HEALTHY)["mcu-certificate"].status == "pass"     # cleared


def test_a_certificate_expiring_in_ten_days_warns(lab, variables, checks):
    results = run_under(lab, variables, checks, HEALTHY, ("badcert", "10"))
    cert = results["mcu-certificate"]
    today = dt.datetime.now(UTC)
    assert cert.status == "warn", cert
    assert cert.value.endswith("(10 days)") and cert.value.startswith("expires 20")
    assert abs(dt.date.fromisoformat(cert.value.split()[1]) - (today + dt.timedelta(days=10)).date()) \
        <= dt.timedelta(days=1)
    assert "verified: True" in cert.evidence
    assert_others_pass(results, "mcu-certificate")


def test_licences_expired_in_grace_or_expiring(lab, variables, checks):
    soon = (dt.datetime.now(UTC) + dt.timedelta(days=12)).strftime("%Y-%b-%d")
    try:
        lab.fault(FAULTY, "drift", "licence", "shared", "expired")
        results = run(variables, checks, FAULTY)
        assert results["mcu-licences"].status == "fail"
        assert results["mcu-licences"].value == "shared expired 2030-12-31"
        assert "shared: expired, expiry 2030-Dec-31" in results["mcu-licences"].evidence
        assert_others_pass(results, "mcu-licences")

        lab.fault(FAULTY, "drift", "licence", "shared", "grace")
        assert run(variables, checks, FAULTY)["mcu-licences"].status == "warn"

        lab.fault(FAULTY, "drift", "licence", "shared", "activated", "2030-Dec-31")
        lab.fault(FAULTY, "drift", "licence", "callBridge", "activated", soon)
        licences = run(variables, checks, FAULTY)["mcu-licences"]
        assert licences.status == "warn" and licences.value.startswith("callBridge expires ")
        assert licences.value.endswith(("(11 days)", "(12 days)"))

        lab.fault(FAULTY, "drift", "licence", "callBridge", "noLicense")
        results = run(variables, checks, FAULTY)
        assert results["mcu-licences"].status == "fail" and results["mcu-licences"].value == "callBridge not licensed"
    finally:
        lab.fault(FAULTY, "drift", "licence", "shared", "activated", "2030-Dec-31")
        lab.fault(FAULTY, "drift", "licence", "callBridge", "activated", "2030-Dec-31")
    assert run(variables, checks, FAULTY)["mcu-licences"].status == "pass"


def test_software_out_of_the_baseline_fails(lab, variables, checks):
    results = run_under(lab, variables, checks, FAULTY, ("drift", "version", "3.8.1"),
                        undo=("drift", "version", "baseline"))
    baseline = results["software-baseline"]
    assert baseline.status == "fail" and baseline.value == "3.8.1"
    assert "'3.9.2'" in baseline.evidence
    assert_others_pass(results, "software-baseline")
    assert run(variables, checks, FAULTY)["software-baseline"].value == "3.9.2"


def test_capacity_near_the_limit_warns_then_fails(lab, variables, checks):
    """hoang-su-phi-mcu dials five legs into a coSpace of xin-man-mcu (a cascade: an outbound
    rule for xin-man-mcu's address), with its participantLimit at 6, then 5."""
    remote = variables[HEALTHY]["gbtt_system"]["mcu"]["address"]
    spaces = ET.fromstring(api(lab, FAULTY, "GET", "coSpaces").text)
    space = next(s.get("id") for s in spaces if (s.findtext("name") or "").startswith("gbtt-"))
    target = next(s.findtext("uri") for s in ET.fromstring(api(lab, HEALTHY, "GET", "coSpaces").text)
                  if (s.findtext("name") or "").startswith("gbtt-"))
    rule = api(lab, FAULTY, "POST", "outboundDialPlanRules", domain=remote, sipProxy=remote,
               priority="5").headers["Location"].rsplit("/", 1)[-1]
    call = None
    try:
        lab.fault(FAULTY, "drift", "cluster", "participantLimit", "6")
        call = api(lab, FAULTY, "POST", "calls", coSpace=space).headers["Location"].rsplit("/", 1)[-1]
        for _ in range(5):
            pid = api(lab, FAULTY, "POST", f"calls/{call}/participants",
                      remoteParty=f"{target}@{remote}").headers["Location"].rsplit("/", 1)[-1]
            leg = ET.fromstring(api(lab, FAULTY, "GET", f"participants/{pid}").text)
            assert leg.findtext("status/state") == "connected", ET.tostring(leg)
        results = run(variables, checks, FAULTY)
        assert results["mcu-capacity"].status == "warn"
        assert results["mcu-capacity"].value == "5 of 6 call legs (83 %)"
        assert_others_pass(results, "mcu-capacity")

        lab.fault(FAULTY, "drift", "cluster", "participantLimit", "5")
        capacity = run(variables, checks, FAULTY)["mcu-capacity"]
        assert capacity.status == "fail" and capacity.value == "5 of 5 call legs (100 %)"
    finally:
        if call is not None:
            api(lab, FAULTY, "DELETE", f"calls/{call}")
        api(lab, FAULTY, "DELETE", f"outboundDialPlanRules/{rule}")
        lab.fault(FAULTY, "drift", "cluster", "participantLimit", "96")
    capacity = run(variables, checks, FAULTY)["mcu-capacity"]
    assert capacity.status == "pass" and "callLegsMaxActive 5" in capacity.evidence


# =========================================================================================
# The judges' thresholds
# =========================================================================================

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)          # 10:00 in Hà Giang


def ctx(**previous) -> ck.Context:
    return ck.Context("tinh-mcu", "cisco_cms", "mcu", {"gbtt_province": {"timezone": "Asia/Ho_Chi_Minh"}}, NOW,
                      **previous)


def judge(name: str):
    return ck.judge(f"cisco_cms.{name}")


def licensing(**features: dict) -> dict:
    """A system/licensing answer as CmsDriver.ask gives it."""
    base = {"callBridge": {"status": "activated", "expiry": "2030-Dec-31"},
            "webBridge": {"status": "activated", "expiry": "2030-Dec-31"},
            "recording": {"status": "noLicense"}}
    return {"features": {**base, **features}}


def day(offset: int, fmt: str = "%Y-%b-%d") -> str:
    return (dt.date(2026, 12, 1) + dt.timedelta(days=offset)).strftime(fmt)


@pytest.mark.parametrize("features, status, value", [
    ({}, "pass", "2 licensed, next expiry 2030-12-31 (callBridge)"),
    ({"shared": {"status": "activated", "expiry": day(31)}}, "pass", "3 licensed, next expiry 2027-01-01 (shared)"),
    ({"shared": {"status": "activated", "expiry": day(30)}}, "warn", "shared expires 2026-12-31 (30 days)"),
    ({"shared": {"status": "activated", "expiry": day(1, "%Y-%m-%d")}}, "warn", "shared expires 2026-12-02 (1 day)"),
    ({"shared": {"status": "activated", "expiry": day(0)}}, "fail", "shared expired 2026-12-01"),
    ({"shared": {"status": "activated", "expiry": day(-3)}}, "fail", "shared expired 2026-11-28"),
    ({"shared": {"status": "expired", "expiry": day(-3)}}, "fail", "shared expired 2026-11-28"),
    ({"shared": {"status": "expired"}}, "fail", "shared expired"),
    ({"shared": {"status": "grace", "expiry": day(-3)}}, "warn", "shared in grace (expiry 2026-11-28)"),
    ({"callBridge": {"status": "noLicense"}}, "fail", "callBridge not licensed"),
    ({"turn": {"status": "noLicense"}}, "pass", "2 licensed, next expiry 2030-12-31 (callBridge)"),
    ({"turn": {"status": "pending"}}, "warn", "turn: status pending?"),
    ({"turn": {"status": "activated", "expiry": "someday"}}, "warn", "turn: expiry 'someday'?"),
    ({"webBridge": {"status": "expired"}, "shared": {"status": "grace", "expiry": day(5)}}, "fail",
     "webBridge expired; shared in grace (expiry 2026-12-06)"),
])
def test_licence_thresholds(features, status, value):
    verdict = judge("licences")(licensing(**features), ctx())
    assert (verdict.status, verdict.value) == (status, value), verdict.evidence


def test_licence_days_count_on_the_provinces_calendar():
    """At 20:00 UTC on 30 November it is already 1 December in Hà Giang: a licence that ends on
    1 December has run out there."""
    late = ck.Context("tinh-mcu", "cisco_cms", "mcu", {"gbtt_province": {"timezone": "Asia/Ho_Chi_Minh"}},
                      dt.datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    verdict = judge("licences")(licensing(shared={"status": "activated", "expiry": "2026-Dec-01"}), late)
    assert verdict.status == "fail"


def test_licences_without_features_fail():
    assert judge("licences")({}, ctx()).status == "fail"
    assert judge("licences")({"features": ""}, ctx()).value == "no licence information"


def status(active: int | str, peak: int = 0) -> dict:
    """A system/status answer as CmsDriver.ask gives it."""
    return {"hostId": "f3c0a0a4-1b5e-5f61-9d0e-1a2b3c4d5e6f", "softwareVersion": "3.9.2", "uptimeSeconds": "864000",
            "cdrTime": "2026-12-01T03:00:00Z", "activated": "true", "clusterEnabled": "false",
            "cdrCorrelatorIndex": "0", "callLegsActive": str(active), "callLegsMaxActive": str(peak),
            "callLegsCompleted": "120", "audioBitRateOutgoing": "0", "audioBitRateIncoming": "0",
            "videoBitRateOutgoing": "0", "videoBitRateIncoming": "0"}


@pytest.mark.parametrize("active, limit, verdict, value", [
    (0, "96", "pass", "0 of 96 call legs (0 %)"),
    (80, "100", "pass", "80 of 100 call legs (80 %)"),
    (81, "100", "warn", "81 of 100 call legs (81 %)"),
    (95, "100", "warn", "95 of 100 call legs (95 %)"),
    (96, "100", "fail", "96 of 100 call legs (96 %)"),
    (120, "100", "fail", "120 of 100 call legs (120 %)"),
    (0, "0", "fail", "0 of 0 call legs"),
    (7, None, "n/a", "7 call legs, no limit"),
    (7, "", "n/a", "7 call legs, no limit"),
])
def test_capacity_thresholds(active, limit, verdict, value):
    cluster = {"uniqueName": "tinh"} if limit is None else {"participantLimit": limit}
    got = judge("capacity")([status(active, peak=150), cluster], ctx())
    assert (got.status, got.value) == (verdict, value)
    assert "callLegsMaxActive 150" in got.evidence


def test_capacity_of_status_alone_or_without_counters():
    assert judge("capacity")(status(3), ctx()).status == "n/a"
    assert judge("capacity")([{"softwareVersion": "3.9.2"}, {"participantLimit": "96"}], ctx()).status == "fail"


def cert(days: float, verified: bool = True, error: str | None = None) -> dict:
    """A probe {tls: true} answer as CmsDriver.probe gives it."""
    not_after = NOW + dt.timedelta(days=days)
    return {"subject": "CN=tinh-mcu,O=gbtt embedded lab",
            "issuer": "CN=gbtt lab CA (127.0.0.1 only),O=gbtt embedded lab",
            "not_before": "2025-01-01T00:00:00Z", "not_after": not_after.isoformat().replace("+00:00", "Z"),
            "days_left": days, "sha256": "AB:CD", "verified": verified, "error": error}


@pytest.mark.parametrize("answer, status, value", [
    (cert(397), "pass", "expires 2028-01-02 (397 days)"),
    (cert(30), "pass", "expires 2026-12-31 (30 days)"),
    (cert(29.9), "warn", "expires 2026-12-31 (30 days)"),
    (cert(10), "warn", "expires 2026-12-11 (10 days)"),
    (cert(0.2), "warn", "expires 2026-12-01 (0 days)"),
    (cert(0, False, "certificate has expired"), "fail", "expired 2026-12-01 (0 days ago)"),
    (cert(-30, False, "certificate has expired"), "fail", "expired 2026-11-01 (30 days ago)"),
    (cert(-1, True), "fail", "expired 2026-11-30 (1 day ago)"),
    (cert(400, False, "unable to get local issuer certificate"), "fail", "not trusted, expires 2028-01-05 (400 days)"),
])
def test_certificate_thresholds(answer, status, value):
    verdict = judge("certificate")(answer, ctx())
    assert (verdict.status, verdict.value) == (status, value)
    assert "CN=tinh-mcu" in verdict.evidence


def test_certificate_dates_are_the_provinces():
    """Expiring at 20:00 UTC is the next day in Hà Giang (UTC+7)."""
    answer = cert(40) | {"not_after": "2027-01-10T20:00:00Z"}
    assert judge("certificate")(answer, ctx()).value == "expires 2027-01-11 (41 days)"


def test_certificate_without_a_readable_date_fails():
    assert judge("certificate")({"verified": True}, ctx()).value == "no certificate"
