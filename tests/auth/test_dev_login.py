"""The development login of ``make run``: refused in production, argon2 hashes, session cookie, CSRF,
open-redirect protection and rate limiting."""

from __future__ import annotations

import logging
import re
import time
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI, Request
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import AuthMode, AuthSettings, Permission, Role, downstream_token, install_auth, require
from infohus.kit.auth.dev_users import DEV_ISSUER, DEV_USERS, DevSessions, DevUserStore, dev_audience, dev_user_store
from infohus.kit.auth.login import dev_login_router
from infohus.kit.auth.settings import DEVELOPMENT_PASSWORD
from infohus.kit.settings import Environment
from tests.auth.conftest import development_settings
from tests.auth.demo import demo_app

PASSWORD = DEVELOPMENT_PASSWORD
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client(app: FastAPI, *, https: bool = False) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="https://testserver" if https else "http://testserver")


async def form_token(c: httpx.AsyncClient) -> str:
    page = await c.get("/auth/login")
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match, "the login form carries a CSRF token"
    return match.group(1)


async def login(c: httpx.AsyncClient, username: str, password: str = PASSWORD,
                **extra: str) -> httpx.Response:
    token = await form_token(c)
    return await c.post("/auth/login", data={"username": username, "password": password,
                                             "csrf_token": token, **extra})


def set_cookie(response: httpx.Response, name: str) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


# --- refused in production ------------------------------------------------------------------------------

def test_development_mode_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="development login"):
        AuthSettings(environment=Environment.PRODUCTION, mode=AuthMode.DEVELOPMENT,
                     session_secret="s" * 40, cookie_secure=True)


def test_development_mode_is_refused_in_production_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOHUS_ENVIRONMENT", "production")
    monkeypatch.setenv("INFOHUS_AUTH_MODE", "development")
    monkeypatch.setenv("INFOHUS_AUTH_SESSION_SECRET", "s" * 40)
    with pytest.raises(ValidationError, match="development login"):
        AuthSettings()


def test_production_needs_oidc_settings_a_secret_and_secure_cookies() -> None:
    with pytest.raises(ValidationError) as raised:
        AuthSettings(environment=Environment.PRODUCTION, cookie_secure=False,
                     oidc_jwks_url="http://idp.example.invalid/jwks")
    message = str(raised.value)
    for problem in ("OIDC_ISSUER", "https", "SESSION_SECRET", "COOKIE_SECURE"):
        assert problem in message
    idp = FakeIdentityProvider()
    AuthSettings(environment=Environment.PRODUCTION, oidc_issuer=idp.issuer, oidc_audience=idp.audience,
                 oidc_jwks_url=idp.jwks_url, session_secret="p" * 40)


def test_forced_production_settings_cannot_mount_the_login() -> None:
    values = dict(development_settings()) | {"environment": Environment.PRODUCTION}
    forced = AuthSettings.model_construct(**values)
    with pytest.raises(RuntimeError):
        DevSessions(forced)
    with pytest.raises(RuntimeError):
        install_auth(FastAPI(), forced)


async def test_no_login_form_in_oidc_mode() -> None:
    idp = FakeIdentityProvider()
    app = demo_app(idp.settings(), jwks_fetcher=idp.fetch)
    async with client(app, https=True) as c:
        assert (await c.get("/auth/login")).status_code == 404
        assert (await c.post("/auth/token", data={"username": "udvikler-revisor", "password": PASSWORD})
                ).status_code == 404


def test_role_mapping_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOHUS_AUTH_ROLE_MAPPING", '{"infohus-revisor": "auditor"}')
    monkeypatch.setenv("INFOHUS_AUTH_ROLES_CLAIM", "groups")
    settings = AuthSettings(environment=Environment.TEST)
    assert settings.map_role("infohus-revisor") is Role.AUDITOR
    assert settings.map_role("auditor") is None
    assert settings.roles_claim == "groups"


# --- users and argon2 -----------------------------------------------------------------------------------

def test_one_seeded_user_per_role_with_fake_names() -> None:
    assert sorted(r for u in DEV_USERS for r in u.roles) == sorted(Role)
    assert all(u.username.startswith("udvikler-") and "testbruger" in u.display_name for u in DEV_USERS)


def test_argon2_hashes_verify() -> None:
    store = dev_user_store(PASSWORD)
    hashes = {store.password_hash(u.username) for u in DEV_USERS}
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    assert len(hashes) == len(DEV_USERS), "every hash has its own salt"
    straxen = next(u for u in DEV_USERS if u.username == "udvikler-straxen")
    assert store.verify("udvikler-straxen", PASSWORD) == straxen
    assert store.verify("udvikler-straxen", PASSWORD + "x") is None
    assert store.verify("udvikler-straxen", "") is None
    assert store.verify("nobody", PASSWORD) is None
    other = DevUserStore("et-andet-kodeord", users=DEV_USERS[:1])
    assert other.verify(DEV_USERS[0].username, PASSWORD) is None
    assert other.verify(DEV_USERS[0].username, "et-andet-kodeord") is not None


