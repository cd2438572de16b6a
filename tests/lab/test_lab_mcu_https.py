"""The lab's MCUs over real HTTPS on loopback: TLS verified against the lab CA, basic auth,
the CMS API shape, and what a client sees under each transport fault."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

AUTH = ("gbtt-api", "lab-mcu-only")


def url(lab, host: str, path: str) -> str:
    return f"https://127.0.0.1:{lab.ports[host]}/api/v1/{path}"


def test_tls_is_verified_against_the_lab_ca_and_nothing_else(lab):
    r = requests.get(url(lab, "dong-van-mcu", "system/status"), auth=AUTH, verify=str(lab.settings.ca_bundle),
                     timeout=10)
    assert r.status_code == 200 and ET.fromstring(r.text).tag == "status"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url(lab, "dong-van-mcu", "system/status"), auth=AUTH, verify=True, timeout=10)


def test_create_then_list_with_location_header(lab):
    host = "meo-vac-mcu"
    r = requests.post(url(lab, host, "coSpaces"), data={"name": "Giao ban huyện", "uri": "giaoban.meovac"},
                      auth=AUTH, verify=str(lab.settings.ca_bundle), timeout=10)
    assert r.status_code == 200, r.text
    location = r.headers["Location"]
    assert location.startswith("/api/v1/coSpaces/")
    got = requests.get(f"https://127.0.0.1:{lab.ports[host]}{location}", auth=AUTH,
                       verify=str(lab.settings.ca_bundle), timeout=10)
    assert ET.fromstring(got.text).findtext("name") == "Giao ban huyện"
    again = requests.post(url(lab, host, "coSpaces"), data={"name": "x", "uri": "giaoban.meovac"}, auth=AUTH,
                          verify=str(lab.settings.ca_bundle), timeout=10)
    assert again.status_code == 400 and ET.fromstring(again.text).tag == "failureDetails"
    entries = [e for e in lab.log_entries(host) if e["event"] == "request"]
    assert any("POST /api/v1/coSpaces" in e["detail"] for e in entries)


def test_wrong_password_and_refused_login(lab):
    host = "yen-minh-mcu"
    ca = str(lab.settings.ca_bundle)
    assert requests.get(url(lab, host, "coSpaces"), auth=("gbtt-api", "wrong"), verify=ca, timeout=10).status_code == 401
    lab.fault(host, "refuse_login")
    try:
        assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 401
    finally:
        lab.fault(host, "clear")
    assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200


def test_badcert_fault_makes_the_client_refuse_the_server(lab):
    host = "ha-giang-mcu"
    ca = str(lab.settings.ca_bundle)
    lab.fault(host, "badcert")
    try:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10)
    finally:
        lab.fault(host, "clear")
    assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200


def served_certificate(lab, host: str):
    """The certificate the device presents (read without verifying it)."""
    import ssl

    from cryptography import x509
    der = ssl.get_server_certificate(("127.0.0.1", lab.ports[host]))
    return x509.load_pem_x509_certificate(der.encode())


def test_badcert_days_serves_a_lab_ca_certificate_with_that_much_validity(lab):
    import datetime as dt
    host = "ha-giang-mcu"
    ca = str(lab.settings.ca_bundle)
    normal = served_certificate(lab, host)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        assert "expires in 10 days" in lab.fault(host, "badcert", "10")
        soon = served_certificate(lab, host)
        assert abs((soon.not_valid_after_utc - now).total_seconds() - 10 * 86400) < 120
        assert soon.issuer == normal.issuer and soon.public_key() == normal.public_key()
        assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200
        assert f"{host} (port {lab.ports[host]}): badcert=10.0" in lab.gbtt("status").stdout
        assert "expired 1.5 days ago" in lab.fault(host, "badcert", "-1.5")
        with pytest.raises(requests.exceptions.SSLError, match="certificate has expired"):
            requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10)
        for bad in ("soon", "nan", "1e9"):
            proc = lab.gbtt("fault", host, "badcert", bad)
            assert proc.returncode != 0 and "days of validity" in proc.stderr + proc.stdout
        with pytest.raises(requests.exceptions.SSLError):          # a refused value changes nothing
            requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10)
    finally:
        lab.fault(host, "clear")
    assert served_certificate(lab, host).serial_number == normal.serial_number
    assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200


def test_drop_fault_cuts_the_connection_after_n_requests(lab):
    host = "bac-me-mcu"
    ca = str(lab.settings.ca_bundle)
    lab.fault(host, "drop", "2")
    try:
        with requests.Session() as s:  # verify per request: $REQUESTS_CA_BUNDLE would override s.verify
            assert s.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200
            assert s.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200
            with pytest.raises(requests.exceptions.ConnectionError):
                s.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10)
    finally:
        lab.fault(host, "clear")


def test_latency_fault_delays_every_answer(lab):
    import time
    host = "hoang-su-phi-mcu"
    ca = str(lab.settings.ca_bundle)
    lab.fault(host, "latency", "0.5")
    try:
        t0 = time.monotonic()
        assert requests.get(url(lab, host, "coSpaces"), auth=AUTH, verify=ca, timeout=10).status_code == 200
        assert time.monotonic() - t0 >= 0.5
    finally:
        lab.fault(host, "clear")


def test_status_lists_faults_until_cleared(lab):
    host = "xin-man-mcu"
    lab.fault(host, "latency", "0.1")
    out = lab.gbtt("status").stdout
    assert f"{host} (port {lab.ports[host]}): latency=0.1" in out
    lab.fault(host, "clear")
    assert host not in lab.gbtt("status").stdout
