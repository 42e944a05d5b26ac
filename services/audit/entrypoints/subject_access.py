"""``POST /api/v1/subject-access``: the disclosure log's records about a person, for an administrator
answering the person's access request (GDPR art. 15); the request and its reason are kept in the auditor
query log. The CPR number comes in the body, never in the URL, and is only hashed here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter

from contracts.subject_access import AuditPart, SubjectAccessRequest
from infohus.kit.auth import Permission, Principal, require
from services.audit.bootstrap import AuditContainer
from services.audit.service_layer.subject_access import export_disclosures

PATH = "/api/v1/subject-access"


def subject_access_router(container: AuditContainer) -> APIRouter:
    router = APIRouter(tags=["subject access"])

    @router.post(PATH, summary="Export the disclosures about a person")
    async def subject_access(body: SubjectAccessRequest,
                             principal: Annotated[Principal, require(Permission.SUBJECT_ACCESS)]) -> AuditPart:
        """Every record about the person (by the keyed hash of the CPR number): to or from whom, when, on which
        basis and why, without who executed or decided; the earlier reads of those records and searches for the
        person, by role. The request (administrator, time, reason, request id) is logged first."""
        key = container.settings.cpr_hmac_key.get_secret_value().encode()
        return await export_disclosures(container.unit_of_work(), container.read_log, principal, body,
                                        hmac_key=key, now=datetime.now(UTC))

    return router
