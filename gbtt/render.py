"""The renderer: a host's intended configuration from the registry and a template.

One code path for ``gbtt render HOST``, the action plugins and the tests, so they produce the
same bytes.  The context of a template is the host's variables as the inventory plugin builds
them (:func:`gbtt.inventory.build`: ``gbtt_endpoint``, ``gbtt_system``, ``gbtt_province``, …)
plus ``host`` and ``secrets`` (device credentials, given by the caller: the action plugins pass
the vaulted values, ``gbtt render`` passes placeholders unless told otherwise).  Templates live
in ``templates/<class>/<platform>.j2``; undefined variables are errors (StrictUndefined) and the
templates hold no logic beyond loops and lookups: values are validated before rendering.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from gbtt import inventory as gbtt_inventory
from gbtt import model as m

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PLACEHOLDER = "<secret:{}>"


class RenderError(Exception):
    pass


class Placeholders(dict):
    """The ``secrets`` of a render without credentials: ``<secret:name>`` for any name."""

    def __missing__(self, name: str) -> str:
        return PLACEHOLDER.format(name)


def _netmask(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).netmask)


def _prefix(cidr: str) -> int:
    return ipaddress.IPv4Network(cidr, strict=False).prefixlen


def _wildcard(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).hostmask)


def _network(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).network_address)


def _xapi(value: Any) -> str:
    """A value as the xAPI takes it: quoted text (with " escaped), bare numbers."""
    if isinstance(value, bool):
        return "On" if value else "Off"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


_CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _ios_type9(secret: str, host: str) -> str:
    """An IOS type 9 (scrypt) hash of ``secret`` with a salt derived from the host name alone:
    the same secret on the same router always renders the same line, so a deploy compares equal
    (IOS itself would pick a random salt for ``secret 0 …`` and differ on every run), and the
    clear secret never reaches the router's flash in the candidate file.  The salt must not
    depend on the secret: a salt computed from it by a fast hash would stand in the
    configuration as a fast test of guesses, and undo what scrypt is for."""
    seed = hashlib.sha256(f"gbtt-type9\0{host}".encode()).digest()
    salt = "".join(_CISCO64[b % 64] for b in seed[:14])
    if secret.startswith("<secret:") and secret.endswith(">"):
        # a placeholder (gbtt render, gbtt diff), not a secret: a well-formed line without the
        # ~25 ms of scrypt (a national diff renders thousands of routers)
        digest = hashlib.sha256(f"gbtt-placeholder\0{host}\0{secret}".encode()).digest()
    else:
        digest = hashlib.scrypt(secret.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
    encoded = base64.b64encode(digest).decode().rstrip("=").translate(str.maketrans(_STD64, _CISCO64))
    return f"$9${salt}${encoded}"


@lru_cache(maxsize=None)
def environment(root: str = str(TEMPLATES)) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False)
    env.filters.update(netmask=_netmask, prefix=_prefix, wildcard=_wildcard, network=_network, xapi=_xapi,
                       ios_type9=_ios_type9)
    return env


def precompile() -> None:
    """Compile every device template into the shared environment's cache."""
    env = environment()
    for path in sorted(TEMPLATES.glob("*/*.j2")):
        env.get_template(path.relative_to(TEMPLATES).as_posix())


def template_name(device_class: str, platform: str) -> str:
    return f"{device_class}/{platform}.j2"


def context(data: gbtt_inventory.InventoryData, host: str) -> dict:
    """The host's variables with the group variables of its groups (host values win)."""
    if host not in data.hostvars:
        close = difflib.get_close_matches(host, list(data.hostvars), n=3, cutoff=0.75)
        raise RenderError(f"no host {host!r} in the inventory" + (f"; did you mean: {', '.join(close)}" if close else ""))
    direct, parents = _index(data)
    ctx: dict = {}
    for name in direct.get(host, ()):
        ctx.update(data.groups[name].vars)
    # province and system groups hold their hosts through children
    for name, members in parents:
        if host in members:
            for k, v in data.groups[name].vars.items():
                ctx.setdefault(k, v)
    ctx.update(data.hostvars[host])
    return ctx


def _index(data: gbtt_inventory.InventoryData) -> tuple[dict[str, list[str]], list[tuple[str, set[str]]]]:
    """Per host the groups with variables that hold it directly, and the groups with variables
    that hold hosts through their children (with those hosts): built once per inventory, so that
    a host's context costs its own groups, not every group of the inventory."""
    cached = getattr(data, "_gbtt_index", None)
    if cached is not None and cached[0] == (len(data.groups), len(data.hostvars)):
        return cached[1]
    direct: dict[str, list[str]] = {}
    parents: list[tuple[str, set[str]]] = []
    for name, group in data.groups.items():
        if not group.vars:
            continue
        for h in group.hosts:
            direct.setdefault(h, []).append(name)
        if group.children:
            members = set()
            for c in group.children:
                if c in data.groups:
                    members.update(data.groups[c].hosts)
            parents.append((name, members))
    data._gbtt_index = ((len(data.groups), len(data.hostvars)), (direct, parents))
    return direct, parents


def render_host(data: gbtt_inventory.InventoryData, host: str, secrets: dict[str, str] | None = None) -> str:
    return render_context(host, context(data, host), secrets)


def render_context(host: str, variables: dict, secrets: dict[str, str] | None = None,
                   templates: Path | None = None) -> str:
    """Render ``host``'s template with ``variables`` (the host's variables: from
    :func:`context`, or Ansible's task variables in the action plugins); ``templates``: another
    templates folder (another revision's, for ``gbtt diff``)."""
    ctx = dict(variables)
    ctx["host"] = host
    ctx["secrets"] = secrets if secrets is not None else Placeholders()
    name = template_name(ctx["gbtt_device_class"], ctx["gbtt_platform"])
    try:
        template = environment(str(templates) if templates else str(TEMPLATES)).get_template(name)
    except jinja2.TemplateNotFound:
        raise RenderError(f"{host}: no template {TEMPLATES.name}/{name} for platform {ctx['gbtt_platform']!r}") from None
    try:
        return template.render(ctx)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"{host}: {TEMPLATES.name}/{name}: {exc.message}") from None


def render(reg: m.Registry, host: str, secrets: dict[str, str] | None = None) -> str:
    """The intended configuration of ``host`` (placeholders for secrets unless given)."""
    return render_host(gbtt_inventory.build(reg), host, secrets)
