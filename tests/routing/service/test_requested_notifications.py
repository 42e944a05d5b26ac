"""Routing's half of notify's watchdog contract: what it asked to be mailed, page by page, to notify's service
identity only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from devtools.auth_testing import dev_headers_for
from infohus.kit.auth import Role
from services.notify.adapters.expected import RoutingExpectedNotifications
from services.notify.adapters.routing_credentials import DevelopmentServiceToken
from services.routing.adapters.orm import read_access_log
from services.routing.entrypoints.http import create_app
from tests.auth.conftest import development_settings
from tests.routing.builders import MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

SERVICE = ("notify-watchdog", Role.SERVICE_NOTIFY)
PATH = "/api/v1/notifications/requested"


async def test_watchdog_reads_every_requested_notification_across_pages(routing: RoutingHarness) -> None:
    for _ in range(3):
        await routing.submit(concern_body(subjects=[person(MINOR)]))
    requested = await routing.events("NotificationRequested")
    assert len(requested) >= 6
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)

    seen, cursor = [], None
    async with routing.client(*SERVICE) as client:
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

        pages = RoutingExpectedNotifications("http://routing.test", client=lambda: routing.client(*SERVICE)) \
            .pages_between(start, end)
        expected = [item async for page in pages for item in page]
    assert [str(e.notification.notification_id) for e in expected] == seen

    async with routing.client(*SERVICE) as client:
        earlier = await client.get("/api/v1/notifications/requested",
                                   params={"from": (start - timedelta(days=1)).isoformat(), "to": start.isoformat()})
    assert earlier.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(("who", "status"), [
    ((), 401),
    (("mette", Role.TOVHOLDER_MUNICIPAL), 403),
    (("sofie", Role.STRAXEN), 403),
    (("rita", Role.AUDITOR), 403),
    (("adam", Role.ADMINISTRATOR), 403),
    (SERVICE, 200),
])
async def test_only_notifys_service_identity_may_list_the_requests(routing: RoutingHarness, who: tuple[str, Role],
                                                                   status: int) -> None:
    await routing.submit(concern_body(subjects=[person(MINOR)]))
    window = {"from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    async with routing.client(*who) as client:
        response = await client.get(PATH, params=window)
    assert response.status_code == status, response.text
    if status != 200:
        assert "notification_id" not in response.text and "reference" not in response.text
    else:
        assert response.json()["items"]


@pytest.mark.parametrize("params", [
    {"from": "2026-03-03T10:00:00", "to": "2026-03-04T10:00:00+01:00"},  # no time zone
    {"from": "2026-03-03T10:00:00+01:00", "to": "2026-03-04T10:00:00+01:00", "cursor": "not-a-cursor"},
    {"from": "2026-03-03T10:00:00+01:00", "to": "2026-03-04T10:00:00+01:00", "limit": "1001"},
    {"to": "2026-03-04T10:00:00+01:00"},
])
async def test_bad_parameters_are_422_for_the_service(routing: RoutingHarness, params: dict[str, str]) -> None:
    async with routing.client(*SERVICE) as client:
        assert (await client.get(PATH, params=params)).status_code == 422
    async with routing.client() as client:  # anonymous: refused before the parameters are looked at
        assert (await client.get(PATH, params=params)).status_code == 401


async def test_reading_a_receipt_requests_address_is_in_the_read_access_log(routing: RoutingHarness) -> None:
    routing.now = datetime.now(UTC)
    await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), routing.now)
    async with routing.client("sofie", Role.STRAXEN) as client:
        tasks = (await client.get("/api/v1/cases/tasks")).json()
        [receipt] = [t for t in tasks if t["kind"] == "RECEIPT_CONFIRMATION"]
        sent = await client.post(f"/api/v1/cases/tasks/{receipt['task_id']}/receipt", json={"send_to": "a@ishoj.dk"})
        assert sent.status_code == 200, sent.text
    log = read_access_log
    async with routing.container.unit_of_work() as uow:
        before = len((await uow.session.execute(select(log.c.id))).all())
    window = {"from": (routing.now - timedelta(hours=1)).isoformat(),
              "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    async with routing.client(*SERVICE) as client:
        items = (await client.get(PATH, params=window)).json()["items"]
    assert [i["notification"]["recipient_address"] for i in items if i["notification"]["recipient_address"]] == [
        "a@ishoj.dk"]
    async with routing.container.unit_of_work() as uow:
        rows = (await uow.session.execute(select(log).order_by(log.c.read_at))).mappings().all()
    [row] = rows[before:]
    assert (row["user_id"], row["case_kind"], row["case_id"], row["purpose"]) == (
        "notify-watchdog", "underretning", receipt["underretning_id"], "follow_up")


async def test_notifys_development_service_token_is_let_in_by_routing_in_development(
        routing: RoutingHarness) -> None:
    """``make run``: notify signs its own service token; routing (development sign-in) accepts it, and a staff
    user's development token is refused."""
    settings = development_settings()
    app = create_app(routing.container, manage_runtime=False, auth=settings)
    window = {"from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing.test") as client:
        token = await DevelopmentServiceToken(settings)()
        ok = await client.get(PATH, params=window, headers={"authorization": f"Bearer {token}"})
        staff = await client.get(PATH, params=window, headers=dev_headers_for(settings, Role.TOVHOLDER_MUNICIPAL))
    assert (ok.status_code, staff.status_code) == (200, 403)
