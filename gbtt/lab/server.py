"""The lab process: one asyncio loop serving every simulated device on its own loopback port.

Started by ``gbtt lab up`` (``python -m gbtt.lab.server SOURCE``), it

* loads the lab inventory source with the same loader as everything else, makes one
  :class:`~gbtt.lab.device.Device` per host (``--limit``: a subset), and serves SSH devices
  with asyncssh (password login, an ed25519 host key per device, PTY line editing and echo,
  exec requests, SCP into the device's file system) and HTTPS devices with aiohttp (a
  certificate of the lab CA, basic auth);
* writes ``known_hosts`` and ``ca.pem`` for the clients, then ``lab.json`` with
  ``"status": "ready"`` once every device listens;
* applies faults (transport faults here, device faults through the device) and answers the
  control socket used by ``gbtt lab status|down|reset|fault``;
* appends every login, command and request to ``requests.log`` (JSON lines; passwords never);
* saves each device's state under ``devices/`` when it stops, and loads it when it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

import asyncssh
from aiohttp import web

from gbtt import registry as gbtt_registry
from gbtt.lab import pki
from gbtt.lab.device import DEVICE_FAULTS, TRANSPORT_FAULTS, Device, Facts, HttpRequest, HttpResponse
from gbtt.lab.settings import LabSettings, settings_for

PLATFORMS = {
    "cisco_ce": "gbtt.lab.cisco_ce:CeCodec",
    "cisco_ios": "gbtt.lab.cisco_ios:IosRouter",
    "cisco_cms": "gbtt.lab.cisco_cms:CmsMcu",
    "huawei_vrp": "gbtt.lab.huawei_vrp:VrpRouter",
    "pexip_infinity": "gbtt.lab.pexip_infinity:PexipMcu",
    "poly_group": "gbtt.lab.poly_group:PolyCodec",
}

def device_class(platform: str) -> type[Device]:
    module, _, name = PLATFORMS[platform].partition(":")
    return getattr(import_module(module), name)


def _credentials(source_dir: Path) -> dict[str, dict[str, str]]:
    """Lab logins per device class, from the lab inventory's group_vars (lab-only values)."""
    import yaml
    values: dict[str, Any] = {}
    for path in sorted((source_dir / "group_vars" / "all").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def value(name: str) -> str:
        v = values.get(name)
        for _ in range(3):  # follow "{{ other_var }}" indirections
            if isinstance(v, str) and v.startswith("{{") and v.endswith("}}"):
                v = values.get(v[2:-2].strip())
        if not isinstance(v, str) or not v:
            raise SystemExit(f"{source_dir}/group_vars/all: {name} is not set (the lab needs its lab-only credentials)")
        return v

    return {
        "codec": {"username": value("gbtt_codec_username"), "password": value("gbtt_codec_password")},
        "router": {"username": value("gbtt_router_username"), "password": value("gbtt_router_password"),
                   "enable_secret": value("gbtt_router_enable_secret")},
        "mcu": {"username": value("gbtt_mcu_username"), "password": value("gbtt_mcu_password")},
    }


@dataclass
class _Timer:
    handle: asyncio.TimerHandle
    callback: Callable[[], None]
    pending: bool = True

    def cancel(self) -> None:
        self.pending = False
        self.handle.cancel()


@dataclass
class Served:
    device: Device
    port: int
    login: dict
    faults: dict = field(default_factory=dict)
    listener: Any = None
    connections: set = field(default_factory=set)
    requests: int = 0          # HTTPS requests since the drop fault was set

    def drop_sessions(self) -> None:
        for conn in list(self.connections):
            _abort(conn)
        self.connections.clear()


class LabCore:
    """The running lab; implements :class:`gbtt.lab.device.Lab` for the devices."""

    def __init__(self, labs: list[tuple[gbtt_registry.Source, LabSettings]], limit: str | None = None,
                 seconds_per_minute: float = 60.0):
        """``labs``: one or more lab inventory sources with their settings (one state folder for
        all; each source's hosts on its own ports, as the inventory plugin gives them)."""
        folders = {settings.state_dir for _, settings in labs}
        if len(folders) != 1:
            raise SystemExit("the lab sources must share one state folder (set $GBTT_LAB_DIR)")
        self.labs = labs
        self.settings = labs[0][1]
        self.limit = limit
        self.seconds_per_minute = seconds_per_minute
        self.served: dict[str, Served] = {}
        self.by_address: dict[str, str] = {}
        self._log_fh = None
        self._stopping = asyncio.Event()
        self._flusher: asyncio.Task | None = None

    # -- the Lab protocol ---------------------------------------------------------------
    def call_later(self, seconds: float, callback: Callable[[], None]) -> _Timer:
        loop = asyncio.get_running_loop()
        holder: list[_Timer] = []

        def fire() -> None:
            holder[0].pending = False
            callback()

        timer = _Timer(loop.call_later(max(0.0, seconds), fire), callback)
        holder.append(timer)
        return timer

    def device(self, host: str) -> Device | None:
        s = self.served.get(host)
        return s.device if s else None

    def device_by_address(self, address: str) -> Device | None:
        host = address if address in self.served else self.by_address.get(address)
        return self.device(host) if host else None

    def log(self, host: str, event: str, detail: str) -> None:
        if self._log_fh is None:
            return
        self._log_fh.write(json.dumps({"t": round(time.time(), 3), "host": host, "event": event,
                                       "detail": detail}, ensure_ascii=False) + "\n")

    # -- start and stop -----------------------------------------------------------------
    def _load_devices(self) -> None:
        for source, settings in self.labs:
            self._load_source(source, settings)
        if not self.served:
            raise SystemExit(f"--limit {self.limit!r} matches no device")

    def _load_source(self, source: gbtt_registry.Source, settings: LabSettings) -> None:
        result = gbtt_registry.load(source)
        if not result.ok:
            raise SystemExit(f"{source.config}: invalid registry:\n{result.report.format_text(limit=None)}")
        reg = result.registry
        logins = _credentials(source.config.parent)
        devices = list(reg.devices())
        ports = settings.ports([d.host for d in devices])
        chosen = _limit([d.host for d in devices], self.limit, reg)
        baselines = reg.province.software_baselines if reg.province else {}
        names: dict[str, str] = {}
        for ep in reg.endpoints.values():
            names[ep.codec.host] = names[ep.router.host] = ep.name
        for s in reg.systems.values():
            names[s.mcu.host] = s.name
        taken = {s.port: host for host, s in self.served.items()}
        for dev in devices:
            if dev.host not in chosen:
                continue
            if dev.host in self.served or ports[dev.host] in taken:
                raise SystemExit(f"{source.config}: {dev.host} (port {ports[dev.host]}) is already served by another "
                                 "source: give each lab source its own lab.base_port range")
            self.by_address[dev.address] = dev.host
            login = logins[dev.device_class]
            extra: dict = {}
            if dev.device_class == "router":
                extra["enable_secret"] = login["enable_secret"]
            if dev.device_class == "codec":  # the codec lists its lab login among its users
                extra.update(username=login["username"], password=login["password"])
            facts = Facts(host=dev.host, platform=dev.platform, device_class=dev.device_class, address=dev.address,
                          model=dev.model, name=names.get(dev.host), software=baselines.get(dev.platform),
                          serial=_serial(dev.host), extra=extra)
            state = self._read_state(dev.host)
            self.served[dev.host] = Served(device_class(dev.platform)(facts, self, state), ports[dev.host], login)

    def _state_file(self, host: str) -> Path:
        return self.settings.state_dir / "devices" / f"{host}.json"

    def _read_state(self, host: str) -> dict | None:
        try:
            return json.loads(self._state_file(host).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_states(self) -> None:
        folder = self.settings.state_dir / "devices"
        folder.mkdir(parents=True, exist_ok=True)
        for host, s in self.served.items():
            if not s.device.state_loaded:
                continue  # never used since it started in factory state: nothing to save
            tmp = folder / f".{host}.tmp"
            tmp.write_text(json.dumps(s.device.state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self._state_file(host))

    async def start(self) -> None:
        sd = self.settings.state_dir
        sd.mkdir(parents=True, exist_ok=True)
        self._log_fh = open(self.settings.request_log, "a", encoding="utf-8", buffering=1 << 16)
        self._load_devices()
        ssh_keys: dict[int, asyncssh.SSHKey] = {}
        for host, s in self.served.items():
            if s.device.protocol == "ssh":
                ssh_keys[s.port] = pki.host_key(sd, host)
        pki.lab_ca(sd)
        pki.write_known_hosts(sd, ssh_keys, self.settings.address)
        await asyncio.gather(*(self._listen(host) for host in self.served))
        await self._control_server()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_log())
        self._write_info("ready")

    async def _flush_log(self) -> None:
        while self._log_fh is not None:
            self._log_fh.flush()
            await asyncio.sleep(0.2)

    async def _listen(self, host: str, *, hostkey: asyncssh.SSHKey | None = None, rogue: bool = False,
                      cert_days: float | None = None) -> None:
        s = self.served[host]
        sd = self.settings.state_dir
        if s.device.protocol == "ssh":
            key = hostkey or pki.host_key(sd, host)
            s.listener = await asyncssh.create_server(
                lambda: _SSHServer(self, host), self.settings.address, s.port, server_host_keys=[key],
                process_factory=lambda p: _ssh_session(self, host, p), allow_scp=True,
                sftp_factory=lambda chan: _FlashFS(self, host, chan), line_editor=False, reuse_address=True)
        else:
            cert, key = (pki.device_cert(sd, host, self.settings.address, rogue=rogue) if cert_days is None
                         else pki.reissued_cert(sd, host, self.settings.address, cert_days))
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(cert), str(key))
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", lambda request: _http(self, host, request))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, self.settings.address, s.port, ssl_context=ctx, reuse_address=True)
            await site.start()
            s.listener = runner

    async def _relisten(self, host: str, **how: Any) -> None:
        await self._close_listener(host)
        await self._listen(host, **how)

    async def _close_listener(self, host: str) -> None:
        s = self.served[host]
        s.drop_sessions()
        if isinstance(s.listener, web.AppRunner):
            await s.listener.cleanup()
        elif s.listener is not None:
            s.listener.close()
            await s.listener.wait_closed()
        s.listener = None

    def _write_info(self, status: str, **more: Any) -> None:
        info = {"status": status, "pid": os.getpid(), "sources": [str(src.config) for src, _ in self.labs],
                "address": self.settings.address, "base_port": self.settings.base_port,
                "seconds_per_minute": self.seconds_per_minute, "limit": self.limit,
                "devices": len(self.served), "known_hosts": str(self.settings.known_hosts),
                "ca_bundle": str(self.settings.ca_bundle), **more}
        tmp = self.settings.info_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=1), encoding="utf-8")
        os.replace(tmp, self.settings.info_file)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        await self._stopping.wait()
        await self.stop()

    async def stop(self) -> None:
        for host in list(self.served):
            await self._close_listener(host)
        self.save_states()
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None
        self.settings.control_socket.unlink(missing_ok=True)
        self._write_info("stopped")

    # -- faults and control -------------------------------------------------------------
    async def fault(self, host: str, kind: str, args: list[str]) -> str:
        message = await self._fault(host, kind, args)
        self.log(host, "fault", f"{kind}{' ' + ' '.join(args) if args else ''}: {message}")
        return message

    async def _fault(self, host: str, kind: str, args: list[str]) -> str:
        s = self.served.get(host)
        if s is None:
            raise ValueError(f"no device {host!r} in this lab")
        if kind == "clear":
            had = sorted(s.faults)
            s.faults.clear()
            if "hostkey" in had or "badcert" in had:  # the device's own key and certificate again
                await self._relisten(host)
            return f"cleared: {', '.join(had) or 'nothing'}"
        if kind == "drop":
            s.faults["drop"] = int(args[0]) if args else 0
            return f"connections drop after {s.faults['drop']} lines or requests"
        if kind == "latency":
            s.faults["latency"] = float(args[0]) if args else 1.0
            return f"{s.faults['latency']} s latency"
        if kind == "refuse_login":
            s.faults["refuse_login"] = True
            return "logins refused"
        if kind == "hostkey":
            if s.device.protocol != "ssh":
                raise ValueError(f"{host} is not an SSH device")
            s.faults["hostkey"] = True
            await self._relisten(host, hostkey=asyncssh.generate_private_key("ssh-ed25519"))
            return "serving a new host key"
        if kind == "badcert":
            if s.device.protocol != "https":
                raise ValueError(f"{host} is not an HTTPS device")
            if args:    # badcert DAYS: a lab CA certificate with DAYS of validity left (negative: expired)
                try:
                    days = float(args[0])
                except ValueError:
                    days = float("nan")
                if not -36500 <= days <= 36500:
                    raise ValueError(f"badcert {args[0]!r}: give the days of validity left, -36500 to 36500 "
                                     "(negative: expired)")
                await self._relisten(host, cert_days=days)
                s.faults["badcert"] = days
                return (f"serving a lab CA certificate that expires in {days:g} days" if days > 0 else
                        f"serving a lab CA certificate that expired {-days:g} days ago")
            s.faults["badcert"] = True
            await self._relisten(host, rogue=True)
            return "serving a certificate of an untrusted CA"
        if kind == "reboot":
            s.drop_sessions()
            s.device.reboot()
            return "rebooted"
        if kind == "drift":
            return s.device.drift(args)
        if kind == "expire":
            fired = s.device.expire_timers()
            return "fired: " + (", ".join(fired) or "no pending timer")
        raise ValueError(f"unknown fault {kind!r}; faults: {', '.join([*TRANSPORT_FAULTS, *DEVICE_FAULTS, 'clear'])}")

    def status(self) -> dict:
        return {"status": "ready", "pid": os.getpid(), "devices": {
            host: {"platform": s.device.platform, "port": s.port, "faults": s.faults,
                   "connections": len(s.connections)} for host, s in self.served.items()}}

    async def reset(self) -> str:
        for host, s in self.served.items():
            s.drop_sessions()
            s.device.factory_reset()
            self._state_file(host).unlink(missing_ok=True)
        return f"{len(self.served)} devices back to factory state"

    async def _control_server(self) -> None:
        path = self.settings.control_socket
        path.unlink(missing_ok=True)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                request = json.loads(await reader.readline())
                op = request.get("op")
                if op == "status":
                    reply = {"ok": True, **self.status()}
                elif op == "down":
                    reply = {"ok": True, "message": "stopping"}
                    self._stopping.set()
                elif op == "reset":
                    reply = {"ok": True, "message": await self.reset()}
                elif op == "fault":
                    reply = {"ok": True, "message": await self.fault(request["host"], request["kind"],
                                                                      request.get("args", []))}
                else:
                    reply = {"ok": False, "error": f"unknown operation {op!r}"}
            except (ValueError, KeyError, NotImplementedError) as exc:
                reply = {"ok": False, "error": str(exc)}
            writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
            writer.close()

        await asyncio.start_unix_server(handle, path=str(path))
        os.chmod(path, 0o600)


