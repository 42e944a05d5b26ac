"""The read-access log of the read side: every read of personal data writes its rows in the reading
transaction, which commits before the data leaves the service (no read without its row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.case import CaseState


def case_read_purpose(state: CaseState) -> ReadPurpose:
    """Why a tovholder reads a case when they do not say: triage while it awaits triage, follow-up in
    follow-up, case handling otherwise."""
    if state is CaseState.RECEIVED:
        return ReadPurpose.TRIAGE
    if state is CaseState.FOLLOW_UP:
        return ReadPurpose.FOLLOW_UP
    return ReadPurpose.CASE_HANDLING


@dataclass(frozen=True)
class ReadLog:
    """The read-access log for one signed-in reader: rows are written in the reading transaction, which
    commits before the data leaves the service (no read without its row)."""

    logger: ReadAccessLogger
    principal: Principal

    async def record(self, uow: RoutingUnitOfWork, reads: Iterable[tuple[CaseKind, UUID, ReadPurpose]]) -> None:
        """One row per case read (a case listed twice is logged once)."""
        grouped: dict[tuple[CaseKind, ReadPurpose], list[UUID]] = {}
        for kind, case_id, purpose in reads:
            ids = grouped.setdefault((kind, purpose), [])
            if case_id not in ids:
                ids.append(case_id)
        for (kind, purpose), ids in grouped.items():
            await self.logger.record_many(uow.session, self.principal, case_kind=kind, case_ids=ids, purpose=purpose)
