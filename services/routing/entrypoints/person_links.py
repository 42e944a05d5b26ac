""""Samme person" under /api/v1/cases/{case_id}/person-links: a tovholder links a concern (by its reference) to a
case as being about the same person, or unlinks one that joined it, with a reason each (``CASE_TRANSITION``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import Field, StringConstraints

from services.routing.bootstrap import RoutingContainer
from services.routing.domain.retention import REASON_LENGTH
from services.routing.entrypoints.callers import CaseMover
from services.routing.entrypoints.fields import Body
from services.routing.service_layer.commands.person_links import PersonLinkResult, link_person, unlink_person

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=REASON_LENGTH[0],
                                          max_length=REASON_LENGTH[1])]
SubjectIndex = Annotated[int, Field(ge=0, le=99)]


class LinkBody(Body):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    """The reference of the concern about the same person (a near duplicate's finds the concern it supplements)."""
    subject_index: SubjectIndex = 0
    """Which of the concern's subjects is the case's person."""
    reason: Reason


class UnlinkBody(Body):
    subject_index: SubjectIndex = 0
    reason: Reason


def person_link_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

    @router.post("/{case_id}/person-links")
    async def link(case_id: UUID, body: LinkBody, actor: CaseMover) -> PersonLinkResult:
        """Link a concern to the case as "samme person": it joins the case (its own case, if it has one, closes
        as a duplicate); on the timeline with the reason."""
        return await link_person(container.unit_of_work(), case_id, actor, reference=body.reference,
                                 subject_index=body.subject_index, reason=body.reason, now=container.clock(),
                                 deps=container.deps)

    @router.post("/{case_id}/person-links/{concern_id}/unlink")
    async def unlink(case_id: UUID, concern_id: UUID, body: UnlinkBody, actor: CaseMover) -> PersonLinkResult:
        """Unlink a concern that joined the case (not the same person after all): it gets a case of its own
        again; on both timelines with the reason."""
        return await unlink_person(container.unit_of_work(), case_id, actor, concern_id=concern_id,
                                   subject_index=body.subject_index, reason=body.reason, now=container.clock(),
                                   deps=container.deps)

    return router
