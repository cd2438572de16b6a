#!/usr/bin/env python3
"""Benchmark: the embedded lab's start time, memory and CPU per device session.

* ``province`` – ``gbtt lab up`` on ``inventory/lab`` (493 devices): wall time until every
  device listens and the lab process's peak RSS; **cold** (empty state folder: ed25519 host
  keys, CA and certificates made) and **warm** (keys and saved device states present).
* ``5000`` – the same for a lab of ~5,000 devices: synthetic provinces from :mod:`gbtt.synth`
  served by one lab process (each province's lab source on its own port range).
* ``sessions`` – with the province lab up, a client opens real sessions with the stock clients
  (netmiko ``cisco_tp`` to codecs, netmiko ``cisco_ios`` to routers with enable, HTTPS
  ``requests`` to MCUs with the lab CA) and runs a few commands in each.  CPU seconds are
  measured for both sides of the same sessions: the client (``getrusage``, this process) and
  the lab (``/proc/<pid>/stat``), so the lab's share can be compared with its peer.  The issue's
  target: the lab's CPU per session no more than the client's.

Usage (from the repository root)::

    .venv/bin/python bench/lab_scale.py [--repeat 3] [--sessions 40] [--skip-5000]

Results are printed and appended to ``bench/results/lab_scale.md``.  Traffic goes only to
127.0.0.1.  Needs no network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gbtt import registry, synth  # noqa: E402
from gbtt.lab.settings import LabSettings  # noqa: E402
from inventory_load import git_rev, machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "lab_scale.md"
LAB = ROOT / "inventory" / "lab"
GBTT = str(Path(sys.executable).parent / "gbtt")
TICK = os.sysconf("SC_CLK_TCK")


def lab_env(state: Path, base_port: int | None) -> dict[str, str]:
    env = {**os.environ, "GBTT_LAB_DIR": str(state)}
    env.pop("GBTT_LAB_BASE_PORT", None)
    if base_port is not None:
        env["GBTT_LAB_BASE_PORT"] = str(base_port)
    return env


def up(inventory: Path, env: dict) -> tuple[float, int, int]:
    """``gbtt lab up``: (wall seconds, devices, pid)."""
    t0 = time.perf_counter()
    proc = subprocess.run([GBTT, "lab", "up", "-i", str(inventory), "--timeout", "600"], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"gbtt lab up failed:\n{proc.stdout}{proc.stderr}")
    info = json.loads((Path(env["GBTT_LAB_DIR"]) / "lab.json").read_text())
    return wall, info["devices"], info["pid"]


def gbtt_lab(inventory: Path, *args: str, env: dict | None = None, timeout: float = 900) -> str:
    """``gbtt lab ARGS -i INVENTORY`` (the benchmarks' labs): its output, or exit with its error."""
    proc = subprocess.run([GBTT, "lab", *args, "-i", str(inventory)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode:
        raise SystemExit(f"gbtt lab {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def down(inventory: Path, env: dict) -> None:
    subprocess.run([GBTT, "lab", "down", "-i", str(inventory)], env=env, capture_output=True, check=False)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def start_rows(name: str, inventory: Path, base_port: int | None, repeat: int, work: Path) -> list[tuple]:
    rows = []
    cold, warm = [], []
    for i in range(repeat):
        state = work / f"{name}-cold-{i}"
        env = lab_env(state, base_port)
        wall, devices, pid = up(inventory, env)
        cold.append((wall, peak_rss_mib(pid)))
        down(inventory, env)
        print(f"  {name} cold #{i + 1}: {wall:.2f} s, {cold[-1][1]:.0f} MiB, {devices} devices", file=sys.stderr)
        wall, devices, pid = up(inventory, env)  # the same folder again: keys and states present
        warm.append((wall, peak_rss_mib(pid)))
        down(inventory, env)
        print(f"  {name} warm #{i + 1}: {wall:.2f} s, {warm[-1][1]:.0f} MiB", file=sys.stderr)
    for label, runs in (("cold (keys and CA made)", cold), ("warm (keys and saved states present)", warm)):
        walls, rss = [w for w, _ in runs], [r for _, r in runs]
        rows.append((name, devices, f"`gbtt lab up`, {label}", len(runs), _med(walls), f"{statistics.median(rss):.0f}"))
    return rows


def _med(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def national_lab(work: Path, devices: int, base_port: int = 21000, name: str = "lab5000") -> Path:
    """~``devices`` hosts of synthetic provinces, each a lab source on its own port range."""
    out = work / name
    provinces = max(1, round(devices / 320))
    totals = synth.generate(out, provinces=provinces, seed=synth.DEFAULT_SEED, hosts_target=devices)
    shutil.copytree(LAB / "group_vars", out / "group_vars")
    port = base_port
    for source in registry.find_sources(out):
        hosts = totals["per_province"][source.name]["hosts"]
        text = source.config.read_text(encoding="utf-8")
        source.config.write_text(text + f"lab:\n  base_port: {port}\n", encoding="utf-8")
        port += hosts
    if port > 32768:  # above, Linux hands ports to outgoing connections (ip_local_port_range)
        raise SystemExit(f"too many devices for the port range {base_port}-32767")
    return out


def sessions(work: Path, count: int) -> list[tuple]:
    """CPU of the client and of the lab for the same real sessions."""
    import requests
    from netmiko import ConnectHandler

    state = work / "sessions"
    env = lab_env(state, 27600)
    wall, devices, pid = up(LAB, env)
    settings = LabSettings(state, 27600)
    reg = registry.load(LAB).registry
    ports = settings.ports([d.host for d in reg.devices()])
    codecs = [ep.codec.host for ep in reg.endpoints.values()][:count]
    routers = [ep.router.host for ep in reg.endpoints.values()][:max(1, count // 2)]
    mcus = [s.mcu.host for s in reg.systems.values()][:max(1, count // 4)]
    common = dict(host="127.0.0.1", ssh_strict=True, system_host_keys=False, alt_host_keys=True,
                  alt_key_file=str(settings.known_hosts), allow_agent=False, use_keys=False)
    rows = []
    try:
        for kind, hosts in (("codec: netmiko cisco_tp, login + 4 xAPI commands", codecs),
                            ("router: netmiko cisco_ios, login + enable + 3 show commands", routers),
                            ("MCU: requests over HTTPS, 5 API calls on one TLS connection", mcus)):
            lab0, me0 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            for host in hosts:
                if kind.startswith("codec"):
                    with ConnectHandler(device_type="cisco_tp", port=ports[host], username="gbtt",
                                        password="lab-codec-only", **common) as c:
                        for cmd in ("xStatus SystemUnit Uptime", "xConfiguration SystemUnit Name",
                                    "xStatus Call", "xConfiguration Conference"):
                            c.send_command(cmd, expect_string=r"\n(OK|ERROR)\n", read_timeout=30)
                elif kind.startswith("router"):
                    with ConnectHandler(device_type="cisco_ios", port=ports[host], username="gbtt",
                                        password="lab-router-only", secret="lab-enable-only", **common) as c:
                        c.enable()
                        for cmd in ("show version", "show running-config", "show ip interface brief"):
                            c.send_command(cmd, read_timeout=30)
                else:
                    with requests.Session() as s:
                        for path in ("system/status", "coSpaces", "callLegProfiles", "calls", "system/licensing"):
                            s.get(f"https://127.0.0.1:{ports[host]}/api/v1/{path}", auth=("gbtt-api", "lab-mcu-only"),
                                  verify=str(settings.ca_bundle), timeout=30).raise_for_status()
            took = time.perf_counter() - t0
            me1 = resource.getrusage(resource.RUSAGE_SELF)
            lab_cpu = cpu_seconds(pid) - lab0
            client_cpu = (me1.ru_utime - me0.ru_utime) + (me1.ru_stime - me0.ru_stime)
            n = len(hosts)
            print(f"  {kind}: {n} sessions in {took:.1f} s; CPU per session: lab {1000 * lab_cpu / n:.1f} ms, "
                  f"client {1000 * client_cpu / n:.1f} ms", file=sys.stderr)
            rows.append((kind, n, f"{took:.1f}", f"{1000 * lab_cpu / n:.1f}", f"{1000 * client_cpu / n:.1f}",
                         f"{lab_cpu / client_cpu:.2f}" if client_cpu else "–"))
    finally:
        down(LAB, env)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=40, help="codec sessions (routers: half, MCUs: a quarter)")
    ap.add_argument("--devices", type=int, default=5000, help="size of the large lab")
    ap.add_argument("--skip-5000", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    command = shlex.join([os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT))
                          else sys.executable, *sys.argv])
    commit = git_rev()
    started = dt.datetime.now(dt.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="gbtt-lab-bench-") as tmp:
        work = Path(tmp)
        print("[province]", file=sys.stderr)
        start = start_rows("province", LAB, 27000, args.repeat, work)
        if not args.skip_5000:
            print(f"[{args.devices} devices]", file=sys.stderr)
            big = national_lab(work, args.devices)
            start += start_rows(f"{args.devices} devices", big, None, args.repeat, work)
        print("[sessions]", file=sys.stderr)
        per_session = sessions(work, args.sessions)
    took = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC — lab start, memory and CPU per session",
        "",
        f"- machine: {machine()}",
        f"- commit: {commit}",
        f"- command: `{command}` (took {took / 60:.1f} min)",
        "- start: wall time of `gbtt lab up` until every device listens; peak RSS (VmHWM) of the lab process",
        "- sessions: the same sessions measured on both sides; client CPU from getrusage, lab CPU from /proc",
        "",
        "| lab | devices | measured | runs | wall s (median, range) | peak RSS MiB |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
        *[f"| {a} | {b} | {c} | {d} | {e} | {f} |" for a, b, c, d, e, f in start],
        "",
        "| sessions (province lab) | count | wall s | lab CPU ms per session | client CPU ms per session | lab/client |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {a} | {b} | {c} | {d} | {e} | {f} |" for a, b, c, d, e, f in per_session],
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_record:
        new = not RESULTS.exists()
        with open(RESULTS, "a", encoding="utf-8") as fh:
            if new:
                fh.write("# Lab benchmark\n\nAppended by `bench/lab_scale.py` (see its docstring). Newest last.\n\n")
            fh.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
