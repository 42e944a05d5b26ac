"""Routing's retention (docs/legal.md §A3): a concern's data goes when every case of it has closed and had its
period (``domain/retention.py``) and no legal hold covers it; in the same transaction routing tells the
other services (``ConcernRetentionChanged`` ERASED), and they erase what they keep of it. Also the
read-access log after its period (except rows about a held concern, its cases and underretninger), published
outbox rows after the replay window, and lifted holds after five years."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contracts.events import RetentionChange
from infohus.kit.retention.common import delete_outbox_and_read_log, plan_outbox, plan_read_log
from infohus.kit.retention.plan import RetentionPlan
from infohus.kit.retention.runner import RetentionRunner
from services.routing.adapters.orm import read_access_log, tables
from services.routing.adapters.retention import RetentionQueries
from services.routing.domain.retention import LIFTED_HOLD_YEARS, RetentionPeriods, years_before
from services.routing.service_layer.legal_holds import announce, reconcile_holds
from services.routing.settings import RoutingSettings

CONCERNS, CASES, UNDERRETNINGER, HOLDS = "concerns", "cases", "underretninger", "lifted_legal_holds"


class RoutingRetention(RetentionRunner):
    service = "routing"

    def __init__(self, uow_factory: Any, clock: Any, settings: RoutingSettings) -> None:
        super().__init__(uow_factory, clock)
        self._settings = settings
        self.periods = RetentionPeriods(case_years=settings.case_retention_years,
                                        not_a_case=timedelta(days=settings.not_a_case_retention_days))

    async def run(self, now: datetime | None = None, *, dry_run: bool = False) -> RetentionPlan:
        if not dry_run:  # a new concern about a held person is held from here on, in every service
            async with self._uow_factory() as uow:
                await reconcile_holds(uow, now or self._clock())
                await uow.commit()
        return await super().run(now, dry_run=dry_run)

    async def _plan(self, uow: Any, now: datetime) -> RetentionPlan:
        s, queries = self._settings, RetentionQueries(uow.session)
        plan = RetentionPlan(self.service, now, id_categories=frozenset({CONCERNS, CASES, UNDERRETNINGER}))
        held = await queries.held_concern_ids()
        originals = await queries.concerns_past_their_period(now, self.periods, exclude=held,
                                                             limit=s.retention_batch_size)
        concerns = sorted(await queries.with_near_duplicates(originals))
        cases, underretninger = await queries.cases_and_underretninger_of(concerns)
        plan.add(CONCERNS, concerns)
        plan.add(CASES, cases)
        plan.add(UNDERRETNINGER, underretninger)
        held_cases, held_underretninger = await queries.cases_and_underretninger_of(held)
        await plan_read_log(uow.session, plan, read_access_log,
                            before=now - timedelta(days=s.access_log_retention_days),
                            keep_case_ids={*held, *held_cases, *held_underretninger}, limit=s.retention_batch_size)
        await plan_outbox(uow.session, plan, tables.outbox, before=now - timedelta(hours=s.outbox_retention_hours),
                          limit=s.retention_batch_size)
        plan.add(HOLDS, await queries.lifted_holds_before(years_before(now, LIFTED_HOLD_YEARS),
                                                          s.retention_batch_size))
        return plan

    async def _delete(self, uow: Any, plan: RetentionPlan) -> None:
        queries = RetentionQueries(uow.session)
        await queries.erase(plan.items[CONCERNS])
        for concern_id in plan.items[CONCERNS]:
            await queries.tell(concern_id, held=False, erased_at=plan.now)
            await announce(uow, concern_id, RetentionChange.ERASED, plan.now)
        await delete_outbox_and_read_log(uow.session, plan, tables.outbox, read_access_log)
        await queries.delete_holds(plan.items[HOLDS])
