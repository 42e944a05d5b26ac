"""The browser sign-in of ``oidc`` mode (authorization code flow with PKCE), mounted by ``install_auth``
when ``INFOHUS_AUTH_OIDC_BROWSER_LOGIN=true``.

- ``GET /auth/login?next=/path`` sends the browser to the provider with ``state``, ``nonce`` and a PKCE
  S256 challenge; the three (and ``next``) wait in a signed, HTTP-only cookie for ten minutes.
- ``GET /auth/callback`` checks ``state`` against that cookie, exchanges the code, checks the ID token,
  reads the user and roles (``OIDC_ROLES_FROM``), starts a server-side session, sets the session cookie
  and redirects to ``next`` (a local path only).
- ``POST /auth/logout`` (CSRF token required) ends the session in the store, clears the cookie and sends
  the browser to the provider's ``end_session_endpoint`` when it has one.
- ``GET /auth/me`` says who is signed in.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from infohus.kit.auth.authenticator import Authenticator
from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.fetch_site import continue_page, started_cross_site
from infohus.kit.auth.login import _safe_next
from infohus.kit.auth.me import SignedInUser
from infohus.kit.auth.oidc import principal_from_claims
from infohus.kit.auth.oidc_client import OidcBrowserClient, token_expires_at
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.require import require
from infohus.kit.auth.roles import Permission
from infohus.kit.auth.sessions import session_key
from infohus.kit.security_headers import verify_csrf

log = logging.getLogger(__name__)

PENDING_LOGIN_MAX_AGE_S = 600
"""How long the browser may spend at the provider between ``/auth/login`` and ``/auth/callback``."""


def _problem(status: int, code: str, da: str, en: str) -> HTTPException:
    return HTTPException(status, detail=[{"field": "login", "code": code, "message_da": da, "message_en": en}])


def _state_invalid() -> HTTPException:
    return _problem(400, "login_state_invalid", "Log-in kunne ikke gennemføres (ugyldig eller udløbet "
                    "anmodning). Prøv at logge ind igen.", "Sign-in could not be completed (invalid or expired "
                    "request). Try signing in again.")


def _login_failed() -> HTTPException:
    return _problem(401, "login_failed", "Log-in blev afvist af identitetsudbyderen.",
                    "The identity provider refused the sign-in.")


def _provider_unavailable() -> HTTPException:
    return _problem(503, "identity_provider_unavailable", "Log-in er midlertidigt utilgængeligt. Prøv igen "
                    "om lidt.", "Sign-in is temporarily unavailable. Try again shortly.")


def oidc_login_router(authenticator: Authenticator) -> APIRouter:
    settings = authenticator.settings
    client = authenticator.browser
    if client is None:
        raise RuntimeError("the browser sign-in needs INFOHUS_AUTH_OIDC_BROWSER_LOGIN in oidc mode")
    browser: OidcBrowserClient = client
    manager = authenticator.session_manager
    pending = URLSafeTimedSerializer(settings.secret(), salt="infohus.oidc-login")
    secure = settings.cookie_secure
    pending_cookie = "__Host-infohus_oidc_login" if secure else "infohus_oidc_login"
    session_cookie = authenticator.session_cookie_name
    router = APIRouter(prefix="/auth", tags=["sign-in"])

    def redirect_uri(request: Request) -> str:
        return settings.oidc_redirect_url or str(request.url_for("oidc_callback"))

    def read_pending(request: Request) -> dict[str, str] | None:
        value = request.cookies.get(pending_cookie)
        if not value or len(value) > 4096:
            return None
        try:
            data: Any = pending.loads(value, max_age=PENDING_LOGIN_MAX_AGE_S)
        except BadSignature:
            return None
        keys = ("state", "nonce", "verifier", "next", "redirect_uri")
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in keys):
            return None
        return {k: data[k] for k in keys} | {"started_here": "yes" if data.get("started_here") is True else ""}

    async def principal_of(token: dict[str, Any], id_claims: dict[str, Any]) -> Principal:
        if settings.oidc_roles_from == "id_token":
            return principal_from_claims(settings, id_claims)
        if authenticator.oidc is None:
            raise AuthenticationError("access tokens cannot be checked")
        return await authenticator.oidc.authenticate(str(token["access_token"]))

    @router.get("/login", dependencies=[require(Permission.PUBLIC)], response_class=RedirectResponse,
                status_code=303)
    async def login(request: Request,
                    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None) -> Response:
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        callback = redirect_uri(request)
        try:
            url = await browser.authorization_url(redirect_uri=callback, state=state, nonce=nonce,
                                                  code_verifier=verifier)
        except IdentityProviderUnavailable as error:
            raise _provider_unavailable() from error
        response = RedirectResponse(url, status_code=303)
        value = pending.dumps({"state": state, "nonce": nonce, "verifier": verifier, "next": _safe_next(next_path),
                               "redirect_uri": callback, "started_here": not started_cross_site(request)})
        # Lax whatever COOKIE_SAMESITE says: the provider's redirect back is a cross-site navigation.
        response.set_cookie(pending_cookie, value, max_age=PENDING_LOGIN_MAX_AGE_S, path="/", httponly=True,
                            secure=secure, samesite="lax")
        return response

    @router.get("/callback", name="oidc_callback", dependencies=[require(Permission.PUBLIC)],
                response_class=RedirectResponse, status_code=303)
    async def callback(request: Request, code: Annotated[str | None, Query(max_length=4096)] = None,
                       state: Annotated[str | None, Query(max_length=512)] = None,
                       error: Annotated[str | None, Query(max_length=200)] = None,
                       iss: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
        login_request = read_pending(request)
        if login_request is None or not state or not hmac.compare_digest(state, login_request["state"]):
            raise _state_invalid()
        if iss is not None and iss != browser.issuer:  # RFC 9207: the answer comes from our provider
            raise _state_invalid()
        if error is not None or not code:
            log.info("the provider refused the sign-in")
            raise _login_failed()
        try:
            token = await browser.exchange(code=code, redirect_uri=login_request["redirect_uri"],
                                           code_verifier=login_request["verifier"])
            id_claims = await browser.id_token_claims(token, nonce=login_request["nonce"])
            principal = await principal_of(token, id_claims)
        except IdentityProviderUnavailable as unavailable:
            raise _provider_unavailable() from unavailable
        except AuthenticationError as refused:
            log.info("sign-in refused: %s", refused.reason)
            raise _login_failed() from refused
        refresh = token.get("refresh_token")
        session_token, _ = await manager.start(
            user_id=principal.user_id, display_name=principal.display_name, roles=principal.roles, method="oidc",
            access_token=str(token["access_token"]),
            access_token_expires_at=token_expires_at(token, manager.clock()),
            refresh_token=refresh if isinstance(refresh, str) else None, id_token=str(token["id_token"]))
        # Back from a provider on another site, a redirect to ``next`` would still be cross-site, and the new
        # session cookie would be ignored there: go on from a page of our own.
        response: Response = RedirectResponse(login_request["next"], status_code=303)
        if started_cross_site(request):
            response = continue_page(request, login_request["next"], automatic=bool(login_request["started_here"]))
        response.set_cookie(session_cookie, session_token, max_age=settings.session_max_age_s, path="/",
                            httponly=True, secure=secure, samesite=settings.cookie_samesite)
        response.delete_cookie(pending_cookie, path="/", secure=secure, httponly=True, samesite="lax")
        return response

    @router.post("/logout", dependencies=[require(Permission.PUBLIC), Depends(verify_csrf)],
                 response_class=RedirectResponse, status_code=303)
    async def logout(request: Request) -> Response:
        cookie = request.cookies.get(session_cookie)
        session = await manager.store.get(session_key(cookie)) if cookie else None
        if cookie:
            await manager.end(cookie)
        target = "/"
        if session is not None:
            after = settings.oidc_post_logout_redirect_url or str(request.base_url)
            try:
                target = await browser.end_session_url(id_token=session.id_token,
                                                       post_logout_redirect_uri=after) or "/"
            except IdentityProviderUnavailable:
                log.warning("the provider's logout could not be reached; the local session has ended")
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(session_cookie, path="/", secure=secure, httponly=True,
                               samesite=settings.cookie_samesite)
        return response

    @router.get("/me")
    async def me(principal: Annotated[Principal, require(Permission.PUBLIC)]) -> SignedInUser:
        return SignedInUser.of(principal)

    return router
