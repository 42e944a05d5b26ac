"""Instants and ids as routing's tables keep them.

Instants are written in UTC and read back as aware UTC datetimes: SQLite keeps no offset, so an
aware local time written as-is would come back as the wrong instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID


def utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError("naive datetime given to the repository")
    return moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def aware_at(moment: datetime) -> datetime:
    """A stored instant that is never missing, as an aware UTC datetime."""
    value = aware(moment)
    assert value is not None
    return value


def uuid_or_none(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def str_or_none(value: UUID | None) -> str | None:
    return None if value is None else str(value)
