#!/usr/bin/env python3
"""Benchmark: a full-province deploy against the embedded lab, gbtt against its peers (issue 4).

Each run is measured cold (right after ``gbtt lab reset``: every device on its factory
configuration) and idempotent (the same run again: nothing to change):

* ``ours`` – ``ansible-playbook -i inventory/lab playbooks/site.yml`` (forks 20: ansible.cfg);
  on routers only, ``playbooks/router.yml`` (the ``routers`` group);
* ``nornir`` – ``bench/nornir_deploy.py``: Nornir 3's threaded runner, ``num_workers`` 20, the
  same hosts and variables from gbtt's Python API, :func:`gbtt.deploy.deploy` per host, routers
  then MCUs then codecs;
* ``stock`` (routers only) – ``bench/stock/routers.yml`` from ``bench/.venv-stock`` (the PyPI
  ``ansible`` package): ``ansible.builtin.template`` with our router template, then
  ``cisco.ios.ios_config`` over ``ansible.netcommon.network_cli`` (paramiko), enable, host key
  checking on against the lab's known_hosts (``~/.ssh/known_hosts`` of a HOME made for the run).

Measured for every run: wall time; controller CPU (user + sys of the whole process tree, from
``getrusage(RUSAGE_CHILDREN)``; this process is a child subreaper, so daemonised descendants
such as Ansible's persistent ``ansible-connection`` processes are reparented to it, reaped and
counted); peak memory (the largest VmHWM of any process of the tree, and the largest sum of VmRSS
over the tree, sampled every 0.2 s from /proc); the lab server's CPU over the same time (it
shares the cores); the result per device (changed / ok / failed).

Usage (from the repository root; the lab is started if it is not running, and left as found)::

    .venv/bin/python bench/deploy.py                          # everything (~30-40 min)
    .venv/bin/python bench/deploy.py --only routers --hosts 20 --peers ours,stock   # a quick subset

Writes ``bench/results/deploy-<date>.json`` (and the runs' output to a ``.raw`` file beside
it) and prints a Markdown table.  Only the dev lab of ``inventory/lab`` (127.0.0.1) is used.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gbtt import inventory as gbtt_inventory  # noqa: E402
from gbtt import registry  # noqa: E402
from gbtt.lab.settings import settings_for  # noqa: E402
from inventory_load import machine  # noqa: E402

LAB = ROOT / "inventory" / "lab"
VENV_BIN = ROOT / ".venv" / "bin"
STOCK_VENV = ROOT / "bench" / ".venv-stock"
STOCK_DIR = ROOT / "bench" / "stock"
RESULTS = ROOT / "bench" / "results"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PR_SET_CHILD_SUBREAPER = 36
CLASSES = ("routers", "mcus", "codecs")
PEERS = ("ours", "nornir", "stock")
SCOPES = ("province", "routers")
#: the task whose result is the device's (the others render files or make folders)
DEVICE_TASK = re.compile(r"intended configuration|Push it with ios_config")


# =========================================================================================
# Process tree measurement
# =========================================================================================

def _subreaper(on: bool) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _proc_table() -> dict[int, int]:
    """pid -> ppid of every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            table[int(entry.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return table


def _descendants(root: int, exclude: set[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in _proc_table().items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in exclude:
                out.append(child)
                todo.append(child)
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB; zeros for a zombie or a process gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


def _pss_kib(pid: int) -> int:
    """Proportional set size: RSS counts the pages that forked workers share with their parent in
    every one of them, PSS shares them out.  Reading it costs ~4 ms per 100 MiB process, so it is
    sampled less often than RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


@dataclass
class Measure:
    wall_s: float = 0.0
    cpu_user_s: float = 0.0
    cpu_sys_s: float = 0.0
    peak_rss_mib: float = 0.0          # the largest VmHWM of one process of the tree
    peak_tree_rss_mib: float = 0.0     # the largest sum of VmRSS over the tree (sampled)
    peak_tree_pss_mib: float = 0.0     # the largest sum of PSS over the tree (sampled every 5 s)
    peak_processes: int = 0
    lab_cpu_s: float = 0.0
    returncode: int = 0
    drain_s: float = 0.0               # waiting for descendants that outlived the main process
    stragglers: int = 0                # descendants still alive 60 s after the main process ended
    sampler_cpu_s: float = 0.0         # this process's own CPU meanwhile (the /proc sampling)

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s


def measure(argv: list[str], *, env: dict, cwd: Path, log, lab_pid: int | list[int], interval: float = 0.2,
            pss_every: int = 25) -> Measure:
    """Run ``argv`` to its end (and its daemonised descendants to theirs), measuring the tree."""
    me = os.getpid()
    result = Measure()
    lab_pids = [lab_pid] if isinstance(lab_pid, int) else list(lab_pid)    # a lab may be several processes
    exclude = set(lab_pids)
    _subreaper(True)
    try:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s0 = resource.getrusage(resource.RUSAGE_SELF)
        lab0 = sum(map(cpu_seconds, lab_pids))
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        done = threading.Event()
        peak = {"hwm": 0, "sum": 0, "pss": 0, "n": 0, "tick": 0}

        def sample() -> None:
            pids = _descendants(me, exclude)
            total = 0
            for pid in pids:
                rss, hwm = _memory_kib(pid)
                total += rss
                peak["hwm"] = max(peak["hwm"], hwm)
            peak["sum"] = max(peak["sum"], total)
            peak["n"] = max(peak["n"], len(pids))
            if peak["tick"] % pss_every == 5:        # 1 s in, then every 5 s
                peak["pss"] = max(peak["pss"], sum(_pss_kib(pid) for pid in pids))
            peak["tick"] += 1

        def reap_orphans() -> None:
            """Daemonised descendants reparented to us (the subreaper): reap them, so that their
            CPU is added to RUSAGE_CHILDREN.  Never the main process (Popen waits for it)."""
            for pid, ppid in _proc_table().items():
                if ppid == me and pid != proc.pid and pid not in exclude:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass

        def sampler() -> None:
            while not done.is_set():
                sample()
                reap_orphans()
                done.wait(interval)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        result.returncode = proc.wait()
        result.wall_s = time.perf_counter() - t0
        # the main process is done; daemonised descendants (persistent connections) may linger
        ended = time.monotonic()
        while time.monotonic() < ended + 60 and _descendants(me, exclude | {proc.pid}):
            time.sleep(interval)
        result.drain_s = time.monotonic() - ended
        done.set()
        thread.join()
        reap_orphans()
        result.stragglers = len(_descendants(me, exclude))
        lab1 = sum(map(cpu_seconds, lab_pids))
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        _subreaper(False)
    result.cpu_user_s = r1.ru_utime - r0.ru_utime
    result.cpu_sys_s = r1.ru_stime - r0.ru_stime
    result.lab_cpu_s = lab1 - lab0
    result.sampler_cpu_s = (s1.ru_utime - s0.ru_utime) + (s1.ru_stime - s0.ru_stime)
    result.peak_rss_mib = peak["hwm"] / 1024
    result.peak_tree_rss_mib = peak["sum"] / 1024
    result.peak_tree_pss_mib = peak["pss"] / 1024
    result.peak_processes = peak["n"]
    return result


# =========================================================================================
# Results of a run
# =========================================================================================

_TASK = re.compile(r"^TASK \[(?P<name>.*)\] \*+$")
_HOST_LINE = re.compile(r"^(?P<status>ok|changed|failed|fatal|skipping|unreachable): \[(?P<host>[^\]\s]+)")
_RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                    r"\s+failed=(?P<failed>\d+)")


def ansible_counts(output: str) -> dict:
    """Per device, the result of its device task (gbtt_deploy, or ios_config for the stock peer);
    the recap for hosts that failed or were unreachable before it."""
    status: dict[str, str] = {}
    task = ""
    for line in output.splitlines():
        m = _TASK.match(line)
        if m:
            task = m.group("name")
            continue
        m = _HOST_LINE.match(line)
        if m and DEVICE_TASK.search(task):
            s = m.group("status")
            status[m.group("host")] = {"fatal": "failed", "unreachable": "failed"}.get(s, s)
    recap = {m.group("host"): m for m in map(_RECAP.match, output.splitlines()) if m}
    for host, m in recap.items():
        if int(m.group("failed")) or int(m.group("unreachable")):
            status[host] = "failed"
        status.setdefault(host, "failed")   # never reached the device task
    counts = {"hosts": len(status), "changed": 0, "ok": 0, "failed": 0}
    for s in status.values():
        counts[s if s in ("changed", "ok") else "failed"] += 1
    counts["recap_changed_hosts"] = sum(1 for m in recap.values() if int(m.group("changed")))
    return counts


def nornir_counts(path: Path, devices: int) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):   # the script died before its summary: count every device failed
        return {"hosts": devices, "changed": 0, "ok": 0, "failed": devices, "failed_hosts": ["(no summary)"]}
    counts = {k: data["totals"][k] for k in ("hosts", "changed", "ok", "failed")}
    counts["failed_hosts"] = sorted(data["failed_hosts"])[:20]
    return counts


# =========================================================================================
# The runs
# =========================================================================================

@dataclass
class Run:
    peer: str
    scope: str
    phase: str            # cold | idempotent
    devices: int
    command: str
    measure: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    @property
    def cpu_ms_per_device(self) -> float:
        return 1000 * (self.measure["cpu_user_s"] + self.measure["cpu_sys_s"]) / max(1, self.devices)


def lab_hosts() -> dict[str, list[str]]:
    """The lab inventory's hosts by class, sorted."""
    by_class: dict[str, list[str]] = {c: [] for c in CLASSES}
    for source in registry.find_sources(LAB):
        result = registry.load(source)     # also warms the registry cache every peer reads
        lab = settings_for(source.config, source.lab) if source.lab is not None else None
        data = gbtt_inventory.build(result.registry, lab)
        for host, hv in data.hostvars.items():
            by_class[gbtt_inventory.CLASS_GROUPS[hv["gbtt_device_class"]]].append(host)
    return {c: sorted(h) for c, h in by_class.items()}


def lab_info() -> dict | None:
    try:
        info = json.loads((LAB / ".lab" / "lab.json").read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return info if info.get("status") == "ready" else None


def gbtt_cli(*args: str) -> str:
    proc = subprocess.run([str(VENV_BIN / "gbtt"), "lab", *args, "-i", str(LAB)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"gbtt lab {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def ensure_stock_venv() -> None:
    """bench/.venv-stock: the `ansible` package (bench/stock/requirements.txt) and gbtt (for
    the template's filters); made when missing (``make bench-peers`` does the same)."""
    if (STOCK_VENV / "bin" / "ansible-playbook").exists():
        return
    print(f"creating {STOCK_VENV.relative_to(ROOT)} (the stock peer's venv) …", file=sys.stderr)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(STOCK_VENV)], check=True)
    pip = [str(STOCK_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt")]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(STOCK_DIR / "requirements.txt"), "-e", str(ROOT)], check=True)


def code_fingerprint() -> dict[str, str]:
    """SHA-256 (12 hex) of the code a deploy runs: the working tree may change while the benchmark
    runs (others edit the drivers), and a run whose start and end fingerprints differ says so."""
    import hashlib
    files = sorted([*(ROOT / "gbtt").rglob("*.py"), *(ROOT / "templates").rglob("*.j2"),
                    *(ROOT / "plugins").rglob("*.py"), *(ROOT / "roles").rglob("*.yml"), *(ROOT / "playbooks").glob("*.yml")])
    out = {}
    for f in files:
        try:
            out[str(f.relative_to(ROOT))] = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
        except OSError:
            pass
    return out


def commit_id() -> str:
    """The checked-out commit, read from .git without running git (others commit meanwhile)."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head[5:]
        if (git / ref).is_file():
            return (git / ref).read_text().strip()[:7]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:7]
    except OSError:
        pass
    return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=SCOPES, help="one scope: the whole province or its routers (default: both)")
    ap.add_argument("--peers", default=",".join(PEERS), help="ours,nornir,stock (stock runs on routers only)")
    ap.add_argument("--hosts", type=int, help="only the first N hosts (sorted) of each device class")
    ap.add_argument("--forks", type=int, default=20, help="Ansible forks and Nornir num_workers (default 20)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds one run may take")
    ap.add_argument("--no-record", action="store_true", help="print only; write no results file")
    args = ap.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if set(peers) - set(PEERS):
        ap.error(f"--peers: known peers are {', '.join(PEERS)}")
    scopes = [args.only] if args.only else list(SCOPES)
    command = shlex.join([os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT))
                          else sys.executable, *sys.argv])
    started = dt.datetime.now(dt.timezone.utc)
    if "stock" in peers and "routers" in scopes:
        ensure_stock_venv()
    if "nornir" in peers:
        try:
            import nornir  # noqa: F401
        except ImportError:
            raise SystemExit("the Nornir peer needs nornir: make bench-peers "
                             "(or pip install -c constraints.txt -e '.[bench]')") from None

    code_at_start = code_fingerprint()
    commit_at_start = commit_id()
    hosts = lab_hosts()
    if args.hosts:
        hosts = {c: h[:args.hosts] for c, h in hosts.items()}
    scope_hosts = {"province": [h for c in CLASSES for h in hosts[c]], "routers": hosts["routers"]}

    was_running = lab_info() is not None
    if not was_running:
        print(gbtt_cli("up"), file=sys.stderr)
    info = lab_info()
    if info is None:
        raise SystemExit("the lab did not come up")
    lab_pid = int(info["pid"])
    if info.get("base_port") != 20000 or info.get("address") != "127.0.0.1":
        raise SystemExit(f"expected the dev lab on 127.0.0.1:20000+, found {info.get('address')}:{info.get('base_port')}")

    stamp = started.strftime("%Y-%m-%d")
    out_json = RESULTS / f"deploy-{stamp}.json"
    if out_json.exists() and not args.no_record:
        out_json = RESULTS / f"deploy-{started:%Y-%m-%dT%H%M}.json"
    raw_path = out_json.with_suffix(".raw") if not args.no_record else Path(tempfile.mkstemp(suffix=".raw")[1])
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gbtt-bench-deploy-"))
    # the stock peer: a HOME whose ~/.ssh/known_hosts is the lab's (paramiko reads only that file)
    stock_home = work / "home"
    (stock_home / ".ssh").mkdir(parents=True)
    (stock_home / ".ssh" / "known_hosts").symlink_to(Path(info["known_hosts"]))
    base_env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PYTHONUNBUFFERED": "1"}
    base_env.pop("GBTT_LAB_BASE_PORT", None)
    base_env.pop("GBTT_LAB_DIR", None)
    ours_env = {**base_env, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORKS": str(args.forks),
                "PATH": f"{VENV_BIN}:{base_env.get('PATH', '')}"}
    stock_env = {**base_env, "ANSIBLE_CONFIG": str(STOCK_DIR / "ansible.cfg"), "ANSIBLE_FORKS": str(args.forks),
                 "HOME": str(stock_home), "TMPDIR": str(work),
                 "GBTT_CACHE_DIR": str(registry.cache_dir()),
                 "PATH": f"{STOCK_VENV / 'bin'}:{base_env.get('PATH', '')}"}

    runs: list[Run] = []
    try:
        run_all(runs, scopes, peers, scope_hosts, args, work, raw_path, lab_pid, ours_env, stock_env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not was_running:
            print(gbtt_cli("down"), file=sys.stderr)

    took = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    code_at_end = code_fingerprint()
    changed_code = sorted(f for f in set(code_at_start) | set(code_at_end)
                          if code_at_start.get(f) != code_at_end.get(f))
    if changed_code:
        print(f"warning: the code changed during the benchmark: {', '.join(changed_code)}", file=sys.stderr)
    commit = commit_at_start if commit_id() == commit_at_start else f"{commit_at_start} (at the end: {commit_id()})"
    report = markdown(runs, started, took, command, commit)
    print(report)
    result = {
        "started": started.isoformat(timespec="seconds"), "took_s": round(took, 1), "command": command,
        "commit": commit, "machine": machine(), "cores": os.cpu_count(), "forks": args.forks,
        "hosts_per_class": args.hosts, "peers": peers, "scopes": scopes,
        "runs": [{**asdict(r), "cpu_ms_per_device": round(r.cpu_ms_per_device, 1)} for r in runs],
        "ratios": ratios(runs), "code_changed_during_run": changed_code, "markdown": report, "raw_output": str(raw_path.relative_to(ROOT))
        if raw_path.is_relative_to(ROOT) else str(raw_path),
    }
    if not args.no_record:
        out_json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwritten: {out_json.relative_to(ROOT)} (output of the runs: {raw_path.relative_to(ROOT)})",
              file=sys.stderr)
    else:
        print(f"\noutput of the runs: {raw_path}", file=sys.stderr)
    return 0 if all(r.measure["returncode"] == 0 for r in runs) else 1



def run_all(runs: list[Run], scopes: list[str], peers: list[str], scope_hosts: dict[str, list[str]],
            args: argparse.Namespace, work: Path, raw_path: Path, lab_pid: int, ours_env: dict,
            stock_env: dict) -> None:
    """Every peer of every scope: lab reset, then the cold run and the idempotent run."""
    with open(raw_path, "w", encoding="utf-8") as raw:
        for scope in scopes:
            names = scope_hosts[scope]
            limit_file = work / f"limit-{scope}.txt"
            limit_file.write_text("\n".join(names) + "\n")
            limit = ["--limit", f"@{limit_file}"] if args.hosts else []
            plan = []
            if "ours" in peers:
                playbook = "playbooks/site.yml" if scope == "province" else "playbooks/router.yml"
                plan.append(("ours", [str(VENV_BIN / "ansible-playbook"), "-i", "inventory/lab", playbook, *limit],
                             ours_env, None))
            if "nornir" in peers:
                only = ",".join(CLASSES) if scope == "province" else "routers"
                plan.append(("nornir", [str(VENV_BIN / "python"), "bench/nornir_deploy.py", "-i", "inventory/lab",
                                        "--workers", str(args.forks), "--only", only, *limit],
                             ours_env, work / "nornir.json"))
            if "stock" in peers and scope == "routers":
                plan.append(("stock", [str(STOCK_VENV / "bin" / "ansible-playbook"), "bench/stock/routers.yml",
                                       *limit], stock_env, None))
            for peer, cmd, env, json_out in plan:
                print(gbtt_cli("reset"), file=sys.stderr)
                for phase in ("cold", "idempotent"):
                    argv_run = cmd + (["--json", str(json_out)] if json_out else [])
                    if json_out:
                        json_out.unlink(missing_ok=True)
                    shown = shlex.join([os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in cmd])
                    raw.write(f"\n===== {peer} {scope} {phase}: {shown}\n")
                    raw.flush()
                    start = raw.tell()
                    print(f"[{scope}] {peer} {phase}: {shown}", file=sys.stderr, flush=True)
                    m = measure(["timeout", str(int(args.timeout)), *argv_run], env=env, cwd=ROOT, log=raw,
                                lab_pid=lab_pid)
                    raw.flush()
                    with open(raw_path, encoding="utf-8", errors="replace") as fh:
                        fh.seek(start)
                        output = fh.read()
                    counts = nornir_counts(json_out, len(names)) if json_out else ansible_counts(output)
                    run = Run(peer, scope, phase, len(names), shown, asdict(m), counts)
                    runs.append(run)
                    print(f"  {m.wall_s:.1f} s, CPU {m.cpu_s:.1f} s ({run.cpu_ms_per_device:.0f} ms/device), "
                          f"peak RSS {m.peak_rss_mib:.0f} MiB (tree: RSS {m.peak_tree_rss_mib:.0f} MiB, "
                          f"PSS {m.peak_tree_pss_mib:.0f} MiB, {m.peak_processes} processes), "
                          f"lab CPU {m.lab_cpu_s:.1f} s, drain {m.drain_s:.1f} s, sampler CPU {m.sampler_cpu_s:.1f} s; "
                          f"changed={counts['changed']} ok={counts['ok']} failed={counts['failed']} "
                          f"(exit {m.returncode})", file=sys.stderr, flush=True)

def _find(runs: list[Run], peer: str, scope: str, phase: str) -> Run | None:
    return next((r for r in runs if (r.peer, r.scope, r.phase) == (peer, scope, phase)), None)


def ratios(runs: list[Run]) -> list[dict]:
    """ours / Nornir (both scopes) and stock / ours (routers): wall time and CPU per device."""
    out = []
    for a, b, scopes in (("ours", "nornir", SCOPES), ("stock", "ours", ("routers",))):
        for scope in scopes:
            for phase in ("cold", "idempotent"):
                x, y = _find(runs, a, scope, phase), _find(runs, b, scope, phase)
                if x and y and y.measure["wall_s"] and y.cpu_ms_per_device:
                    out.append({"ratio": f"{a}/{b}", "scope": scope, "phase": phase,
                                "wall": round(x.measure["wall_s"] / y.measure["wall_s"], 2),
                                "cpu": round(x.cpu_ms_per_device / y.cpu_ms_per_device, 2)})
    return out


def markdown(runs: list[Run], started: dt.datetime, took: float, command: str, commit: str) -> str:
    label = {"ours": "gbtt: ansible-playbook", "nornir": "Nornir + gbtt drivers",
             "stock": "stock: template + ios_config"}
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC — deploy, cold and idempotent",
        "",
        f"- machine: {machine()}, {os.cpu_count()} cores",
        f"- commit: {commit}",
        f"- command: `{command}` (took {took / 60:.1f} min)",
        "",
        "| scope | peer | run | devices | wall s | controller CPU s | CPU ms/device "
        "| peak MiB: largest process RSS / tree RSS / tree PSS | processes | lab CPU s | changed / ok / failed |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in runs:
        m = r.measure
        cpu = m["cpu_user_s"] + m["cpu_sys_s"]
        lines.append(f"| {r.scope} | {label[r.peer]} | {r.phase} | {r.devices} | {m['wall_s']:.1f} | {cpu:.1f} "
                     f"| {r.cpu_ms_per_device:.0f} | {m['peak_rss_mib']:.0f} / {m['peak_tree_rss_mib']:.0f} / "
                     f"{m['peak_tree_pss_mib']:.0f} | {m['peak_processes']} | {m['lab_cpu_s']:.1f} | {r.counts['changed']} / {r.counts['ok']} / {r.counts['failed']} |")
    rs = ratios(runs)
    if rs:
        lines += ["", "| ratio | scope | run | wall time | CPU per device |", "| --- | --- | --- | ---: | ---: |"]
        lines += [f"| {x['ratio']} | {x['scope']} | {x['phase']} | {x['wall']:.2f} | {x['cpu']:.2f} |" for x in rs]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
