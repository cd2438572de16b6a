#!/usr/bin/env python3
"""The floor of a deploy (issue 10): the controller CPU a device needs at the least, measured on
the lab, next to what gbtt's drivers spend on the same devices.

A deploy cannot cost less than the device's own exchange (the SSH or TLS handshake, the login,
the commands or API calls that read and change the device) plus rendering its intended
configuration.  This measures that exchange with the leanest client there is, replaying what a
gbtt deploy sent:

1. With the province lab (``inventory/lab``) on its factory configurations, ``--per-class``
   devices of each class (routers, MCUs, codecs) are deployed in this process, one after the
   other, with :func:`gbtt.deploy.deploy` (cold), then again (idempotent): CPU per device of
   gbtt's drivers (render, NAPALM/netmiko/requests, compare, backup, commit-confirm, health).
2. The lab's request log of those runs holds every line each shell read and every SCP upload;
   the HTTPS requests (method, path, body) are recorded in this process as the driver sends them.
3. After ``gbtt lab reset``, the same exchanges are replayed by one asyncio process with
   AsyncSSH (a connection per logged login, password authentication, the device's own host
   key, a shell that writes each logged line and reads its answer, SCP of a file of the logged
   size) and ``http.client`` (one keep-alive TLS connection per MCU, the recorded requests), and
   the CPU of this process is measured.  The handshake alone (AsyncSSH connect and login; for an
   MCU, TLS and one request) is measured the same way.  A reply's end is the moment the device goes quiet, so
   the replay waits (wall time) but does not poll (CPU).
4. The render of each sampled device's intended configuration is timed alone (the IOS type 9
   scrypt hashes are most of it on a router).

Two floors per class: the issue's, handshake + render, and the same exchange as gbtt's, replayed:
replay CPU + render CPU.  The result, per class and for the province's mix, goes
to ``bench/results/floor-<date>.json``; ``bench/scale.py`` sets its per-device figures next to
it.

Usage (from the repository root; the province lab is started if needed and left as found; it
ends on its factory configurations)::

    .venv/bin/python bench/floor.py [--per-class 40]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import os
import re
import ssl
import sys
import tempfile
import time
from base64 import b64encode
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import asyncssh  # noqa: E402

from gbtt import deploy as gbtt_deploy  # noqa: E402
from gbtt import hostvars, render  # noqa: E402
from gbtt import inventory as gbtt_inventory  # noqa: E402
import lab_scale  # noqa: E402
from inventory_load import machine  # noqa: E402

LAB = ROOT / "inventory" / "lab"
RESULTS = ROOT / "bench" / "results"
CLASSES = ("routers", "mcus", "codecs")
#: the answer has ended when the device has been quiet this long (wall time, not CPU)
QUIET = 0.03


def gbtt_lab(*args: str) -> str:
    return lab_scale.gbtt_lab(LAB, *args, timeout=600)


def cpu() -> float:
    return time.process_time()


# -- step 1: gbtt's drivers ------------------------------------------------------------------

#: the HTTPS requests the drivers send, per host (recorded in this process: the lab's log has
#: the form fields' names, not their values)
SENT: dict[str, list[tuple[str, str, bytes | None, str | None]]] = {}
_CURRENT: list[str] = [""]


def _record_requests() -> None:
    import requests

    send = requests.Session.send

    def recording(self, request, **kwargs):
        body = request.body.encode() if isinstance(request.body, str) else request.body
        SENT.setdefault(_CURRENT[0], []).append((request.method, request.path_url, body,
                                                 request.headers.get("Content-Type")))
        return send(self, request, **kwargs)

    requests.Session.send = recording


def deploy_all(names: list[str], variables: dict[str, dict], work: Path) -> dict[str, float]:
    """CPU seconds per host of one :func:`gbtt.deploy.deploy` each."""
    spent = {}
    for host in names:
        _CURRENT[0] = host
        SENT.pop(host, None)
        c0 = cpu()
        out = gbtt_deploy.deploy(host, dict(variables[host]), confirm_timeout=300, backup_dir=work / "backups",
                                 audit_log=work / "audit.log", user="floor-bench")
        spent[host] = cpu() - c0
        if out.failed:
            raise SystemExit(f"{host}: the deploy failed: {out.message}")
    return spent


# -- step 2: what the devices were sent -------------------------------------------------------

def exchanges(log: Path, start: int, end: int, names: set[str]) -> dict[str, list[dict]]:
    """Per host, the logged events between two offsets of the lab's request log."""
    out: dict[str, list[dict]] = {h: [] for h in names}
    with open(log, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    for line in data.decode("utf-8").splitlines():
        ev = json.loads(line)
        if ev["host"] in out:
            out[ev["host"]].append(ev)
    return out


# -- step 3: the replay -----------------------------------------------------------------------

_SCP = re.compile(r"^received (?P<name>\S+) \((?P<size>\d+) bytes\)$")


#: how an answer ends: IOS, a prompt (``host#``, ``host(config)#``, ``Password:``, ``[confirm]``,
#: ``Destination filename [x]?``); a codec, OK or ERROR, or in JSON mode the document's closing
#: brace.  Other lines (a codec's multi-line body) get only their echo: their end is the device
#: going quiet.
ENDS = {"router": re.compile(r"([>#:\]?]) ?$"),
        "codec": re.compile(r"\n((OK|ERROR)\r\n(\r\n)?|\}\r\n|\{\}\r\n)$")}


async def _answer(proc: asyncssh.SSHClientProcess, end: re.Pattern | None, first: float = 30.0) -> str:
    """Read until the answer's end shows, or until the device is quiet."""
    got = await asyncio.wait_for(proc.stdout.read(65536), first)
    while not (end is not None and end.search(got)):
        try:
            more = await asyncio.wait_for(proc.stdout.read(65536), QUIET)
        except asyncio.TimeoutError:
            return got
        if not more:
            return got
        got += more
    return got


async def replay_ssh(events: list[dict], port: int, known: asyncssh.SSHKnownHosts, params, work: Path,
                     candidate: str, kind: str) -> None:
    """Each logged login: a connection, a shell fed the logged lines, the logged SCP uploads."""
    sessions: list[list[dict]] = []
    for ev in events:
        if ev["event"] == "login" and ev["detail"].endswith("accepted"):
            sessions.append([])
        elif sessions and ev["event"] in ("command", "scp", "exec"):
            sessions[-1].append(ev)
    for session in sessions:
        async with asyncssh.connect("127.0.0.1", port, username=params.username, password=params.password,
                                    known_hosts=known, client_keys=None, agent_path=None) as conn:
            proc = await conn.create_process(term_type="vt100", term_size=(511, 24))
            await _answer(proc, None)                            # the greeting and the prompt
            for ev in session:
                if ev["event"] == "command":
                    line = params.secret if ev["detail"] == "(hidden input)" else ev["detail"]
                    proc.stdin.write(line + "\n")
                    await _answer(proc, ENDS[kind])
                elif ev["event"] == "scp":
                    m = _SCP.match(ev["detail"])
                    size = int(m.group("size"))
                    src = work / "candidate.cfg"
                    src.write_bytes((candidate.encode() * (size // max(1, len(candidate)) + 1))[:size])
                    await asyncssh.scp(str(src), (conn, m.group("name")))
                else:                                             # an exec request
                    await conn.run(ev["detail"], check=False)
            proc.stdin.write_eof()
            proc.close()


def replay_https(sent: list[tuple], port: int, context: ssl.SSLContext, params) -> None:
    """One keep-alive TLS connection, the requests the driver sent, bodies included."""
    auth = "Basic " + b64encode(f"{params.username}:{params.password}".encode()).decode()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    try:
        for method, path, body, content_type in sent:
            headers = {"Authorization": auth, **({"Content-Type": content_type} if content_type else {})}
            conn.request(method, path, body=body, headers=headers)
            conn.getresponse().read()
    finally:
        conn.close()


async def handshake(port: int, known: asyncssh.SSHKnownHosts, params) -> None:
    """The SSH handshake and login alone: the part of a session no client can skip."""
    async with asyncssh.connect("127.0.0.1", port, username=params.username, password=params.password,
                                known_hosts=known, client_keys=None, agent_path=None):
        pass


def tls_handshake(port: int, context: ssl.SSLContext, params) -> None:
    """The TLS handshake and one authenticated request (the CMS answers nothing without one)."""
    replay_https([("GET", "/api/v1/system/status", None, None)], port, context, params)


def replay_all(recorded: dict[str, list], variables: dict[str, dict], known: dict[str, asyncssh.SSHKnownHosts],
               context: ssl.SSLContext, candidates: dict[str, str], work: Path) -> dict[str, float]:
    """CPU seconds per host of its replay; ``recorded`` None per host: the handshake alone."""
    spent = {}
    loop = asyncio.new_event_loop()
    try:
        for host, events in recorded.items():
            params, _ = gbtt_deploy.connection_params(variables[host])
            mcu = variables[host]["gbtt_device_class"] == "mcu"
            c0 = cpu()
            if events is None:
                if mcu:
                    tls_handshake(params.port, context, params)
                else:
                    loop.run_until_complete(handshake(params.port, known[host], params))
            elif mcu:
                replay_https(events, params.port, context, params)
            else:
                loop.run_until_complete(replay_ssh(events, params.port, known[host], params, work, candidates[host],
                                                   variables[host]["gbtt_device_class"]))
            spent[host] = cpu() - c0
    finally:
        loop.close()
    return spent


# -- the run ----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-class", type=int, default=40, help="devices of each class (default 40)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    was_up = (LAB / ".lab" / "lab.json").exists() and "running" in gbtt_lab("status")
    if not was_up:
        gbtt_lab("up")
    try:
        return measure(args, started)
    finally:
        gbtt_lab("reset")
        if not was_up:
            gbtt_lab("down")


def measure(args, started: dt.datetime) -> int:
    variables = hostvars.load_hosts(LAB)
    by_class: dict[str, list[str]] = {c: [] for c in CLASSES}
    for host, hv in sorted(variables.items()):
        by_class[gbtt_inventory.CLASS_GROUPS[hv["gbtt_device_class"]]].append(host)
    mix = {c: len(h) for c, h in by_class.items()}
    sample = {c: h[:args.per_class] for c, h in by_class.items()}
    names = [h for c in CLASSES for h in sample[c]]
    klass = {h: c for c, hs in sample.items() for h in hs}
    info = json.loads((LAB / ".lab" / "lab.json").read_text())
    log = Path(info["state_dir"]) / "requests.log" if "state_dir" in info else LAB / ".lab" / "requests.log"
    known_text = Path(info["known_hosts"]).read_text()
    known = {}
    for host in names:
        port = variables[host].get("ansible_port")
        lines = [ln for ln in known_text.splitlines() if ln.startswith(f"[127.0.0.1]:{port} ")]
        known[host] = asyncssh.import_known_hosts("\n".join(lines) + "\n")
    context = ssl.create_default_context(cafile=info["ca_bundle"])

    # render alone
    render_cpu, candidates = {}, {}
    for host in names:
        params, secrets = gbtt_deploy.connection_params(variables[host])
        c0 = cpu()
        candidates[host] = render.render_context(host, variables[host], secrets)
        render_cpu[host] = cpu() - c0

    with tempfile.TemporaryDirectory(prefix="gbtt-floor-") as t:
        work = Path(t)
        gbtt_lab("reset")
        _record_requests()
        marks = [log.stat().st_size]
        ours = {"cold": deploy_all(names, variables, work)}
        sent = {"cold": dict(SENT)}
        time.sleep(0.5)
        marks.append(log.stat().st_size)
        ours["idempotent"] = deploy_all(names, variables, work)
        sent["idempotent"] = dict(SENT)
        time.sleep(0.5)
        marks.append(log.stat().st_size)
        recorded = {}
        for phase, (start, end) in (("cold", marks[0:2]), ("idempotent", marks[1:3])):
            logged = exchanges(log, start, end, set(names))
            recorded[phase] = {h: sent[phase].get(h, []) if klass[h] == "mcus" else logged[h] for h in names}
        gbtt_lab("reset")
        replay = {"handshake": replay_all({h: None for h in names}, variables, known, context, candidates, work)}
        replay.update((phase, replay_all(recorded[phase], variables, known, context, candidates, work))
                      for phase in ("cold", "idempotent"))

    def per_class(values: dict[str, float]) -> dict[str, float]:
        return {c: round(1000 * sum(values[h] for h in sample[c]) / max(1, len(sample[c])), 2) for c in CLASSES}

    def mixed(values: dict[str, float]) -> float:
        return round(sum(values[c] * mix[c] for c in CLASSES) / sum(mix.values()), 2)

    figures = {"render": per_class(render_cpu), "handshake": per_class(replay["handshake"])}
    figures["floor_handshake"] = {c: round(figures["handshake"][c] + figures["render"][c], 2) for c in CLASSES}
    for phase in ("cold", "idempotent"):
        figures[f"replay_{phase}"] = per_class(replay[phase])
        figures[f"floor_{phase}"] = {c: round(figures[f"replay_{phase}"][c] + figures["render"][c], 2) for c in CLASSES}
        figures[f"gbtt_drivers_{phase}"] = per_class(ours[phase])
    events = {phase: Counter(ev["event"] if isinstance(ev, dict) else "request" for evs in recorded[phase].values()
                             for ev in evs) for phase in recorded}
    doc = {
        "started": started.isoformat(timespec="seconds"), "machine": machine(), "cores": os.cpu_count(),
        "command": " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv]), "per_class": args.per_class,
        "province_mix": mix, "ms_per_device_by_class": figures, "events_replayed": events,
        "floor_ms_per_device": {phase: mixed(figures[f"floor_{phase}"]) for phase in ("cold", "idempotent")}
        | {"handshake": mixed(figures["floor_handshake"])},
        "floor_ms_per_class": {phase: figures[f"floor_{phase}"] for phase in ("cold", "idempotent")},
        "gbtt_drivers_ms_per_device": {phase: mixed(figures[f"gbtt_drivers_{phase}"]) for phase in ("cold", "idempotent")},
    }
    rows = ["| ms of controller CPU per device | " + " | ".join(CLASSES) + " | province mix |",
            "| --- |" + " ---: |" * (len(CLASSES) + 1)]
    for key, label in (("render", "render (intended configuration)"),
                       ("handshake", "handshake + login alone (AsyncSSH; MCU: TLS + 1 request)"),
                       ("floor_handshake", "**floor, the issue's: handshake + render**"),
                       ("replay_idempotent", "replay, idempotent: handshake + login + reads"),
                       ("floor_idempotent", "**floor, idempotent**"),
                       ("gbtt_drivers_idempotent", "gbtt drivers in-process, idempotent"),
                       ("replay_cold", "replay, cold: + the push, commit-confirm, health checks"),
                       ("floor_cold", "**floor, cold**"),
                       ("gbtt_drivers_cold", "gbtt drivers in-process, cold")):
        vals = figures[key]
        rows.append(f"| {label} | " + " | ".join(f"{vals[c]:.1f}" for c in CLASSES) + f" | {mixed(vals):.1f} |")
    doc["markdown"] = "\n".join(rows) + "\n"
    print(doc["markdown"])
    if not args.no_record:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"floor-{started:%Y-%m-%d}.json"
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
