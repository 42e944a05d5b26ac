"""What routing asked notify to send: the watchdog's view of notifications the broker may have lost.

Contract (routing implements it): ``GET {routing_url}/api/v1/notifications/requested`` with query
parameters ``from`` and ``to`` (ISO 8601 with offset; requests made in [from, to)) and an optional
``cursor``; the answer is ``{"items": [{"requested_at": ..., "notification": <NotificationRequested>}],
"next_cursor": <str or null>}``. Routing's outbox rows (or a table of its requests) are the source.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from contracts.events import NotificationRequested

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
    async def requested_between(self, start: datetime, end: datetime) -> list[ExpectedNotification]: ...


class RoutingExpectedNotifications:
    def __init__(self, base_url: str, *, client: Callable[[], httpx.AsyncClient] | None = None,
                 timeout_s: float = 10.0, max_pages: int = 100) -> None:
        self._client = client or (lambda: httpx.AsyncClient(base_url=base_url, timeout=timeout_s))
        self._max_pages = max_pages

    async def requested_between(self, start: datetime, end: datetime) -> list[ExpectedNotification]:
        items: list[ExpectedNotification] = []
        cursor: str | None = None
        async with self._client() as client:
            for _ in range(self._max_pages):
                params = {"from": start.isoformat(), "to": end.isoformat()}
                if cursor:
                    params["cursor"] = cursor
                response = await client.get(PATH, params=params)
                response.raise_for_status()
                page = _Page.model_validate(response.json())
                items.extend(page.items)
                cursor = page.next_cursor
                if not cursor:
                    break
        return items
