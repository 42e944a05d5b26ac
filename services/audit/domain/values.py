"""Field types shared by the record and the checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, StringConstraints


def _as_utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("instants in the disclosure log need an explicit UTC offset")
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    # A fixed format of our own, so hashed and signed text does not depend on the serializer's version.
    return f"{value:%Y-%m-%dT%H:%M:%S.%f}Z"


def _no_nul(value: str) -> str:
    # Stored text is hashed with its length as SQLite counts it, which stops at U+0000 (stored_columns).
    if "\x00" in value:
        raise ValueError("text may not contain U+0000")
    return value


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


UtcInstant = Annotated[datetime, AfterValidator(_as_utc), PlainSerializer(format_utc, when_used="json")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_no_nul)]
OptionalText = Annotated[Text | None, BeforeValidator(_blank_to_none)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
