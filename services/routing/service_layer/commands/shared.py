"""What several commands share: loading the concern's facts and a task the actor may work, and checking
what a person entered."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.entered_times import Earliest, checked_entered_time
from services.routing.domain.errors import InvalidCommand, NotFound
from services.routing.domain.facts import ConcernFacts
from services.routing.domain.tasks import Task, TaskKind
from services.routing.service_layer.common import case_for, underretning_for
from services.routing.service_layer.handlers import RoutingDeps


async def facts_of(uow: RoutingUnitOfWork, concern_id: UUID) -> ConcernFacts:
    facts = await uow.facts.get(concern_id)
    if facts is None:  # pragma: no cover - facts are written with the case
        raise NotFound("no facts for the case's concern")
    return facts


def needed(value: Any) -> Any:
    if value is None:
        raise InvalidCommand("a required field is missing for this action")
    return value


async def task_of(uow: RoutingUnitOfWork, task_id: UUID, kind: TaskKind, actor: Actor) -> Task:
    task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound("no such task")
    # A task belongs to the municipality of its case (or, without one, of its underretning).
    if task.infohus_case_id is not None:
        await case_for(uow, task.infohus_case_id, actor)
    else:
        await underretning_for(uow, needed(task.underretning_id), actor)
    if task.kind is not kind:
        raise InvalidCommand(f"the task is a {task.kind} task, not {kind}")
    return task


def received(facts: ConcernFacts) -> Earliest:
    return Earliest(facts.received_at, da="henvendelsen blev modtaget", en="the concern's receipt")


def entered(moment: datetime | None, field: str, earliest: Earliest, *, now: datetime, deps: RoutingDeps) -> datetime:
    """A time the person entered (bounded), or now when they gave none."""
    if moment is None:
        return now
    return checked_entered_time(moment, field=field, earliest=earliest, now=now, skew=deps.entered_time_skew)
