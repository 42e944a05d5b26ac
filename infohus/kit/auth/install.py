"""``install_auth(app, settings)``: sign-in, CSRF, security headers, the browser sign-in (OIDC, when
configured) and, in development mode, the development login form."""

from __future__ import annotations

import logging
import time

import httpx
from fastapi import FastAPI

from infohus.kit.auth.authenticator import Authenticator
from infohus.kit.auth.oidc import JwksFetcher, OidcVerifier
from infohus.kit.auth.sessions import Clock, SessionStore
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.http import api_description_served, remove_api_description
from infohus.kit.security_headers import CsrfProtection, install_security_headers

log = logging.getLogger(__name__)


def install_auth(app: FastAPI, settings: AuthSettings | None = None, *,
                 jwks_fetcher: JwksFetcher | None = None,
                 verifier: OidcVerifier | None = None, security_headers: bool = True,
                 session_store: SessionStore | None = None, clock: Clock = time.time,
                 http_transport: httpx.AsyncBaseTransport | None = None,
                 service: str | None = None) -> Authenticator:
    """Makes ``require(...)`` work on ``app``: the authenticator, CSRF protection bound to the browser
    session, the security headers (HSTS in production), the OIDC browser sign-in at ``/auth/*`` when
    ``INFOHUS_AUTH_OIDC_BROWSER_LOGIN=true`` and, in development mode only, the development login.

    ``session_store`` keeps the browser sessions (default: in this process only; pass a
    :class:`~infohus.kit.auth.sessions.SqlSessionStore` when several replicas serve the app). ``clock``
    and ``http_transport`` (for the calls to the identity provider) are for tests.

    ``service`` names the app as the audience of development tokens (default: the runtime's name that
    ``service_app`` recorded, else the title without "Infohus ", e.g. ``workspace``)."""
    settings = settings if settings is not None else AuthSettings()
    authenticator = Authenticator(settings, jwks_fetcher=jwks_fetcher, verifier=verifier,
                                  session_store=session_store, clock=clock, http_transport=http_transport,
                                  service=service or service_name(app))
    app.state.infohus_auth = authenticator
    if not api_description_served(settings.environment):
        remove_api_description(app)
    CsrfProtection(settings.secret(), secure=settings.cookie_secure, max_age_s=settings.session_max_age_s,
                   session_binding=authenticator.session_binding).install(app)
    if security_headers:
        install_security_headers(app, settings.environment)
    if settings.mode is AuthMode.DEVELOPMENT:
        from infohus.kit.auth.login import dev_login_router

        app.include_router(dev_login_router(authenticator))
        log.warning("DEVELOPMENT LOGIN ENABLED at /auth/login (seeded users udvikler-*); never in production")
    elif settings.browser_login_enabled:
        from infohus.kit.auth.browser_login import oidc_login_router

        app.include_router(oidc_login_router(authenticator))
    return authenticator


def service_name(app: FastAPI) -> str:
    """The name ``service_app`` recorded, else the app's title without the "Infohus " prefix, lower case."""
    recorded = getattr(app.state, "infohus_service", None)
    if isinstance(recorded, str) and recorded:
        return recorded
    return app.title.strip().removeprefix("Infohus ").strip().lower()
