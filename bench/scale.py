#!/usr/bin/env python3
"""Benchmark: deploys of a national-size lab (issue 10), gbtt against Nornir in the same run.

For each ``--devices`` size, a lab of synthetic provinces (:mod:`gbtt.synth`, one lab source per
province, ports from ``--base-port`` upward, one lab process) is started on its factory
configurations, and each peer runs a full deploy **cold** (right after ``gbtt lab reset``) and
**idempotent** (the same run again):

* ``ours`` – ``ansible-playbook -i <lab> playbooks/site.yml`` with the project's ``ansible.cfg``
  (the ``gbtt`` strategy, ``forks`` from ``--forks``, 40 as in ``ansible.cfg``);
* ``nornir`` – ``bench/nornir_deploy.py`` (Nornir 3, ``num_workers`` = the same forks), the same
  :func:`gbtt.deploy.deploy` per host, routers then MCUs then codecs.

``--push SIZE`` adds one more lab of SIZE devices (20,000 for the issue's target) deployed cold by
``ours`` alone, and ``--sweep-forks 10,20,40`` runs the idempotent deploy of the first size with
each ``forks`` value and the ``linear`` strategy (Ansible's forked workers) to choose the
defaults of ``ansible.cfg``.

Measured for every run as in ``bench/deploy.py`` (the same code): wall time, controller CPU of
the process tree, peak memory, the lab's CPU over the same time, and the devices' results (the
``gbtt_summary`` callback's JSON for ``ours``, the script's counts for Nornir).  The figures per
device are set next to the floor of ``bench/floor.py`` when its latest result is present.

Usage (from the repository root; ``make bench-peers`` first for Nornir)::

    .venv/bin/python bench/scale.py                                # 1,000 and 5,000, both peers
    .venv/bin/python bench/scale.py --devices 1000 --sweep-forks 10,20,40
    .venv/bin/python bench/scale.py --devices 1000,5000 --push 20000

Needs the ports ``--base-port`` … + the largest size free on 127.0.0.1 (stop the dev lab,
``gbtt lab down``, when they cross 20000-20492) and below 32768, where Linux picks the ports of
outgoing connections.  Writes ``bench/results/scale-<date>.json``.  Traffic goes only to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from deploy import Run, code_fingerprint, commit_id, measure, nornir_counts  # noqa: E402
from inventory_load import machine  # noqa: E402
from lab_scale import gbtt_lab, national_lab  # noqa: E402

BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"


def raise_file_limit(need: int) -> None:
    """One lab process holds a listening socket per device: lift the soft limit, and the hard
    one when this process may (root)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need + 4096
    if soft >= want:
        return
    if hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            raise SystemExit(f"a lab of {need} devices needs {want} open files; the limit is {hard} "
                             "(ulimit -Hn): raise it or lower --devices") from None
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def check_ports(base: int, count: int) -> None:
    """Every port the lab will listen on is free (the dev lab holds 20000-20492)."""
    import socket
    for port in range(base, base + count + 200):   # + the provinces' rounding
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise SystemExit(f"port {port} on 127.0.0.1 is taken: a lab of {count} devices from port {base} "
                                 "needs it (the dev lab? `gbtt lab down -i inventory/lab`), or choose --base-port") from None


def class_mix(inventory: Path) -> dict[str, int]:
    """Devices per class (routers, mcus, codecs) of a lab inventory."""
    from gbtt import inventory as gbtt_inventory
    from gbtt import registry
    mix = {c: 0 for c in ("routers", "mcus", "codecs")}
    for source in registry.find_sources(inventory):
        for dev in registry.load(source).registry.devices():
            mix[gbtt_inventory.CLASS_GROUPS[dev.device_class]] += 1
    return mix


