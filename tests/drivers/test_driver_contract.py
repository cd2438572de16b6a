"""The shared driver test class: every platform of ``gbtt.drivers`` (``known_platforms()``) goes
through the same checks, over real SSH/HTTPS against its lab simulator, the way the jobs use a
driver (variables -> ``connection_params`` -> ``render`` -> driver).  A new platform gets these
for its registration line alone; what a platform adds beyond the interface is tested in its own
``test_driver_<platform>.py``.

Each platform is exercised on one lab host that no other test file changes (``HOSTS``).  The
only per-platform knowledge here is how to make a candidate the device refuses (``REFUSED``):
what a device validates is the platform's own business.
"""

from __future__ import annotations

import copy
import socket

import pytest

from gbtt import checks as ck
from gbtt import render, schema
from gbtt.deploy import connection_params, deploy
from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, DriverError, TrustError,
                               driver_for, known_platforms)
from gbtt.lab.server import device_class as lab_device_class
from gbtt.maintenance import check_device

pytestmark = pytest.mark.lab

PLATFORMS = known_platforms()

#: one lab host per platform, this file's own
HOSTS = {
    "cisco_ce": "quan-ba-bat-dai-son-codec",
    "cisco_cms": "meo-vac-mcu",
    "cisco_ios": "quan-ba-tam-son-router",
    "huawei_vrp": "quan-ba-ta-van-router",
    "pexip_infinity": "quan-ba-mcu",
    "poly_group": "quan-ba-thai-an-codec",
}

#: the platform every other platform of the same class is held to (the same maintenance checks)
REFERENCE = {"codec": "cisco_ce", "router": "cisco_ios", "mcu": "cisco_cms"}


def _ios_refused(text: str) -> str:
    return text.replace("\nhostname ", "\nhostname-of-nothing ", 1)


#: a candidate the device refuses, made from the intended configuration: ConfigError (or a
#: CommitError with the device restored) and nothing changed
REFUSED = {
    "cisco_ce": lambda text: text + "xConfiguration Conference DefaultCall Rate: 99999\n",
    "cisco_cms": lambda text: text.replace("participantLimit: ", "participantLimit: -", 1),
    "cisco_ios": _ios_refused,
    "huawei_vrp": lambda text: text.replace("\nsysname ", "\nsysname-of-nothing ", 1),
    "pexip_infinity": lambda text: text.replace("participant_limit: ", "participant_limit: -", 1),
    "poly_group": lambda text: text.replace("\n", "\nno.such.setting: 1\n", 1),
}


def variables(lab, platform: str) -> dict:
    host = HOSTS[platform]
    return lab.host_variables(host)[host]


def changed(platform: str, values: dict) -> dict:
    """The device's variables with one registry value changed, as an inventory edit would: the
    NTP servers for endpoint devices, the system's size (participant limit) for an MCU."""
    out = copy.deepcopy(values)
    if values["gbtt_device_class"] == "mcu":
        out["gbtt_system_endpoints"] = list(values["gbtt_system_endpoints"]) + ["contract-extra-1", "contract-extra-2"]
    else:
        out["gbtt_province"]["ntp_servers"] = ["10.23.0.12"]
    return out


def intended(host: str, values: dict) -> str:
    params, secrets = connection_params(values)
    return render.render_context(host, values, secrets)


def session(lab, platform: str, **overrides):
    values = variables(lab, platform)
    params, _ = connection_params(values)
    for name, value in overrides.items():
        setattr(params, name, value)
    return driver_for(platform)(HOSTS[platform], params)


def secrets_of(values: dict) -> list[str]:
    params, secrets = connection_params(values)
    return [s for s in [*secrets.values(), *params.extra["secrets"]] if s]


