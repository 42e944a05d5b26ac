"""The tovholdere's pages: the inbox ("Sager") and the case page with its actions."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from infohus.kit.auth import Permission, Principal, require
from services.workspace.adapters.services import ServiceUnavailable
from services.workspace.adapters.views import CaseDisclosure, CaseSummary, ConcernView
from services.workspace.domain import labels as L
from services.workspace.domain.forms import (
    DISCLOSURE_CHANNELS,
    POLICE_BASES,
    parse_action,
    parse_forwarding,
    parse_police_decision,
    parse_triage,
)
from services.workspace.domain.person_links import MATCHES
from services.workspace.entrypoints.common import audit, flat, form_of, intake, routing, submit, token_of
from services.workspace.entrypoints.rendering import now_of, options, principal_of, render

router = APIRouter(tags=["sager"])
CaseReader = Annotated[Principal, require(Permission.CASE_READ)]
CaseWorker = Annotated[Principal, require(Permission.CASE_TRANSITION)]
Triager = Annotated[Principal, require(Permission.CASE_TRIAGE_MUNICIPAL, Permission.CASE_TRIAGE_POLICE)]
PoliceDecider = Annotated[Principal, require(Permission.CASE_DISCLOSURE_DECIDE)]
Forwarder = Annotated[Principal, require(Permission.CASE_FORWARD)]

REFERENCE = re.compile(r"^IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", re.IGNORECASE)
CPR = re.compile(r"^\d{6}-?\d{4}$")
NOTICES = {"visitation": "Din visitation er registreret.", "handling": "Handlingen er registreret.",
           "note": "Noten er tilføjet tidslinjen.", "videregivelse": "Videregivelsen er registreret i loggen.",
           "overdraget": "Sagen er overdraget, og videregivelsen er registreret i loggen.",
           "politi": "Beslutningen om videregivelse er registreret.",
           "videresendelse": "Videresendelsen er registreret.",
           "knyttet": "Henvendelsen er knyttet til sagen som samme person.",
           "fjernet": "Henvendelsen er fjernet fra sagen og har fået sin egen sag."}
TRIAGE_ORDER = ("tovholder_municipal", "tovholder_police")


# The tasks a tovholder acts on, and the permission each needs; an underretning's § 138 tasks are StraXen's.
TASK_PERMISSION = {"DISCLOSURE_PROPOSED": Permission.CASE_DISCLOSURE_DECIDE,
                   "JURISDICTION_REVIEW": Permission.CASE_FORWARD}
TOVHOLDER_TASKS = frozenset(TASK_PERMISSION)


def _may_act(principal: Principal, kind: str) -> bool:
    permission = TASK_PERMISSION.get(kind)
    return permission is not None and principal.can(permission)


def _awaiting(codes: list[str]) -> str:
    if set(codes) == set(TRIAGE_ORDER):
        return "afventer begge tovholdere"
    return ", ".join(L.label(L.AWAITING, c) for c in codes)


async def _search_params(request: Request, q: str) -> dict[str, Any] | str:
    """What the inbox asks routing for a search: a reference or CPR number directly; a name through
    intake, which holds the names (its search is logged there)."""
    if REFERENCE.match(q):
        return {"reference": q.upper()}
    if CPR.match(q):
        return {"cpr": q.replace("-", "")}
    if len(q) < 2:
        return "Skriv mindst to tegn."
    matches = await intake(request).search(await token_of(request), q)
    return {"concern_id": [str(m.concern_id) for m in matches]}


@router.get("/sager")
async def inbox(request: Request, _principal: CaseReader,
                q: Annotated[str, Query(max_length=100)] = "", state: str = "", priority: str = "",
                overdue: bool = False, mine: bool = False, cursor: str | None = None) -> Response:
    values = {"q": q, "state": state, "priority": priority, "overdue": overdue, "mine": mine}
    params: dict[str, Any] = {"limit": request.app.state.settings.page_size}
    params |= {k: v for k, v in (("state", state), ("priority", priority), ("cursor", cursor)) if v}
    params |= {k: "true" for k, v in (("overdue", overdue), ("mine", mine)) if v}
    problems: dict[str, str] = {}
    cases: list[CaseSummary] = []
    next_cursor = None
    search = await _search_params(request, q.strip()) if q.strip() else {}
    if isinstance(search, str):
        problems["q"] = search
    elif search.get("concern_id") == []:
        pass  # a name nobody in the concerns has
    else:
        found = await routing(request).cases(await token_of(request), params | search)
        cases, next_cursor = list(found.items), found.next_cursor
    tasks = await routing(request).tasks(await token_of(request))
    now = now_of(request)
    rows = [_row(case, now) for case in cases]
    next_href = "/sager?" + urlencode({**{k: v for k, v in values.items() if v}, "cursor": next_cursor}) \
        if next_cursor else None
    return render(request, "inbox.html", {
        "title": "Sager", "current": "/sager", "cases": rows, "values": values,
        "tasks": [t for t in tasks if t.kind in TOVHOLDER_TASKS], "error_heading": "Søgningen kunne ikke gennemføres",
        "problems": problems, "states": options(L.CASE_STATES), "priorities": options(L.PRIORITIES),
        "next_href": next_href}, 422 if problems else 200)


def _row(case: CaseSummary, now: Any) -> dict[str, Any]:
    left, overdue = L.time_left(case.triage_due_at, now)
    return {"case": case, "left": left, "overdue": overdue and not case.triage_complete,
            "awaiting": _awaiting(case.awaiting), "tasks": [t for t in case.open_tasks if t.kind in TOVHOLDER_TASKS]}


async def _case_page(request: Request, case_id: UUID, *, problems: dict[str, str] | None = None,
                     values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    token = await token_of(request)
    case = await routing(request).case(token, case_id)
    concern: ConcernView | None
    try:
        concern = await intake(request).concern(token, case.concern_id)
    except ServiceUnavailable:
        concern = None
    linked = [(c, await _concern_or_none(request, token, c.concern_id))
              for c in case.concerns if c.active and c.concern_id != case.concern_id]
    disclosures: list[CaseDisclosure] | None
    try:
        disclosures = await audit(request).case_disclosures(token, case_id)
    except ServiceUnavailable:
        disclosures = None
    left, overdue = L.time_left(case.triage_due_at, now_of(request))
    triage_complete = case.state != "RECEIVED"
    notice = NOTICES.get(request.query_params.get("udfoert", ""))
    return render(request, "case.html", {
        "title": f"Sag {case.reference}", "current": "/sager", "case": case, "concern": concern,
        "linked": linked, "matches": MATCHES,
        "disclosures": disclosures, "participants": request.app.state.participants,
        "left": left, "overdue": overdue, "triage_complete": triage_complete, "awaiting": _awaiting(case.awaiting),
        "signoffs": [(role, case.triage_signoffs.get(role)) for role in TRIAGE_ORDER],
        "open_tasks": [t for t in case.tasks if t.state == "OPEN" and _may_act(principal_of(request), t.kind)],
        "timeline": sorted(case.timeline, key=lambda e: e.at, reverse=True),
        "problems": problems or {}, "values": values or {}, "notice": None if problems else notice,
        "triage_outcomes": options(L.TRIAGE_OUTCOMES), "registers": options(L.SCREENING_REGISTERS),
        "chosen_sources": [], "dimensions": options(L.CDE_DIMENSIONS), "chosen_dimensions": [],
        "close_reasons": options(L.CLOSE_REASONS), "police_bases": options(POLICE_BASES),
        "disclosure_channels": options(DISCLOSURE_CHANNELS)}, status_code)


async def _concern_or_none(request: Request, token: str, concern_id: UUID) -> ConcernView | None:
    try:
        return await intake(request).concern(token, concern_id)
    except ServiceUnavailable:
        return None


@router.get("/sager/{case_id}")
async def case_page(request: Request, case_id: UUID, _principal: CaseReader) -> Response:
    return await _case_page(request, case_id)


def _redisplay(request: Request, case_id: UUID) -> Any:
    async def again(problems: dict[str, str], values: dict[str, str], status: int) -> Response:
        return await _case_page(request, case_id, problems=problems, values=values, status_code=status)
    return again


@router.post("/sager/{case_id}/visitation")
async def triage(request: Request, case_id: UUID, _principal: Triager) -> Response:
    form = await form_of(request)
    return await submit(
        request, parse_triage(form), f"/api/v1/cases/{case_id}/triage",
        form_key="triage", values=flat(form, {"outcome": "triage-outcome"}), redisplay=_redisplay(request, case_id),
        done=f"/sager/{case_id}?udfoert=visitation")


_ACTION_FIELDS = {"analysis_needed": "screening-analysis", "meeting_date": "analysis-date",
                  "meeting_time": "analysis-time", "participants": "analysis-participants",
                  "at_risk": "assessment-at-risk", "summary_ref": "assessment-ref",
                  "measure": "recommendation-measure", "responsible_authority": "recommendation-authority",
                  "proposed_legal_basis": "recommendation-basis", "to_authorities": "handover-authorities",
                  "follow_up_due": "followup-due", "note_ref": "followup-note", "reason": "close-reason",
                  "hold_reason": "hold-reason", "note": "note-text"}


@router.post("/sager/{case_id}/handling")
async def act(request: Request, case_id: UUID, _principal: CaseWorker) -> Response:
    form = await form_of(request)
    parsed = parse_action(form, now=now_of(request))
    action = parsed.body.get("action", "action")
    done = "note" if action == "ADD_NOTE" else "handling"
    return await submit(
        request, parsed, f"/api/v1/cases/{case_id}/actions",
        form_key=action, values=flat(form, _ACTION_FIELDS), redisplay=_redisplay(request, case_id),
        done=f"/sager/{case_id}?udfoert={done}")


@router.post("/sager/{case_id}/opgaver/{task_id}/politi")
async def police_decision(request: Request, case_id: UUID, task_id: UUID, _principal: PoliceDecider) -> Response:
    form = await form_of(request)
    fields = {"approved": "police-approved", "legal_basis": "police-basis",
              "necessity_assessment": "police-necessity", "channel": "police-channel"}
    return await submit(
        request, parse_police_decision(form), f"/api/v1/cases/tasks/{task_id}/disclosure-decision",
        form_key="police", values=flat(form, fields), redisplay=_redisplay(request, case_id),
        done=f"/sager/{case_id}?udfoert=politi")


@router.post("/sager/{case_id}/opgaver/{task_id}/videresendelse")
async def forwarding(request: Request, case_id: UUID, task_id: UUID, _principal: Forwarder) -> Response:
    form = await form_of(request)
    fields = {"recipient_municipality": "forward-municipality", "channel": "forward-channel"}
    return await submit(
        request, parse_forwarding(form), f"/api/v1/cases/tasks/{task_id}/forwarding",
        form_key="forward", values=flat(form, fields), redisplay=_redisplay(request, case_id),
        done=f"/sager/{case_id}?udfoert=videresendelse")


