"""How notify's delivery watchdog signs in to routing: as the service principal ``service_notify``.

Routing's ``GET /api/v1/notifications/requested`` admits only that role (``NOTIFICATIONS_REQUESTED_READ``).
Where the token comes from, first match wins:

1. OAuth 2.0 client credentials (production): ``INFOHUS_NOTIFY_ROUTING_TOKEN_URL``, ``_ROUTING_CLIENT_ID``
   and ``_ROUTING_CLIENT_SECRET`` (optional ``_ROUTING_TOKEN_SCOPE``). The identity provider issues notify's
   client an access token for routing's audience whose roles claim maps to ``service_notify``; it is kept
   until shortly before it expires.
2. A fixed bearer token: ``INFOHUS_NOTIFY_ROUTING_TOKEN`` (e.g. one an operator issued by hand).
3. Development (``INFOHUS_AUTH_MODE=development``, never production): notify signs a development token for
   the service user ``udvikler-notify-tjeneste`` with the shared development secret, as the built-in login
   would; ``make run`` needs no setting for it.

Otherwise notify calls routing without a token, and routing refuses it (401).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from infohus.kit.auth.dev_users import DevSessions, dev_user_for
from infohus.kit.auth.roles import Role
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.settings import Environment
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)

REFRESH_MARGIN_S = 30.0
"""A client-credentials token this close to its expiry is replaced before use."""


class TokenSource(Protocol):
    async def __call__(self) -> str | None:
        """A bearer token for routing, or None to call without one."""
        ...


class ServiceTokenUnavailable(Exception):
    """The identity provider did not issue a token (no secret or token in the message)."""


class StaticToken:
    def __init__(self, token: str) -> None:
        self._token = token

    async def __call__(self) -> str | None:
        return self._token


class DevelopmentServiceToken:
    """A development token for the notify service user, signed anew for each round (development only)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._sessions = DevSessions(settings)  # refuses production settings
        self._user = dev_user_for(Role.SERVICE_NOTIFY)

    async def __call__(self) -> str | None:
        return self._sessions.issue(self._user, audience=["routing"])


class ClientCredentials:
    """OAuth 2.0 client credentials (RFC 6749 § 4.4) with ``client_secret_basic``; the token is cached."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, scope: str | None = None,
                 timeout_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 client: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self._token_url = token_url
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._scope = scope
        self._clock = clock
        self._client = client or (lambda: httpx.AsyncClient(timeout=timeout_s, follow_redirects=False))
        self._token: str | None = None
        self._valid_until = float("-inf")
        self._lock = asyncio.Lock()

    async def __call__(self) -> str | None:
        async with self._lock:
            if self._token is None or self._clock() >= self._valid_until:
                self._token, lifetime = await self._fetch()
                self._valid_until = self._clock() + max(lifetime - REFRESH_MARGIN_S, 0.0)
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", **({"scope": self._scope} if self._scope else {})}
        async with self._client() as http:
            response = await http.post(self._token_url, data=form, auth=self._auth,
                                       headers={"accept": "application/json"})
        if response.status_code != 200:
            raise ServiceTokenUnavailable(f"the token endpoint answered {response.status_code}")
        body: Any = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ServiceTokenUnavailable("the token endpoint gave no access_token")
        expires_in = body.get("expires_in")
        return token, float(expires_in) if isinstance(expires_in, int | float) else 300.0


def routing_token_source(settings: NotifySettings, auth: AuthSettings | None = None) -> TokenSource | None:
    """Where the watchdog's token for routing comes from (see the module's docstring)."""
    if settings.routing_client_id and settings.routing_client_secret and settings.routing_token_url:
        return ClientCredentials(settings.routing_token_url, settings.routing_client_id,
                                 settings.routing_client_secret.get_secret_value(),
                                 scope=settings.routing_token_scope)
    if settings.routing_token is not None:
        return StaticToken(settings.routing_token.get_secret_value())
    auth = auth if auth is not None else _auth_settings()
    if auth is not None and auth.mode is AuthMode.DEVELOPMENT and auth.environment is not Environment.PRODUCTION:
        return DevelopmentServiceToken(auth)
    if settings.routing_url:
        log.warning("no service credentials for routing (INFOHUS_NOTIFY_ROUTING_CLIENT_ID/_SECRET/_TOKEN_URL): "
                    "the watchdog's look-ups will be refused")
    return None


def _auth_settings() -> AuthSettings | None:
    try:
        return AuthSettings()
    except ValueError:  # unsafe or incomplete sign-in settings: notify's HTTP side reports them itself
        return None

