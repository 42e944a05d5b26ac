"""The OIDC browser sign-in against a real provider (panva/oidc-provider on Node, started by the tests):
login → provider's login and consent forms → callback → server-side session → protected routes with the
mapped roles → ``downstream_token`` (accepted as a bearer token, refreshed when expired) → logout."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from itsdangerous import URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from infohus.kit.auth import (
    AuthMode,
    AuthSettings,
    InMemorySessionStore,
    Permission,
    SqlSessionStore,
    downstream_token,
    require,
    session_table,
)
from infohus.kit.auth.sessions import session_key
from infohus.kit.security_headers import csrf_token
from infohus.kit.settings import Environment
from tests.auth.demo import demo_app
from tests.auth.oidc_server import (
    API_AUDIENCE,
    APP_BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    OidcServer,
    running_provider,
)
from tests.conftest import Databases

pytestmark = pytest.mark.slow
SESSION_COOKIE = "__Host-infohus_session"
MAPPING = {"infohus-tovholder-kommune": "tovholder_municipal", "infohus-revisor": "auditor"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    with running_provider(tmp_path_factory.mktemp("oidc") / "provider.log") as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def browser_settings(provider: OidcServer, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "environment": Environment.TEST, "mode": AuthMode.OIDC, "oidc_issuer": provider.issuer,
        "oidc_audience": API_AUDIENCE, "oidc_jwks_url": provider.jwks_url, "oidc_browser_login": True,
        "oidc_client_id": CLIENT_ID, "oidc_client_secret": CLIENT_SECRET, "oidc_redirect_url": REDIRECT_URI,
        "oidc_scopes": "openid profile email", "roles_claim": "roles", "role_mapping": MAPPING,
        "cookie_secure": True, "session_secret": "test-secret-" + "x" * 32,
    }
    return AuthSettings(**(values | overrides))


class Token(BaseModel):
    token: str | None


def workspace(settings: AuthSettings, **options: Any) -> FastAPI:
    app = demo_app(settings, **options)

    @app.get("/api/v1/downstream-token", dependencies=[require(Permission.PUBLIC)])
    async def forward(request: Request) -> Token:
        return Token(token=await downstream_token(request))

    @app.get("/csrf", dependencies=[require(Permission.PUBLIC)])
    async def form_token(request: Request) -> Token:
        return Token(token=csrf_token(request))

    return app


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A browser: the workspace in-process at https://workspace.test, the provider over the network."""
    return httpx.AsyncClient(mounts={APP_BASE: httpx.ASGITransport(app=app)}, base_url=APP_BASE, timeout=10)


class Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag in {"input", "button"} and self.forms and found.get("name"):
            self.forms[-1][1][found["name"]] = found.get("value", "")


async def at_callback(c: httpx.AsyncClient, user: str, next_path: str = "/api/v1/cases/c-1",
                      fetch_site: str | None = None) -> str:
    """Walks login → the provider's login and consent forms; returns the callback URL (not yet visited).
    ``fetch_site``: the ``Sec-Fetch-Site`` the browser sends with the request to ``/auth/login``."""
    headers = {"sec-fetch-site": fetch_site} if fetch_site else {}
    response = await c.get(f"/auth/login?{urlencode({'next': next_path})}", headers=headers)
    for _ in range(12):
        if response.is_redirect:
            location = str(response.next_request.url) if response.next_request else response.headers["location"]
            if location.startswith(REDIRECT_URI):
                return location
            response = await c.get(location)
            continue
        assert response.status_code == 200, (response.status_code, response.text[:500])
        parser = Forms()
        parser.feed(response.text)
        assert parser.forms, response.text[:500]
        action, fields = parser.forms[0]
        if "login" in fields or "password" in fields:
            fields |= {"login": user, "password": "irrelevant"}
        response = await c.post(str(response.url.join(action)), data=fields)
    raise AssertionError("the provider never sent the browser back")


async def sign_in(c: httpx.AsyncClient, user: str, next_path: str = "/api/v1/cases/c-1") -> httpx.Response:
    return await c.get(await at_callback(c, user, next_path))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def signed_in(provider: OidcServer, clock: Clock) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = workspace(browser_settings(provider), clock=clock)
    async with browser(app) as c:
        yield c, app


