"""How long a disclosure record must be kept at least (docs/legal.md §A3 (ii)): 5 years after the
disclosure [P: a DPO decision]. A record whose ``retention_until`` lies before that is refused (D1), and
retention never erases a record's content before it, whatever its ``retention_until`` says (migration 0005
holds the database to the same number).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

MIN_RETENTION_YEARS = 5


def years_after(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year (the later day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def statutory_minimum(occurred_at: datetime) -> date:
    """The earliest ``retention_until`` a record of a disclosure at ``occurred_at`` may have. Counted from
    the UTC date, as routing sets ``retention_until`` and as the database compares ``occurred_at``."""
    return years_after(occurred_at.astimezone(UTC).date(), MIN_RETENTION_YEARS)


def erasable_occurred_before(today: date) -> date:
    """Records of disclosures on a day before this (UTC date of ``occurred_at``) are past the minimum."""
    try:
        return today.replace(year=today.year - MIN_RETENTION_YEARS)
    except ValueError:
        return date(today.year - MIN_RETENTION_YEARS, 2, 28)
