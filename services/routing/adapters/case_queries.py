"""The read side of the staff workspace: the inbox of infohus cases and StraXen's list of underretninger.

Pages use keyset cursors (never OFFSET): each page continues after the last row shown, by index, so the
100,000th case costs what the first does. A list may be ordered in segments (StraXen's: unassessed by
deadline, then assessed by receipt date); the cursor names the segment and the last row's sort key. A
page's open tasks are fetched in one query.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, literal_column, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.orm import case_timeline, concern_facts, infohus_cases, person_cpr, tasks, underretninger
from services.routing.adapters.repository import RoutingRepository, aware, utc
from services.routing.domain.casework import Underretning
from services.routing.domain.tasks import Task, TaskState


class InvalidCursor(ValueError):
    """A cursor this service did not hand out (or one it cannot read any more)."""


# --- cursors --------------------------------------------------------------------------------------------


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


async def _keyset_page(session: AsyncSession, query: Select[Any], segments: Sequence[Segment], cursor: str | None,
                       limit: int) -> tuple[list[Any], str | None]:
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


# --- the inbox ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    include_closed: bool = False
    states: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    overdue: bool | None = None
    actor: str | None = None  # "mine": cases with this user on their timeline (triage sign-offs included)
    reference: str | None = None
    cpr_hmac: str | None = None
    concern_ids: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    """The caller's municipalities: only their cases are listed (none: no case)."""


@dataclass(frozen=True)
class CaseRow:
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int
    state: str
    priority: str
    flags: list[str]
    triage_due_at: datetime
    opened_at: datetime
    triage_completed_at: datetime | None
    triage_signoffs: dict[str, dict[str, str]]
    open_tasks: list[Task] = field(default_factory=list)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None
    total: int


_C = infohus_cases.c
_CASE_COLUMNS = (_C.case_id, _C.concern_id, _C.reference, _C.subject_index, _C.state, _C.priority, _C.flags,
                 _C.triage_due_at, _C.opened_at, _C.triage_completed_at, _C.triage_signoffs)
# Literal, not a bound parameter: PostgreSQL then proves the open-cases partial index applies.
_OPEN_CASE = _C.state.op("<>")(literal_column("'CLOSED'"))
_INBOX_ORDER = (_C.priority, _C.triage_due_at, _C.opened_at, _C.case_id)


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(_C.triage_completed_at.is_(None), _OPEN_CASE, _C.triage_due_at < utc(now))


def _case_conditions(f: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_C.municipality.in_(f.municipalities)]
    if not f.include_closed:
        conditions.append(_OPEN_CASE)
    if f.states:
        conditions.append(_C.state.in_(f.states))
    if f.priorities:
        conditions.append(_C.priority.in_(f.priorities))
    if f.overdue is not None:
        conditions.append(_overdue(now) if f.overdue else ~_overdue(now))
    if f.actor is not None:
        conditions.append(exists().where(case_timeline.c.case_id == _C.case_id, case_timeline.c.actor == f.actor))
    if f.reference is not None:
        conditions.append(_C.reference == f.reference)
    if f.cpr_hmac is not None:
        conditions.append(_C.person_id.in_(select(person_cpr.c.person_id)
                                           .where(person_cpr.c.cpr_hmac == f.cpr_hmac)))
    if f.concern_ids:
        conditions.append(_C.concern_id.in_(f.concern_ids))
    return conditions


def _case_row(row: Any) -> CaseRow:
    due, opened = aware(row.triage_due_at), aware(row.opened_at)
    assert due is not None and opened is not None
    return CaseRow(case_id=UUID(row.case_id), concern_id=UUID(row.concern_id), reference=row.reference,
                   subject_index=row.subject_index, state=row.state, priority=row.priority,
                   flags=list(json.loads(row.flags)), triage_due_at=due, opened_at=opened,
                   triage_completed_at=aware(row.triage_completed_at),
                   triage_signoffs=json.loads(row.triage_signoffs))