# --- login flow -----------------------------------------------------------------------------------------

async def test_login_sets_a_signed_http_only_samesite_session_cookie(dev_settings: AuthSettings) -> None:
    app = demo_app(dev_settings)
    async with client(app) as c:
        page = await c.get("/auth/login")
        assert "kun til udvikling" in page.text.lower() and "<script" not in page.text
        assert "infohus_csrf" in page.headers["set-cookie"]
        response = await login(c, "udvikler-tovholder-politi")
        assert response.status_code == 303 and response.headers["location"] == "/auth/me"
        cookie = set_cookie(response, "infohus_session")["infohus_session"]
        assert cookie["httponly"] is True
        assert cookie["samesite"].lower() == "lax"
        assert cookie["path"] == "/"
        assert int(cookie["max-age"]) == dev_settings.session_max_age_s
        me = (await c.get("/auth/me")).json()
        assert me == {"authenticated": True, "user_id": "udvikler-tovholder-politi", "method": "development",
                      "display_name": "Udvikler Tovholder Politi (testbruger)", "roles": ["tovholder_police"]}
        assert (await c.get("/api/v1/cases/c-1")).status_code == 200
        assert (await c.get("/api/v1/underretninger/u-1")).status_code == 403


async def test_secure_cookies_use_the_host_prefix() -> None:
    app = demo_app(development_settings(cookie_secure=True, cookie_samesite="strict"))
    async with client(app, https=True) as c:
        response = await login(c, "udvikler-revisor")
        assert response.status_code == 303
        cookie = set_cookie(response, "__Host-infohus_session")["__Host-infohus_session"]
        assert cookie["secure"] is True and cookie["httponly"] is True
        assert cookie["samesite"].lower() == "strict"
        assert (await c.get("/api/v1/read-log")).status_code == 200


async def test_wrong_password_and_missing_csrf_are_refused(dev_settings: AuthSettings) -> None:
    async with client(demo_app(dev_settings)) as c:
        assert (await login(c, "udvikler-revisor", "forkert")).status_code == 401
        no_csrf = await c.post("/auth/login", data={"username": "udvikler-revisor", "password": PASSWORD})
        assert no_csrf.status_code == 403 and "infohus_session" not in no_csrf.headers.get("set-cookie", "")
        forged = await c.post("/auth/login", data={"username": "udvikler-revisor", "password": PASSWORD,
                                                   "csrf_token": "forged"})
        assert forged.status_code == 403
        assert (await c.get("/auth/me")).json()["authenticated"] is False


@pytest.mark.parametrize(("target", "expected"), [
    ("/api/v1/cases/c-1", "/api/v1/cases/c-1"), ("https://evil.example/", "/auth/me"),
    ("//evil.example/", "/auth/me"), ("/\\evil.example", "/auth/me"), ("javascript:alert(1)", "/auth/me"),
])
async def test_no_open_redirect_after_login(dev_settings: AuthSettings, target: str, expected: str) -> None:
    async with client(demo_app(dev_settings)) as c:
        response = await login(c, "udvikler-tovholder-kommune", next=target)
        assert response.headers["location"] == expected


async def test_a_session_cookie_needs_a_csrf_token_bound_to_the_session_to_write(
        dev_settings: AuthSettings) -> None:
    async with client(demo_app(dev_settings)) as c:
        before_login = await form_token(c)
        await login(c, "udvikler-tovholder-kommune")
        refused = await c.post("/api/v1/cases/c-1/transitions")
        assert refused.status_code == 403 and refused.json()["detail"][0]["code"] == "csrf_failed"
        stale = await c.post("/api/v1/cases/c-1/transitions", headers={"x-csrf-token": before_login})
        assert stale.status_code == 403, "a token from before sign-in is bound to no session"
        token = await form_token(c)
        allowed = await c.post("/api/v1/cases/c-1/transitions", headers={"x-csrf-token": token})
        assert allowed.status_code == 200
        logout = await c.post("/auth/logout", data={"csrf_token": token})
        assert logout.status_code == 303
        assert (await c.get("/auth/me")).json()["authenticated"] is False