def test_every_platform_is_registered_everywhere_it_must_be():
    """The registration lines: driver, schema, lab simulator, template, contract host."""
    assert set(HOSTS) == set(PLATFORMS) == set(REFUSED)
    for platform in PLATFORMS:
        driver = driver_for(platform)
        assert driver.platform == platform
        assert platform in schema.PLATFORMS[driver.device_class], platform
        sim = lab_device_class(platform)
        assert sim.platform == platform and sim.protocol in ("ssh", "https")
        assert (render.TEMPLATES / render.template_name(driver.device_class, platform)).is_file()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_facts(lab, platform):
    values = variables(lab, platform)
    with session(lab, platform) as dev:
        facts = dev.get_facts()
    assert {"hostname", "vendor", "model", "serial", "os_version", "uptime"} <= set(facts), facts
    assert facts["os_version"] == values["gbtt_province"]["software_baselines"][platform]
    assert facts["serial"] and isinstance(facts["uptime"], (int, float)) and facts["uptime"] >= 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_deploy_converges_and_a_backup_loads_back(lab, platform):
    host, values = HOSTS[platform], variables(lab, platform)
    first = deploy(host, values, confirm_timeout=60)
    assert not first.failed, first.message
    again = deploy(host, values, confirm_timeout=60)
    assert (again.failed, again.changed, again.diff) == (False, False, ""), again.message
    with session(lab, platform) as dev:
        saved = dev.backup()
        dev.load_candidate(saved)
        assert dev.compare() == "", "the running configuration does not load back as a candidate"
        dev.load_candidate(intended(host, values))
        assert dev.compare() == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_registry_change_shows_as_a_redacted_diff_and_lands_then_reverts(lab, platform):
    host, values = HOSTS[platform], variables(lab, platform)
    assert not deploy(host, values, confirm_timeout=60).failed
    edited = changed(platform, values)
    preview = deploy(host, edited, check=True)
    assert preview.changed and preview.diff and not preview.failed, preview.message
    for secret in secrets_of(values):
        assert secret not in preview.diff and secret not in preview.message
    applied = deploy(host, edited, confirm_timeout=60)
    assert applied.changed and not applied.failed, applied.message
    assert applied.diff == preview.diff
    assert deploy(host, edited, check=True).changed is False
    back = deploy(host, values, confirm_timeout=60)
    assert back.changed and not back.failed, back.message
    assert deploy(host, values, check=True).changed is False


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rollback_returns_to_the_configuration_before_the_commit(lab, platform):
    host, values = HOSTS[platform], variables(lab, platform)
    assert not deploy(host, values, confirm_timeout=60).failed
    with session(lab, platform) as dev:
        dev.load_candidate(intended(host, changed(platform, values)))
        assert dev.compare()
        dev.commit(confirm_timeout=60)
        dev.rollback()
        dev.load_candidate(intended(host, values))
        assert dev.compare() == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_refused_candidate_changes_nothing(lab, platform):
    host, values = HOSTS[platform], variables(lab, platform)
    assert not deploy(host, values, confirm_timeout=60).failed
    good = intended(host, values)
    bad = REFUSED[platform](good)
    assert bad != good
    with session(lab, platform) as dev:
        with pytest.raises((ConfigError, CommitError)) as caught:
            dev.load_candidate(bad)
            dev.compare()
            dev.commit(confirm_timeout=60)
        if isinstance(caught.value, CommitError):
            assert caught.value.restored
        for secret in secrets_of(values):
            assert secret not in str(caught.value)
    with session(lab, platform) as dev:
        dev.load_candidate(good)
        assert dev.compare() == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_wrong_password_is_an_authentication_error_that_names_no_password(lab, platform):
    with pytest.raises(AuthenticationError) as caught:
        session(lab, platform, password="not-the-lab-password").open()
    assert "not-the-lab-password" not in str(caught.value)
    assert caught.value.host == HOSTS[platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_device_that_is_not_the_one_trusted_is_refused(lab, platform):
    host = HOSTS[platform]
    fault = "hostkey" if lab_device_class(platform).protocol == "ssh" else "badcert"
    lab.fault(host, fault)
    try:
        with pytest.raises(TrustError):
            session(lab, platform).open()
    finally:
        lab.fault(host, "clear")
    with session(lab, platform) as dev:
        assert dev.get_facts()["hostname"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_nothing_listening_is_a_connect_error(lab, platform):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(ConnectError):
        session(lab, platform, port=free, timeout=5.0).open()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_maintenance_checks_of_its_class_all_run(lab, platform):
    """The platform answers every check its class's reference platform answers, and each of
    them comes back judged (pass, warn or fail), not an error."""
    host, values = HOSTS[platform], variables(lab, platform)
    cls = values["gbtt_device_class"]
    checks = ck.load()
    ours = {c.id for c in checks if c.applies(cls, platform)}
    assert ours == {c.id for c in checks if c.applies(cls, REFERENCE[cls])}
    assert not deploy(host, values, confirm_timeout=60).failed
    report = check_device(host, values, checks)
    assert report.reachable
    results = {r.check: r for r in report.results}
    assert set(results) == ours
    errors = {r.check: r.detail for r in results.values() if r.status == "error"}
    assert not errors
    assert results["config-compliance"].status == "pass"
    assert results["software-baseline"].status == "pass"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_query_of_an_unknown_kind_is_refused_before_anything_is_sent(lab, platform):
    with session(lab, platform) as dev:
        with pytest.raises(ConfigError):
            dev.ask({"configure": "anything"})


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if driver_for(p).device_class == "mcu"])
def test_mcus_have_call_control(lab, platform):
    with session(lab, platform) as dev:
        assert dev.calls("gbtt-contract-no-such-space") == []
        with pytest.raises(ConfigError):
            dev.call_up("gbtt-contract-no-such-space", "nobody@127.0.0.1", 1000)
        assert dev.call_down("gbtt-contract-no-such-space") is False


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if driver_for(p).device_class == "codec"])
def test_codecs_have_idempotent_meeting_control(lab, platform):
    with session(lab, platform) as dev:
        assert isinstance(dev.codec_calls(), list)
        before = dev.microphones_muted()
        try:
            assert dev.set_microphones(not before) is True
            assert dev.microphones_muted() is (not before)
            assert dev.set_microphones(not before) is False
        finally:
            dev.set_microphones(before)
        presets = dev.camera_presets()
        assert presets and {"id", "name"} <= set(presets[0])
        assert dev.activate_preset(presets[0]["name"])["id"] == presets[0]["id"]
        with pytest.raises(ConfigError):
            dev.activate_preset("no such preset")
        assert dev.standby_state()
        assert dev.hang_up() >= 0


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if driver_for(p).device_class == "router"])
def test_routers_refuse_a_query_that_would_change_them(lab, platform):
    with session(lab, platform) as dev:
        with pytest.raises((ConfigError, DriverError)):
            dev.ask({"show": "configure terminal"} if platform == "cisco_ios" else {"display": "system-view"})
