"""What a failed or interrupted attempt leads to: a retry or giving up by the retry policy, or, when the
relay may have the mail (the attempt reached DATA), the ``AcceptanceCheck``'s answer and else the
``uncertain_policy`` (see :mod:`services.notify.service_layer.worker`)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import uuid4

from services.notify.adapters.acceptance import AcceptanceCheck
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.delivery import GiveUp, Origin, Phase, RetryPolicy, SendFailure, Stage
from services.notify.service_layer.attempt_records import AttemptRecords
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(self, *, uow: Callable[[], NotifyUnitOfWork], records: AttemptRecords, settings: NotifySettings,
                 acceptance: AcceptanceCheck, now: Callable[[], datetime],
                 rand: Callable[[], float] = random.random) -> None:
        self._uow = uow
        self._records = records
        self._settings = settings
        self._acceptance = acceptance
        self._now = now
        self._rand = rand
        self._policy = RetryPolicy(settings.retry_max_attempts, settings.retry_initial_backoff_s,
                                   settings.retry_max_backoff_s)
        self._lease = timedelta(seconds=settings.delivery_lease_s)

    async def recover_interrupted(self, now: datetime) -> None:
        """Take over the attempts whose lease ran out (their process died) and settle each."""
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
                await self.after_failure(owned, SendFailure(Stage.INTERNAL, note="afbrudt før DATA"))

    async def after_failure(self, delivery: Delivery, failure: SendFailure) -> None:
        if failure.ambiguous:
            await self._resolve_uncertain(delivery, failure.describe())
            return
        log.warning("notification %s attempt %d failed: %s", delivery.notification_id, delivery.attempts,
                    failure.describe())
        decision = self._policy.after_failure(failure, attempts=delivery.attempts, now=self._now(), rand=self._rand,
                                              retry_permanent=delivery.origin == Origin.ALERT)
        if isinstance(decision, GiveUp):
            await self._records.give_up(delivery, decision, code=failure.code)
            return
        await self._records.retry(delivery, at=decision.at, error=failure.describe())

    async def _resolve_uncertain(self, delivery: Delivery, why: str) -> None:
        """The attempt may have delivered the mail. Ask; if nobody can tell, follow the policy."""
        accepted = (await self._acceptance.was_accepted(message_id=delivery.message_id, recipient=delivery.recipient)
                    if delivery.recipient else False)
        if accepted:
            log.warning("notification %s: interrupted attempt had been accepted; recorded as sent",
                        delivery.notification_id)
            await self._records.confirm_sent(delivery, "250 (found at the relay after an interrupted attempt)",
                                             detail="afstemt: serveren havde modtaget mailen")
            return
        if delivery.attempts >= self._settings.retry_max_attempts:
            await self._records.give_up(
                delivery, GiveUp(f"retries exhausted after {delivery.attempts} attempts: {why}"), code=None)
            return
        now = self._now()
        if accepted is False:
            await self._records.retry(delivery, at=now, error=f"{why}; serveren havde ikke mailen")
        elif self._settings.uncertain_policy == "resend":
            log.warning("notification %s: interrupted after DATA, unknown outcome; resending with the same "
                        "Message-ID", delivery.notification_id)
            await self._records.retry(delivery, at=now, error=f"{why}; sendes igen", possible_duplicate=True,
                                      alert=f"{why}. Sendt igen med samme Message-ID ({delivery.message_id}); "
                                            "modtageren kan have fået mailen to gange.")
        else:
            await self._records.hold(delivery, why)
