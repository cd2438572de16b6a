"""The registry's schema: one JSON Schema per section, and friendly messages for it.

The schema checks shape (keys, types, patterns, enumerations); the rules in
:mod:`gbtt.rules` check meaning (references, counts, uniqueness).  Every object is
closed (``additionalProperties: false``) so that a misspelt key is an error, not a
silently ignored value.

Checking runs in two steps: a validator compiled to Python code by fastjsonschema
answers "valid or not" about ten times faster than jsonschema, and only a file it
rejects is checked again by jsonschema, which lists every problem with its path.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterator

import fastjsonschema
from jsonschema import Draft202012Validator

ID = {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$", "x-what": "an id"}
HOST = {"type": "string", "pattern": r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", "x-what": "a host name"}
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = {"type": "string", "pattern": rf"^{_OCTET}(\.{_OCTET}){{3}}$", "x-what": "an IPv4 address"}
CIDR = {"type": "string", "pattern": rf"^{_OCTET}(\.{_OCTET}){{3}}/([0-9]|[12][0-9]|3[0-2])$",
        "x-what": "a network in CIDR notation"}
TEXT = {"type": "string", "minLength": 1}
OPT_TEXT = {"type": ["string", "null"], "minLength": 1}
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "x-what": "a date (YYYY-MM-DD)"}
HHMM = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "x-what": "a time of day (HH:MM)"}
#: a date (a whole day in the province's time zone) or a moment with its UTC offset
MOMENT = {"type": "string",
          "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
          "x-what": "a date (YYYY-MM-DD) or a time with its offset (YYYY-MM-DDTHH:MM+07:00)"}
SHA256 = {"type": "string", "pattern": r"^[0-9a-f]{64}$", "x-what": "a SHA-256 digest (64 hex digits)"}
PLATFORMS = {
    "codec": ["cisco_ce", "poly_group"],
    "mcu": ["cisco_cms", "pexip_infinity"],
    "router": ["cisco_ios", "huawei_vrp"],
}
SCALES = {"provincial": ["1a", "1b", "1c"], "ict": ["2a", "2b", "2c"], "district": ["3a", "3b", "3c"], "other": []}
SYSTEM_KINDS = list(SCALES)
CONTACT_ROLES = ["technical", "controller", "line_staff"]


def _obj(required: list[str], **props: Any) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _list_of(item: dict) -> dict:
    return {"type": "array", "items": item}


def _device(cls: str) -> dict:
    return _obj(["host", "platform", "address"], host=HOST, platform={"enum": PLATFORMS[cls]},
                model=TEXT, address=IPV4, serial=OPT_TEXT)


SECTIONS: dict[str, dict] = {
    "province": _obj(
        ["name", "slug", "approving_authority", "timezone", "management_network"],
        name=TEXT, slug=ID, as_of=TEXT, regulation=TEXT, approving_authority=ID,
        timezone={"type": "string", "pattern": r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)+$", "x-what": "an IANA time zone"},
        ntp_servers=_list_of(IPV4), management_network=CIDR,
        approval_clock_skew_seconds={"type": "integer", "minimum": 0, "maximum": 3600,
                                     "x-what": "seconds of clock skew allowed at the ends of an approval's "
                                               "validity (at most 3600)"},
        software_baselines={"type": "object", "additionalProperties": TEXT,
                            "propertyNames": {"enum": sorted({p for v in PLATFORMS.values() for p in v})}},
        expected_endpoints=_obj([], provincial={"type": "integer", "minimum": 0},
                                ict={"type": "integer", "minimum": 0}),
        # working sessions (Art. 7: lead times in working sessions and days), e.g. 07:30-11:30
        office_hours={**_list_of(_obj(["start", "end"], start=HHMM, end=HHMM)), "minItems": 1},
        extra_days_off=_list_of(DATE), extra_working_days=_list_of(DATE),
        codec_accounts=_list_of(_obj(
            ["username", "roles", "passphrase_secret"],
            username={"type": "string", "pattern": r"^[a-z][a-z0-9._-]{0,31}$", "x-what": "a codec user name"},
            roles={"type": "array", "minItems": 1, "uniqueItems": True,
                   "items": {"enum": ["Admin", "Audit", "Integrator", "RoomControl", "User"]}},
            active={"type": "boolean"}, shell_login={"type": "boolean"},
            passphrase_secret={"type": "string", "pattern": r"^codec_[a-z0-9_]+$",
                               "x-what": "a secret name codec_… (the variable gbtt_<name> holds it)"},
        )),
    ),
    "districts": _list_of(_obj(
        ["id", "name", "type", "communes"], id=ID, name=TEXT,
        type={"enum": ["huyen", "thanh_pho", "thi_xa"]}, borders_china={"type": "boolean"},
        communes=_list_of(_obj(["id", "name", "type"], id=ID, name=TEXT,
                               type={"enum": ["xa", "phuong", "thi_tran"]})),
    )),
    "units": _list_of(_obj(
        ["id", "name", "kind", "level"], id=ID, name=TEXT,
        kind={"enum": ["party_office", "people_committee", "department", "ict_center", "culture_office",
                       "line_provider", "other"]},
        level={"enum": ["province", "district", "commune"]}, district=ID, commune=ID,
    )),
    "sites": _list_of(_obj(["id", "name", "unit", "district"], id=ID, name=TEXT, unit=ID, district=ID,
                           commune=ID, room=TEXT)),
    "systems": _list_of(_obj(
        ["id", "name", "kind", "operating_agency", "funding_owner", "management_subnet", "chairs", "mcu"],
        id=ID, name=TEXT, kind={"enum": SYSTEM_KINDS}, district=ID, operating_agency=ID, funding_owner=ID,
        approving_authority=ID, management_subnet=CIDR,
        chairs={"type": "object", "additionalProperties": ID,
                "propertyNames": {"pattern": r"^[1-4][a-c]$", "x-what": "an Art. 5 scale clause such as 1b"}},
        mcu={**_device("mcu"), "required": ["host", "platform", "address", "site"],
             "properties": {**_device("mcu")["properties"], "site": ID}},
    )),
    "endpoints": _list_of(_obj(
        ["id", "system", "site", "name", "line", "codec", "router"],
        id=ID, system=ID, site=ID, name=TEXT, border_cluster={"type": "boolean"},
        focal_officers=_list_of(ID),
        line=_obj(["provider", "bandwidth_kbps"], provider=ID, circuit=OPT_TEXT,
                  bandwidth_kbps={"type": "integer", "minimum": 64, "maximum": 100000}),
        codec=_device("codec"), router=_device("router"),
        camera_presets=_list_of(_obj(["id", "name"], id={"type": "integer", "minimum": 1, "maximum": 35},
                                     name=TEXT)),
    )),
    "contacts": _list_of(_obj(
        ["id", "unit", "roles"], id=ID, unit=ID,
        roles={"type": "array", "items": {"enum": CONTACT_ROLES}, "minItems": 1},
        name=OPT_TEXT, phone={"type": ["string", "null"], "pattern": r"^\+?[0-9][0-9 .-]{6,18}[0-9]$",
                              "x-what": "a phone number (digits, spaces, dots or dashes)"},
        email={"type": ["string", "null"], "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "x-what": "an email address"},
        endpoints=_list_of(ID),
    )),
    "interconnects": _list_of(_obj(
        ["id", "hub", "spokes"], id=ID, name=OPT_TEXT, hub=ID,
        spokes={**_list_of(ID), "minItems": 1},
        bandwidth_kbps={"type": "integer", "minimum": 64, "maximum": 20000}, purpose=OPT_TEXT,
    )),
    "approvals": _list_of(_obj(
        ["id", "number", "authority", "issued", "valid_from", "valid_until", "systems", "purpose"],
        id=ID, number=TEXT, authority=ID, issued=DATE, valid_from=MOMENT, valid_until=MOMENT,
        systems={**_list_of(ID), "minItems": 2}, endpoints=_list_of(ID), purpose=TEXT, meeting=OPT_TEXT,
        interconnect=ID, config_sha256=SHA256, signature=OPT_TEXT,
    )),
    "revocations": _list_of(_obj(
        ["approval", "revoked", "reason"], approval=ID, revoked=MOMENT, reason=TEXT, by=OPT_TEXT,
    )),
}
SECTION_NAMES = list(SECTIONS)
FILE_SCHEMA = {
    "type": "object", "additionalProperties": False, "minProperties": 1, "properties": SECTIONS,
}
_VALIDATOR = Draft202012Validator(FILE_SCHEMA)
_FAST: Any = None  # fastjsonschema's compiled validator, built on first use (~0.1 s)


def is_valid(data: Any) -> bool:
    """True when ``data`` passes the file schema (fast; no details)."""
    global _FAST
    if _FAST is None:
        _FAST = fastjsonschema.compile(FILE_SCHEMA)
    try:
        _FAST(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass(frozen=True)
class SchemaProblem:
    path: tuple
    kind: str
    message: str
    hint: str
    at_key: bool = False


def _expected(schema: dict) -> list[str]:
    t = schema.get("type")
    return [t] if isinstance(t, str) else list(t or [])


def _norway_hint(value: Any, expected: list[str]) -> str:
    if "string" in expected and isinstance(value, float):
        return (f"YAML read this as the number {value!r}: quote it to keep it as written, \"{{written}}\" "
                "(without quotes trailing zeros are lost: 9.10 becomes 9.1)")
    if "string" in expected and isinstance(value, bool):
        return "YAML read this as a boolean: quote it to keep it as text, \"{written}\""
    if "string" in expected and isinstance(value, int):
        return "YAML read this as a number: quote it to keep it as text, \"{written}\""
    if "boolean" in expected and isinstance(value, str) and value.lower() in {"yes", "no", "on", "off", "y", "n"}:
        return f"YAML 1.2 reads {value!r} as text, not a boolean: write true or false"
    if "array" in expected and isinstance(value, (str, int, float)):
        return f"write a list, e.g. [{value}]"
    if "integer" in expected and isinstance(value, str):
        return "write the number without quotes"
    return f"write {' or '.join(_TYPE_NAMES.get(t, t) for t in expected)}"


def _explain(err: Any) -> SchemaProblem:
    path = tuple(err.absolute_path)
    v = err.validator
    schema = err.schema
    inst = err.instance
    if v == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in inst if k not in schema.get("properties", {})]
        k = extra[0] if extra else "?"
        close = difflib.get_close_matches(str(k), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        hint += f"allowed keys here: {', '.join(allowed)}"
        where = "at the top of a registry file" if not path else "here"
        return SchemaProblem(path + (k,), "unknown key", f"unknown key {k!r} {where}", hint, at_key=True)
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return SchemaProblem(path, "missing key", f"missing required key {missing!r}",
                             f"add '{missing}:' with its value (see docs/registry.md)")
    if v == "type":
        expected = _expected(schema)
        want = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        return SchemaProblem(path, "wrong type",
                             f"expected {want}, got {_TYPE_NAMES.get(_type_of(inst), _type_of(inst))} {inst!r}",
                             _norway_hint(inst, expected))
    if v == "enum":
        options = [str(o) for o in schema["enum"]]
        close = difflib.get_close_matches(str(inst), options, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + f"allowed: {', '.join(options)}"
        return SchemaProblem(path, "invalid value", f"{inst!r} is not an allowed value", hint)
    if v == "pattern":
        what = schema.get("x-what", f"text matching {schema['pattern']}")
        hint = {
            "an id": "ids are lowercase ASCII letters and digits joined by single hyphens, e.g. 'dong-van-lung-cu'",
            "a host name": "host names are lowercase letters, digits and hyphens, at most 63 characters",
            "an IPv4 address": "write four numbers 0-255 without leading zeros, e.g. 10.23.1.2 "
                               "(a leading zero reads as octal on some devices)",
            "a network in CIDR notation": "write address/prefix without leading zeros, e.g. 10.23.1.0/24",
        }.get(what, f"write {what}")
        return SchemaProblem(path, "invalid value", f"{inst!r} is not {what}", hint)
    if v == "propertyNames":
        what = (schema.get("propertyNames") or {}).get("x-what", "an allowed key")
        return SchemaProblem(path, "invalid value", f"invalid key: {err.message}", f"keys here must be {what}",
                             at_key=True)
    if v in ("minLength",):
        return SchemaProblem(path, "invalid value", "empty text", "write a value, or null where the field allows it")
    if v in ("minimum", "maximum", "minItems", "minProperties"):
        return SchemaProblem(path, "invalid value", err.message, "see docs/registry.md for the allowed range")
    return SchemaProblem(path, "invalid value", err.message, "see docs/registry.md")


def check_file(data: Any) -> Iterator[SchemaProblem]:
    """Every schema problem of one registry file's data, most specific first."""
    if not isinstance(data, dict):
        yield SchemaProblem((), "wrong type",
                            f"a registry file must be a mapping of sections, got {_TYPE_NAMES.get(_type_of(data))}",
                            f"start the file with one of: {', '.join(s + ':' for s in SECTION_NAMES)}")
        return
    if is_valid(data):
        return
    seen: set[tuple] = set()
    for err in sorted(_VALIDATOR.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        problem = _explain(err)
        if (problem.path, problem.kind) in seen:
            continue
        seen.add((problem.path, problem.kind))
        yield problem