async def test_the_whole_flow(provider: OidcServer, clock: Clock) -> None:
    store = InMemorySessionStore()
    app = workspace(browser_settings(provider), clock=clock, session_store=store)
    async with browser(app) as c:
        login = await c.get("/auth/login?next=/api/v1/cases/c-1")
        assert login.status_code == 303
        query = parse_qs(urlsplit(login.headers["location"]).query)
        assert login.headers["location"].startswith(provider.issuer)
        assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
        assert query["state"][0] and query["nonce"][0] and query["client_id"] == [CLIENT_ID]
        assert query["redirect_uri"] == [REDIRECT_URI] and query["response_type"] == ["code"]
        pending = login.headers["set-cookie"]
        assert "__Host-infohus_oidc_login" in pending and "HttpOnly" in pending and "Secure" in pending

        callback = await sign_in(c, "kommune-1")
        assert callback.status_code == 303 and callback.headers["location"] == "/api/v1/cases/c-1"
        cookie_header = next(h for h in callback.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie_header and "Secure" in cookie_header and "SameSite=lax" in cookie_header
        session_cookie = c.cookies.get(SESSION_COOKIE)
        assert session_cookie and len(session_cookie) >= 43
        assert len(store) == 1 and session_key(session_cookie) in store._sessions, "the store keeps a hash only"

        assert (await c.get("/api/v1/cases/c-1")).status_code == 200
        assert (await c.get("/api/v1/read-log")).status_code == 403
        me = (await c.get("/auth/me")).json()
        assert me == {"authenticated": True, "user_id": "kommune-1", "display_name": "Test kommune-1",
                      "roles": ["tovholder_municipal"], "method": "oidc"}

        forwarded = (await c.get("/api/v1/downstream-token")).json()["token"]
        assert forwarded
        async with browser(app) as api:  # another service's view: the token alone, as a bearer token
            bearer = {"authorization": f"Bearer {forwarded}"}
            assert (await api.get("/api/v1/cases/c-1", headers=bearer)).status_code == 200
            assert (await api.get("/api/v1/read-log", headers=bearer)).status_code == 403

        refused_write = await c.post("/api/v1/cases/c-1/transitions")
        assert refused_write.status_code == 403, "a session cookie needs a CSRF token to write"
        token = (await c.get("/csrf")).json()["token"]
        assert (await c.post("/api/v1/cases/c-1/transitions", headers={"x-csrf-token": token})).status_code == 200

        assert (await c.post("/auth/logout")).status_code == 403, "logout needs the CSRF token"
        logout = await c.post("/auth/logout", data={"csrf_token": token})
        assert logout.status_code == 303
        end = urlsplit(logout.headers["location"])
        assert f"{end.scheme}://{end.netloc}" == provider.issuer
        assert parse_qs(end.query)["post_logout_redirect_uri"] == [f"{APP_BASE}/"]
        assert "id_token_hint" in parse_qs(end.query)
        assert len(store) == 0
        c.cookies.set(SESSION_COOKIE, session_cookie, domain="workspace.test")
        assert (await c.get("/api/v1/cases/c-1")).status_code == 401, "the old cookie is refused"
        assert (await c.get("/api/v1/downstream-token")).json()["token"] is None


async def test_roles_from_the_id_token(provider: OidcServer, clock: Clock) -> None:
    app = workspace(browser_settings(provider, oidc_roles_from="id_token"), clock=clock)
    async with browser(app) as c:
        assert (await sign_in(c, "revisor-1", "/auth/me")).status_code == 303
        assert (await c.get("/auth/me")).json()["roles"] == ["auditor"]
        assert (await c.get("/api/v1/read-log")).status_code == 200


async def test_a_wrong_state_is_refused(signed_in: tuple[httpx.AsyncClient, FastAPI]) -> None:
    c, _ = signed_in
    callback = await at_callback(c, "kommune-1")
    tampered = re.sub(r"state=[^&]+", "state=forged", callback)
    refused = await c.get(tampered)
    assert refused.status_code == 400 and refused.json()["detail"][0]["code"] == "login_state_invalid"
    assert SESSION_COOKIE not in c.cookies
    assert (await c.get("/api/v1/cases/c-1")).status_code == 401


async def test_a_callback_without_a_login_in_progress_is_refused(
        signed_in: tuple[httpx.AsyncClient, FastAPI]) -> None:
    c, _ = signed_in
    callback = await at_callback(c, "kommune-1")
    c.cookies.delete("__Host-infohus_oidc_login")
    assert (await c.get(callback)).status_code == 400


async def test_a_code_is_good_once(signed_in: tuple[httpx.AsyncClient, FastAPI], provider: OidcServer) -> None:
    c, app = signed_in
    callback = await at_callback(c, "kommune-1")
    pending = c.cookies.get("__Host-infohus_oidc_login")
    assert (await c.get(callback)).status_code == 303
    async with browser(app) as replay:
        replay.cookies.set("__Host-infohus_oidc_login", pending or "", domain="workspace.test")
        assert (await replay.get(callback)).status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
async def test_next_may_only_be_a_local_path(signed_in: tuple[httpx.AsyncClient, FastAPI], target: str) -> None:
    c, _ = signed_in
    response = await sign_in(c, "kommune-1", target)
    assert response.status_code == 303 and response.headers["location"] == "/auth/me"


async def test_idle_timeout_ends_the_session(signed_in: tuple[httpx.AsyncClient, FastAPI], clock: Clock) -> None:
    c, app = signed_in
    await sign_in(c, "kommune-1")
    clock.now += 20 * 60
    assert (await c.get("/api/v1/cases/c-1")).status_code == 200, "in use within the idle timeout"
    clock.now += 20 * 60
    assert (await c.get("/api/v1/cases/c-1")).status_code == 200, "each use restarts the idle timeout"
    clock.now += 30 * 60 + 1
    assert (await c.get("/api/v1/cases/c-1")).status_code == 401
    assert len(app.state.infohus_auth.session_store) == 0, "the ended session is deleted"


async def test_absolute_lifetime_ends_the_session(provider: OidcServer, clock: Clock) -> None:
    app = workspace(browser_settings(provider, session_max_age_s=3600), clock=clock)
    async with browser(app) as c:
        await sign_in(c, "kommune-1")
        for _ in range(5):
            clock.now += 15 * 60
            status = (await c.get("/api/v1/cases/c-1")).status_code
        assert status == 401


async def test_an_expired_access_token_is_refreshed(signed_in: tuple[httpx.AsyncClient, FastAPI],
                                                    clock: Clock) -> None:
    c, app = signed_in
    await sign_in(c, "kommune-1")
    first = (await c.get("/api/v1/downstream-token")).json()["token"]
    assert (await c.get("/api/v1/downstream-token")).json()["token"] == first, "kept while fresh"
    clock.now += 290  # the provider's access tokens live 300 s; 30 s before expiry counts as expired
    second = (await c.get("/api/v1/downstream-token")).json()["token"]
    assert second and second != first
    async with browser(app) as api:
        assert (await api.get("/api/v1/cases/c-1", headers={"authorization": f"Bearer {second}"})).status_code == 200


async def test_without_a_refresh_token_an_expired_access_token_is_not_forwarded(
        signed_in: tuple[httpx.AsyncClient, FastAPI], clock: Clock) -> None:
    c, app = signed_in
    await sign_in(c, "kommune-1")
    store = app.state.infohus_auth.session_store
    (key, session), = store._sessions.items()
    await store.update_tokens(key, access_token=session.access_token, expires_at=session.access_token_expires_at,
                              refresh_token=None)
    clock.now += 600
    assert (await c.get("/api/v1/downstream-token")).json()["token"] is None
    assert (await c.get("/api/v1/cases/c-1")).status_code == 200, "the session itself is still valid"


async def test_a_forged_session_cookie_is_refused(signed_in: tuple[httpx.AsyncClient, FastAPI]) -> None:
    c, _ = signed_in
    c.cookies.set(SESSION_COOKIE, "x" * 43, domain="workspace.test")
    assert (await c.get("/api/v1/cases/c-1")).status_code == 401
    assert (await c.get("/auth/me")).json()["authenticated"] is False


async def test_bearer_tokens_keep_working_beside_the_browser_sign_in(
        signed_in: tuple[httpx.AsyncClient, FastAPI]) -> None:
    c, _ = signed_in
    assert (await c.get("/api/v1/cases/c-1", headers={"authorization": "Bearer not-a-jwt"})).status_code == 401


# --- settings ---------------------------------------------------------------------------------------------

def production(**overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "environment": Environment.PRODUCTION, "oidc_issuer": "https://login.example.dk/realms/k",
        "oidc_audience": "infohus-api", "oidc_jwks_url": "https://login.example.dk/realms/k/certs",
        "session_secret": "p" * 40, "oidc_browser_login": True, "oidc_client_id": "infohus-workspace",
    }
    return AuthSettings(**(values | overrides))


def test_browser_settings_are_checked_in_production() -> None:
    settings = production(oidc_redirect_url="https://workspace.example.dk/auth/callback")
    assert settings.discovery_url == "https://login.example.dk/realms/k/.well-known/openid-configuration"
    with pytest.raises(ValidationError, match="OIDC_ISSUER must use https"):
        production(oidc_issuer="http://login.example.dk/realms/k")
    with pytest.raises(ValidationError, match="OIDC_REDIRECT_URL must use https"):
        production(oidc_redirect_url="http://workspace.example.dk/auth/callback")
    with pytest.raises(ValidationError, match="OIDC_CLIENT_ID"):
        production(oidc_client_id=None)


def test_browser_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"INFOHUS_ENVIRONMENT": "production", "INFOHUS_AUTH_OIDC_BROWSER_LOGIN": "true",
                        "INFOHUS_AUTH_OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0",
                        "INFOHUS_AUTH_OIDC_AUDIENCE": "api://infohus", "INFOHUS_AUTH_SESSION_SECRET": "q" * 40,
                        "INFOHUS_AUTH_OIDC_JWKS_URL": "https://login.microsoftonline.com/t/discovery/v2.0/keys",
                        "INFOHUS_AUTH_OIDC_CLIENT_ID": "c-1", "INFOHUS_AUTH_OIDC_CLIENT_SECRET": "hemmelig",
                        "INFOHUS_AUTH_SESSION_IDLE_TIMEOUT_S": "900"}.items():
        monkeypatch.setenv(name, value)
    settings = AuthSettings()
    assert settings.browser_login_enabled and settings.oidc_client_id == "c-1"
    assert settings.session_idle_timeout_s == 900 and settings.oidc_scopes == "openid profile email"
    assert "hemmelig" not in repr(settings)
    monkeypatch.delenv("INFOHUS_AUTH_OIDC_CLIENT_ID")
    with pytest.raises(ValidationError, match="OIDC_CLIENT_ID"):
        AuthSettings()


