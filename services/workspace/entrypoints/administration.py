"""The administrator's pages under /administration: mails that were not delivered (with their re-drive),
the rules in force and the roles of the sign-in. No case data: notify shows references, codes and failures."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response

from infohus.kit.auth import AuthSettings, Permission, Principal, Role, require
from infohus.kit.auth.roles import MATRIX
from services.workspace.adapters.administration import DeliveryRow, NotifyApi, RulesApi
from services.workspace.domain import labels as L
from services.workspace.domain.administration import PERMISSIONS_DA, PURPOSES_DA, ROLE_DUTIES_DA, STATES_DA
from services.workspace.entrypoints.common import routing, token_of
from services.workspace.entrypoints.rendering import render, templates

router = APIRouter(tags=["administration"])
Operator = Annotated[Principal, require(Permission.NOTIFICATION_REDRIVE)]
Configurer = Annotated[Principal, require(Permission.CONFIG_MANAGE)]
CURRENT = "/administration"
# Dead-lettered first (they need a re-drive), then the ones still trying or of unknown outcome.
SHOWN_STATES = ("DEAD_LETTERED", "UNCERTAIN", "PENDING")

templates.env.filters["notification_purpose"] = lambda code: PURPOSES_DA.get(code, code)


def notify(request: Request) -> NotifyApi:
    api: NotifyApi = request.app.state.notify
    return api


@router.get("/administration")
async def overview(request: Request, _principal: Configurer) -> Response:
    return render(request, "administration.html", {"title": "Administration", "current": CURRENT})


async def _mails(request: Request, *, notice: str | None = None, refusal: str | None = None,
                 status_code: int = 200) -> Response:
    token = await token_of(request)
    rows: list[DeliveryRow] = []
    counts: dict[str, int] = {}
    for state in SHOWN_STATES:
        found = await notify(request).deliveries(token, state, request.app.state.settings.page_size)
        counts = found.counts
        rows += [d for d in found.items if d.state != "PENDING" or d.attempts > 0]
    return render(request, "administration_mails.html", {
        "title": "Mails, der ikke blev leveret", "current": CURRENT, "rows": rows, "counts": counts,
        "states": STATES_DA, "notice": notice, "problems": {"mails-form": refusal} if refusal else {}},
        status_code)


@router.get("/administration/mails")
async def mails(request: Request, _principal: Operator) -> Response:
    return await _mails(request)


@router.post("/administration/mails/{notification_id}/send-igen")
async def send_again(request: Request, notification_id: UUID, _principal: Operator) -> Response:
    answer = await notify(request).redrive(await token_of(request), notification_id)
    reference = f"{answer.reference}: " if answer.reference else ""
    if answer.outcome == "REDRIVEN":
        return await _mails(request, notice=f"{reference}{answer.message_da}")
    return await _mails(request, refusal=f"{reference}Ikke sendt igen. {answer.message_da}",
                        status_code=404 if answer.outcome == "NOT_FOUND" else 409)


@router.get("/administration/regler")
async def rules(request: Request, _principal: Configurer) -> Response:
    found = await RulesApi(routing(request).http).rules(await token_of(request))
    return render(request, "administration_rules.html", {"title": "Regler i kraft", "current": CURRENT,
                                                         "rules": found})


@router.get("/administration/roller")
async def roles(request: Request, _principal: Configurer) -> Response:
    auth: AuthSettings = request.app.state.infohus_auth.settings
    mapping = sorted((value, L.label(L.ROLES, role)) for value, role in auth.role_mapping.items())
    staff = [role for role in Role if role in ROLE_DUTIES_DA]
    described = [{"code": role.value, "name": L.label(L.ROLES, role.value), "duty": ROLE_DUTIES_DA[role],
                  "may": [PERMISSIONS_DA[p] for p, holders in MATRIX.items()
                          if role in holders and p is not Permission.PUBLIC]} for role in staff]
    return render(request, "administration_roles.html", {
        "title": "Roller", "current": CURRENT, "claim": auth.roles_claim, "mapping": mapping,
        "roles": described})
