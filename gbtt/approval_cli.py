"""``gbtt approval new|sign|verify|list|revoke``: interconnection approvals (Art. 4.2) as files.

One approval per file, ``<registry>/approvals/<id>.yml``, in the inventory's own registry folder
(the last of its ``registry:`` list); revocations are appended to
``<registry>/approvals/revocations.yml``.  Files are edited with ruamel.yaml's round trip:
comments, order and quoting stay, so a signature or a revocation is a diff of its own lines.
Nothing is written when the registry does not validate or the input is wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from ruamel.yaml.scalarstring import LiteralScalarString

from gbtt import approvals as ap
from gbtt import interconnect as ic
from gbtt import registry as reg_mod
from gbtt.yamlio import rt_dump, rt_edit, rt_load

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    pass


def _load(inventory: str) -> tuple[reg_mod.Source, reg_mod.LoadResult]:
    try:
        source = reg_mod._single(reg_mod.find_sources(inventory), inventory)
    except reg_mod.SourceError as exc:
        raise _Usage(str(exc)) from None
    loaded = reg_mod.load(source)
    if loaded.report.errors:
        first = loaded.report.errors[0]
        raise _Usage(f"{inventory}: the registry does not validate ({len(loaded.report.errors)} error(s); first: "
                     f"{first.file}: {first.message}); fix it first (gbtt validate {inventory})")
    return source, loaded


def _folder(source: reg_mod.Source) -> Path:
    return source.roots[-1] / "approvals"


def _file_of(source: reg_mod.Source, approval) -> Path:
    path = reg_mod.file_of(source, approval.src.file)
    if path is None:
        raise _Usage(f"cannot find the file {approval.src.file} of approval {approval.id!r}")
    return path


def _date(text: str, what: str) -> str:
    try:
        ap.moment(text, "Asia/Ho_Chi_Minh")
    except ValueError:
        raise _Usage(f"{what} {text!r}: write YYYY-MM-DD or YYYY-MM-DDTHH:MM+07:00") from None
    return text


def cmd_new(args: argparse.Namespace) -> int:
    source, loaded = _load(args.inventory)
    reg = loaded.registry
    link = reg.interconnects.get(args.interconnect)
    if link is None:
        raise _Usage(f"no interconnect {args.interconnect!r} in the registry (known: "
                     f"{', '.join(reg.interconnects) or 'none'}); define it under interconnects: first")
    problem = ap.number_problem(args.number)
    if problem:
        raise _Usage(problem)
    authorities = {reg.approving_authority(reg.systems[s]) for s in link.systems}
    authority = args.authority or (authorities.pop() if len(authorities) == 1 else None)
    if authority is None:
        raise _Usage(f"the systems of {link.id!r} have different approving authorities; name one with --authority")
    issued = args.issued or dt.date.today().isoformat()
    if ap.moment(_date(args.valid_until, "--valid-until"), "UTC", end=True) <= ap.moment(
            _date(args.valid_from, "--valid-from"), "UTC"):
        raise _Usage("--valid-until is before --valid-from")
    ident = args.id or f"{link.id}-{issued.replace('-', '')}"
    if ident in reg.approvals:
        raise _Usage(f"approval {ident!r} exists already ({reg.approvals[ident].src.file}); choose another --id")
    path = _folder(source) / f"{ident}.yml"
    if path.exists():
        raise _Usage(f"{path} exists already")
    digest = ic.intended(reg, link)[2]
    entry = {"id": ident, "number": args.number, "authority": authority, "issued": issued,
             "valid_from": args.valid_from, "valid_until": args.valid_until, "interconnect": link.id,
             "systems": list(link.systems), "purpose": args.purpose}
    if args.meeting:
        entry["meeting"] = args.meeting
    entry["config_sha256"] = digest
    head = (f"# Approval {args.number} of {authority} (Art. 4.2): interconnect {link.id}.\n"
            "# Created by `gbtt approval new`; signed by the authority with `gbtt approval sign`.\n"
            "# config_sha256 binds it to the rendered interconnect configuration: if that changes,\n"
            "# the interconnect job refuses this approval and a new one is needed.\n")
    text = "---\n" + head + rt_dump({"approvals": [entry]})[4:]
    check = rt_load(text)  # what we wrote reads back
    assert check["approvals"][0]["id"] == ident
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} (unsigned; config {digest[:12]}…). Next: gbtt approval sign -i {args.inventory} {ident} "
          "--key <the authority's private key>")
    return EXIT_OK


def _approval(reg, ident: str):
    approval = reg.approvals.get(ident)
    if approval is None:
        raise _Usage(f"no approval {ident!r} (known: {', '.join(reg.approvals) or 'none'})")
    return approval


def _edit_entry(path: Path, ident: str, change) -> None:
    def edit(data) -> None:
        for entry in data.get("approvals") or []:
            if entry.get("id") == ident:
                change(entry)
                return
        raise _Usage(f"{path}: no approval {ident!r}")
    path.write_text(rt_edit(path.read_text(encoding="utf-8"), edit), encoding="utf-8")


def cmd_sign(args: argparse.Namespace) -> int:
    source, loaded = _load(args.inventory)
    reg = loaded.registry
    approval = _approval(reg, args.id)
    problem = ap.number_problem(approval.number)
    if problem:
        raise _Usage(f"refusing to sign: {problem}")
    link = reg.interconnects.get(approval.interconnect or "")
    if link is not None and approval.config_sha256 != ic.intended(reg, link)[2] and not args.force:
        raise _Usage(f"refusing to sign: approval {approval.id!r} was made for another configuration of "
                     f"{link.id!r} than the registry renders now; make a new one (gbtt approval new), or --force")
    try:
        signature = ap.sign(ap.fields(approval), Path(args.key))
    except ap.ApprovalError as exc:
        raise _Usage(str(exc)) from None
    path = _file_of(source, approval)
    _edit_entry(path, approval.id, lambda entry: entry.__setitem__("signature", LiteralScalarString(signature)))
    print(f"signed {approval.id} in {path}")
    return EXIT_OK


def _state(why: list[ic.Problem]) -> str:
    return "valid" if not why else ", ".join(dict.fromkeys(p.code for p in why))


def cmd_verify(args: argparse.Namespace) -> int:
    source, loaded = _load(args.inventory)
    reg = loaded.registry
    wanted = set(args.id)
    for ident in wanted:
        _approval(reg, ident)
    failed = False
    for approval, why in ic.approval_status(reg, source):
        if wanted and approval.id not in wanted:
            continue
        if not why:
            print(f"{approval.id}: valid for interconnect {approval.interconnect} until {approval.valid_until}")
            continue
        failed = True
        print(f"{approval.id}: NOT VALID")
        for p in why:
            print(f"  - {p.en}\n    {p.vi}")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    source, loaded = _load(args.inventory)
    rows = [{"id": a.id, "number": a.number, "interconnect": a.interconnect, "systems": list(a.systems),
             "valid_from": a.valid_from, "valid_until": a.valid_until, "signed": bool(a.signature),
             "state": _state(why)} for a, why in ic.approval_status(loaded.registry, source)]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print("no approvals")
        return EXIT_OK
    head = ("id", "number", "interconnect", "valid_from", "valid_until", "state")
    widths = [max(len(head[i]), *(len(str(r[h])) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(r[h]).ljust(w) for h, w in zip(head, widths)))
    return EXIT_OK


REVOCATIONS_HEAD = ("---\n# Revoked interconnection approvals: one entry per revocation, never removed. The\n"
                    "# interconnect job refuses a revoked approval from the moment given (Art. 4.2).\n"
                    "# Appended by `gbtt approval revoke`.\n")


def cmd_revoke(args: argparse.Namespace) -> int:
    source, loaded = _load(args.inventory)
    reg = loaded.registry
    approval = _approval(reg, args.id)
    when = _date(args.at, "--at") if args.at else dt.datetime.now(dt.timezone.utc).astimezone().isoformat(
        timespec="seconds")
    path = _folder(source) / "revocations.yml"
    text = path.read_text(encoding="utf-8") if path.is_file() else REVOCATIONS_HEAD + "revocations: []\n"
    data = rt_load(text)
    entries = data.get("revocations")
    if entries is None or len(entries) == 0:
        from ruamel.yaml.comments import CommentedSeq
        entries = data["revocations"] = CommentedSeq()
    entry = {"approval": approval.id, "revoked": when, "reason": args.reason}
    if args.by:
        entry["by"] = args.by
    entries.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = rt_dump(data)
    if not path.is_file():
        out = REVOCATIONS_HEAD + out[4:]
    path.write_text(out, encoding="utf-8")
    print(f"revoked {approval.id} from {when} in {path}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    try:
        return args.approval_func(args)
    except _Usage as exc:
        print(f"gbtt approval {args.approval_command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def add_parser(sub) -> None:
    p = sub.add_parser("approval", help="interconnection approvals of the DIC (Art. 4.2): new, sign, verify, "
                       "list, revoke", description="Approvals are files of the inventory's registry "
                       "(approvals/<id>.yml), signed with ssh-keygen -Y sign; trust/allowed_signers names the "
                       "authority's keys. See docs/interconnect.md.")
    asub = p.add_subparsers(dest="approval_command", required=True)

    def command(name: str, func, help_: str) -> argparse.ArgumentParser:
        c = asub.add_parser(name, help=help_, description=help_)
        c.add_argument("-i", "--inventory", default="inventory/lab", help="inventory folder or *.gbtt.yml "
                       "(default: inventory/lab)")
        c.set_defaults(func=run, approval_func=func)
        return c

    n = command("new", cmd_new, "write an unsigned approval for an interconnect, bound to its rendered "
                "configuration")
    n.add_argument("--interconnect", required=True, help="interconnect id (registry interconnects:)")
    n.add_argument("--number", required=True, help="document number, e.g. 123/STTTT-CNTT")
    n.add_argument("--valid-from", required=True, help="YYYY-MM-DD (whole day, province time) or a time with offset")
    n.add_argument("--valid-until", required=True, help="YYYY-MM-DD (to the end of that day) or a time with offset")
    n.add_argument("--purpose", required=True, help="what the link is for (Art. 5.4 meeting kind)")
    n.add_argument("--meeting", help="meeting reference")
    n.add_argument("--issued", help="issue date (default: today)")
    n.add_argument("--authority", help="issuing unit id (default: the systems' approving authority)")
    n.add_argument("--id", help="approval id (default: <interconnect>-<issued>)")

    s = command("sign", cmd_sign, "sign an approval with the authority's SSH key (ssh-keygen -Y sign)")
    s.add_argument("id")
    s.add_argument("--key", required=True, help="the authority's private key file")
    s.add_argument("--force", action="store_true", help="sign even if the configuration changed since 'new'")

    v = command("verify", cmd_verify, "check approvals as the interconnect job does (signature, window, "
                "systems, revocation, configuration); exit 1 when one is not valid")
    v.add_argument("id", nargs="*", help="approval ids (default: all)")

    ls = command("list", cmd_list, "list approvals with their state now")
    ls.add_argument("--format", choices=["text", "json"], default="text")

    r = command("revoke", cmd_revoke, "revoke an approval (appends to approvals/revocations.yml)")
    r.add_argument("id")
    r.add_argument("--reason", required=True)
    r.add_argument("--by", help="who revokes it")
    r.add_argument("--at", help="from when (default: now)")
