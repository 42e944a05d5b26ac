"""The administrator's page of retention and legal holds (/administration/sletning): what each service's next
retention run deletes (counts), the holds in force with their lift, the form that sets one, and the lifted
ones. Routing keeps the holds and tells the other services; a held person's CPR number is sent once, to
routing, and never shown."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from infohus.kit.auth import Permission, Principal, require
from services.workspace.adapters.retention import RetentionApi
from services.workspace.adapters.services import ApiError
from services.workspace.domain.forms import first
from services.workspace.domain.retention import (
    CATEGORIES_DA,
    SCOPE_NOUNS_DA,
    SCOPES_DA,
    SERVICES_DA,
    parse_hold,
    parse_lift,
    refusal_problems,
)
from services.workspace.entrypoints.common import audit, form_of, intake, routing, token_of
from services.workspace.entrypoints.rendering import options, render

router = APIRouter(tags=["administration"])
Administrator = Annotated[Principal, require(Permission.RETENTION_MANAGE)]
PAGE = "/administration/sletning"
DONE = {"sat": "Sletteforbuddet er sat. Intet om det, det gælder, slettes, før det ophæves.",
        "ophaevet": "Sletteforbuddet er ophævet. Opbevaringsperioderne gælder igen."}


def _api(request: Request) -> RetentionApi:
    notify = request.app.state.notify
    return RetentionApi(routing(request).http, {"routing": routing(request).http, "intake": intake(request).http,
                                                "notify": notify.http, "audit": audit(request).http})


async def _page(request: Request, *, values: dict[str, str] | None = None, problems: dict[str, str] | None = None,
                notice: str | None = None, status_code: int = 200) -> Response:
    token, api = await token_of(request), _api(request)
    holds = await api.holds(token)
    return render(request, "administration_retention.html", {
        "title": "Sletning og sletteforbud", "current": "/administration", "notice": notice,
        "in_force": [h for h in holds if h.in_force], "lifted": [h for h in holds if not h.in_force],
        "runs": await api.next_runs(token), "services": SERVICES_DA, "categories": CATEGORIES_DA,
        "scopes": options(SCOPES_DA), "scope_nouns": SCOPE_NOUNS_DA, "values": values or {"hold-scope": "CASE"},
        "problems": problems or {}, "error_heading": "Sletteforbuddet blev ikke sat eller ophævet"}, status_code)


@router.get(PAGE)
async def retention_page(request: Request, _principal: Administrator, udfoert: str | None = None) -> Response:
    return await _page(request, notice=DONE.get(udfoert or ""))


@router.post(f"{PAGE}/sletteforbud")
async def set_hold(request: Request, _principal: Administrator) -> Response:
    form = await form_of(request)
    parsed = parse_hold(form)
    values = {"hold-scope": first(form, "scope"), "hold-target": first(form, "target"),
              "hold-reason": first(form, "reason")}
    if not parsed.ok:
        return await _page(request, values=values, problems=parsed.problems, status_code=422)
    try:
        await _api(request).set_hold(await token_of(request), parsed.body)
    except ApiError as error:
        return await _page(request, values=values, problems=refusal_problems(error.status, error.detail),
                           status_code=_status(error))
    return RedirectResponse(f"{PAGE}?udfoert=sat", status_code=303)


@router.post(f"{PAGE}/sletteforbud/{{hold_id}}/ophaev")
async def lift_hold(request: Request, hold_id: UUID, _principal: Administrator) -> Response:
    field_id = f"lift-{hold_id}"
    parsed = parse_lift(await form_of(request), field_id)
    values: dict[str, Any] = {field_id: parsed.body["reason"]}
    if not parsed.ok:
        return await _page(request, values=values, problems=parsed.problems, status_code=422)
    try:
        await _api(request).lift_hold(await token_of(request), hold_id, parsed.body["reason"])
    except ApiError as error:
        return await _page(request, values=values, status_code=_status(error),
                           problems=refusal_problems(error.status, error.detail, reason_field=field_id))
    return RedirectResponse(f"{PAGE}?udfoert=ophaevet", status_code=303)


def _status(error: ApiError) -> int:
    return error.status if error.status in (403, 404, 409, 422) else 422
