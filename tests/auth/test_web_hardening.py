"""Security headers, CSRF tokens on forms, and the login rate limiter."""

from __future__ import annotations

import re
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment as Jinja

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import Permission, Role, install_auth, require
from infohus.kit.auth.ratelimit import LoginRateLimiter
from infohus.kit.http import BodySizeLimitMiddleware, TracingMiddleware
from infohus.kit.security_headers import (
    CONTENT_SECURITY_POLICY,
    CsrfProtection,
    csrf_template_globals,
    install_security_headers,
    verify_csrf,
)
from infohus.kit.settings import Environment
from tests.auth.conftest import development_settings
from tests.auth.demo import demo_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client(app: FastAPI, base_url: str = "https://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


# --- security headers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/health/live", "/api/v1/disclosures", "/does-not-exist"])
async def test_security_headers_on_every_response(path: str) -> None:
    idp = FakeIdentityProvider()
    async with client(demo_app(idp.settings(), jwks_fetcher=idp.fetch)) as c:
        response = await c.get(path)
    h = response.headers
    assert h["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in h["content-security-policy"]
    assert "unsafe-eval" not in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert "camera=()" in h["permissions-policy"] and "geolocation=()" in h["permissions-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["cache-control"] == "no-store"
    assert "strict-transport-security" not in h, "HSTS only in production"


async def test_hsts_in_production_only() -> None:
    for environment, expected in ((Environment.PRODUCTION, True), (Environment.TEST, False),
                                  (Environment.DEVELOPMENT, False)):
        app = FastAPI()
        install_security_headers(app, environment)

        @app.get("/")
        async def root() -> str:
            return "ok"

        async with client(app) as c:
            response = await c.get("/")
        assert ("strict-transport-security" in response.headers) is expected
        if expected:
            assert response.headers["strict-transport-security"].startswith("max-age=63072000")


async def test_a_header_set_by_the_route_is_kept() -> None:
    app = FastAPI()
    install_security_headers(app, Environment.TEST)

    @app.get("/logo")
    async def logo() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"cache-control": "public, max-age=600"})

    async with client(app) as c:
        response = await c.get("/logo")
    assert response.headers["cache-control"] == "public, max-age=600"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_works_on_top_of_the_kit_middlewares() -> None:
    """install_auth after the kit's body limit and tracing: even a 413 carries the headers."""
    app = FastAPI()
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=100)
    app.add_middleware(TracingMiddleware)
    idp = FakeIdentityProvider()
    install_auth(app, idp.settings(), jwks_fetcher=idp.fetch)

    @app.post("/api/v1/concerns/phone", dependencies=[require(Permission.CONCERN_CREATE_PHONE)])
    async def phone() -> dict[str, str]:
        return {"status": "ok"}

    async with client(app) as c:
        too_large = await c.post("/api/v1/concerns/phone", content=b"x" * 1000,
                                 headers=idp.headers_for(Role.INTAKE))
        assert too_large.status_code == 413
        assert too_large.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        ok = await c.post("/api/v1/concerns/phone", headers=idp.headers_for(Role.INTAKE))
        assert ok.status_code == 200 and ok.headers["x-content-type-options"] == "nosniff"


async def test_the_login_page_needs_no_inline_script_or_style() -> None:
    async with client(demo_app(development_settings()), "http://testserver") as c:
        page = (await c.get("/auth/login")).text
    assert "<script" not in page and "<style" not in page and "style=" not in page
    assert not re.search(r"\son[a-z]+=", page), "no inline event handlers"


# --- CSRF on a public Jinja2 form -----------------------------------------------------------------------

def form_app(secure: bool = True) -> FastAPI:
    app = FastAPI()
    CsrfProtection("csrf-test-secret-" + "x" * 32, secure=secure).install(app)
    templates = Jinja(autoescape=True)
    templates.globals.update(csrf_template_globals())
    form = templates.from_string('<form method="post" action="/send">{{ csrf_input(request) }}'
                                 '<textarea name="text"></textarea></form>')

    @app.get("/form", response_class=HTMLResponse)
    async def show(request: Request) -> str:
        return form.render(request=request)

    @app.post("/send", dependencies=[Depends(verify_csrf)])
    async def send(text: Annotated[str, Form()]) -> dict[str, int]:
        return {"length": len(text)}

    return app


