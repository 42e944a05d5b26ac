"""StraXen's pages: the underretninger, most urgent first, and one underretning with the 24-hour
assessment, the § 138 receipt and the orientation of a professional reporter."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response

from contracts.concern import PROFESSIONAL_CATEGORIES
from infohus.kit.auth import Permission, Principal, require
from services.workspace.adapters.services import ServiceUnavailable
from services.workspace.adapters.views import ConcernView, UnderretningView
from services.workspace.domain import labels as L
from services.workspace.domain.forms import RECEIPT_METHODS, parse_assessment, parse_orientation, parse_receipt
from services.workspace.entrypoints.common import flat, form_of, intake, routing, submit, token_of
from services.workspace.entrypoints.rendering import now_of, options, render

router = APIRouter(tags=["underretninger"])
Reader = Annotated[Principal, require(Permission.UNDERRETNING_READ)]
Assessor = Annotated[Principal, require(Permission.UNDERRETNING_ASSESS)]
NOTICES = {"vurdering": "Vurderingen er registreret.", "kvittering": "Kvitteringen er registreret.",
           "kvitteringsmail": "Kvitteringsmailen er bestilt. Opgaven lukkes, når mailen er sendt.",
           "orientering": "Orienteringen er registreret."}


@router.get("/underretninger")
async def underretninger(request: Request, _principal: Reader, cursor: str | None = None) -> Response:
    params: dict[str, Any] = {"limit": request.app.state.settings.page_size} | ({"cursor": cursor} if cursor else {})
    found = await routing(request).underretninger(await token_of(request), params)
    now = now_of(request)
    rows = []
    for u in found.items:
        left, overdue = L.time_left(u.assessment_due_at, now)
        rows.append({"u": u, "left": left, "overdue": overdue})
    next_href = "/underretninger?" + urlencode({"cursor": found.next_cursor}) if found.next_cursor else None
    return render(request, "underretninger.html", {"title": "Underretninger", "current": "/underretninger",
                                                   "rows": rows, "next_href": next_href})


def receipt_email(concern: ConcernView | None) -> str | None:
    """The work e-mail Infohus may send the § 138 receipt to: a professional reporter's only."""
    if concern is None or concern.reporter.anonymous:
        return None
    return concern.reporter.email if concern.reporter.category in PROFESSIONAL_CATEGORIES else None


async def _load(request: Request, underretning_id: UUID) -> tuple[UnderretningView, ConcernView | None]:
    token = await token_of(request)
    u = await routing(request).underretning(token, underretning_id)
    try:
        concern = await intake(request).concern(token, u.concern_id, person=u.subject)
    except ServiceUnavailable:
        concern = None
    return u, concern


async def _page(request: Request, underretning_id: UUID, *, problems: dict[str, str] | None = None,
                values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    u, concern = await _load(request, underretning_id)
    left, overdue = L.time_left(u.assessment_due_at, now_of(request))
    notice = NOTICES.get(request.query_params.get("udfoert", ""))
    return render(request, "underretning.html", {
        "title": f"Underretning {u.reference}", "current": "/underretninger", "u": u, "concern": concern,
        "left": left, "overdue": overdue, "open_tasks": [t for t in u.tasks if t.state == "OPEN"],
        "receipt_email": receipt_email(concern), "receipt_methods": options(RECEIPT_METHODS),
        "orientation_outcomes": options(L.ORIENTATION_OUTCOMES), "problems": problems or {},
        "values": values or {}, "notice": None if problems else notice}, status_code)


@router.get("/underretninger/{underretning_id}")
async def underretning_page(request: Request, underretning_id: UUID, _principal: Reader) -> Response:
    return await _page(request, underretning_id)


def _redisplay(request: Request, underretning_id: UUID) -> Any:
    async def again(problems: dict[str, str], values: dict[str, str], status: int) -> Response:
        return await _page(request, underretning_id, problems=problems, values=values, status_code=status)
    return again


@router.post("/underretninger/{underretning_id}/vurdering")
async def assess(request: Request, underretning_id: UUID, _principal: Assessor) -> Response:
    form = await form_of(request)
    return await submit(
        request, parse_assessment(form), f"/api/v1/cases/underretninger/{underretning_id}/assessment",
        form_key="assessment",
        values=flat(form, {"acute_measures_needed": "assessment-acute", "note": "assessment-note"}),
        redisplay=_redisplay(request, underretning_id), done=f"/underretninger/{underretning_id}?udfoert=vurdering")


@router.post("/underretninger/{underretning_id}/opgaver/{task_id}/kvittering")
async def receipt(request: Request, underretning_id: UUID, task_id: UUID, _principal: Assessor) -> Response:
    form = await form_of(request)
    u, concern = await _load(request, underretning_id)
    parsed = parse_receipt(form, reporter_email=receipt_email(concern), received_at=u.received_at,
                           now=now_of(request))
    done = "kvitteringsmail" if "send_to" in parsed.body else "kvittering"
    fields = {"method": "receipt-method", "sent_date": "receipt-date", "sent_time": "receipt-time"}
    return await submit(
        request, parsed, f"/api/v1/cases/tasks/{task_id}/receipt",
        form_key="receipt", values=flat(form, fields), redisplay=_redisplay(request, underretning_id),
        done=f"/underretninger/{underretning_id}?udfoert={done}")


@router.post("/underretninger/{underretning_id}/opgaver/{task_id}/orientering")
async def orientation(request: Request, underretning_id: UUID, task_id: UUID, _principal: Assessor) -> Response:
    form = await form_of(request)
    fields = {"outcome": "orientation-outcome", "withheld_reason": "orientation-reason"}
    return await submit(
        request, parse_orientation(form), f"/api/v1/cases/tasks/{task_id}/orientation",
        form_key="orientation", values=flat(form, fields), redisplay=_redisplay(request, underretning_id),
        done=f"/underretninger/{underretning_id}?udfoert=orientering")
