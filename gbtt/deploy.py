"""Deploy one device: render its intended configuration, compare, and (unless checking) back up,
commit with a revert timer, check health, confirm or roll back; write the audit log.

Pure Python, one call per device: the ``gbtt_deploy`` action plugin, the benchmarks and the
tests all use :func:`deploy`.  Nothing here prints or logs a secret: diffs and messages go
through :func:`gbtt.drivers.base.redact` with every credential of the device.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from gbtt import render
from gbtt.drivers.base import (AuthenticationError, CommitError, ConfigError, ConnectError, ConnectionParams,
                               DriverError, TrustError, driver_for, known_platforms, redact)

#: the credential variables of each device class (inventory variables, vaulted in production)
CREDENTIALS = {
    "codec": ("gbtt_codec_username", "gbtt_codec_password", None),
    "router": ("gbtt_router_username", "gbtt_router_password", "gbtt_router_enable_secret"),
    "mcu": ("gbtt_mcu_username", "gbtt_mcu_password", None),
}

#: the inventory variables a deploy reads: the registry's (built by the inventory plugin: data,
#: never templates) and the settings (possibly templates: vaulted credentials, paths)
REGISTRY_VARIABLES = ("gbtt_device_class", "gbtt_platform", "gbtt_model", "gbtt_endpoint", "gbtt_system",
                      "gbtt_province", "gbtt_mcu_site", "gbtt_system_endpoints", "gbtt_management_address",
                      "gbtt_lab")
SETTINGS = ("ansible_host", "ansible_port", "gbtt_known_hosts_file", "gbtt_ca_bundle", "gbtt_timeout",
            "gbtt_codec_update_passphrase")


def task_variables(task_vars: dict, template) -> dict:
    """The variables of one device from Ansible's task variables: the registry's as they are, the
    settings, credentials and account passphrases of its class through ``template`` (Ansible's
    templar: vault decryption, ``{{ … }}``)."""
    out = {name: task_vars[name] for name in REGISTRY_VARIABLES if name in task_vars}
    names = [*SETTINGS, *(n for n in CREDENTIALS.get(out.get("gbtt_device_class"), ()) if n)]
    if out.get("gbtt_device_class") == "codec":
        names += [f"gbtt_{a['passphrase_secret']}" for a in (out.get("gbtt_province") or {}).get("codec_accounts", ())]
    out.update((name, template(task_vars[name])) for name in names if name in task_vars)
    return out


def preload_drivers() -> None:
    """Import every driver and compile every device template now, before a process forks its
    workers (Ansible forks one per host and task): each worker inherits them, instead of
    spending ~0.1 s importing NAPALM and compiling a template of its own."""
    for platform in known_platforms():
        driver_for(platform)
    render.precompile()


@dataclass
class Outcome:
    host: str
    changed: bool = False
    failed: bool = False
    diff: str = ""
    message: str = ""
    backup: str | None = None
    restored: bool | None = None     # after a failed write: is the device back where it was?
    unreachable: bool = False
    checks: list = field(default_factory=list)


@lru_cache(maxsize=1)
def _login() -> str:
    return getpass.getuser()


def connection_params(variables: dict) -> tuple[ConnectionParams, dict[str, str]]:
    """How to reach the device, and its secrets for the templates, from its variables (already
    templated: vaulted values decrypted)."""
    cls = variables["gbtt_device_class"]
    user_var, password_var, secret_var = CREDENTIALS[cls]
    lab = variables.get("gbtt_lab") or {}
    password = str(variables.get(password_var) or "")
    secret = str(variables.get(secret_var) or "") if secret_var else ""
    extra: dict = {"secrets": [s for s in (password, secret) if s]}
    accounts = {}
    if cls == "codec":
        for account in (variables.get("gbtt_province") or {}).get("codec_accounts", ()):
            name = account["passphrase_secret"]
            accounts[name] = str(variables.get(f"gbtt_{name}") or "")
        extra["secrets"] += [v for v in accounts.values() if v]
        extra["update_passphrase"] = str(variables.get("gbtt_codec_update_passphrase", "on_create"))
        # the registry's camera presets (id, name): how a platform whose presets have no names
        # (Poly) seats a meeting by the names of the seating plan (Art. 8.2c)
        extra["camera_presets"] = list((variables.get("gbtt_endpoint") or {}).get("camera_presets", ()))
    if cls == "router":
        extra["management_address"] = variables.get("gbtt_management_address", variables["ansible_host"])
    params = ConnectionParams(
        address=str(variables["ansible_host"]), port=variables.get("ansible_port"),
        username=str(variables.get(user_var) or ""), password=password, secret=secret,
        known_hosts=lab.get("known_hosts") or variables.get("gbtt_known_hosts_file"),
        ca_bundle=lab.get("ca_bundle") or variables.get("gbtt_ca_bundle"),
        timeout=float(variables.get("gbtt_timeout", 30)), extra=extra)
    secrets = {"codec_password": str(variables.get("gbtt_codec_password") or ""),
               "router_password": str(variables.get("gbtt_router_password") or ""),
               "router_enable_secret": str(variables.get("gbtt_router_enable_secret") or ""),
               "mcu_password": str(variables.get("gbtt_mcu_password") or ""), **accounts}
    return params, secrets


def _write_backup(backup_dir: Path, host: str, text: str, when: dt.datetime) -> str:
    folder = backup_dir / host
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{when:%Y%m%dT%H%M%SZ}.cfg"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return str(path)


def _audit(audit_log: Path | None, entry: dict) -> None:
    if audit_log is None:
        return
    audit_log.parent.mkdir(parents=True, exist_ok=True)
    with open(audit_log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


def _summary(diff: str) -> str:
    lines = diff.splitlines()
    plus = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    minus = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return f"+{plus} -{minus}"


def deploy(host: str, variables: dict, *, check: bool = False, confirm_timeout: int = 300,
           backup_dir: Path | None = None, audit_log: Path | None = None, user: str | None = None) -> Outcome:
    """Bring ``host`` to its intended configuration (``check``: only compare)."""
    out = Outcome(host)
    params, secrets = connection_params(variables)
    known = [s for s in secrets.values() if s] + list(params.extra["secrets"])
    try:
        intended = render.render_context(host, variables, secrets)
    except render.RenderError as exc:
        out.failed, out.message = True, redact(str(exc), known)
        return out
    digest = hashlib.sha256(intended.encode()).hexdigest()
    when = dt.datetime.now(dt.timezone.utc)
    entry = {"when": when.isoformat(timespec="seconds"), "who": user or _login(), "host": host,
             "intended_sha256": digest, "check": check}
    try:
        driver = driver_for(variables["gbtt_platform"])(host, params)
        driver.open()
    except TrustError as exc:
        out.failed = True
        out.message = redact(f"refused before any write: {exc.message}", known)
        return out
    except AuthenticationError as exc:
        out.failed = True
        out.message = redact(f"login refused (not retried): {exc.message}", known)
        return out
    except DriverError as exc:
        out.failed, out.unreachable = True, isinstance(exc, ConnectError)
        out.message = redact(exc.message, known)
        return out
    try:
        driver.load_candidate(intended)
        out.diff = redact(driver.compare(), known)
        if not out.diff:
            out.message = "in sync"
            return out
        out.changed = True
        if check:
            out.message = f"would change ({_summary(out.diff)})"
            return out
        if backup_dir is not None:
            out.backup = _write_backup(backup_dir, host, driver.backup(), when)
        driver.commit(confirm_timeout=confirm_timeout)
        out.checks = [asdict(c) for c in driver.health()]
        failed_checks = [c for c in out.checks if not c["ok"]]
        if failed_checks:
            driver.rollback()
            out.failed, out.restored = True, True
            out.message = ("health check failed after the change, rolled back: "
                           + "; ".join(f"{c['name']}: {c['detail']}" for c in failed_checks))
        else:
            driver.confirm()
            out.message = f"changed ({_summary(out.diff)})"
    except ConfigError as exc:
        out.failed, out.restored = True, True
        out.message = redact(f"configuration refused, device unchanged: {exc.message}", known)
    except CommitError as exc:
        out.failed, out.restored = True, exc.restored
        out.message = redact(exc.message, known)
    except DriverError as exc:
        out.failed = True
        out.message = redact(exc.message, known)
    finally:
        try:
            driver.close()
        except DriverError:
            pass
        if out.changed and not check:
            entry.update(diff=_summary(out.diff), result="failed" if out.failed else "changed",
                         restored=out.restored, backup=out.backup, message=out.message)
            _audit(audit_log, entry)
    return out


def backup(host: str, variables: dict, backup_dir: Path) -> Outcome:
    """Save the device's running configuration (``playbooks/backup.yml``); changes nothing."""
    out = Outcome(host)
    params, secrets = connection_params(variables)
    known = [s for s in secrets.values() if s] + list(params.extra["secrets"])
    try:
        with driver_for(variables["gbtt_platform"])(host, params) as driver:
            out.backup = _write_backup(backup_dir, host, driver.backup(), dt.datetime.now(dt.timezone.utc))
        out.message = f"saved {out.backup}"
    except DriverError as exc:
        out.failed, out.unreachable = True, isinstance(exc, ConnectError)
        out.message = redact(exc.message, known)
    return out
