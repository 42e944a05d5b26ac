"""``install_auth(app, settings)``: sign-in, CSRF, security headers and (in development) the login form."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from infohus.kit.auth.dependencies import Authenticator
from infohus.kit.auth.oidc import JwksFetcher, OidcVerifier
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.security_headers import CsrfProtection, install_security_headers

log = logging.getLogger(__name__)


def install_auth(app: FastAPI, settings: AuthSettings | None = None, *,
                 jwks_fetcher: JwksFetcher | None = None,
                 verifier: OidcVerifier | None = None, security_headers: bool = True) -> Authenticator:
    """Makes ``require(...)`` work on ``app``: the authenticator, CSRF protection bound to the browser
    session, the security headers (HSTS in production) and, in development mode only, ``/auth/login``."""
    settings = settings if settings is not None else AuthSettings()
    authenticator = Authenticator(settings, jwks_fetcher=jwks_fetcher, verifier=verifier)
    app.state.infohus_auth = authenticator
    CsrfProtection(settings.secret(), secure=settings.cookie_secure, max_age_s=settings.session_max_age_s,
                   session_binding=authenticator.session_binding).install(app)
    if security_headers:
        install_security_headers(app, settings.environment)
    if settings.mode is AuthMode.DEVELOPMENT:
        from infohus.kit.auth.login import dev_login_router

        app.include_router(dev_login_router(authenticator))
        log.warning("DEVELOPMENT LOGIN ENABLED at /auth/login (seeded users udvikler-*); never in production")
    return authenticator
