#!/usr/bin/env python3
"""``gbtt diff`` on the synthetic national inventory (~20,000 hosts), against what a user would
script instead: ``ansible-inventory --list`` of BASE and of HEAD, then a JSON diff of the host
variables (issue 7).

A git repository is made in a temporary folder with the national inventory (``python -m
gbtt.synth``) and the project's templates, committed as BASE; then two HEADs:

* ``one-percent``: the line bandwidth of endpoints changed until 1 % of the hosts are impacted
  (each endpoint's codec, router and its system's MCU);
* ``template``: one line added to the router template (every router is impacted and rendered).

Each is reviewed by ``gbtt diff BASE HEAD --format json`` (cold: an empty registry cache; warm:
the cache of a previous run; and cold with ``--every-source``, which loads the provinces that did
not change too) and by the peer: ``ansible-inventory --list`` in a worktree of each
revision, plus a diff of the two JSON documents' host variables (Python, timed too).

Usage: ``.venv/bin/python bench/diff.py [--hosts-target 20000] [--json OUT]``; the peer takes
minutes at full size (``--no-peer`` to skip it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def sh(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          check=False)


def git(repo: Path, *args: str) -> str:
    proc = sh("git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@invalid", *args)
    if proc.returncode:
        raise SystemExit(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout.strip()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def make_repo(tmp: Path, hosts_target: int) -> tuple[Path, dict[str, str]]:
    repo = tmp / "repo"
    (repo / "inventory").mkdir(parents=True)
    proc = sh(str(BIN / "python"), "-m", "gbtt.synth", "--out", str(repo / "inventory" / "national"),
              "--hosts-target", str(hosts_target))
    if proc.returncode:
        raise SystemExit(proc.stderr)
    shutil.copytree(ROOT / "templates", repo / "templates")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    revs = {"base": git(repo, "rev-parse", "HEAD")}

    # one-percent: bandwidths of endpoints until 1 % of the hosts are impacted
    files = sorted((repo / "inventory" / "national" / "registry").glob("*/endpoints/*.yml"))
    total = sum(1 for _ in (repo / "inventory" / "national" / "registry").glob("*/endpoints/*.yml"))
    budget, impacted, mcus = hosts_target // 100, 0, set()
    for f in files:
        if impacted >= budget:
            break
        text = f.read_text(encoding="utf-8")
        new, n = re.subn(r"bandwidth_kbps: (\d+)", lambda m: f"bandwidth_kbps: {int(m.group(1)) + 512}", text, count=1)
        if n:
            f.write_text(new, encoding="utf-8")
            impacted += 2 + (f.parent.parent.name + f.stem not in mcus)
            mcus.add(f.parent.parent.name + f.stem)
    git(repo, "commit", "-qam", "one percent")
    revs["one-percent"] = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", revs["base"])
    router = repo / "templates" / "router" / "cisco_ios.j2"
    router.write_text(router.read_text(encoding="utf-8").replace("\nhostname ", "\n! reviewed\nhostname ", 1),
                      encoding="utf-8")
    git(repo, "commit", "-qam", "template")
    revs["template"] = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    print(f"national inventory: {total} endpoint files; one-percent changes ~{impacted} hosts", file=sys.stderr)
    return repo, revs


def gbtt_diff(repo: Path, base: str, head: str, cache: Path, *extra: str) -> tuple[float, dict]:
    seconds, proc = timed(lambda: sh(str(BIN / "gbtt"), "diff", base, head, "-i", "inventory/national",
                                     "--format", "json", *extra, cwd=repo, env={"GBTT_CACHE_DIR": str(cache)}))
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gbtt diff failed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    return seconds, {"hosts": len(doc["hosts"]), "diffs": len(doc["diffs"]), "changes": len(doc["changes"]),
                     "sources_not_loaded": len(doc["unchanged_sources"])}


def peer(repo: Path, base: str, head: str, tmp: Path, cache: Path) -> tuple[float, dict]:
    """ansible-inventory --list of each revision (worktrees), then a JSON diff of hostvars."""
    out = {}
    total = 0.0
    docs = []
    for name, rev in (("base", base), ("head", head)):
        tree = tmp / f"wt-{name}-{rev[:8]}"
        if not tree.exists():
            git(repo, "worktree", "add", "-q", "--detach", str(tree), rev)
        seconds, proc = timed(lambda: sh(str(BIN / "ansible-inventory"), "-i", str(tree / "inventory" / "national"),
                                         "--list", env={"GBTT_CACHE_DIR": str(cache), "ANSIBLE_INVENTORY_ENABLED": "gbtt",
                                                        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}))
        if proc.returncode:
            raise SystemExit(f"ansible-inventory failed: {proc.stderr[-2000:]}")
        total += seconds
        out[f"list_{name}_s"] = round(seconds, 2)
        docs.append(json.loads(proc.stdout))
    seconds, changed = timed(lambda: [h for h, v in docs[1]["_meta"]["hostvars"].items()
                                      if docs[0]["_meta"]["hostvars"].get(h) != v])
    out["json_diff_s"] = round(seconds, 2)
    out["hosts_changed"] = len(changed)
    return total + seconds, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts-target", type=int, default=20000)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gbtt-bench-diff-") as t:
        tmp = Path(t)
        repo, revs = make_repo(tmp, args.hosts_target)
        results = []
        for case in ("one-percent", "template"):
            cold_cache = tmp / f"cache-cold-{case}"
            cold, info = gbtt_diff(repo, revs["base"], revs[case], cold_cache)
            warm, _ = gbtt_diff(repo, revs["base"], revs[case], cold_cache)
            every, _ = gbtt_diff(repo, revs["base"], revs[case], tmp / f"cache-every-{case}", "--every-source")
            row = {"case": case, "gbtt_diff_cold_s": round(cold, 2), "gbtt_diff_warm_s": round(warm, 2),
                   "every_source_cold_s": round(every, 2), **info}
            if not args.no_peer and case == "one-percent":
                seconds, extra = peer(repo, revs["base"], revs[case], tmp, tmp / "cache-peer")
                row.update(peer_s=round(seconds, 2), speedup_cold=round(seconds / cold, 1),
                           speedup_every_source=round(seconds / every, 1), **extra)
            results.append(row)
            print(json.dumps(row), file=sys.stderr)
    doc = {"hosts_target": args.hosts_target, "python": sys.version.split()[0], "nproc": os.cpu_count(),
           "results": results}
    text = json.dumps(doc, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
