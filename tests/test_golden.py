"""Behaviour does not change by accident: the golden runs print what they printed when recorded
(see golden_runs.py for what they are and how to regenerate them on purpose)."""

from __future__ import annotations

import pytest
from golden_runs import GOLDEN, output_of, runs


@pytest.mark.parametrize("file", sorted(runs()))
def test_golden_run_is_byte_identical(file: str) -> None:
    expected = (GOLDEN / file).read_text(encoding="utf-8")
    assert output_of(runs()[file]) == expected
