"""Reconciliation with routing: every accepted concern reaches routing, however the broker lost it.

Routing acknowledges each concern it holds and has decided with ``ConcernRouted`` (again whenever asked
again). Each round, intake looks at the concerns it recorded between ``reconcile_lookback_hours`` and
``reconcile_after_s`` ago that have no acknowledgement, and asks routing again for each: it puts a copy
of the concern's first ``ConcernSubmitted`` (from its outbox) under a new event id in the outbox, which the
relay sends. A concern asked about is asked about again only after another ``reconcile_after_s``, then
twice that, and so on (``MAX_DOUBLINGS``).

Routing decides a concern once (its facts are kept per concern) and answers any later copy with another
``ConcernRouted`` only. So this finds what the broker's topic check cannot: a concern lost without the whole
broker losing its data (a truncated partition, a topic deleted and created again), or a loss the topic check
missed; and after a whole-broker loss it is the end-to-end proof that each accepted concern arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.envelope import Envelope
from contracts.events import ConcernRouted
from infohus.kit.unit_of_work import SharedTransaction
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.settings import IntakeSettings

log = logging.getLogger(__name__)

MAX_DOUBLINGS = 6
"""The wait before the next copy doubles with each copy, up to 64 × ``reconcile_after_s``: a routing that is
down or working off a backlog is not flooded with copies of what it will get to anyway."""


@dataclass(frozen=True)
class ReconciliationRound:
    asked_again: int  # concerns routing had not acknowledged: asked again now
    missing_event: int  # ... of which intake no longer had the ConcernSubmitted to copy (logged)


class Reconciliation:
    def __init__(self, uow: Callable[[SharedTransaction | None], IntakeUnitOfWork], settings: IntakeSettings,
                 clock: Callable[[], datetime], wake_relay: Callable[[], None]) -> None:
        self._uow = uow
        self._settings = settings
        self._clock = clock
        self._wake_relay = wake_relay

    async def acknowledge(self, envelope: Envelope[ConcernRouted], batch: SharedTransaction | None = None) -> None:
        async with self._uow(batch) as uow:
            if not await uow.inbox.claim(envelope.event_id):
                return
            await uow.reconciliation.acknowledge(envelope.payload.concern_id, envelope.payload.routed_at)
            await uow.commit()

    async def run_once(self) -> ReconciliationRound:
        """One round: ask again about every unacknowledged concern in the window, a page at a time."""
        s = self._settings
        now = self._clock()
        after = timedelta(seconds=s.reconcile_after_s)
        asked = missing = 0
        while True:
            async with self._uow(None) as uow:
                page = await uow.reconciliation.unacknowledged(
                    recorded_from=now - timedelta(hours=s.reconcile_lookback_hours), recorded_until=now - after,
                    now=now, limit=s.reconcile_page_size)
                if not page:
                    break
                events = await uow.reconciliation.submitted_events(list(page))
                await uow.reconciliation.ask_again([
                    Envelope.wrap(original.payload, producer="intake", correlation_id=original.correlation_id,
                                  causation_id=original.event_id) for original in events])
                await uow.reconciliation.mark_asked_again(
                    {concern_id: now + after * 2 ** min(times, MAX_DOUBLINGS) for concern_id, times in page.items()},
                    now)
                await uow.commit()
            asked += len(events)
            missing += len(page) - len(events)
        if asked:
            self._wake_relay()
            log.warning("intake: %d accepted concerns were not acknowledged by routing; asked again", asked)
        if missing:
            log.error("intake: %d unacknowledged concerns have no ConcernSubmitted left in the outbox", missing)
        return ReconciliationRound(asked_again=asked, missing_event=missing)
