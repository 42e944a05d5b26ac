"""The staff workspace's lists: the inbox of infohus cases and StraXen's list of underretninger.

Pages use keyset cursors (:mod:`services.routing.adapters.keyset`): StraXen's list is ordered in segments
(unassessed by deadline, then assessed by receipt date). A page's open tasks are fetched in one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.instants import aware, utc
from services.routing.adapters.keyset import Segment, keyset_page
from services.routing.adapters.orm import case_timeline, concern_facts, infohus_cases, person_cpr, underretninger
from services.routing.adapters.tasks import TaskRepository
from services.routing.adapters.underretninger import underretning_from_row
from services.routing.domain.casework import Underretning
from services.routing.domain.tasks import Task

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
    case_ids: tuple[str, ...] | None = None
    """Only these cases (None: any): what a reference or a name search found, through the concerns that joined
    a case and near duplicates (``PersonLinkRepository.cases_for_concerns``)."""
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
    if f.case_ids is not None:
        conditions.append(_C.case_id.in_(f.case_ids))
    return conditions


def _case_row(row: Any) -> CaseRow:
    due, opened = aware(row.triage_due_at), aware(row.opened_at)
    assert due is not None and opened is not None
    return CaseRow(case_id=UUID(row.case_id), concern_id=UUID(row.concern_id), reference=row.reference,
                   subject_index=row.subject_index, state=row.state, priority=row.priority,
                   flags=list(json.loads(row.flags)), triage_due_at=due, opened_at=opened,
                   triage_completed_at=aware(row.triage_completed_at),
                   triage_signoffs=json.loads(row.triage_signoffs))


# --- StraXen's list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnderretningRow:
    underretning: Underretning
    reference: str | None
    open_tasks: list[Task] = field(default_factory=list)


def _underretning_segments() -> list[Segment]:
    u = underretninger.c
    assessed = u.assessed_at.is_not(None)
    return [
        Segment(u.assessed_at.is_(None), (u.assessment_due_at, u.underretning_id)),
        Segment(and_(assessed, u.receipt_confirmation_due_date.is_not(None)),
                (u.receipt_confirmation_due_date, u.assessment_due_at, u.underretning_id)),
        Segment(and_(assessed, u.receipt_confirmation_due_date.is_(None)), (u.assessment_due_at, u.underretning_id)),
    ]


class Worklists:
    """Lists for the staff workspace; every query is bounded by a page and served by an index."""

    def __init__(self, session: AsyncSession, tasks: TaskRepository) -> None:
        self._session = session
        self._tasks = tasks

    async def inbox(self, f: CaseFilter, *, now: datetime, cursor: str | None, limit: int) -> CasePage:
        conditions = _case_conditions(f, now)
        query = select(*_CASE_COLUMNS).where(*conditions)
        rows, next_cursor = await keyset_page(self._session, query, [Segment(true(), _INBOX_ORDER)], cursor, limit)
        total = (await self._session.execute(
            select(func.count()).select_from(infohus_cases).where(*conditions))).scalar_one()
        cases = [_case_row(r) for r in rows]
        return CasePage(await self._with_tasks(cases), next_cursor, int(total))

    async def by_case_ids(self, case_ids: Iterable[str], *, municipalities: Iterable[str]) -> list[CaseRow]:
        rows = (await self._session.execute(select(*_CASE_COLUMNS).where(
            _C.case_id.in_(sorted(case_ids)), _C.municipality.in_(sorted(municipalities)))
                                            .order_by(_C.opened_at, _C.subject_index, _C.case_id))).all()
        return await self._with_tasks([_case_row(r) for r in rows])

    async def underretninger(self, *, include_closed: bool, cursor: str | None, limit: int,
                             municipalities: Iterable[str]) -> tuple[list[UnderretningRow], str | None]:
        u = underretninger.c
        query = (select(underretninger, concern_facts.c.reference)
                 .select_from(underretninger.outerjoin(concern_facts, concern_facts.c.concern_id == u.concern_id))
                 .where(u.municipality.in_(sorted(municipalities))))
        if not include_closed:
            query = query.where(u.state.not_in(["CLOSED", "FORWARDED"]), u.forwarded_at.is_(None))
        rows, next_cursor = await keyset_page(self._session, query, _underretning_segments(), cursor, limit)
        items = [UnderretningRow(underretning_from_row(r._mapping), r.reference) for r in rows]
        if items:
            by_underretning: dict[UUID | None, list[Task]] = {}
            for task in await self._tasks.open_for_underretninger([i.underretning.underretning_id for i in items]):
                by_underretning.setdefault(task.underretning_id, []).append(task)
            for item in items:
                item.open_tasks.extend(by_underretning.get(item.underretning.underretning_id, []))
        return items, next_cursor

    async def _with_tasks(self, cases: list[CaseRow]) -> list[CaseRow]:
        if not cases:
            return cases
        by_case: dict[UUID | None, list[Task]] = {}
        for task in await self._tasks.open_for_cases([c.case_id for c in cases]):
            by_case.setdefault(task.infohus_case_id, []).append(task)
        for case in cases:
            case.open_tasks.extend(by_case.get(case.case_id, []))
        return cases