def _abort(conn: Any) -> None:
    try:
        conn.abort()
    except Exception:  # noqa: BLE001 - an already closed connection
        pass


def _serial(host: str) -> str:
    import hashlib
    return "FOC" + hashlib.sha256(host.encode()).hexdigest()[:8].upper()


def _limit(hosts: list[str], pattern: str | None, reg: Any) -> set[str]:
    """Ansible-like --limit: comma-separated host names, fnmatch patterns or system ids."""
    if not pattern:
        return set(hosts)
    import fnmatch
    chosen: set[str] = set()
    for part in pattern.split(","):
        part = part.strip()
        if part in reg.systems:
            s = reg.systems[part]
            chosen.add(s.mcu.host)
            for ep in reg.endpoints_of(part):
                chosen |= {ep.codec.host, ep.router.host}
        else:
            chosen |= set(fnmatch.filter(hosts, part))
    return chosen


# =========================================================================================
# SSH
# =========================================================================================

class _SSHServer(asyncssh.SSHServer):
    def __init__(self, core: LabCore, host: str):
        self.core, self.host = core, host
        self.conn: Any = None

    def connection_made(self, conn: Any) -> None:
        self.conn = conn
        self.core.served[self.host].connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.core.served[self.host].connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        """The lab login, or a user the device itself knows (a codec's ``UserManagement``
        users: ``check_login``)."""
        s = self.core.served[self.host]
        check_login = getattr(s.device, "check_login", None)
        ok = not s.faults.get("refuse_login") and (
            (username == s.login["username"] and password == s.login["password"])
            or (check_login is not None and check_login(username, password)))
        self.core.log(self.host, "login", f"{username}: {'accepted' if ok else 'refused'}")
        return ok


