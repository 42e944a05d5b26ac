"""``require(permission)``: the FastAPI dependency every endpoint states its rule with, and the tools
that list every route's rule so a test can check each route against each role.

- no or invalid credentials: 401 (with ``WWW-Authenticate: Bearer``);
- signed in without a role that holds the permission: 403;
- identity provider's keys unreachable and none cached: 503;
- a browser session (cookie) making a POST/PUT/PATCH/DELETE must also carry a CSRF token (403 without).

``require(Permission.PUBLIC)`` lets anyone in and hands the endpoint the signed-in Principal or
``ANONYMOUS``. Several permissions in one ``require`` mean any of them; several ``require`` on one route
(router and endpoint) must all pass.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Mount, Route, WebSocketRoute

from infohus.kit.auth.dev_users import DevSessions
from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.fetch_site import started_cross_site
from infohus.kit.auth.oidc import JwksFetcher, OidcVerifier
from infohus.kit.auth.oidc_client import OidcBrowserClient, token_expires_at
from infohus.kit.auth.principal import ANONYMOUS, Principal
from infohus.kit.auth.roles import Permission, Role, roles_for
from infohus.kit.auth.sessions import (
    Clock,
    InMemorySessionStore,
    Session,
    SessionManager,
    SessionStore,
    session_key,
)
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.security_headers import SAFE_METHODS, CsrfProtection

log = logging.getLogger(__name__)

PERMISSIONS_ATTRIBUTE = "__infohus_permissions__"

INFRASTRUCTURE_PATHS: frozenset[str] = frozenset({
    "/health", "/health/live", "/health/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
})
"""Routes that carry no personal data and need no rule: health probes and the API description."""

_bearer = HTTPBearer(auto_error=False, description="OpenID Connect access token (JWT)")


class Authenticator:
    """Turns a request's credentials into a Principal: OIDC bearer tokens and (with the browser sign-in or
    a session store) server-side session cookies in ``oidc`` mode; development tokens (cookie or bearer)
    in ``development`` mode, checked against the session store when they name a session in it."""

    def __init__(self, settings: AuthSettings, *, jwks_fetcher: JwksFetcher | None = None,
                 verifier: OidcVerifier | None = None, session_store: SessionStore | None = None,
                 clock: Clock = time.time, http_transport: httpx.AsyncBaseTransport | None = None,
                 service: str | None = None) -> None:
        self.settings = settings
        self.service = service
        self.clock = clock
        self.oidc: OidcVerifier | None = None
        self.sessions: DevSessions | None = None
        self.browser: OidcBrowserClient | None = None
        self.session_manager = SessionManager(session_store if session_store is not None else InMemorySessionStore(),
                                              idle_timeout_s=settings.session_idle_timeout_s,
                                              max_age_s=settings.session_max_age_s, clock=clock)
        self._session_cookies = settings.mode is AuthMode.DEVELOPMENT or session_store is not None
        self.session_cookie_name = "__Host-infohus_session" if settings.cookie_secure else "infohus_session"
        self._refresh_lock = asyncio.Lock()
        if settings.mode is AuthMode.DEVELOPMENT:
            self.sessions = DevSessions(settings, service)
            return
        if verifier is not None:
            self.oidc = verifier
        elif settings.oidc_configured:
            self.oidc = OidcVerifier(settings, fetcher=jwks_fetcher)
        else:
            log.warning("OIDC bearer tokens are not configured: API calls that need sign-in will be refused")
        if settings.browser_login_enabled:
            if settings.oidc_roles_from == "access_token" and self.oidc is None:
                raise ValueError("OIDC_ROLES_FROM=access_token needs the bearer settings (issuer, audience, "
                                 "JWKS URL) to check the access token")
            self.browser = OidcBrowserClient(settings, clock=clock, transport=http_transport)
            self._session_cookies = True

    @property
    def session_store(self) -> SessionStore:
        return self.session_manager.store

    async def authenticate(self, request: Request) -> Principal | None:
        """The signed-in principal, None without credentials, or :class:`AuthenticationError`."""
        header = request.headers.get("authorization")
        if header is not None:
            token = _bearer_token(header)
            if self.oidc is not None:
                return await self.oidc.authenticate(token)
            if self.sessions is not None:
                return await self._development(token, from_cookie=False)
            raise AuthenticationError("sign-in is not configured")
        cookie = request.cookies.get(self.session_cookie_name) if self._session_cookies else None
        if not cookie:
            return None
        if started_cross_site(request):
            log.info("session cookie ignored on a cross-site request")
            return None
        if self.sessions is not None:
            return await self._development(cookie, from_cookie=True)
        session = await self.session_manager.resolve(cookie)
        if session is None:
            raise AuthenticationError("session ended or unknown")
        # The session store keeps no municipalities yet: a browser session has the installation's default.
        return replace(session.principal(), municipalities=self.settings.fallback_municipalities)

    async def _development(self, token: str, *, from_cookie: bool) -> Principal:
        assert self.sessions is not None
        read = self.sessions.read(token, from_cookie=from_cookie)
        ours = read.store_id == self.session_store.store_id
        if ours and await self.session_manager.resolve(read.session_token) is None:
            raise AuthenticationError("session ended or unknown")
        return read.principal

    async def downstream_token(self, request: Request) -> str | None:
        """The token to call other services with as the request's user (see :func:`downstream_token`)."""
        result = await _authenticate_once(request)
        if not isinstance(result, Principal) or not result.authenticated:
            return None
        header = request.headers.get("authorization")
        if header is not None:
            return _bearer_token(header)
        cookie = request.cookies.get(self.session_cookie_name)
        if not cookie:
            return None
        if self.sessions is not None:
            return cookie
        return await self._session_access_token(cookie)

    async def _session_access_token(self, cookie: str) -> str | None:
        session = await self.session_manager.resolve(cookie)
        if session is None:
            return None
        if _fresh(session, self.clock()):
            return session.access_token
        if self.browser is None or session.refresh_token is None:
            return None
        async with self._refresh_lock:
            session = await self.session_manager.store.get(session.key)
            if session is None:
                return None
            if _fresh(session, self.clock()):
                return session.access_token
            try:
                token = await self.browser.refresh(session.refresh_token or "")
            except AuthenticationError as error:
                log.info("token refresh refused: %s", error.reason)
                return None
            expires_at = token_expires_at(token, self.clock())
            refresh = token.get("refresh_token") or session.refresh_token
            await self.session_store.update_tokens(session.key, access_token=token["access_token"],
                                                   expires_at=expires_at,
                                                   refresh_token=refresh if isinstance(refresh, str) else None)
            return str(token["access_token"])

    def session_binding(self, request: Request) -> str:
        """The browser session a CSRF token is bound to (empty without a session cookie)."""
        if not self._session_cookies:
            return ""
        cookie = request.cookies.get(self.session_cookie_name)
        if not cookie:
            return ""
        if self.sessions is None:
            return session_key(cookie)
        try:
            return self.sessions.principal(cookie, from_cookie=True).session_id or ""
        except AuthenticationError:
            return ""


