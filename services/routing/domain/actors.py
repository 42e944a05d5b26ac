"""Who acts on a case: a signed-in user in one role, or routing itself.

Roles and permissions are the kit's (``infohus.kit.auth.roles``: ``Role``, ``Permission`` and the one
``MATRIX``); that module is pure, so the domain consults it directly and keeps no copy. The entrypoint
maps the signed-in ``Principal`` to an :class:`Actor` for the role the endpoint's rule admitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infohus.kit.auth.roles import MATRIX, Permission, Role

SYSTEM_ROLE = "system"
"""The role name recorded for routing's own steps (never a sign-in role)."""


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: Role | None
    """The kit role the user acts in; None for routing itself (:data:`SYSTEM`)."""
    municipalities: frozenset[str] = field(default=frozenset())
    """The municipalities (codes) whose cases and underretninger the user may see and work; none by default."""

    @property
    def role_name(self) -> str:
        return self.role.value if self.role is not None else SYSTEM_ROLE

    def sees(self, municipality: str) -> bool:
        """Routing itself works every case; a user only those of their municipalities."""
        return self.role is None or municipality in self.municipalities

    def can(self, permission: Permission) -> bool:
        return self.role is not None and self.role in MATRIX[permission]


SYSTEM = Actor("system:routing", None)
