"""The ``gbtt`` command line."""

from __future__ import annotations

import argparse
import atexit
import configparser
import json
import os
import sys
import threading
from pathlib import Path

from gbtt import __version__
from gbtt import registry as reg_mod

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def default_inventory() -> str | None:
    """The inventory named by $GBTT_INVENTORY, else by ./ansible.cfg, else None."""
    if os.environ.get("GBTT_INVENTORY"):
        return os.environ["GBTT_INVENTORY"]
    cfg = Path(os.environ.get("ANSIBLE_CONFIG", "ansible.cfg"))
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(cfg, encoding="utf-8")
        value = parser.get("defaults", "inventory", fallback=None)
        if value:
            return str(cfg.parent / value.split(",")[0].strip())
    return None


def cmd_validate(args: argparse.Namespace) -> int:
    targets = args.inventory or [default_inventory()]
    if targets == [None]:
        print("gbtt validate: name an inventory (e.g. inventory/hagiang), or run it where ansible.cfg is",
              file=sys.stderr)
        return EXIT_USAGE
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    results, failed = [], False
    for target in targets:
        try:
            sources = reg_mod.find_sources(target)
        except reg_mod.SourceError as exc:
            print(f"gbtt validate: {exc}", file=sys.stderr)
            return EXIT_USAGE
        for source in sources:
            res = reg_mod.load(source, use_cache=not args.no_cache)
            invalid = bool(res.report.errors) or (args.strict and bool(res.report.warnings))
            failed |= invalid
            name = str(source.config or source.roots[0])
            counts = res.registry.counts() if res.ok else None
            if args.format == "json":
                results.append({"source": name, "valid": not invalid, "counts": counts,
                                "errors": len(res.report.errors), "warnings": len(res.report.warnings),
                                "diagnostics": res.report.to_json()})
                continue
            head = f"{os.path.relpath(name)}"
            if counts:
                head += ": " + ", ".join(f"{v} {k}" for k, v in counts.items())
            print(head)
            if res.report.items:
                print(res.report.format_text(limit=None if args.all else 5, color=color))
            verdict = "INVALID" if invalid else "valid"
            note = " (--strict: warnings count as errors)" if args.strict and res.report.warnings else ""
            print(f"{verdict}: {res.report.summary()}{note}")
    if args.format == "json":
        json.dump(results if len(results) != 1 else results[0], sys.stdout, ensure_ascii=False, indent=2)
        print()
    return EXIT_INVALID if failed else EXIT_OK


def cmd_vault_set(args: argparse.Namespace) -> int:
    from gbtt import vault

    return vault.cli_set(args.inventory, args.name, args.vault_password_file, args.vault_id, args.stdin)


def cmd_render(args: argparse.Namespace) -> int:
    from gbtt import inventory, registry, render

    res = registry.load(args.inventory)
    if not res.ok:
        print(res.report.format_text(limit=None), file=sys.stderr)
        return EXIT_INVALID
    data = inventory.build(res.registry)
    hosts = args.host or sorted(data.hostvars)
    failed = False
    for host in hosts:
        try:
            text = render.render_host(data, host)
        except render.RenderError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        if len(hosts) > 1:
            print(f"### {host}")
        sys.stdout.write(text)
    return EXIT_INVALID if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gbtt", description="Infrastructure as code for the online-meeting "
                                "network of Hà Giang province.")
    p.add_argument("--version", action="version", version=f"gbtt {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a registry: all errors at once, with file, line and hint",
                       description="Exit 0: valid (warnings allowed). 1: errors (or warnings with --strict). "
                                   "2: usage error.")
    v.add_argument("inventory", nargs="*", help="inventory folder, *.gbtt.yml source or registry folder "
                   "(default: the inventory of ./ansible.cfg)")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.add_argument("--strict", action="store_true", help="treat warnings (data to fill in) as errors")
    v.add_argument("--all", action="store_true", help="list every diagnostic, not the first 5 of each kind")
    v.add_argument("--no-cache", action="store_true", help="ignore the validated-registry cache")
    v.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    v.set_defaults(func=cmd_validate)

    vault = sub.add_parser("vault", help="production credentials as ansible-vault values")
    vsub = vault.add_subparsers(dest="vault_command", required=True)
    vs = vsub.add_parser("set", help="encrypt one credential into <inventory>/group_vars/all/credentials.yml",
                         description="Asks for the secret without echo (or reads one line from stdin with --stdin) "
                                     "and writes it as an inline ansible-vault value. Never prints the secret.")
    vs.add_argument("inventory", help="inventory folder, e.g. inventory/hagiang")
    vs.add_argument("name", help="variable name, e.g. vault_gbtt_codec_password")
    vs.add_argument("--vault-password-file", help="file holding the vault password "
                    "(default: $ANSIBLE_VAULT_PASSWORD_FILE, else a prompt)")
    vs.add_argument("--vault-id", default="default", help="vault id label (default: default)")
    vs.add_argument("--stdin", action="store_true", help="read the secret from standard input")
    vs.set_defaults(func=cmd_vault_set)

    r = sub.add_parser("render", help="the intended configuration of hosts, as a deploy would push it",
                       description="Renders templates/<class>/<platform>.j2 for each host with the same "
                                   "renderer as the playbooks. Secrets are shown as <secret:NAME> placeholders.")
    r.add_argument("host", nargs="*", help="inventory host names (default: every host that has a template)")
    r.add_argument("-i", "--inventory", default="inventory/hagiang")
    r.set_defaults(func=cmd_render)

    from gbtt.approval_cli import add_parser as add_approval_parser
    add_approval_parser(sub)

    from gbtt.maintenance_cli import add_parser as add_maintenance_parser
    add_maintenance_parser(sub)

    from gbtt.diff_cli import add_parser as add_diff_parser
    add_diff_parser(sub)

    from gbtt.edit_cli import add_parser as add_edit_parser
    add_edit_parser(sub)

    from gbtt.meeting_cli import add_parser as add_meeting_parser
    add_meeting_parser(sub)

    from gbtt.report_cli import add_parser as add_report_parser
    add_report_parser(sub)

    from gbtt.lab.cli import add_parser as add_lab_parser
    add_lab_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return EXIT_OK


def console() -> None:
    """The ``gbtt`` program. Once the command is done and its exit handlers have run, the process
    ends without freeing its objects one by one: after a national review that teardown alone takes
    1.5 s (mypy ends the same way). Only when no other thread is left."""
    code = main()
    if not isinstance(code, int) or threading.active_count() > 1:
        sys.exit(code)  # threads to join at exit (a pool, a lab server): the usual way out
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    console()
