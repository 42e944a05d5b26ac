"""The auditor's CSV export: a cell a spreadsheet would run as a formula is written as text (OWASP CSV injection:
a leading = + - @, tab or carriage return)."""

from __future__ import annotations

import pytest

from services.audit.entrypoints.http import csv_cell


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1+2", "\r=1+2", "\tplain"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "cell"), [("IH-2026-0001", "IH-2026-0001"), ("a=b", "a=b"), (12, "12"),
                                             (None, ""), ("", ""), (" =1", " =1"), ("x\t", "x\t")])
def test_any_other_cell_is_written_as_it_is(value: object, cell: str) -> None:
    assert csv_cell(value) == cell
