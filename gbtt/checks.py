"""Declarative maintenance checks (Art. 3 and 12.4), in netlab's ``validate`` shape.

A check is one YAML file ``checks/<id>.yml``::

    id: ntp-synchronised
    title: {vi: "Đồng bộ thời gian NTP", en: "NTP synchronised"}
    classes: [codec, router]              # device classes it applies to (codec, router, mcu)
    severity: major                       # critical | major | minor
    article: "3"                          # the regulation's article (optional)
    hint: {vi: "…", en: "…"}              # how to fix it, shown with a failure
    platforms:
      cisco_ce:
        ask: {status: "NetworkServices NTP"}      # what to ask the device
        judge: cisco_ce.ntp_synchronised          # checks/judges/cisco_ce.py: ntp_synchronised()
      cisco_ios:
        ask: {show: "show ntp status"}
        judge: cisco_ios.ntp_synchronised

``ask`` is a query the device's driver answers (:meth:`gbtt.drivers.base.Driver.ask`), or one
the runner answers itself: ``{connect: true}`` (the login), ``{facts: true}`` (the driver's
``get_facts()``), ``{compare: true}`` (the diff with the intended configuration), or
``{probe: …}`` (:meth:`~gbtt.drivers.base.Driver.probe`: no login needed, asked even when the
login fails).  A list asks several queries; the judge gets the list of answers.  The platform
``"*"`` applies to every platform of the classes.

A *judge* is a Python function ``judge(answer, ctx) -> Verdict`` in ``checks/judges/<module>.py``
(``ctx``: :class:`Context`).  Adding a check is a YAML file (and a judge); adding a platform is
a judge module and its entries under ``platforms:``: no shared code changes.

An *operator* check has ``operator: true`` and no platforms: a person confirms it per endpoint
(fire safety, power, temperature and humidity, lens cleaning…); it is never passed by default.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from jsonschema import Draft202012Validator

from gbtt.yamlio import Locator, YamlProblem, fast_load

CHECKS = Path(__file__).resolve().parent.parent / "checks"
SEVERITIES = ("critical", "major", "minor")
#: a result: pass; warn (passes, but look: a certificate expiring soon); fail; error (the check
#: could not be run: the query or the judge failed); not-run (the device was not reached);
#: n/a (does not apply to this device: no baseline for its platform); unconfirmed (an operator
#: item nobody confirmed)
STATUSES = ("pass", "warn", "fail", "error", "not-run", "n/a", "unconfirmed")
FAILING = frozenset({"fail", "error", "not-run", "unconfirmed"})
RUNNER_QUERIES = ("connect", "facts", "compare", "probe")

_TEXT2 = {"type": "object", "additionalProperties": False, "required": ["vi", "en"],
          "properties": {"vi": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_STEP = {"type": "object", "additionalProperties": False, "required": ["ask", "judge"],
         "properties": {"ask": {"oneOf": [{"type": "object", "minProperties": 1},
                                          {"type": "array", "minItems": 1, "items": {"type": "object",
                                                                                     "minProperties": 1}}]},
                        "judge": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*$"}}}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "title", "severity", "hint"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
        "title": _TEXT2, "hint": _TEXT2,
        "classes": {"type": "array", "minItems": 1, "uniqueItems": True,
                    "items": {"enum": ["codec", "router", "mcu"]}},
        "severity": {"enum": list(SEVERITIES)},
        "article": {"type": "string"},
        "operator": {"type": "boolean"},
        "order": {"type": "integer"},
        "platforms": {"type": "object", "minProperties": 1, "additionalProperties": _STEP},
    },
    "if": {"properties": {"operator": {"const": True}}, "required": ["operator"]},
    "then": {"not": {"anyOf": [{"required": ["platforms"]}, {"required": ["classes"]}]}},
    "else": {"required": ["classes", "platforms"]},
}
_VALIDATOR = Draft202012Validator(SCHEMA)


class CheckError(Exception):
    """A check file that cannot be used: the message names the file, the line and the fix."""


@dataclass
class Verdict:
    status: str                  # pass | warn | fail | n/a
    value: str = ""              # what was measured, short ("ce11.17.1.5", "2 % loss")
    evidence: str = ""           # what the device said that shows it (a few lines)


@dataclass
class Context:
    """What a judge may know besides the answer."""

    host: str
    platform: str
    device_class: str
    variables: dict              # the host's registry variables (gbtt_system, gbtt_endpoint, …)
    now: dt.datetime
    previous: dict | None = None  # this check's result on this host in the previous record
    previous_when: dt.datetime | None = None

    @property
    def province(self) -> dict:
        return self.variables.get("gbtt_province") or {}

    @property
    def system(self) -> dict:
        return self.variables.get("gbtt_system") or {}


@dataclass(frozen=True)
class Step:
    queries: tuple[dict, ...]
    many: bool                    # the YAML gave a list: the judge gets a list of answers
    judge_ref: str

    @property
    def runner_query(self) -> str | None:
        keys = {k for q in self.queries for k in q}
        return next((k for k in RUNNER_QUERIES if k in keys), None)


@dataclass(frozen=True)
class Check:
    id: str
    title_vi: str
    title_en: str
    severity: str
    hint_vi: str
    hint_en: str
    file: str
    classes: tuple[str, ...] = ()
    platforms: dict = field(default_factory=dict)   # platform (or "*") -> Step
    operator: bool = False
    article: str | None = None
    order: int = 100

    @property
    def judges(self) -> Path:
        """The folder of this check's judge modules: ``judges/`` beside its file."""
        return Path(self.file).parent / "judges"

    def judge(self, platform: str) -> Callable:
        return judge(self.step(platform).judge_ref, self.judges)

    def step(self, platform: str) -> Step | None:
        return self.platforms.get(platform) or self.platforms.get("*")

    def applies(self, device_class: str, platform: str) -> bool:
        return not self.operator and device_class in self.classes and self.step(platform) is not None


