"""``require(permission)``: the FastAPI dependency every endpoint states its rule with (the tools that
list every route's rule are in :mod:`infohus.kit.auth.route_rules`).

- no or invalid credentials: 401 (with ``WWW-Authenticate: Bearer``);
- signed in without a role that holds the permission: 403;
- identity provider's keys unreachable and none cached: 503;
- a browser session (cookie) making a POST/PUT/PATCH/DELETE must also carry a CSRF token (403 without).

``require(Permission.PUBLIC)`` lets anyone in and hands the endpoint the signed-in Principal or
``ANONYMOUS``. Several permissions in one ``require`` mean any of them; several ``require`` on one route
(router and endpoint) must all pass.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infohus.kit.auth.authenticator import authenticate_once
from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.principal import ANONYMOUS, Principal
from infohus.kit.auth.roles import Permission
from infohus.kit.security_headers import SAFE_METHODS, CsrfProtection

PERMISSIONS_ATTRIBUTE = "__infohus_permissions__"

_bearer = HTTPBearer(auto_error=False, description="OpenID Connect access token (JWT)")


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
            result = await authenticate_once(request)
            principal = result if isinstance(result, Principal) else ANONYMOUS
            request.state.principal = principal
            return principal

        setattr(public, PERMISSIONS_ATTRIBUTE, permissions)
        return public

    async def protected(request: Request,
                        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
                        ) -> Principal:
        result = await authenticate_once(request)
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
