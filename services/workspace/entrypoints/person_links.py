""""Samme person" on the case page: a tovholder links a concern to the case by its reference, or unlinks one
that joined it, with a reason; routing records both on the case's timeline (``CASE_TRANSITION``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response

from infohus.kit.auth import Permission, Principal, require
from services.workspace.domain.person_links import parse_link, parse_unlink
from services.workspace.entrypoints.cases import _redisplay
from services.workspace.entrypoints.common import flat, form_of, submit

router = APIRouter(tags=["sager"])
CaseWorker = Annotated[Principal, require(Permission.CASE_TRANSITION)]


@router.post("/sager/{case_id}/samme-person")
async def link(request: Request, case_id: UUID, _principal: CaseWorker) -> Response:
    form = await form_of(request)
    fields = {"reference": "link-reference", "subject": "link-subject", "reason": "link-reason"}
    return await submit(
        request, parse_link(form), f"/api/v1/cases/{case_id}/person-links", form_key="link",
        values=flat(form, fields), redisplay=_redisplay(request, case_id), done=f"/sager/{case_id}?udfoert=knyttet")


@router.post("/sager/{case_id}/samme-person/{concern_id}/fjern")
async def unlink(request: Request, case_id: UUID, concern_id: UUID, _principal: CaseWorker) -> Response:
    form = await form_of(request)
    return await submit(
        request, parse_unlink(form, str(concern_id)), f"/api/v1/cases/{case_id}/person-links/{concern_id}/unlink",
        form_key=f"unlink-{concern_id}", values=flat(form, {"reason": f"unlink-reason-{concern_id}"}),
        redisplay=_redisplay(request, case_id), done=f"/sager/{case_id}?udfoert=fjernet")