def _loggable(dev: Device, line: str) -> str:
    """A command line as the request log keeps it: a device with ``redact`` (the codec) hides
    the passphrases in it."""
    redact = getattr(dev, "redact", None)
    return redact(line) if redact is not None else line


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


async def _ssh_session(core: LabCore, host: str, process: asyncssh.SSHServerProcess) -> None:
    """One SSH channel: an exec request, or an interactive shell driven line by line.

    The terminal is the device's, as on a real one: a line is echoed when the device reads
    it (typeahead is not echoed ahead of the output of the lines before it), CR, LF and
    CR LF each end one line, output lines end with CR LF, and nothing is echoed while the
    shell says ``echo = False`` (a password prompt)."""
    s = core.served[host]
    dev = s.device
    user = process.get_extra_info("username")
    if process.command is not None:
        core.log(host, "exec", _loggable(dev, process.command))
        if s.faults.get("latency"):
            await asyncio.sleep(s.faults["latency"])
        out, status = dev.exec(user, process.command)
        process.stdout.write(_crlf(out))
        process.exit(status)
        return
    shell = dev.shell(user)
    write = process.stdout.write
    write(_crlf(shell.greeting() + shell.prompt()))
    lines = 0
    pending = ""          # received, not yet a whole line
    echoed = 0            # how much of ``pending`` was echoed already
    skip_lf = False       # the last line ended with CR: an LF right after it belongs to it
    try:
        while not shell.closed:
            try:
                chunk = await process.stdin.read(4096)
            except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, asyncssh.SignalReceived):
                continue
            if not chunk:
                break
            if skip_lf and chunk.startswith("\n"):
                chunk = chunk[1:]
            skip_lf = False
            pending += chunk
            while not shell.closed:
                cut = min((i for i in (pending.find("\r"), pending.find("\n")) if i >= 0), default=-1)
                if cut < 0:
                    break
                line, ending = pending[:cut], pending[cut]
                pending = pending[cut + 1:]
                if ending == "\r":
                    if pending.startswith("\n"):
                        pending = pending[1:]
                    elif not pending:
                        skip_lf = True
                if getattr(shell, "echo", True):
                    write(line[echoed:] + "\r\n")
                else:
                    write("\r\n")
                echoed = 0
                lines += 1
                drop = s.faults.get("drop")
                if drop is not None and lines > drop:
                    core.log(host, "fault", f"drop after {drop} lines")
                    _abort(process.channel.get_connection())
                    return
                if s.faults.get("latency"):
                    await asyncio.sleep(s.faults["latency"])
                core.log(host, "command", _loggable(dev, line) if getattr(shell, "echo", True) else "(hidden input)")
                out = shell.feed(line)
                if out and not out.endswith("\n"):
                    out += "\n"
                write(_crlf(out + ("" if shell.closed else shell.prompt())))
            if pending and getattr(shell, "echo", True) and echoed < len(pending):
                write(pending[echoed:])  # typed, not yet entered: echoed as it arrives
                echoed = len(pending)
    except (asyncssh.ConnectionLost, BrokenPipeError, ConnectionResetError):
        return
    process.exit(0)


