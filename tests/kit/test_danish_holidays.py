"""The kit's Danish public holidays are the ``holidays`` package's, for 1800–2100 (the years the package covers)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import holidays
import pytest

from infohus.kit.danish_holidays import danish_public_holidays, easter_sunday


@pytest.mark.parametrize("year", range(1800, 2101))  # the package stops at 2100
def test_same_days_as_the_holidays_package(year: int) -> None:
    expected = frozenset(holidays.country_holidays("DK", years=year, categories=(holidays.PUBLIC,)).keys())
    assert danish_public_holidays(year) == expected


def test_store_bededag_until_2023_only() -> None:
    assert date(2023, 5, 5) in danish_public_holidays(2023)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert date(2024, 4, 26) not in danish_public_holidays(2024)


def test_the_services_do_not_load_the_holidays_package() -> None:
    """``holidays.country_holidays`` imports every country's module (memory); the services must not."""
    code = ("import sys, services.routing.entrypoints.http, services.audit.entrypoints.http, "
            "services.intake.entrypoints.http; "
            "from services.routing.domain.calendar import danish_public_holidays; "
            "from services.audit.domain.office_days import is_office_day; "
            "danish_public_holidays(2026); is_office_day(date(2026, 4, 6)); "
            "print('holidays' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", "from datetime import date; " + code],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