TOKEN_REFRESH_MARGIN_S = 30.0
"""An access token this close to its expiry is refreshed before it is forwarded."""


def _fresh(session: Session, now: float) -> bool:
    if session.access_token is None:
        return False
    expires_at = session.access_token_expires_at
    return expires_at is None or now < expires_at - TOKEN_REFRESH_MARGIN_S


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("unsupported authorization scheme")
    return token


async def downstream_token(request: Request) -> str | None:
    """The token the workspace forwards (``Authorization: Bearer``) when it calls another service as the
    request's user: in ``oidc`` mode the access token of the session (refreshed with the refresh token
    when it has expired; None when it cannot be, so the user must sign in again) or the request's own
    bearer token; in development the development token. None when the request is not signed in."""
    return await authenticator_of(request).downstream_token(request)


def authenticator_of(request: Request) -> Authenticator:
    authenticator: Authenticator | None = getattr(request.app.state, "infohus_auth", None)
    if authenticator is None:
        raise RuntimeError("sign-in is not installed on this app: call install_auth(app, settings)")
    return authenticator


_STATE_KEY = "infohus_auth_result"


async def _authenticate_once(request: Request) -> Principal | AuthenticationError | None:
    """Authenticates once per request, however many rules the route has."""
    state = request.scope.setdefault("state", {})
    if _STATE_KEY not in state:
        try:
            state[_STATE_KEY] = await authenticator_of(request).authenticate(request)
        except AuthenticationError as error:
            log.info("refused credentials: %s", error.reason)
            state[_STATE_KEY] = error
    result: Principal | AuthenticationError | None = state[_STATE_KEY]
    return result


def _problem(code: str, da: str, en: str) -> list[dict[str, str]]:
    return [{"field": "authorization", "code": code, "message_da": da, "message_en": en}]


def _unauthenticated(error: AuthenticationError | None) -> HTTPException:
    if isinstance(error, IdentityProviderUnavailable):
        return HTTPException(503, headers={"retry-after": "30"}, detail=_problem(
            "identity_provider_unavailable", "Log-in er midlertidigt utilgængeligt. Prøv igen om lidt.",
            "Sign-in is temporarily unavailable. Try again shortly."))
    challenge = 'Bearer realm="infohus"' + (', error="invalid_token"' if error is not None else "")
    return HTTPException(401, headers={"www-authenticate": challenge}, detail=_problem(
        "not_authenticated" if error is None else "invalid_credentials",
        "Du skal være logget ind." if error is None else "Dit log-in er ugyldigt eller udløbet.",
        "Sign-in required." if error is None else "Your sign-in is invalid or has expired."))


def _forbidden() -> HTTPException:
    return HTTPException(403, detail=_problem(
        "forbidden", "Din rolle giver ikke adgang til dette.", "Your role does not give access to this."))


PrincipalDependency = Callable[..., Awaitable[Principal]]


