#!/usr/bin/env python3
"""Benchmark: load time and peak memory of ``ansible-inventory --list``.

Two inventories, each read two ways in the same run:

* ``hagiang`` – the province (``inventory/hagiang/hagiang.gbtt.yml``), or the miniature test
  province ``tests/fixtures/mini`` while the Hà Giang registry is not there (or not valid) yet;
* ``national`` – a synthetic national-scale inventory (63 provinces, ~20,000 hosts) written by
  :mod:`gbtt.synth` into a temporary folder;

and each of them through

* the gbtt inventory plugin, **cold** (empty ``$GBTT_CACHE_DIR``: YAML, schema and rules) and
  **warm** (the content-hash cache filled by a previous run), and
* Ansible's plain YAML inventory plugin reading one file that holds the same hosts, groups,
  group variables and host variables (written from :func:`gbtt.inventory.build`, with the
  same ``group_vars`` beside it).

Every measurement is one ``ansible-inventory -i SOURCE --list > /dev/null`` subprocess:
wall time and peak RSS from ``/usr/bin/time -f '%e %M'``, or, without it, from a fresh child
Python that runs the command and reads ``getrusage(RUSAGE_CHILDREN)``.  Before measuring,
the two readings of the small inventory are compared (``ansible-inventory --list`` JSON of
each: same hosts, same groups with the same hosts and children, same host variables), so
the comparison is between equivalent inventories.

The plain YAML national inventory takes minutes to load: it is measured once whatever
``--repeat`` says, and ``--skip-plain-national`` leaves it out.

Usage (from the repository root, with the project's Python)::

    python bench/inventory_load.py [--sizes hagiang,national] [--repeat N] [--skip-plain-national]

The results are printed as a markdown table and appended to
``bench/results/inventory_load.md`` with the date, the machine and the command line.
Needs no network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gbtt import __version__ as GBTT_VERSION  # noqa: E402
from gbtt import inventory as gbtt_inventory  # noqa: E402
from gbtt import registry as gbtt_registry  # noqa: E402
from gbtt import synth  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "inventory_load.md"
HAGIANG = ROOT / "inventory" / "hagiang" / "hagiang.gbtt.yml"
MINI = ROOT / "tests" / "fixtures" / "mini"
IGNORE_REGEX = r"^registr(y|ies)$"


# =========================================================================================
# The plain YAML inventory equivalent to what the plugin builds
# =========================================================================================

def merged_inventory(sources: list[gbtt_registry.Source]) -> gbtt_inventory.InventoryData:
    """What the plugin adds to Ansible's inventory for these sources, in the order Ansible reads them."""
    out = gbtt_inventory.InventoryData()
    for source in sources:
        result = gbtt_registry.load(source, use_cache=False)
        if not result.ok:
            raise SystemExit(f"{source.config}: invalid registry ({result.report.summary()})")
        data = gbtt_inventory.build(result.registry)
        for name, g in data.groups.items():
            mine = out.group(name)
            mine.hosts.extend(g.hosts)
            mine.children.extend(g.children)
            mine.vars.update(g.vars)
        for host, hv in data.hostvars.items():
            if host in out.hostvars:
                raise SystemExit(f"host {host} is defined by two sources")
            out.hostvars[host] = hv
    return out


def plain_yaml(data: gbtt_inventory.InventoryData) -> dict:
    """One Ansible YAML inventory: every group at the top level (Ansible makes the parentless ones
    children of ``all``, as it does for the plugin), each host's variables written once, in the
    first group that lists it, and the host named without variables everywhere else."""
    out: dict = {}
    placed: set[str] = set()
    # hosts get their variables in their system group (every host is in exactly one)
    order = sorted(data.groups, key=lambda n: (not n.startswith("sys_"),))
    for name in order:
        g = data.groups[name]
        entry: dict = {}
        if g.hosts:
            hosts: dict = {}
            for h in g.hosts:
                if h in hosts:
                    continue
                if h not in placed:
                    hosts[h] = data.hostvars[h]
                    placed.add(h)
                else:
                    hosts[h] = None
            entry["hosts"] = hosts
        if g.children:
            entry["children"] = {c: None for c in dict.fromkeys(g.children)}
        if g.vars:
            entry["vars"] = g.vars
        out[name] = entry or None
    missing = set(data.hostvars) - placed
    if missing:
        out.setdefault("ungrouped", {"hosts": {}})["hosts"].update({h: data.hostvars[h] for h in sorted(missing)})
    # keep the plugin's group order (group creation order affects nothing but output order)
    return {name: out[name] for name in list(data.groups) + (["ungrouped"] if missing else [])}


