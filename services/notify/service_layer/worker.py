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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar
from uuid import UUID, uuid4

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from contracts.events import DeliveryStatus
from infohus.kit.aio import wait_for_wake
from infohus.kit.db import is_dependency_unavailable
from infohus.kit.grouping import Grouped
from infohus.kit.telemetry import current_trace_id
from services.notify.adapters.acceptance import AcceptanceCheck
from services.notify.adapters.dead_letters import DeadLetterPublisher
from services.notify.adapters.mailer import Mailer, render
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import AlertKind, MailContent, subject_line
from services.notify.domain.delivery import GiveUp, Origin, Phase, RetryPolicy, SendFailure, Stage, State
from services.notify.domain.mail import Mail
from services.notify.service_layer.recording import dead_letter, queue_alert, sent_event, status_event
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("infohus.notify.worker")
T = TypeVar("T")


class _Confirmation(NamedTuple):
    """A mail the relay accepted, to be recorded as sent (its events in its own attempt's trace)."""

    delivery: Delivery
    reply: str
    detail: str
    trace: otel_context.Context


class LeaseLost(Exception):
    """Another worker owns the attempt now (our lease ran out); stop before DATA."""


class DeliveryWorker:
    def __init__(self, *, uow: Callable[[], NotifyUnitOfWork], mailer: Mailer, settings: NotifySettings,
                 acceptance: AcceptanceCheck, dead_letters: DeadLetterPublisher | None,
                 now: Callable[[], datetime], rand: Callable[[], float] = random.random) -> None:
        self._uow = uow
        self._mailer = mailer
        self._settings = settings
        self._acceptance = acceptance
        self._dead_letters = dead_letters
        self._now = now
        self._rand = rand
        self._policy = RetryPolicy(settings.retry_max_attempts, settings.retry_initial_backoff_s,
                                   settings.retry_max_backoff_s)
        self._lease = timedelta(seconds=settings.delivery_lease_s)
        self._wake = asyncio.Event()
        # Concurrent attempts share their bookkeeping transactions (group commit).
        self._data_phase: Grouped[tuple[UUID, str], bool] = Grouped(
            self._enter_data_together, max_group=settings.worker_concurrency)
        self._confirmations: Grouped[_Confirmation, bool] = Grouped(
            self._confirm_together, max_group=settings.worker_concurrency)

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
            await self._data_phase.aclose()
            await self._confirmations.aclose()
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
        await self._recover_interrupted(now)
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

    async def _recover_interrupted(self, now: datetime) -> None:
        async with self._uow() as tx:
            stale = await tx.deliveries.interrupted(now, limit=self._settings.worker_concurrency)
        for delivery in stale:
            token = str(uuid4())
            async with self._uow() as tx:
                if not await tx.deliveries.take_over(delivery, token=token, lease_until=now + self._lease):
                    continue
                await tx.commit()
            owned = replace(delivery, claim_token=token)
            log.warning("notification %s: attempt %d was interrupted in phase %s", delivery.notification_id,
                        delivery.attempts, delivery.smtp_phase)
            if delivery.smtp_phase == Phase.DATA:
                await self._resolve_uncertain(owned, "afbrudt efter DATA (processen stoppede)")
            else:
                await self._after_failure(owned, SendFailure(Stage.INTERNAL, note="afbrudt før DATA"))

    # --- one attempt --------------------------------------------------------------------------------

    async def _attempt(self, delivery: Delivery) -> None:
        token = delivery.claim_token
        assert token is not None
        if delivery.content is None or delivery.recipient is None:
            await self._give_up(delivery, GiveUp("no stored mail to send"), code=None)
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
                    await self._enter_data(delivery, token)
                    data_started = True

                try:
                    async with asyncio.timeout(self._settings.smtp_send_deadline_s):
                        reply = await self._mailer.send(mail, before_data=before_data)
                except LeaseLost:
                    log.warning("notification %s: lease lost before DATA; not sent by this worker",
                                delivery.notification_id)
                    return
                except SendFailure as failure:
                    await self._after_failure(delivery, failure)
                    return
                except TimeoutError:
                    await self._after_failure(delivery, SendFailure(
                        Stage.DATA if data_started else Stage.TIMEOUT, ambiguous=data_started,
                        note="tidsgrænsen for afsendelse"))
                    return
                except asyncio.CancelledError:
                    if not data_started:  # shutting down before DATA: nothing was delivered, free it at once
                        with contextlib.suppress(Exception):
                            await asyncio.shield(self._release(delivery, token))
                    raise  # after DATA began the lease runs out and the attempt is reconciled
                await self._confirm_sent(delivery, reply)
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

    async def _enter_data(self, delivery: Delivery, token: str) -> None:
        if not await self._data_phase((delivery.notification_id, token)):
            raise LeaseLost

    async def _enter_data_together(self, attempts: Sequence[tuple[UUID, str]]) -> list[bool]:
        async with self._uow() as tx:
            owned = [await tx.deliveries.enter_data(notification_id, token) for notification_id, token in attempts]
            await tx.commit()
        return owned

    async def _release(self, delivery: Delivery, token: str) -> None:
        async with asyncio.timeout(2), self._uow() as tx:
            if await tx.deliveries.schedule_retry(delivery.notification_id, token, at=self._now(),
                                                  error="afbrudt før DATA (notify stoppede)"):
                await tx.commit()

    async def _confirm_sent(self, delivery: Delivery, reply: str, *, detail: str | None = None) -> None:
        """The relay has the mail: record it, retrying while the database is away (the mail is sent)."""
        confirmation = _Confirmation(delivery, reply, detail or reply[:200], otel_context.get_current())
        if not await self._confirmations(confirmation):
            log.warning("notification %s: sent, but another worker owns it now", delivery.notification_id)
            return
        log.info("notification %s (%s) sent on attempt %d", delivery.notification_id, delivery.reference,
                 delivery.attempts)

    async def _confirm_together(self, sent: Sequence[_Confirmation]) -> list[bool]:
        async def confirm() -> list[bool]:
            now = self._now()
            owned = []
            async with self._uow() as tx:
                for delivery, reply, detail, trace in sent:
                    assert delivery.claim_token is not None
                    recorded = await tx.deliveries.mark_sent(delivery.notification_id, delivery.claim_token, now=now,
                                                             reply=reply)
                    if recorded:
                        done = replace(delivery, state=State.SENT, sent_at=now)
                        attached = otel_context.attach(trace)  # the outbox rows carry the current trace
                        try:
                            await tx.outbox.add(sent_event(done, sent_at=now))
                            await tx.outbox.add(status_event(done, DeliveryStatus.SENT, now=now, detail=detail))
                        finally:
                            otel_context.detach(attached)
                    owned.append(recorded)
                await tx.commit()
            return owned

        return await self._with_database(confirm)

    async def _after_failure(self, delivery: Delivery, failure: SendFailure) -> None:
        if failure.ambiguous:
            await self._resolve_uncertain(delivery, failure.describe())
            return
        log.warning("notification %s attempt %d failed: %s", delivery.notification_id, delivery.attempts,
                    failure.describe())
        decision = self._policy.after_failure(failure, attempts=delivery.attempts, now=self._now(), rand=self._rand,
                                              retry_permanent=delivery.origin == Origin.ALERT)
        if isinstance(decision, GiveUp):
            await self._give_up(delivery, decision, code=failure.code)
            return
        await self._retry(delivery, at=decision.at, error=failure.describe())

    async def _retry(self, delivery: Delivery, *, at: datetime, error: str, possible_duplicate: bool = False,
                     alert: str | None = None) -> None:
        token = delivery.claim_token
        assert token is not None

        async def schedule() -> None:
            now = self._now()
            async with self._uow() as tx:
                if not await tx.deliveries.schedule_retry(delivery.notification_id, token, at=at, error=error,
                                                          possible_duplicate=possible_duplicate):
                    return
                await tx.outbox.add(status_event(delivery, DeliveryStatus.RETRYING, now=now, detail=error,
                                                 next_attempt_at=at))
                if alert is not None:
                    await queue_alert(tx, AlertKind.UNCERTAIN, about=delivery, detail=alert,
                                      settings=self._settings, now=now)
                await tx.commit()
            self.wake()

        await self._with_database(schedule)

    async def _give_up(self, delivery: Delivery, decision: GiveUp, *, code: int | None) -> None:
        async def give_up() -> None:
            async with self._uow() as tx:
                if await dead_letter(tx, delivery, token=delivery.claim_token, reason=decision.reason, code=code,
                                     settings=self._settings, now=self._now()):
                    await tx.commit()
            self.wake()

        await self._with_database(give_up)

    async def _resolve_uncertain(self, delivery: Delivery, why: str) -> None:
        """The attempt may have delivered the mail. Ask; if nobody can tell, follow the policy."""
        accepted = (await self._acceptance.was_accepted(message_id=delivery.message_id, recipient=delivery.recipient)
                    if delivery.recipient else False)
        if accepted:
            log.warning("notification %s: interrupted attempt had been accepted; recorded as sent",
                        delivery.notification_id)
            await self._confirm_sent(delivery, "250 (found at the relay after an interrupted attempt)",
                                     detail="afstemt: serveren havde modtaget mailen")
            return
        if delivery.attempts >= self._settings.retry_max_attempts:
            await self._give_up(delivery, GiveUp(f"retries exhausted after {delivery.attempts} attempts: {why}"),
                                code=None)
            return
        now = self._now()
        if accepted is False:
            await self._retry(delivery, at=now, error=f"{why}; serveren havde ikke mailen")
        elif self._settings.uncertain_policy == "resend":
            log.warning("notification %s: interrupted after DATA, unknown outcome; resending with the same "
                        "Message-ID", delivery.notification_id)
            await self._retry(delivery, at=now, error=f"{why}; sendes igen", possible_duplicate=True,
                              alert=f"{why}. Sendt igen med samme Message-ID ({delivery.message_id}); modtageren "
                                    "kan have fået mailen to gange.")
        else:
            await self._hold(delivery, why)

    async def _hold(self, delivery: Delivery, why: str) -> None:
        token = delivery.claim_token
        assert token is not None

        async def hold() -> None:
            now = self._now()
            async with self._uow() as tx:
                if not await tx.deliveries.mark_uncertain(delivery.notification_id, token, error=why):
                    return
                await tx.outbox.add(status_event(delivery, DeliveryStatus.UNCERTAIN, now=now, detail=why))
                await queue_alert(tx, AlertKind.UNCERTAIN, about=delivery, settings=self._settings, now=now,
                                  detail=f"{why}. Ikke sendt igen: kontroller hos modtageren, om mailen "
                                         f"({delivery.message_id}) er modtaget.")
                await tx.commit()
            self.wake()

        await self._with_database(hold)

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

    async def _with_database(self, action: Callable[[], Awaitable[T]]) -> T:
        """Retry a bookkeeping transaction while the database is unreachable, within the lease."""
        deadline = asyncio.get_running_loop().time() + self._settings.delivery_lease_s
        delay = 0.1
        while True:
            try:
                return await action()
            except Exception as error:
                if not is_dependency_unavailable(error) or asyncio.get_running_loop().time() + delay > deadline:
                    raise
                log.warning("notify database unavailable (%s); retrying in %.1fs", type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
