"""One interface for every device platform, modelled on NAPALM's ``NetworkDriver``.

A driver talks to one device.  The deploy flow (action plugins, ``gbtt`` commands, benches) is
the same for every platform::

    with driver_for(platform)(host, params) as dev:      # open ... close
        dev.load_candidate(intended)                       # the rendered intended configuration
        diff = dev.compare()                               # "" when the device already matches
        if diff and not check_mode:
            backup = dev.backup()                          # the running configuration, to restore
            dev.commit(confirm_timeout=...)                # write; platforms that can, with a revert timer
            checks = dev.health()                          # after a change: is the device still reachable/usable?
            if all(c.ok for c in checks): dev.confirm()    # keep it
            else: dev.rollback()                           # back to the backup

``intended`` is text rendered from ``templates/<class>/<platform>.j2``; each platform documents
its format.  Errors are :class:`DriverError` subclasses, so callers can tell a refused host key
(never retried) from a dropped connection or a rejected configuration.  Secrets: a driver never
puts a password into an exception, a diff or a log line (see :func:`redact`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, ClassVar


class DriverError(Exception):
    """Base of every driver error; ``host`` says which device."""

    def __init__(self, host: str, message: str):
        super().__init__(f"{host}: {message}")
        self.host = host
        self.message = message


class ConnectError(DriverError):
    """The device cannot be reached (refused, timed out, dropped during login)."""


class AuthenticationError(DriverError):
    """Login refused: wrong credentials or a locked account.  Never retried in a loop."""


class TrustError(DriverError):
    """The device's SSH host key or TLS certificate does not match what we trust: nothing was
    written, and nothing will be until a person checks the device (known_hosts / CA bundle)."""


class ConfigError(DriverError):
    """The device rejected the candidate (syntax, value out of range); nothing was changed."""


class CommitError(DriverError):
    """Writing the change failed part-way; ``restored`` says whether the device is back to its
    backup."""

    def __init__(self, host: str, message: str, restored: bool):
        super().__init__(host, message + (" (restored to the previous configuration)" if restored
                                          else " (NOT restored: check the device)"))
        self.restored = restored


class UnknownPlatform(ValueError):
    pass


@dataclass
class Check:
    """One health check after a change."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class ConnectionParams:
    """How to reach a device (from inventory variables)."""

    address: str                       # ansible_host
    port: int | None = None            # ansible_port
    username: str = ""
    password: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)       # enable secret (IOS)
    known_hosts: str | None = None     # SSH: the only host keys trusted (host key checking is always on)
    ca_bundle: str | None = None       # HTTPS: the only CAs trusted (verification is always on)
    timeout: float = 30.0
    extra: dict = field(default_factory=dict)


