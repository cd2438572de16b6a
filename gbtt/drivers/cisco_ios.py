"""The Cisco IOS / IOS XE router driver (ISR 1100 / 4000), through stock NAPALM ``ios``.

Intended configuration
----------------------
The full running configuration of the router, as ``show running-config`` prints it
(``templates/router/cisco_ios.j2``).  It replaces the running configuration as a whole
(``configure replace``): a line missing from it is removed from the router.  It must keep
what the driver itself needs: the ``archive`` section (the revert timer of a confirmed commit),
``ip scp server enable`` (the candidate goes to ``flash:`` over SCP), the SSH login and the
``enable secret``.  ``file prompt quiet`` belongs to NAPALM, which turns it on for its file
operations and off again when the session closes: leave it out of the intended configuration.

The deploy session
------------------
One SSH session (NAPALM over netmiko over paramiko) serves the whole deploy, from
:meth:`~IosDriver.open` to :meth:`~IosDriver.close`.  Host key checking is always on: only the
keys in ``params.known_hosts`` are trusted, an unknown or changed key is a :class:`TrustError`
before anything is sent.  The driver opens the TCP connections itself (the CLI session's, and
the SCP session's of each candidate transfer) with ``TCP_NODELAY``: SSH is many small writes,
and without it each waits on a delayed ACK (on loopback, an SSH login takes 100 ms instead of
12, an SCP transfer 50 ms instead of 6).  The rest of a command's time is netmiko's own
pauses (about 80 ms a command).

* :meth:`~IosDriver.load_candidate` copies the intended configuration to
  ``flash:candidate_config.txt``; :meth:`~IosDriver.compare` is ``show archive config
  differences`` against it, secrets redacted.
* :meth:`~IosDriver.commit` is ``configure replace … revert trigger error timer N`` with
  ``confirm_timeout`` (seconds, rounded to whole minutes, 1 to 120): all or nothing, and the
  router reverts by itself unless :meth:`~IosDriver.confirm` (``configure confirm``, then
  ``write memory``) comes in time.  A candidate the router rejects is a :class:`ConfigError`,
  after checking the running configuration is what it was.
* :meth:`~IosDriver.rollback`: with a commit pending, ``configure revert now`` (what the timer
  would do); otherwise a replace with the configuration saved just before the commit.  Either
  way the result is checked against that configuration.
* A session lost while changing the router (commit, confirmation, rollback: a dropped link, a
  reboot) is followed by a new session that puts the router back on the configuration read
  just before the commit: a replace whose revert timer runs is reverted now, and NAPALM's
  ``file prompt quiet``, which the dead session could not turn off again, is taken out (it is
  never in the startup configuration).  The :class:`CommitError` says whether the router is
  back; if the new session fails too, the revert timer still brings the replace back.

Reading
-------
:meth:`~IosDriver.get_facts` reads one ``show version``: ``os_version`` as IOS XE writes it
(``17.09.05``; the province's baselines are written so), ``uptime`` in seconds.  The
maintenance checks (``checks/*.yml``) ask, read-only, through :meth:`~IosDriver.ask`:

* ``{show: "show ntp status"}``: the text of a ``show`` command (output filters ``| include``,
  ``exclude``, ``begin``, ``section``, ``count`` allowed; anything else, a second line, a
  ``| redirect``/``tee``/``append`` is a :class:`ConfigError` and nothing is sent);
* ``{ping: {target: 10.23.14.2, repeat: 20}}`` (``timeout`` seconds too): ``ping … repeat N
  timeout S`` from the router, as ``{sent, received, loss_percent, rtt_min_ms, rtt_avg_ms,
  rtt_max_ms, text}`` (the times are None when nothing came back).

``params.extra`` (all optional)
-------------------------------
``management_address`` / ``management_interface``
    which interface carries management (default: the one holding ``params.address``);
``wan_interface``
    the WAN interface (default: the one the default route leaves through);
``ping_targets``
    addresses the router must reach after a change (``ping`` from the router);
``secrets``
    more values to redact from diffs and errors (besides the password and enable secret).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from typing import Iterator

import paramiko
from napalm.base.exceptions import (CommandErrorException, CommitConfirmException, MergeConfigException,
                                    ReplaceConfigException)
from napalm.base.exceptions import ConnectionException as NapalmConnectionException
from napalm.ios.ios import IOSDriver
from netmiko.exceptions import NetmikoAuthenticationException, ReadException

from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError, ConnectError, Driver,
                               DriverError, HostKeys, TrustError, redact)

REVERT_MIN_SECONDS = 60          # IOS revert timers are whole minutes, 1 to 120
REVERT_MAX_SECONDS = 120 * 60
NAPALM_LINE = "file prompt quiet"  # NAPALM's own, for its file operations (see module docstring)

_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"


@dataclass
class Interface:
    """One line of ``show ip interface brief``."""

    name: str
    address: str
    status: str       # up, down, administratively down
    protocol: str     # up, down

    @property
    def up(self) -> bool:
        return self.status == "up" and self.protocol == "up"

    def describe(self) -> str:
        return f"{self.name} ({self.address}) is {self.status}, line protocol is {self.protocol}"


class IosDriver(Driver):
    """A Cisco IOS XE router through NAPALM ``ios``; see the module docstring."""

    platform = "cisco_ios"
    device_class = "router"

    def __init__(self, host, params):
        super().__init__(host, params)
        self._napalm: IOSDriver | None = None
        self._keys: HostKeys | None = None   # this router's known_hosts lines, while open
        self._on_flash = False           # the candidate has been copied to the router
        self._committed = False          # a commit in this session: NAPALM's rollback file is ours
        self._pending = False            # committed with a revert timer, not yet confirmed
        self._startup_has_napalm_line = False   # a rollback saved NAPALM's "file prompt quiet"
        self._before: str | None = None  # the running configuration read by backup(), for a lost commit
        self._restore_point: str | None = None   # the configuration a lost session's change goes back to

    # -- session ---------------------------------------------------------------------------
    def open(self) -> None:
        if self._napalm is not None:
            return
        known_hosts = self.params.known_hosts
        if not known_hosts or not os.path.isfile(known_hosts):
            raise TrustError(self.host, f"no known_hosts file ({known_hosts or 'none given'}): "
                                        "host key checking is always on, so no host key is trusted")
        keys = HostKeys(known_hosts, self.params.address, self._port)
        try:
            sock = self._connect_socket()
        except Exception:
            keys.remove()
            raise
        device = IOSDriver(
            self.params.address, self.params.username, self.params.password, timeout=self.params.timeout,
            optional_args={
                "port": self._port, "secret": self.params.secret, "sock": sock,
                "ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
                "alt_key_file": keys.path, "allow_agent": False, "use_keys": False,
                "conn_timeout": self.params.timeout,
                "force_no_enable": True,     # enable below, to tell a wrong enable secret apart
            })
        try:
            device.open()
        except Exception as exc:
            sock.close()
            keys.remove()
            raise self._login_error(exc) from exc
        try:
            device.device.enable()
        except Exception as exc:
            keys.remove()
            with contextlib.suppress(Exception):
                device.device.disconnect()
            if isinstance(exc, ValueError):  # netmiko: "Failed to enter enable mode"
                raise AuthenticationError(self.host, "enable refused: check the enable secret") from exc
            raise self._login_error(exc) from exc
        device.device.sock = None   # taken: the SCP session needs its own (load_candidate)
        self._napalm = device
        self._keys = keys           # the SCP session checks the host key again

    def close(self) -> None:
        device, self._napalm = self._napalm, None
        if device is None:
            return
        keys, self._keys = self._keys, None
        try:
            if self._startup_has_napalm_line and device.prompt_quiet_changed:
                # a rollback saved NAPALM's "file prompt quiet" to startup: take it out of both
                device.device.send_config_set([f"no {NAPALM_LINE}"])
                device.device.save_config()
                device.prompt_quiet_changed = False
            device.close()          # NAPALM: "no file prompt quiet" if it turned it on, disconnect
        except Exception:
            with contextlib.suppress(Exception):
                device.device.disconnect()
        finally:
            if keys is not None:
                keys.remove()

    # -- reading ---------------------------------------------------------------------------
    def get_facts(self) -> dict:
        """hostname, vendor, model, serial, ``os_version`` as IOS XE writes it (``17.09.05``,
        from ``Cisco IOS XE Software, Version 17.09.05``; classic IOS: ``15.9(3)M4``) and
        ``uptime`` in seconds, all from one ``show version``."""
        with self._session("reading facts") as device:
            text = device.device.send_command("show version")
        return parse_show_version(text)

    def get_config(self) -> str:
        """The running configuration from its ``version`` line on (the header before it is
        comments: ``! Last configuration change at …``), without NAPALM's own ``file prompt
        quiet``: the same text whenever the configuration is the same."""
        with self._session("reading the running configuration") as device:
            lines = device.get_config(retrieve="running")["running"].splitlines()
            transient = device.prompt_quiet_changed
        start = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("!")), len(lines))
        kept: list[str] = []
        dropped = False
        for line in lines[start:]:
            if transient and line.strip() == NAPALM_LINE:
                dropped = True
                continue
            if not (dropped and line == "!" and kept and kept[-1] == "!"):   # and its separator
                kept.append(line)
            dropped = False
        return "".join(f"{line}\n" for line in kept)

    # -- maintenance checks ----------------------------------------------------------------
    def ask(self, query: dict) -> object:
        """``{"show": "show …"}``: the command's output, as the router prints it (a ``show``
        command alone or with the output filters ``| include|exclude|begin|section|count``);
        ``{"ping": {"target": "<IPv4>", "repeat": N, "timeout": S}}`` (repeat 1 to 100, default
        5; timeout 1 to 10 seconds, default 2): :func:`parse_ping` of the router's ``ping``.
        Anything else, or a command that is not a plain ``show``, is a :class:`ConfigError`;
        a command the router rejects (``% Invalid input``) a :class:`DriverError`."""
        if not isinstance(query, dict) or len(query) != 1:
            raise ConfigError(self.host, f"a query is one of show, ping: {query!r}")
        (kind, value), = query.items()
        if kind == "show":
            command = show_command(self.host, value)
            with self._session(f"asking {command!r}") as device:
                text = device.device.send_command(command, read_timeout=max(10.0, self.params.timeout))
            if re.search(r"^% (Invalid input|Incomplete command|Ambiguous command)", text, re.M):
                raise DriverError(self.host, f"the router rejected {command!r}: {text.strip().splitlines()[-1]}")
            return text
        if kind == "ping":
            target, repeat, timeout = ping_query(self.host, value)
            command = f"ping {target} repeat {repeat} timeout {timeout}"
            wait = repeat * timeout + max(10.0, self.params.timeout)     # every echo may time out
            with self._session(f"pinging {target}") as device:
                text = device.device.send_command(command, read_timeout=wait)
            result = parse_ping(text)
            if result is None:
                raise DriverError(self.host, f"{command}: no result in the router's answer: {text.strip()[-200:]}")
            return result
        raise ConfigError(self.host, f"unknown query {kind!r}: the router answers show, ping")

    # -- changing --------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        """Stage ``intended``.  It is copied to the router's flash when it is compared (and only
        if it differs from the running configuration as text) or committed."""
        if not intended.strip():
            raise ConfigError(self.host, "the intended configuration is empty")
        self.candidate = intended
        self._on_flash = False
        self._before = None

    def _copy_candidate(self) -> None:
        text = self.candidate if self.candidate.endswith("\n") else self.candidate + "\n"
        with self._session("copying the candidate to the router") as device, self._scp_socket(device), \
                tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="gbtt-ios-", suffix=".cfg") as local:
            local.write(text)   # mode 0600: the candidate may hold secrets
            local.flush()
            try:
                device.load_replace_candidate(filename=local.name)
            except ReplaceConfigException as exc:
                raise ConfigError(self.host, f"the candidate could not be copied to flash: {self._redact(exc)}") from exc
        self._on_flash = True

    def compare(self) -> str:
        """The router's own diff (``show archive config differences``) of the candidate against
        the running configuration.  When the two are the same text but for comment lines (an
        in-sync router, the usual case of a deploy), that is known from ``show running-config``
        alone: nothing is copied to flash."""
        if self.candidate is None:
            return ""
        if not self._on_flash:
            if same_config_text(self.candidate, self.get_config()):
                return ""
            self._copy_candidate()
        with self._session("comparing the candidate") as device:
            diff = device.compare_config()
        return self._redact(diff) + "\n" if diff.strip() else ""

    def backup(self) -> str:
        self._before = self.get_config()     # the commit that follows restores this if its session dies
        return self._before

    def commit(self, confirm_timeout: int | None = None) -> None:
        if self.candidate is None:
            raise DriverError(self.host, "nothing to commit: load a candidate first")
        if not self._on_flash:
            self._copy_candidate()
        revert_in = None
        if confirm_timeout is not None:
            minutes = int((confirm_timeout + 30) // 60)          # to the nearest minute, half up
            revert_in = min(REVERT_MAX_SECONDS, max(REVERT_MIN_SECONDS, minutes * 60))
        self._restore_point = self._before if self._before is not None else self.get_config()
        with self._or_restore(), self._session("committing") as device:
            try:
                device.commit_config(revert_in=revert_in)
            except (ReplaceConfigException, MergeConfigException) as exc:
                self._committed = True
                self._after_rejected_commit(device, exc)
            except CommitConfirmException as exc:   # no archive: no revert timer
                raise ConfigError(self.host, f"cannot arm a revert timer: {self._redact(exc)}") from exc
            except CommandErrorException as exc:    # a confirmed commit of someone else is pending
                raise DriverError(self.host, f"nothing changed: {self._redact(exc)}") from exc
        self._before = None
        self._committed = True
        self._pending = revert_in is not None

    @contextlib.contextmanager
    def _or_restore(self) -> Iterator[None]:
        """A session lost while changing the router (commit, confirm, rollback) is followed by a
        new one that puts the router back on the configuration before the commit
        (:meth:`_recover`); the error says whether it is."""
        try:
            yield
        except ConnectError as lost:
            if self._restore_point is None:
                raise
            restored = self._recover(self._restore_point)
            if restored:
                self._restore_point = None
            raise CommitError(self.host, f"{lost.message}; reconnected" + (
                "" if restored else ", but the running configuration is not the one before the commit"),
                restored=restored) from lost

    def _recover(self, before: str) -> bool:
        """The session died during a commit: log in again and put the router back as it was —
        revert a replace whose timer is running (what the timer would do), take out NAPALM's
        ``file prompt quiet`` when the dead session left it on (it is never in the startup
        configuration) — then check the running configuration is ``before``."""
        with contextlib.suppress(Exception):
            self.close()
        try:
            self.open()
            with self._session("restoring after a lost connection") as device:
                if device.has_pending_commit():
                    device.rollback()           # configure revert now
                    self._pending = False
                found = device.cli([f"show running-config | include ^{NAPALM_LINE}",
                                    f"show startup-config | include ^{NAPALM_LINE}"])
                running, startup = (found[k].strip() for k in found)
                if running and not startup and not device.prompt_quiet_changed:
                    device.device.send_config_set([f"no {NAPALM_LINE}"])
            return self.get_config() == before
        except DriverError:
            return False

    def confirm(self) -> None:
        if not self._pending:
            return
        with self._or_restore(), self._session("confirming the commit") as device:
            try:
                device.confirm_commit()
            except CommitConfirmException as exc:
                self._pending = False
                expired = "No pending" in str(exc)
                raise CommitError(self.host, "nothing to confirm: the revert timer expired before the "
                                             "confirmation and the router went back" if expired
                                  else self._redact(exc), restored=expired) from exc
        self._pending = False
        self._restore_point = None

    def discard(self) -> None:
        super().discard()
        if self._napalm is not None:
            with self._session("discarding the candidate") as device:
                device.discard_config()

    def rollback(self) -> None:
        """Back to the configuration before the last commit: with a commit still pending,
        revert now (what its timer would do); otherwise replace with the configuration NAPALM
        saved just before the commit.  Then check the router is on that configuration."""
        with self._or_restore(), self._session("rolling back") as device:
            if not self._committed and not device.has_pending_commit():
                raise DriverError(self.host, "nothing to roll back: no commit in this session")
            try:
                device.rollback()
            except (CommitConfirmException, ReplaceConfigException) as exc:
                raise CommitError(self.host, f"rollback refused: {self._redact(exc)}", restored=False) from exc
            self._pending = False
            self._startup_has_napalm_line = True
            if not self._matches_rollback_file(device):
                raise CommitError(self.host, "rolled back, but the running configuration differs from "
                                             "the one before the commit", restored=False)
        self._restore_point = None

    # -- health ----------------------------------------------------------------------------
    def health(self) -> list[Check]:
        """Management reachable (the router answers, its management interface is up/up), the
        WAN interface up/up, and a ping to each of ``extra["ping_targets"]``."""
        try:
            with self._session("checking health") as device:
                brief = device.cli(["show ip interface brief"])["show ip interface brief"]
                interfaces = parse_interface_brief(brief)
                checks = [self._management_check(interfaces), self._wan_check(device, interfaces)]
                checks += [self._ping_check(device, target) for target in self._ping_targets()]
        except ConnectError as exc:
            return [Check("management reachable", False, f"the router stopped answering: {exc.message}")]
        return checks

    def _management_check(self, interfaces: dict[str, Interface]) -> Check:
        name = "management reachable"
        extra = self.params.extra
        wanted = extra.get("management_interface")
        address = extra.get("management_address") or self.params.address
        if wanted:
            interface = interfaces.get(wanted)
            if interface is None:
                return Check(name, False, f"the router answers, but has no interface {wanted}")
        else:
            interface = next((i for i in interfaces.values() if i.address == address), None)
            if interface is None:
                if extra.get("management_address"):
                    return Check(name, False, f"the router answers, but no interface has {address}")
                return Check(name, True, f"the router answers (no interface holds {address}: "
                                         "reached through NAT or a tunnel)")
        return Check(name, interface.up, interface.describe())

    def _wan_check(self, device: IOSDriver, interfaces: dict[str, Interface]) -> Check:
        name = "WAN up"
        wanted = self.params.extra.get("wan_interface")
        if not wanted:
            routes = device.cli(["show ip route"])["show ip route"]
            wanted, why = default_route_interface(routes)
            if wanted is None:
                return Check(name, False, why)
        interface = interfaces.get(wanted)
        if interface is None:
            return Check(name, False, f"no interface {wanted}")
        return Check(name, interface.up, interface.describe())

    def _ping_targets(self) -> list[str]:
        targets = self.params.extra.get("ping_targets") or []
        return [targets] if isinstance(targets, str) else [str(t) for t in targets]

    @staticmethod
    def _ping_check(device: IOSDriver, target: str) -> Check:
        name = f"ping {target}"
        result = device.ping(target, count=3, timeout=2)
        if "success" not in result:
            return Check(name, False, result.get("error", "no answer").strip())
        sent = result["success"]["probes_sent"]
        received = sent - result["success"]["packet_loss"]
        return Check(name, sent > 0 and received > 0, f"{received}/{sent} replies")

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _port(self) -> int:
        return self.params.port or 22

    def _connect_socket(self) -> socket.socket:
        """The TCP connection for the SSH session, with TCP_NODELAY."""
        try:
            sock = socket.create_connection((self.params.address, self._port), timeout=self.params.timeout)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ConnectError(self.host, f"cannot connect to {self.params.address}:{self._port}: {reason}") from exc
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    @contextlib.contextmanager
    def _scp_socket(self, device: IOSDriver) -> Iterator[None]:
        """SCP takes a second SSH connection, which netmiko opens on its ``sock`` when it has
        one: a fresh TCP_NODELAY connection for the time of a transfer."""
        device.device.sock = self._connect_socket()
        try:
            yield
        finally:
            device.device.sock.close()
            device.device.sock = None

    def _login_error(self, exc: BaseException) -> DriverError:
        """The driver error for a failed login; netmiko and NAPALM wrap paramiko's exceptions
        (a host key error becomes a "timeout"), so look through the chain."""
        for cause in _chain(exc):
            if isinstance(cause, paramiko.BadHostKeyException):
                return TrustError(self.host, "the SSH host key does not match known_hosts: nothing was "
                                             "sent; check the router before trusting a new key")
            if isinstance(cause, paramiko.SSHException) and "not found in known_hosts" in str(cause):
                return TrustError(self.host, f"no host key for {self.params.address}:{self._port} in "
                                             "known_hosts: nothing was sent")
            if isinstance(cause, (paramiko.AuthenticationException, NetmikoAuthenticationException)):
                return AuthenticationError(self.host, f"login refused for user {self.params.username!r}")
        return ConnectError(self.host, f"SSH session failed: {self._reason(exc)}")

    @contextlib.contextmanager
    def _session(self, doing: str) -> Iterator[IOSDriver]:
        """The open NAPALM session; every error that is not already a driver error becomes one
        (a lost connection: :class:`ConnectError`)."""
        if self._napalm is None:
            raise DriverError(self.host, f"{doing}: not connected (open() first)")
        try:
            yield self._napalm
        except DriverError:
            raise
        except (OSError, EOFError, paramiko.SSHException, NapalmConnectionException) as exc:
            raise ConnectError(self.host, f"connection lost while {doing}: {self._reason(exc)}") from exc
        except ReadException as exc:
            raise ConnectError(self.host, f"no answer while {doing}: {self._reason(exc)}") from exc
        except Exception as exc:
            raise DriverError(self.host, f"{doing}: {self._reason(exc)}") from exc

    def _after_rejected_commit(self, device: IOSDriver, exc: Exception) -> None:
        """The router refused the candidate: a :class:`ConfigError` if the running configuration
        is as before (``configure replace`` is all or nothing), else restore it."""
        rejected = "\n".join(line for line in str(exc).splitlines()[1:] if line.strip())
        detail = self._redact(rejected or exc)
        if self._matches_rollback_file(device):
            raise ConfigError(self.host, f"the router rejected the candidate; nothing changed:\n{detail}") from exc
        with contextlib.suppress(Exception):
            device.rollback()
        self._startup_has_napalm_line = True
        raise CommitError(self.host, f"the router applied part of the candidate before rejecting it:\n{detail}",
                          restored=self._matches_rollback_file(device)) from exc

    def _matches_rollback_file(self, device: IOSDriver) -> bool:
        """Whether the running configuration is the one NAPALM saved just before the commit."""
        saved = f"{device.dest_file_system}/{device.rollback_cfg}"
        diff = device.device.send_command(f"show archive config differences {saved} system:running-config")
        return config_diff_is_empty(diff)

    def _secrets(self) -> list[str]:
        extra = self.params.extra.get("secrets") or []
        return [self.params.password, self.params.secret, *([extra] if isinstance(extra, str) else extra)]

    def _redact(self, text: object) -> str:
        return redact(str(text), self._secrets()).strip()

    def _reason(self, exc: BaseException) -> str:
        """The innermost cause, in one line, redacted."""
        cause = list(_chain(exc))[-1]
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        text = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
        return self._redact(text)


# =========================================================================================
# Reading IOS output
# =========================================================================================

def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def same_config_text(intended: str, running: str) -> bool:
    """Whether two IOS configurations are the same text once comment and separator lines
    (``!…``), blank lines and trailing blanks are left out: IOS drops comments, and a
    configuration that reads the same line for line replaces to nothing."""
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("!")]
    return lines(intended) == lines(running)


#: output filters that only read; ``| redirect``, ``| tee``, ``| append`` write files
SHOW_FILTERS = ("include", "exclude", "begin", "section", "count")
PING_MAX_REPEAT = 100
PING_MAX_TIMEOUT = 10


def show_command(host: str, value: object) -> str:
    """A read-only ``show`` command from a query, or :class:`ConfigError`: one line, the word
    ``show`` spelled out, filters from :data:`SHOW_FILTERS` only (abbreviations allowed)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(host, f"show: a command is a string, e.g. 'show ntp status': {value!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(host, f"show: one line, no control characters: {value!r}")
    command = " ".join(value.split())
    stages = [stage.strip() for stage in command.split("|")]
    if stages[0].split()[0].lower() != "show" or len(stages[0].split()) < 2:
        raise ConfigError(host, f"only show commands are asked, not {command!r}")
    for stage in stages[1:]:
        word = stage.split()[0].lower() if stage else ""
        if not word or not any(name.startswith(word) for name in SHOW_FILTERS) or len(stage.split()) < 2:
            raise ConfigError(host, f"{command!r}: an output filter is one of "
                                    f"{', '.join(SHOW_FILTERS)} and its expression (no redirect, tee or append)")
    return command


def ping_query(host: str, value: object) -> tuple[str, int, int]:
    """(target, repeat, timeout) of a ping query, or :class:`ConfigError`."""
    if not isinstance(value, dict) or set(value) - {"target", "repeat", "timeout"} or "target" not in value:
        raise ConfigError(host, f"ping: {{target: <IPv4 address>, repeat: 1-{PING_MAX_REPEAT}, "
                                f"timeout: 1-{PING_MAX_TIMEOUT}}}, not {value!r}")
    try:
        target = str(ipaddress.IPv4Address(str(value["target"]).strip()))
    except ValueError:
        raise ConfigError(host, f"ping: the target is an IPv4 address, not {value['target']!r}") from None

    def whole(name: str, default: int, high: int) -> int:
        number = value.get(name, default)
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= high:
            raise ConfigError(host, f"ping: {name} is a whole number from 1 to {high}, not {number!r}")
        return number

    return target, whole("repeat", 5, PING_MAX_REPEAT), whole("timeout", 2, PING_MAX_TIMEOUT)


_SUCCESS = re.compile(r"Success rate is (\d+) percent \((\d+)/(\d+)\)"
                      r"(?:, round-trip min/avg/max = (\d+)/(\d+)/(\d+) ms)?")


def parse_ping(text: str) -> dict | None:
    """IOS ``ping``: ``{"sent", "received", "loss_percent", "rtt_min_ms", "rtt_avg_ms",
    "rtt_max_ms" (None without a reply), "text"}``; None when there is no ``Success rate``
    line (``% Unrecognized host``…)."""
    found = _SUCCESS.search(text)
    if not found:
        return None
    received, sent = int(found.group(2)), int(found.group(3))
    rtt = [int(x) if x is not None else None for x in found.group(4, 5, 6)]
    return {"sent": sent, "received": received,
            "loss_percent": round(100.0 * (sent - received) / sent, 1) if sent else 100.0,
            "rtt_min_ms": rtt[0], "rtt_avg_ms": rtt[1], "rtt_max_ms": rtt[2], "text": text.strip("\n")}


def parse_show_version(text: str) -> dict:
    """The facts of ``show version``: hostname and ``uptime`` (seconds) from ``… uptime is
    …``, serial from ``Processor board ID``, model from the ``cisco <PID> … bytes of memory``
    line, ``os_version`` from ``Cisco IOS XE Software, Version …`` (as written: ``17.09.05``),
    else from the ``Cisco IOS Software …, Version …,`` line."""
    hostname, uptime = "", -1
    for line in text.splitlines():
        if " uptime is " in line and not line.startswith("Uptime for"):
            name, _, since = line.partition(" uptime is ")
            hostname, uptime = name.strip(), int(IOSDriver.parse_uptime(since))
            break
    xe = re.search(r"^Cisco IOS XE Software, Version (\S+)", text, re.M)
    ios = re.search(r"^Cisco IOS Software.*?, Version ([^,\s]+)", text, re.M)
    serial = re.search(r"Processor board ID (\S+)", text)
    model = re.search(r"^cisco (\S+) .*bytes of memory", text, re.M | re.I)
    return {"hostname": hostname, "vendor": "Cisco", "model": model.group(1) if model else "Unknown",
            "serial": serial.group(1) if serial else "Unknown",
            "os_version": (xe or ios).group(1) if (xe or ios) else "Unknown", "uptime": uptime}


def parse_interface_brief(text: str) -> dict[str, Interface]:
    """``show ip interface brief``: interface name -> :class:`Interface`."""
    interfaces = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) < 6 or words[0] == "Interface" or words[2] not in ("YES", "NO"):
            continue
        interfaces[words[0]] = Interface(words[0], words[1], " ".join(words[4:-1]), words[-1])
    return interfaces


