"""The partner authority's own web form: a partner (police, another municipality, the region,
Kriminalforsorgen) reports a concern in the browser, as its credentials may through the API.

``/samarbejdspartner/henvendelse`` needs ``Permission.CONCERN_CREATE_PARTNER`` (role ``partner``). It is the
concern form in partner mode: channel PARTNER, reporter PARTNER_AUTHORITY and the time received (now) are
set here, not asked; the partner names its authority and workplace, and may state a § 115 cooperation with
its necessity assessment. The signed-in user is stored as ``recorded_by``, as the API does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from infohus.kit.auth import Permission, Principal, require
from services.intake.entrypoints.form_mode import FormMode
from services.intake.entrypoints.web import (
    Page,
    fresh_values,
    handle_concern_form,
    render_form,
)

PARTNER_ROOT = "/samarbejdspartner"
PARTNER_FORM = "/samarbejdspartner/henvendelse"

PARTNER = require(Permission.CONCERN_CREATE_PARTNER)
PARTNER_MODE = FormMode(
    PARTNER_FORM, "Henvendelse fra en samarbejdspartner", "Tak – vi har modtaget jeres henvendelse",
    "Infohus – samarbejdspartnere", partner=True, sign_in_title="Log ind som samarbejdspartner",
    who_for="Formularen er for ansatte hos samarbejdspartnere: politiet, andre kommuner, regionen og "
            "Kriminalforsorgen.",
    role_needed="Formularen for samarbejdspartnere kræver rollen som samarbejdspartner (partner).")


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
