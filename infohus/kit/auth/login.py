"""DEVELOPMENT ONLY: the built-in login form of ``make run``, mounted by ``install_auth`` in development mode.

``GET /auth/login`` shows the form; ``POST /auth/login`` checks the CSRF token, the rate limit and the
argon2 hash, starts a server-side session and sets the signed, HTTP-only, SameSite session cookie naming
it. ``POST /auth/token`` returns the same kind of token for ``Authorization: Bearer`` (curl);
``POST /auth/logout`` ends the session in the store (the old token is refused from then on by this
service); ``GET /auth/me`` says who is signed in. Attempts are limited per user name and client address
together (token bucket), so nobody can lock an account for its owner. Every failed attempt is logged with
the development user name (seeded test users, not people) and the reason; never the password, never the
client address.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from infohus.kit.auth.authenticator import Authenticator
from infohus.kit.auth.dev_users import DEV_USERS, DevUser, dev_user_store, refuse_production
from infohus.kit.auth.errors import AuthenticationError
from infohus.kit.auth.me import SignedInUser
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.ratelimit import LoginRateLimiter
from infohus.kit.auth.require import require
from infohus.kit.auth.roles import Permission
from infohus.kit.auth.settings import DEVELOPMENT_PASSWORD
from infohus.kit.auth.signin_pages import render
from infohus.kit.security_headers import verify_csrf

log = logging.getLogger(__name__)

def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/auth/me"
    if any(ord(c) < 0x20 for c in target):
        return "/auth/me"
    return target


UNKNOWN_USER = "(unknown)"
_DEV_NAMES = frozenset(u.username for u in DEV_USERS)


def _logged_name(username: str) -> str:
    """A seeded development user's name (made-up test users, not people), else a placeholder: whatever else
    was typed may be a real name or a password typed in the wrong field."""
    name = username.strip().casefold()
    return name if name in _DEV_NAMES else UNKNOWN_USER


def dev_login_router(authenticator: Authenticator) -> APIRouter:
    settings = authenticator.settings
    refuse_production(settings)
    sessions = authenticator.sessions
    if sessions is None:
        raise RuntimeError("the development login needs development sessions")
    manager = authenticator.session_manager
    password = settings.dev_password.get_secret_value()
    limiter = LoginRateLimiter(rate_per_minute=settings.login_rate_per_minute, burst=settings.login_burst)
    router = APIRouter(prefix="/auth", tags=["development login"])

    users = [(user.username, f"{user.username} – {user.display_name}") for user in DEV_USERS]

    def page(request: Request, *, message: str = "", next_path: str = "/auth/me", status: int = 200) -> Response:
        return render(request, "login.html", {
            "title": "Udviklingslogin", "message": message, "next": next_path, "users": users,
            "show_password": password == DEVELOPMENT_PASSWORD, "password": password},
            heading="Infohus – udviklingslogin", status_code=status)

    async def check(request: Request, username: str, given: str) -> DevUser | float | None:
        """The user, the seconds to wait when rate limited, or None for a wrong name or password."""
        retry_after = limiter.attempt(username, request.client.host if request.client else "")
        if retry_after is not None:
            log.warning("development login failed: user=%s reason=rate_limited", _logged_name(username))
            return retry_after
        user = await asyncio.to_thread(dev_user_store(password).verify, username[:200], given[:1000])
        if user is None:
            reason = "wrong_password" if _logged_name(username) != UNKNOWN_USER else "unknown_user"
            log.warning("development login failed: user=%s reason=%s", _logged_name(username), reason)
        return user

    async def start_session(user: DevUser) -> str:
        session_token, _ = await manager.start(user_id=user.username, display_name=user.display_name,
                                               roles=user.roles, method="development")
        return sessions.issue(user, session_token=session_token, store_id=manager.store.store_id)

    @router.get("/login", response_class=HTMLResponse, dependencies=[require(Permission.PUBLIC)])
    async def login_form(request: Request,
                         next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
                         ) -> Response:
        return page(request, next_path=_safe_next(next_path))

    @router.post("/login", dependencies=[require(Permission.PUBLIC), Depends(verify_csrf)])
    async def login(request: Request, username: Annotated[str, Form(max_length=200)],
                    password: Annotated[str, Form(max_length=1000)],
                    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/auth/me") -> Response:
        outcome = await check(request, username, password)
        target = _safe_next(next_path)
        if outcome is None:
            return page(request, message="Forkert brugernavn eller adgangskode.", next_path=target,
                        status=401)
        if not isinstance(outcome, DevUser):
            response: Response = page(request, message="For mange forsøg. Vent lidt og prøv igen.",
                                      next_path=target, status=429)
            response.headers["retry-after"] = str(int(outcome))
            return response
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(value=await start_session(outcome), **sessions.cookie_options())
        return response

    @router.post("/token", dependencies=[require(Permission.PUBLIC)])
    async def token(request: Request, username: Annotated[str, Form(max_length=200)],
                    password: Annotated[str, Form(max_length=1000)]) -> JSONResponse:
        outcome = await check(request, username, password)
        if isinstance(outcome, DevUser):
            return JSONResponse({"access_token": await start_session(outcome), "token_type": "Bearer",
                                 "expires_in": sessions.max_age_s})
        if outcome is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=401)
        return JSONResponse({"error": "slow_down"}, status_code=429,
                            headers={"retry-after": str(int(outcome))})

    @router.post("/logout", dependencies=[require(Permission.PUBLIC), Depends(verify_csrf)])
    async def logout(request: Request) -> Response:
        await end_session(request.cookies.get(sessions.cookie_name))
        response = RedirectResponse("/auth/login", status_code=303)
        options = sessions.cookie_options()
        response.delete_cookie(options["key"], path="/", secure=options["secure"], httponly=True,
                               samesite=options["samesite"])
        return response

    async def end_session(token: str | None) -> None:
        if not token:
            return
        try:
            read = sessions.read(token, from_cookie=True)
        except AuthenticationError:
            return
        if read.store_id == manager.store.store_id:
            await manager.end(read.session_token)

    @router.get("/me")
    async def me(principal: Annotated[Principal, require(Permission.PUBLIC)]) -> SignedInUser:
        return SignedInUser.of(principal)

    return router

