"""Who is making a request, once signed in: id, display name, roles and municipalities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from infohus.kit.auth.roles import CASE_READ_PERMISSION, CaseKind, Permission, Role, permits

# "shell": a command run in a service's container (``infohus explain --decision``), signed in by the cluster's
# access to that container; its user id names the operating-system account, and it holds no role.
SignInMethod = Literal["oidc", "development", "anonymous", "shell"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[Role]
    display_name: str
    method: SignInMethod = "oidc"
    session_id: str | None = field(default=None, repr=False)
    """Set for a browser session (session cookie: OIDC browser sign-in or development login), which then
    needs CSRF tokens on writes."""
    municipalities: frozenset[str] = frozenset()
    """The municipalities (official codes, e.g. ``"183"`` for Ishøj) whose cases the user may see and work.
    Empty: none, so a member of staff sees no case at all."""

    @property
    def authenticated(self) -> bool:
        return self.method != "anonymous"

    def can(self, permission: Permission) -> bool:
        if permission is Permission.PUBLIC:
            return True
        return self.authenticated and permits(self.roles, permission)

    def belongs_to(self, municipality: str) -> bool:
        return municipality in self.municipalities

    def can_read(self, kind: CaseKind) -> bool:
        """Need-to-know for endpoints that serve both infohus cases and underretninger."""
        return self.can(CASE_READ_PERMISSION[kind])


ANONYMOUS = Principal(user_id="anonymous", roles=frozenset(), display_name="Anonym", method="anonymous")
