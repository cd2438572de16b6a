"""The Huawei NetEngine 8000 (VRPv8) router driver, through stock netmiko ``huawei_vrpv8``.

Intended configuration
----------------------
The whole configuration of the router as ``display current-configuration`` prints it after its
``!`` comment lines (``templates/router/huawei_vrp.j2``): ``#`` separators, one-space
indentation under a view, ``return`` at the end.  It replaces the configuration as a whole: a
line missing from it is removed from the router.  It must keep what the driver needs: the SSH
login (``stelnet server enable``, the ``aaa`` local user and its ``ssh user``) and ``sftp
server enable`` (the candidate goes to ``cfcard:`` over SFTP).  Comparison leaves out the
``#`` and ``!`` lines, blank lines and trailing blanks.

Passwords
---------
A local user's password is written in the intended configuration in clear, ``local-user gbtt
password irreversible-cipher <password>`` (the template gets it from the vault), and never
leaves the driver in clear except typed at VRP's hidden prompt: VRP keeps an irreversible
cipher with a random salt, so the same password gives another line each time and cannot be
compared.  For each such line the driver asks whether the password already opens the account
-- for the login user with the login password, the login itself says so; for any other user,
one SSH authentication (no session) as that user -- and then:

* it does: the candidate file carries the router's own cipher line, and nothing changes
  (a deploy compares equal, idempotent);
* it does not (or the user is new): the file keeps the router's current cipher (a new user
  none), and once the file is loaded into the candidate, ``local-user U password`` is typed
  in the ``aaa`` view and the password answered twice at ``Enter Password:`` / ``Confirm
  Password:``, not echoed; the change is committed with the rest, and reverted with it.

The diff shows such a line as ``local-user U password <redacted>``.  A line whose value is
already a cipher (``$1c$…$``, as :meth:`~VrpDriver.get_config` returns it) is kept as it is, so
a backup loads back.  Netmiko's debug log is silenced while a password is typed.

The deploy session
------------------
One SSH session serves the whole deploy; host key checking is always on (only the keys of
``params.known_hosts``: an unknown or changed key is a :class:`TrustError`, a refused login an
:class:`AuthenticationError`).  The candidate file goes over SFTP on the same SSH connection.
A session the router closes is noticed at once (netmiko alone would wait for the read timeout
of the command: :class:`_ClosedAwareChannel`).

* :meth:`~VrpDriver.compare` is a unified diff of the running configuration against the
  candidate (secrets redacted), computed here: the router is only read.
* :meth:`~VrpDriver.commit`: the candidate file to ``cfcard:/gbtt-candidate.cfg``, then in the
  system view (VRPv8's two-stage mode) ``load configuration file gbtt-candidate.cfg replace``
  (all or nothing: a line the router refuses is a :class:`ConfigError`, the candidate is
  cleared and nothing changed), the passwords to set, and ``commit trial N`` with
  ``confirm_timeout`` (seconds, 60 to 65535: the router goes back by itself unless confirmed)
  or ``commit`` then ``save`` without it.  The id of the last rollback point before the
  commit is read first (``display configuration commit list``).
* :meth:`~VrpDriver.confirm`: ``commit`` (ends the trial, keeps the configuration), then
  ``save``; a trial that ran out meanwhile is a :class:`CommitError` with ``restored`` True.
* :meth:`~VrpDriver.rollback`: a running trial is ended with ``abort trial``; a commit without
  one is undone with ``rollback configuration to commit-id <the one before>``; then the
  running configuration is checked against the one before the commit, and saved.
* A session lost while changing the router (commit, confirmation, rollback) is followed by a
  new one that puts the router back on the configuration read just before the commit: a trial
  still running is aborted, a rollback that was under way is done again.  The
  :class:`CommitError` says whether the router is back; if the new session fails too, the
  trial's timer still brings the router back.

Reading
-------
:meth:`~VrpDriver.get_facts`: ``display version`` (``os_version`` as the baselines write it,
``V800R022C10SPC500``; ``uptime`` in seconds, VRP counts whole minutes), ``display esn``, the
prompt.  The maintenance checks ask, read-only, through :meth:`~VrpDriver.ask`:

* ``{display: "display ntp-service status"}``: the text of a ``display`` command (output
  filters ``| include``, ``exclude``, ``begin``, ``no-more``; anything else, a second line,
  another command is a :class:`ConfigError` and nothing is sent);
* ``{ping: {target: 10.23.15.2, repeat: 20, timeout: 2}}``: ``ping -c N -t MS target``, as
  ``{sent, received, loss_percent, rtt_min_ms, rtt_avg_ms, rtt_max_ms, text}``.

``params.extra`` (all optional)
-------------------------------
``management_address`` / ``management_interface``, ``wan_interface``, ``ping_targets``,
``secrets``: as for the IOS driver (docs/drivers.md).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import ipaddress
import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Iterator

import paramiko
from netmiko import ConnectHandler
from netmiko.channel import SSHChannel
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadException

from gbtt.drivers.base import (AuthenticationError, Check, CommitError, ConfigError, ConnectError, Driver,
                               DriverError, HostKeys, TrustError, redact)

TRIAL_MIN_SECONDS = 60            # commit trial: 60 to 65535 seconds
TRIAL_MAX_SECONDS = 65535
CANDIDATE_FILE = "gbtt-candidate.cfg"

#: a prompt at the start of a line: ``<host>`` (user view), ``[~host…]`` / ``[*host…]`` (system view)
_ANY_PROMPT = r"^(?:<[^<>\r\n]+>|\[[~*][^\]\r\n]*\])"
_SYSTEM_PROMPT = r"^\[[~*][^\]\r\n]*\]"
#: VRP's questions: ``[Y/N]:``, ``[Y(yes)/N(no)/C(cancel)]:``
_QUESTION = r"\[Y/N\]:?|\[Y\(yes\)/N\(no\)/C\(cancel\)\]:?"


def _either(*patterns: str) -> str:
    """One expect pattern (multi-line: a prompt starts a line) for netmiko."""
    return "(?m)" + "|".join(patterns)


PROMPT = _either(_ANY_PROMPT)
SYSTEM_PROMPT = _either(_SYSTEM_PROMPT)

_PASSWORD_LINE = re.compile(r"^(?P<indent>\s*)local-user (?P<user>\S+) password irreversible-cipher (?P<value>\S+)\s*$")
_CIPHER = re.compile(r"\$1[a-z]\$[^\s$]{1,64}\$[^\s$]{8,200}\$|%[@^]%#.*%[@^]%#")
_PROMPT_LINE = re.compile(r"^(?:<[^<>]+>|\[[~*][^\]]*\])\s*$")


@dataclass
class Interface:
    """One line of ``display ip interface brief``."""

    name: str
    address: str        # 10.23.15.11/24 or unassigned
    physical: str       # up, down, *down (administratively down)
    protocol: str       # up, up(s), down

    @property
    def up(self) -> bool:
        return self.physical == "up" and self.protocol.startswith("up")

    @property
    def ip(self) -> str | None:
        return self.address.split("/")[0] if "/" in self.address else None

    def describe(self) -> str:
        physical = "administratively down" if self.physical == "*down" else self.physical
        return f"{self.name} ({self.address}) is {physical}, line protocol is {self.protocol}"


class VrpDriver(Driver):
    """A Huawei VRPv8 router through netmiko ``huawei_vrpv8``; see the module docstring."""

    platform = "huawei_vrp"
    device_class = "router"

    def __init__(self, host, params):
        super().__init__(host, params)
        self._conn = None
        self._keys: HostKeys | None = None
        self._opens: dict[tuple[str, str], bool] = {}   # (user, password) -> the password opens the account
        self._pending = False            # committed with a trial, not yet confirmed
        self._committed = False          # a commit in this session
        self._rolling_back = False       # a rollback under way (a lost session does it again)
        self._uploaded = False           # the candidate file is on cfcard:
        self._before: str | None = None  # the running configuration read by backup()
        self._restore_point: str | None = None   # where a lost session's change goes back to
        self._rollback_id: int | None = None     # the last rollback point before our commit
        self._trial_id: int | None = None        # the rollback point of our trial

    # -- session ---------------------------------------------------------------------------
    def open(self) -> None:
        if self._conn is not None:
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
        try:
            conn = ConnectHandler(
                device_type="huawei_vrpv8", host=self.params.address, port=self._port,
                username=self.params.username, password=self.params.password, sock=sock,
                ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=keys.path,
                allow_agent=False, use_keys=False, conn_timeout=self.params.timeout,
                auth_timeout=self.params.timeout, banner_timeout=self.params.timeout)
        except Exception as exc:
            sock.close()
            keys.remove()
            raise self._login_error(exc) from exc
        conn.channel = _ClosedAwareChannel(conn.remote_conn, conn.encoding)
        self._conn = conn
        self._keys = keys

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        keys, self._keys = self._keys, None
        try:
            if self._uploaded:
                with contextlib.suppress(Exception):
                    self._to_user_view(conn)
                    self._delete_candidate_file(conn)
            conn.disconnect()
        except Exception:
            with contextlib.suppress(Exception):
                conn.remote_conn_pre.close()
        finally:
            if keys is not None:
                keys.remove()

    # -- reading ---------------------------------------------------------------------------
    def get_facts(self) -> dict:
        """hostname (the prompt), vendor, model and ``uptime`` (seconds) from ``display
        version``, ``os_version`` as the baselines write it (``V800R022C10SPC500``), ``serial``
        from ``display esn``."""
        with self._session("reading facts") as conn:
            version = self._send(conn, "display version")
            esn = self._send(conn, "display esn")
            prompt = conn.find_prompt()
        facts = parse_display_version(version)
        serial = re.search(r"ESN of (?:slot|device|chassis) \S+:\s*(\S+)", esn)
        facts.update(hostname=prompt.strip("<>[]~*"), serial=serial.group(1) if serial else "Unknown")
        return facts

    def get_config(self) -> str:
        """The running configuration from its first ``#`` (the ``!`` lines before it say when it
        changed and was saved) to ``return``."""
        with self._session("reading the running configuration") as conn:
            text = self._send(conn, "display current-configuration", read_timeout=max(30.0, self.params.timeout))
        lines = text.replace("\r\n", "\n").split("\n")
        start = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("!")), len(lines))
        end = next((i for i in range(len(lines) - 1, start - 1, -1) if lines[i].strip() == "return"), len(lines) - 1)
        body = [line.rstrip() for line in lines[start:end + 1]]
        if not body or body[-1] != "return":
            raise DriverError(self.host, "display current-configuration did not end with 'return': "
                                         f"{self._redact(text.strip()[-200:])}")
        return "\n".join(body) + "\n"

    # -- maintenance checks ----------------------------------------------------------------
    def ask(self, query: dict) -> object:
        """``{"display": "display …"}``: the command's text as the router prints it (a
        ``display`` command alone or with ``| include|exclude|begin|no-more``); ``{"ping":
        {"target": "<IPv4>", "repeat": N, "timeout": S}}`` (repeat 1 to 100, default 5; timeout
        1 to 10 s, default 2): :func:`parse_ping` of ``ping -c N -t MS``.  Anything else is a
        :class:`ConfigError` before anything is sent; a command the router refuses
        (``Error: …``) a :class:`DriverError`."""
        if not isinstance(query, dict) or len(query) != 1:
            raise ConfigError(self.host, f"a query is one of display, ping: {query!r}")
        (kind, value), = query.items()
        if kind == "display":
            command = display_command(self.host, value)
            with self._session(f"asking {command!r}") as conn:
                text = self._send(conn, command, read_timeout=max(10.0, self.params.timeout))
            error = first_error(text)
            if error:
                raise DriverError(self.host, f"the router rejected {command!r}: {error}")
            return text
        if kind == "ping":
            target, repeat, timeout = ping_query(self.host, value)
            command = f"ping -c {repeat} -t {timeout * 1000} {target}"
            wait = repeat * timeout + max(10.0, self.params.timeout)
            with self._session(f"pinging {target}") as conn:
                text = self._send(conn, command, read_timeout=wait)
            result = parse_ping(text)
            if result is None:
                raise DriverError(self.host, f"{command}: no result in the router's answer: {text.strip()[-200:]}")
            return result
        raise ConfigError(self.host, f"unknown query {kind!r}: the router answers display, ping")

    # -- changing --------------------------------------------------------------------------
    def load_candidate(self, intended: str) -> None:
        """Stage ``intended`` (nothing is sent before :meth:`compare` or :meth:`commit`)."""
        if not intended.strip():
            raise ConfigError(self.host, "the intended configuration is empty")
        self.candidate = intended
        self._before = None

    def compare(self) -> str:
        """A unified diff of the running configuration (``---``) against the candidate
        (``+++``), ``#`` and ``!`` lines left out, secrets redacted; "" when they are the same."""
        if self.candidate is None:
            return ""
        running = self.get_config()
        _, shown, _ = self._effective(running)
        diff = list(difflib.unified_diff(config_lines(running), config_lines(shown), "running", "candidate",
                                         lineterm="", n=2))
        return self._redact("\n".join(diff)) + "\n" if diff else ""

    def backup(self) -> str:
        self._before = self.get_config()
        return self._before

    def commit(self, confirm_timeout: int | None = None) -> None:
        if self.candidate is None:
            raise DriverError(self.host, "nothing to commit: load a candidate first")
        running = self.get_config()
        self._restore_point = self._before if self._before is not None else running
        file_text, _, to_set = self._effective(running)
        trial = None
        if confirm_timeout is not None:
            trial = min(TRIAL_MAX_SECONDS, max(TRIAL_MIN_SECONDS, int(confirm_timeout)))
        with self._session("reading the rollback points") as conn:
            self._rollback_id = latest_commit_id(self._send(conn, "display configuration commit list"))
        self._upload(file_text)
        with self._or_restore(), self._session("committing") as conn:
            self._send(conn, "system-view", expect=SYSTEM_PROMPT)
            loaded = self._send(conn, f"load configuration file {CANDIDATE_FILE} replace", expect=SYSTEM_PROMPT,
                                read_timeout=max(60.0, self.params.timeout))
            if first_error(loaded):
                self._abandon(conn)
                self._restore_point = None
                raise ConfigError(self.host, "the router refused the candidate; nothing changed:\n"
                                  + self._redact(error_lines(loaded)))
            for user, password in to_set.items():
                self._type_password(conn, user, password)
            done = self._send(conn, f"commit trial {trial}" if trial else "commit", expect=SYSTEM_PROMPT,
                              read_timeout=max(60.0, self.params.timeout))
            if first_error(done):
                self._abandon(conn)
                detail = self._redact(error_lines(done))
                if self._same(self.get_config(), self._restore_point):
                    self._restore_point = None
                    raise ConfigError(self.host, f"the router refused the commit; nothing changed:\n{detail}")
                raise CommitError(self.host, f"the commit failed part-way:\n{detail}", restored=False)
            self._committed = True
            self._pending = trial is not None
            self._opens.clear()                 # what opens an account may have changed
            self._to_user_view(conn)
            if self._pending:
                self._trial_id = latest_commit_id(self._send(conn, "display configuration commit list"))
            else:
                self._save(conn)
        self._before = None
        if not self._pending:
            self._restore_point = None

    def _effective(self, running: str) -> tuple[str, str, dict[str, str]]:
        """The candidate as the file to load (no clear password in it), as the diff shows it,
        and the passwords to type (user -> password): see "Passwords" in the module docstring."""
        ciphers = {m.group("user"): m.group("value") for m in map(_PASSWORD_LINE.match, running.splitlines()) if m}
        to_set: dict[str, str] = {}
        file_lines: list[str] = []
        shown_lines: list[str] = []
        for line in self.candidate.replace("\r\n", "\n").split("\n"):
            found = _PASSWORD_LINE.match(line)
            if not found or is_cipher(found.group("value")):
                file_lines.append(line)
                shown_lines.append(line)
                continue
            indent, user, password = found.group("indent", "user", "value")
            current = ciphers.get(user)
            if current is not None and self._password_opens(user, password):
                kept = f"{indent}local-user {user} password irreversible-cipher {current}"
                file_lines.append(kept)
                shown_lines.append(kept)
                continue
            to_set[user] = password
            if current is not None:
                file_lines.append(f"{indent}local-user {user} password irreversible-cipher {current}")
            shown_lines.append(f"{indent}local-user {user} password irreversible-cipher (a new password)")
        text = "\n".join(file_lines)
        return (text if text.endswith("\n") else text + "\n"), "\n".join(shown_lines), to_set

    def _password_opens(self, user: str, password: str) -> bool:
        """Whether ``password`` opens the account ``user``: the login of this session says so
        for its own user and password; any other is asked with one SSH authentication (no
        session), against the same trusted host key."""
        if user == self.params.username and password == self.params.password and self._conn is not None:
            return True
        if (user, password) in self._opens:
            return self._opens[(user, password)]
        try:
            sock = self._connect_socket()
        except ConnectError:
            return False
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=self.params.timeout)
            key = transport.get_remote_server_key()
            known = paramiko.HostKeys(self._keys.path) if self._keys else paramiko.HostKeys()
            name = self.params.address if self._port == 22 else f"[{self.params.address}]:{self._port}"
            if not known.check(name, key):
                raise TrustError(self.host, "the SSH host key changed during the session: nothing was sent")
            transport.auth_password(user, password)
            opens = transport.is_authenticated()
        except paramiko.AuthenticationException:
            opens = False
        except (paramiko.SSHException, OSError, EOFError):
            return False            # cannot tell: the password is typed again (a change, never a loss)
        finally:
            transport.close()
        self._opens[(user, password)] = opens
        return opens

    def _type_password(self, conn, user: str, password: str) -> None:
        """``local-user U password`` in the ``aaa`` view, the password at both hidden prompts."""
        self._send(conn, "aaa", expect=SYSTEM_PROMPT)
        wait = max(10.0, self.params.timeout)
        out = conn.send_command(f"local-user {user} password", expect_string=_either("Enter Password:", _SYSTEM_PROMPT),
                                strip_prompt=False, read_timeout=wait)
        if "Enter Password:" in out:
            with _netmiko_quiet():
                out += conn.send_command(password, expect_string=_either("Confirm Password:", _SYSTEM_PROMPT),
                                         cmd_verify=False, strip_prompt=False, read_timeout=wait)
                if "Confirm Password:" in out:
                    out += conn.send_command(password, expect_string=SYSTEM_PROMPT, cmd_verify=False,
                                             strip_prompt=False, read_timeout=wait)
        self._send(conn, "quit", expect=SYSTEM_PROMPT)
        if first_error(out) or "Enter Password:" not in out:
            self._abandon(conn)
            raise ConfigError(self.host, f"the router refused the password of local user {user!r}; nothing "
                                         f"changed: {self._redact(error_lines(out), [password])}")

    def confirm(self) -> None:
        """End the trial with ``commit`` (the configuration stays), then ``save``.  A trial that
        ran out before (VRP made a rollback point after ours, and the configuration is the one
        before the commit again) is a :class:`CommitError` with ``restored`` True."""
        if not self._pending:
            return
        with self._or_restore(), self._session("confirming the commit") as conn:
            self._send(conn, "system-view", expect=SYSTEM_PROMPT)
            done = self._send(conn, "commit", expect=SYSTEM_PROMPT)
            self._to_user_view(conn)
            self._pending = False
            latest = latest_commit_id(self._send(conn, "display configuration commit list"))
            if latest != self._trial_id and self._same(self.get_config(), self._restore_point):
                self._restore_point = None
                raise CommitError(self.host, "nothing to confirm: the trial ran out before the confirmation and "
                                             "the router went back", restored=True)
            if first_error(done):
                raise CommitError(self.host, f"the confirmation failed: {self._redact(error_lines(done))}",
                                  restored=False)
            self._save(conn)
        self._restore_point = None

    def rollback(self) -> None:
        """Back to the configuration before the last commit: ``abort trial`` while the trial
        runs, ``rollback configuration to commit-id`` after a commit without one; then check the
        router is on the configuration of before, and save it."""
        if not self._committed and not self._pending:
            raise DriverError(self.host, "nothing to roll back: no commit in this session")
        self._rolling_back = True
        self._opens.clear()
        with self._or_restore(), self._session("rolling back") as conn:
            self._go_back(conn)
            running = self.get_config()
            if self._restore_point is not None and not self._same(running, self._restore_point):
                raise CommitError(self.host, "rolled back, but the running configuration differs from the one "
                                             "before the commit", restored=False)
            self._save(conn)
        self._rolling_back = False
        self._committed = False
        self._restore_point = None

    def _go_back(self, conn) -> None:
        if self._pending:
            self._abort_trial(conn)
            self._pending = False
            return
        if self._rollback_id is None:
            raise CommitError(self.host, "no rollback point before the commit to go back to", restored=False)
        out = self._answer(conn, f"rollback configuration to commit-id {self._rollback_id}")
        if first_error(out):
            raise CommitError(self.host, f"rollback refused: {self._redact(error_lines(out))}", restored=False)

    def _abort_trial(self, conn) -> str:
        self._send(conn, "system-view", expect=SYSTEM_PROMPT)
        out = self._answer(conn, "abort trial", expect=_SYSTEM_PROMPT)
        self._to_user_view(conn)
        return out

    @contextlib.contextmanager
    def _or_restore(self) -> Iterator[None]:
        """A session lost while changing the router is followed by a new one that puts it back
        on the configuration before the commit (:meth:`_recover`); the error says where the
        router is."""
        try:
            yield
        except ConnectError as lost:
            if self._restore_point is None:
                raise
            found = self._recover(self._restore_point)
            if found in ("restored", "intended"):
                self._restore_point = None
            raise CommitError(self.host, lost.message + RECOVERED[found], restored=found == "restored") from lost

    def _recover(self, before: str) -> str:
        """Log in again: abort a trial still running (what its timer would do), roll back again
        if a rollback was under way; then say where the router is: ``restored`` (on ``before``),
        ``intended`` (the change went through, confirmation included: saved now, or a later
        deploy, finding it in sync, would never save it), ``other``, or ``unknown`` (the new
        session failed too)."""
        with contextlib.suppress(Exception):
            self.close()
        self._opens.clear()
        try:
            self.open()
            with self._session("restoring after a lost connection") as conn:
                self._abort_trial(conn)         # ended now, or there was none (ran out, confirmed)
                self._pending = False
                running = self.get_config()
                if not self._same(running, before) and self._rolling_back and self._rollback_id is not None:
                    self._answer(conn, f"rollback configuration to commit-id {self._rollback_id}")
                    running = self.get_config()
                self._uploaded = True          # delete it on close, whatever the dead session did
                if self._same(running, before):
                    self._pending = self._committed = self._rolling_back = False
                    self._save(conn)
                    return "restored"
                if self.candidate is not None and not self._rolling_back:
                    file_text, _, to_set = self._effective(running)
                    if not to_set and self._same(running, file_text):
                        self._save(conn)
                        return "intended"
                return "other"
        except DriverError:
            return "unknown"

    # -- health ----------------------------------------------------------------------------
    def health(self) -> list[Check]:
        """Management reachable (the router answers, its management interface is up/up), the
        WAN interface up/up, and a ping to each of ``extra["ping_targets"]``."""
        try:
            with self._session("checking health") as conn:
                interfaces = parse_ip_interface_brief(self._send(conn, "display ip interface brief"))
                checks = [self._management_check(interfaces), self._wan_check(conn, interfaces)]
                checks += [self._ping_check(conn, target) for target in self._ping_targets()]
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
            interface = next((i for i in interfaces.values() if i.ip == address), None)
            if interface is None:
                if extra.get("management_address"):
                    return Check(name, False, f"the router answers, but no interface has {address}")
                return Check(name, True, f"the router answers (no interface holds {address}: "
                                         "reached through NAT or a tunnel)")
        return Check(name, interface.up, interface.describe())

    def _wan_check(self, conn, interfaces: dict[str, Interface]) -> Check:
        name = "WAN up"
        wanted = self.params.extra.get("wan_interface")
        if not wanted:
            wanted, why = default_route_interface(self._send(conn, "display ip routing-table"))
            if wanted is None:
                return Check(name, False, why)
        interface = interfaces.get(wanted)
        if interface is None:
            return Check(name, False, f"no interface {wanted}")
        return Check(name, interface.up, interface.describe())

    def _ping_targets(self) -> list[str]:
        targets = self.params.extra.get("ping_targets") or []
        return [targets] if isinstance(targets, str) else [str(t) for t in targets]

    def _ping_check(self, conn, target: str) -> Check:
        name = f"ping {target}"
        text = self._send(conn, f"ping -c 3 -t 2000 {target}", read_timeout=max(20.0, self.params.timeout))
        result = parse_ping(text)
        if result is None:
            return Check(name, False, first_error(text) or "no answer")
        return Check(name, result["received"] > 0, f"{result['received']}/{result['sent']} replies")

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _port(self) -> int:
        return self.params.port or 22

    def _connect_socket(self) -> socket.socket:
        """A TCP connection with TCP_NODELAY (SSH is many small writes)."""
        try:
            sock = socket.create_connection((self.params.address, self._port), timeout=self.params.timeout)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ConnectError(self.host, f"cannot connect to {self.params.address}:{self._port}: {reason}") from exc
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _send(self, conn, command: str, *, expect: str = PROMPT, read_timeout: float | None = None) -> str:
        """One command; its output without the echo and the prompt."""
        out = conn.send_command(command, expect_string=expect, strip_prompt=False, strip_command=True,
                                read_timeout=read_timeout or max(10.0, self.params.timeout))
        return _without_prompt(out)

    def _answer(self, conn, command: str, *, expect: str = _ANY_PROMPT) -> str:
        """A command that asks ``[Y/N]``: answered yes."""
        out = conn.send_command(command, expect_string=_either(_QUESTION, expect), strip_prompt=False,
                                strip_command=True, read_timeout=max(30.0, self.params.timeout))
        if re.search(_QUESTION, out):
            out += conn.send_command("y", expect_string=_either(expect), strip_prompt=False, strip_command=True,
                                     read_timeout=max(60.0, self.params.timeout))
        return _without_prompt(out)

    def _to_user_view(self, conn) -> None:
        """``return`` to the user view; uncommitted changes (there should be none) are dropped."""
        out = conn.send_command("return", expect_string=_either(_QUESTION, _ANY_PROMPT), strip_prompt=False,
                                read_timeout=max(10.0, self.params.timeout))
        if re.search(_QUESTION, out):
            conn.send_command("n", expect_string=PROMPT, strip_prompt=False,
                              read_timeout=max(10.0, self.params.timeout))

    def _abandon(self, conn) -> None:
        """Drop the session's uncommitted changes and leave the system view."""
        self._send(conn, "clear configuration candidate", expect=SYSTEM_PROMPT)
        self._to_user_view(conn)

    def _save(self, conn) -> None:
        out = self._answer(conn, "save")
        if first_error(out):
            raise DriverError(self.host, f"save refused: {self._redact(error_lines(out))}")

    def _upload(self, text: str) -> None:
        """The candidate file to ``cfcard:`` by SFTP, on the session's own SSH connection."""
        with self._session("copying the candidate to the router") as conn:
            try:
                sftp = conn.remote_conn_pre.open_sftp()
            except paramiko.SSHException as exc:
                raise ConnectError(self.host, f"no SFTP channel: {self._reason(exc)}") from exc
            try:
                sftp.putfo(io.BytesIO(text.encode("utf-8")), CANDIDATE_FILE)
            except OSError as exc:
                if not conn.remote_conn_pre.get_transport() or not conn.remote_conn_pre.get_transport().is_active():
                    raise ConnectError(self.host, f"connection lost while copying the candidate: "
                                                  f"{self._reason(exc)}") from exc
                raise DriverError(self.host, "the router refused the candidate file (is 'sftp server enable' in "
                                             f"its configuration?): {self._reason(exc)}") from exc
            finally:
                sftp.close()
        self._uploaded = True

    def _delete_candidate_file(self, conn) -> None:
        files = self._send(conn, "dir")
        if re.search(rf"\s{re.escape(CANDIDATE_FILE)}\s*$", files, re.M):
            self._answer(conn, f"delete /unreserved {CANDIDATE_FILE}")
        self._uploaded = False

    @staticmethod
    def _same(running: str, expected: str | None) -> bool:
        """Whether two configurations are the same, ``#``/``!`` lines aside (ciphers as they
        are: going back restores the very lines of before)."""
        return expected is not None and config_lines(running) == config_lines(expected)

    def _login_error(self, exc: BaseException) -> DriverError:
        """netmiko wraps paramiko's exceptions (a host key error becomes a timeout): look
        through the chain."""
        for cause in _chain(exc):
            if isinstance(cause, paramiko.BadHostKeyException):
                return TrustError(self.host, "the SSH host key does not match known_hosts: nothing was sent; "
                                             "check the router before trusting a new key")
            if isinstance(cause, paramiko.SSHException) and "not found in known_hosts" in str(cause):
                return TrustError(self.host, f"no host key for {self.params.address}:{self._port} in known_hosts: "
                                             "nothing was sent")
            if isinstance(cause, (paramiko.AuthenticationException, NetmikoAuthenticationException)):
                return AuthenticationError(self.host, f"login refused for user {self.params.username!r}")
        return ConnectError(self.host, f"SSH session failed: {self._reason(exc)}")

    @contextlib.contextmanager
    def _session(self, doing: str) -> Iterator:
        """The open netmiko session; every error that is not a driver error becomes one (a lost
        connection: :class:`ConnectError`)."""
        if self._conn is None:
            raise DriverError(self.host, f"{doing}: not connected (open() first)")
        try:
            yield self._conn
        except DriverError:
            raise
        except (OSError, EOFError, paramiko.SSHException, NetmikoTimeoutException) as exc:
            raise ConnectError(self.host, f"connection lost while {doing}: {self._reason(exc)}") from exc
        except ReadException as exc:
            raise ConnectError(self.host, f"no answer while {doing}: {self._reason(exc)}") from exc
        except Exception as exc:
            raise DriverError(self.host, f"{doing}: {self._reason(exc)}") from exc

    def _secrets(self) -> list[str]:
        extra = self.params.extra.get("secrets") or []
        clear = [m.group("value") for m in map(_PASSWORD_LINE.match, (self.candidate or "").splitlines())
                 if m and not is_cipher(m.group("value"))]
        return [self.params.password, self.params.secret, *([extra] if isinstance(extra, str) else extra), *clear]

    def _redact(self, text: object, more: list[str] | None = None) -> str:
        return redact(str(text), self._secrets() + (more or [])).strip()

    def _reason(self, exc: BaseException) -> str:
        cause = list(_chain(exc))[-1]
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        return self._redact(f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__)