def summary_counts(path: Path, devices: int) -> dict:
    """Per device, from the gbtt_summary callback's JSON (GBTT_SUMMARY_JSON)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"hosts": devices, "changed": 0, "ok": 0, "failed": devices, "failed_hosts": ["(no summary)"]}
    states = {h["host"]: h["state"] for h in doc["hosts"]}
    failed = sorted(h for h, s in states.items() if s in ("failed", "unreachable"))
    return {"hosts": len(states), "changed": sum(1 for s in states.values() if s == "changed"),
            "ok": sum(1 for s in states.values() if s == "in sync"), "failed": len(failed) + devices - len(states),
            "failed_hosts": failed[:20]}


class Lab:
    """A national lab of ``devices`` hosts in ``work``, up for the ``with`` block.  One lab process
    serves at most ``per_process`` devices (it holds a listening socket per device, and the open
    files limit here is 20,000): a larger lab is split into inventory folders of whole provinces,
    each with its own lab process, and the peers get them all (``-i`` each)."""

    def __init__(self, work: Path, devices: int, base_port: int, per_process: int = 9000):
        whole = national_lab(work, devices, base_port, f"national-{devices}")
        self.env = {**os.environ, "GBTT_CACHE_DIR": str(work / "cache"), "ANSIBLE_FORCE_COLOR": "0",
                    "ANSIBLE_NOCOLOR": "1", "PYTHONUNBUFFERED": "1", "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        self.env.pop("GBTT_LAB_BASE_PORT", None)
        self.env.pop("GBTT_LAB_DIR", None)     # each folder's lab state in its own .lab
        sources = sorted(whole.glob("*.gbtt.yml"))
        parts = -(-devices // per_process)
        if parts <= 1:
            self.inventories = [whole]
        else:
            self.inventories = []
            size = -(-len(sources) // parts)
            for k in range(parts):
                folder = work / f"national-{devices}-part{k + 1}"
                shutil.copytree(whole / "group_vars", folder / "group_vars")
                for source in sources[k * size:(k + 1) * size]:
                    text = source.read_text(encoding="utf-8").replace("registry: registry/", f"registry: {whole}/registry/")
                    (folder / source.name).write_text(text, encoding="utf-8")
                self.inventories.append(folder)
        self.devices = 0
        self.pids: list[int] = []
        self.up_s = 0.0
        self.mix = class_mix(whole)

    @property
    def inventory_args(self) -> list[str]:
        return [a for inv in self.inventories for a in ("-i", str(inv))]

    def __enter__(self) -> Lab:
        t0 = time.perf_counter()
        for inventory in self.inventories:
            gbtt_lab(inventory, "up", "--timeout", "900", env=self.env, timeout=1000)
            info = json.loads((inventory / ".lab" / "lab.json").read_text())
            self.devices += int(info["devices"])
            self.pids.append(int(info["pid"]))
        self.up_s = time.perf_counter() - t0
        # the registry cache every peer reads, made once outside the measured runs
        subprocess.run([str(BIN / "ansible-inventory"), *self.inventory_args, "--graph"], cwd=ROOT,
                       env={**self.env, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}, capture_output=True, check=True)
        return self

    def __exit__(self, *exc) -> None:
        for inventory in self.inventories:
            gbtt_lab(inventory, "down", env=self.env)

    def reset(self) -> None:
        for inventory in self.inventories:
            gbtt_lab(inventory, "reset", env=self.env, timeout=1800)


def one_run(lab: Lab, peer: str, phase: str, forks: int, raw, work: Path, strategy: str | None = None,
            timeout: float = 7200) -> Run:
    out = work / f"{peer}-{phase}.json"
    out.unlink(missing_ok=True)
    env = {**lab.env, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": str(forks)}
    if peer == "ours":
        cmd = [str(BIN / "ansible-playbook"), *lab.inventory_args, "playbooks/site.yml"]
        env["GBTT_SUMMARY_JSON"] = str(out)
        if strategy:
            env["ANSIBLE_STRATEGY"] = strategy
        argv = cmd
    else:
        if len(lab.inventories) > 1:
            raise SystemExit("the Nornir peer reads one inventory folder: keep its labs to one process")
        cmd = [str(BIN / "python"), "bench/nornir_deploy.py", "-i", str(lab.inventories[0]), "--workers", str(forks)]
        argv = [*cmd, "--json", str(out)]
    shown = shlex.join([os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in cmd])
    for k, inventory in enumerate(lab.inventories):
        shown = shown.replace(str(inventory), f"<lab of {lab.devices}" + (f", part {k + 1}>" if len(lab.inventories) > 1 else ">"))
    label = f"{peer} {phase} {lab.devices} devices, forks {forks}" + (f", strategy {strategy}" if strategy else "")
    raw.write(f"\n===== {label}: {shown}\n")
    raw.flush()
    print(f"[{label}] …", file=sys.stderr, flush=True)
    m = measure(["timeout", str(int(timeout)), *argv], env=env, cwd=ROOT, log=raw, lab_pid=lab.pids)
    counts = summary_counts(out, lab.devices) if peer == "ours" else nornir_counts(out, lab.devices)
    run = Run(peer, f"{lab.devices} devices, forks {forks}, strategy {strategy or 'gbtt'}", phase, lab.devices,
              shown, asdict(m), counts)
    print(f"  {m.wall_s:.1f} s, CPU {m.cpu_s:.1f} s ({run.cpu_ms_per_device:.1f} ms/device), peak RSS "
          f"{m.peak_rss_mib:.0f} MiB (tree {m.peak_tree_rss_mib:.0f}), lab CPU {m.lab_cpu_s:.1f} s; "
          f"changed={counts['changed']} ok={counts['ok']} failed={counts['failed']} (exit {m.returncode})",
          file=sys.stderr, flush=True)
    return run


def floor_figures() -> dict | None:
    """The latest bench/floor.py result, if any."""
    found = sorted(RESULTS.glob("floor-*.json"))
    return json.loads(found[-1].read_text()) | {"file": found[-1].name} if found else None


def floor_for(floor: dict, mix: dict[str, int], which: str) -> float:
    """The floor per device of a lab with ``mix`` devices per class: ``handshake`` (handshake + login +
    render) or a phase's (the same exchange replayed + render)."""
    per_class = floor["ms_per_device_by_class"]["floor_handshake" if which == "handshake" else f"floor_{which}"]
    return sum(per_class[c] * n for c, n in mix.items()) / max(1, sum(mix.values()))


