"""The incident cases (tests/cases/*): each drill states the vendor's behaviour and must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.drills import load_drill
from console.drills.runner import run_drill

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())

#: Cases whose kind of fault is not fixed yet, with the part of the model that owes the fix.
STILL_FAILING = {
}


def _marks(case: Path) -> list[pytest.MarkDecorator]:
    why = STILL_FAILING.get(case.name)
    return [pytest.mark.xfail(strict=True, reason=why)] if why else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=_marks(c)) for c in CASES])
def test_case_behaves_as_the_vendor_documents(case: Path) -> None:
    report, _ = run_drill(load_drill(case / "drill.toml"))
    failed = [(e.text, e.observed) for e in report.expectations if not e.passed]
    assert report.passed, failed
