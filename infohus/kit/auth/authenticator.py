"""The Authenticator: a request's credentials (bearer token or session cookie) turned into a Principal,
once per request, and the token to call other services with as the request's user."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

import httpx
from fastapi import Request

from infohus.kit.auth.dev_users import DevSessions
from infohus.kit.auth.errors import AuthenticationError
from infohus.kit.auth.fetch_site import started_cross_site
from infohus.kit.auth.oidc import JwksFetcher, OidcVerifier
from infohus.kit.auth.oidc_client import OidcBrowserClient, token_expires_at
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.sessions import (
    Clock,
    InMemorySessionStore,
    Session,
    SessionManager,
    SessionStore,
    session_key,
)
from infohus.kit.auth.settings import AuthMode, AuthSettings

log = logging.getLogger(__name__)


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
        result = await authenticate_once(request)
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


async def authenticate_once(request: Request) -> Principal | AuthenticationError | None:
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
