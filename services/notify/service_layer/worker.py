"""The delivery worker: sends what the deliveries table says is due, once per notification id.

One attempt::

    claim (commit: SENDING, SESSION phase, attempts+1, claim token, lease)
      → SMTP connect, STARTTLS, AUTH, MAIL, RCPT
      → commit "DATA begins" (phase DATA)        ← only from here can the relay have the mail
      → DATA; the relay answers 250
      → commit SENT + NotificationSent + DeliveryStatusChanged (outbox)

If the process dies, its lease runs out and any worker picks the row up again:

- phase SESSION: nothing was delivered, so the mail is simply sent again;
- phase DATA: the relay may have the mail. The ``AcceptanceCheck`` is asked; when it cannot tell
  (a production relay), ``uncertain_policy`` decides: ``resend`` with the same Message-ID and an
  ops alert (at least once), or ``hold`` as UNCERTAIN with an ops alert (at most once).

The same happens when the connection drops during DATA without a reply.

Here: the run loop, claiming and the attempt itself. Each step's transaction is in
:mod:`~services.notify.service_layer.attempt_records`; what a failed or interrupted attempt leads to,
in :mod:`~services.notify.service_layer.reconciliation`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from infohus.kit.aio import wait_for_wake
from infohus.kit.telemetry import current_trace_id
from services.notify.adapters.acceptance import AcceptanceCheck
from services.notify.adapters.dead_letters import DeadLetterPublisher
from services.notify.adapters.mailer import Mailer, render
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import MailContent, subject_line
from services.notify.domain.delivery import GiveUp, SendFailure, Stage
from services.notify.domain.mail import Mail
from services.notify.service_layer.attempt_records import AttemptRecords, LeaseLost
from services.notify.service_layer.reconciliation import Reconciler
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("infohus.notify.worker")


class DeliveryWorker:
    def __init__(self, *, uow: Callable[[], NotifyUnitOfWork], mailer: Mailer, settings: NotifySettings,
                 acceptance: AcceptanceCheck, dead_letters: DeadLetterPublisher | None,
                 now: Callable[[], datetime], rand: Callable[[], float] = random.random) -> None:
        self._uow = uow
        self._mailer = mailer
        self._settings = settings
        self._dead_letters = dead_letters
        self._now = now
        self._lease = timedelta(seconds=settings.delivery_lease_s)
        self._wake = asyncio.Event()
        self._records = AttemptRecords(uow=uow, settings=settings, now=now, wake=self.wake)
        self._reconciler = Reconciler(uow=uow, records=self._records, settings=settings, acceptance=acceptance,
                                      now=now, rand=rand)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        try:
            while True:
                try:
                    busy = await self.run_once()
                    failures = 0
                    delay = 0.0 if busy else self._settings.worker_poll_interval_s
                except Exception as error:  # the database is down: keep the rows, try again later
                    failures += 1
                    delay = min(self._settings.retry_max_backoff_s, 0.2 * 2 ** failures)
                    log.warning("delivery worker failed (%s); again in %.1fs", type(error).__name__, delay)
                if delay:
                    await self._sleep(delay)
        finally:
            await self._records.aclose()
            close = getattr(self._mailer, "aclose", None)  # kept SMTP connections
            if close is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await close()

    async def _sleep(self, seconds: float) -> None:
        await wait_for_wake(self._wake, seconds)

    async def run_once(self) -> bool:
        """Reconcile interrupted attempts, send what is due, publish dead letters. True if it claimed any.

        Up to ``worker_batch_size`` due deliveries are claimed in one transaction and sent over at most
        ``worker_concurrency`` SMTP sessions at once (the mailer keeps and reuses them)."""
        now = self._now()
        await self._reconciler.recover_interrupted(now)
        claimed = await self._claim_due(now)
        slots = asyncio.Semaphore(self._settings.worker_concurrency)
        results = await asyncio.gather(*(self._attempt_in_slot(d, slots) for d in claimed), return_exceptions=True)
        for delivery, result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):  # its lease runs out and the attempt is reconciled then
                log.warning("attempt for notification %s failed (%s)", delivery.notification_id,
                            type(result).__name__)
        await self._publish_dead_letters()
        return bool(claimed)

    # --- claiming ---------------------------------------------------------------------------------

    async def _claim_due(self, now: datetime) -> list[Delivery]:
        async with self._uow() as tx:
            claimed = await tx.deliveries.claim_due(now=now, limit=self._settings.worker_batch_size,
                                                    token=str(uuid4()), lease_until=now + self._lease)
            await tx.commit()
        return claimed

    async def _attempt_in_slot(self, delivery: Delivery, slots: asyncio.Semaphore) -> None:
        started = False
        try:
            async with slots:
                started = True
                if await self._lease_kept(delivery):
                    await self._attempt(delivery)
        except asyncio.CancelledError:
            if not started:  # notify is stopping: a claimed delivery that never got a slot is free at once
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._unclaim(delivery))
            raise

    async def _lease_kept(self, delivery: Delivery) -> bool:
        """Before a send that waited for a slot: enough lease left for a whole session, or renew it."""
        now = self._now()
        if delivery.lease_until is None or delivery.lease_until - now >= timedelta(
                seconds=self._settings.smtp_send_deadline_s):
            return True
        assert delivery.claim_token is not None
        async with self._uow() as tx:
            if not await tx.deliveries.renew_lease(delivery.notification_id, delivery.claim_token,
                                                   lease_until=now + self._lease):
                log.warning("notification %s: lease lost while waiting to send", delivery.notification_id)
                return False
            await tx.commit()
        return True

    async def _unclaim(self, delivery: Delivery) -> None:
        assert delivery.claim_token is not None
        async with asyncio.timeout(2), self._uow() as tx:
            if await tx.deliveries.unclaim(delivery.notification_id, delivery.claim_token):
                await tx.commit()

    # --- one attempt --------------------------------------------------------------------------------

    async def _attempt(self, delivery: Delivery) -> None:
        token = delivery.claim_token
        assert token is not None
        if delivery.content is None or delivery.recipient is None:
            await self._records.give_up(delivery, GiveUp("no stored mail to send"), code=None)
            return
        content = MailContent.model_validate_json(delivery.content)
        parent = propagate.extract(json.loads(delivery.trace_context or "{}"))
        attached = otel_context.attach(parent)
        try:
            with tracer.start_as_current_span("notify deliver", attributes={"infohus.attempt": delivery.attempts}):
                mail = self._mail(delivery, content)
                data_started = False

                async def before_data() -> None:
                    nonlocal data_started
                    await self._records.enter_data(delivery, token)
                    data_started = True

                try:
                    async with asyncio.timeout(self._settings.smtp_send_deadline_s):
                        reply = await self._mailer.send(mail, before_data=before_data)
                except LeaseLost:
                    log.warning("notification %s: lease lost before DATA; not sent by this worker",
                                delivery.notification_id)
                    return
                except SendFailure as failure:
                    await self._reconciler.after_failure(delivery, failure)
                    return
                except TimeoutError:
                    await self._reconciler.after_failure(delivery, SendFailure(
                        Stage.DATA if data_started else Stage.TIMEOUT, ambiguous=data_started,
                        note="tidsgrænsen for afsendelse"))
                    return
                except asyncio.CancelledError:
                    if not data_started:  # shutting down before DATA: nothing was delivered, free it at once
                        with contextlib.suppress(Exception):
                            await asyncio.shield(self._release(delivery, token))
                    raise  # after DATA began the lease runs out and the attempt is reconciled
                await self._records.confirm_sent(delivery, reply)
        finally:
            otel_context.detach(attached)

    def _mail(self, delivery: Delivery, content: MailContent) -> Mail:
        assert delivery.recipient is not None
        text, html = render(content)
        headers = [("X-Infohus-Reference", delivery.reference),
                   ("X-Infohus-Notification-Id", str(delivery.notification_id))]
        if content.template != "receipt":  # a reporter is not told the priority, nor our trace ids
            headers += [("X-Infohus-Priority", content.priority), ("X-Infohus-Trace-Id", current_trace_id() or "")]
        if delivery.possible_duplicate:
            headers.append(("X-Infohus-Possible-Duplicate", "yes"))
        return Mail(recipient=delivery.recipient, sender=self._settings.mail_from, subject=subject_line(content),
                    message_id=delivery.message_id, text=text, html=html, headers=tuple(headers))

    async def _release(self, delivery: Delivery, token: str) -> None:
        async with asyncio.timeout(2), self._uow() as tx:
            if await tx.deliveries.schedule_retry(delivery.notification_id, token, at=self._now(),
                                                  error="afbrudt før DATA (notify stoppede)"):
                await tx.commit()

    # --- dead-letter topic --------------------------------------------------------------------------

    async def _publish_dead_letters(self) -> None:
        if self._dead_letters is None:
            return
        async with self._uow() as tx:
            pending = await tx.deliveries.dead_letters_to_publish(limit=50)
        for delivery in pending:
            if not await self._dead_letters.publish(delivery):
                return  # the broker is not up yet; next round
            async with self._uow() as tx:
                await tx.deliveries.mark_dlt_published(delivery.notification_id, self._now())
                await tx.commit()
