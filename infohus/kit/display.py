"""How times and dates are shown on pages and in exports: Danish time, to the minute."""

from __future__ import annotations

from datetime import date, datetime

from contracts.concern import LOCAL_TIME_ZONE


def local(moment: datetime | str | None) -> str:
    """``6.12.2026 kl. 14.05``: Danish time, to the minute (from an aware datetime or ISO 8601 text)."""
    if moment is None or moment == "":
        return ""
    at = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment.replace("Z", "+00:00"))
    at = at.astimezone(LOCAL_TIME_ZONE)
    return f"{at.day}.{at.month}.{at.year} kl. {at.hour:02d}.{at.minute:02d}"


def day(value: date | str | None) -> str:
    """``6.12.2026`` (from a date or ISO 8601 text)."""
    if value is None or value == "":
        return ""
    when = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{when.day}.{when.month}.{when.year}"
