"""Consuming notification requests and delivering them once: redelivery, 4xx, 5xx, an SMTP server that is down."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.events import Destination, NotificationRequested
from contracts.topics import dead_letter_topic, topic_name
from devtools.devstack.mailbox import LocalMailbox
from services.notify.domain.delivery import State
from tests.notify.conftest import (
    OPS,
    TK,
    UND,
    NotifyUnderTest,
    RecipientFaultMailbox,
    notification,
    read_topic,
    to,
    wrap,
)
from tests.waiting import eventually


async def test_each_request_is_mailed_once_however_often_it_arrives(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port).start()
    tk = notification(Destination.INFOHUS_TK, reference="IH-2026-001001")
    und = notification(Destination.UNDERRETNING, concern_id=tk.concern_id, reference="IH-2026-001001")
    first = wrap(tk)
    await notify.publish(first)
    await notify.publish(wrap(und))
    await notify.publish(first)  # the broker redelivers the same message
    await eventually(lambda: notify.state_is(tk.notification_id, State.SENT))
    await eventually(lambda: notify.state_is(und.notification_id, State.SENT))
    await notify.publish(wrap(tk))  # routing asks again (a new event, the same notification id)
    await eventually(lambda: _count(notify.outbox("NotificationSent"), 3))
    await eventually(notify.consumed)  # the redelivered request too
    await eventually(notify.settled)  # nothing left that could be mailed

    mails = relay.messages()
    assert sorted(str(m["To"]) for m in mails) == sorted([TK, UND])
    assert all("IH-2026-001001" in str(m["Subject"]) for m in mails)
    sent = await notify.outbox("NotificationSent")
    assert [s["notification_id"] for s in sent].count(str(tk.notification_id)) == 2  # confirmed again, not resent
    statuses = [(s["notification_id"], s["status"]) for s in await notify.outbox("DeliveryStatusChanged")]
    assert statuses.count((str(tk.notification_id), "QUEUED")) == 1
    assert statuses.count((str(tk.notification_id), "SENT")) == 1

    async with notify.container.unit_of_work() as uow:
        listed = await uow.deliveries.by_concern(tk.concern_id)
    assert {(d.destination, d.state, d.attempts) for d in listed} == {
        ("INFOHUS_TK", State.SENT, 1), ("UNDERRETNING", State.SENT, 1)}


async def test_4xx_is_retried_with_backoff_then_sent_once(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, retry_initial_backoff_s=0.3,
                               retry_max_backoff_s=0.6).start(broker=False)
    relay.fault = (451, "4.3.0 Try again later")
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)
    await eventually(lambda: _count(_statuses(notify, "RETRYING"), 2))  # two attempts answered 451
    delivery = await notify.delivery(request.payload.notification_id)
    assert delivery is not None and delivery.state != State.SENT and "451" in delivery.last_error
    assert relay.files() == []
    relay.fault = None

    sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT))
    await eventually(notify.settled)
    assert len(relay.files()) == 1 and sent.attempts >= 3
    retrying = [s for s in await notify.outbox("DeliveryStatusChanged") if s["status"] == "RETRYING"]
    assert retrying and all("451" in s["detail"] and s["next_attempt_at"] for s in retrying)


async def test_5xx_goes_to_the_dead_letter_topic_with_an_event_and_an_ops_alert(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest],
        notify_db: dict[str, str | None]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, database=notify_db).start()
    relay.recipient_faults[TK.casefold()] = (550, "5.1.1 Mailbox unavailable")
    tk = notification(Destination.INFOHUS_TK, reference="IH-2026-005550", acute=True)
    und = notification(Destination.UNDERRETNING, concern_id=tk.concern_id, reference="IH-2026-005550")
    original = wrap(tk)
    await notify.publish(original)
    await notify.publish(wrap(und))

    dead = await eventually(lambda: notify.state_is(tk.notification_id, State.DEAD_LETTERED))
    assert dead.attempts == 1 and "550" in dead.last_error  # a 5xx is not retried
    mails = await relay.wait_for(2, timeout=15)
    assert to(mails, TK) == [] and len(to(mails, UND)) == 1
    (alert,) = to(mails, OPS)
    assert "IH-2026-005550" in str(alert["Subject"]) and "AKUT" in str(alert["Subject"])
    alert_text = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "kunne ikke leveres" in alert_text and "550" in alert_text and str(tk.notification_id) in alert_text

    prefix = notify.kafka.topic_prefix
    dlt = dead_letter_topic(topic_name(NotificationRequested, prefix), "notify")
    ((value, headers),) = await read_topic(notify.bootstrap_servers, dlt, 1)
    assert json.loads(value)["event_id"] == str(original.event_id)
    assert "550" in headers["x-dead-letter-reason"] and headers["x-original-topic"] == topic_name(
        NotificationRequested, prefix)
    dead_lettered = prefix + "infohus.notify.notification-dead-lettered.v1"
    ((event, _),) = await read_topic(notify.bootstrap_servers, dead_lettered, 1)
    payload = json.loads(event)["payload"]
    assert payload["notification_id"] == str(tk.notification_id) and payload["smtp_code"] == 550
    statuses = [json.loads(v)["payload"]["status"] for v, _ in await read_topic(
        notify.bootstrap_servers, prefix + "infohus.notify.delivery-status-changed.v1", 6)]
    assert "DEAD_LETTERED" in statuses and "SENT" in statuses


async def test_an_ops_alert_outlasts_a_relay_that_refuses_everything_for_a_while(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    """A 5xx window (a relay refusing all mail) dead-letters the notification, but not the alert about it."""
    notify = await make_notify(smtp_port=relay.smtp_port, retry_initial_backoff_s=0.2,
                               retry_max_backoff_s=0.4).start(broker=False)
    relay.fault = (554, "5.7.1 Afvist")
    request = wrap(notification(Destination.INFOHUS_TK, reference="IH-2026-000554"))
    await notify.deliver_directly(request)
    await eventually(lambda: notify.state_is(request.payload.notification_id, State.DEAD_LETTERED))
    await eventually(lambda: _count(_statuses(notify, "RETRYING"), 1))  # the alert met the 554 too, and waits
    relay.fault = None

    (alert,) = to(await relay.wait_for(1, timeout=10), OPS)
    assert "IH-2026-000554" in str(alert["Subject"])
    assert to(relay.messages(), TK) == []


async def test_exhausted_retries_dead_letter(relay: RecipientFaultMailbox,
                                             make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, retry_max_attempts=3).start(broker=False)
    relay.recipient_faults[TK.casefold()] = (452, "4.2.2 Mailbox full")
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)
    dead = await eventually(lambda: notify.state_is(request.payload.notification_id, State.DEAD_LETTERED))
    assert dead.attempts == 3 and "exhausted" in dead.last_error
    (alert,) = to(await relay.wait_for(1, timeout=10), OPS)
    assert request.payload.reference in str(alert["Subject"])
    (event,) = await notify.outbox("NotificationDeadLettered")
    assert event["attempts"] == 3 and event["smtp_code"] == 452


async def test_a_destination_without_a_mailbox_is_dead_lettered_and_ops_alerted(
        relay: RecipientFaultMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = await make_notify(smtp_port=relay.smtp_port, mailbox_ooh=None).start(broker=False)
    request = wrap(notification(Destination.OOH_ESCALATION, acute=True))
    await notify.deliver_directly(request)
    dead = await eventually(lambda: notify.state_is(request.payload.notification_id, State.DEAD_LETTERED))
    assert dead.recipient is None and "no mailbox configured for OOH_ESCALATION" in dead.last_error
    (alert,) = await relay.wait_for(1, timeout=10)
    assert alert["To"] == OPS and "Vagt uden for åbningstid" in alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_server_down_for_a_while_then_back_delivers_once(
        tmp_path: Path, make_notify: Callable[..., NotifyUnderTest]) -> None:
    await _outage(tmp_path, make_notify, seconds=4.0)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("INFOHUS_LONG_TESTS") != "1", reason="30 s outage: set INFOHUS_LONG_TESTS=1")
async def test_server_down_for_30_seconds_then_back_delivers_once(
        tmp_path: Path, make_notify: Callable[..., NotifyUnderTest]) -> None:
    await _outage(tmp_path, make_notify, seconds=30.0, retry_max_backoff_s=4.0)


async def _outage(tmp_path: Path, make_notify: Callable[..., NotifyUnderTest], *, seconds: float,
                  **overrides: Any) -> None:
    folder = tmp_path / "mail"
    box = LocalMailbox(folder)
    await box.start()
    port = box.smtp_port
    await box.stop()  # the server is down from the start
    notify = await make_notify(smtp_port=port, retry_max_attempts=200, **overrides).start()
    request = wrap(notification(Destination.UNDERRETNING))
    await notify.publish(request)
    failing = await eventually(lambda: _attempts(notify, request.payload.notification_id, 2))
    assert "CONNECT" in failing.last_error
    await asyncio.sleep(seconds)

    back = LocalMailbox(folder, smtp_port=port)
    await back.start()
    try:
        sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT), within=30)
        await eventually(notify.settled)
        (mail,) = back.messages()
        assert mail["To"] == UND and mail["Message-ID"] == sent.message_id
        assert sent.attempts > 2
    finally:
        await back.stop()


async def _attempts(notify: NotifyUnderTest, notification_id: Any, at_least: int) -> Any:
    found = await notify.delivery(notification_id)
    return found if found and found.attempts >= at_least and found.last_error else None


async def _statuses(notify: NotifyUnderTest, status: str) -> list[dict[str, Any]]:
    return [s for s in await notify.outbox("DeliveryStatusChanged") if s["status"] == status]


async def _count(rows: Any, n: int) -> bool:
    return len(await rows) >= n
