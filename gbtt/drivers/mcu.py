"""What every MCU driver shares, whatever its API: the ownership scopes of the three jobs that
configure an MCU, and the certificate probe of the maintenance checks.

The scopes are a contract between the jobs and every MCU platform (docs/drivers.md), so they
live here once: ``params.extra["scope"]`` is None for the MCU deploy (it owns ``gbtt-…`` except
the jobs' objects), ``link:<id>`` for the interconnect job (``gbtt-link-<id>`` and
``gbtt-link-<id>--…``) or ``meeting:<id>`` for the meeting job (``gbtt-meeting-<id>``…).
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
from pathlib import Path
from typing import Any, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from gbtt.drivers.base import ConfigError, ConnectError, ConnectionParams, Driver

OWNED_PREFIX = "gbtt-"
LINK_PREFIX = "gbtt-link-"          # the interconnect job's objects: gbtt-link-<link id>[--…]
MEETING_PREFIX = "gbtt-meeting-"    # the meeting job's objects: gbtt-meeting-<meeting id>[--…]
JOB_PREFIXES = {"link": LINK_PREFIX, "meeting": MEETING_PREFIX}
_JOB_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class McuDriver(Driver):
    """Base of the MCU drivers: the scope (``self._scope``: None or ``(kind, id)``) and the TLS
    probe; the platform implements the rest of :class:`Driver` and the call control."""

    device_class = "mcu"

    def __init__(self, host: str, params: ConnectionParams):
        super().__init__(host, params)
        self._scope = self._scope_of(params.extra.get("scope"))

    # -- ownership scope -------------------------------------------------------------------
    def _scope_of(self, scope: Any) -> tuple[str, str] | None:
        """``(kind, id)`` of a ``link:<id>`` or ``meeting:<id>`` scope; None for the deploy."""
        if scope is None:
            return None
        kind, _, ident = scope.partition(":") if isinstance(scope, str) else ("", "", "")
        if kind in JOB_PREFIXES and _JOB_ID.match(ident):
            return kind, ident
        raise ConfigError(self.host, f"scope {scope!r}: give none (a deploy), 'link:<id>' (the interconnect job) or "
                                     "'meeting:<id>' (the meeting job); the id in lower-case letters, digits and "
                                     "hyphens")

    def _scope_label(self) -> str:
        return "the deploy" if self._scope is None else ":".join(self._scope)

    def _mine(self) -> str:
        """The name of the scope's own objects (``gbtt-link-<id>``, ``gbtt-meeting-<id>``)."""
        return JOB_PREFIXES[self._scope[0]] + self._scope[1]

    def _owns_name(self, name: str) -> bool:
        """Whether a named object is this scope's by its name: ``gbtt-…`` but not a job's
        (``gbtt-link-…``, ``gbtt-meeting-…``) for the deploy; ``gbtt-link-<id>`` and
        ``gbtt-link-<id>--…`` for the link ``<id>``, likewise for a meeting (ids have no
        ``--``, so no link owns another's objects)."""
        if self._scope is None:
            return name.startswith(OWNED_PREFIX) and not name.startswith(tuple(JOB_PREFIXES.values()))
        mine = self._mine()
        return name == mine or name.startswith(mine + "--")

    def _check_names(self, named: Iterable[tuple[str, str]], besides: str = "") -> None:
        """A deploy document may not name the jobs' objects; a job's document names only its
        own.  ``named``: (collection, name) of every object the document keys by name;
        ``besides``: what else a job's document may hold, for the message."""
        for collection, key in named:
            if self._scope is None and key.startswith(tuple(JOB_PREFIXES.values())):
                raise ConfigError(self.host, f"intended configuration: {collection} {key!r}: names starting with "
                                             f"{LINK_PREFIX!r} or {MEETING_PREFIX!r} are reserved for the "
                                             "interconnect job (scope link:<id>) and the meeting job (scope "
                                             "meeting:<id>); a deploy never touches them")
            if self._scope is not None and not self._owns_name(key):
                mine = self._mine()
                raise ConfigError(self.host, f"intended configuration: {collection} {key!r} is not the "
                                             f"{self._scope[0]}'s: a {self._scope_label()} document names only "
                                             f"{mine} and {mine}--… objects{besides}")

    # -- the certificate (maintenance: mcu-certificate) --------------------------------------
    def probe(self, query: dict) -> dict:
        """``{"tls": true}``: the certificate the MCU presents, read from a TLS handshake and
        nothing more: no request, no credentials, no open session needed.  Returns
        ``{"subject", "issuer" (RFC 4514), "not_before", "not_after" (ISO 8601 UTC),
        "days_left" (float; negative: expired), "sha256" (fingerprint), "verified" (it
        verifies against ``params.ca_bundle`` for the MCU's address), "error" (why not,
        else None)}``, also for a certificate that does not verify (expired, unknown CA):
        then a second handshake that verifies nothing reads it, and is closed at once too.
        A port that refuses or does not speak TLS is a :class:`ConnectError`."""
        if not isinstance(query, dict) or set(query) != {"tls"} or query["tls"] is not True:
            raise ConfigError(self.host, f"probe {_short(repr(query))}: {self.platform} probes {{tls: true}} only")
        ca = self.params.ca_bundle
        error = None
        if not ca or not Path(ca).is_file():
            error = f"no CA bundle to verify against ({ca or 'ca_bundle not given'})"
            der = self._handshake(None)
        else:
            try:
                der = self._handshake(str(ca))
            except ssl.SSLCertVerificationError as exc:
                error = f"{exc.verify_message or exc.reason or exc} (against {ca})"
                der = self._handshake(None)
        cert = x509.load_der_x509_certificate(der)
        now = dt.datetime.now(dt.timezone.utc)
        not_after = cert.not_valid_after_utc
        return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
                "not_before": iso(cert.not_valid_before_utc), "not_after": iso(not_after),
                "days_left": round((not_after - now).total_seconds() / 86400, 4),
                "sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper(),
                "verified": error is None, "error": error}

    def _handshake(self, ca: str | None) -> bytes:
        """The DER certificate the MCU presents in one TLS handshake, verified against ``ca``
        (and the address) when given; the connection is closed right after it."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)        # no system store: only ``ca``
        if ca is None:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context.load_verify_locations(cafile=ca)
        address, port = self.params.address.strip("[]"), int(self.params.port or 443)
        try:
            with socket.create_connection((address, port), timeout=self.params.timeout) as raw:
                with context.wrap_socket(raw, server_hostname=address) as tls:
                    der = tls.getpeercert(binary_form=True)
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as exc:
            raise ConnectError(self.host, f"TLS handshake with {address}:{port} failed: {_short(str(exc))}") from None
        except OSError as exc:
            raise ConnectError(self.host, f"{address}:{port}: {type(exc).__name__}: {_short(str(exc))}") from None
        if not der:
            raise ConnectError(self.host, f"{address}:{port} presented no certificate")
        return der


def iso(moment: dt.datetime) -> str:
    """A moment as ISO 8601 in UTC, to the second (``2030-12-31T00:00:00Z``)."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
