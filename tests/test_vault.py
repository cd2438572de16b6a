"""Production credentials: inline ansible-vault values, checked without the password, never printed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ansible.parsing.vault import VaultLib, VaultSecret

from gbtt import vault

from conftest import ROOT, run

SECRET = "Codec-Pa55-never-printed"


def _inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventory" / "hagiang" / "group_vars", inv / "group_vars")
    return inv


def test_blank_credentials_are_listed_to_fill_in():
    diags = vault.check(ROOT / "inventory" / "hagiang")
    assert {d.severity for d in diags} == {"warning"}
    accounts = ("vault_gbtt_codec_technician_passphrase", "vault_gbtt_codec_operator_passphrase")
    assert sorted(d.message.split()[0] for d in diags) == sorted(vault.REQUIRED + accounts)
    assert all(d.line for d in diags)


def test_plaintext_secret_is_an_error(tmp_path: Path):
    inv = _inventory(tmp_path)
    creds = vault.credentials_path(inv)
    creds.write_text(creds.read_text().replace("vault_gbtt_mcu_password: null", "vault_gbtt_mcu_password: admin123"))
    errors = [d for d in vault.check(inv) if d.severity == "error"]
    assert [d.kind for d in errors] == ["plaintext secret"]
    assert "admin123" not in errors[0].message + errors[0].hint


def test_cli_set_encrypts_keeps_comments_and_never_prints_the_secret(tmp_path: Path):
    inv = _inventory(tmp_path)
    pw = tmp_path / "vault-pass"
    pw.write_text("test-vault-password\n")
    proc = run([sys.executable, "-m", "gbtt", "vault", "set", str(inv), "vault_gbtt_codec_password", "--stdin",
                "--vault-password-file", str(pw)], input_text=SECRET + "\n")
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    text = vault.credentials_path(inv).read_text()
    assert SECRET not in text and "vault_gbtt_codec_password: !vault |" in text
    assert "# The project cannot know them" in text and "vault_gbtt_router_password: null  # to fill in" in text
    diags = vault.check(inv)
    assert not [d for d in diags if "vault_gbtt_codec_password" in d.message]
    from ruamel.yaml import YAML
    value = YAML().load(text)["vault_gbtt_codec_password"]
    lib = VaultLib([("default", VaultSecret(b"test-vault-password"))])
    assert lib.decrypt(str(value.value)).decode() == SECRET


def test_a_codec_account_needs_its_vault_variable(tmp_path: Path):
    inv = _inventory(tmp_path)
    creds = vault.credentials_path(inv)
    creds.write_text(creds.read_text().replace("vault_gbtt_codec_operator_passphrase: null", ""))
    errors = [d for d in vault.check(inv, ["codec_operator_passphrase"]) if d.severity == "error"]
    assert [d.message for d in errors] == ["vault_gbtt_codec_operator_passphrase is not declared"]