class Driver:
    """Base class: subclasses set ``platform`` and implement the methods."""

    platform: ClassVar[str] = ""
    device_class: ClassVar[str] = ""

    def __init__(self, host: str, params: ConnectionParams):
        self.host = host
        self.params = params
        self.candidate: str | None = None

    # -- session ---------------------------------------------------------------------------
    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Driver":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------
    def get_facts(self) -> dict:
        """At least ``hostname``, ``vendor``, ``model``, ``serial``, ``os_version`` (the release as
        ``province.software_baselines`` writes it, for the software-baseline check) and ``uptime``
        (seconds); a platform may add its own keys."""
        raise NotImplementedError

    def get_config(self) -> str:
        """The running configuration in the platform's intended-config format (what
        ``load_candidate`` takes), so that a backup can be loaded back."""
        raise NotImplementedError

    # -- changing --------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        """Stage the intended configuration (validated locally; nothing written yet)."""
        self.candidate = intended

    def compare(self) -> str:
        """Unified-style diff of running vs candidate, secrets redacted; "" when equal."""
        raise NotImplementedError

    def backup(self) -> str:
        """The running configuration, kept to restore; default: :meth:`get_config`."""
        return self.get_config()

    def commit(self, confirm_timeout: int | None = None) -> None:
        """Make the candidate the running configuration.  With ``confirm_timeout`` (seconds),
        platforms that can arm a revert timer do, and :meth:`confirm` must follow."""
        raise NotImplementedError

    def confirm(self) -> None:
        """Keep a change committed with a revert timer (no-op where there is none)."""

    def discard(self) -> None:
        self.candidate = None

    def rollback(self) -> None:
        """Back to the configuration before the last commit."""
        raise NotImplementedError

    def health(self) -> list[Check]:
        """Checks after a change; all must pass before :meth:`confirm`."""
        return []

    # -- maintenance checks (checks/*.yml) ------------------------------------------------
    # What the declarative checks of the annual maintenance ask a device: each platform answers
    # its own query kinds, read-only (a query that would change the device is refused with
    # ConfigError).  The answer goes, as it is, to the check's judge (checks/judges/<module>.py).

    def ask(self, query: dict) -> Any:
        """Answer one read-only query of a check's ``ask:`` on an open session, e.g.
        ``{"status": "Cameras"}`` (codec), ``{"show": "show ntp status"}`` (router),
        ``{"get": "system/status"}`` (MCU).  :class:`ConfigError` for an unknown or writing query."""
        raise NotImplementedError(f"{self.platform}: no maintenance queries")

    def probe(self, query: dict) -> Any:
        """Answer a query that needs no login and no open session (e.g. ``{"tls": true}``: the
        certificate the device presents, read even when it does not verify)."""
        raise NotImplementedError(f"{self.platform}: no probes")

    # -- call control (MCUs) ---------------------------------------------------------------
    # What the interconnect job needs of an MCU to cascade meeting spaces; every MCU platform
    # implements it.  ``space`` is the name of a meeting space gbtt owns on the MCU (in the
    # driver's ownership scope); the dial string ``remote`` is what the MCU dials, e.g.
    # ``gbtt-link-<id>@<address of the other MCU>``.

    def call_up(self, space: str, remote: str, bandwidth_kbps: int) -> dict:
        """Make sure ``space`` has its active call with a connected outgoing leg to ``remote``
        (started and dialled at ``bandwidth_kbps`` as needed; a connected leg is left alone, a
        failed one is dialled again).  Returns ``{"changed": bool, "leg": <call leg id>,
        "state": "connected" | "disconnected", "reason": <why not connected> | None}``; a
        space that does not exist is a :class:`ConfigError`."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no call control")

    def calls(self, space: str) -> list[dict]:
        """The legs of the active call of ``space``: ``[{"id", "remote", "direction"
        ("incoming" | "outgoing"), "state", "reason" (None when connected), "bandwidth"
        (kbit/s or None)}]``; [] when there is no call or no such space."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no call control")

    def call_down(self, space: str) -> bool:
        """End the active call of ``space`` (every leg hangs up); True when one was ended."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no call control")

    # -- meeting control (codecs) ------------------------------------------------------------
    # What a meeting playbook does on each participant codec, on an open session: see its calls,
    # mute its microphones (Art. 9.2a: a microphone is on only when the chair gives the floor),
    # frame the seating plan with a camera preset (Art. 8.2c), put it in standby after the
    # meeting, hang up.  These are commands, not configuration: they never touch the candidate,
    # and a setter that finds the codec as asked sends nothing and returns False.

    def codec_calls(self) -> list[dict]:
        """The codec's calls now: ``[{"id": str, "remote": str (the remote number or URI as the
        codec shows it), "direction": "incoming" | "outgoing", "state": "connected" |
        "connecting" | "ringing" | "disconnecting" | … (lower-case, as the codec says it),
        "rate_kbps": int | None}]``; [] when idle."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def microphones_muted(self) -> bool:
        """Whether the codec's microphones are muted."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def set_microphones(self, muted: bool) -> bool:
        """Mute (``muted`` True) or unmute the microphones; True when that changed anything
        (idempotent: a second call sends nothing and returns False)."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def camera_presets(self) -> list[dict]:
        """The camera presets, in the codec's list order: ``[{"id": int, "name": str, "camera":
        int}]``."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def activate_preset(self, preset: str | int) -> dict:
        """Move the camera to a preset, given by name (an exact match after stripping spaces) or
        by id; returns ``{"id": int, "name": str}`` of the preset activated.  No such preset is
        a :class:`ConfigError` naming the codec and listing the names of its presets."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def standby_state(self) -> str:
        """The standby state as the codec says it, e.g. ``"Standby"``, ``"Off"`` (awake),
        ``"Halfwake"``."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def set_standby(self, on: bool) -> bool:
        """Put the codec in standby (``on`` True) or wake it; True when that changed anything
        (idempotent: a second call sends nothing and returns False)."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")

    def hang_up(self, remote: str | None = None) -> int:
        """Disconnect every call, or only those whose remote is ``remote`` (compared as the
        codec shows it, and also without a ``sip:`` prefix and ``;parameters``); returns the
        number of calls disconnected (0 when none matched)."""
        raise NotImplementedError(f"{self.platform or type(self).__name__}: no meeting control")