class _FlashFS(asyncssh.SFTPServer):
    """The device's file system (``flash:``) for SCP: files live in the device state."""

    def __init__(self, core: LabCore, host: str, chan: Any):
        super().__init__(chan)
        self.core, self.host = core, host

    @property
    def dev(self) -> Device:
        return self.core.served[self.host].device

    @staticmethod
    def _name(path: bytes) -> str:
        name = path.decode("utf-8", "replace")
        for prefix in ("flash:", "bootflash:", "/"):
            if name.startswith(prefix):
                name = name[len(prefix):]
        return name.lstrip("/")

    def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        name = self._name(path)
        if name in ("", "."):
            return asyncssh.SFTPAttrs(type=asyncssh.FILEXFER_TYPE_DIRECTORY, permissions=0o40755)
        files = self.dev.list_files()
        if name not in files:
            raise asyncssh.SFTPNoSuchFile(f"{name}: no such file")
        return asyncssh.SFTPAttrs(type=asyncssh.FILEXFER_TYPE_REGULAR, size=files[name], permissions=0o100644)

    lstat = stat

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        pass

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> Any:
        name = self._name(path)
        if pflags & asyncssh.FXF_WRITE:
            return {"name": name, "data": bytearray(), "write": True}
        data = self.dev.read_file(name)
        if data is None:
            raise asyncssh.SFTPNoSuchFile(f"{name}: no such file")
        return {"name": name, "data": bytearray(data), "write": False}

    def read(self, file_obj: Any, offset: int, size: int) -> bytes:
        return bytes(file_obj["data"][offset:offset + size])

    def write(self, file_obj: Any, offset: int, data: bytes) -> int:
        buf = file_obj["data"]
        if len(buf) < offset:
            buf.extend(b"\0" * (offset - len(buf)))
        buf[offset:offset + len(data)] = data
        return len(data)

    def close(self, file_obj: Any) -> None:
        if file_obj["write"]:
            self.dev.write_file(file_obj["name"], bytes(file_obj["data"]))
            self.core.log(self.host, "scp", f"received {file_obj['name']} ({len(file_obj['data'])} bytes)")