async def test_no_browser_sign_in_unless_configured(provider: OidcServer) -> None:
    app = workspace(browser_settings(provider, oidc_browser_login=False))
    async with browser(app) as c:
        assert (await c.get("/auth/login")).status_code == 404
        assert (await c.get("/auth/callback?code=x&state=y")).status_code == 404
        c.cookies.set(SESSION_COOKIE, "x" * 43, domain="workspace.test")
        assert (await c.get("/api/v1/cases/c-1")).status_code == 401




async def test_replicas_share_sessions_through_the_sql_store(provider: OidcServer, databases: Databases,
                                                             unique: str, clock: Clock) -> None:
    engines = [create_async_engine(databases.urls["intake"]) for _ in range(2)]
    stores = [SqlSessionStore(e, session_table(MetaData(), f"sessions_{unique}")) for e in engines]
    for store in stores:
        await store.create_table()
    first, second = (workspace(browser_settings(provider), clock=clock, session_store=s) for s in stores)
    try:
        async with browser(first) as c, browser(second) as other:
            await sign_in(c, "kommune-1")
            cookie = c.cookies.get(SESSION_COOKIE) or ""
            other.cookies.set(SESSION_COOKIE, cookie, domain="workspace.test")
            assert (await other.get("/api/v1/cases/c-1")).status_code == 200
            forwarded = (await other.get("/api/v1/downstream-token")).json()["token"]
            assert forwarded and (await c.get("/api/v1/downstream-token")).json()["token"] == forwarded
            token = (await other.get("/csrf")).json()["token"]
            assert (await other.post("/auth/logout", data={"csrf_token": token})).status_code == 303
            assert (await c.get("/api/v1/cases/c-1")).status_code == 401, "logged out at every replica"
    finally:
        async with engines[0].begin() as connection:
            await connection.run_sync(stores[0].table.drop)
        for engine in engines:
            await engine.dispose()


