"""Notify's retention (docs/legal.md §A3): a sent mail's delivery row (references; for a § 138 receipt the
reporter's address) is deleted ``INFOHUS_NOTIFY_DELIVERY_RETENTION_DAYS`` after it was sent, and every
delivery of a concern routing erased; nothing of a concern under a legal hold. Published outbox rows after
the replay window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from infohus.kit.retention.common import delete_outbox_and_read_log, plan_outbox
from infohus.kit.retention.plan import RetentionPlan
from infohus.kit.retention.runner import RetentionRunner
from services.notify.adapters.orm import tables
from services.notify.adapters.retention import delete_deliveries, deliveries_to_delete
from services.notify.settings import NotifySettings

DELIVERIES = "deliveries"


class NotifyRetention(RetentionRunner):
    service = "notify"

    def __init__(self, uow_factory: Any, clock: Any, settings: NotifySettings) -> None:
        super().__init__(uow_factory, clock)
        self._settings = settings

    async def _plan(self, uow: Any, now: datetime) -> RetentionPlan:
        s, session = self._settings, uow.session
        plan = RetentionPlan(self.service, now, id_categories=frozenset({DELIVERIES}))
        plan.add(DELIVERIES, await deliveries_to_delete(
            session, sent_before=now - timedelta(days=s.delivery_retention_days), limit=s.retention_batch_size))
        await plan_outbox(session, plan, tables.outbox, before=now - timedelta(hours=s.outbox_retention_hours),
                          limit=s.retention_batch_size)
        return plan

    async def _delete(self, uow: Any, plan: RetentionPlan) -> None:
        await delete_deliveries(uow.session, plan.items[DELIVERIES])
        await delete_outbox_and_read_log(uow.session, plan, tables.outbox)
