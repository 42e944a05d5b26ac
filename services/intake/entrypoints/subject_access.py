"""``POST /api/v1/subject-access``: the concerns that name a person, for an administrator answering the
person's access request (GDPR art. 15). The CPR number comes in the body, never in the URL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from contracts.subject_access import IntakePart, SubjectAccessRequest
from infohus.kit.auth import Permission, Principal, require
from services.intake.bootstrap import IntakeContainer
from services.intake.entrypoints.problems import ErrorOut
from services.intake.service_layer.subject_access import export_concerns

PATH = "/api/v1/subject-access"
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in, or the sign-in is invalid"},
    403: {"model": ErrorOut, "description": "Only administrators export"},
    422: {"model": ErrorOut, "description": "A malformed CPR number, or no (or a too short) reason"},
}


def subject_access_router(container: IntakeContainer) -> APIRouter:
    router = APIRouter(tags=["subject access"])

    @router.post(PATH, response_model=IntakePart, responses=_RESPONSES, summary="Export a person's concerns")
    async def subject_access(body: SubjectAccessRequest,
                             principal: Annotated[Principal, require(Permission.SUBJECT_ACCESS)]) -> IntakePart:
        """Every concern naming the person (by CPR number), oldest first: their own entries and what was said,
        without other persons or the reporter's identity; each one is logged as read for the request, and
        the earlier reads of each are listed (by role, never by name)."""
        if not principal.belongs_to(container.config.municipality_code):
            return IntakePart(concerns=[], consultations=[])
        return await export_concerns(container.unit_of_work(), container.read_log, principal, body)

    return router
