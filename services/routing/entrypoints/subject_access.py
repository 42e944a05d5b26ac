"""``POST /api/v1/subject-access``: the infohus cases and underretninger about a person, for an administrator
answering the person's access request (GDPR art. 15). The CPR number comes in the body, never in the URL,
and is only hashed here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from contracts.subject_access import RoutingPart, SubjectAccessRequest
from infohus.kit.auth import Permission, Principal, require
from services.routing.bootstrap import RoutingContainer
from services.routing.service_layer.subject_access import export_cases

PATH = "/api/v1/subject-access"


def subject_access_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(tags=["subject access"])

    @router.post(PATH, summary="Export a person's cases and underretninger")
    async def subject_access(body: SubjectAccessRequest,
                             principal: Annotated[Principal, require(Permission.SUBJECT_ACCESS)]) -> RoutingPart:
        """Everything routing holds about the person (by the keyed hash of the CPR number): what it derived per
        concern, the cases and underretninger with their record, timeline, tasks and deadlines, each step by
        role, never by name; each one is logged as read for the request, and its earlier reads are listed."""
        if not principal.belongs_to(container.config.municipality_code):
            return RoutingPart(persons=[], cases=[], underretninger=[], consultations=[])
        key = container.settings.cpr_hmac_key.get_secret_value().encode()
        return await export_cases(container.unit_of_work(), container.read_log, principal, body, hmac_key=key)

    return router
