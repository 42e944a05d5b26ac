"""Notify dies between the relay accepting a mail and recording it: still one mail.

The real case runs ``infohus serve notify`` as a process and SIGKILLs it from inside the SMTP server,
right after the server stored the mail and before its 250 reached notify. A fresh notify on the same
database then finds the attempt interrupted in the DATA phase and reconciles it.

Against a relay nobody can ask (production), the policy decides; the in-process variants below show
exactly what each policy yields.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.events import Destination
from devtools.devstack.mailbox import LocalMailbox
from devtools.devstack.ports import free_port
from services.notify.adapters.acceptance import UnknownAcceptance
from services.notify.adapters.mailer import BeforeData, SmtpMailer
from services.notify.domain.delivery import Phase, State
from services.notify.domain.mail import Mail
from tests.notify.conftest import (
    OPS,
    TK,
    KillingMailbox,
    NotifyUnderTest,
    create_topics,
    notification,
    to,
    wrap,
)
from tests.waiting import eventually


class ProcessDied(BaseException):
    """Stands in for the process ending: escapes every ``except Exception``; nothing after it runs."""


class DiesAfterTheRelayAccepted:
    """The real SMTP mailer, then the process 'dies' before notify can record the 250 (first attempt only)."""

    def __init__(self, inner: SmtpMailer, *, before_data: bool = False) -> None:
        self._inner = inner
        self._before_data = before_data
        self.deaths = 0

    async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
        if self.deaths:
            return await self._inner.send(mail, before_data=before_data)
        self.deaths += 1
        if self._before_data:
            async def die() -> None:
                raise ProcessDied
            return await self._inner.send(mail, before_data=die)
        await self._inner.send(mail, before_data=before_data)
        raise ProcessDied


@pytest.fixture
async def killing_mailbox(tmp_path: Path) -> AsyncIterator[KillingMailbox]:
    box = KillingMailbox(tmp_path / "mail")
    await box.start()
    yield box
    await box.stop()


async def test_killed_after_the_relay_accepted_then_restarted_sends_exactly_one_mail(
        tmp_path: Path, killing_mailbox: KillingMailbox, make_notify: Callable[..., NotifyUnderTest],
        postgres_url: str, unique: str) -> None:
    database = {"database_url": postgres_url, "db_schema": f"{unique}_notify"}  # the production backend
    overrides = {"acceptance_folder": killing_mailbox.folder, "delivery_lease_s": 3.0, "smtp_send_deadline_s": 2.0}
    restarted = make_notify(smtp_port=killing_mailbox.smtp_port, database=database, **overrides)
    await create_topics(restarted.kafka)
    port = free_port()
    process = await _serve_notify(restarted, http_port=port, log=tmp_path / "notify-1.log")
    try:
        await _ready(port, process)
        killing_mailbox.victim = process.pid
        request = wrap(notification(Destination.INFOHUS_TK, reference="IH-2026-009999"))
        await restarted.publish(request)
        assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    # The relay has the mail; notify's record says the attempt was in DATA and never finished.
    assert len(killing_mailbox.files()) == 1
    # A new notify on the same database and relay. Its worker alone reconciles; the consumer's side
    # (a redelivered request is skipped by the inbox) is covered in test_delivery.
    await restarted.start(broker=False)
    sent = await eventually(lambda: restarted.state_is(request.payload.notification_id, State.SENT), within=30)
    await eventually(restarted.settled)  # nothing left that could send a second mail
    (mail,) = killing_mailbox.messages()
    assert mail["To"] == TK and mail["Message-ID"] == sent.message_id
    assert sent.attempts == 1  # reconciled, not sent again
    (confirmation,) = await restarted.outbox("NotificationSent")
    assert confirmation["notification_id"] == str(request.payload.notification_id)
    (status,) = [s for s in await restarted.outbox("DeliveryStatusChanged") if s["status"] == "SENT"]
    assert "afstemt" in status["detail"]


async def test_production_policy_resend_gives_at_least_once_with_the_same_message_id_and_an_alert(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    """With no way to ask the relay, 'resend' may duplicate; the copy is recognisable and ops are told."""
    notify = make_notify(smtp_port=mailbox.smtp_port, acceptance=UnknownAcceptance(), uncertain_policy="resend",
                         delivery_lease_s=1.0, smtp_send_deadline_s=0.8)
    notify.container.worker._mailer = DiesAfterTheRelayAccepted(SmtpMailer(notify.settings))
    await notify.start(broker=False)
    request = wrap(notification(Destination.INFOHUS_TK, reference="IH-2026-000042"))
    await notify.deliver_directly(request)

    await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT), within=20)
    mails = await mailbox.wait_for(3, timeout=10)
    first, second = to(mails, TK)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Infohus-Possible-Duplicate"] is None and second["X-Infohus-Possible-Duplicate"] == "yes"
    (alert,) = to(mails, OPS)
    assert "muligvis sendt to gange" in str(alert["Subject"]) and "IH-2026-000042" in str(alert["Subject"])


async def test_policy_hold_gives_at_most_once_and_an_alert(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    notify = make_notify(smtp_port=mailbox.smtp_port, acceptance=UnknownAcceptance(), uncertain_policy="hold",
                         delivery_lease_s=1.0, smtp_send_deadline_s=0.8)
    notify.container.worker._mailer = DiesAfterTheRelayAccepted(SmtpMailer(notify.settings))
    await notify.start(broker=False)
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)

    held = await eventually(lambda: notify.state_is(request.payload.notification_id, State.UNCERTAIN), within=20)
    mails = await mailbox.wait_for(2, timeout=10)
    assert len(to(mails, TK)) == 1 and len(to(mails, OPS)) == 1
    assert "Ikke sendt igen" in to(mails, OPS)[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert held.attempts == 1
    assert [s["status"] for s in await notify.outbox("DeliveryStatusChanged")
            if s["notification_id"] == str(request.payload.notification_id)] == ["QUEUED", "UNCERTAIN"]


async def test_died_before_data_is_simply_sent_again_without_alarm(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    """Before DATA nothing can have been delivered, so even the production policy sends once, no alert."""
    notify = make_notify(smtp_port=mailbox.smtp_port, acceptance=UnknownAcceptance(), uncertain_policy="resend",
                         delivery_lease_s=1.0, smtp_send_deadline_s=0.8)
    mailer = DiesAfterTheRelayAccepted(SmtpMailer(notify.settings), before_data=True)
    notify.container.worker._mailer = mailer
    await notify.start(broker=False)
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)

    interrupted = await eventually(lambda: _phase(notify, request.payload.notification_id, Phase.SESSION))
    assert interrupted.state == State.SENDING and mailbox.files() == []
    sent = await eventually(lambda: notify.state_is(request.payload.notification_id, State.SENT), within=20)
    await eventually(notify.settled)
    assert len(mailbox.files()) == 1 and sent.attempts == 2 and not sent.possible_duplicate
    assert mailer.deaths == 1


async def _phase(notify: NotifyUnderTest, notification_id: Any, phase: Phase) -> Any:
    found = await notify.delivery(notification_id)
    return found if found and found.smtp_phase == phase else None


async def _serve_notify(notify: NotifyUnderTest, *, http_port: int, log: Path) -> asyncio.subprocess.Process:
    s, k = notify.settings, notify.kafka
    env = {**os.environ, "INFOHUS_ENVIRONMENT": "test", "INFOHUS_OTEL_EXPORTER": "none",
           "INFOHUS_KAFKA_BOOTSTRAP_SERVERS": notify.bootstrap_servers, "INFOHUS_KAFKA_TOPIC_PREFIX": k.topic_prefix,
           "INFOHUS_KAFKA_ENABLE_IDEMPOTENCE": "false", "INFOHUS_KAFKA_SESSION_TIMEOUT_MS": "3000",
           "INFOHUS_KAFKA_HEARTBEAT_INTERVAL_MS": "1000", "INFOHUS_KAFKA_FETCH_MAX_WAIT_MS": "50",
           "INFOHUS_NOTIFY_DATABASE_URL": s.database_url, "INFOHUS_NOTIFY_HTTP_PORT": str(http_port),
           "INFOHUS_NOTIFY_SMTP_HOST": s.smtp_host, "INFOHUS_NOTIFY_SMTP_PORT": str(s.smtp_port),
           "INFOHUS_NOTIFY_SMTP_STARTTLS": "off", "INFOHUS_NOTIFY_MAILBOX_OPS": OPS,
           "INFOHUS_NOTIFY_DELIVERY_LEASE_S": str(s.delivery_lease_s),
           "INFOHUS_NOTIFY_SMTP_SEND_DEADLINE_S": str(s.smtp_send_deadline_s),
           "INFOHUS_NOTIFY_WORKER_POLL_INTERVAL_S": "0.05",
           "INFOHUS_NOTIFY_ACCEPTANCE_FOLDER": str(s.acceptance_folder)}
    if s.db_schema:
        env["INFOHUS_NOTIFY_DB_SCHEMA"] = s.db_schema
    handle = log.open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; from infohus.cli import main; sys.exit(main(['serve', 'notify']))",
            env=env, stdout=handle, stderr=asyncio.subprocess.STDOUT)
    finally:
        handle.close()


async def _ready(port: int, process: asyncio.subprocess.Process) -> None:
    async def ready() -> bool:
        if process.returncode is not None:
            raise AssertionError(f"notify exited with {process.returncode}")
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(ready, within=60, interval=0.2)


async def test_stopping_before_data_frees_the_attempt_at_once(
        mailbox: LocalMailbox, make_notify: Callable[..., NotifyUnderTest]) -> None:
    """A deploy that stops notify mid-connect leaves no attempt waiting for its lease to run out."""
    connecting = asyncio.Event()

    class SlowRelay:
        async def send(self, mail: Mail, *, before_data: BeforeData | None = None) -> str:
            connecting.set()
            await asyncio.sleep(3600)  # e.g. a relay that accepts the connection and then stalls
            raise AssertionError("unreachable")

    notify = await make_notify(smtp_port=mailbox.smtp_port, mailer=SlowRelay(), delivery_lease_s=300.0,
                               smtp_send_deadline_s=200.0).start(broker=False)
    request = wrap(notification(Destination.INFOHUS_TK))
    await notify.deliver_directly(request)
    await asyncio.wait_for(connecting.wait(), 10)
    await notify.stop()

    released = await notify.delivery(request.payload.notification_id)
    assert released is not None and released.state == State.PENDING and released.claim_token is None
    assert "notify stoppede" in (released.last_error or "")
