"""The disclosures about an infohus case, for the tovholdere working it (the workspace's case page): what
went to or came from whom, when, on which basis and why. Each read is written to the read-access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from infohus.kit.auth import CaseKind, Permission, Principal, ReadPurpose, require
from services.audit.bootstrap import AuditContainer

CaseReader = Annotated[Principal, require(Permission.CASE_READ)]


class CaseDisclosure(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq_no: int
    record_id: UUID
    kind: str
    occurred_at: datetime
    executed_by: str
    decided_by: str | None
    recipient_authority: str
    recipient_is_cooperation_participant: bool
    channel: str
    legal_basis: str
    purpose: str
    data_categories: list[str]


def case_disclosures_router(container: AuditContainer) -> APIRouter:
    router = APIRouter(tags=["disclosures"])

    @router.get("/api/v1/disclosures/by-case/{case_id}")
    async def by_case(case_id: UUID, reader: CaseReader) -> list[CaseDisclosure]:
        async with container.unit_of_work() as uow:
            rows = await uow.log.by_case(case_id)
            await container.read_log.record(uow.session, reader, case_kind=CaseKind.INFOHUS_CASE, case_id=case_id,
                                            purpose=ReadPurpose.CASE_HANDLING, fields=["disclosure_records"])
            await uow.commit()
        return [CaseDisclosure.model_validate({**row, "data_categories": _codes(row["data_categories"])})
                for row in rows]

    return router


def _codes(stored: object) -> list[str]:
    """The categories as the query column stores them (codes joined by commas)."""
    return [code for code in str(stored or "").split(",") if code]
