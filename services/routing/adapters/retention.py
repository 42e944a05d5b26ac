"""Routing's retention queries: legal holds, the concerns they cover, the concerns whose period is over, and
the erasure of everything routing keeps about a concern."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.db import upsert_insert
from infohus.kit.retention.tables import delete_where_in
from services.routing.adapters.orm import (
    case_concerns,
    clocks,
    concern_facts,
    deadline_events,
    decisions,
    infohus_cases,
    legal_holds,
    person_cpr,
    person_name_keys,
    retention_notices,
    tasks,
    underretninger,
)
from services.routing.adapters.orm import case_timeline as timeline
from services.routing.domain.case import CaseState
from services.routing.domain.retention import NOT_A_CASE, HoldScope, RetentionPeriods


class RetentionQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _ids(self, statement: Any) -> list[str]:
        return [str(row[0]) for row in await self._session.execute(statement)]

    # --- holds ---------------------------------------------------------------------------------------

    async def add_hold(self, values: dict[str, Any]) -> None:
        await self._session.execute(insert(legal_holds), values)

    async def lift_hold(self, hold_id: str, *, by: str, at: datetime, reason: str) -> bool:
        result = await self._session.execute(update(legal_holds).where(
            legal_holds.c.hold_id == hold_id, legal_holds.c.lifted_at.is_(None)).values(
            lifted_by=by, lifted_at=at, lift_reason=reason))
        return bool(getattr(result, "rowcount", 0))

    async def hold(self, hold_id: str) -> dict[str, Any] | None:
        row = (await self._session.execute(select(legal_holds).where(legal_holds.c.hold_id == hold_id))
               ).mappings().first()
        return None if row is None else dict(row)

    async def holds(self) -> list[dict[str, Any]]:
        """Every hold, the ones in force first, newest first."""
        rows = await self._session.execute(select(legal_holds).order_by(
            legal_holds.c.lifted_at.is_not(None), legal_holds.c.set_at.desc(), legal_holds.c.hold_id))
        return [dict(row) for row in rows.mappings()]

    async def lifted_holds_before(self, before: datetime, limit: int) -> list[str]:
        return await self._ids(select(legal_holds.c.hold_id).where(legal_holds.c.lifted_at < before)
                               .order_by(legal_holds.c.lifted_at).limit(limit))

    # --- what a target names --------------------------------------------------------------------------

    async def concern_of_case(self, case_id: str) -> str | None:
        found = await self._ids(select(infohus_cases.c.concern_id).where(infohus_cases.c.case_id == case_id))
        return found[0] if found else None

    async def concern_by_id_or_reference(self, text: str) -> str | None:
        c = concern_facts.c
        found = await self._ids(select(c.concern_id).where(or_(c.concern_id == text.lower(),
                                                               func.upper(c.reference) == text.upper())))
        return found[0] if found else None

    async def concerns_of_person(self, cpr_hmac: str) -> list[str]:
        return await self._ids(select(person_cpr.c.concern_id).where(person_cpr.c.cpr_hmac == cpr_hmac))

    async def references(self, concern_ids: Collection[str]) -> dict[str, str]:
        rows = await self._session.execute(select(concern_facts.c.concern_id, concern_facts.c.reference)
                                           .where(concern_facts.c.concern_id.in_(sorted(concern_ids))))
        return {str(concern_id): str(reference) for concern_id, reference in rows}

    async def held_concern_ids(self) -> set[str]:
        """The concerns the holds in force cover, each with the near duplicates linked to it."""
        active = (await self._session.execute(select(legal_holds.c.scope, legal_holds.c.target)
                                              .where(legal_holds.c.lifted_at.is_(None)))).all()
        targets: dict[str, list[str]] = {scope.value: [] for scope in HoldScope}
        for scope, target in active:
            targets[str(scope)].append(str(target))
        held = set(targets[HoldScope.CONCERN])
        if targets[HoldScope.CASE]:
            held |= set(await self._ids(select(infohus_cases.c.concern_id)
                                        .where(infohus_cases.c.case_id.in_(targets[HoldScope.CASE]))))
        if targets[HoldScope.PERSON]:
            held |= set(await self._ids(select(person_cpr.c.concern_id)
                                        .where(person_cpr.c.cpr_hmac.in_(targets[HoldScope.PERSON]))))
        return await self.with_linked(await self.with_near_duplicates(held))

    async def with_linked(self, concern_ids: Collection[str]) -> set[str]:
        """``concern_ids`` and the concerns that share a case with one of them (one person, one case): a hold on
        one of them keeps the case, and so every concern about the person on it."""
        if not concern_ids:
            return set()
        cases, links = infohus_cases.c, case_concerns.c
        wanted = sorted(concern_ids)
        active = links.unlinked_at.is_(None)
        case_ids = await self._ids(select(cases.case_id).where(cases.concern_id.in_(wanted)).union(
            select(links.case_id).where(active, links.concern_id.in_(wanted))))
        if not case_ids:
            return set(wanted)
        return set(wanted) | set(await self._ids(select(cases.concern_id).where(cases.case_id.in_(case_ids)).union(
            select(links.concern_id).where(active, links.case_id.in_(case_ids)))))

    async def with_near_duplicates(self, concern_ids: Collection[str]) -> set[str]:
        """``concern_ids``, the concerns they are near duplicates of, and those concerns' near duplicates."""
        if not concern_ids:
            return set()
        c = concern_facts.c
        wanted = sorted(concern_ids)
        originals = set(wanted) | set(await self._ids(
            select(c.duplicate_of).where(c.concern_id.in_(wanted), c.duplicate_of.is_not(None))))
        return originals | set(await self._ids(select(c.concern_id).where(c.duplicate_of.in_(sorted(originals)))))

    async def cases_and_underretninger_of(self, concern_ids: Collection[str]) -> tuple[list[str], list[str]]:
        wanted = sorted(concern_ids)
        if not wanted:
            return [], []
        cases = await self._ids(select(infohus_cases.c.case_id).where(infohus_cases.c.concern_id.in_(wanted))
                                .order_by(infohus_cases.c.case_id))
        found = await self._ids(select(underretninger.c.underretning_id)
                                .where(underretninger.c.concern_id.in_(wanted))
                                .order_by(underretninger.c.underretning_id))
        return cases, found

    # --- what routing told the others ------------------------------------------------------------------

    async def told_held(self) -> set[str]:
        return set(await self._ids(select(retention_notices.c.concern_id).where(retention_notices.c.held.is_(True))))

    async def tell(self, concern_id: str, *, held: bool, erased_at: datetime | None = None) -> None:
        statement = upsert_insert(self._session.get_bind().dialect.name, retention_notices).values(
            concern_id=concern_id, held=held, erased_at=erased_at)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=[retention_notices.c.concern_id],
            set_={"held": statement.excluded.held,
                  "erased_at": func.coalesce(statement.excluded.erased_at, retention_notices.c.erased_at)}))

    # --- erasure ---------------------------------------------------------------------------------------

    async def concerns_past_their_period(self, now: datetime, periods: RetentionPeriods, *,
                                         exclude: Collection[str], limit: int) -> list[str]:
        """Concerns (not near duplicates) whose every case closed and had its period, and concerns without
        cases received before the short period; oldest first. ``domain.retention.erasable_after`` in SQL."""
        cases, facts, links = infohus_cases.c, concern_facts.c, case_concerns.c
        short = periods.not_a_case_closed_before(now)
        had_its_period = and_(cases.state == CaseState.CLOSED.value, or_(
            and_(cases.close_reason.in_([r.value for r in NOT_A_CASE]), cases.closed_at < short),
            and_(cases.close_reason.not_in([r.value for r in NOT_A_CASE]),
                 cases.closed_at < periods.case_closed_before(now))))
        # A concern's cases: those it opened and those it joined (one person, one case).
        concern_cases = select(cases.concern_id.label("concern_id"), cases.case_id.label("case_id")).union_all(
            select(links.concern_id, links.case_id).where(links.unlinked_at.is_(None))).subquery()
        with_cases = (select(concern_cases.c.concern_id)
                      .select_from(concern_cases.join(infohus_cases, cases.case_id == concern_cases.c.case_id))
                      .group_by(concern_cases.c.concern_id)
                      .having(func.sum(case((had_its_period, 0), else_=1)) == 0))
        without_cases = select(facts.concern_id).where(
            facts.duplicate_of.is_(None), facts.received_at < short,
            ~exists().where(cases.concern_id == facts.concern_id),
            ~exists().where(links.concern_id == facts.concern_id, links.unlinked_at.is_(None)))
        statement = (select(facts.concern_id).where(
            facts.duplicate_of.is_(None), or_(facts.concern_id.in_(with_cases), facts.concern_id.in_(without_cases)))
            .order_by(facts.received_at, facts.concern_id).limit(limit))
        if exclude:
            statement = statement.where(facts.concern_id.not_in(sorted(exclude)))
        return await self._ids(statement)

    async def erase(self, concern_ids: Sequence[str]) -> None:
        """Everything routing keeps about these concerns: cases with their timelines, underretninger, tasks,
        clocks, the decision and the facts (pseudonyms and keyed hashes)."""
        case_ids, _ = await self.cases_and_underretninger_of(concern_ids)
        clock_ids = await self._ids(select(clocks.c.clock_id).where(clocks.c.concern_id.in_(list(concern_ids))))
        session = self._session
        # A concern kept longer that joined one of these cases loses the link, not its own records.
        await self._unlink_survivors(concern_ids, case_ids)
        await delete_where_in(session, case_concerns.c.concern_id, concern_ids)
        await delete_where_in(session, case_concerns.c.case_id, case_ids)
        await delete_where_in(session, person_name_keys.c.concern_id, concern_ids)
        await delete_where_in(session, deadline_events.c.clock_id, clock_ids)
        await delete_where_in(session, clocks.c.concern_id, concern_ids)
        await delete_where_in(session, tasks.c.concern_id, concern_ids)
        await delete_where_in(session, timeline.c.case_id, case_ids)
        await delete_where_in(session, underretninger.c.concern_id, concern_ids)
        await delete_where_in(session, infohus_cases.c.concern_id, concern_ids)
        await delete_where_in(session, person_cpr.c.concern_id, concern_ids)
        await delete_where_in(session, decisions.c.concern_id, concern_ids)
        await delete_where_in(session, concern_facts.c.concern_id, concern_ids)

    async def _unlink_survivors(self, concern_ids: Sequence[str], case_ids: Sequence[str]) -> None:
        if not case_ids:
            return
        for table in (underretninger, tasks, clocks):
            await self._session.execute(update(table).where(
                table.c.case_id.in_(list(case_ids)), table.c.concern_id.not_in(list(concern_ids))).values(case_id=None))

    async def delete_holds(self, hold_ids: Sequence[str]) -> None:
        await delete_where_in(self._session, legal_holds.c.hold_id, hold_ids)
