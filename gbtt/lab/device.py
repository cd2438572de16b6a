"""What every simulated device of the embedded lab is, whatever its platform.

The lab (``gbtt lab up``) runs one asyncio process; for each inventory host it creates one
:class:`Device` of the host's platform (``gbtt/lab/cisco_ce.py``, ``cisco_ios.py``,
``cisco_cms.py``) and serves it on its own 127.0.0.1 port.  The transports (SSH with an
ed25519 host key, HTTPS with a certificate of the lab CA), login, the request log and the
transport faults (dropped connections, latency, refused logins, changed host keys, wrong
certificates) live in the lab core; a device module only answers, so it can be tested
without sockets:

* an SSH device returns a :class:`Shell` per interactive session (what netmiko and NAPALM
  use: a PTY, prompts, echo) and answers ``exec`` requests;
* an HTTPS device answers :class:`HttpRequest` with :class:`HttpResponse`.

A device keeps everything that survives ``gbtt lab down``/``up`` in ``self.state``, a
JSON-serialisable dict (running and startup configuration, files, settings).
``factory_state`` is the state after ``gbtt lab reset``.  Time-based behaviour (a
configuration-replace revert timer, a call's duration) goes through ``self.lab``, so that
tests can run the clock fast and the ``expire`` fault can fire timers at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Protocol


#: fault kinds the core applies; the rest go to the device
TRANSPORT_FAULTS = {"drop": "drop the connection after N lines or requests",
                    "latency": "add SECONDS before every answer",
                    "refuse_login": "refuse every login",
                    "hostkey": "serve a new SSH host key (clients must refuse it)",
                    "badcert": "serve a certificate from an untrusted CA; with DAYS: from the lab CA, DAYS of validity left (negative: expired)"}
DEVICE_FAULTS = {"reboot": "reboot: unsaved configuration is lost, a pending commit-confirm reverts",
                 "drift": "change a setting out of band: ARGS are platform specific",
                 "expire": "fire pending timers now (a commit-confirm revert)"}


class CallRefused(Exception):
    """A lab device turns a call offered to it down: ``reason`` is what the caller's leg shows
    (``unknownDestination``, ``callRejected``, ``incompatibleDestination``), ``detail`` what the
    lab log says."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason} ({detail})")
        self.reason = reason
        self.detail = detail


class Timer(Protocol):
    def cancel(self) -> None: ...


