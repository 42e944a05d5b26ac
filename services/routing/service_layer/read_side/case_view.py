"""An infohus case for its tovholdere: timeline, tasks, clocks, deliveries and the decision explained.

Every read of personal data writes its read-access rows in the reading transaction, committed before the
view is returned (one row per case or underretning shown); a refused or missing read writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from infohus.kit.auth import CaseKind, ReadPurpose
from infohus.kit.auth.roles import Permission
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.case import InfohusCase
from services.routing.domain.delivery import ACTION as DELIVERY_STATUS
from services.routing.domain.explanations import TIME_CONTEXT_TEXT, explain
from services.routing.domain.person_links import Match, Membership
from services.routing.service_layer.common import case_for, require
from services.routing.service_layer.read_side.read_log import ReadLog, case_read_purpose
from services.routing.service_layer.read_side.views import (
    CaseConcernView,
    CaseView,
    DecisionView,
    DeliveryView,
    FiredRuleView,
    Signoff,
    TimelineEntryView,
    TriageSignoffs,
    UnderretningStatus,
    as_json,
    clock_views,
    task_view,
)


def _deliveries(case: InfohusCase) -> list[DeliveryView]:
    """The latest status of each notification about the case, from notify's entries on its timeline."""
    latest: dict[str, DeliveryView] = {}
    for entry in case.timeline:
        if entry.action != DELIVERY_STATUS or "notification_id" not in entry.details:
            continue
        d = entry.details
        latest[d["notification_id"]] = DeliveryView(
            notification_id=d["notification_id"], destination=d["destination"], purpose=d["purpose"],
            status=d["status"], attempt=d.get("attempt", 1), at=entry.at)
    return list(latest.values())


async def _decision_view(uow: RoutingUnitOfWork, concern_id: UUID) -> DecisionView | None:
    stored = await uow.decisions.stored(concern_id)
    if stored is None:
        return None
    decision, decided_at, rules_fingerprint = stored
    return DecisionView(
        rules=[FiredRuleView(rule=r.rule, text=r.text) for r in explain(decision)],
        destinations=list(decision.destinations), priority=decision.priority,
        flags=[f.value for f in decision.flags], time_context=decision.time_context,
        time_context_text=TIME_CONTEXT_TEXT[decision.time_context], config_version=decision.config_version,
        rules_fingerprint=rules_fingerprint, decided_at=decided_at)


async def case_view(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, read_log: ReadLog, *,
                    purpose: ReadPurpose | None = None) -> CaseView:
    require(actor, Permission.CASE_READ)
    async with uow:
        case = await case_for(uow, case_id, actor)
        tasks = await uow.tasks.for_case(case_id)
        members = await uow.person_links.of_case(case_id)
        concern_ids = list(dict.fromkeys([case.concern_id, *(m.concern_id for m in members)]))
        references = await uow.person_links.references(concern_ids)
        clocks, underretninger = [], []
        for concern_id in concern_ids:  # the person's concerns: each brings its own underretninger and clocks
            clocks += [c for c in await uow.clocks.for_concern(concern_id) if c.infohus_case_id == case_id]
            underretninger += [u for u in await uow.underretninger.for_concern(concern_id) if u.case_id == case_id]
        events = await uow.clocks.deadline_events_for([c.clock_id for c in clocks])
        decision = await _decision_view(uow, case.concern_id)
        subject = facts.person(case.subject_path) if (facts := await uow.facts.get(case.concern_id)) else None
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, case_id, purpose or case_read_purpose(case.state))])
        await uow.commit()
    return CaseView(
        case_id=case.case_id, concern_id=case.concern_id, reference=case.reference, subject_index=case.subject_index,
        subject_path=case.subject_path, person_id=case.person_id, group_id=case.group_id, state=case.state,
        priority=case.priority, flags=list(case.flags), age_band=subject.age_band if subject else None,
        triage_due_at=case.triage_due_at, opened_at=case.opened_at,
        version=case.version, triage_complete=case.triage_complete,
        triage_signoffs=TriageSignoffs(**{role.value: Signoff(user_id=s.user_id, outcome=s.outcome, at=s.at)
                                          for role, s in case.triage_signoffs.items()}),
        awaiting=[r.value for r in case.awaiting()], record=as_json(case.record), closed_at=case.closed_at,
        close_reason=case.close_reason,
        timeline=[TimelineEntryView(at=e.at, actor=e.actor, actor_role=e.actor_role, action=e.action,
                                    from_state=e.from_state, to_state=e.to_state, details=as_json(e.details))
                  for e in case.timeline],
        tasks=[task_view(t) for t in tasks], clocks=clock_views(clocks, events),
        # Need-to-know: tovholdere see that underretninger exist, their state and deadlines, not their content.
        underretninger=[UnderretningStatus(underretning_id=u.underretning_id, state=u.state,
                                           assessment_due_at=u.assessment_due_at, assessed_at=u.assessed_at,
                                           concern_id=u.concern_id, reference=references.get(u.concern_id, ("", ))[0])
                        for u in underretninger],
        decision=decision, deliveries=_deliveries(case), concerns=_concerns(case, members, references))


def _concerns(case: InfohusCase, members: list[Membership],
              references: dict[UUID, tuple[str, datetime]]) -> list[CaseConcernView]:
    opened = CaseConcernView(
        concern_id=case.concern_id, reference=case.reference,
        received_at=references.get(case.concern_id, (case.reference, case.opened_at))[1],
        subject_index=case.subject_index, match=Match.OPENED.value, linked_at=case.opened_at,
        linked_by=SYSTEM.user_id, reason=None, active=True)
    return [opened, *(CaseConcernView(
        concern_id=m.concern_id, reference=references[m.concern_id][0], received_at=references[m.concern_id][1],
        subject_index=m.subject_index, match=m.match.value, linked_at=m.linked_at, linked_by=m.linked_by,
        reason=m.reason, active=m.active, unlinked_at=m.unlinked_at, unlinked_by=m.unlinked_by,
        unlink_reason=m.unlink_reason) for m in members if m.concern_id in references)]
