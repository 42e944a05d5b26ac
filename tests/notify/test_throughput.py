"""Faster delivery without weaker guarantees: kept SMTP connections (reused, reconnected when the relay
closed them, renewed after N mails), batches of claims, and claims freed when notify stops."""

from __future__ import annotations

import asyncio
import email
import json
from collections.abc import AsyncIterator, Callable
from email import policy
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from sqlalchemy import select

from contracts.events import Destination
from devtools.devstack.mailbox import LocalMailbox
from services.notify.adapters.mailer import BeforeData, SmtpMailer, message_bytes
from services.notify.adapters.orm import tables
from services.notify.domain.delivery import State
from services.notify.domain.mail import Mail
from tests.notify.conftest import TK, NotifyUnderTest, notification, to, wrap
from tests.statements import recorded_statements
from tests.waiting import eventually


class CountingMailbox(LocalMailbox):
    """A LocalMailbox that counts the SMTP connections it accepted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def _smtp_factory(self) -> Any:
        self.connections += 1
        return super()._smtp_factory()


class OneMailPerSessionMailbox(CountingMailbox):
    """Answers a second MAIL on a session with 421, as a relay closing a connection it considers idle."""

    def _smtp_factory(self) -> Any:
        session = super()._smtp_factory()
        mails = 0

        async def mail(server: Any, smtp_session: Any, envelope: Any, address: str, options: list[str]) -> str:
            nonlocal mails
            mails += 1
            if mails > 1:
                return "421 4.4.2 Forbindelsen lukkes"
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            return "250 OK"

        session._handle_hooks["MAIL"] = mail
        return session


@pytest.fixture
async def counting(tmp_path: Path) -> AsyncIterator[CountingMailbox]:
    box = CountingMailbox(tmp_path / "mail")
    await box.start()
    yield box
    await box.stop()


async def recorded(notify: NotifyUnderTest, count: int) -> list[Any]:
    """``count`` notifications recorded (the worker not yet running)."""
    await notify.container.runtime.migrate()
    requests = [wrap(notification(Destination.INFOHUS_TK)) for _ in range(count)]
    for request in requests:
        await notify.deliver_directly(request)
    return [r.payload.notification_id for r in requests]


async def all_sent(notify: NotifyUnderTest, ids: list[Any]) -> bool:
    for notification_id in ids:
        if await notify.state_is(notification_id, State.SENT) is None:
            return False
    return True


async def test_mails_share_kept_connections(counting: CountingMailbox,
                                            make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=counting.smtp_port, worker_concurrency=2)
    ids = await recorded(notify, 12)
    await notify.start(broker=False)
    await eventually(lambda: all_sent(notify, ids))
    assert len(counting.files()) == 12
    assert counting.connections <= 2  # one session per worker slot, not one per mail
    assert all(d.attempts == 1 for d in await notify.all_deliveries())


async def test_a_connection_is_renewed_after_its_mail_limit(counting: CountingMailbox,
                                                            make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=counting.smtp_port, worker_concurrency=1, smtp_max_messages_per_connection=3)
    ids = await recorded(notify, 7)
    await notify.start(broker=False)
    await eventually(lambda: all_sent(notify, ids))
    assert counting.connections == 3  # 3 + 3 + 1


async def test_without_reuse_each_mail_has_its_own_connection(
        counting: CountingMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=counting.smtp_port, worker_concurrency=1, smtp_reuse_connections=False)
    ids = await recorded(notify, 3)
    await notify.start(broker=False)
    await eventually(lambda: all_sent(notify, ids))
    assert counting.connections == 3


async def test_a_kept_connection_the_relay_closed_is_replaced_without_a_failed_attempt(
        tmp_path: Path, make_notify: Callable[..., NotifyUnderTest]) -> None:
    folder = tmp_path / "mail"
    box = LocalMailbox(folder)
    await box.start()
    port = box.smtp_port
    notify = await make_notify(smtp_port=port, worker_concurrency=1).start(broker=False)
    first = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(first)
    await eventually(lambda: notify.state_is(first.payload.notification_id, State.SENT))
    await box.stop()  # the relay restarts: the kept connection is dead
    again = LocalMailbox(folder, smtp_port=port)
    await again.start()
    try:
        second = wrap(notification(Destination.INFOHUS_TK))
        await notify.deliver_directly(second)
        sent = await eventually(lambda: notify.state_is(second.payload.notification_id, State.SENT))
        assert sent.attempts == 1 and sent.last_error is None  # reconnected within the attempt
        assert len(to(again.messages(), TK)) == 2
    finally:
        await again.stop()


async def test_a_relay_refusing_a_kept_connection_with_421_gets_a_new_one_within_the_attempt(
        tmp_path: Path, make_notify: Callable[..., NotifyUnderTest]) -> None:
    box = OneMailPerSessionMailbox(tmp_path / "mail")
    await box.start()
    try:
        notify = make_notify(smtp_port=box.smtp_port, worker_concurrency=1)
        ids = await recorded(notify, 3)
        await notify.start(broker=False)
        await eventually(lambda: all_sent(notify, ids))
        assert box.connections == 3 and len(box.files()) == 3
        assert all(d.attempts == 1 and d.last_error is None for d in await notify.all_deliveries())
    finally:
        await box.stop()


async def test_many_due_are_claimed_in_one_batch(counting: CountingMailbox,
                                                 make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=counting.smtp_port, worker_concurrency=3, worker_batch_size=8)
    ids = await recorded(notify, 10)
    assert await notify.container.worker.run_once() is True  # one round: one batch of 8, sent by 3 slots
    states = [d.state for d in await notify.all_deliveries()]
    assert states.count(State.SENT) == 8 and states.count(State.PENDING) == 2
    assert await notify.container.worker.run_once() is True
    assert await all_sent(notify, ids)
    assert await notify.container.worker.run_once() is False
    assert len(counting.files()) == 10


async def test_stopping_frees_claimed_deliveries_that_never_started_without_counting_an_attempt(
        counting: CountingMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    connecting = asyncio.Event()

    class StallingRelay:
        async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
            connecting.set()
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    notify = make_notify(smtp_port=counting.smtp_port, mailer=StallingRelay(), worker_concurrency=1,
                         delivery_lease_s=300.0, smtp_send_deadline_s=200.0)
    ids = await recorded(notify, 3)
    await notify.start(broker=False)
    await asyncio.wait_for(connecting.wait(), 10)
    await notify.stop()

    deliveries = [await notify.delivery(i) for i in ids]
    assert all(d is not None and d.state == State.PENDING and d.claim_token is None for d in deliveries)
    assert sorted(d.attempts for d in deliveries if d) == [0, 0, 1]  # only the one that started counts


def test_the_message_is_readable_and_refuses_header_injection() -> None:
    mail = Mail(recipient=TK, sender="infohus-noreply@ishoj.dk", subject="[P1] Ny bekymringshenvendelse · IH-1",
                message_id="<n@ishoj.dk>", text="Aldersgruppe: Under 18 år\n", html="<p>Under 18 år</p>\n",
                headers=(("X-Infohus-Reference", "IH-1"),))
    raw = message_bytes(mail)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == mail.subject and parsed["To"] == TK and parsed["Message-ID"] == "<n@ishoj.dk>"
    for subtype, text in (("plain", mail.text), ("html", mail.html)):
        assert parsed.get_body((subtype,)).get_content().replace("\r\n", "\n") == text  # type: ignore[union-attr]
    assert all(line.isascii() for line in raw.decode("ascii").splitlines())  # 7-bit on the wire
    with pytest.raises(ValueError, match="X-Infohus-Reference"):
        message_bytes(Mail(**{**mail.__dict__, "headers": (("X-Infohus-Reference", "IH-1\r\nBcc: x@example.org"),)}))


async def test_recording_a_request_writes_the_delivery_with_one_statement_and_reads_nothing(
        counting: CountingMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=counting.smtp_port)
    await notify.container.runtime.migrate()
    request = wrap(notification(Destination.INFOHUS_TK))
    with (recorded_statements(notify.container.runtime.engine, "SELECT deliveries") as reads,
          recorded_statements(notify.container.runtime.engine, "INSERT INTO deliveries") as writes):
        await notify.deliver_directly(request)
    assert (len(reads), len(writes)) == (0, 1)  # INSERT unless it exists, the row returned as stored

    stored = await notify.delivery(request.payload.notification_id)
    assert stored is not None and stored.state == State.PENDING and stored.redrive_count == 0
    [queued] = await notify.outbox("DeliveryStatusChanged")
    assert (queued["notification_id"], queued["status"]) == (str(request.payload.notification_id), "QUEUED")

    again = wrap(request.payload)  # the same notification under a new event id: nothing new is written
    with recorded_statements(notify.container.runtime.engine, "INSERT INTO deliveries") as writes:
        await notify.deliver_directly(again)
    assert len(writes) == 1 and len(await notify.outbox("DeliveryStatusChanged")) == 1
    assert (await notify.delivery(request.payload.notification_id)) == stored


class ConfirmsTogether:
    """Lets the relay's answers to ``count`` mails through at the same moment, so their 'sent'
    bookkeeping is written as one group."""

    def __init__(self, inner: Any, count: int) -> None:
        self._inner, self._count, self._answered = inner, count, 0
        self._all_answered = asyncio.Event()

    async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
        reply: str = await self._inner.send(mail, before_data=before_data)
        self._answered += 1
        if self._answered == self._count:
            self._all_answered.set()
        await self._all_answered.wait()
        return reply

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_mails_confirmed_together_each_keep_their_own_trace(
        counting: CountingMailbox, make_notify: Callable[..., NotifyUnderTest], span_exporter: Any) -> None:
    notify = make_notify(smtp_port=counting.smtp_port, worker_concurrency=3)
    await notify.container.runtime.migrate()
    traced: dict[str, str] = {}
    for i in range(3):  # each request in a trace of its own, as three concerns would be
        with trace.get_tracer("test").start_as_current_span(f"concern {i}") as span:
            request = wrap(notification(Destination.INFOHUS_TK))
            await notify.deliver_directly(request)
        traced[str(request.payload.notification_id)] = format(span.get_span_context().trace_id, "032x")
    notify.container.worker._mailer = ConfirmsTogether(SmtpMailer(notify.settings), count=3)
    with recorded_statements(notify.container.runtime.engine, "INSERT INTO outbox") as writes:
        assert await notify.container.worker.run_once()
    assert len(writes) == 1  # one group: the three mails' events in one transaction
    async with notify.container.unit_of_work() as uow:
        rows = (await uow.session.execute(select(tables.outbox.c.payload, tables.outbox.c.headers)
                                          .where(tables.outbox.c.event_type == "NotificationSent"))).all()
    sent_in = {json.loads(p)["payload"]["notification_id"]: json.loads(h)["traceparent"].split("-")[1]
               for p, h in rows}
    assert sent_in == traced
