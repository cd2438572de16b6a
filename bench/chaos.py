#!/usr/bin/env python3
"""The chaos run (issue 10): a full deploy of a ~1,000-device lab with 5 % of the devices
failing at random, then a check that every device ends either with its intended configuration
or with its previous one and a failed line in the run's summary: nothing in between.

1. A lab of synthetic provinces (:mod:`gbtt.synth`, ~``--devices`` hosts, one lab source per
   province on its own ports) is started on its factory configurations.
2. ``--share`` of the devices (5 %, seeded) get a fault, in turn: ``drop`` (the session closes
   after a random number of lines or requests: mid-login, mid-read or mid-push), ``refuse_login``,
   ``latency`` (every answer 3 s late), ``reboot`` (the device reboots at a random moment of the
   run: sessions drop, unsaved configuration is lost, a pending commit-confirm reverts). Their
   running configuration is saved first.
3. ``ansible-playbook playbooks/site.yml`` deploys the whole lab (the gbtt summary as JSON).
4. The faults are cleared and every pending revert timer is fired (``gbtt lab fault … expire``:
   what the devices do by themselves once the timer runs out).
5. ``site.yml --check`` tells which devices are in sync; each one that is not must have its saved
   configuration exactly, and a failed or unreachable line in the summary of step 3.

Usage: ``.venv/bin/python bench/chaos.py [--devices 1000] [--share 0.05] [--seed 1373]
[--base-port 24000] [--json OUT]``. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gbtt import hostvars  # noqa: E402
from gbtt.deploy import connection_params  # noqa: E402
from gbtt.drivers.base import DriverError, driver_for  # noqa: E402
from lab_scale import national_lab  # noqa: E402

KINDS = ("drop", "refuse_login", "latency", "reboot")


def sh(*args: str, env: dict, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
                          check=False)


def gbtt_lab(inventory: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    if args[0] == "fault":
        return sh(str(BIN / "gbtt"), "lab", "fault", "-i", str(inventory), *args[1:], env=env)
    return sh(str(BIN / "gbtt"), "lab", *args, "-i", str(inventory), env=env)


def running_config(host: str, variables: dict) -> str:
    params, _ = connection_params(variables)
    with driver_for(variables["gbtt_platform"])(host, params) as driver:
        return driver.get_config()


def playbook(inventory: Path, env: dict, summary: Path, *extra: str) -> tuple[float, dict, str]:
    t0 = time.perf_counter()
    proc = sh(str(BIN / "ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks" / "site.yml"), *extra,
              env={**env, "GBTT_SUMMARY_JSON": str(summary), "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")})
    wall = time.perf_counter() - t0
    doc = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {"hosts": []}
    return wall, doc, proc.stdout[-4000:] + proc.stderr[-2000:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--share", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1373)
    ap.add_argument("--base-port", type=int, default=24000)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="gbtt-chaos-") as t:
        work = Path(t)
        inventory = national_lab(work, args.devices, args.base_port, "national")
        env = {"GBTT_LAB_DIR": str(work / "state"), "GBTT_CACHE_DIR": str(work / "cache")}
        proc = gbtt_lab(inventory, env, "up", "--seconds-per-minute", "4")
        if proc.returncode:
            raise SystemExit(f"gbtt lab up: {proc.stdout}{proc.stderr}")
        try:
            return run(args, rng, work, inventory, env)
        finally:
            gbtt_lab(inventory, env, "down")


def run(args, rng: random.Random, work: Path, inventory: Path, env: dict) -> int:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        variables = hostvars.load_hosts(inventory)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    hosts = sorted(variables)
    faulty = sorted(rng.sample(hosts, max(1, round(len(hosts) * args.share))))
    kinds = {h: KINDS[i % len(KINDS)] for i, h in enumerate(rng.sample(faulty, len(faulty)))}
    print(f"{len(hosts)} devices; {len(faulty)} with a fault: "
          + ", ".join(f"{sum(1 for k in kinds.values() if k == kind)} {kind}" for kind in KINDS), file=sys.stderr)

    # the configuration each faulty device had before the run
    with cf.ThreadPoolExecutor(16) as pool:
        before = dict(zip(faulty, pool.map(lambda h: running_config(h, variables[h]), faulty)))
    for host, kind in kinds.items():
        if kind == "drop":
            # SSH: lines of the session (a login is ~10); HTTPS: requests (a deploy makes ~30)
            count = rng.randint(3, 40) if variables[host]["gbtt_device_class"] == "mcu" else rng.randint(8, 120)
            extra = [str(count)]
        elif kind == "latency":
            extra = ["3"]
        else:
            extra = []
        if kind != "reboot":
            proc = gbtt_lab(inventory, env, "fault", host, kind, *extra)
            assert proc.returncode == 0, proc.stderr

    # reboots at random moments of the deploy
    reboots = sorted((rng.uniform(2, 60), h) for h, k in kinds.items() if k == "reboot")
    stop = threading.Event()

    def rebooter():
        t0 = time.monotonic()
        for at, host in reboots:
            if stop.wait(max(0.0, at - (time.monotonic() - t0))):
                return
            gbtt_lab(inventory, env, "fault", host, "reboot")

    thread = threading.Thread(target=rebooter, daemon=True)
    thread.start()
    wall, summary, tail = playbook(inventory, env, work / "summary.json")
    stop.set()
    thread.join()
    states = {h["host"]: h for h in summary["hosts"]}
    print(f"deploy: {wall:.1f} s; " + json.dumps(summary.get("totals", {})), file=sys.stderr)

    # the faults end; the devices' own revert timers run out
    for host in faulty:
        gbtt_lab(inventory, env, "fault", host, "clear")
        gbtt_lab(inventory, env, "fault", host, "expire")
    time.sleep(1.0)
    check_wall, check, _ = playbook(inventory, env, work / "check.json", "--check")
    unsynced = sorted(h["host"] for h in check["hosts"] if h["state"] != "in sync")

    def verdict(host: str) -> str:
        if host not in before:
            return "unknown: not in sync, and no fault was set on it"
        try:
            now = running_config(host, variables[host])
        except DriverError as exc:
            return f"unknown: unreadable after the run ({exc.message})"
        if now != before[host]:
            return "unknown: neither intended nor previous"
        if states.get(host, {}).get("state") not in ("failed", "unreachable"):
            return "previous, but the summary does not say it failed"
        return "previous"

    with cf.ThreadPoolExecutor(16) as pool:
        verdicts = dict(zip(unsynced, pool.map(verdict, unsynced)))
    intended = [h for h in hosts if h not in verdicts]
    previous = [h for h, v in verdicts.items() if v == "previous"]
    unknown = {h: v for h, v in verdicts.items() if v != "previous"}
    failed_lines = sorted(h for h, s in states.items() if s["state"] in ("failed", "unreachable"))
    by_kind = {kind: {"devices": sum(1 for k in kinds.values() if k == kind),
                      "intended": sum(1 for h, k in kinds.items() if k == kind and h in intended),
                      "previous": sum(1 for h, k in kinds.items() if k == kind and h in previous)}
               for kind in KINDS}
    doc = {"devices": len(hosts), "faulty": len(faulty), "seed": args.seed, "share": args.share,
           "deploy_wall_s": round(wall, 1), "check_wall_s": round(check_wall, 1), "summary_totals": summary.get("totals"),
           "intended": len(intended), "previous_with_failed_line": len(previous), "unknown": unknown,
           "failed_lines": len(failed_lines), "by_kind": by_kind, "python": sys.version.split()[0],
           "nproc": os.cpu_count()}
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    if unknown:
        print(tail, file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