async def test_a_forged_or_tampered_session_is_refused(dev_settings: AuthSettings) -> None:
    other = DevSessions(development_settings(session_secret="en-helt-anden-hemmelighed-" + "x" * 20))
    forged = other.issue(DEV_USERS[-1], audience=["routing"])
    genuine = DevSessions(dev_settings).issue(DEV_USERS[0], audience=["routing"])
    async with client(demo_app(dev_settings)) as c:
        for token in (forged, genuine[:-2] + "xx"):
            response = await c.put("/api/v1/config", headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 401
            c.cookies.set("infohus_session", token)
            assert (await c.get("/api/v1/read-log")).status_code == 401


async def test_token_endpoint_gives_a_bearer_token_for_curl(dev_settings: AuthSettings) -> None:
    async with client(demo_app(dev_settings)) as c:
        response = await c.post("/auth/token",
                                data={"username": "udvikler-administrator", "password": PASSWORD})
        assert response.status_code == 200
        bearer = {"authorization": f"Bearer {response.json()['access_token']}"}
        assert (await c.put("/api/v1/config", headers=bearer)).status_code == 200, "no CSRF needed for bearer"
        assert (await c.get("/api/v1/cases/c-1", headers=bearer)).status_code == 403
        wrong = await c.post("/auth/token", data={"username": "udvikler-administrator", "password": "nej"})
        assert wrong.status_code == 401


async def test_login_attempts_are_limited_per_user_and_client_and_failures_are_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    settings = development_settings(login_burst=3, login_rate_per_minute=1)
    caplog.set_level(logging.DEBUG)
    app = demo_app(settings)
    attacker = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.66", 1)),
                                 base_url="http://testserver")
    owner = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.23", 1)),
                              base_url="http://testserver")
    async with attacker as c, owner:
        for _ in range(3):
            assert (await login(c, "udvikler-straxen", "forkert-kodeord")).status_code == 401
        limited = await login(c, "udvikler-straxen")  # even the right password waits
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert (await login(c, "UDVIKLER-STRAXEN ")).status_code == 429, "names are normalised"
        token = await c.post("/auth/token", data={"username": "udvikler-straxen", "password": PASSWORD})
        assert token.status_code == 429
        assert (await login(c, "udvikler-revisor")).status_code == 303, "other users are not affected"
        assert (await login(owner, "udvikler-straxen")).status_code == 303, "nor the owner at their own machine"
        assert (await login(c, "Jens Hansen", "hemmeligt")).status_code == 401
    failures = [r.getMessage() for r in caplog.records if "login failed" in r.getMessage()]
    assert failures.count("development login failed: user=udvikler-straxen reason=wrong_password") == 3
    assert failures.count("development login failed: user=udvikler-straxen reason=rate_limited") == 3
    assert "development login failed: user=(unknown) reason=unknown_user" in failures
    assert "forkert-kodeord" not in caplog.text and "hemmeligt" not in caplog.text, "never a password"
    assert "Jens Hansen" not in caplog.text, "a name that is not a development user is not logged"
    assert "203.0.113.66" not in caplog.text and "198.51.100.23" not in caplog.text, "nor the client address"


def test_login_router_needs_development_mode() -> None:
    from infohus.kit.auth.authenticator import Authenticator

    idp = FakeIdentityProvider()
    with pytest.raises(RuntimeError):
        dev_login_router(Authenticator(idp.settings(), jwks_fetcher=idp.fetch))


# --- server-side sessions -------------------------------------------------------------------------------

async def test_logout_revokes_the_session_for_cookie_and_bearer(dev_settings: AuthSettings) -> None:
    async with client(demo_app(dev_settings)) as c:
        await login(c, "udvikler-tovholder-kommune")
        old = c.cookies.get("infohus_session")
        assert old
        bearer = {"authorization": f"Bearer {old}"}
        assert (await c.get("/api/v1/cases/c-1")).status_code == 200
        assert (await c.get("/api/v1/cases/c-1", headers=bearer)).status_code == 200
        token = await form_token(c)
        assert (await c.post("/auth/logout", data={"csrf_token": token})).status_code == 303
        c.cookies.set("infohus_session", old)
        assert (await c.get("/api/v1/cases/c-1")).status_code == 401, "the old cookie is refused"
        c.cookies.clear()
        assert (await c.get("/api/v1/cases/c-1", headers=bearer)).status_code == 401, "and the old bearer token"


async def test_a_development_session_ends_when_idle(dev_settings: AuthSettings) -> None:
    clock = FakeClock()
    app = demo_app(dev_settings, clock=clock)
    async with client(app) as c:
        response = await c.post("/auth/token", data={"username": "udvikler-revisor", "password": PASSWORD})
        bearer = {"authorization": f"Bearer {response.json()['access_token']}"}
        clock.now += dev_settings.session_idle_timeout_s - 60
        assert (await c.get("/api/v1/read-log", headers=bearer)).status_code == 200
        clock.now += dev_settings.session_idle_timeout_s + 1
        assert (await c.get("/api/v1/read-log", headers=bearer)).status_code == 401