async def test_an_id_token_for_another_nonce_is_refused(signed_in: tuple[httpx.AsyncClient, FastAPI]) -> None:
    c, app = signed_in
    callback = await at_callback(c, "kommune-1")
    signer = URLSafeTimedSerializer(app.state.infohus_auth.settings.secret(), salt="infohus.oidc-login")
    pending = signer.loads(c.cookies.get("__Host-infohus_oidc_login") or "")
    c.cookies.set("__Host-infohus_oidc_login", signer.dumps(pending | {"nonce": "another"}), domain="workspace.test")
    refused = await c.get(callback)
    assert refused.status_code == 401 and refused.json()["detail"][0]["code"] == "login_failed"
    assert (await c.get("/api/v1/cases/c-1")).status_code == 401


# --- back from the provider: a cross-site navigation ------------------------------------------------------

@pytest.mark.parametrize(("started", "automatic"), [("same-origin", True), ("none", True), ("cross-site", False)])
async def test_back_from_the_provider_the_browser_goes_on_from_a_page_of_ours(
        signed_in: tuple[httpx.AsyncClient, FastAPI], started: str, automatic: bool) -> None:
    """The provider's redirect to the callback is cross-site, so a redirect on to ``next`` would be too and the
    new session cookie would be ignored there. A page of ours goes on; by itself only when our site (or the
    user) started the sign-in, else the user clicks (a link elsewhere must not run anything in their name)."""
    c, _app = signed_in
    callback = await at_callback(c, "kommune-1", fetch_site=started)
    page = await c.get(callback, headers={"sec-fetch-site": "cross-site"})
    assert page.status_code == 200 and '<a href="/api/v1/cases/c-1">' in page.text
    assert ('http-equiv="refresh" content="0;url=/api/v1/cases/c-1"' in page.text) is automatic
    assert any(h.startswith(SESSION_COOKIE) for h in page.headers.get_list("set-cookie"))
    assert (await c.get("/api/v1/cases/c-1", headers={"sec-fetch-site": "cross-site"})).status_code == 401
    assert (await c.get("/api/v1/cases/c-1", headers={"sec-fetch-site": "same-origin"})).status_code == 200
