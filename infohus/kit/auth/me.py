"""``GET /auth/me``: who is signed in (development login and OIDC browser sign-in)."""

from __future__ import annotations

from pydantic import BaseModel

from infohus.kit.auth.principal import Principal, SignInMethod
from infohus.kit.auth.roles import Role


class SignedInUser(BaseModel):
    authenticated: bool
    user_id: str
    display_name: str
    roles: list[Role]
    method: SignInMethod

    @classmethod
    def of(cls, principal: Principal) -> SignedInUser:
        return cls(authenticated=principal.authenticated, user_id=principal.user_id,
                   display_name=principal.display_name, roles=sorted(principal.roles), method=principal.method)
