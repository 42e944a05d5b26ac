"""Subject access (GDPR art. 15) in a service's read-access log: the reads of a person's cases as the
person is told of them (when, by which role, why; never by whom: CJEU C-579/21), and the export itself,
logged as a read for ``ReadPurpose.SUBJECT_ACCESS`` naming its request."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.subject_access import REQUEST_PART, Consultation
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.read_log import ReadAccessLogger, ReadPurpose
from infohus.kit.auth.roles import CaseKind


async def consultations(logger: ReadAccessLogger, session: AsyncSession | AsyncConnection,
                        case_ids: Iterable[UUID | str]) -> list[Consultation]:
    """Every logged read of these cases, oldest first, with the readers' roles and not their ids."""
    wanted = sorted({str(case_id) for case_id in case_ids})
    if not wanted:
        return []
    t = logger.table
    rows = (await session.execute(
        select(t.c.read_at, t.c.service, t.c.roles, t.c.purpose, t.c.case_kind, t.c.case_id, t.c.fields)
        .where(t.c.case_id.in_(wanted)).order_by(t.c.read_at, t.c.id))).mappings().all()
    return [Consultation(read_at=row["read_at"], service=row["service"], roles=row["roles"].split(),
                         purpose=row["purpose"], case_kind=row["case_kind"], case_id=row["case_id"],
                         parts=json.loads(row["fields"])) for row in rows]


async def log_export(logger: ReadAccessLogger, session: AsyncSession | AsyncConnection, principal: Principal, *,
                     case_kind: CaseKind, case_ids: Sequence[UUID | str], request_id: UUID,
                     parts: Iterable[str] = ()) -> None:
    """One read-access row per case exported, naming the request; the caller commits before answering."""
    await logger.record_many(session, principal, case_kind=case_kind, case_ids=list(dict.fromkeys(case_ids)),
                             purpose=ReadPurpose.SUBJECT_ACCESS, fields=(f"{REQUEST_PART}{request_id}", *parts))