class Lab(Protocol):
    """What the lab core offers a device."""

    #: lab seconds per device minute: 60.0 is real time; tests use e.g. 0.05 (a 1-minute timer
    #: fires after 50 ms).  Commands that take minutes (IOS ``revert timer 1``) multiply by it.
    seconds_per_minute: float

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``seconds`` of lab time (on the lab's event loop)."""

    def device(self, host: str) -> "Device | None":
        """Another device of the lab, by inventory host name."""

    def device_by_address(self, address: str) -> "Device | None":
        """Another device by the management address the registry gives it (``10.23.1.131``)
        or by its host name: how an MCU reaches the codec it dials."""

    def log(self, host: str, event: str, detail: str) -> None:
        """Append to the lab's request log (never a password)."""


@dataclass
class Facts:
    """What the registry says about the device: fixed for the life of the lab."""

    host: str                    # inventory host name, e.g. dong-van-lung-cu-codec
    platform: str                # cisco_ce, cisco_ios, cisco_cms
    device_class: str            # codec, router, mcu
    address: str                 # the registry's management address (not the lab's 127.0.0.1)
    model: str | None = None
    name: str | None = None      # the endpoint's (or system's) Vietnamese name
    software: str | None = None  # the province's software baseline for the platform
    serial: str = ""             # deterministic, derived from the host name
    extra: dict = field(default_factory=dict)  # platform specifics (e.g. the endpoints an MCU serves)


class Device:
    """Base class of the simulated devices."""

    platform: ClassVar[str] = ""
    protocol: ClassVar[str] = "ssh"      # "ssh" or "https"
    #: HTTPS devices: "basic" (the core checks HTTP basic auth on every request) or "device"
    #: (the device logs its clients in itself, e.g. a session login, with ``HttpRequest.login``)
    http_login: ClassVar[str] = "basic"
    #: an MCU that takes cascade calls from another lab MCU (:meth:`incoming_cascade`)
    cascades: ClassVar[bool] = False

    def __init__(self, facts: Facts, lab: Lab, state: dict | None = None):
        self.facts = facts
        self.lab = lab
        self._state: dict | None = state
        self.booted_at = time.monotonic()
        #: named timers of the device (:meth:`_schedule`): name -> (lab timer, what it runs)
        self._timers: dict[str, tuple[Timer, Callable[[], None]]] = getattr(self, "_timers", {})

    @property
    def state(self) -> dict:
        """Everything that survives ``gbtt lab down``/``up``; the factory state is made on first
        use (a lab of thousands of devices starts without building each one's configuration)."""
        if self._state is None:
            self._state = self.factory_state(self.facts)
        return self._state

    @state.setter
    def state(self, value: dict) -> None:
        self._state = value

    @property
    def state_loaded(self) -> bool:
        return self._state is not None

    def factory_reset(self) -> None:
        """``gbtt lab reset``: back to the factory state (made again on first use), rebooted."""
        self._state = None
        self.reboot()

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def factory_state(cls, facts: Facts) -> dict:
        """The state after ``gbtt lab reset``: JSON-serialisable."""
        return {}

    def uptime(self) -> float:
        """Seconds since (simulated) boot."""
        return time.monotonic() - self.booted_at

    def reboot(self) -> None:
        """Fault ``reboot``: what is not saved is lost, pending timers are dropped (a pending
        commit-confirm reverts, because the saved configuration is what boots)."""
        self.booted_at = time.monotonic()

    def drift(self, args: list[str]) -> str:
        """Fault ``drift``: change a setting out of band, as a person at the device would.
        ``args`` are platform specific; returns a one-line description of the change."""
        raise NotImplementedError(f"{self.platform}: drift is not supported")

    def expire_timers(self) -> list[str]:
        """Fault ``expire``: fire every pending timer now (e.g. let a commit-confirm revert).
        Returns what fired (by default: the named timers of :meth:`_schedule`)."""
        fired = []
        for name in list(self._timers):
            timer, callback = self._timers.pop(name)
            timer.cancel()
            callback()
            fired.append(name)
        return fired

    def _schedule(self, name: str, seconds: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``seconds`` of lab time, as the timer ``name`` (one that was
        pending under that name is cancelled first)."""
        self._cancel(name)

        def fire() -> None:
            self._timers.pop(name, None)
            callback()

        self._timers[name] = (self.lab.call_later(seconds, fire), fire)

    def _cancel(self, name: str) -> None:
        """Cancel the timer ``name`` if it is pending."""
        entry = self._timers.pop(name, None)
        if entry is not None:
            entry[0].cancel()

    def resolve(self, uri: str) -> "Device | None":
        """The other lab device a call to ``uri`` reaches: ``sip:user@host:port;params``,
        ``h323:…``, ``user@host``, an address or a host name; the host part first, then the
        user part."""
        address = uri.strip()
        scheme, sep, rest = address.partition(":")
        if sep and scheme.lower() in ("sip", "sips", "h323", "tel"):
            address = rest
        address = address.split(";", 1)[0]
        user, at, domain = address.rpartition("@")
        for candidate in ((domain, user) if at else (address,)):
            host, colon, port = candidate.rpartition(":")
            if colon and port.isdigit() and ":" not in host:  # host:port, not an IPv6 address
                candidate = host
            device = self.lab.device_by_address(candidate) if candidate else None
            if device is not None and device is not self:
                return device
        return None

    # -- calls between lab MCUs (the lab's SIP between MCUs) -----------------------------
    def incoming_cascade(self, user: str, domain: str, caller_uri: str, caller: "Device", caller_leg: str,
                         bandwidth: int) -> str:
        """Another lab MCU (``caller``, its leg ``caller_leg``) calls ``user@domain`` here at
        ``bandwidth`` bit/s: join the call to the meeting space the dialled address resolves to
        and return the new leg's id, or raise :class:`CallRefused`.  Only devices with
        ``cascades`` set are offered cascade calls."""
        raise CallRefused("incompatibleDestination", f"{self.facts.host} takes no cascade calls")

    def peer_hung_up(self, leg: str, host: str) -> None:
        """The MCU ``host`` ended its end of the cascade leg ``leg`` (an id this device returned
        from :meth:`incoming_cascade`, or one of its own outgoing legs)."""

    # -- SSH devices --------------------------------------------------------------------
    def shell(self, username: str) -> "Shell":
        raise NotImplementedError

    def exec(self, username: str, command: str) -> tuple[str, int]:
        """An SSH ``exec`` request: output and exit status."""
        shell = self.shell(username)
        return shell.feed(command), 0

    def read_file(self, name: str) -> bytes | None:
        """A file on the device's file system (SCP source), or None."""
        return None

    def write_file(self, name: str, data: bytes) -> None:
        """SCP sink: store a file on the device's file system."""
        raise PermissionError(f"{self.platform}: no writable file system")

    def list_files(self) -> dict[str, int]:
        """File name -> size, for SCP and directory listings."""
        return {}

    # -- HTTPS devices ------------------------------------------------------------------
    async def handle(self, request: "HttpRequest") -> "HttpResponse":
        raise NotImplementedError


class Shell:
    """One interactive SSH session (a PTY): the core echoes what the client types, sends
    ``greeting()`` once, then for every line received sends ``feed(line)`` followed by
    ``prompt()``.  Lines are given without their line ending; output uses "\\n" (the core
    sends "\\r\\n").  ``closed`` set by ``feed`` (``exit``, ``logout``, ``bye``) ends the
    session after the output is sent."""

    closed: bool = False

    def greeting(self) -> str:
        return ""

    def prompt(self) -> str:
        return ""

    def feed(self, line: str) -> str:
        raise NotImplementedError


@dataclass
class HttpRequest:
    method: str                  # GET, POST, PUT, PATCH, DELETE
    path: str                    # /api/v1/coSpaces/<id> (no query string)
    query: dict[str, str]        # parsed query string
    form: dict[str, str]         # parsed application/x-www-form-urlencoded body
    username: str                # the authenticated user (basic auth, checked by the core); "" with http_login "device"
    body: bytes = b""            # the raw body (JSON APIs)
    headers: dict[str, str] = field(default_factory=dict)   # request headers (Cookie, Content-Type, …)
    #: http_login "device": does (username, password) log in here?  The lab's login for the
    #: device's class, and the ``refuse_login`` fault; each call is logged (never the password)
    login: Callable[[str, str], bool] | None = None


@dataclass
class HttpResponse:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/xml; charset=utf-8"