async def test_other_services_check_a_development_token_by_its_signature(dev_settings: AuthSettings) -> None:
    """The service holding the store enforces logout; another service (another store) checks the signature
    and age only, as documented in docs/auth.md."""
    workspace, routing = demo_app(dev_settings, service="workspace"), demo_app(dev_settings, service="routing")
    async with client(workspace) as c, client(routing) as other:
        await login(c, "udvikler-tovholder-politi")
        old = c.cookies.get("infohus_session")
        bearer = {"authorization": f"Bearer {old}"}
        assert (await other.get("/api/v1/cases/c-1", headers=bearer)).status_code == 200
        await c.post("/auth/logout", data={"csrf_token": await form_token(c)})
        assert (await c.get("/api/v1/cases/c-1", headers=bearer)).status_code == 401
        assert (await other.get("/api/v1/cases/c-1", headers=bearer)).status_code == 200


async def test_downstream_token_in_development_is_the_development_token(dev_settings: AuthSettings) -> None:
    app = demo_app(dev_settings)

    @app.get("/forward", dependencies=[require(Permission.PUBLIC)])
    async def forward(request: Request) -> dict[str, str | None]:
        return {"token": await downstream_token(request)}

    async with client(app) as c:
        assert (await c.get("/forward")).json() == {"token": None}
        await login(c, "udvikler-straxen")
        assert (await c.get("/forward")).json() == {"token": c.cookies.get("infohus_session")}
        await c.post("/auth/logout", data={"csrf_token": await form_token(c)})
        c.cookies.set("infohus_session", "x")
        assert (await c.get("/forward")).json() == {"token": None}


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


# --- issuer and audience --------------------------------------------------------------------------------

async def test_a_token_from_one_service_is_refused_by_another(dev_settings: AuthSettings) -> None:
    audit, routing = demo_app(dev_settings, service="audit"), demo_app(dev_settings, service="routing")
    async with client(audit) as a, client(routing) as r:
        issued = await a.post("/auth/token", data={"username": "udvikler-revisor", "password": PASSWORD})
        bearer = {"authorization": f"Bearer {issued.json()['access_token']}"}
        assert (await a.get("/api/v1/read-log", headers=bearer)).status_code == 200
        refused = await r.get("/api/v1/read-log", headers=bearer)
        assert refused.status_code == 401 and refused.json()["detail"][0]["code"] == "invalid_credentials"
        r.cookies.set("infohus_session", issued.json()["access_token"])
        assert (await r.get("/api/v1/read-log")).status_code == 401, "nor as a cookie"


async def test_the_workspace_token_is_meant_for_the_services_it_calls(dev_settings: AuthSettings) -> None:
    workspace = demo_app(dev_settings, service="workspace")
    others = {name: demo_app(dev_settings, service=name) for name in ("routing", "intake", "audit", "notify")}
    async with client(workspace) as w:
        await login(w, "udvikler-tovholder-kommune")
        bearer = {"authorization": f"Bearer {w.cookies.get('infohus_session')}"}
        statuses = {}
        for name, app in others.items():
            async with client(app) as c:
                statuses[name] = (await c.get("/api/v1/cases/c-1", headers=bearer)).status_code
    assert statuses == {"routing": 200, "intake": 200, "audit": 200, "notify": 200}


def test_development_tokens_name_their_issuer_and_audience(dev_settings: AuthSettings) -> None:
    token = DevSessions(dev_settings, "workspace").issue(DEV_USERS[0])
    data = URLSafeTimedSerializer(dev_settings.secret(), salt="infohus.dev-session").loads(token)
    assert data["iss"] == DEV_ISSUER and data["aud"] == ["audit", "intake", "notify", "routing", "workspace"]
    assert DevSessions(dev_settings, "audit").issue(DEV_USERS[0]) and dev_audience("audit") == ("audit",)


@pytest.mark.parametrize("claims", [{}, {"iss": "someone-else", "aud": ["routing"]}, {"iss": DEV_ISSUER},
                                    {"iss": DEV_ISSUER, "aud": "routing"}])
async def test_a_signed_token_without_our_issuer_and_audience_is_refused(
        dev_settings: AuthSettings, claims: dict[str, object]) -> None:
    """Signed with the right secret (as tokens were before issuers and audiences), yet refused."""
    data = {"u": "udvikler-revisor", "n": "Revisor", "r": ["auditor"], "s": "x" * 43} | claims
    token = URLSafeTimedSerializer(dev_settings.secret(), salt="infohus.dev-session").dumps(data)
    async with client(demo_app(dev_settings, service="routing")) as c:
        assert (await c.get("/api/v1/read-log", headers={"authorization": f"Bearer {token}"})).status_code == 401
