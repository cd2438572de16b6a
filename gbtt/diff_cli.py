"""``gbtt diff [BASE] [HEAD]``: review a change of the inventory (see :mod:`gbtt.diff`), as text
(coloured on a terminal), Markdown (for a pull request: per-host diffs folded) or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from gbtt import diff as df

_COLOURS = {"add": "\x1b[32m", "del": "\x1b[31m", "head": "\x1b[1m", "hunk": "\x1b[36m", "off": "\x1b[0m"}


def _value(v) -> str:
    return "—" if v is df._MISSING else json.dumps(v, ensure_ascii=False, default=str)


def _summary(r: df.Review) -> str:
    kinds = {k: sum(1 for c in r.changes if c.kind == k) for k in ("added", "removed", "changed")}
    return (f"{kinds['added']} added, {kinds['removed']} removed, {kinds['changed']} changed object(s); "
            f"{len(r.hosts)} host(s) impacted, {len(r.diffs)} configuration(s) differ; "
            f"{len(r.introduced)} finding(s) introduced, {len(r.fixed)} fixed"
            + (f"; {len(r.unchanged_sources)} inventory source(s) unchanged, not loaded" if r.unchanged_sources else ""))


def text(r: df.Review, colour: bool) -> str:
    c = _COLOURS if colour else {k: "" for k in _COLOURS}
    lines = [f"{c['head']}gbtt diff {r.base} → {r.head}{c['off']}"]
    if r.errors:
        lines += [f"{c['del']}errors (exit 2):{c['off']}", *(f"  {e}" for e in r.errors)]
    if r.changes:
        lines.append(f"\n{c['head']}Data{c['off']}")
        for ch in r.changes:
            mark = {"added": c["add"] + "+", "removed": c["del"] + "-", "changed": c["hunk"] + "~"}[ch.kind]
            lines.append(f"  {mark} {ch.what} {ch.id}{c['off']}  ({ch.where})")
            for path, old, new in ch.fields:
                lines.append(f"      {path}: {_value(old)} → {_value(new)}")
    if r.hosts:
        lines.append(f"\n{c['head']}Impacted hosts ({len(r.hosts)}){c['off']}")
        for why, hosts in _by_reason(r).items():
            lines.append(f"  {why}: {_hosts(hosts)}")
    for host, d in r.diffs.items():
        lines.append(f"\n{c['head']}{host}{c['off']}")
        for line in d.splitlines():
            colour = c["add"] if line.startswith("+") else c["del"] if line.startswith("-") else \
                c["hunk"] if line.startswith("@@") else ""
            lines.append(f"{colour}{line}{c['off'] if colour else ''}")
    if r.introduced or r.fixed:
        lines.append(f"\n{c['head']}Findings{c['off']}")
        lines += [f"  {c['del']}introduced{c['off']} {f['severity']}: {f['message']} ({f['where']})" for f in r.introduced]
        lines += [f"  {c['add']}fixed{c['off']} {f['severity']}: {f['message']} ({f['where']})" for f in r.fixed]
    lines.append("\n" + _summary(r))
    return "\n".join(lines) + "\n"


def _by_reason(r: df.Review) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for host, why in r.hosts.items():
        out.setdefault("; ".join(why), []).append(host)
    return out


def _hosts(hosts: list[str], shown: int = 12) -> str:
    more = f" … and {len(hosts) - shown} more" if len(hosts) > shown else ""
    return ", ".join(hosts[:shown]) + more + (f" ({len(hosts)} hosts)" if len(hosts) > 1 else "")


def _md(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(r: df.Review) -> str:
    lines = [f"## gbtt diff `{r.base}` → `{r.head}`", "", f"**{_summary(r)}**", ""]
    if r.errors:
        lines += ["### :x: Errors (HEAD or BASE does not validate)", "", *(f"- {_md(e)}" for e in r.errors), ""]
    if r.introduced or r.fixed:
        lines += ["### Findings", "", "| | severity | finding | where |", "| --- | --- | --- | --- |"]
        lines += [f"| introduced | {f['severity']} | {_md(f['message'])} | `{f['where']}` |" for f in r.introduced]
        lines += [f"| fixed | {f['severity']} | {_md(f['message'])} | `{f['where']}` |" for f in r.fixed]
        lines.append("")
    if r.changes:
        lines += ["### Data", "", "| change | object | field | old | new |", "| --- | --- | --- | --- | --- |"]
        for ch in r.changes:
            if not ch.fields:
                lines.append(f"| {ch.kind} | {ch.what} `{ch.id}` | | | |")
            for path, old, new in ch.fields:
                lines.append(f"| {ch.kind} | {ch.what} `{ch.id}` | `{path}` | {_md(_value(old))} | {_md(_value(new))} |")
        lines.append("")
    if r.hosts:
        lines += [f"### Impacted hosts ({len(r.hosts)})", ""]
        for why, hosts in _by_reason(r).items():
            lines.append(f"- {_md(why)}: {_md(_hosts(hosts))}")
        lines.append("")
    if r.diffs:
        lines += [f"### Rendered configurations that change ({len(r.diffs)})", ""]
        for host, d in r.diffs.items():
            lines += [f"<details><summary><code>{host}</code>: {_md('; '.join(r.hosts.get(host, [])))}</summary>", "",
                      "```diff", d.rstrip("\n"), "```", "", "</details>", ""]
    return "\n".join(lines) + "\n"


def as_json(r: df.Review) -> str:
    return json.dumps({
        "base": r.base, "head": r.head, "exit_code": r.exit_code, "summary": _summary(r), "errors": r.errors,
        "changes": [{"kind": c.kind, "object": c.what, "id": c.id, "where": c.where,
                     "fields": [{"path": p, "old": None if o is df._MISSING else o, "new": None if n is df._MISSING else n}
                                for p, o, n in c.fields]} for c in r.changes],
        "hosts": r.hosts, "diffs": r.diffs, "introduced": r.introduced, "fixed": r.fixed,
        "unchanged_sources": r.unchanged_sources,
    }, ensure_ascii=False, indent=1, default=str) + "\n"


def cmd_diff(args: argparse.Namespace) -> int:
    repo = Path.cwd()
    try:
        if not (args.base and Path(args.base).exists()):
            repo = df.repo_root(Path.cwd())
        base, head = df.sides(args.base, args.head, args.inventory, repo)
        r = df.review(base, head, limit=args.limit, render_configs=not args.no_render,
                      every_source=args.every_source)
    except df.DiffError as exc:
        print(f"gbtt diff: {exc}", file=sys.stderr)
        return 2
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    out = {"text": lambda: text(r, colour), "markdown": lambda: markdown(r), "json": lambda: as_json(r)}[args.format]()
    sys.stdout.write(out)
    return r.exit_code


def add_parser(sub) -> None:
    p = sub.add_parser("diff", help="review a change of the inventory: data, impacted hosts, rendered configs, findings",
                       description="BASE and HEAD: git revisions (default: the merge base with main, and the "
                                   "working tree) or two inventory folders. Exit 0: no change; 1: changes; "
                                   "2: errors (a side does not load or validate).")
    p.add_argument("base", nargs="?", help="git revision or inventory folder (default: merge base with main)")
    p.add_argument("head", nargs="?", help="git revision or inventory folder (default: the working tree)")
    p.add_argument("-i", "--inventory", default="inventory/hagiang",
                   help="the inventory inside the repository, for revisions (default: inventory/hagiang)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--limit", help="only hosts matching these patterns (comma-separated, * ? [])")
    p.add_argument("--no-render", action="store_true", help="do not render configurations (data and hosts only)")
    p.add_argument("--every-source", action="store_true",
                   help="load and validate every inventory source, also those the same on both sides "
                        "(by default a national review loads only the provinces that changed)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.set_defaults(func=cmd_diff)