class _ClosedAwareChannel(SSHChannel):
    """netmiko's SSH channel reader, which also notices a channel the router closed.

    netmiko 4.8 reads only when paramiko says data is ready, which paramiko never says of a
    closed channel: a session the router drops would be noticed only at the read timeout of the
    command (30 s or more).  This reader raises netmiko's own ``ReadException("Channel stream
    closed by remote device.")`` as soon as the channel is closed and empty."""

    def read_buffer(self) -> str:
        output = super().read_buffer()
        if not output and self.remote_conn is not None and self.remote_conn.closed:
            raise ReadException("Channel stream closed by remote device.")
        return output


@contextlib.contextmanager
def _netmiko_quiet() -> Iterator[None]:
    """netmiko logs what it writes at DEBUG: not while a password is typed."""
    logger = logging.getLogger("netmiko")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)


# =========================================================================================
# Reading VRP output
# =========================================================================================

#: what a lost session's error says, by what the new session found (:meth:`VrpDriver._recover`)
RECOVERED = {
    "restored": "; reconnected",
    "intended": "; reconnected: the change had gone through, confirmation included (the router runs the new "
                "configuration, saved now)",
    "other": "; reconnected, but the running configuration is neither the one before the commit nor the new one",
    "unknown": "; the router could not be checked again (a trial still running reverts by itself when its "
               "timer runs out)",
}


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _without_prompt(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and (not lines[-1].strip() or _PROMPT_LINE.match(lines[-1].strip())):
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


def is_cipher(value: str) -> bool:
    """Whether a password value is a cipher VRP wrote (``$1c$…$``, ``%^%#…%^%#``), not a clear one."""
    return bool(_CIPHER.fullmatch(value))


def config_lines(text: str) -> list[str]:
    """The configuration lines of a VRP configuration: no ``#`` or ``!`` lines, no blank lines,
    no trailing blanks."""
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")
            if line.strip() and not line.strip().startswith(("#", "!"))]