def write_plain(data: gbtt_inventory.InventoryData, path: Path) -> None:
    import yaml
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("---\n# Plain Ansible YAML inventory written by bench/inventory_load.py from gbtt.inventory.build()\n")
        yaml.dump(plain_yaml(data), fh, Dumper=dumper, allow_unicode=True, default_flow_style=False,
                  sort_keys=False, width=4096)


_SCRIPT = """#!{python}
# Ansible script inventory written by bench/inventory_load.py: prints {json_name} beside it.
import json, pathlib, sys
if len(sys.argv) > 1 and sys.argv[1] == "--host":
    print("{{}}")
else:
    sys.stdout.write((pathlib.Path(__file__).parent / "{json_name}").read_text(encoding="utf-8"))
"""


def write_script(data: gbtt_inventory.InventoryData, path: Path) -> Path:
    """An executable script inventory (Ansible's script plugin) printing the same inventory as JSON:
    the cheapest way to hand Ansible these hosts, groups and variables, so the floor of the comparison."""
    doc: dict = {}
    for name, g in data.groups.items():
        entry: dict = {}
        if g.hosts:
            entry["hosts"] = list(dict.fromkeys(g.hosts))
        if g.children:
            entry["children"] = list(dict.fromkeys(g.children))
        if g.vars:
            entry["vars"] = g.vars
        doc[name] = entry
    doc["_meta"] = {"hostvars": data.hostvars}
    json_path = path.with_suffix(".json")
    json_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    path.write_text(_SCRIPT.format(python=sys.executable, json_name=json_path.name), encoding="utf-8")
    path.chmod(0o755)
    return json_path


# =========================================================================================
# Running ansible-inventory
# =========================================================================================

def ansible_inventory_bin() -> str:
    beside = Path(sys.executable).parent / "ansible-inventory"
    return str(beside) if beside.exists() else (shutil.which("ansible-inventory") or "ansible-inventory")


def ansible_env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])),
        "ANSIBLE_INVENTORY_PLUGINS": str(ROOT / "plugins" / "inventory"),
        "ANSIBLE_INVENTORY_ENABLED": "gbtt,yaml,script,ini,auto,host_list",
        "ANSIBLE_INVENTORY_IGNORE_REGEX": IGNORE_REGEX,
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "GBTT_CACHE_DIR": str(cache_dir),
    })
    if (ROOT / "ansible.cfg").is_file():
        env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    return env


_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

_RUSAGE_CHILD = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t
print(f"{wall:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {rc}", file=sys.stderr)
"""


@dataclass
class Run:
    wall: float
    rss_kib: int


def measure(args: list[str], env: dict[str, str]) -> Run:
    """One ``ansible-inventory`` run, stdout to /dev/null: wall seconds and peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        if _TIME:
            cmd = [_TIME, "-f", "%e %M", "-o", tf.name] + args
        else:
            cmd = [sys.executable, "-c", _RUSAGE_CHILD] + args
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, check=False)
        wall = time.perf_counter() - t0
        if _TIME:
            lines = [ln for ln in Path(tf.name).read_text().splitlines() if ln.strip()]
            rc = proc.returncode
        else:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            rc = int(lines[-1].split()[2]) if lines else proc.returncode
        if rc != 0:
            raise SystemExit(f"failed ({rc}): {shlex.join(args)}\n{proc.stderr[-3000:]}")
        _, rss = lines[-1].split()[:2]
    return Run(wall, int(rss))


