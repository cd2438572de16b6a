"""The lab's keys: an ed25519 SSH host key per device and a TLS certificate per HTTPS device,
signed by a CA made for this lab.  Written under the lab's state folder: ``known_hosts``
and ``ca.pem`` are what the lab inventory points clients at, so host key checking and TLS
verification stay on against the lab.  Nothing here is ever used outside 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_PEM = serialization.Encoding.PEM


def _private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def host_key(state_dir: Path, host: str, *, renew: bool = False) -> asyncssh.SSHKey:
    """The device's ed25519 host key, made on first use (``renew``: a new one, as after a
    device replacement: clients must then refuse it)."""
    path = state_dir / "hostkeys" / host
    if path.exists() and not renew:
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"gbtt-lab {host}")
    _private(path, key.export_private_key())
    return key


def write_known_hosts(state_dir: Path, entries: dict[int, asyncssh.SSHKey], address: str) -> Path:
    """``[127.0.0.1]:port ssh-ed25519 …`` for every SSH device (OpenSSH and paramiko read it)."""
    path = state_dir / "known_hosts"
    lines = [f"[{address}]:{port} {key.export_public_key('openssh').decode().split(' gbtt-lab')[0].strip()}"
             for port, key in sorted(entries.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="ascii")
    os.replace(tmp, path)
    return path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gbtt embedded lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _new_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def lab_ca(state_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The lab CA (``ca.pem`` is the bundle clients verify against), made on first use."""
    key_path, cert_path = state_dir / "ca.key", state_dir / "ca.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key, cert = _new_ca("gbtt lab CA (127.0.0.1 only)")
    _private(key_path, key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(_PEM))
    return key, cert


def _leaf(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
          host: str, address: str, not_before: dt.datetime, not_after: dt.datetime) -> x509.Certificate:
    """A server certificate for ``address`` and ``host`` signed by ``ca_key``."""
    return (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)),
                                                        x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))


def _write_pair(cert_path: Path, key_path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    _private(key_path, key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(_PEM))


def device_cert(state_dir: Path, host: str, address: str, *, rogue: bool = False) -> tuple[Path, Path]:
    """(cert, key) files of an HTTPS device, valid for ``address`` and ``host``.  ``rogue``: a
    certificate from a CA nobody trusts (the wrong-certificate fault)."""
    folder = state_dir / ("rogue" if rogue else "certs")
    cert_path, key_path = folder / f"{host}.pem", folder / f"{host}.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    ca_key, ca_cert = _new_ca("an untrusted CA") if rogue else lab_ca(state_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = _leaf(ca_key, ca_cert, key, host, address, now - dt.timedelta(days=1), now + dt.timedelta(days=825))
    _write_pair(cert_path, key_path, cert, key)
    return cert_path, key_path


def reissued_cert(state_dir: Path, host: str, address: str, days: float) -> tuple[Path, Path]:
    """(cert, key) files of a certificate of the lab CA for an HTTPS device with ``days`` of
    validity left (negative: expired that many days ago), valid for a year before that: the
    expiring-certificate fault.  Issued anew at each call (``reissued/<host>.pem``), with the
    device's own key; the device's normal certificate (``certs/``) is left alone."""
    cert_path, key_path = device_cert(state_dir, host, address)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    ca_key, ca_cert = lab_ca(state_dir)
    now = dt.datetime.now(dt.timezone.utc)
    not_after = now + dt.timedelta(days=days)
    cert = _leaf(ca_key, ca_cert, key, host, address, min(now, not_after) - dt.timedelta(days=365), not_after)
    folder = state_dir / "reissued"
    out = folder / f"{host}.pem", folder / f"{host}.key"
    _write_pair(*out, cert, key)
    return out