async def test_a_form_post_without_a_valid_csrf_token_is_refused() -> None:
    async with client(form_app()) as c:
        page = await c.get("/form")
        assert "__Host-infohus_csrf" in page.headers["set-cookie"]
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "secure" in cookie
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]

        assert (await c.post("/send", data={"text": "hej"})).status_code == 403
        assert (await c.post("/send", data={"text": "hej", "csrf_token": token + "x"})).status_code == 403
        assert (await c.post("/send", data={"text": "hej", "csrf_token": token})).json() == {"length": 3}
        by_header = await c.post("/send", data={"text": "hej"}, headers={"x-csrf-token": token})
        assert by_header.status_code == 200

        nonce = c.cookies.get("__Host-infohus_csrf")
        c.cookies.clear()
        assert (await c.post("/send", data={"text": "hej", "csrf_token": token})).status_code == 403, \
            "without its cookie the token is worthless"
        c.cookies.set("__Host-infohus_csrf", "another-nonce-" + "y" * 30)
        assert (await c.post("/send", data={"text": "hej", "csrf_token": token})).status_code == 403
        c.cookies.set("__Host-infohus_csrf", nonce)  # type: ignore[arg-type]
        assert (await c.post("/send", data={"text": "hej", "csrf_token": token})).status_code == 200


async def test_a_token_signed_with_another_secret_is_refused() -> None:
    app = form_app()
    other = CsrfProtection("another-secret-" + "z" * 32)
    nonce = "n" * 43
    async with client(app) as c:
        c.cookies.set("__Host-infohus_csrf", nonce)
        forged = other.issue(nonce)
        assert (await c.post("/send", data={"text": "x", "csrf_token": forged})).status_code == 403
        genuine = app.state.infohus_csrf.issue(nonce)
        assert (await c.post("/send", data={"text": "x", "csrf_token": genuine})).status_code == 200


async def test_expired_csrf_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    app = form_app()
    protection: CsrfProtection = app.state.infohus_csrf
    nonce = "n" * 43
    old = protection.issue(nonce)
    monkeypatch.setattr(protection, "max_age_s", -1)
    async with client(app) as c:
        c.cookies.set("__Host-infohus_csrf", nonce)
        assert (await c.post("/send", data={"text": "x", "csrf_token": old})).status_code == 403


async def test_bearer_requests_need_no_csrf_but_cookie_sessions_do() -> None:
    idp = FakeIdentityProvider()
    async with client(demo_app(idp.settings(), jwks_fetcher=idp.fetch)) as c:
        response = await c.post("/api/v1/disclosures", headers=idp.headers_for(Role.STRAXEN))
        assert response.status_code == 200


# --- rate limiter ---------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = LoginRateLimiter(rate_per_minute=6, burst=3, clock=clock)
    assert [limiter.attempt("a") for _ in range(3)] == [None, None, None]
    assert limiter.attempt("a") == 10  # one token per 10 s
    clock.now += 5
    assert limiter.attempt("a") == 5
    clock.now += 5
    assert limiter.attempt("a") is None
    assert limiter.attempt("a") is not None
    assert limiter.attempt("b") is None, "each user has a bucket of their own"
    clock.now += 3600
    assert [limiter.attempt("a") for _ in range(4)][:3] == [None, None, None], "refill is capped at the burst"


def test_buckets_are_keyed_by_a_keyed_hash_not_the_name() -> None:
    limiter = LoginRateLimiter(rate_per_minute=5, burst=1)
    limiter.attempt("udvikler-revisor")
    assert limiter.attempt(" UDVIKLER-revisor") is not None
    stored = "".join(limiter.keys())
    assert "revisor" not in stored
    another_process = LoginRateLimiter(rate_per_minute=5, burst=1)
    assert limiter.key("udvikler-revisor") != another_process.key("udvikler-revisor")


def test_the_number_of_buckets_is_bounded() -> None:
    limiter = LoginRateLimiter(rate_per_minute=5, burst=1, max_keys=100)
    for i in range(1000):
        limiter.attempt(f"user-{i}")
    assert len(limiter) == 100
