"""Recording a disclosure or a receipt from a case page, and a hand-over that records its disclosure in the
same step. Audit checks the log's invariants (I1-I10) before anything is written; a refusal is shown beside
the field it concerns, in Danish, naming the rule."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from contracts.envelope import new_uuid7
from infohus.kit.auth import Permission, Principal, require
from services.workspace.adapters.services import ApiError
from services.workspace.adapters.views import DisclosureDraft
from services.workspace.domain import labels as L
from services.workspace.domain.disclosure_form import FIELD_OF, counterparts, parse_disclosure
from services.workspace.domain.forms import DISCLOSURE_CHANNELS, Form, first
from services.workspace.entrypoints.common import audit, form_of, routing, token_of
from services.workspace.entrypoints.rendering import now_of, options, render

router = APIRouter(tags=["videregivelser"])
Recorder = Annotated[Principal, require(Permission.CASE_TRANSITION)]  # the tovholdere of infohus cases

_VALUES = ("kind", "counterpart", "counterpart_name", "legal_basis", "legal_basis_note", "cooperation_form",
           "purpose", "purpose_description", "channel", "necessity_assessment", "decided_by", "occurred_date",
           "occurred_time", "decision_date", "decision_time")


def _defaults(request: Request, draft: DisclosureDraft, handover: bool) -> dict[str, Any]:
    now = now_of(request).astimezone(L.LOCAL_TIME_ZONE)
    day, clock = now.date().isoformat(), now.strftime("%H:%M")
    return {"kind": "DISCLOSURE", "occurred_date": day, "occurred_time": clock, "decision_date": day,
            "decision_time": clock, "channel": "MEETING_ORAL", "cooperation_form": "SSP",
            "purpose": "INFOHUS_RECOMMENDATION_HANDOVER" if handover else "INFOHUS_ANALYSIS",
            "categories": list(draft.data_categories)}


async def _page(request: Request, case_id: UUID, *, handover: bool, values: dict[str, Any] | None = None,
                problems: dict[str, str] | None = None, status_code: int = 200) -> Response:
    draft = await routing(request).disclosure_draft(await token_of(request), case_id)
    return render(request, "disclosure.html", {
        "title": f"Registrér {'overdragelse' if handover else 'videregivelse'} – {draft.reference}",
        "current": "/sager", "draft": draft, "handover": handover,
        "values": values or _defaults(request, draft, handover), "problems": problems or {},
        "kinds": [("DISCLOSURE", "Vi videregiver oplysninger"), ("RECEIPT", "Vi har modtaget oplysninger")],
        "counterparts": options(counterparts(draft)), "bases_out": options(L.LEGAL_BASES_DISCLOSURE),
        "bases_in": options(L.LEGAL_BASES_RECEIPT), "forms": options(L.COOPERATION_FORMS),
        "purposes": options(L.PURPOSES), "channels": options(DISCLOSURE_CHANNELS),
        "categories": options(L.DATA_CATEGORIES), "error_heading": "Videregivelsen blev ikke registreret"},
        status_code)


@router.get("/sager/{case_id}/videregivelse")
async def disclosure_form(request: Request, case_id: UUID, _principal: Recorder, overdragelse: bool = False,
                          ) -> Response:
    return await _page(request, case_id, handover=overdragelse)


def _submitted(form: Form) -> dict[str, Any]:
    return {name: first(form, name) for name in _VALUES} | {"categories": list(form.get("data_categories", []))}


def _refusal(error: ApiError) -> dict[str, str]:
    """Audit's refusal, each beside its field: the Danish message and the rule it names."""
    problems: dict[str, str] = {}
    details = error.detail if isinstance(error.detail, list) else []
    for item in details:
        if not isinstance(item, dict):
            continue
        rule = item.get("invariant") or item.get("code") or ""
        text = str(item.get("message_da") or "Oplysningen blev afvist.") + (f" (regel {rule})" if rule else "")
        field_id = FIELD_OF.get(str(item.get("field", "")), "disclosure-form")
        problems[field_id] = f"{problems[field_id]} {text}" if field_id in problems else text
    return problems or {"disclosure-form": "Videregivelsen blev afvist. Tjek felterne og prøv igen."}


@router.post("/sager/{case_id}/videregivelse")
async def record_disclosure(request: Request, case_id: UUID, principal: Recorder) -> Response:
    form = await form_of(request)
    handover = first(form, "handover") == "1"
    token = await token_of(request)
    draft = await routing(request).disclosure_draft(token, case_id)
    parsed = parse_disclosure(form, draft, user=principal.user_id, now=now_of(request), record_id=new_uuid7())
    if not parsed.ok:
        return await _page(request, case_id, handover=handover, values=_submitted(form), problems=parsed.problems,
                           status_code=422)
    try:
        await audit(request).record(token, parsed.body)
    except ApiError as error:
        return await _page(request, case_id, handover=handover, values=_submitted(form), problems=_refusal(error),
                           status_code=422)
    if handover:
        recipient = dict(counterparts(draft)).get(parsed.body["recipient_authority"], "")
        await routing(request).command(token, f"/api/v1/cases/{case_id}/actions", {
            "action": "HAND_OVER", "to_authorities": [recipient or parsed.body["recipient_authority"]]})
    return RedirectResponse(f"/sager/{case_id}?udfoert={'overdraget' if handover else 'videregivelse'}",
                            status_code=303)
