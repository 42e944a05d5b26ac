"""Routing's half of notify's watchdog contract: what it asked to be mailed, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notify.adapters.expected import RoutingExpectedNotifications
from tests.routing.builders import MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness


async def test_watchdog_reads_every_requested_notification_across_pages(routing: RoutingHarness) -> None:
    for _ in range(3):
        await routing.submit(concern_body(subjects=[person(MINOR)]))
    requested = await routing.events("NotificationRequested")
    assert len(requested) >= 6
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)

    seen, cursor = [], None
    async with routing.client() as client:
        while True:
            params: dict[str, str | int] = {"from": start.isoformat(), "to": end.isoformat(), "limit": 4}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/api/v1/notifications/requested", params=params)).json()
            seen += [item["notification"]["notification_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [n["notification_id"] for n in requested]

        pages = RoutingExpectedNotifications("http://routing.test", client=lambda: routing.client()) \
            .pages_between(start, end)
        expected = [item async for page in pages for item in page]
    assert [str(e.notification.notification_id) for e in expected] == seen

    async with routing.client() as client:
        earlier = await client.get("/api/v1/notifications/requested",
                                   params={"from": (start - timedelta(days=1)).isoformat(), "to": start.isoformat()})
    assert earlier.json() == {"items": [], "next_cursor": None}
