"""Sign-in, roles, need-to-know and the read-access log, shared by every service.

A service adopts it with ``install_auth(app, AuthSettings())`` and a ``require(Permission.X)`` on each
endpoint; see docs/auth.md.
"""

from infohus.kit.auth.authenticator import Authenticator, downstream_token
from infohus.kit.auth.errors import AuthenticationError, IdentityProviderUnavailable
from infohus.kit.auth.install import install_auth
from infohus.kit.auth.principal import ANONYMOUS, Principal
from infohus.kit.auth.read_log import (
    ReadAccess,
    ReadAccessLogger,
    ReadPurpose,
    append_only_ddl,
    read_access_log_table,
    read_log_router,
)
from infohus.kit.auth.require import require
from infohus.kit.auth.roles import (
    CASE_READ_PERMISSION,
    MATRIX,
    CaseKind,
    Permission,
    Role,
    permissions_of,
    permits,
    roles_for,
)
from infohus.kit.auth.route_rules import INFRASTRUCTURE_PATHS, RouteRule, assert_every_route_has_a_rule, route_rules
from infohus.kit.auth.sessions import (
    InMemorySessionStore,
    Session,
    SessionManager,
    SessionStore,
    SqlSessionStore,
    session_table,
)
from infohus.kit.auth.settings import AuthMode, AuthSettings

__all__ = [
    "ANONYMOUS",
    "CASE_READ_PERMISSION",
    "INFRASTRUCTURE_PATHS",
    "MATRIX",
    "AuthMode",
    "AuthSettings",
    "AuthenticationError",
    "Authenticator",
    "CaseKind",
    "IdentityProviderUnavailable",
    "InMemorySessionStore",
    "Permission",
    "Principal",
    "ReadAccess",
    "ReadAccessLogger",
    "ReadPurpose",
    "Role",
    "RouteRule",
    "Session",
    "SessionManager",
    "SessionStore",
    "SqlSessionStore",
    "append_only_ddl",
    "assert_every_route_has_a_rule",
    "downstream_token",
    "install_auth",
    "permissions_of",
    "permits",
    "read_access_log_table",
    "read_log_router",
    "require",
    "roles_for",
    "route_rules",
    "session_table",
]
