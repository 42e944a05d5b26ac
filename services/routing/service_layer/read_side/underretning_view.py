"""An underretning for StraXen, with its tasks and clocks.

Every read of personal data writes its read-access rows in the reading transaction, committed before the
view is returned (one row per case or underretning shown); a refused or missing read writes nothing.
"""

from __future__ import annotations

from uuid import UUID

from infohus.kit.auth import CaseKind, ReadPurpose
from infohus.kit.auth.roles import Permission
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.casework import Underretning
from services.routing.domain.facts import ConcernFacts
from services.routing.domain.tasks import Task
from services.routing.service_layer.common import require, underretning_for
from services.routing.service_layer.read_side.read_log import ReadLog
from services.routing.service_layer.read_side.views import ClockView, UnderretningView, clock_views, task_view


def _underretning_view(u: Underretning, facts: ConcernFacts | None, tasks: list[Task],
                       clocks: list[ClockView]) -> UnderretningView:
    child = facts.person(u.subject) if facts else None
    return UnderretningView(
        underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id,
        reference=facts.reference if facts else "", subject=u.subject, person_id=u.person_id,
        legal_type=u.legal_type, origin=u.origin, state=u.state, age_band=child.age_band if child else None,
        received_at=u.received_at, assessment_due_at=u.assessment_due_at,
        receipt_confirmation_due_date=u.receipt_confirmation_due_date,
        professional_orientation_required=u.professional_orientation_required, assessed_at=u.assessed_at,
        assessed_by=u.assessed_by, acute_measures_needed=u.acute_measures_needed, assessment_note=u.assessment_note,
        receipt_confirmed_at=u.receipt_confirmed_at, oriented_at=u.oriented_at,
        orientation_outcome=u.orientation_outcome, forwarded_to=u.forwarded_to, forwarded_at=u.forwarded_at,
        tasks=[task_view(t) for t in tasks], clocks=clocks)


async def underretning_view(uow: RoutingUnitOfWork, underretning_id: UUID, actor: Actor, read_log: ReadLog, *,
                            purpose: ReadPurpose | None = None) -> UnderretningView:
    require(actor, Permission.UNDERRETNING_READ)
    async with uow:
        u = await underretning_for(uow, underretning_id, actor)
        facts = await uow.facts.get(u.concern_id)
        tasks = [t for t in await uow.tasks.for_concern(u.concern_id) if t.underretning_id == underretning_id]
        clocks = [c for c in await uow.clocks.for_concern(u.concern_id) if c.underretning_id == underretning_id]
        events = await uow.clocks.deadline_events_for([c.clock_id for c in clocks])
        await read_log.record(uow, [(CaseKind.UNDERRETNING, underretning_id,
                                     purpose or ReadPurpose.UNDERRETNING_ASSESSMENT)])
        await uow.commit()
    return _underretning_view(u, facts, tasks, clock_views(clocks, events))
