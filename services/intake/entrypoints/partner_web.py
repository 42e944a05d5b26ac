"""The partner authority's own web form: a partner (police, another municipality, the region,
Kriminalforsorgen) reports a concern in the browser, as its credentials may through the API.

``/samarbejdspartner/henvendelse`` needs ``Permission.CONCERN_CREATE_PARTNER`` (role ``partner``). It is the
concern form in partner mode: channel PARTNER, reporter PARTNER_AUTHORITY and the time received (now) are
set here, not asked; the partner names its authority and workplace, and may state a § 115 cooperation with
its necessity assessment. The signed-in user is stored as ``recorded_by``, as the API does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from infohus.kit.auth import Permission, Principal, require
from services.intake.entrypoints.form_mode import FormMode
from services.intake.entrypoints.web import (
    DEV_LOGIN,
    PUBLIC_FORM,
    Page,
    development_login,
    fresh_values,
    handle_concern_form,
    message_page,
    render_form,
)

PARTNER_ROOT = "/samarbejdspartner"
PARTNER_FORM = "/samarbejdspartner/henvendelse"

PARTNER = require(Permission.CONCERN_CREATE_PARTNER)
PARTNER_MODE = FormMode(PARTNER_FORM, "Henvendelse fra en samarbejdspartner", "Tak – vi har modtaget jeres henvendelse",
                        "Infohus – samarbejdspartnere", partner=True)


def partner_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(PARTNER_ROOT, dependencies=[PARTNER])
    async def partner_root() -> RedirectResponse:
        return RedirectResponse(PARTNER_FORM, status_code=status.HTTP_303_SEE_OTHER)

    @router.get(PARTNER_FORM, dependencies=[PARTNER])
    async def partner_form(request: Request) -> Response:
        return render_form(Page(request), fresh_values(), mode=PARTNER_MODE, subject_count=1, child_count=0)

    @router.post(PARTNER_FORM)
    async def partner_form_post(request: Request, partner: Annotated[Principal, PARTNER]) -> Response:
        return await handle_concern_form(request, mode=PARTNER_MODE, user=partner)

    return router


def is_partner_page(request: Request) -> bool:
    return request.url.path == PARTNER_ROOT or request.url.path.startswith(PARTNER_ROOT + "/")


def partner_refusal_page(request: Request, status_code: int, headers: Mapping[str, str]) -> Response:
    """The partner pages' 401 (not signed in) or 403 (not a partner authority's user)."""
    if status_code == status.HTTP_401_UNAUTHORIZED:
        back = request.url.path if request.method == "GET" else PARTNER_FORM
        signed_out = "Formularen er for ansatte hos samarbejdspartnere: politiet, andre kommuner, regionen og " \
                     "Kriminalforsorgen."
        if development_login(request):
            return message_page(
                request, title="Log ind som samarbejdspartner", status_code=status_code, headers=headers,
                paragraphs=[signed_out + " Log ind for at fortsætte."],
                link=(f"{DEV_LOGIN}?next={quote(back, safe='/')}", "Log ind (udviklingslogin)"))
        return message_page(
            request, title="Log ind som samarbejdspartner", status_code=status_code, headers=headers,
            paragraphs=[signed_out + " Log ind med det log-ind, kommunen har givet jer, og åbn siden igen.",
                        "Vil du fortælle os om en bekymring som privatperson, så brug den offentlige formular."],
            link=(PUBLIC_FORM, "Gå til den offentlige formular"))
    return message_page(
        request, title="Din rolle giver ikke adgang", status_code=status_code, headers=headers,
        paragraphs=["Formularen for samarbejdspartnere kræver rollen som samarbejdspartner (partner). Bed din "
                    "administrator om adgang, eller log ind med en anden bruger."],
        link=(PUBLIC_FORM, "Gå til den offentlige formular"))
