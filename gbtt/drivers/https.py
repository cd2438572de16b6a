"""HTTPS as every HTTPS driver speaks it (``cisco_cms``, ``pexip_infinity``, ``poly_group``):
the device's certificate is ALWAYS verified, against ``params.ca_bundle`` only (never the
system store: ``trust_env`` off, so ``$REQUESTS_CA_BUNDLE``, proxies and ``.netrc`` change
nothing), and what goes wrong is told apart the same way: a certificate that does not verify is
a :class:`TrustError` (nothing was sent), anything else on the way a :class:`ConnectError`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from gbtt.drivers.base import ConnectError, ConnectionParams, TrustError


def ca_bundle(host: str, params: ConnectionParams, device: str = "device") -> str:
    """The CA bundle to verify against; TrustError when none is given or it does not exist."""
    ca = params.ca_bundle
    if not ca:
        raise TrustError(host, f"no CA bundle (ca_bundle) given: the {device}'s certificate is verified against "
                               "the inventory's CA bundle only, never the system store")
    if not Path(ca).is_file():
        raise TrustError(host, f"CA bundle {ca} does not exist")
    return str(ca)


def session(ca: str, headers: dict[str, str] | None = None) -> requests.Session:
    """A kept-alive session that verifies against ``ca`` only."""
    s = requests.Session()
    s.trust_env = False
    s.verify = ca                       # and verify is passed with every request too
    s.headers.update(headers or {})
    return s


def base_url(params: ConnectionParams) -> str:
    """``https://address:port`` (IPv6 addresses in brackets; port 443 unless given)."""
    address = params.address
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"https://{address}:{params.port or 443}"


def request(s: requests.Session, host: str, method: str, url: str, *, ca: str, timeout: float,
            device: str = "device", what: str | None = None, **kw: Any) -> requests.Response:
    """One request (no redirects followed).  TrustError when the certificate does not verify,
    ConnectError when the connection fails or times out; ``what`` names the request in those
    messages (default ``METHOD url``)."""
    what = what or f"{method} {url}"
    try:
        return s.request(method, url, verify=ca, timeout=timeout, allow_redirects=False, **kw)
    except requests.exceptions.SSLError as exc:
        text = str(exc)
        if re.search(r"(?i)certificate|verify|hostname", text):
            why = re.search(r"certificate verify failed: (.*?) \(_ssl\.c:\d+\)", text)
            raise TrustError(host, f"the {device}'s TLS certificate does not verify against {ca}: "
                                   f"{why.group(1) if why else _short(text)}; nothing was sent") from None
        raise ConnectError(host, f"TLS failed: {_short(text)}") from None
    except requests.exceptions.Timeout:
        raise ConnectError(host, f"{what}: no answer within {timeout:g} s") from None
    except requests.exceptions.RequestException as exc:
        raise ConnectError(host, f"{what}: connection failed ({type(exc).__name__}: {_short(str(exc))})") from None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
