"""``gbtt lab up|status|down|reset|fault``: start, inspect and drive the embedded lab."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from gbtt import registry
from gbtt.lab.device import DEVICE_FAULTS, TRANSPORT_FAULTS
from gbtt.lab.settings import LabSettings, LabSettingsError, settings_for

DEFAULT_INVENTORY = "inventory/lab"


def _lab(inventory: str) -> tuple[list[registry.Source], LabSettings]:
    """The lab sources of an inventory (usually one: inventory/lab/lab.gbtt.yml) and the settings
    of the lab they share."""
    labs = [s for s in registry.find_sources(inventory) if s.lab is not None]
    if not labs:
        raise SystemExit(f"{inventory}: no lab inventory source here (a *.gbtt.yml with a 'lab:' key, "
                         "e.g. inventory/lab/lab.gbtt.yml)")
    try:
        settings = [settings_for(s.config, s.lab) for s in labs]
    except LabSettingsError as exc:
        raise SystemExit(f"{inventory}: {exc}") from None
    if len({x.state_dir for x in settings}) != 1:
        raise SystemExit(f"{inventory}: its lab sources name different state folders: they must share one")
    return labs, settings[0]


def _control(settings: LabSettings, request: dict, timeout: float = 60.0) -> dict:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(settings.control_socket))
    except OSError:
        raise SystemExit(f"no lab is running for {settings.state_dir} (start it with 'gbtt lab up')") from None
    with sock:
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply = json.loads(data or b"{}")
    if not reply.get("ok"):
        raise SystemExit(f"lab: {reply.get('error', 'no answer')}")
    return reply


def _running(settings: LabSettings) -> dict | None:
    try:
        info = json.loads(settings.info_file.read_text())
    except (OSError, ValueError):
        return None
    if info.get("status") != "ready":
        return None
    try:
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return info


def cmd_up(args: argparse.Namespace) -> int:
    sources, settings = _lab(args.inventory)
    info = _running(settings)
    if info:
        print(f"lab already running (pid {info['pid']}, {info['devices']} devices); 'gbtt lab down' first")
        return 0
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    settings.info_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "gbtt.lab.server", *(str(s.config) for s in sources),
           "--seconds-per-minute", str(args.seconds_per_minute)]
    if args.limit:
        cmd += ["--limit", args.limit]
    started = time.monotonic()
    with open(settings.state_dir / "server.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    while time.monotonic() - started < args.timeout:
        try:
            info = json.loads(settings.info_file.read_text())
        except (OSError, ValueError):
            info = {}
        if info.get("status") == "ready":
            took = time.monotonic() - started
            print(f"lab up: {info['devices']} devices on {info['address']} from port {info['base_port']} "
                  f"in {took:.1f} s (pid {info['pid']})")
            print(f"  known_hosts: {info['known_hosts']}\n  CA bundle:   {info['ca_bundle']}\n"
                  f"  inventory:   -i {args.inventory}")
            return 0
        if info.get("status") == "failed" or proc.poll() is not None:
            tail = (settings.state_dir / "server.log").read_text(errors="replace")[-2000:]
            print(f"lab failed to start: {info.get('error') or tail}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    proc.terminate()
    print(f"lab did not become ready within {args.timeout} s", file=sys.stderr)
    return 1


def cmd_down(args: argparse.Namespace) -> int:
    _, settings = _lab(args.inventory)
    info = _running(settings)
    if not info:
        print("no lab running")
        return 0
    _control(settings, {"op": "down"})
    for _ in range(400):
        try:
            os.kill(int(info["pid"]), 0)
        except OSError:
            print("lab down (device state saved)")
            return 0
        time.sleep(0.05)
    print("lab did not stop in 20 s", file=sys.stderr)
    return 1


def cmd_status(args: argparse.Namespace) -> int:
    _, settings = _lab(args.inventory)
    if not _running(settings):
        print("no lab running")
        return 3
    reply = _control(settings, {"op": "status"})
    if args.format == "json":
        json.dump(reply, sys.stdout, indent=1)
        print()
        return 0
    devices = reply["devices"]
    by_platform: dict[str, int] = {}
    for d in devices.values():
        by_platform[d["platform"]] = by_platform.get(d["platform"], 0) + 1
    print(f"lab running (pid {reply['pid']}): {len(devices)} devices "
          + ", ".join(f"{n} {p}" for p, n in sorted(by_platform.items())))
    faulty = {h: d for h, d in devices.items() if d["faults"]}
    for host, d in sorted(faulty.items()):
        faults = ", ".join(f"{k}={v}" if v is not True else k for k, v in d["faults"].items())
        print(f"  {host} (port {d['port']}): {faults}")
    if not faulty:
        print("  no faults")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    _, settings = _lab(args.inventory)
    if _running(settings):
        # every device of the lab process at once: longer than a status or a fault
        print(_control(settings, {"op": "reset"}, timeout=600.0)["message"])
        return 0
    removed = 0
    for f in (settings.state_dir / "devices").glob("*.json"):
        f.unlink()
        removed += 1
    print(f"lab not running: {removed} saved device states removed (factory state at next 'up')")
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    _, settings = _lab(args.inventory)
    reply = _control(settings, {"op": "fault", "host": args.host, "kind": args.kind, "args": args.args})
    print(f"{args.host}: {reply['message']}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="the embedded lab: simulated codecs, MCUs and routers on 127.0.0.1")
    lsub = lab.add_subparsers(dest="lab_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-i", "--inventory", default=DEFAULT_INVENTORY, help="lab inventory (default: inventory/lab)")

    up = lsub.add_parser("up", help="start the lab in the background; returns when every device listens")
    common(up)
    up.add_argument("--limit", help="only these hosts: comma-separated names, patterns (*-codec) or system ids")
    up.add_argument("--seconds-per-minute", type=float, default=60.0,
                    help="lab time: seconds per device minute (timers such as IOS revert timer; default 60)")
    up.add_argument("--timeout", type=float, default=120.0)
    up.set_defaults(func=cmd_up)
    for name, fn, text in (("down", cmd_down, "stop the lab, saving device state"),
                           ("reset", cmd_reset, "every device back to factory state")):
        p = lsub.add_parser(name, help=text)
        common(p)
        p.set_defaults(func=fn)
    st = lsub.add_parser("status", help="devices and their faults")
    common(st)
    st.add_argument("--format", choices=["text", "json"], default="text")
    st.set_defaults(func=cmd_status)
    faults = "\n".join(f"  {k:13} {v}" for k, v in {**TRANSPORT_FAULTS, **DEVICE_FAULTS,
                                                     "clear": "remove every fault of HOST"}.items())
    f = lsub.add_parser("fault", help="inject a fault into one device", formatter_class=argparse.RawTextHelpFormatter,
                        description=f"Faults:\n{faults}")
    common(f)
    f.add_argument("host")
    f.add_argument("kind", choices=[*TRANSPORT_FAULTS, *DEVICE_FAULTS, "clear"])
    f.add_argument("args", nargs="*")
    f.set_defaults(func=cmd_fault)
