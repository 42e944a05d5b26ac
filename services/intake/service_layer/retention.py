"""Intake's retention (docs/legal.md §A3): a concern is erased once routing erased its cases (their period
after the close is over, no legal hold) and said so; the read-access log after its period, except rows
about a held concern; published outbox rows (whole concerns) after the replay window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from infohus.kit.retention.common import delete_outbox_and_read_log, plan_outbox, plan_read_log
from infohus.kit.retention.plan import RetentionPlan
from infohus.kit.retention.runner import RetentionRunner
from infohus.kit.retention.tables import held_concern_ids
from services.intake.adapters.orm import concern_retention, read_access_log, tables
from services.intake.adapters.retention import concerns_to_erase, erase_concerns
from services.intake.settings import IntakeSettings

CONCERNS = "concerns"


class IntakeRetention(RetentionRunner):
    service = "intake"

    def __init__(self, uow_factory: Any, clock: Any, settings: IntakeSettings) -> None:
        super().__init__(uow_factory, clock)
        self._settings = settings

    async def _plan(self, uow: Any, now: datetime) -> RetentionPlan:
        s, session = self._settings, uow.session
        plan = RetentionPlan(self.service, now, id_categories=frozenset({CONCERNS}))
        plan.add(CONCERNS, await concerns_to_erase(session, s.retention_batch_size))
        await plan_read_log(session, plan, read_access_log, before=now - timedelta(days=s.access_log_retention_days),
                            keep_case_ids=await held_concern_ids(session, concern_retention),
                            limit=s.retention_batch_size)
        await plan_outbox(session, plan, tables.outbox, before=now - timedelta(hours=s.outbox_retention_hours),
                          limit=s.retention_batch_size)
        return plan

    async def _delete(self, uow: Any, plan: RetentionPlan) -> None:
        await erase_concerns(uow.session, plan.items[CONCERNS])
        await delete_outbox_and_read_log(uow.session, plan, tables.outbox, read_access_log)
