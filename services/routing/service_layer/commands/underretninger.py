"""StraXen's commands on an underretning: the 24-hour assessment (barnets lov § 136, stk. 2), the receipt to
the reporter (§ 138, stk. 1) and the orientation of a professional reporter (§ 138, stk. 2)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contracts.events import Priority
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.casework import Underretning
from services.routing.domain.clocks import ClockKind, clock_id
from services.routing.domain.errors import InvalidCommand
from services.routing.domain.facts import ConcernFacts
from services.routing.domain.receipt import ReceiptOutcome, checked_sent_at, request_mail
from services.routing.domain.tasks import OrientationOutcome, Task, TaskKind
from services.routing.service_layer.commands.results import AssessmentResult, OrientationResult, ReceiptResult
from services.routing.service_layer.commands.shared import facts_of, needed, task_of
from services.routing.service_layer.common import publish, save_underretning, underretning_for
from services.routing.service_layer.deadlines import stop_clock
from services.routing.service_layer.handlers import RoutingDeps
from services.routing.service_layer.read_side.views import task_view


async def assess_underretning(uow: RoutingUnitOfWork, underretning_id: UUID, actor: Actor, *,
                              acute_measures_needed: bool, now: datetime, deps: RoutingDeps,
                              note: str | None = None) -> AssessmentResult:
    async with uow:
        u = await underretning_for(uow, underretning_id, actor)
        u.assess(actor, now, acute_measures_needed=acute_measures_needed, note=note)
        await save_underretning(uow, u, reference=(await facts_of(uow, u.concern_id)).reference, at=now)
        reported = await stop_clock(uow, clock_id(underretning_id, ClockKind.ASSESSMENT), now, "ASSESSED", deps.config)
        await uow.commit()
    return AssessmentResult(state=u.state, assessed_at=u.assessed_at, late=u.assessment_late,
                            deadline_events=[k.value for k in reported])


async def confirm_receipt(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor, *, sent_at: datetime | None,
                          now: datetime, deps: RoutingDeps, method: str | None = None,
                          send_to: str | None = None) -> ReceiptResult:
    """§ 138, stk. 1: the receipt went to the reporter another way (``method`` at ``sent_at``), or Infohus mails
    it to the reporter's work address (``send_to``; the task completes when notify reports it sent)."""
    if (send_to is None) == (method is None) or (method is not None and sent_at is None):
        raise InvalidCommand("Angiv enten send_to eller method med sent_at / give send_to, or method with sent_at")
    async with uow:
        task = await task_of(uow, task_id, TaskKind.RECEIPT_CONFIRMATION, actor)
        u = await underretning_for(uow, needed(task.underretning_id), actor)
        facts = await facts_of(uow, u.concern_id)
        if send_to is not None:
            await _request_receipt_mail(uow, task, u, facts, actor, send_to=send_to, now=now)
            await uow.commit()
            return ReceiptResult(task=task_view(task), deadline_events=[])
        assert sent_at is not None
        at = checked_sent_at(sent_at, received_at=u.received_at, now=now, skew=deps.entered_time_skew)
        task.complete(actor, now, ReceiptOutcome.CONFIRMED.value, {"sent_at": at.isoformat(), "method": method})
        u.receipt_confirmed_at = at
        await save_underretning(uow, u, reference=facts.reference, at=now)
        await uow.tasks.save(task)
        reported = await stop_clock(uow, clock_id(u.underretning_id, ClockKind.RECEIPT_CONFIRMATION), at,
                                    "RECEIPT_CONFIRMED", deps.config)
        await uow.commit()
    return ReceiptResult(task=task_view(task), deadline_events=[k.value for k in reported])


async def _request_receipt_mail(uow: RoutingUnitOfWork, task: Task, u: Underretning, facts: ConcernFacts,
                                actor: Actor, *, send_to: str, now: datetime) -> None:
    if not facts.professional:
        # A citizen's address may be shared with the family the underretning is about.
        raise InvalidCommand("Infohus sender kun kvitteringsmail til en fagpersons arbejdsmail; registrer, hvordan "
                             "kvitteringen blev sendt / Infohus mails the receipt to professional reporters only")
    case = None if u.case_id is None else await uow.cases.get(u.case_id)
    decision = None if case is not None else await uow.decisions.get(u.concern_id)
    # The case's priority now (raised by a correction since the decision), the decision's only without a case.
    priority = case.priority if case is not None else Priority(decision.priority) if decision else Priority.P1
    request = request_mail(task, u, actor, reference=facts.reference, priority=priority, send_to=send_to, now=now)
    await uow.tasks.save(task)
    await publish(uow, request, concern_id=u.concern_id)


async def record_orientation(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor, *, outcome: OrientationOutcome,
                             withheld_reason: str | None, now: datetime) -> OrientationResult:
    """§ 138, stk. 2: the professional reporter was told what was started (or why not)."""
    if outcome is OrientationOutcome.WITHHELD_SAERLIGE_FORHOLD and not withheld_reason:
        raise InvalidCommand("withholding the orientation needs the reason (særlige forhold)")
    async with uow:
        task = await task_of(uow, task_id, TaskKind.PROFESSIONAL_ORIENTATION, actor)
        task.complete(actor, now, outcome.value, {"withheld_reason": withheld_reason})
        u = await underretning_for(uow, needed(task.underretning_id), actor)
        u.oriented_at, u.orientation_outcome = now, outcome.value
        await save_underretning(uow, u, reference=(await facts_of(uow, u.concern_id)).reference, at=now)
        await uow.tasks.save(task)
        await uow.commit()
    return OrientationResult(task=task_view(task))
