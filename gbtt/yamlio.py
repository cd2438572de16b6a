"""YAML reading for the registry.

Two readers, one dialect (YAML 1.2 core schema):

* :func:`fast_load` composes the document with libyaml (the C parser that PyYAML, a
  dependency of ansible-core, binds) and turns the nodes into plain dicts and lists with
  the YAML 1.2 core schema resolved here (PyYAML's own resolver is YAML 1.1, where ``NO``
  is false and ``22:30`` a number).  It is what every load uses, about five times faster
  than ruamel.yaml's safe loader; it keeps no line numbers.  Anything it cannot read is
  read again with ruamel.yaml's safe loader, whose message is the one reported.
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

import yaml as _pyyaml
from ruamel.yaml import YAML

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: every load takes the ruamel.yaml path
    _CParser = None
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


class _LeadingZeroAsText:
    """The fast reader's dialect in ruamel.yaml's constructors.

    ``0243…`` is text (YAML 1.2 would make it the integer 243…), so is ``1_000`` (not a
    number in the YAML 1.2 core schema, though ruamel.yaml reads it as one) and so is
    ``2017-03-02`` (timestamps are not in the core schema: dates stay text, as written).
    """

    def construct_yaml_int(self, node: Any) -> Any:
        if _LEADING_ZERO.match(node.value) or "_" in node.value:
            return node.value
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        return self.construct_scalar(node)


class _SafeConstructor(_LeadingZeroAsText, SafeConstructor):
    pass


class _RoundTripConstructor(_LeadingZeroAsText, RoundTripConstructor):
    pass


for _cls in (_SafeConstructor, _RoundTripConstructor):
    _cls.add_constructor("tag:yaml.org,2002:int", _cls.construct_yaml_int)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _cls.construct_yaml_timestamp)


class YamlProblem(Exception):
    """A file that cannot be read as YAML: where, what and how to fix it."""

    def __init__(self, file: str, line: int | None, column: int | None, kind: str, message: str, hint: str):
        super().__init__(file, line, column, kind, message, hint)
        self.file, self.line, self.column = file, line, column
        self.kind, self.message, self.hint = kind, message, hint


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


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), plain scalars only.
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_INT_OCT = re.compile(r"0o[0-7]+\Z")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_FLOAT_SPECIAL = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
                  "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
                  "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
                  ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_PLAIN = "?"  # an untagged plain scalar: resolved by _plain() below


def _plain(value: str) -> Any:
    if value in _NULL:
        return None
    b = _BOOL.get(value)
    if b is not None:
        return b
    if value[:1] not in "0123456789+-.":
        return value
    if _INT.match(value):
        return value if _LEADING_ZERO.match(value) else int(value)
    if _INT_HEX.match(value):
        return int(value, 16)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _FLOAT.match(value):
        return float(value)
    return _FLOAT_SPECIAL.get(value, value)


class _Composer(_CParser or object):  # type: ignore[misc]
    """libyaml's composer; tags are resolved by :func:`_data`, not by PyYAML's 1.1 resolver."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is _pyyaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _MAP if kind is _pyyaml.MappingNode else _SEQ

    def descend_resolver(self, *_: Any) -> None:
        pass

    def ascend_resolver(self, *_: Any) -> None:
        pass


class _Unreadable(Exception):
    """Something the fast reader does not handle: the safe loader reads it and reports."""


class _Recursive(Exception):
    """An alias to a node that contains it: a value that would contain itself."""

    def __init__(self, node: Any):
        super().__init__()
        self.node = node


def _data(node: Any, seen: dict[int, Any]) -> Any:
    cls = node.__class__
    if cls is _pyyaml.ScalarNode:
        if node.tag == _PLAIN:
            return _plain(node.value)
        if node.tag == _STR:
            return node.value
        raise _Unreadable(node.tag)
    done = seen.get(id(node))
    if done is not None:  # an alias: the anchored value
        if done[1] is None:
            raise _Recursive(node)
        return done[1]
    if node.tag not in (_MAP, _SEQ):
        raise _Unreadable(node.tag)
    if cls is _pyyaml.MappingNode:
        out: dict = {}
        seen[id(node)] = (node, None)  # an alias to an enclosing node (a cycle) is unreadable
        for key_node, value_node in node.value:
            key = _data(key_node, seen)
            if key in out or not isinstance(key, (str, int, float, bool, type(None))):
                raise _Unreadable("duplicate or complex key")
            out[key] = _data(value_node, seen)
    else:
        seen[id(node)] = (node, None)
        out = [_data(item, seen) for item in node.value]
    seen[id(node)] = (node, out)
    return out


def fast_load(text: str, file: str) -> Any:
    """Parse ``text`` (the content of ``file``) into plain Python data."""
    if _CParser is not None:
        parser = _Composer(text)
        try:
            node = parser.get_single_node()
            return None if node is None else _data(node, {})
        except _Recursive as exc:
            mark = exc.node.start_mark
            raise YamlProblem(file, mark.line + 1, mark.column + 1, "yaml syntax",
                              "an alias refers to a list or mapping that contains it (a value that contains "
                              "itself)", "write the value out instead of the alias") from None
        except (_pyyaml.YAMLError, _Unreadable, RecursionError, TypeError):
            pass  # read again below, for the message
        finally:
            parser.dispose()
    return _safe_load(text, file)


def _safe_load(text: str, file: str) -> Any:
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


def rt_dump(data: Any) -> str:
    """Write round-trip data back in the registry's layout (2-space mappings, ``  - `` lists,
    no re-wrapping, ``---`` first): an edit changes only the lines it touches."""
    import io
    y = _rt_yaml()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.explicit_start = True
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def rt_edit(text: str, change) -> str:
    """``text`` with ``change(data)`` applied, touching only the lines the change touches.

    ruamel.yaml's round trip keeps comments, order and quoting, but it re-flows some things it
    dumps (long flow mappings are re-wrapped).  So the edited data and the unedited data are both
    dumped, and only the lines that differ between those two dumps are carried over to the
    original text, at the places the original has them.  A change inside a part that ruamel
    re-flows replaces that part only."""
    import difflib
    data = rt_load(text)
    baseline = rt_dump(rt_load(text)).splitlines(keepends=True)
    change(data)
    modified = rt_dump(data).splitlines(keepends=True)
    original = text.splitlines(keepends=True)
    if not text.startswith("---"):
        baseline, modified = baseline[1:], modified[1:]          # rt_dump writes --- first
    to_original: dict[int, int] = {}
    spans = []                       # (baseline start, end, original start, end) of re-flowed parts
    for tag, i1, i2, o1, o2 in difflib.SequenceMatcher(None, baseline, original, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                to_original[i1 + k] = o1 + k
        else:
            spans.append((i1, i2, o1, o2))
    to_original[len(baseline)] = len(original)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, baseline, modified, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for s1, s2, o1, o2 in spans:        # widen to a re-flowed part it touches
            if s1 < max(i2, i1 + 1) and i1 < max(s2, s1 + 1):
                i1, i2 = min(i1, s1), max(i2, s2)
        if i1 not in to_original and i1 < len(baseline):
            return "".join(modified)
        start = to_original.get(i1, len(original))
        end = to_original[i2 - 1] + 1 if i2 > i1 and (i2 - 1) in to_original else (
            next(o2 for s1, s2, o1, o2 in spans if s2 == i2) if any(s2 == i2 for s1, s2, _, _ in spans) else start)
        edits.append((start, end, modified[j1:j2]))
    for start, end, lines in sorted(edits, reverse=True):
        original[start:end] = lines
    return "".join(original)
