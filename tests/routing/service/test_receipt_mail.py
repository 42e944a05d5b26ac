"""§ 138, stk. 1 through routing: the receipt endpoint takes either the reporter's work address (Infohus mails
the receipt; notify's SENT status completes the task and stops the clock) or how and when it went; a time
before the underretning or in the future is refused and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.events import DeliveryStatus, DeliveryStatusChanged, Destination, NotificationPurpose
from tests.routing.builders import MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
STRAXEN = ("sofie", "straxen")
WORK_MAIL = "birgitte.haugaard@skole.example.org"


async def receipt_task(routing: RoutingHarness, reporter: str = "PROF_PUBLIC") -> dict[str, Any]:
    routing.now = datetime.fromisoformat(RECEIVED)
    await routing.submit(concern_body(reporter=reporter, subjects=[person(MINOR)]), RECEIVED)
    async with routing.client(*STRAXEN) as client:
        tasks = (await client.get("/api/v1/cases/tasks")).json()
    [task] = [t for t in tasks if t["kind"] == "RECEIPT_CONFIRMATION"]
    return task  # type: ignore[no-any-return]


async def post_receipt(routing: RoutingHarness, task: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*STRAXEN) as client:
        return await client.post(f"/api/v1/cases/tasks/{task['task_id']}/receipt", json=body)


async def task_now(routing: RoutingHarness, task: dict[str, Any]) -> dict[str, Any]:
    async with routing.client(*STRAXEN) as client:
        view = (await client.get(f"/api/v1/cases/underretninger/{task['underretning_id']}")).json()
    [found] = [t for t in view["tasks"] if t["task_id"] == task["task_id"]]
    return {**found, "receipt_confirmed_at": view["receipt_confirmed_at"]}  # type: ignore[no-any-return]


def status(mail: dict[str, Any], state: DeliveryStatus, at: datetime, **fields: Any) -> Envelope[DeliveryStatusChanged]:
    payload = DeliveryStatusChanged(
        notification_id=mail["notification_id"], concern_id=mail["concern_id"], reference=mail["reference"],
        destination=Destination.REPORTER, purpose=NotificationPurpose.RECEIPT_CONFIRMATION, status=state, attempt=1,
        occurred_at=at, infohus_case_id=mail["infohus_case_id"], underretning_id=mail["underretning_id"], **fields)
    return Envelope.wrap(payload, producer="notify", correlation_id=payload.concern_id)


async def receipt_breached(routing: RoutingHarness) -> bool:
    routing.advance(days=30)
    await routing.container.scan_deadlines_once()
    return "RECEIPT_BREACHED" in [e["kind"] for e in await routing.events("DeadlineReached")]


ONE_WAY = "give send_to, or method with sent_at"


@pytest.mark.parametrize(("body", "why"), [
    ({}, ONE_WAY),
    ({"send_to": WORK_MAIL, "method": "telefon", "sent_at": "2026-03-04T09:00:00+01:00"}, ONE_WAY),
    ({"method": "telefon"}, ONE_WAY),  # how, without when
    ({"sent_at": "2026-03-04T09:00:00+01:00"}, ONE_WAY),  # when, without how
    ({"send_to": "ikke-en-adresse"}, '"field":"send_to"'),
    ({"method": "telefon", "sent_at": "1970-01-01T00:00:00+00:00"}, "cannot predate the underretning"),
    ({"method": "brev", "sent_at": "2026-03-03T09:59:00+01:00"}, "cannot predate the underretning"),
    ({"method": "telefon", "sent_at": "2026-03-04T10:06:00+01:00"}, "in the future"),  # beyond the 5-minute skew
    ({"method": "telefon", "sent_at": "2026-03-04T09:00:00"}, "timezone"),
])
async def test_a_receipt_that_is_not_exactly_one_way_or_at_an_impossible_time_is_refused(
        routing: RoutingHarness, body: dict[str, Any], why: str) -> None:
    task = await receipt_task(routing)
    routing.now = datetime.fromisoformat("2026-03-04T10:00:00+01:00")
    events_before = len(await routing.events())
    response = await post_receipt(routing, task, body)
    assert response.status_code == 422 and why in response.text, response.text
    after = await task_now(routing, task)
    assert after["state"] == "OPEN" and after["receipt_confirmed_at"] is None
    assert len(await routing.events()) == events_before  # nothing emitted
    assert await receipt_breached(routing)  # the 1970 receipt no longer stops the clock


async def test_a_recorded_receipt_within_the_clock_skew_counts_as_now_and_stops_the_clock(
        routing: RoutingHarness) -> None:
    task = await receipt_task(routing)
    now = routing.advance(days=1)
    response = await post_receipt(routing, task, {"method": "digital post",
                                                  "sent_at": (now + timedelta(minutes=3)).isoformat()})
    assert response.status_code == 200, response.text
    done = await task_now(routing, task)
    assert (done["state"], done["outcome"], done["details"]["method"]) == ("DONE", "CONFIRMED", "digital post")
    assert datetime.fromisoformat(done["receipt_confirmed_at"]) == now
    assert not await receipt_breached(routing)


async def test_infohus_mails_the_receipt_and_the_sent_mail_completes_the_task(routing: RoutingHarness) -> None:
    task = await receipt_task(routing)
    requested_at = routing.advance(hours=20)
    response = await post_receipt(routing, task, {"send_to": WORK_MAIL})
    assert response.status_code == 200, response.text
    [mail] = [n for n in await routing.events("NotificationRequested") if n["destination"] == "REPORTER"]
    assert (mail["purpose"], mail["recipient_address"], mail["underretning_id"]) == (
        "RECEIPT_CONFIRMATION", WORK_MAIL, task["underretning_id"])
    assert datetime.fromisoformat(mail["received_at"]) == datetime.fromisoformat(RECEIVED)
    assert mail["flags"] == ["ORIENTATION_TO_FOLLOW"] and mail["age_bands"] == []
    waiting = await task_now(routing, task)
    assert waiting["state"] == "OPEN" and waiting["receipt_confirmed_at"] is None
    [entry] = waiting["details"]["receipt_mails"]
    assert (entry["status"], entry["requested_by"], entry["notification_id"]) == (
        "REQUESTED", "sofie", mail["notification_id"])
    assert WORK_MAIL not in str(waiting)  # routing keeps no address
    again = await post_receipt(routing, task, {"send_to": WORK_MAIL})
    assert again.status_code == 409  # one mail on its way at a time
    async with routing.client("notify-watchdog", "service_notify") as watchdog:  # sees it, address included
        watched = (await watchdog.get("/api/v1/notifications/requested", params={  # outbox rows: wall-clock times
            "from": "2000-01-01T00:00:00+00:00", "to": "2100-01-01T00:00:00+00:00"})).json()
    assert WORK_MAIL in [i["notification"].get("recipient_address") for i in watched["items"]]

    sent_at = requested_at + timedelta(seconds=4)
    routing.advance(minutes=1)
    handle = routing.container.on_delivery_status_changed
    await handle(status(mail, DeliveryStatus.QUEUED, requested_at))
    await handle(status(mail, DeliveryStatus.SENT, sent_at, message_id="<r1@ishoj.dk>"))
    done = await task_now(routing, task)
    assert (done["state"], done["outcome"], done["completed_by"]) == ("DONE", "SENT_BY_INFOHUS", "sofie")
    assert datetime.fromisoformat(done["receipt_confirmed_at"]) == sent_at
    assert done["details"]["message_id"] == "<r1@ishoj.dk>"
    assert done["details"]["receipt_mails"][0]["status"] == "SENT"
    updated = (await routing.events("UnderretningUpdated"))[-1]
    assert datetime.fromisoformat(updated["receipt_confirmed_at"]) == sent_at
    assert not await receipt_breached(routing)


async def test_a_dead_lettered_receipt_mail_leaves_the_task_open_for_another_way(routing: RoutingHarness) -> None:
    task = await receipt_task(routing)
    routing.advance(hours=2)
    assert (await post_receipt(routing, task, {"send_to": WORK_MAIL})).status_code == 200
    [mail] = [n for n in await routing.events("NotificationRequested") if n["destination"] == "REPORTER"]
    await routing.container.on_delivery_status_changed(
        status(mail, DeliveryStatus.DEAD_LETTERED, routing.advance(minutes=30), detail="SMTP 550 ved RCPT"))
    open_ = await task_now(routing, task)
    assert open_["state"] == "OPEN" and open_["details"]["receipt_mails"][0]["status"] == "DEAD_LETTERED"
    assert open_["receipt_confirmed_at"] is None

    phoned = routing.advance(hours=1)
    response = await post_receipt(routing, task, {"method": "telefon", "sent_at": phoned.isoformat()})
    assert response.status_code == 200, response.text
    done = await task_now(routing, task)
    assert (done["state"], done["outcome"]) == ("DONE", "CONFIRMED")
    assert datetime.fromisoformat(done["receipt_confirmed_at"]) == phoned


async def test_a_citizen_reporter_is_not_mailed(routing: RoutingHarness) -> None:
    task = await receipt_task(routing, reporter="CITIZEN")
    response = await post_receipt(routing, task, {"send_to": WORK_MAIL})
    assert response.status_code == 422 and "fagperson" in response.text
    assert not [n for n in await routing.events("NotificationRequested") if n["destination"] == "REPORTER"]
    assert UUID(task["task_id"])