_REGISTRY: dict[str, str] = {
    "cisco_ce": "gbtt.drivers.cisco_ce:CeDriver",
    "cisco_cms": "gbtt.drivers.cisco_cms:CmsDriver",
    "cisco_ios": "gbtt.drivers.cisco_ios:IosDriver",
    "huawei_vrp": "gbtt.drivers.huawei_vrp:VrpDriver",
    "pexip_infinity": "gbtt.drivers.pexip_infinity:PexipDriver",
    "poly_group": "gbtt.drivers.poly_group:PolyDriver",
}


def known_platforms() -> list[str]:
    return sorted(_REGISTRY)


def driver_for(platform: str) -> type[Driver]:
    """The driver class of a platform; an unknown one fails with the known ones."""
    target = _REGISTRY.get(platform)
    if target is None:
        raise UnknownPlatform(f"no driver for platform {platform!r}; known: {', '.join(sorted(_REGISTRY))}")
    from importlib import import_module
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def _known_host_names(address: str, port: int | None) -> str:
    """How OpenSSH and paramiko name a host in known_hosts: ``addr``, or ``[addr]:port``."""
    return address if not port or int(port) == 22 else f"[{address}]:{int(port)}"


def _names_match(field_: str, name: str) -> bool:
    for entry in field_.split(","):
        if entry.startswith("|1|"):      # hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, name))
            try:
                _, _, salt, digest = entry.split("|")
                mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
            except ValueError:
                continue
            if hmac.compare_digest(base64.b64encode(mac).decode(), digest):
                return True
        elif entry == name or any(c in entry for c in "*?!"):  # patterns: kept, for paramiko
            return True
    return False


def _host_field(line: str) -> str:
    fields = line.split()
    return fields[1] if fields[0].startswith("@") and len(fields) > 1 else fields[0]


_INDEX: dict[str, tuple[tuple[int, int], dict, list]] = {}


def _known_hosts_index(path: str) -> tuple[dict[str, list[tuple[int, str]]], list[tuple[int, str]]]:
    """A known_hosts file as (plain host name -> its numbered lines, every other line: hashed
    names, patterns, markers), read again only when the file changes (size, mtime)."""
    st = os.stat(path)
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _INDEX.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    plain: dict[str, list[tuple[int, str]]] = {}
    other: list[tuple[int, str]] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if not line.split() or line.startswith("#"):
                continue
            names = _host_field(line)
            if names.startswith("|") or any(c in names for c in "*?!,") or line.startswith("@"):
                other.append((number, line))
            else:
                plain.setdefault(names, []).append((number, line))
    _INDEX[path] = (stamp, plain, other)
    return plain, other


class HostKeys:
    """The lines of a known_hosts file that concern one device, in a private temporary file for
    the life of a session.  paramiko parses every key of the file it is given (0.25 s of CPU
    for a province's 500 keys, and netmiko loads it twice per router: the CLI session and the
    SCP session); a device needs only its own lines.  Nothing is trusted that the file does not
    say: a device without lines gets an empty file, and paramiko refuses it."""

    def __init__(self, path: str, address: str, port: int | None):
        name = _known_host_names(address, port)
        plain, other = _known_hosts_index(path)
        lines = [(n, line) for n, line in other if _names_match(_host_field(line), name)]
        lines = sorted([*plain.get(name, ()), *lines])
        fd, self.path = tempfile.mkstemp(prefix="gbtt-known-hosts-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(line for _, line in lines)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


_SECRET_LINE = re.compile(
    r"(?i)^(?P<head>.*?\b(?:password|secret|passphrase|key-string|community|passcode|pin)\b\s*(?:\d+\s+)?[:=]?\s*)"
    r"(?P<value>\S.*?)\s*$")


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with every known secret value and every value after a password-like keyword
    replaced by ``<redacted>``; for diffs, logs and error messages."""
    for value in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        m = _SECRET_LINE.match(body)
        out.append(m.group("head") + "<redacted>" + line[len(body):] if m else line)
    return "".join(out)