def _where(path: Path, data_path: tuple) -> str:
    line, col = Locator({path.name: path}).locate(path.name, data_path)
    return f"{path}:{line}" + (f":{col}" if col else "") if line else str(path)


def load_file(path: Path) -> Check:
    try:
        data = fast_load(path.read_text(encoding="utf-8"), str(path))
    except YamlProblem as p:
        raise CheckError(f"{path}:{p.line}: {p.message} ({p.hint})") from None
    if not isinstance(data, dict):
        raise CheckError(f"{path}: a check is a mapping (id, title, severity, hint, classes, platforms)")
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = _where(path, tuple(e.absolute_path))
        raise CheckError(f"{where}: {'/'.join(map(str, e.absolute_path)) or 'check'}: {e.message} "
                         "(see the format in gbtt/checks.py or docs/maintenance.md)")
    if data["id"] != path.stem:
        raise CheckError(f"{_where(path, ('id',))}: id {data['id']!r} differs from the file name: "
                         f"name the file {data['id']}.yml")
    platforms = {}
    for name, step in (data.get("platforms") or {}).items():
        queries = step["ask"] if isinstance(step["ask"], list) else [step["ask"]]
        platforms[name] = Step(tuple(dict(q) for q in queries), isinstance(step["ask"], list), step["judge"])
        try:
            judge(step["judge"], path.parent / "judges")
        except CheckError as exc:
            raise CheckError(f"{_where(path, ('platforms', name, 'judge'))}: {exc}") from None
    return Check(data["id"], data["title"]["vi"], data["title"]["en"], data["severity"], data["hint"]["vi"],
                 data["hint"]["en"], str(path), tuple(data.get("classes", ())), platforms,
                 bool(data.get("operator")), data.get("article"), data.get("order", 100))


def load(folder: Path = CHECKS) -> list[Check]:
    """Every check of ``folder`` (``*.yml``), in their ``order`` then id; CheckError for the first
    bad one.  Read once per process while the files stay the same (a run asks it per device)."""
    files = sorted(Path(folder).glob("*.yml"))
    judges = sorted((Path(folder) / "judges").glob("*.py"))
    return list(_load(tuple((str(p), p.stat().st_mtime_ns) for p in files + judges)))


@lru_cache(maxsize=8)
def _load(stamp: tuple) -> tuple[Check, ...]:
    checks = [load_file(Path(name)) for name, _ in stamp if name.endswith(".yml")]
    return tuple(sorted(checks, key=lambda c: (c.order, c.id)))


@lru_cache(maxsize=None)
def _judge_module(folder: str, name: str) -> ModuleType:
    path = Path(folder) / f"{name}.py"
    if not path.is_file():
        raise CheckError(f"no judge module {path}")
    spec = importlib.util.spec_from_file_location(f"gbtt_judges_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def judge(ref: str, folder: Path = CHECKS / "judges") -> Callable[[Any, Context], Verdict]:
    """The judge function ``<module>.<function>`` of ``checks/judges/<module>.py``."""
    module_name, _, function = ref.partition(".")
    fn = getattr(_judge_module(str(folder), module_name), function, None)
    if not callable(fn):
        raise CheckError(f"judge {ref!r}: {folder / (module_name + '.py')} has no function {function!r}")
    return fn


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def number(text: Any) -> float | None:
    """The first number in ``text`` (a helper for judges)."""
    m = _NUMBER.search(str(text))
    return float(m.group()) if m else None
