"""DEVELOPMENT ONLY: seeded users with argon2-hashed passwords, and signed session cookies.

One made-up user per role, all with the development password (``INFOHUS_AUTH_DEV_PASSWORD``, default
``infohus-udvikling``), hashed with argon2id (OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane)
when the first sign-in is checked, so services start at once. None of this is reachable unless
``INFOHUS_AUTH_MODE=development``, which :class:`~infohus.kit.auth.settings.AuthSettings` refuses in
production; the classes here refuse production settings as well.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from infohus.kit.auth.errors import AuthenticationError
from infohus.kit.auth.principal import Principal
from infohus.kit.auth.roles import Role
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.settings import Environment

if TYPE_CHECKING:
    # argon2-cffi is a development-only dependency (not in the production image): imported where a
    # development login hashes or checks a password, never at import time.
    from argon2 import PasswordHasher


@dataclass(frozen=True)
class DevUser:
    username: str
    display_name: str
    roles: frozenset[Role]


DEV_USERS: tuple[DevUser, ...] = (
    DevUser("udvikler-modtagelse", "Udvikler Modtagelse (testbruger)", frozenset({Role.INTAKE})),
    DevUser("udvikler-tovholder-kommune", "Udvikler Tovholder Kommune (testbruger)",
            frozenset({Role.TOVHOLDER_MUNICIPAL})),
    DevUser("udvikler-tovholder-politi", "Udvikler Tovholder Politi (testbruger)",
            frozenset({Role.TOVHOLDER_POLICE})),
    DevUser("udvikler-straxen", "Udvikler StraXen (testbruger)", frozenset({Role.STRAXEN})),
    DevUser("udvikler-revisor", "Udvikler Revisor (testbruger)", frozenset({Role.AUDITOR})),
    DevUser("udvikler-administrator", "Udvikler Administrator (testbruger)", frozenset({Role.ADMINISTRATOR})),
    DevUser("udvikler-samarbejdspartner", "Udvikler Samarbejdspartner (testbruger)", frozenset({Role.PARTNER})),
    # A service principal: notify signs its own development token as this user (no one needs to sign in as it).
    DevUser("udvikler-notify-tjeneste", "Udvikler Notify-tjeneste (testbruger)", frozenset({Role.SERVICE_NOTIFY})),
)


def dev_user_for(role: Role) -> DevUser:
    return next(u for u in DEV_USERS if role in u.roles)


def refuse_production(settings: AuthSettings) -> None:
    if settings.environment is Environment.PRODUCTION or settings.mode is not AuthMode.DEVELOPMENT:
        raise RuntimeError("the development login is only available with INFOHUS_AUTH_MODE=development "
                           "outside production")


class DevUserStore:
    """The seeded users and their argon2id hashes. Unknown users are checked against a dummy hash, so
    the answer takes as long whether or not the user exists."""

    def __init__(self, password: str, users: tuple[DevUser, ...] = DEV_USERS,
                 hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or password_hasher()
        self._users = {u.username: u for u in users}
        self._hashes = {u.username: self._hasher.hash(password) for u in users}
        self._dummy = self._hasher.hash(secrets.token_urlsafe(24))

    @property
    def users(self) -> tuple[DevUser, ...]:
        return tuple(self._users.values())

    def password_hash(self, username: str) -> str:
        return self._hashes[username]

    def verify(self, username: str, password: str) -> DevUser | None:
        """The user when the password matches its argon2 hash, else None (CPU-bound: run in a thread)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        stored = self._hashes.get(username, self._dummy)
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return self._users.get(username)


def password_hasher() -> PasswordHasher:
    """argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@functools.lru_cache(maxsize=4)
def dev_user_store(password: str) -> DevUserStore:
    """One store per password and process, built on first use (call it in a thread: it hashes)."""
    return DevUserStore(password)


DEV_ISSUER = "infohus-dev"
"""``iss`` of every development token."""

SERVICE_NAMES: tuple[str, ...] = ("intake", "routing", "notify", "audit", "workspace")

FORWARDS_TO: dict[str, frozenset[str]] = {"workspace": frozenset({"routing", "intake", "audit", "notify"})}
"""Services that call others with the signed-in user's token (``downstream_token``): the tokens they issue
are also meant for those. Every other service's tokens are for itself only."""


