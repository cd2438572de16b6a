"""``gbtt inventory set PATH VALUE`` and ``gbtt contact add|remove``: edit the registry so that a
one-field change is a one-line diff.

Edits use ruamel.yaml's round trip (comments, order and quoting kept) on the file that defines
the object, then the whole registry is validated again: if the edit breaks it, the file is put
back as it was and the errors are shown (exit 1).  Nothing is written on a usage error (exit 2).

``PATH`` is ``<section>.<id>.<field>[.<field>…]`` (``endpoints.dong-van-ubnd.line.bandwidth_kbps``,
``contacts.so-tttt-kt1.phone``) or ``province.<field>…``; ``VALUE`` is read as YAML (``4096`` is a
number, ``"0219"`` text, ``[a, b]`` a list, ``null`` empties the field).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gbtt import registry as reg_mod
from gbtt.yamlio import YamlProblem, fast_load, rt_edit

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    pass


def _source(inventory: str) -> reg_mod.Source:
    try:
        return reg_mod._single(reg_mod.find_sources(inventory), inventory)
    except reg_mod.SourceError as exc:
        raise _Usage(str(exc)) from None


def file_of(source: reg_mod.Source, rel: str) -> Path:
    path = reg_mod.file_of(source, rel)
    if path is None:
        raise _Usage(f"no registry file {rel}")
    return path


def _apply(source: reg_mod.Source, path: Path, change) -> tuple[str, str]:
    """Edit ``path`` with ``change(data)``, validate the registry, put the file back when the edit
    breaks it.  Returns (before, after) texts."""
    before = path.read_text(encoding="utf-8")
    after = rt_edit(before, change)
    path.write_text(after, encoding="utf-8")
    result = reg_mod.load(source, use_cache=False)
    if result.report.errors:
        path.write_text(before, encoding="utf-8")
        raise _Invalid(result.report.errors)
    return before, after


class _Invalid(Exception):
    def __init__(self, errors):
        self.errors = errors


def _edit(command: str, source: reg_mod.Source, path: Path, change, done: str) -> int:
    """Apply one edit; say what was done, or why the file is unchanged (exit 1)."""
    try:
        _apply(source, path, change)
    except _Invalid as exc:
        print(f"gbtt {command}: {path} is unchanged: " + "; ".join(d.message for d in exc.errors[:5]),
              file=sys.stderr)
        return EXIT_INVALID
    print(done)
    return EXIT_OK


def _split(path_text: str) -> tuple[str, str | None, list[str]]:
    parts = path_text.split(".")
    if parts[0] == "province":
        if len(parts) < 2:
            raise _Usage("province.<field>: name the field")
        return "province", None, parts[1:]
    if len(parts) < 3:
        raise _Usage(f"{path_text!r}: write <section>.<id>.<field>, e.g. endpoints.dong-van-ubnd.line.bandwidth_kbps")
    return parts[0], parts[1], parts[2:]


def cmd_set(args: argparse.Namespace) -> int:
    source = _source(args.inventory)
    loaded = reg_mod.load(source)
    if loaded.report.errors:
        raise _Usage(f"{args.inventory}: the registry does not validate; fix it first (gbtt validate)")
    section, oid, fields = _split(args.path)
    try:
        value = fast_load(args.value, "VALUE") if args.value != "" else ""
    except YamlProblem as exc:
        raise _Usage(f"VALUE {args.value!r}: {exc.message}") from None
    reg = loaded.registry
    if section == "province":
        obj = reg.province
    else:
        table = getattr(reg, section, None)
        if not isinstance(table, dict):
            raise _Usage(f"unknown section {section!r} (sections: province, districts, units, sites, systems, "
                         "endpoints, contacts, interconnects, approvals)")
        obj = table.get(oid)
        if obj is None:
            raise _Usage(f"no {section[:-1]} {oid!r}")
    path = file_of(source, obj.src.file)

    def change(data: Any) -> None:
        node = data
        for key in obj.src.path:
            node = node[key]
        for key in fields[:-1]:
            if key not in node:
                raise _Usage(f"{args.path}: {key!r} is not a field there")
            node = node[key]
        if value is None:
            node.pop(fields[-1], None)
        else:
            node[fields[-1]] = value

    try:
        before, after = _apply(source, path, change)
    except _Invalid as exc:
        print(f"gbtt inventory set: the change would make the registry invalid; {path} is unchanged:",
              file=sys.stderr)
        for d in exc.errors[:10]:
            print(f"  {d.file}:{d.line or ''}: {d.message} ({d.hint})", file=sys.stderr)
        return EXIT_INVALID
    changed = sum(1 for a, b in zip(before.splitlines(), after.splitlines()) if a != b) + abs(
        len(before.splitlines()) - len(after.splitlines()))
    print(f"{path}: {args.path} = {args.value} ({changed} line(s) changed)")
    return EXIT_OK


def cmd_contact_add(args: argparse.Namespace) -> int:
    source = _source(args.inventory)
    reg = reg_mod.load(source).registry
    if args.id in reg.contacts:
        raise _Usage(f"contact {args.id!r} exists already ({reg.contacts[args.id].src.file})")
    same_unit = [c for c in reg.contacts.values() if c.unit == args.unit]
    rel = same_unit[-1].src.file if same_unit else (next(iter(reg.contacts.values())).src.file
                                                    if reg.contacts else "contacts.yml")
    path = file_of(source, rel) if (same_unit or reg.contacts) else source.roots[-1] / rel
    entry: dict = {"id": args.id, "unit": args.unit, "roles": args.role or ["technical"], "name": args.name,
                   "phone": args.phone, "email": args.email}
    if args.endpoint:
        entry["endpoints"] = args.endpoint

    def change(data: Any) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        contacts = data.setdefault("contacts", [])
        after = max((i for i, c in enumerate(contacts) if c.get("unit") == args.unit), default=len(contacts) - 1)
        node = CommentedMap(entry)
        neighbour = contacts[after] if contacts else None
        if getattr(neighbour, "fa", None) is not None and neighbour.fa.flow_style():
            node.fa.set_flow_style()           # one line, like the contacts around it
        for key in ("roles", "endpoints"):
            if key in node:
                node[key] = CommentedSeq(node[key])
                node[key].fa.set_flow_style()
        contacts.insert(after + 1, node)

    if not path.exists():
        path.write_text("---\ncontacts: []\n", encoding="utf-8")
    return _edit("contact add", source, path, change, f"added contact {args.id} to {path}")


def cmd_contact_remove(args: argparse.Namespace) -> int:
    source = _source(args.inventory)
    reg = reg_mod.load(source).registry
    contact = reg.contacts.get(args.id)
    if contact is None:
        raise _Usage(f"no contact {args.id!r}")
    path = file_of(source, contact.src.file)

    def change(data: Any) -> None:
        section, index = contact.src.path
        del data[section][index]

    return _edit("contact remove", source, path, change, f"removed contact {args.id} from {path}")


def _run(args: argparse.Namespace) -> int:
    try:
        return args.edit_func(args)
    except _Usage as exc:
        print(f"gbtt {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def add_parser(sub) -> None:
    inv = sub.add_parser("inventory", help="edit the registry with clean diffs (comments and layout kept)")
    isub = inv.add_subparsers(dest="inventory_command", required=True)
    s = isub.add_parser("set", help="set one field: PATH VALUE", description=__doc__.split("\n\n")[2])
    s.add_argument("path", help="<section>.<id>.<field>[.<field>…] or province.<field>")
    s.add_argument("value", help="a YAML value (null removes the field)")
    s.add_argument("-i", "--inventory", default="inventory/hagiang")
    s.set_defaults(func=_run, edit_func=cmd_set)

    c = sub.add_parser("contact", help="add or remove a contact (focal officer, technical staff, line staff)")
    csub = c.add_subparsers(dest="contact_command", required=True)
    a = csub.add_parser("add", help="add a contact next to its unit's others")
    a.add_argument("id")
    a.add_argument("--unit", required=True)
    a.add_argument("--role", action="append", choices=["technical", "controller", "line_staff"])
    a.add_argument("--name")
    a.add_argument("--phone")
    a.add_argument("--email")
    a.add_argument("--endpoint", action="append", help="endpoint id (repeatable)")
    a.add_argument("-i", "--inventory", default="inventory/hagiang")
    a.set_defaults(func=_run, edit_func=cmd_contact_add)
    r = csub.add_parser("remove", help="remove a contact")
    r.add_argument("id")
    r.add_argument("-i", "--inventory", default="inventory/hagiang")
    r.set_defaults(func=_run, edit_func=cmd_contact_remove)
