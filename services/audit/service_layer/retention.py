"""Retention: erase the payload of records past ``retention_until``, keep their chain row.

``disclosure_log`` (seq_no, record_id, prev_hash, record_hash) stays for ever, so the chain still
links and every signed checkpoint still verifies; what goes is ``disclosure_payloads`` (the content and
its query columns) and ``disclosure_subjects``. The database allows exactly this deletion and no other
(see migrations 0002 and 0005); on PostgreSQL the app role does it through ``audit_erase_payloads()``.
A record is erased no earlier than 5 years after the disclosure, whatever its ``retention_until``, and
never while a legal hold covers its concern (routing's ``ConcernRetentionChanged``).

The scheduled run (``AuditRetention``) also deletes read-access-log rows past their period (except those
about a held concern), the auditors' query log after the same period, and published outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from infohus.kit.retention.common import READ_LOG, delete_outbox_and_read_log, plan_outbox, plan_read_log
from infohus.kit.retention.plan import RetentionPlan
from infohus.kit.retention.runner import RetentionRunner
from infohus.kit.retention.tables import held_concern_ids
from services.audit.adapters.orm import concern_retention, read_access_log, tables
from services.audit.adapters.retention import auditor_queries_before, erasable_payloads, erase_payloads, forget_access
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.settings import AuditSettings

PAYLOADS, QUERIES = "disclosure_payloads", "auditor_query_log"


async def purge_expired(uow_factory: Callable[[], AuditUnitOfWork], *, today: date) -> int:
    """Erase every expired payload that no hold keeps (``infohus audit purge``); returns how many."""
    async with uow_factory() as uow:
        held = await held_concern_ids(uow.session, concern_retention)
        erased = await erase_payloads(uow.session, await erasable_payloads(
            uow.session, today=today, keep_concern_ids=held, limit=None))
        await uow.commit()
    return erased


class AuditRetention(RetentionRunner):
    service = "audit"

    def __init__(self, uow_factory: Any, clock: Any, settings: AuditSettings) -> None:
        super().__init__(uow_factory, clock)
        self._settings = settings

    async def _plan(self, uow: Any, now: datetime) -> RetentionPlan:
        s, session = self._settings, uow.session
        held = await held_concern_ids(session, concern_retention)
        plan = RetentionPlan(self.service, now, id_categories=frozenset({PAYLOADS}))
        plan.add(PAYLOADS, [str(n) for n in await erasable_payloads(
            session, today=now.date(), keep_concern_ids=held, limit=s.retention_batch_size)])
        log_before = now - timedelta(days=s.access_log_retention_days)
        await plan_read_log(session, plan, read_access_log, before=log_before, keep_case_ids=held,
                            limit=s.retention_batch_size)
        plan.add(QUERIES, await auditor_queries_before(session, log_before, s.retention_batch_size))
        await plan_outbox(session, plan, tables.outbox, before=now - timedelta(hours=s.outbox_retention_hours),
                          limit=s.retention_batch_size)
        return plan

    async def _delete(self, uow: Any, plan: RetentionPlan) -> None:
        await erase_payloads(uow.session, [int(n) for n in plan.items[PAYLOADS]])
        await delete_outbox_and_read_log(uow.session, plan, tables.outbox)
        await forget_access(uow.session, reads=plan.items[READ_LOG], queries=plan.items[QUERIES])