def inventory_json(source: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([ansible_inventory_bin(), "-i", str(source), "--list"], env=env, capture_output=True,
                          text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"ansible-inventory -i {source} --list failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def _plain_value(value):
    """Drop Ansible's ``{"__ansible_unsafe": …}`` wrappers: a plugin's strings are marked unsafe
    (never templated), the YAML inventory's are trusted templates; the values are the same."""
    if isinstance(value, dict):
        if len(value) == 1 and "__ansible_unsafe" in value:
            return value["__ansible_unsafe"]
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return value


def compare(a: dict, b: dict) -> list[str]:
    """Differences between two ``ansible-inventory --list`` outputs (hosts, groups, host variables)."""
    diffs = []
    ga = {k: v for k, v in a.items() if k != "_meta"}
    gb = {k: v for k, v in b.items() if k != "_meta"}
    if set(ga) != set(gb):
        diffs.append(f"groups only in gbtt: {sorted(set(ga) - set(gb))[:5]}, only in plain: {sorted(set(gb) - set(ga))[:5]}")
    for name in sorted(set(ga) & set(gb)):
        for key in ("hosts", "children"):
            x, y = sorted(ga[name].get(key, [])), sorted(gb[name].get(key, []))
            if x != y:
                diffs.append(f"group {name}: {key} differ ({len(x)} vs {len(y)})")
    ha = a.get("_meta", {}).get("hostvars", {})
    hb = b.get("_meta", {}).get("hostvars", {})
    if set(ha) != set(hb):
        diffs.append(f"hosts differ: {len(ha)} vs {len(hb)}")
    for host in sorted(set(ha) & set(hb)):
        if _plain_value(ha[host]) != _plain_value(hb[host]):
            keys = sorted(k for k in set(ha[host]) | set(hb[host])
                          if _plain_value(ha[host].get(k)) != _plain_value(hb[host].get(k)))
            diffs.append(f"host {host}: variables differ ({', '.join(keys[:5])})")
            if len(diffs) > 20:
                break
    return diffs


# =========================================================================================
# The benchmark
# =========================================================================================

@dataclass
class Case:
    name: str
    note: str
    gbtt_source: Path                # file or folder given to -i
    sources: list                    # gbtt Source objects behind it
    plain_dir: Path                  # where the plain YAML inventory is written
    hosts: int = 0
    groups: int = 0
    rows: list = field(default_factory=list)


def hagiang_case(work: Path) -> Case:
    src, note = HAGIANG, "inventory/hagiang"
    try:
        sources = gbtt_registry.find_sources(src)
        res = gbtt_registry.load(sources[0], use_cache=False)
        if not res.ok or not res.registry.systems:
            raise gbtt_registry.SourceError(res.report.summary())
    except (gbtt_registry.SourceError, OSError) as exc:
        folder = work / "mini"
        folder.mkdir(parents=True, exist_ok=True)
        src = folder / "mini.gbtt.yml"
        src.write_text(f"plugin: gbtt\nregistry: {MINI}\nsecrets: plain\n", encoding="utf-8")
        sources = gbtt_registry.find_sources(src)
        note = f"tests/fixtures/mini (inventory/hagiang not usable yet: {str(exc).splitlines()[0][:80]})"
    return Case("hagiang", note, src, sources, work / "plain-hagiang")


def national_case(work: Path, provinces: int, seed: int, hosts_target: int) -> Case:
    out = work / "national"
    t0 = time.perf_counter()
    totals = synth.generate(out, provinces, seed, hosts_target)
    took = time.perf_counter() - t0
    note = (f"gbtt.synth --provinces {provinces} --seed {seed} --hosts-target {hosts_target}: "
            f"{totals['provinces']} provinces, {totals['districts']} districts, {totals['communes']} communes, "
            f"{totals['endpoints']} endpoints, {totals['hosts']} hosts (generated in {took:.1f} s)")
    return Case("national", note, out, gbtt_registry.find_sources(out), work / "plain-national")


def prepare_plain(case: Case) -> tuple[Path, Path]:
    data = merged_inventory(case.sources)
    case.hosts, case.groups = len(data.hostvars), len(data.groups)
    case.plain_dir.mkdir(parents=True, exist_ok=True)
    # the same group_vars/host_vars as beside the gbtt source
    src_dir = case.gbtt_source if case.gbtt_source.is_dir() else case.gbtt_source.parent
    for sub in ("group_vars", "host_vars"):
        if (src_dir / sub).is_dir():
            shutil.copytree(src_dir / sub, case.plain_dir / sub, dirs_exist_ok=True)
    path = case.plain_dir / f"{case.name}.yml"
    t0 = time.perf_counter()
    write_plain(data, path)
    print(f"  wrote {path.name}: {case.hosts} hosts, {case.groups} groups, "
          f"{path.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    script_dir = case.plain_dir.parent / f"script-{case.name}"
    script_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("group_vars", "host_vars"):
        if (src_dir / sub).is_dir():
            shutil.copytree(src_dir / sub, script_dir / sub, dirs_exist_ok=True)
    script = script_dir / f"{case.name}.py"
    write_script(data, script)
    return path, script


def summarize(runs: list[Run]) -> tuple[str, str]:
    walls = [r.wall for r in runs]
    rss = [r.rss_kib / 1024 for r in runs]
    if len(runs) == 1:
        return f"{walls[0]:.2f}", f"{rss[0]:.0f}"
    return (f"{statistics.median(walls):.2f} ({min(walls):.2f}–{max(walls):.2f})",
            f"{statistics.median(rss):.0f} (max {max(rss):.0f})")


_GBTT_ONLY = r"""
import sys
from pathlib import Path
from gbtt import inventory, registry
for source in registry.find_sources(Path(sys.argv[1])):
    result = registry.load(source)
    assert result.ok, result.report.summary()
    inventory.build(result.registry)
"""


def bench_gbtt_only(case: Case, repeat: int, work: Path, src_label: str) -> None:
    """gbtt's own share: registry load (cold: YAML, schema, rules; warm: the cache) and the build of
    groups and variables, in a Python process without Ansible's inventory."""
    cmd = [sys.executable, "-c", _GBTT_ONLY, str(case.gbtt_source)]
    cold = []
    for i in range(repeat):
        cold.append(measure(cmd, ansible_env(Path(tempfile.mkdtemp(prefix="gcold-", dir=work)))))
    env = ansible_env(Path(tempfile.mkdtemp(prefix="gwarm-", dir=work)))
    measure(cmd, env)
    warm = [measure(cmd, env) for _ in range(repeat)]
    print(f"  gbtt load+build: cold {cold[0].wall:.2f} s, warm {warm[0].wall:.2f} s", file=sys.stderr)
    case.rows.append(("gbtt load + build only, cold cache", f"`{src_label}`", len(cold), *summarize(cold),
                      "Python, no Ansible: YAML, schema, rules, groups and variables"))
    case.rows.append(("gbtt load + build only, warm cache", f"`{src_label}`", len(warm), *summarize(warm),
                      "Python, no Ansible: cache read, groups and variables"))


def bench_case(case: Case, repeat: int, plain: bool, work: Path, modes: list[str]) -> None:
    inv = ansible_inventory_bin()
    print(f"[{case.name}] {case.note}", file=sys.stderr)
    plain_path, script_path = prepare_plain(case)
    n_sources = len(case.sources)
    src_label = os.path.relpath(case.gbtt_source, work) if str(case.gbtt_source).startswith(str(work)) \
        else os.path.relpath(case.gbtt_source, ROOT)
    bench_gbtt_only(case, repeat, work, src_label)
    for mode in modes:
        flag = f"--{mode}"
        tag = "" if mode == "list" else f", `{flag}`"
        # cold: a fresh, empty cache for every run
        cold = []
        for i in range(repeat):
            cache = Path(tempfile.mkdtemp(prefix=f"cold-{case.name}-", dir=work))
            cold.append(measure([inv, "-i", str(case.gbtt_source), flag], ansible_env(cache)))
            print(f"  gbtt cold {flag} #{i + 1}: {cold[-1].wall:.2f} s, {cold[-1].rss_kib / 1024:.0f} MiB",
                  file=sys.stderr)
        # warm: one run fills the cache, then the measured runs read it
        cache = Path(tempfile.mkdtemp(prefix=f"warm-{case.name}-", dir=work))
        env = ansible_env(cache)
        measure([inv, "-i", str(case.gbtt_source), "--graph"], env)
        cached = len(list(cache.glob("registry-*.pickle")))
        warm = []
        for i in range(repeat):
            warm.append(measure([inv, "-i", str(case.gbtt_source), flag], env))
            print(f"  gbtt warm {flag} #{i + 1}: {warm[-1].wall:.2f} s, {warm[-1].rss_kib / 1024:.0f} MiB",
                  file=sys.stderr)
        warm_note = f"{cached}/{n_sources} sources in cache"
        if cached < n_sources:
            warm_note += " (**the cache evicted entries: partly cold**)"
        case.rows.append((f"gbtt plugin, cold cache{tag}",
                          f"`{src_label}` ({n_sources} source{'s' * (n_sources > 1)})",
                          len(cold), *summarize(cold), "empty $GBTT_CACHE_DIR each run"))
        case.rows.append((f"gbtt plugin, warm cache{tag}", f"`{src_label}`", len(warm), *summarize(warm), warm_note))
        if plain:
            runs = []
            n = 1 if case.name == "national" else repeat
            env = ansible_env(Path(tempfile.mkdtemp(prefix="unused-", dir=work)))
            for i in range(n):
                runs.append(measure([inv, "-i", str(plain_path), flag], env))
                print(f"  plain YAML {flag} #{i + 1}: {runs[-1].wall:.2f} s, {runs[-1].rss_kib / 1024:.0f} MiB",
                      file=sys.stderr)
            size = plain_path.stat().st_size / 2**20
            case.rows.append((f"plain YAML inventory{tag}", f"`{plain_path.name}` ({size:.1f} MiB)", len(runs),
                              *summarize(runs), "yaml plugin, same hosts/groups/vars"))
        else:
            case.rows.append((f"plain YAML inventory{tag}", f"`{plain_path.name}`", 0, "skipped", "–",
                              "--skip-plain-national"))
        runs = []
        env = ansible_env(Path(tempfile.mkdtemp(prefix="unused-", dir=work)))
        for i in range(repeat):
            runs.append(measure([inv, "-i", str(script_path), flag], env))
            print(f"  JSON script {flag} #{i + 1}: {runs[-1].wall:.2f} s, {runs[-1].rss_kib / 1024:.0f} MiB",
                  file=sys.stderr)
        size = script_path.with_suffix(".json").stat().st_size / 2**20
        case.rows.append((f"JSON script inventory{tag}", f"`{script_path.name}` ({size:.1f} MiB JSON)", len(runs),
                          *summarize(runs), "script plugin, same hosts/groups/vars: Ansible's floor"))


def verify(case: Case, work: Path) -> str:
    """Compare the two readings of ``case`` through ansible-inventory --list."""
    env = ansible_env(Path(tempfile.mkdtemp(prefix="verify-", dir=work)))
    plain_path = case.plain_dir / f"{case.name}.yml"
    a = inventory_json(case.gbtt_source, env)
    b = inventory_json(plain_path, env)
    diffs = compare(a, b)
    c = inventory_json(plain_path.parent.parent / f"script-{case.name}" / f"{case.name}.py", env)
    diffs += [f"script: {d}" for d in compare(a, c)]
    hosts = len(a.get("_meta", {}).get("hostvars", {}))
    groups = len([k for k in a if k != "_meta"])
    if diffs:
        return f"**NOT equivalent** ({hosts} hosts, {groups} groups): " + "; ".join(diffs[:5])
    return (f"equivalent: same {hosts} hosts, {groups} groups (same hosts and children) and host variables "
            "in the three `ansible-inventory --list` outputs (gbtt, plain YAML, JSON script) (strings compared without Ansible's unsafe marking)")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:
        ansible_version = "?"
    try:
        import ruamel.yaml
        ruamel = f", ruamel.yaml {ruamel.yaml.__version__}"
        try:
            import _ruamel_yaml  # noqa: F401
            ruamel += " (+clib)"
        except ImportError:
            pass
    except ImportError:
        ruamel = ""
    return (f"nproc {os.cpu_count()}, {cpu}{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; ansible-core {ansible_version}{ruamel}; gbtt {GBTT_VERSION}")


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def table(cases: list[Case]) -> str:
    out = ["| inventory | hosts | groups | read by | source | runs | wall s (median, range) | peak RSS MiB | note |",
           "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | --- |"]
    for c in cases:
        for how, src, n, wall, rss, note in c.rows:
            out.append(f"| {c.name} | {c.hosts} | {c.groups} | {how} | {src} | {n} | {wall} | {rss} | {note} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="hagiang,national", help="comma-separated: hagiang, national")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (plain national: always 1)")
    ap.add_argument("--skip-plain-national", action="store_true",
                    help="do not load the plain YAML national inventory (minutes)")
    ap.add_argument("--provinces", type=int, default=synth.DEFAULT_PROVINCES)
    ap.add_argument("--hosts-target", type=int, default=synth.DEFAULT_HOSTS)
    ap.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    ap.add_argument("--graph", action="store_true",
                    help="also measure `ansible-inventory --graph` (the load without serializing host variables)")
    ap.add_argument("--verify-national", action="store_true",
                    help="also compare the two national readings through ansible-inventory --list (minutes)")
    ap.add_argument("--workdir", type=Path, help="keep the generated inventories here (default: a temporary folder)")
    ap.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not sizes or any(s not in ("hagiang", "national") for s in sizes):
        ap.error("--sizes takes hagiang and/or national")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    command = shlex.join([os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT))
                          else sys.executable, *sys.argv])
    started = dt.datetime.now(dt.timezone.utc)
    commit = git_rev()  # at the start: the code every measured process imports
    tmp = None
    if args.workdir:
        work = args.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="gbtt-bench-")
        work = Path(tmp.name)
    try:
        cases, notes = [], []
        for size in sizes:
            case = hagiang_case(work) if size == "hagiang" else national_case(
                work, args.provinces, args.seed, args.hosts_target)
            plain = not (size == "national" and args.skip_plain_national)
            bench_case(case, args.repeat, plain, work, ["list"] + (["graph"] if args.graph else []))
            if size == "hagiang" or args.verify_national:
                result = verify(case, work)
                print(f"  {result}", file=sys.stderr)
                notes.append(f"Equivalence ({case.name}): {result}.")
            cases.append(case)
            notes.append(f"{case.name}: {case.note}.")
    finally:
        if tmp is not None:
            tmp.cleanup()

    took = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    md = table(cases)
    timer = "/usr/bin/time -f '%e %M'" if _TIME else "getrusage(RUSAGE_CHILDREN) in a fresh child process"
    report = "\n".join([
        f"## {started:%Y-%m-%d %H:%M} UTC — `ansible-inventory --list` load time and peak memory",
        "",
        f"- machine: {machine()}",
        f"- commit: {commit}",
        f"- command: `{command}` (took {took / 60:.1f} min)",
        f"- measured: `ansible-inventory -i SOURCE --list > /dev/null`"
        + (" (and `--graph`: the same load without serializing host variables)" if args.graph else "")
        + f", one subprocess per run, with {timer}; plugins from `plugins/inventory`, "
        f"`ANSIBLE_INVENTORY_ENABLED=gbtt,yaml,script,ini,auto,host_list`, `ANSIBLE_INVENTORY_IGNORE_REGEX={IGNORE_REGEX}`",
        *[f"- {n}" for n in notes],
        "",
        md,
        "",
    ])
    print(report)
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        new = not RESULTS.exists()
        with open(RESULTS, "a", encoding="utf-8") as fh:
            if new:
                fh.write("# Inventory load benchmark\n\nAppended by `bench/inventory_load.py` (see its docstring). "
                         "Newest last.\n\n")
            fh.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