def first_error(text: str) -> str | None:
    """The first ``Error: …`` line of VRP output."""
    found = re.search(r"^\s*(Error:.*)$", text, re.M)
    return found.group(1).strip() if found else None


def error_lines(text: str) -> str:
    """The lines of VRP output from its first ``Error:`` on (a refused file names each line)."""
    lines = text.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("Error:")), 0)
    return "\n".join(line.rstrip() for line in lines[start:])


#: output filters that only read
DISPLAY_FILTERS = ("include", "exclude", "begin", "no-more")
PING_MAX_REPEAT = 100
PING_MAX_TIMEOUT = 10


def display_command(host: str, value: object) -> str:
    """A read-only ``display`` command from a query, or :class:`ConfigError`: one line, the
    word ``display`` spelled out, filters from :data:`DISPLAY_FILTERS` only."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(host, f"display: a command is a string, e.g. 'display ntp-service status': {value!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(host, f"display: one line, no control characters: {value!r}")
    command = " ".join(value.split())
    stages = [stage.strip() for stage in command.split("|")]
    if stages[0].split()[0].lower() != "display" or len(stages[0].split()) < 2:
        raise ConfigError(host, f"only display commands are asked, not {command!r}")
    for stage in stages[1:]:
        words = stage.split()
        if not words:
            raise ConfigError(host, f"{command!r}: an empty output filter")
        name = next((f for f in DISPLAY_FILTERS if f.startswith(words[0].lower())), None)
        if name is None or (name == "no-more") != (len(words) == 1):
            raise ConfigError(host, f"{command!r}: an output filter is include, exclude or begin with its "
                                    "expression, or no-more")
    return command


def ping_query(host: str, value: object) -> tuple[str, int, int]:
    """(target, repeat, timeout in seconds) of a ping query, or :class:`ConfigError`."""
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


_PING = re.compile(r"(\d+) packet\(s\) transmitted\s+(\d+) packet\(s\) received\s+[\d.]+% packet loss"
                   r"(?:\s+round-trip min/avg/max = (\d+)/(\d+)/(\d+) ms)?")


def parse_ping(text: str) -> dict | None:
    """VRP ``ping``: ``{"sent", "received", "loss_percent", "rtt_min_ms", "rtt_avg_ms",
    "rtt_max_ms" (None without a reply), "text"}``; None without the statistics (an error)."""
    found = _PING.search(text)
    if not found:
        return None
    sent, received = int(found.group(1)), int(found.group(2))
    rtt = [int(x) if x is not None else None for x in found.group(3, 4, 5)]
    return {"sent": sent, "received": received,
            "loss_percent": round(100.0 * (sent - received) / sent, 1) if sent else 100.0,
            "rtt_min_ms": rtt[0], "rtt_avg_ms": rtt[1], "rtt_max_ms": rtt[2], "text": text.strip("\n")}


_UNITS = {"year": 31536000, "week": 604800, "day": 86400, "hour": 3600, "minute": 60, "second": 1}


def parse_uptime(text: str) -> int:
    """``405 days, 12 hours, 9 minutes`` -> seconds."""
    return sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)\s+(year|week|day|hour|minute|second)s?", text))


def parse_display_version(text: str) -> dict:
    """The facts of ``display version``: ``os_version`` from ``VRP (R) software, Version 8.221
    (NetEngine 8000 V800R022C10SPC500)``, model and ``uptime`` (seconds) from ``HUAWEI
    NetEngine 8000 M1C uptime is …``."""
    version = re.search(r"VRP \(R\) software, Version \S+ \((?:.*\s)?(V\d{3}R\d{3}C\d{2}\S*?)\)", text)
    up = re.search(r"^(?:HUAWEI|Huawei) (.+?) uptime is (.+)$", text, re.M)
    return {"vendor": "Huawei", "model": up.group(1).strip() if up else "Unknown",
            "os_version": version.group(1) if version else "Unknown",
            "uptime": parse_uptime(up.group(2)) if up else -1}


def parse_ip_interface_brief(text: str) -> dict[str, Interface]:
    """``display ip interface brief``: interface name -> :class:`Interface`."""
    interfaces = {}
    for line in text.splitlines():
        found = re.match(r"^(\S+)\s+(unassigned|\d[\d.]*/\d+)\s+(\*?\^?down|up\S*)\s+(\S+)", line)
        if found:
            interfaces[found.group(1)] = Interface(*found.groups())
    return interfaces


def default_route_interface(text: str) -> tuple[str | None, str]:
    """``display ip routing-table``: the interface the default route leaves through."""
    found = re.search(r"^\s*0\.0\.0\.0/0\s+\S+\s+\d+\s+\d+\s+\S+\s+\S+\s+(\S+)\s*$", text, re.M)
    if not found:
        return None, "no default route in the routing table"
    return found.group(1), ""


def latest_commit_id(text: str) -> int | None:
    """The newest rollback point of ``display configuration commit list``."""
    found = re.search(r"^\s*\d+\s+(\d{10})\s", text, re.M)
    return int(found.group(1)) if found else None
