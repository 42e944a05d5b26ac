"""Routing's message handler: decide, open cases (or link a near duplicate), and emit what follows,
all in one transaction with the inbox row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from uuid import UUID, uuid5

from contracts.envelope import Envelope, EventPayload
from contracts.events import (
    CaseOpened,
    ConcernRouted,
    ConcernSubmitted,
    DeliveryStatus,
    DeliveryStatusChanged,
    Destination,
    NotificationPurpose,
)
from infohus.kit.telemetry import current_trace_id
from rules.config import MunicipalityConfig
from rules.decision import Decision
from rules.decision_table import decide
from rules.facts import derive_facts
from rules.fingerprint import RulesVersion
from rules.inputs import DecisionInput, RulesInput
from rules.vocabulary import DuplicateKind, Flag
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import SYSTEM
from services.routing.domain.casework import (
    PlanContext,
    move_to_earlier_receipt,
    new_case_notification,
    plan_cases,
)
from services.routing.domain.classification import current
from services.routing.domain.clocks import ClockKind, clock_id
from services.routing.domain.delivery import delivery_note
from services.routing.domain.disclosures import SystemInfo, internal_transfer
from services.routing.domain.duplicates import Fingerprint, fingerprint, is_near_duplicate
from services.routing.domain.facts import ConcernFacts, concern_facts
from services.routing.domain.partner_receipt import partner_receipt
from services.routing.domain.receipt import complete_by_mail, mail_status
from services.routing.domain.tasks import TaskKind, task_id
from services.routing.service_layer.common import publish, publish_underretning, save_case, save_underretning
from services.routing.service_layer.deadlines import emit_owed, stop_clock
from services.routing.service_layer.person_cases import join_open_cases, record_name_keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutingDeps:
    config: MunicipalityConfig
    hmac_key: bytes
    system: SystemInfo
    rules: RulesVersion  # the fingerprint of the rules code and ``config``, recorded with every decision
    entered_time_skew: timedelta = timedelta(minutes=5)
    """How far ahead of the server's clock a time a person enters may lie (a client's clock); taken as now."""


async def handle_concern_submitted(envelope: Envelope[ConcernSubmitted], *, uow: RoutingUnitOfWork,
                                   deps: RoutingDeps, now: datetime) -> None:
    event = envelope.payload
    config = deps.config
    async with uow:
        if not await uow.inbox.claim(envelope.event_id):
            return
        if await uow.facts.get(event.concern_id) is not None:  # the same concern under another event id
            await _acknowledge(uow, envelope, now)  # intake asked again: it never saw the first acknowledgement
            await uow.commit()
            return
        print_ = fingerprint(event.concern, event.received_at, deps.hmac_key)
        original = await _near_duplicate_original(uow, print_, config)
        duplicate = DuplicateKind.NEW if original is None else DuplicateKind.NEAR
        rules_input = DecisionInput(concern=RulesInput.of(event.concern), received_at=event.received_at,
                                    duplicate=duplicate)
        decision = decide(rules_input.concern, event.received_at, config, duplicate=duplicate)
        derived = derive_facts(rules_input.concern, event.received_at, config)
        facts = concern_facts(concern_id=event.concern_id, reference=event.reference, concern=event.concern,
                              facts=derived, key=deps.hmac_key, fingerprint=print_,
                              config_version=decision.config_version)
        facts.duplicate_of = None if original is None else original.concern_id
        decision_id = uuid5(event.concern_id, "decision")
        await uow.decisions.add(decision_id=decision_id, concern_id=event.concern_id,
                                       reference=event.reference, received_at=event.received_at, decided_at=now,
                                       decision=decision, trace_id=current_trace_id(), rules=deps.rules,
                                       rules_input=rules_input)
        await uow.facts.add(facts)
        await record_name_keys(uow, event, facts, deps.hmac_key)
        if original is None:
            adult_from = {person.path: person.age.eighteenth_birthday for person in derived.persons}
            await _open(uow, envelope, decision, decision_id, facts, deps, now, adult_from)
        else:
            await _link_near_duplicate(uow, envelope, facts, original, deps, now)
        await _record_partner_receipt(uow, envelope, facts, original, deps)
        await _acknowledge(uow, envelope, now)
        await uow.commit()


async def _acknowledge(uow: RoutingUnitOfWork, envelope: Envelope[ConcernSubmitted], now: datetime) -> None:
    """Tell intake the concern is held and decided (its reconciliation asks again until it hears this)."""
    event = envelope.payload
    await publish(uow, ConcernRouted(concern_id=event.concern_id, reference=event.reference, routed_at=now),
                  concern_id=event.concern_id, causation_id=envelope.event_id)


async def _record_partner_receipt(uow: RoutingUnitOfWork, envelope: Envelope[ConcernSubmitted], facts: ConcernFacts,
                                  original: ConcernFacts | None, deps: RoutingDeps) -> None:
    """Data received from another authority: a RECEIPT in the disclosure log, on the case it went to."""
    event = envelope.payload
    case_ids = await _cases_of(uow, event.concern_id if original is None else original.concern_id)
    receipt = partner_receipt(facts, event.concern.reporter, channel=event.concern.channel,
                              recorded_by=event.recorded_by, case_id=case_ids[0] if case_ids else None,
                              config=deps.config, system=deps.system)
    if receipt is not None:
        await publish(uow, receipt, concern_id=event.concern_id, causation_id=envelope.event_id)


async def _cases_of(uow: RoutingUnitOfWork, concern_id: UUID) -> list[UUID]:
    """The cases a concern opened, then those of persons it joined."""
    return [*await uow.cases.ids_for_concern(concern_id), *await uow.person_links.joined_cases(concern_id)]


async def _near_duplicate_original(uow: RoutingUnitOfWork, print_: Fingerprint,
                                   config: MunicipalityConfig) -> ConcernFacts | None:
    window = timedelta(hours=config.near_duplicate_window_hours)
    candidates = await uow.facts.near_duplicate_candidates(print_, window)
    return next((c for c in candidates if is_near_duplicate(print_, c.fingerprint, window)), None)


async def _open(uow: RoutingUnitOfWork, envelope: Envelope[ConcernSubmitted], decision: Decision,
                decision_id: UUID, facts: ConcernFacts, deps: RoutingDeps, now: datetime,
                adult_from: dict[str, date | None]) -> None:
    """``adult_from``: per person path, the day they turn 18 where a birth date gave it (audit derives a
    disclosure record's subject age from it)."""
    event = envelope.payload
    ctx = PlanContext(concern_id=event.concern_id, reference=event.reference, received_at=event.received_at,
                      concern=event.concern, config=deps.config, system=deps.system, now=now)
    plan = plan_cases(ctx, decision, facts)
    await join_open_cases(uow, plan, event, decision, key=deps.hmac_key, config=deps.config, now=now,
                          causation_id=envelope.event_id)
    trace_id = current_trace_id()
    for case in plan.cases:
        await uow.cases.add(case, trace_id=trace_id)
    for underretning in plan.underretninger:
        await uow.underretninger.add(underretning)
    await uow.clocks.add_all(plan.clocks)
    for task in plan.tasks:
        await uow.tasks.add(task)

    async def emit(payload: EventPayload) -> None:
        await publish(uow, payload, concern_id=event.concern_id, causation_id=envelope.event_id)

    for case in plan.cases:
        await emit(CaseOpened(
            concern_id=event.concern_id, reference=event.reference, infohus_case_id=case.case_id,
            subject_index=case.subject_index, priority=case.priority,
            age_bands=[str(b) for b in decision.age_bands], triage_due_at=case.triage_due_at,
            underretning_ids=[u.underretning_id for u in plan.underretninger_for(case.case_id)],
            decision_id=decision_id, config_version=decision.config_version,
            subject_minor_possible=any(p.minor_possible for p in facts.persons if p.person_id == case.person_id),
            reporter_anonymous=facts.reporter_anonymous, subject_person_id=case.person_id,
            subject_adult_from=next((adult_from.get(p.path) for p in facts.persons
                                     if p.person_id == case.person_id), None)))
    for underretning in plan.underretninger:  # after its case, so a consumer knows the case first
        await publish_underretning(uow, underretning, reference=event.reference, at=now,
                                   causation_id=envelope.event_id)
    for notification in plan.notifications:
        await emit(notification)
    for disclosure in plan.disclosures:
        await emit(disclosure)
    for clock in plan.clocks:  # a concern entered late (a phone note) may already be at risk or late
        await emit_owed(uow, clock, now, deps.config)


async def _link_near_duplicate(uow: RoutingUnitOfWork, envelope: Envelope[ConcernSubmitted], facts: ConcernFacts,
                               original: ConcernFacts, deps: RoutingDeps, now: datetime) -> None:
    """R0b: link to the original, tell its destinations, create nothing new; move clocks only earlier."""
    event = envelope.payload
    original_decision = await uow.decisions.get(original.concern_id)
    assert original_decision is not None
    case_ids = await _cases_of(uow, original.concern_id)
    cases = [c for c in [await uow.cases.get(i) for i in case_ids] if c is not None]
    underretninger = await uow.underretninger.for_concern(original.concern_id)
    clocks = await uow.clocks.for_concern(original.concern_id)
    tasks = await uow.tasks.for_concern(original.concern_id)
    for case in cases:
        case.note(SYSTEM, now, "SUPPLEMENT_LINKED", {
            "concern_id": str(event.concern_id), "reference": event.reference,
            "received_at": event.received_at.isoformat()})
    moved = move_to_earlier_receipt(event.received_at, facts=original, cases=cases, underretninger=underretninger,
                                    clocks=clocks, tasks=tasks, config=deps.config, now=now,
                                    because_of=event.concern_id)
    if moved:
        await uow.facts.save(original)
        for underretning in underretninger:  # its receipt and 24-hour deadline moved earlier
            await save_underretning(uow, underretning, reference=original.reference, at=now,
                                    causation_id=envelope.event_id)
        for task in tasks:
            await uow.tasks.save(task)
        for clock in moved:
            await uow.clocks.save(clock)
    for case in cases:
        await save_case(uow, case, causation_id=envelope.event_id)
    for clock in moved:
        await emit_owed(uow, clock, now, deps.config)

    first_case = cases[0]
    # The original's classification as it stands now (an age corrected since, a priority raised), and its
    # destinations now: an underretning opened after a correction makes StraXen one of them.
    supplement = current(first_case, original).with_flags(Flag.DUPLICATE_NEAR, Flag.SUPPLEMENT_TO_ORIGINAL)
    destinations = {*original_decision.destinations, *([Destination.UNDERRETNING] if underretninger else [])}
    for destination in (Destination.INFOHUS_TK, Destination.UNDERRETNING):
        if destination not in destinations:
            continue
        await publish(uow, new_case_notification(
            original, supplement, first_case.case_id, underretninger, destination, now,
            purpose=NotificationPurpose.SUPPLEMENT, key=f":{event.concern_id}"),
            concern_id=original.concern_id, causation_id=envelope.event_id)
        to_child_welfare = destination is Destination.UNDERRETNING
        # The supplement's own content, about the original's (pseudonymised) persons.
        supplied = replace(original, concern_id=facts.concern_id, content_hash=facts.content_hash,
                           data_categories=facts.data_categories)
        await publish(uow, internal_transfer(
            supplied, to_child_welfare=to_child_welfare,
            record_id=uuid5(event.concern_id, f"transfer:{destination.value}"), case_id=first_case.case_id,
            underretning_id=underretninger[0].underretning_id if to_child_welfare and underretninger else None,
            person_ids=([u.person_id for u in underretninger] if to_child_welfare
                        else [c.person_id for c in cases]),
            occurred_at=event.received_at, config_version=original_decision.config_version, system=deps.system,
            supplement=True), concern_id=original.concern_id, causation_id=envelope.event_id)


async def handle_delivery_status_changed(envelope: Envelope[DeliveryStatusChanged], *,
                                         uow: RoutingUnitOfWork, config: MunicipalityConfig) -> int:
    """Append the delivery status to the infohus case (``infohus_case_id``, else every case of the concern),
    once per event. Returns the number of entries written. The status of a § 138 receipt mail also goes to
    its task, and SENT completes the task and stops the receipt clock (:func:`_receipt_mail_status`).

    A case routing does not know (only after data loss: a notification follows its CaseOpened in the same
    transaction) is not an error to retry forever: nothing is recorded and the event is acknowledged.
    """
    event = envelope.payload
    async with uow:
        if not await uow.inbox.claim(envelope.event_id):
            return 0
        if event.purpose is NotificationPurpose.RECEIPT_CONFIRMATION:
            await _receipt_mail_status(uow, envelope, config)
        note = delivery_note(event)
        if event.infohus_case_id is not None:
            written = await uow.cases.add_note(note, case_id=event.infohus_case_id)
        else:
            written = await uow.cases.add_note(note, concern_id=event.concern_id)
        if not written:
            log.warning("delivery status %s of notification %s (event %s) names no known infohus case; "
                        "nothing recorded", event.status.value, event.notification_id, envelope.event_id)
        await uow.commit()
    return written


async def _receipt_mail_status(uow: RoutingUnitOfWork, envelope: Envelope[DeliveryStatusChanged],
                               config: MunicipalityConfig) -> None:
    """The receipt mail's status on its task; once the relay accepted it, the receipt is given (§ 138, stk. 1):
    the task is done, the underretning records the mail's sent time, and the receipt clock stops then."""
    event = envelope.payload
    if event.underretning_id is None:
        return
    task = await uow.tasks.get(task_id(event.underretning_id, TaskKind.RECEIPT_CONFIRMATION))
    entry = None if task is None else mail_status(task, event.notification_id, event.status, event.occurred_at)
    if task is None or entry is None:
        log.warning("receipt mail %s names no receipt task that asked for it; status not recorded",
                    event.notification_id)
        return
    sent = event.status is DeliveryStatus.SENT and complete_by_mail(task, entry, sent_at=event.occurred_at,
                                                                    message_id=event.message_id)
    await uow.tasks.save(task)
    if not sent:
        return
    u = await uow.underretninger.get(event.underretning_id)
    facts = await uow.facts.get(event.concern_id)
    if u is None or facts is None:  # pragma: no cover - written with the task
        return
    u.receipt_confirmed_at = event.occurred_at
    await save_underretning(uow, u, reference=facts.reference, at=event.occurred_at, causation_id=envelope.event_id)
    await stop_clock(uow, clock_id(u.underretning_id, ClockKind.RECEIPT_CONFIRMATION), event.occurred_at,
                     "RECEIPT_SENT_BY_INFOHUS", config)
