"""YAML reading for the registry.

Two readers, one dialect (YAML 1.2):

* :func:`fast_load` parses with ruamel.yaml's safe loader (libyaml through
  ``ruamel.yaml.clib`` when installed) and returns plain dicts and lists.  It is what
  every load uses; it keeps no line numbers.
* :class:`Locator` re-reads a file with the round-trip loader, which keeps the line
  and column of every key and item, and turns a data path such as
  ``("endpoints", 3, "codec", "address")`` into a position.  It runs only when there
  is something to report, so a valid registry never pays for it.

Both readers reject duplicate keys and read numbers with a leading zero
(``0219 3866``, ``0243``) as strings, so that telephone numbers and the like keep
their digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


class _LeadingZeroAsText:
    """Read ``0243…`` as the text it is (YAML 1.2 would make it the integer 243…)."""

    def construct_yaml_int(self, node: Any) -> Any:
        if _LEADING_ZERO.match(node.value):
            return node.value
        return super().construct_yaml_int(node)


class _SafeConstructor(_LeadingZeroAsText, SafeConstructor):
    pass


class _RoundTripConstructor(_LeadingZeroAsText, RoundTripConstructor):
    pass


for _cls in (_SafeConstructor, _RoundTripConstructor):
    _cls.add_constructor("tag:yaml.org,2002:int", _cls.construct_yaml_int)


@dataclass(frozen=True)
class YamlProblem(Exception):
    """A file that cannot be read as YAML: where, what and how to fix it."""

    file: str
    line: int | None
    column: int | None
    kind: str
    message: str
    hint: str


def _safe_yaml() -> YAML:
    y = YAML(typ="safe")
    y.Constructor = _SafeConstructor
    y.allow_duplicate_keys = False
    return y


def _rt_yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _RoundTripConstructor
    y.allow_duplicate_keys = False
    y.preserve_quotes = True
    return y


def _problem(file: str, exc: YAMLError) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    if isinstance(exc, DuplicateKeyError):
        first = exc.context_mark
        problem = str(exc.problem).split(" with value")[0]
        return YamlProblem(
            file, line, column, "duplicate key",
            f"{problem}; the first one is on line {first.line + 1}" if first else problem,
            "a key may appear once per mapping: remove or rename one of them",
        )
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else str(problem)
    if isinstance(exc, ConstructorError):
        return YamlProblem(file, line, column, "yaml syntax", text,
                           "only plain mappings, lists and scalars are allowed (no custom tags)")
    hint = "check the indentation and quoting on this line and the one before it"
    if "\t" in text or "tab" in text:
        hint = "YAML does not allow tabs for indentation: use spaces"
    return YamlProblem(file, line, column, "yaml syntax", text, hint)


def fast_load(text: str, file: str) -> Any:
    """Parse ``text`` (the content of ``file``) into plain Python data."""
    try:
        return _safe_yaml().load(text)
    except MarkedYAMLError as exc:
        raise _problem(file, exc) from None
    except YAMLError as exc:
        raise _problem(file, exc) from None


def rt_load(text: str) -> Any:
    """Parse with the round-trip loader (comments, order, quoting and positions kept)."""
    return _rt_yaml().load(text)


class Locator:
    """Positions of data paths in the files of a registry, read on demand."""

    def __init__(self, root_of: dict[str, Path]):
        self._paths = root_of
        self._docs: dict[str, Any] = {}
        self._lines: dict[str, list[str]] = {}

    def _doc(self, file: str) -> Any:
        if file not in self._docs:
            path = self._paths.get(file)
            text = path.read_text(encoding="utf-8") if path else ""
            self._lines[file] = text.splitlines()
            try:
                self._docs[file] = rt_load(text)
            except YAMLError:
                self._docs[file] = None
        return self._docs[file]

    def source_line(self, file: str, line: int | None) -> str | None:
        """The text of ``line`` (1-based) of ``file``."""
        self._doc(file)
        lines = self._lines.get(file, [])
        if line is None or not 0 < line <= len(lines):
            return None
        return lines[line - 1]

    def locate(self, file: str, path: tuple, *, key: bool = False) -> tuple[int | None, int | None]:
        """1-based (line, column) of the value at ``path`` in ``file`` (of its key if ``key``).

        Walks as deep as the document allows: a path into a value that is missing points
        at the nearest existing parent.
        """
        node = self._doc(file)
        if node is None:
            return None, None
        pos: tuple[int, int] | None = (0, 0)
        for i, step in enumerate(path):
            last = i == len(path) - 1
            lc = getattr(node, "lc", None)
            try:
                if isinstance(step, int) and isinstance(node, list):
                    if lc is not None:
                        pos = lc.item(step)
                    node = node[step]
                elif isinstance(node, dict) and step in node:
                    if lc is not None:
                        pos = lc.key(step) if (key and last) else lc.value(step)
                        if not (key and last) and not isinstance(node[step], (dict, list)):
                            pos = lc.value(step)
                        elif not (key and last):
                            pos = lc.key(step)
                    node = node[step]
                else:
                    break
            except (KeyError, IndexError, TypeError):
                break
        if pos is None:
            return None, None
        return pos[0] + 1, pos[1] + 1
