"""What routing holds about one person, found by the keyed hash of their CPR number: the rows a data
subject's access request exports (GDPR art. 15). Reads only; the service layer picks what leaves."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.orm import (
    case_concerns,
    case_timeline,
    clocks,
    concern_facts,
    infohus_cases,
    person_cpr,
    tasks,
    underretninger,
)

Row = dict[str, Any]


class SubjectAccessQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mentions(self, cpr_hmac: str) -> dict[str, str]:
        """Every mention of the person: its pseudonym (person id) and the concern naming them."""
        found = await self._session.execute(select(person_cpr.c.person_id, person_cpr.c.concern_id)
                                            .where(person_cpr.c.cpr_hmac == cpr_hmac))
        return {person_id: concern_id for person_id, concern_id in found}

    async def concern_facts(self, concern_ids: Collection[str]) -> list[Row]:
        return await self._rows(select(concern_facts.c.concern_id, concern_facts.c.reference,
                                       concern_facts.c.received_at, concern_facts.c.persons)
                                .where(concern_facts.c.concern_id.in_(sorted(concern_ids)))
                                .order_by(concern_facts.c.received_at, concern_facts.c.concern_id))

    async def cases(self, person_ids: Sequence[str], municipalities: Collection[str]) -> list[Row]:
        t, links = infohus_cases, case_concerns.c  # the cases about them: opened, or joined by a concern naming them
        joined = select(links.case_id).where(links.person_id.in_(person_ids))
        return await self._rows(select(t).where(or_(t.c.person_id.in_(person_ids), t.c.case_id.in_(joined)),
                                                t.c.municipality.in_(municipalities))
                                .order_by(t.c.opened_at, t.c.case_id))

    async def underretninger(self, person_ids: Sequence[str], municipalities: Collection[str]) -> list[Row]:
        t = underretninger
        return await self._rows(select(t).where(t.c.person_id.in_(person_ids), t.c.municipality.in_(municipalities))
                                .order_by(t.c.received_at, t.c.underretning_id))

    async def timeline(self, case_ids: Sequence[str]) -> list[Row]:
        t = case_timeline
        return await self._rows(select(t).where(t.c.case_id.in_(case_ids)).order_by(t.c.entry_id))

    async def tasks(self, case_ids: Sequence[str], underretning_ids: Sequence[str]) -> list[Row]:
        t = tasks
        return await self._rows(select(t).where(_owned(t.c.case_id, t.c.underretning_id, case_ids, underretning_ids))
                                .order_by(t.c.created_at, t.c.task_id))

    async def clocks(self, concern_ids: Collection[str], case_ids: Sequence[str],
                     underretning_ids: Sequence[str]) -> list[Row]:
        t = clocks  # found by concern (indexed), then kept if the case's or the underretning's
        return await self._rows(select(t).where(t.c.concern_id.in_(sorted(concern_ids)),
                                                _owned(t.c.case_id, t.c.underretning_id, case_ids, underretning_ids))
                                .order_by(t.c.started_at, t.c.clock_id))

    async def _rows(self, statement: Any) -> list[Row]:
        return [dict(row) for row in (await self._session.execute(statement)).mappings()]


def _owned(case_column: Any, underretning_column: Any, case_ids: Sequence[str],
           underretning_ids: Sequence[str]) -> ColumnElement[bool]:
    conditions = [case_column.in_(case_ids)] if case_ids else []
    conditions += [underretning_column.in_(underretning_ids)] if underretning_ids else []
    return or_(false(), *conditions)
