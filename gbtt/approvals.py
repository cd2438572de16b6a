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
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

NAMESPACE = "gbtt-approval"

#: a Vietnamese document number: digits, optionally the year, then the issuer's sign in capitals
#: (``123/STTTT-CNTT``, ``45/QĐ-STTTT``, ``12/2026/QĐ-UBND``, ``7/TB-VP.UBND``)
_NUMBER = re.compile(r"^[0-9]{1,6}(/[0-9]{4})?/[0-9A-ZĐ]+([-.][0-9A-ZĐ]+)*$")
_NUMBER_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZĐ/-.")
#: characters that look like the ones a document number is written with
_LOOKALIKES = {
    "\u00d0": "Đ", "\u0189": "Đ", "\u0111": "Đ (capital)", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2044": "/", "\u2215": "/", "\u29f8": "/",
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I", "\u039a": "K",
    "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O",
    "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0423": "Y", "\u0425": "X", "\u0406": "I", "\u0405": "S",
}


class ApprovalError(Exception):
    """An approval that cannot be signed or does not verify; the message says why."""


def number_problem(number: Any) -> str | None:
    """Why ``number`` is not a well-formed document number, or None.  Letters from other
    alphabets that look like Latin ones (Cyrillic Т, Greek Τ, Icelandic Ð for Đ), full-width
    forms, other dashes and slashes are named: two numbers that look the same must be the same."""
    if not isinstance(number, str) or not number:
        return f"the document number must be text such as 123/STTTT-CNTT, not {number!r}"
    strange = []
    for ch in dict.fromkeys(number):
        if ch in _NUMBER_CHARS or ch.isascii() and ch.isprintable():
            continue                     # ASCII out of place: the shape check below says so
        looks = _LOOKALIKES.get(ch) or next((c for c in unicodedata.normalize("NFKC", ch) if c in _NUMBER_CHARS), None)
        name = unicodedata.name(ch, "unnamed character")
        strange.append(f"U+{ord(ch):04X} {name}" + (f" (looks like {looks!r})" if looks else ""))
    if strange:
        return (f"document number {number!r} contains " + ", ".join(strange)
                + ": write it with digits, capital letters A-Z and Đ, '/', '-' and '.' only")
    if not _NUMBER.match(number):
        return (f"document number {number!r} is not shaped like a Vietnamese document number "
                "(e.g. 123/STTTT-CNTT, 45/QĐ-STTTT, 12/2026/QĐ-UBND)")
    return None


def moment(text: Any, tz: str, *, end: bool = False) -> dt.datetime:
    """An approval's ``valid_from`` / ``valid_until`` as an aware time.  A date is a whole day in
    the province's time zone: ``valid_from`` starts at its 00:00, ``valid_until`` ends at the
    following midnight (``end=True``).  A time must carry its UTC offset."""
    text = str(text)
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        if end:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(), ZoneInfo(tz))
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


#: the fields of an approval (registry schema), all signed but ``signature``
FIELDS = ("id", "number", "authority", "issued", "valid_from", "valid_until", "systems", "endpoints", "purpose",
          "meeting", "interconnect", "config_sha256", "signature")


def fields(approval: Any) -> dict:
    """An approval of the registry model (or a mapping) as the mapping :func:`payload` signs."""
    if isinstance(approval, dict):
        return dict(approval)
    return {name: getattr(approval, name) for name in FIELDS}


def payload(approval: dict) -> bytes:
    """The bytes a signature covers: every field but ``signature``, canonical JSON.  A field left
    out, null or an empty list are the same thing (the registry reads them alike)."""
    kept = {k: v for k, v in approval.items() if k != "signature" and v is not None and v != [] and v != ()}
    return json.dumps(_plain(kept), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _ssh_keygen() -> str:
    tool = shutil.which("ssh-keygen")
    if tool is None:
        raise ApprovalError("ssh-keygen is not installed (OpenSSH client, package openssh-client): "
                            "approvals cannot be signed or verified without it")
    return tool


def sign(approval: dict, key: Path) -> str:
    """The armored SSH signature of ``approval`` with the private key file ``key``.  A key file
    readable by others (a demo key from a git checkout) is used through a private copy: OpenSSH
    refuses such files."""
    key = Path(key)
    if not key.is_file():
        raise ApprovalError(f"no private key file {key}")
    with tempfile.TemporaryDirectory(prefix="gbtt-sign-") as tmp:
        if key.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            private = Path(tmp) / "key"
            fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.read_bytes())
            key = private
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
