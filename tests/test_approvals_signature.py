"""Approval signatures through ``ssh-keygen -Y sign/verify`` (gbtt.approvals): a signed approval
verifies for its authority; a changed field, another key, another authority, a signature made
for another namespace and an unsigned approval do not."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from gbtt import approvals

APPROVAL = {
    "id": "2026-123", "number": "123/STTTT-CNTT", "authority": "so-tttt",
    "issued": dt.date(2026, 11, 20), "valid_from": dt.date(2026, 11, 25), "valid_until": dt.date(2026, 12, 31),
    "systems": ["tinh", "dong-van"], "purpose": "Hội nghị trực tuyến ba cấp tháng 12",
}


def keypair(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key, (folder / f"{name}.pub").read_text().strip()


@pytest.fixture()
def authority(tmp_path):
    key, public = keypair(tmp_path, "so-tttt")
    signers = tmp_path / "allowed_signers"
    signers.write_text(f'so-tttt namespaces="{approvals.NAMESPACE}" {public}\n')
    return key, signers


def test_a_signed_approval_verifies(authority):
    key, signers = authority
    signed = {**APPROVAL, "signature": approvals.sign(APPROVAL, key)}
    assert signed["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
    approvals.verify(signed, signers)
    # the YAML's key order does not matter, only the values
    approvals.verify(dict(reversed(list(signed.items()))), signers)


@pytest.mark.parametrize("change", [
    {"valid_until": dt.date(2027, 12, 31)},
    {"systems": ["tinh", "dong-van", "meo-vac"]},
    {"purpose": "Hội nghị trực tuyến ba cấp tháng 12 "},
    {"authority": "ubnd-tinh"},
])
def test_a_changed_field_does_not_verify(authority, change):
    key, signers = authority
    signed = {**APPROVAL, "signature": approvals.sign(APPROVAL, key), **change}
    with pytest.raises(approvals.ApprovalError, match="does not verify"):
        approvals.verify(signed, signers)


def test_another_key_or_namespace_does_not_verify(authority, tmp_path):
    _, signers = authority
    other, _ = keypair(tmp_path, "someone")
    with pytest.raises(approvals.ApprovalError, match="does not verify"):
        approvals.verify({**APPROVAL, "signature": approvals.sign(APPROVAL, other)}, signers)
    key, _ = authority
    git_style = subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", "git"],
                               input=approvals.payload(APPROVAL), capture_output=True, check=True).stdout.decode()
    with pytest.raises(approvals.ApprovalError, match="does not verify"):
        approvals.verify({**APPROVAL, "signature": git_style}, signers)


def test_unsigned_or_untrusted(authority, tmp_path):
    key, signers = authority
    with pytest.raises(approvals.ApprovalError, match="not signed"):
        approvals.verify(APPROVAL, signers)
    with pytest.raises(approvals.ApprovalError, match="no allowed_signers file"):
        approvals.verify({**APPROVAL, "signature": approvals.sign(APPROVAL, key)}, tmp_path / "none")
