"""Signatures of interconnection approvals (Art. 4.2), with OpenSSH's standard tool.

An approval is signed by the approving authority with ``ssh-keygen -Y sign`` and checked with
``ssh-keygen -Y verify`` against an ``allowed_signers`` file of the inventory that names the
authority's keys (OpenSSH's "SSHSIG" format: no home-made cryptography here).

What is signed is :func:`payload`: the approval's fields except ``signature``, as canonical JSON
(keys sorted, UTF-8, no spaces), so the YAML's layout, comments and key order do not matter but
any change of a value does.  The signature namespace is :data:`NAMESPACE` (a signature made for
another purpose, e.g. a git commit, never verifies as an approval), and the signer identity is
the authority's id (``so-tttt``): an ``allowed_signers`` line

    so-tttt namespaces="gbtt-approval" ssh-ed25519 AAAAC3Nza… Sở TT&TT Hà Giang

lets that key sign approvals for ``so-tttt`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

NAMESPACE = "gbtt-approval"


class ApprovalError(Exception):
    """An approval that cannot be signed or does not verify; the message says why."""


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def payload(approval: dict) -> bytes:
    """The bytes a signature covers: every field but ``signature``, canonical JSON."""
    fields = {k: v for k, v in approval.items() if k != "signature"}
    return json.dumps(_plain(fields), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _ssh_keygen() -> str:
    tool = shutil.which("ssh-keygen")
    if tool is None:
        raise ApprovalError("ssh-keygen is not installed (OpenSSH client, package openssh-client): "
                            "approvals cannot be signed or verified without it")
    return tool


def sign(approval: dict, key: Path) -> str:
    """The armored SSH signature of ``approval`` with the private key file ``key``."""
    proc = subprocess.run([_ssh_keygen(), "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE],
                          input=payload(approval), capture_output=True, check=False)
    if proc.returncode != 0:
        raise ApprovalError(f"ssh-keygen could not sign with {key}: "
                            + proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout.decode("ascii")


def verify(approval: dict, allowed_signers: Path) -> None:
    """Check ``approval["signature"]`` against the keys ``allowed_signers`` gives the approval's
    ``authority``; :class:`ApprovalError` saying why when it does not verify."""
    signature = approval.get("signature")
    if not signature:
        raise ApprovalError("the approval is not signed")
    authority = str(approval.get("authority") or "")
    if not authority:
        raise ApprovalError("the approval names no authority")
    if not Path(allowed_signers).is_file():
        raise ApprovalError(f"no allowed_signers file at {allowed_signers}: no signature can be trusted")
    with tempfile.NamedTemporaryFile("w", encoding="ascii", suffix=".sig") as sig:
        sig.write(str(signature).strip() + "\n")
        sig.flush()
        proc = subprocess.run([_ssh_keygen(), "-Y", "verify", "-f", str(allowed_signers), "-I", authority,
                               "-n", NAMESPACE, "-s", sig.name],
                              input=payload(approval), capture_output=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
        raise ApprovalError(f"the signature does not verify for authority {authority!r} "
                            f"({detail[-1] if detail else 'ssh-keygen refused it'})")