def row(r: Run, mix: dict[str, int], strategy: str = "gbtt") -> dict:
    m = r.measure
    return {"peer": r.peer, "devices": r.devices, "phase": r.phase, "scope": r.scope, "strategy": strategy,
            "wall_s": round(m["wall_s"], 1), "cpu_s": round(m["cpu_user_s"] + m["cpu_sys_s"], 1),
            "cpu_ms_per_device": round(r.cpu_ms_per_device, 1), "peak_rss_mib": round(m["peak_rss_mib"]),
            "peak_tree_rss_mib": round(m["peak_tree_rss_mib"]), "peak_tree_pss_mib": round(m["peak_tree_pss_mib"]),
            "lab_cpu_s": round(m["lab_cpu_s"], 1), "returncode": m["returncode"], "counts": r.counts,
            "command": r.command, "mix": mix}


def markdown(rows: list[dict], sweep: list[dict], floor: dict | None, started: dt.datetime, took: float,
             command: str, commit: str) -> str:
    lines = [f"## {started:%Y-%m-%d %H:%M} UTC — national lab deploys", "",
             f"- machine: {machine()}, {os.cpu_count()} cores", f"- commit: {commit}",
             f"- command: `{command}` (took {took / 60:.1f} min)", ""]
    if sweep:
        lines += ["| forks sweep: devices | strategy | forks | run | wall s | CPU ms/device | peak tree RSS MiB |",
                  "| ---: | --- | ---: | --- | ---: | ---: | ---: |"]
        lines += [f"| {s['devices']:,} | {s['strategy']} | {s['forks']} | {s['phase']} | {s['wall_s']:.1f} "
                  f"| {s['cpu_ms_per_device']:.1f} | {s['peak_tree_rss_mib']} |" for s in sweep]
        lines.append("")
    lines += ["| devices | peer | run | wall s | controller CPU s | CPU ms/device | largest process / tree RSS MiB "
              "| lab CPU s | changed / ok / failed |", "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        c = r["counts"]
        lines.append(f"| {r['devices']:,} | {'gbtt' if r['peer'] == 'ours' else 'Nornir'} | {r['phase']} | {r['wall_s']:.1f} "
                     f"| {r['cpu_s']:.1f} | {r['cpu_ms_per_device']:.1f} | {r['peak_rss_mib']} / {r['peak_tree_rss_mib']} "
                     f"| {r['lab_cpu_s']:.1f} | {c['changed']} / {c['ok']} / {c['failed']} |")
    ratios = []
    for r in rows:
        if r["peer"] != "ours":
            continue
        peer = next((x for x in rows if x["peer"] == "nornir" and (x["devices"], x["phase"]) == (r["devices"], r["phase"])), None)
        if peer:
            ratios.append(f"| {r['devices']:,} | {r['phase']} | {r['wall_s'] / peer['wall_s']:.2f} "
                          f"| {r['cpu_ms_per_device'] / peer['cpu_ms_per_device']:.2f} |")
    if ratios:
        lines += ["", "| gbtt / Nornir: devices | run | wall time | CPU per device |", "| ---: | --- | ---: | ---: |", *ratios]
    if floor:
        lines += ["", f"Against the floor of {floor['file']} (per class, weighted by each lab's devices): the issue's "
                  "(handshake + login + render), and gbtt's own exchange replayed by a lean client (+ render):", "",
                  "| devices | peer | run | CPU ms/device | floor: handshake + render | × | floor: the same exchange | × |",
                  "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in rows:
            strict, same = floor_for(floor, r["mix"], "handshake"), floor_for(floor, r["mix"], r["phase"])
            lines.append(f"| {r['devices']:,} | {'gbtt' if r['peer'] == 'ours' else 'Nornir'} | {r['phase']} "
                         f"| {r['cpu_ms_per_device']:.1f} | {strict:.1f} | {r['cpu_ms_per_device'] / strict:.2f} "
                         f"| {same:.1f} | {r['cpu_ms_per_device'] / same:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", default="1000,5000", help="lab sizes, comma-separated (default 1000,5000)")
    ap.add_argument("--peers", default="ours,nornir")
    ap.add_argument("--forks", type=int, default=40, help="Ansible forks and Nornir num_workers (default 40: ansible.cfg)")
    ap.add_argument("--push", type=int, help="one more lab of this size, deployed cold by gbtt alone (20000)")
    ap.add_argument("--sweep-forks", help="forks values for an idempotent sweep on the first size, e.g. 10,20,40")
    ap.add_argument("--base-port", type=int, default=9000)
    ap.add_argument("--per-process", type=int, default=9000,
                    help="devices per lab process (default 9000: the open files limit here is 20,000)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.devices.split(",") if s.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    largest = max(sizes + [args.push or 0])
    if args.base_port + largest + 200 > 32768:
        ap.error(f"--base-port {args.base_port}: {largest} devices would reach past 32767, where Linux picks "
                 "the ports of outgoing connections")
    raise_file_limit(min(largest, args.per_process))
    check_ports(args.base_port, largest)
    command = shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv])
    started = dt.datetime.now(dt.timezone.utc)
    commit, code = commit_id(), code_fingerprint()
    RESULTS.mkdir(exist_ok=True)
    name = f"scale-{started:%Y-%m-%dT%H%M}"
    raw_path = RESULTS / f"{name}.raw" if not args.no_record else Path(tempfile.mkstemp(suffix=".raw")[1])
    rows: list[dict] = []
    sweep: list[dict] = []

    def save(rows: list[dict], sweep: list[dict]) -> None:
        """The runs so far, in case a later one fails."""
        if not args.no_record:
            partial = {"started": started.isoformat(timespec="seconds"), "command": command, "commit": commit,
                       "partial": True, "rows": rows, "forks_sweep": sweep}
            (RESULTS / f"{name}.json").write_text(json.dumps(partial, indent=1, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="gbtt-bench-scale-") as t, open(raw_path, "w", encoding="utf-8") as raw:
        work = Path(t)
        for i, size in enumerate(sizes):
            with Lab(work, size, args.base_port, args.per_process) as lab:
                print(f"lab of {lab.devices} devices up in {lab.up_s:.1f} s", file=sys.stderr)
                fresh = True     # a lab just up is on its factory configurations
                if i == 0 and args.sweep_forks:
                    for forks in [int(f) for f in args.sweep_forks.split(",")]:
                        if not fresh:
                            lab.reset()
                        fresh = False
                        for phase in ("cold", "idempotent"):
                            r = one_run(lab, "ours", phase, forks, raw, work, strategy="gbtt")
                            sweep.append({**row(r, lab.mix, "gbtt"), "forks": forks})
                            save(rows, sweep)
                    r = one_run(lab, "ours", "idempotent", args.forks, raw, work, strategy="linear")
                    sweep.append({**row(r, lab.mix, "linear"), "forks": args.forks})
                for peer in peers:
                    if not fresh:
                        lab.reset()
                    fresh = False
                    for phase in ("cold", "idempotent"):
                        rows.append(row(one_run(lab, peer, phase, args.forks, raw, work), lab.mix))
                        save(rows, sweep)
        if args.push:
            with Lab(work, args.push, args.base_port, args.per_process) as lab:
                print(f"lab of {lab.devices} devices up in {lab.up_s:.1f} s", file=sys.stderr)
                rows.append(row(one_run(lab, "ours", "cold", args.forks, raw, work), lab.mix) | {"push": True})
                save(rows, sweep)
    took = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    changed = sorted(f for f in set(code) | set(code_fingerprint()) if code.get(f) != code_fingerprint().get(f))
    floor = floor_figures()
    report = markdown(rows, sweep, floor, started, took, command, commit)
    print(report)
    doc = {"started": started.isoformat(timespec="seconds"), "took_s": round(took), "command": command, "commit": commit,
           "machine": machine(), "cores": os.cpu_count(), "forks": args.forks, "rows": rows, "forks_sweep": sweep,
           "floor": floor, "code_changed_during_run": changed, "markdown": report}
    if not args.no_record:
        out = RESULTS / f"{name}.json"
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
