"""The drift report: which devices differ from their intended configuration, and how.

Art. 3.3 of the regulation forbids changing the systems without authorisation; a device whose
configuration differs from what the registry renders was changed outside gbtt (or not yet
deployed).  ``playbooks/drift.yml`` compares every device in check mode and hands the results
here; the report is written as JSON (for tools) and Markdown (for people).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path


def report(results: dict[str, dict], when: dt.datetime | None = None, interconnects: list[dict] | None = None
           ) -> dict:
    """``results``: host -> the gbtt_deploy result of a check-mode run; ``interconnects``: the
    ``state: report`` result of gbtt_interconnect (is each link up, may it be: Art. 4.2)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    hosts = []
    for host in sorted(results):
        r = results[host] or {}
        if r.get("failed") or r.get("unreachable"):
            state = "unreachable" if r.get("unreachable") else "failed"
        elif r.get("skipped"):
            state = "skipped"
        else:
            state = "drift" if r.get("changed") else "in sync"
        hosts.append({"host": host, "state": state, "message": r.get("msg", ""), "diff": r.get("drift", "")})
    counts: dict[str, int] = {}
    for h in hosts:
        counts[h["state"]] = counts.get(h["state"], 0) + 1
    links = list(interconnects or [])
    findings = sum(1 for x in links if x.get("finding"))
    if findings:
        counts["interconnect finding"] = findings
    return {"generated": when.isoformat(timespec="seconds"), "counts": counts, "hosts": hosts,
            "interconnects": links}


def markdown(doc: dict) -> str:
    lines = [f"# Drift report, {doc['generated']}", "",
             "Devices compared with the configuration the registry renders for them (check mode: "
             "nothing was written).", "",
             "| state | devices |", "| --- | ---: |",
             *[f"| {state} | {n} |" for state, n in sorted(doc["counts"].items())], ""]
    links = doc.get("interconnects") or []
    if links:
        lines += ["## Interconnects (Art. 4.2)", "",
                  "| interconnect | hub → spokes | up | approval | valid until | finding |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for x in links:
            up = {True: "up", False: "down", None: "unknown: " + x.get("error", "")}[x["up"]]
            approval = x["approval"] or ("none valid: " + x.get("reason", "") if not x["approved"] else "")
            lines.append(f"| {x['interconnect']} | {x['hub']} → {', '.join(x['spokes'])} | {up} | {approval} | "
                         f"{x.get('valid_until') or ''} | {x.get('finding') or ''} |")
        lines.append("")
    for h in doc["hosts"]:
        if h["state"] == "in sync":
            continue
        lines += [f"## {h['host']}: {h['state']}", "", h["message"], ""]
        if h["diff"]:
            lines += ["```diff", h["diff"].rstrip("\n"), "```", ""]
    return "\n".join(lines)


def write(doc: dict, json_path: Path | None, markdown_path: Path | None, history: Path | None = None) -> None:
    """The report as JSON and Markdown (replaced each run), and a copy kept in ``history``
    (``<time>.json``, one per run: the six-monthly report reads the drift of its period there)."""
    kept = None
    if history is not None:
        stamp = dt.datetime.fromisoformat(doc["generated"]).astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = history / f"{stamp}.json"
    for path, text in ((json_path, json.dumps(doc, ensure_ascii=False, indent=1)),
                       (markdown_path, markdown(doc)), (kept, json.dumps(doc, ensure_ascii=False, indent=1))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")


def history(folder: Path, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The drift reports kept in ``folder`` generated from ``start`` to ``end`` (excluded), oldest first."""
    out = []
    for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if start <= dt.datetime.fromisoformat(doc["generated"]) < end:
            out.append(doc)
    return out
