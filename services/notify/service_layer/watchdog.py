"""The delivery watchdog: every notification routing asked for is delivered, or a person hears of it.

Each round:

1. **Overdue**: a delivery still PENDING or SENDING ``watchdog_deliver_within_s`` after it was recorded
   gets one OVERDUE status event and one ops alert, and is driven again at once (its backoff skipped).
2. **Missing**: when routing's expected-notifications endpoint is configured, every request routing made
   more than ``watchdog_missing_after_s`` ago that notify has no delivery for (the broker lost it) is
   recorded as if it had arrived, and ops get one alert about it. The first round after a start looks back
   ``watchdog_lookback_s``; each later round only at what was requested since the window the last complete
   round checked, overlapping it by ``watchdog_missing_after_s`` so that a request routing committed late
   is still seen. A round's cost and memory thus follow the requests of one interval, not of the whole
   lookback, and it holds one page of them at a time.

A request notify never saw is invisible from notify's own tables; routing's record of what it asked
for is the source of truth for part 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.events import DeliveryStatus
from services.notify.adapters.expected import ExpectedNotification, ExpectedNotifications
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import AlertKind
from services.notify.domain.delivery import Origin
from services.notify.service_layer.recording import queue_alert, record, request_delivery, status_event
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchdogRound:
    overdue: int
    missing: int


class Watchdog:
    def __init__(self, *, uow: Callable[[], NotifyUnitOfWork], settings: NotifySettings, now: Callable[[], datetime],
                 wake: Callable[[], None], expected: ExpectedNotifications | None) -> None:
        self._uow = uow
        self._settings = settings
        self._now = now
        self._wake = wake
        self._expected = expected
        self._checked_until: datetime | None = None  # end of the last window a round checked completely

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._settings.watchdog_interval_s)
            try:
                await self.run_once()
            except Exception as error:
                log.warning("delivery watchdog round failed (%s)", type(error).__name__)

    async def run_once(self) -> WatchdogRound:
        now = self._now()
        result = WatchdogRound(overdue=await self._overdue(now), missing=await self._missing(now))
        if result.overdue or result.missing:
            self._wake()
        return result

    async def _overdue(self, now: datetime) -> int:
        limit = timedelta(seconds=self._settings.watchdog_deliver_within_s)
        async with self._uow() as tx:
            late = await tx.deliveries.overdue(now - limit, limit=500)
        count = 0
        for delivery in late:
            async with self._uow() as tx:
                if not await tx.deliveries.mark_overdue(delivery.notification_id, now=now):
                    continue
                age = int((now - delivery.created_at).total_seconds() // 60)
                detail = (f"Ikke leveret efter {age} min ({delivery.attempts} forsøg; seneste fejl: "
                          f"{delivery.last_error or 'ingen'}). Notify forsøger igen nu.")
                await tx.outbox.add(status_event(delivery, DeliveryStatus.OVERDUE, now=now, detail=detail))
                await queue_alert(tx, AlertKind.OVERDUE, about=delivery, detail=detail, settings=self._settings,
                                  now=now)
                await tx.commit()
            count += 1
            log.error("notification %s (%s, %s) is overdue: %d attempts, last error %s", delivery.notification_id,
                      delivery.reference, delivery.destination, delivery.attempts, delivery.last_error)
        return count

    def _missing_window(self, now: datetime) -> tuple[datetime, datetime]:
        """The requests this round checks: [start, end)."""
        s = self._settings
        settle = timedelta(seconds=s.watchdog_missing_after_s)
        start = now - timedelta(seconds=s.watchdog_lookback_s)
        if self._checked_until is not None:
            start = max(start, self._checked_until - settle)
        return start, now - settle

    async def _missing(self, now: datetime) -> int:
        if self._expected is None:
            return 0
        start, end = self._missing_window(now)
        count = 0
        async with contextlib.aclosing(self._expected.pages_between(start, end)) as pages:
            async for page in pages:
                count += await self._record_missing(page, now)
        self._checked_until = end  # only after the whole window: a failed round is looked at again
        return count

    async def _record_missing(self, page: list[ExpectedNotification], now: datetime) -> int:
        s = self._settings
        async with self._uow() as tx:
            known = await tx.deliveries.existing_ids(e.notification.notification_id for e in page)
        count = 0
        for item in page:
            n = item.notification
            if n.notification_id in known:
                continue
            async with self._uow() as tx:
                delivery = await record(tx, request_delivery(n, s, origin=Origin.WATCHDOG), settings=s, now=now)
                if delivery is None:
                    # The consumer stored it meanwhile (catching up on a backlog races the watchdog through
                    # it): it arrived after all; the rest of the round goes on.
                    continue
                await queue_alert(tx, AlertKind.MISSING, about=delivery, settings=s, now=now,
                                  detail=f"Bestilt af routing {item.requested_at.isoformat()}, aldrig "
                                         "modtaget af notify. Sendt nu af vagthunden.")
                await tx.commit()
            count += 1
            log.error("notification %s (%s, %s) was requested by routing but never reached notify; sending it now",
                      n.notification_id, n.reference, n.destination.value)
        return count