def dev_audience(service: str) -> tuple[str, ...]:
    """``aud`` of a development token issued by ``service``: itself and the services it forwards it to."""
    return tuple(sorted({service} | FORWARDS_TO.get(service, frozenset())))


@dataclass(frozen=True)
class DevToken:
    principal: Principal
    session_token: str
    store_id: str | None


class DevSessions:
    """Signed, time-limited session tokens for development users. The same token works as the HTTP-only
    session cookie of the login form and as ``Authorization: Bearer`` for curl."""

    def __init__(self, settings: AuthSettings, service: str | None = None) -> None:
        """``service``: the audience this app accepts and issues tokens for (None: it can only issue with
        an explicit audience, and reads nothing)."""
        refuse_production(settings)
        self.service = service
        self._serializer = URLSafeTimedSerializer(settings.secret(), salt="infohus.dev-session")
        self.max_age_s = settings.session_max_age_s
        self.secure = settings.cookie_secure
        self.samesite = settings.cookie_samesite
        self.cookie_name = "__Host-infohus_session" if settings.cookie_secure else "infohus_session"
        self.municipalities = settings.fallback_municipalities

    def issue(self, user: DevUser, *, session_token: str | None = None, store_id: str | None = None,
              audience: Iterable[str] | None = None) -> str:
        """A signed token for ``user``, issued by :data:`DEV_ISSUER` for ``audience`` (default: this
        service and those it forwards tokens to, :func:`dev_audience`). With ``store_id`` the token names a
        server-side session (``session_token``) in that store, which the service holding the store checks
        on every use (so logout and the idle timeout end it there); other services in its audience check
        the signature and age only."""
        if audience is None:
            if self.service is None:
                raise ValueError("a development token needs an audience")
            audience = dev_audience(self.service)
        data: dict[str, Any] = {"iss": DEV_ISSUER, "aud": sorted(set(audience)), "u": user.username,
                                "n": user.display_name, "r": sorted(user.roles),
                                "s": session_token or secrets.token_urlsafe(32)}
        if store_id is not None:
            data["k"] = store_id
        return self._serializer.dumps(data)

    def read(self, token: str, *, from_cookie: bool) -> DevToken:
        """The principal a token names, with its session token and store (signature and age checked)."""
        try:
            data: Any = self._serializer.loads(token, max_age=self.max_age_s)
        except BadSignature as error:
            raise AuthenticationError("invalid or expired session") from error
        if not isinstance(data, dict) or data.get("iss") != DEV_ISSUER:
            raise AuthenticationError("wrong issuer")
        audience = data.get("aud")
        if self.service is None or not isinstance(audience, list) or self.service not in audience:
            raise AuthenticationError("wrong audience")
        try:
            roles = frozenset(Role(r) for r in data["r"])
            user_id, name, sid = str(data["u"]), str(data["n"]), str(data["s"])
            store_id = data.get("k")
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise AuthenticationError("malformed session") from error
        principal = Principal(user_id=user_id, roles=roles, display_name=name, method="development",
                              session_id=sid if from_cookie else None, municipalities=self.municipalities)
        return DevToken(principal, sid, store_id if isinstance(store_id, str) else None)

    def principal(self, token: str, *, from_cookie: bool) -> Principal:
        """Signature and age only; :class:`~infohus.kit.auth.authenticator.Authenticator` also checks the
        session store."""
        return self.read(token, from_cookie=from_cookie).principal

    def cookie_options(self) -> dict[str, Any]:
        return {"key": self.cookie_name, "max_age": self.max_age_s, "path": "/", "httponly": True,
                "secure": self.secure, "samesite": self.samesite}
