#!/usr/bin/env python3
"""The Nornir peer of ``playbooks/site.yml``: the same deploy, with the same drivers, from Nornir.

What a Nornir user would write to deploy the province with gbtt's Python API instead of
Ansible (issue 4's peer, run by ``bench/deploy.py``):

* hosts and their variables from the same registry, as the action plugins see them
  (:func:`gbtt.hostvars.load_hosts`: only whole-value references to other variables are
  resolved in ``group_vars``);
* one Nornir 3 task per host that calls :func:`gbtt.deploy.deploy` with the variables the
  ``gbtt_deploy`` action plugin passes (:func:`gbtt.deploy.task_variables`), the same backup
  folder, audit log and confirm timeout as the roles' defaults;
* Nornir's threaded runner with ``num_workers`` = Ansible's ``forks`` (20), routers first, then
  MCUs, then codecs, as ``site.yml``;
* at the end, what Nornir's ``print_result`` would say, as counts: changed, ok (in sync),
  failed per class, and one line per failed host.

Usage (from the repository root, the lab up)::

    .venv/bin/python bench/nornir_deploy.py [-i inventory/lab] [--workers 20]
        [--only routers,mcus,codecs] [--limit HOST,HOST|@FILE] [--check] [--json OUT]

Needs ``nornir`` (``pip install -c constraints.txt -e '.[bench]'``, or ``make bench-peers``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nornir.core import Nornir  # noqa: E402
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups  # noqa: E402
from nornir.core.task import Result, Task  # noqa: E402
from nornir.plugins.runners import ThreadedRunner  # noqa: E402

from gbtt import deploy as gbtt_deploy  # noqa: E402
from gbtt import inventory as gbtt_inventory  # noqa: E402
from gbtt import hostvars  # noqa: E402

#: site.yml's order: the path to the MCU, the MCU, then the codecs that register to it
ORDER = ("routers", "mcus", "codecs")
#: the roles' defaults (roles/*/defaults/main.yml, playbooks/group_vars/all.yml)
BACKUP_DIR = ROOT / ".gbtt" / "backups"
AUDIT_LOG = ROOT / ".gbtt" / "audit.log"
CONFIRM_TIMEOUT = 300


def load_hosts(inventory: Path) -> dict[str, dict]:
    try:
        return hostvars.load_hosts(inventory)
    except hostvars.HostVarsError as exc:
        raise SystemExit(str(exc)) from None


def make_nornir(hosts: dict[str, dict], workers: int) -> Nornir:
    groups = Groups()
    for name in ORDER:
        groups[name] = Group(name)
    inv_hosts = Hosts()
    for name, variables in hosts.items():
        cls = gbtt_inventory.CLASS_GROUPS[variables["gbtt_device_class"]]
        inv_hosts[name] = Host(name, hostname=variables["ansible_host"], port=variables.get("ansible_port"),
                               platform=variables["gbtt_platform"], groups=ParentGroups([groups[cls]]),
                               data=variables)
    inventory = Inventory(hosts=inv_hosts, groups=groups, defaults=Defaults())
    return Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))


def gbtt_deploy_task(task: Task, check: bool, backup_dir: Path, audit_log: Path, confirm_timeout: int) -> Result:
    """One host: :func:`gbtt.deploy.deploy`, as the gbtt_deploy action plugin calls it."""
    out = gbtt_deploy.deploy(task.host.name, dict(task.host.data), check=check, confirm_timeout=confirm_timeout,
                             backup_dir=backup_dir, audit_log=audit_log, user="nornir-bench")
    return Result(host=task.host, changed=out.changed, failed=out.failed, result=out.message,
                  diff=out.diff if check else "")


def parse_limit(limit: str | None) -> set[str] | None:
    if not limit:
        return None
    text = Path(limit[1:]).read_text() if limit.startswith("@") else limit.replace(",", "\n")
    return {line.strip() for line in text.splitlines() if line.strip()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-i", "--inventory", default=str(ROOT / "inventory" / "lab"))
    ap.add_argument("--workers", type=int, default=20, help="Nornir num_workers (Ansible's forks: 20)")
    ap.add_argument("--only", default=",".join(ORDER), help="device classes, in site.yml order: routers,mcus,codecs")
    ap.add_argument("--limit", help="host names, comma-separated, or @FILE with one per line")
    ap.add_argument("--check", action="store_true", help="compare only (Ansible's --check)")
    ap.add_argument("--json", help="write the per-class counts and failed hosts here")
    args = ap.parse_args(argv)
    classes = [c.strip() for c in args.only.split(",") if c.strip()]
    if set(classes) - set(ORDER):
        ap.error(f"--only: classes are {', '.join(ORDER)}")
    t0 = time.perf_counter()
    hosts = load_hosts(Path(args.inventory))
    limit = parse_limit(args.limit)
    if limit is not None:
        unknown = limit - set(hosts)
        if unknown:
            ap.error(f"--limit: unknown host(s): {', '.join(sorted(unknown)[:5])}")
        hosts = {h: v for h, v in hosts.items() if h in limit}
    nr = make_nornir(hosts, args.workers)
    gbtt_deploy.preload_drivers()   # as the action plugin does, before the workers start
    loaded = time.perf_counter() - t0
    summary: dict = {"workers": args.workers, "inventory_s": round(loaded, 3), "classes": {}, "failed_hosts": {}}
    totals = {"hosts": 0, "changed": 0, "ok": 0, "failed": 0}
    for cls in ORDER:
        if cls not in classes:
            continue
        subset = nr.filter(filter_func=lambda h, c=cls: c in h.groups)
        if not subset.inventory.hosts:
            continue
        t1 = time.perf_counter()
        results = subset.run(task=gbtt_deploy_task, name=f"gbtt_deploy {cls}", check=args.check,
                             backup_dir=BACKUP_DIR, audit_log=AUDIT_LOG, confirm_timeout=CONFIRM_TIMEOUT)
        counts = {"hosts": len(results), "changed": 0, "ok": 0, "failed": 0, "wall_s": 0.0}
        for host, multi in results.items():
            r = multi[0]
            if multi.failed:
                counts["failed"] += 1
                summary["failed_hosts"][host] = str(r.result or r.exception)[-500:]
            elif r.changed:
                counts["changed"] += 1
            else:
                counts["ok"] += 1
        counts["wall_s"] = round(time.perf_counter() - t1, 2)
        summary["classes"][cls] = counts
        for k in totals:
            totals[k] += counts[k]
        print(f"gbtt_deploy {cls}: {counts['hosts']} hosts, changed={counts['changed']} ok={counts['ok']} "
              f"failed={counts['failed']} in {counts['wall_s']:.1f} s", flush=True)
    summary["totals"] = totals
    summary["wall_s"] = round(time.perf_counter() - t0, 2)
    # print_result's gist: per host its task's outcome; counts here, and every failure in full
    for host, message in sorted(summary["failed_hosts"].items()):
        print(f"FAILED {host}: {message}")
    print(f"RECAP hosts={totals['hosts']} changed={totals['changed']} ok={totals['ok']} failed={totals['failed']} "
          f"(num_workers={args.workers}, {summary['wall_s']:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