# =========================================================================================
# HTTPS
# =========================================================================================

async def _http(core: LabCore, host: str, request: web.Request) -> web.StreamResponse:
    s = core.served[host]
    s.requests = s.requests + 1 if "drop" in s.faults else 0
    if "drop" in s.faults and s.requests > s.faults["drop"]:
        core.log(host, "fault", f"drop after {s.faults['drop']} requests")
        if request.transport:
            request.transport.abort()
        raise web.HTTPServiceUnavailable()
    if s.faults.get("latency"):
        await asyncio.sleep(s.faults["latency"])
    def login(username: str, password: str) -> bool:
        ok = not s.faults.get("refuse_login") and (username, password) == (s.login["username"], s.login["password"])
        core.log(host, "login", f"{username or '-'}: {'accepted' if ok else 'refused'}")
        return ok

    if s.device.http_login == "device":
        username = ""
    else:
        user = _basic_auth(request)
        if user is None or s.faults.get("refuse_login") or user != (s.login["username"], s.login["password"]):
            core.log(host, "login", f"{user[0] if user else '-'}: refused")
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="gbtt lab"'})
        username = user[0]
    form: dict[str, str] = {}
    body = b""
    if request.method in ("POST", "PUT", "PATCH") and request.can_read_body:
        body = await request.read()
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = {k: str(v) for k, v in (await request.post()).items()}
    req = HttpRequest(request.method, request.path, dict(request.query), form, username, body=body,
                      headers=dict(request.headers), login=login)
    core.log(host, "request", f"{request.method} {request.path_qs}" + (f" {sorted(form)}" if form else ""))
    resp: HttpResponse = await s.device.handle(req)
    return web.Response(status=resp.status, text=resp.body, headers=resp.headers,
                        content_type=resp.content_type.split(";")[0],
                        charset="utf-8" if "charset" in resp.content_type else None)


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


# =========================================================================================
# Entry point (gbtt lab up runs this in the background)
# =========================================================================================

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gbtt.lab.server")
    ap.add_argument("source", type=Path, nargs="+",
                    help="lab inventory source(s) or folder(s) holding them (inventory/lab)")
    ap.add_argument("--limit", default=None)
    ap.add_argument("--seconds-per-minute", type=float, default=60.0)
    args = ap.parse_args(argv)
    sources = [s for path in args.source for s in gbtt_registry.find_sources(path) if s.lab is not None]
    if not sources:
        print(f"{' '.join(map(str, args.source))}: no lab inventory source (a .gbtt.yml with a 'lab:' key)",
              file=sys.stderr)
        return 2
    labs = [(source, settings_for(source.config, source.lab)) for source in sources]
    settings = labs[0][1]
    core = LabCore(labs, args.limit, args.seconds_per_minute)
    try:
        asyncio.run(core.run())
    except SystemExit as exc:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        core._write_info("failed", error=str(exc.code))
        raise
    except OSError as exc:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        core._write_info("failed", error=str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
