"""Keyset pages (never OFFSET): each page continues after the last row shown, by index, so the 100,000th
row costs what the first does. A list may be ordered in segments; the opaque cursor names the segment and
the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.instants import utc


class InvalidCursor(ValueError):
    """A cursor this service did not hand out (or one it cannot read any more)."""


def _encode_value(value: Any) -> str:
    if isinstance(value, datetime):
        return "t" + utc(value).isoformat()
    if isinstance(value, date):
        return "d" + value.isoformat()
    return "s" + str(value)


def _decode_value(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        raise InvalidCursor("bad cursor value")
    kind, rest = text[0], text[1:]
    try:
        if kind == "t":
            moment = datetime.fromisoformat(rest)
            if moment.utcoffset() is None:
                raise InvalidCursor("bad cursor time")
            return moment
        if kind == "d":
            return date.fromisoformat(rest)
    except ValueError as error:
        raise InvalidCursor("bad cursor value") from error
    if kind == "s":
        return rest
    raise InvalidCursor("bad cursor value")


def encode_cursor(segment: int, values: Sequence[Any]) -> str:
    raw = json.dumps([segment, [_encode_value(v) for v in values]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, segments: int, width: dict[int, int]) -> tuple[int, list[Any]]:
    """(segment, last sort key); :class:`InvalidCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        segment, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("the cursor is not one this list handed out") from error
    if not isinstance(segment, int) or not 0 <= segment < segments or not isinstance(values, list) \
            or len(values) != width[segment]:
        raise InvalidCursor("the cursor is not one this list handed out")
    return segment, [_decode_value(v) for v in values]


@dataclass(frozen=True)
class Segment:
    """Rows matching ``where``, ordered by ``order`` (non-null columns, unique together)."""

    where: ColumnElement[bool]
    order: tuple[Any, ...]


async def keyset_page(session: AsyncSession, query: Select[Any], segments: Sequence[Segment], cursor: str | None,
                      limit: int) -> tuple[list[Any], str | None]:
    """Up to ``limit`` rows of ``query`` after ``cursor``, segment by segment, and the next page's cursor."""
    start, after = (0, []) if cursor is None else decode_cursor(
        cursor, len(segments), {i: len(s.order) for i, s in enumerate(segments)})
    found: list[tuple[int, Any]] = []
    for index in range(start, len(segments)):
        segment = segments[index]
        page = query.where(segment.where)
        if index == start and after:
            page = page.where(tuple_(*segment.order) > tuple_(
                *[literal(v, type_=c.type) for c, v in zip(segment.order, after, strict=True)]))
        rows = (await session.execute(page.order_by(*segment.order).limit(limit + 1 - len(found)))).all()
        found += [(index, row) for row in rows]
        if len(found) > limit:
            break
    next_cursor = None
    if len(found) > limit:
        index, last = found[limit - 1]
        next_cursor = encode_cursor(index, [getattr(last, c.name) for c in segments[index].order])
    return [row for _, row in found[:limit]], next_cursor