@functools.cache
def _rule(permissions: frozenset[Permission]) -> PrincipalDependency:
    if Permission.PUBLIC in permissions:

        async def public(request: Request) -> Principal:
            result = await _authenticate_once(request)
            principal = result if isinstance(result, Principal) else ANONYMOUS
            request.state.principal = principal
            return principal

        setattr(public, PERMISSIONS_ATTRIBUTE, permissions)
        return public

    async def protected(request: Request,
                        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
                        ) -> Principal:
        result = await _authenticate_once(request)
        if not isinstance(result, Principal):
            raise _unauthenticated(result)
        if not any(result.can(p) for p in permissions):
            raise _forbidden()
        if result.session_id is not None and request.method not in SAFE_METHODS:
            protection: CsrfProtection | None = getattr(request.app.state, "infohus_csrf", None)
            if protection is None:
                raise RuntimeError("CSRF protection is not installed")
            await protection.verify(request)
        request.state.principal = result
        return result

    setattr(protected, PERMISSIONS_ATTRIBUTE, permissions)
    return protected


def require(*permissions: Permission) -> Any:
    """The dependency stating an endpoint's rule: ``principal: Annotated[Principal, require(P.CASE_READ)]``
    or ``dependencies=[require(P.CASE_READ)]``. With several permissions, any one of them suffices."""
    wanted = frozenset(Permission(p) for p in permissions)
    if not wanted:
        raise ValueError("require() needs at least one permission")
    if Permission.PUBLIC in wanted and len(wanted) > 1:
        raise ValueError("Permission.PUBLIC cannot be combined with other permissions")
    return Depends(_rule(wanted))


@dataclass(frozen=True)
class RouteRule:
    """One route and the rules (``require`` dependencies) it states; every rule must pass."""

    path: str
    methods: frozenset[str]
    name: str
    rules: tuple[frozenset[Permission], ...]
    listed_public: bool = False
    dependant: Dependant | None = field(default=None, repr=False, compare=False)
    """The FastAPI dependency tree of an API route (None for other routes)."""

    @property
    def is_api_route(self) -> bool:
        return self.dependant is not None

    @property
    def has_rule(self) -> bool:
        return bool(self.rules) or self.listed_public

    @property
    def allows_anonymous(self) -> bool:
        return all(Permission.PUBLIC in rule for rule in self.rules)

    @property
    def allowed_roles(self) -> frozenset[Role]:
        allowed = frozenset(Role)
        for rule in self.rules:
            allowed &= roles_for(*rule)
        return allowed

    def expected_refusal(self, role: Role | None) -> int | None:
        """401 or 403 when a caller with ``role`` (None: not signed in) must be refused, else None."""
        if role is None:
            return None if self.allows_anonymous else 401
        return None if role in self.allowed_roles else 403


def _permissions_in(dependant: Dependant) -> list[frozenset[Permission]]:
    found: list[frozenset[Permission]] = []
    seen: set[int] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        permissions = getattr(current.call, PERMISSIONS_ATTRIBUTE, None)
        if permissions is not None and id(current.call) not in seen:
            seen.add(id(current.call))
            found.append(permissions)
        stack.extend(current.dependencies)
    return found


def _route_contexts(app: FastAPI) -> list[Any]:
    """The app's routes as served, with included routers expanded (their prefix and dependencies applied).
    FastAPI >= 0.165 keeps included routers as one entry; ``iter_route_contexts`` expands them."""
    expand = getattr(fastapi_routing, "iter_route_contexts", None)
    return list(expand(app.routes)) if expand is not None else list(app.routes)


def route_rules(app: FastAPI, public: Iterable[str] = ()) -> list[RouteRule]:
    """Every route of ``app`` with its rules; paths in ``public`` or :data:`INFRASTRUCTURE_PATHS` count
    as deliberately open."""
    open_paths = INFRASTRUCTURE_PATHS | frozenset(public)
    out = []
    for context in _route_contexts(app):
        original = getattr(context, "original_route", context)
        path = getattr(context, "path", None) or ""
        dependant: Dependant | None = getattr(context, "dependant", None)
        rules: tuple[frozenset[Permission], ...] = ()
        if isinstance(original, APIRoute) and dependant is not None:
            rules = tuple(_permissions_in(dependant))
            methods = frozenset(getattr(context, "methods", None) or ())
        elif isinstance(original, Route):
            methods = frozenset(getattr(context, "methods", None) or ())
        elif isinstance(original, WebSocketRoute):
            methods = frozenset({"WEBSOCKET"})
        elif isinstance(original, Mount):
            methods = frozenset({"*"})
        else:
            methods = frozenset({"?"})
        out.append(RouteRule(path=path, methods=methods, name=getattr(context, "name", None) or "",
                             rules=rules, listed_public=path in open_paths,
                             dependant=dependant if isinstance(original, APIRoute) else None))
    return out


def assert_every_route_has_a_rule(app: FastAPI, public: Iterable[str] = ()) -> list[RouteRule]:
    """Fails with the list of routes that state no ``require(...)`` rule and are not listed as public."""
    rules = route_rules(app, public)
    missing = [r for r in rules if not r.has_rule]
    if missing:
        listing = ", ".join(f"{'/'.join(sorted(r.methods))} {r.path}" for r in missing)
        raise AssertionError(f"routes without an access rule (add require(...) or list them as public): "
                             f"{listing}")
    return rules
