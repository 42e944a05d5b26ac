"""Deadline events: the periodic scan of running clocks, and the catch-up when a clock stops late.

Each (clock, kind) is emitted once: its ``deadline_events`` row and its outbox row commit together,
and the row's primary key refuses a second emission (two scanners racing lose one transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from contracts.envelope import Envelope
from contracts.events import DeadlineKind, DeadlineReached, Priority
from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from rules.vocabulary import TimeContext
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.classification import Classification, current
from services.routing.domain.clocks import Clock

log = logging.getLogger(__name__)
PRODUCER = "routing"


async def emit_owed(uow: RoutingUnitOfWork, clock: Clock, now: datetime,
                    config: MunicipalityConfig) -> list[DeadlineKind]:
    """Add the deadline events ``clock`` owes at ``now`` to the caller's transaction."""
    if not clock.owed(now, emitted=set()):  # nothing due yet (every new clock): what was emitted cannot matter
        return []
    emitted = (await uow.clocks.emitted_kinds([clock.clock_id]))[clock.clock_id]
    owed = clock.owed(now, emitted)
    if not owed:
        return []
    reference, classification = await _case_summary(uow, clock)
    out_of_hours = OfficeCalendar(config).time_context(now) is not TimeContext.OFFICE_OPEN
    for kind in owed:
        # due_at is the deadline itself, for the warning too ("75 % gone; due at ...").
        event = DeadlineReached(deadline_id=clock.clock_id, kind=kind, concern_id=clock.concern_id,
                                reference=reference, infohus_case_id=clock.infohus_case_id,
                                underretning_id=clock.underretning_id, due_at=clock.due_at, reached_at=now,
                                priority=classification.priority, out_of_hours=out_of_hours,
                                age_bands=list(classification.age_bands), flags=list(classification.flags))
        envelope = Envelope.wrap(event, producer=PRODUCER, correlation_id=clock.concern_id)
        await uow.clocks.record_emitted(clock.clock_id, kind, envelope.event_id, now)
        await uow.outbox.add(envelope)
    return owed


async def stop_clock(uow: RoutingUnitOfWork, clock_id: UUID, at: datetime, reason: str,
                     config: MunicipalityConfig) -> list[DeadlineKind]:
    """Stop a clock because its duty is done; a clock stopped after its due time still reports the breach."""
    clock = await uow.clocks.get(clock_id)
    if clock is None or not clock.running:
        return []
    clock.stop(at, reason)
    await uow.clocks.save(clock)
    return await emit_owed(uow, clock, at, config)


async def scan_deadlines(unit_of_work: Callable[[], RoutingUnitOfWork], *, now: datetime,
                         config: MunicipalityConfig) -> int:
    """Emit every deadline event due by ``now``; returns how many were emitted."""
    async with unit_of_work() as uow:
        due = await uow.clocks.running_due(now)
        emitted = await uow.clocks.emitted_kinds([clock.clock_id for clock in due])
    pending = [clock.clock_id for clock in due if clock.owed(now, emitted[clock.clock_id])]
    count = 0
    for clock_id in pending:
        try:
            async with unit_of_work() as uow:
                clock = await uow.clocks.get(clock_id)  # again, inside the transaction
                if clock is None or not clock.running:
                    continue
                count += len(await emit_owed(uow, clock, now, config))
                await uow.commit()
        except IntegrityError:
            log.info("deadline for clock %s was emitted concurrently", clock_id)
    return count


async def _case_summary(uow: RoutingUnitOfWork, clock: Clock) -> tuple[str, Classification]:
    """The reference and the classification as they stand now: the case's (corrections included), the
    decision's only for a clock without a case."""
    facts = await uow.facts.get(clock.concern_id)
    case = None if clock.infohus_case_id is None else await uow.cases.get(clock.infohus_case_id)
    if case is not None and facts is not None:
        return case.reference, current(case, facts)
    decision = await uow.decisions.get(clock.concern_id)
    reference = facts.reference if facts else "?"
    if decision is None:  # pragma: no cover - the decision is written with the clocks
        return reference, Classification(Priority.P1, (), (), clock.due_at)
    return reference, Classification.of_decision(decision)
