"""A link, form or script on another site does not act in the signed-in user's name (``Sec-Fetch-Site``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from devtools.auth_testing import dev_headers_for
from infohus.kit.auth import Permission, Principal, Role, install_auth, require
from tests.auth.conftest import development_settings
from tests.auth.test_dev_login import client, login

CROSS_SITE = {"sec-fetch-site": "cross-site"}
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def auditor_app(query_log: list[str]) -> FastAPI:
    """An auditor query that writes to a query log, and a page that sends a visitor to sign in."""
    app = FastAPI(title="Infohus audit")
    install_auth(app, development_settings())

    @app.get("/api/v1/audit/queries/q15")
    async def query(principal: Annotated[Principal, require(Permission.AUDIT_READ)]) -> dict[str, str]:
        query_log.append(principal.user_id)
        return {"ran_by": principal.user_id}

    @app.get("/revision", response_class=HTMLResponse)
    async def page(request: Request, principal: Annotated[Principal, require(Permission.PUBLIC)]) -> Response:
        if not principal.authenticated:
            return RedirectResponse(f"/auth/login?next={quote(request.url.path)}", status_code=303)
        query_log.append(principal.user_id)
        return HTMLResponse(f"<p>{principal.display_name}</p>")

    return app


async def test_a_cross_site_request_with_the_session_cookie_is_not_signed_in() -> None:
    query_log: list[str] = []
    async with client(auditor_app(query_log)) as c:
        assert (await login(c, "udvikler-revisor")).status_code == 303
        refused = await c.get("/api/v1/audit/queries/q15", headers=CROSS_SITE)
        assert refused.status_code == 401 and refused.json()["detail"][0]["code"] == "not_authenticated"
        assert query_log == [], "nothing ran and nothing was written in the auditor's name"
        assert (await c.get("/api/v1/audit/queries/q15", headers=SAME_ORIGIN)).status_code == 200
        assert (await c.get("/api/v1/audit/queries/q15", headers={"sec-fetch-site": "none"})).status_code == 200
        assert (await c.get("/api/v1/audit/queries/q15")).status_code == 200, "no header: not a modern browser"
    assert query_log == ["udvikler-revisor"] * 3


async def test_bearer_tokens_are_unaffected() -> None:
    query_log: list[str] = []
    bearer = dev_headers_for(development_settings(), Role.AUDITOR) | CROSS_SITE
    async with client(auditor_app(query_log)) as c:
        assert (await c.get("/api/v1/audit/queries/q15", headers=bearer)).status_code == 200
    assert query_log == ["udvikler-revisor"]


async def test_a_mail_link_opens_the_page_after_sign_in() -> None:
    query_log: list[str] = []
    async with client(auditor_app(query_log)) as c:
        await login(c, "udvikler-revisor")  # signed in earlier, in another tab
        followed = await c.get("/revision", headers=CROSS_SITE)  # a link in a webmail
        assert followed.status_code == 303 and followed.headers["location"] == "/auth/login?next=/revision"
        assert query_log == []
        signed_in = await login(c, "udvikler-revisor", next="/revision")  # the form posts same-origin
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/revision"
        page = await c.get("/revision", headers=SAME_ORIGIN)
        assert page.status_code == 200 and "Udvikler Revisor" in page.text
    assert query_log == ["udvikler-revisor"]
