"""Retention: erase the payload of records past ``retention_until``, keep their chain row.

``disclosure_log`` (seq_no, record_id, prev_hash, record_hash) stays for ever, so the chain still
links and every signed checkpoint still verifies; what goes is ``disclosure_payloads`` (the content and
its query columns) and ``disclosure_subjects``. The database allows exactly this deletion and no other
(see migration 0002); on PostgreSQL the app role does it through ``audit_purge_expired()``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from services.audit.adapters.unit_of_work import AuditUnitOfWork


async def purge_expired(uow_factory: Callable[[], AuditUnitOfWork], *, today: date) -> int:
    """Erase expired payloads; returns how many records were erased."""
    async with uow_factory() as uow:
        erased = await uow.log.purge_expired(today)
        await uow.commit()
    return erased