@dataclass(frozen=True)
class UnderretningRow:
    underretning: Underretning
    reference: str | None
    open_tasks: list[Task] = field(default_factory=list)


class CaseQueries:
    """Lists for the staff workspace; every query is bounded by a page and served by an index."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def inbox(self, f: CaseFilter, *, now: datetime, cursor: str | None, limit: int) -> CasePage:
        conditions = _case_conditions(f, now)
        query = select(*_CASE_COLUMNS).where(*conditions)
        rows, next_cursor = await _keyset_page(self._session, query, [Segment(true(), _INBOX_ORDER)],
                                               cursor, limit)
        total = (await self._session.execute(
            select(func.count()).select_from(infohus_cases).where(*conditions))).scalar_one()
        cases = [_case_row(r) for r in rows]
        return CasePage(await self._with_tasks(cases), next_cursor, int(total))

    async def by_reference(self, reference: str, *, municipalities: Iterable[str]) -> list[CaseRow]:
        rows = (await self._session.execute(select(*_CASE_COLUMNS).where(
            _C.reference == reference, _C.municipality.in_(sorted(municipalities)))
                                            .order_by(_C.subject_index))).all()
        return await self._with_tasks([_case_row(r) for r in rows])

    async def _with_tasks(self, cases: list[CaseRow]) -> list[CaseRow]:
        if not cases:
            return cases
        by_case: dict[str, list[Task]] = {}
        for task in await self._open_tasks(tasks.c.case_id, [str(c.case_id) for c in cases]):
            by_case.setdefault(str(task.infohus_case_id), []).append(task)
        for case in cases:
            case.open_tasks.extend(by_case.get(str(case.case_id), []))
        return cases

    async def _open_tasks(self, column: Any, ids: list[str]) -> list[Task]:
        rows = (await self._session.execute(
            select(tasks).where(column.in_(ids), tasks.c.state == TaskState.OPEN.value)
            .order_by(tasks.c.due_at, tasks.c.due_date, tasks.c.created_at, tasks.c.kind))).mappings().all()
        return [RoutingRepository._task(r) for r in rows]

    # --- StraXen's list -----------------------------------------------------------------------------

    async def underretninger(self, *, include_closed: bool, cursor: str | None, limit: int,
                             municipalities: Iterable[str]) -> tuple[list[UnderretningRow], str | None]:
        u = underretninger.c
        query = (select(underretninger, concern_facts.c.reference)
                 .select_from(underretninger.outerjoin(concern_facts, concern_facts.c.concern_id == u.concern_id))
                 .where(u.municipality.in_(sorted(municipalities))))
        if not include_closed:
            query = query.where(u.state.not_in(["CLOSED", "FORWARDED"]), u.forwarded_at.is_(None))
        assessed = u.assessed_at.is_not(None)
        segments = [
            Segment(u.assessed_at.is_(None), (u.assessment_due_at, u.underretning_id)),
            Segment(and_(assessed, u.receipt_confirmation_due_date.is_not(None)),
                    (u.receipt_confirmation_due_date, u.assessment_due_at, u.underretning_id)),
            Segment(and_(assessed, u.receipt_confirmation_due_date.is_(None)),
                    (u.assessment_due_at, u.underretning_id)),
        ]
        rows, next_cursor = await _keyset_page(self._session, query, segments, cursor, limit)
        items = [UnderretningRow(RoutingRepository._underretning(r._mapping), r.reference) for r in rows]
        if items:
            by_underretning: dict[str, list[Task]] = {}
            for task in await self._open_tasks(tasks.c.underretning_id,
                                               [str(i.underretning.underretning_id) for i in items]):
                by_underretning.setdefault(str(task.underretning_id), []).append(task)
            for item in items:
                item.open_tasks.extend(by_underretning.get(str(item.underretning.underretning_id), []))
        return items, next_cursor


