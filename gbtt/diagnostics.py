"""Errors and warnings about a registry: collected, located, grouped, printed.

A diagnostic names the file and the data path it is about; the line and column are
looked up only when the diagnostic is shown (see :class:`gbtt.yamlio.Locator`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from gbtt.yamlio import Locator

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str
    kind: str
    message: str
    hint: str
    file: str | None = None  # path relative to its registry root
    path: tuple = ()
    at_key: bool = False
    line: int | None = None
    column: int | None = None
    also: tuple = ()  # other places: ((file, path), ...)


def error(kind: str, message: str, hint: str, src=None, *, at_key: bool = False, also=()) -> Diagnostic:
    return Diagnostic(ERROR, kind, message, hint, src.file if src else None, src.path if src else (),
                      at_key, also=tuple((a.file, a.path) for a in also))


def warning(kind: str, message: str, hint: str, src=None) -> Diagnostic:
    return Diagnostic(WARNING, kind, message, hint, src.file if src else None, src.path if src else ())


@dataclass
class Report:
    """The diagnostics of one registry, with what is needed to point at lines."""

    files: dict[str, Path] = field(default_factory=dict)  # relative name -> absolute path
    items: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == WARNING]

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    def display_path(self, file: str | None) -> str:
        if file is None:
            return "<registry>"
        path = self.files.get(file, Path(file))
        try:
            rel = os.path.relpath(path)
        except ValueError:
            return str(path)
        return rel if not rel.startswith("../../..") else str(path)

    def located(self) -> list[Diagnostic]:
        """The diagnostics with line and column filled in, in a stable order."""
        loc = Locator(self.files)
        out = []
        for d in self.items:
            if d.line is None and d.file in self.files:
                line, col = loc.locate(d.file, d.path, key=d.at_key)
                d = replace(d, line=line, column=col)
            out.append(d)
        out.sort(key=lambda d: (d.severity != ERROR, d.kind, d.file or "", d.line or 0, d.column or 0, d.message))
        self._loc = loc
        return out

    def _where(self, d: Diagnostic) -> str:
        where = self.display_path(d.file)
        if d.line:
            where += f":{d.line}"
            if d.column:
                where += f":{d.column}"
        return where

    def _also(self, d: Diagnostic) -> list[str]:
        out = []
        for file, path in d.also:
            line, _ = self._loc.locate(file, path)
            out.append(f"{self.display_path(file)}:{line}" if line else self.display_path(file))
        return out

    def format_text(self, *, limit: int | None = 5, color: bool = False) -> str:
        """Grouped by severity and kind, each group with its count and (up to ``limit``) items."""
        def paint(text: str, code: str) -> str:
            return f"\033[{code}m{text}\033[0m" if color else text

        lines: list[str] = []
        groups: dict[tuple[str, str], list[Diagnostic]] = {}
        has_errors = bool(self.errors)
        for d in self.located():
            if has_errors and d.severity == WARNING:
                continue  # fix the errors first: warnings would only bury them
            groups.setdefault((d.severity, d.kind), []).append(d)
        for (severity, kind), ds in groups.items():
            head = paint(severity, "1;31" if severity == ERROR else "1;33")
            lines.append(f"{head}: {kind} ({len(ds)})")
            shown = ds if limit is None else ds[:limit]
            for d in shown:
                text = f"  {self._where(d)}: {d.message}"
                also = self._also(d)
                if also:
                    text += f" (also at {', '.join(also)})"
                lines.append(text)
                if d.hint and (severity == ERROR or d is shown[0]):
                    lines.append(f"    hint: {d.hint}")
            if len(ds) > len(shown):
                lines.append(f"  … and {len(ds) - len(shown)} more (use --all to list every one)")
        if has_errors and self.warnings:
            lines.append(f"({len(self.warnings)} warnings not shown: fix the errors first)")
        return "\n".join(lines)

    def to_json(self) -> list[dict]:
        out = []
        for d in self.located():
            out.append({
                "severity": d.severity, "kind": d.kind, "message": d.message, "hint": d.hint,
                "file": self.display_path(d.file) if d.file else None, "line": d.line, "column": d.column,
                "path": [str(p) for p in d.path],
                "also": self._also(d),
            })
        return out

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        return f"{e} error{'s' if e != 1 else ''}, {w} warning{'s' if w != 1 else ''}"

    def json_dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)
