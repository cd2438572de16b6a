"""Device credentials: ansible-vault encrypted values, checked without the vault password.

Production credentials live in ``<inventory>/group_vars/all/credentials.yml`` as
*inline* ansible-vault values (``!vault |``), one per variable, so that
``ansible-inventory --list`` and ``gbtt validate`` work without the vault password and
only the jobs that log in to devices need it.  A credential the province has not entered
yet is ``null`` and listed as "to fill in"; a plain-text value is an error.  The lab
inventory keeps its openly lab-only credentials in plain text (``secrets: plain`` in
its source file).

``gbtt vault set INVENTORY NAME`` asks for the secret without echo and writes its
encrypted value (the vault password comes from ``--vault-password-file``,
``$ANSIBLE_VAULT_PASSWORD_FILE`` or a prompt).  Nothing here ever prints a secret.
"""

from __future__ import annotations

import getpass
import io
import os
from pathlib import Path
from typing import Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.scalarstring import LiteralScalarString

from gbtt.diagnostics import Diagnostic

CREDENTIALS_FILE = Path("group_vars") / "all" / "credentials.yml"
#: the accounts every device class needs; group_vars/all/main.yml maps them to gbtt_* variables
REQUIRED = (
    "vault_gbtt_codec_password",
    "vault_gbtt_router_password",
    "vault_gbtt_router_enable_secret",
    "vault_gbtt_mcu_password",
)


class VaultError(Exception):
    pass


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def credentials_path(inventory_dir: Path) -> Path:
    return inventory_dir / CREDENTIALS_FILE


def check(inventory_dir: Path, secrets: Iterable[str] = ()) -> list[Diagnostic]:
    """Diagnostics for the production credentials of one inventory folder; ``secrets``: more
    required names (``codec_operator_passphrase`` -> ``vault_gbtt_codec_operator_passphrase``)."""
    path = credentials_path(inventory_dir)
    shown = str(path)
    if not path.is_file():
        return [Diagnostic("error", "credentials", f"{CREDENTIALS_FILE} is missing",
                           "create it with 'gbtt vault set <inventory> <name>' for each of " + ", ".join(REQUIRED),
                           shown)]
    doc = _yaml().load(path.read_text(encoding="utf-8")) or {}
    out: list[Diagnostic] = []
    for name in (*REQUIRED, *(f"vault_gbtt_{s}" for s in secrets)):
        if name not in doc:
            out.append(Diagnostic("error", "credentials", f"{name} is not declared",
                                  f"add '{name}: null' and set it with 'gbtt vault set'", shown))
    for name, value in doc.items():
        line = doc.lc.key(name)[0] + 1
        if value is None:
            out.append(Diagnostic("warning", "credential to fill in", f"{name} has no value yet",
                                  f"run: gbtt vault set {inventory_dir} {name}", shown, line=line))
        elif not (isinstance(value, TaggedScalar) and value.tag.value == "!vault"
                  and str(value.value).lstrip().startswith("$ANSIBLE_VAULT")):
            out.append(Diagnostic("error", "plaintext secret", f"{name} is not vault-encrypted",
                                  "secrets are stored only as ansible-vault values (Art. 3: keep access accounts "
                                  f"secret): run 'gbtt vault set {inventory_dir} {name}' and rotate the password",
                                  shown, line=line))
    return out


def _vault_secret(password_file: str | None):
    from ansible.constants import DEFAULT_VAULT_ID_MATCH  # noqa: F401  (ansible import check)
    from ansible.parsing.vault import VaultSecret

    password_file = password_file or os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    if password_file:
        password = Path(password_file).read_text(encoding="utf-8").strip()
    else:
        password = getpass.getpass("Vault password: ")
        if password != getpass.getpass("Vault password (again): "):
            raise VaultError("the two vault passwords differ")
    if not password:
        raise VaultError("empty vault password")
    return VaultSecret(password.encode())


def encrypt(plaintext: str, secret, vault_id: str = "default") -> str:
    from ansible.parsing.vault import VaultLib

    lib = VaultLib([(vault_id, secret)])
    return lib.encrypt(plaintext.encode(), secret, vault_id=vault_id if vault_id != "default" else None).decode()


def set_credential(inventory_dir: Path, name: str, value: str, secret, vault_id: str = "default") -> Path:
    """Write ``name`` encrypted into the inventory's credentials file, keeping comments and order."""
    if not name.startswith("vault_"):
        raise VaultError(f"{name}: credential variables start with 'vault_' (e.g. {REQUIRED[0]})")
    if not value:
        raise VaultError("empty secret: nothing written")
    path = credentials_path(inventory_dir)
    y = _yaml()
    doc = y.load(path.read_text(encoding="utf-8")) if path.is_file() else None
    if doc is None:
        from ruamel.yaml.comments import CommentedMap
        doc = CommentedMap()
    ciphertext = encrypt(value, secret, vault_id)
    doc[name] = TaggedScalar(LiteralScalarString(ciphertext if ciphertext.endswith("\n") else ciphertext + "\n"),
                             style="|", tag="!vault")
    if name in doc.ca.items:
        doc.ca.items.pop(name)  # the "# to fill in" mark no longer applies
    buf = io.StringIO()
    y.explicit_start = path.is_file() and path.read_text(encoding="utf-8").startswith("---")
    y.dump(doc, buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def cli_set(inventory: str, name: str, password_file: str | None, vault_id: str, from_stdin: bool) -> int:
    import sys

    inv = Path(inventory)
    if not inv.is_dir():
        print(f"gbtt vault set: {inv}: not an inventory folder", file=sys.stderr)
        return 2
    try:
        value = sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass(f"Value of {name}: ")
        secret = _vault_secret(password_file)
        path = set_credential(inv, name, value, secret, vault_id)
    except (VaultError, OSError) as exc:
        print(f"gbtt vault set: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: {name} encrypted (vault id {vault_id})")
    return 0
