"""Golden error cases: one bad input per error class, with the message it must produce.

The expected files are written by ``tests/errors/regen.py``; a difference here means the
message changed — regenerate and review the diff, or fix the regression.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ERRORS = Path(__file__).parent / "errors"
_spec = importlib.util.spec_from_file_location("regen", ERRORS / "regen.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

REQUIRED_CLASSES = {
    "duplicate_key", "unknown_key", "wrong_type", "dangling_reference", "duplicate_host", "duplicate_address",
    "invalid_address", "newline_injection", "missing_chair", "wrong_count", "norway",
}


def test_every_required_error_class_has_a_case():
    assert REQUIRED_CLASSES <= {c.name for c in regen.cases()}


@pytest.mark.parametrize("case", regen.cases(), ids=lambda p: p.name)
def test_error_case_matches_golden(case: Path):
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    actual = regen.run_case(case)
    assert actual == expected
    assert actual.endswith("exit: 1\n"), "every bad input must make validation fail"
    assert "hint: " in actual, "every error carries a hint"
