"""The bookkeeping of a delivery attempt: each step and outcome committed with its outbox events, for the
attempt that still owns the delivery (its claim token), retried while the database is unreachable.

Concurrent attempts share the transactions that enter the DATA phase and that record a mail as sent
(group commit, see :mod:`infohus.kit.grouping`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple, TypeVar
from uuid import UUID

from opentelemetry import context as otel_context

from contracts.events import DeliveryStatus
from infohus.kit.db import is_dependency_unavailable
from infohus.kit.grouping import Grouped
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import AlertKind
from services.notify.domain.delivery import GiveUp, State
from services.notify.service_layer.recording import dead_letter, queue_alert, sent_event, status_event
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Confirmation(NamedTuple):
    """A mail the relay accepted, to be recorded as sent (its events in its own attempt's trace)."""

    delivery: Delivery
    reply: str
    detail: str
    trace: otel_context.Context


class LeaseLost(Exception):
    """Another worker owns the attempt now (our lease ran out); stop before DATA."""


class AttemptRecords:
    def __init__(self, *, uow: Callable[[], NotifyUnitOfWork], settings: NotifySettings,
                 now: Callable[[], datetime], wake: Callable[[], None]) -> None:
        self._uow = uow
        self._settings = settings
        self._now = now
        self._wake = wake
        self._data_phase: Grouped[tuple[UUID, str], bool] = Grouped(
            self._enter_data_together, max_group=settings.worker_concurrency)
        self._confirmations: Grouped[_Confirmation, bool] = Grouped(
            self._confirm_together, max_group=settings.worker_concurrency)

    async def aclose(self) -> None:
        await self._data_phase.aclose()
        await self._confirmations.aclose()

    async def enter_data(self, delivery: Delivery, token: str) -> None:
        if not await self._data_phase((delivery.notification_id, token)):
            raise LeaseLost

    async def _enter_data_together(self, attempts: Sequence[tuple[UUID, str]]) -> list[bool]:
        async with self._uow() as tx:
            owned = [await tx.deliveries.enter_data(notification_id, token) for notification_id, token in attempts]
            await tx.commit()
        return owned

    async def confirm_sent(self, delivery: Delivery, reply: str, *, detail: str | None = None) -> None:
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

    async def retry(self, delivery: Delivery, *, at: datetime, error: str, possible_duplicate: bool = False,
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
            self._wake()

        await self._with_database(schedule)

    async def give_up(self, delivery: Delivery, decision: GiveUp, *, code: int | None) -> None:
        async def give_up() -> None:
            async with self._uow() as tx:
                if await dead_letter(tx, delivery, token=delivery.claim_token, reason=decision.reason, code=code,
                                     settings=self._settings, now=self._now()):
                    await tx.commit()
            self._wake()

        await self._with_database(give_up)

    async def hold(self, delivery: Delivery, why: str) -> None:
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
            self._wake()

        await self._with_database(hold)

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
