"""What routing asked notify to send: the watchdog's view of notifications the broker may have lost.

Contract (routing implements it): ``GET {routing_url}/api/v1/notifications/requested`` with query
parameters ``from`` and ``to`` (ISO 8601 with offset; requests made in [from, to)) and an optional
``cursor``, signed in as the service principal ``service_notify`` (``Authorization: Bearer``, see
``routing_credentials``); the answer is ``{"items": [{"requested_at": ..., "notification": <NotificationRequested>}],
"next_cursor": <str or null>}``. Routing's outbox rows (or a table of its requests) are the source.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from contracts.events import NotificationRequested
from services.notify.adapters.routing_credentials import TokenSource

PATH = "/api/v1/notifications/requested"


class ExpectedNotification(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    requested_at: datetime
    notification: NotificationRequested


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[ExpectedNotification]
    next_cursor: str | None = None


class ExpectedNotifications(Protocol):
    def pages_between(self, start: datetime, end: datetime) -> AsyncGenerator[list[ExpectedNotification]]:
        """Requests made in [start, end), oldest first, a page at a time: a caller holds one page, not all."""
        ...


class CursorNotAdvancing(Exception):
    """Routing answered the same cursor twice: following it would never end."""


class RoutingExpectedNotifications:
    def __init__(self, base_url: str, *, client: Callable[[], httpx.AsyncClient] | None = None,
                 timeout_s: float = 10.0, token: TokenSource | None = None) -> None:
        self._client = client or (lambda: httpx.AsyncClient(base_url=base_url, timeout=timeout_s))
        self._token = token

    async def pages_between(self, start: datetime, end: datetime) -> AsyncGenerator[list[ExpectedNotification]]:
        cursor: str | None = None
        async with self._client() as client:
            while True:
                params = {"from": start.isoformat(), "to": end.isoformat()}
                if cursor:
                    params["cursor"] = cursor
                response = await client.get(PATH, params=params, headers=await self._headers())
                response.raise_for_status()
                page = _Page.model_validate(response.json())
                yield page.items
                if page.next_cursor is not None and page.next_cursor == cursor:
                    raise CursorNotAdvancing
                cursor = page.next_cursor
                if not cursor:
                    return

    async def _headers(self) -> dict[str, str]:
        """Asked for each page: a cached service token may have expired during a long round."""
        token = await self._token() if self._token is not None else None
        return {"authorization": f"Bearer {token}"} if token else {}