def default_route_interface(text: str) -> tuple[str | None, str]:
    """``show ip route``: the interface the default route leaves through, or None and why."""
    direct = re.search(r"^S\*\s+0\.0\.0\.0/0 is directly connected, (\S+)", text, re.M)
    if direct:
        return direct.group(1), ""
    gateway = re.search(rf"Gateway of last resort is ({_IPV4}) to network 0\.0\.0\.0", text)
    if not gateway:
        return None, "no default route in the routing table"
    via = ipaddress.IPv4Address(gateway.group(1))
    best: tuple[int, str] | None = None
    mask = None      # under "10.0.0.0/24 is subnetted", routes are printed without their mask
    for line in text.splitlines():
        header = re.match(rf"\s+{_IPV4}/(\d+) is (variably )?subnetted", line)
        if header:
            mask = None if header.group(2) else int(header.group(1))
            continue
        route = re.match(rf"\s*C\s+({_IPV4})(?:/(\d+))?\s+is directly connected, (\S+)", line)
        if not route:
            continue
        prefix = int(route.group(2)) if route.group(2) else mask
        if prefix is None:
            continue
        network = ipaddress.IPv4Network(f"{route.group(1)}/{prefix}", strict=False)
        if via in network and (best is None or prefix > best[0]):
            best = (prefix, route.group(3))
    if best is None:
        return None, f"the default route goes via {via}, which no connected interface reaches"
    return best[1], ""


def config_diff_is_empty(text: str) -> bool:
    """Whether ``show archive config differences`` found nothing (NAPALM's own ``file prompt
    quiet`` aside); an error (``%Error opening …``) is not "nothing"."""
    if any(line.lstrip().startswith("%") for line in text.splitlines()):
        return False
    return not [line for line in text.splitlines()
                if line.lstrip()[:1] in ("+", "-") and line.lstrip()[1:].strip() != NAPALM_LINE]
