"""Tasks routing creates for people: decisions and duties the system must never carry out by itself.

- DISCLOSURE_PROPOSED (R4, acute): whether to pass information to the police is the tovholder's decision
  (retsplejeloven § 115 is discretionary); routing never mails the police.
- JURISDICTION_REVIEW (R10): forward to the competent municipality once a tovholder confirms.
- RECEIPT_CONFIRMATION (barnets lov § 138, stk. 1): confirm receipt to the reporter within 6 hverdage.
- PROFESSIONAL_ORIENTATION (§ 138, stk. 2): tell a professional reporter what was started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from infohus.kit.auth.roles import Permission
from services.routing.domain.actors import Actor
from services.routing.domain.errors import NotPermitted, TransitionNotAllowed


class TaskKind(StrEnum):
    DISCLOSURE_PROPOSED = "DISCLOSURE_PROPOSED"
    JURISDICTION_REVIEW = "JURISDICTION_REVIEW"
    RECEIPT_CONFIRMATION = "RECEIPT_CONFIRMATION"
    PROFESSIONAL_ORIENTATION = "PROFESSIONAL_ORIENTATION"


class TaskState(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"


class OrientationOutcome(StrEnum):
    UNDERSOEGELSE = "UNDERSOEGELSE"
    AFDAEKNING = "AFDAEKNING"
    INDSATS = "INDSATS"
    NONE = "NONE"
    WITHHELD_SAERLIGE_FORHOLD = "WITHHELD_SAERLIGE_FORHOLD"


# Who may list and complete each kind of task. The municipal tovholder alone decides a disclosure to the
# police (the police tovholder is its recipient); StraXen handles the underretning tasks, never an infohus
# case's.
TASK_PERMISSION: dict[TaskKind, Permission] = {
    TaskKind.DISCLOSURE_PROPOSED: Permission.CASE_DISCLOSURE_DECIDE,
    TaskKind.JURISDICTION_REVIEW: Permission.CASE_FORWARD,
    TaskKind.RECEIPT_CONFIRMATION: Permission.UNDERRETNING_ASSESS,
    TaskKind.PROFESSIONAL_ORIENTATION: Permission.UNDERRETNING_ASSESS,
}


COMPLETED_BY_ROLE = "completed_by_role"
"""Task detail: the role the signed-in user completed the task in (``completed_by`` is their user id)."""


@dataclass
class Task:
    task_id: UUID
    kind: TaskKind
    concern_id: UUID
    infohus_case_id: UUID | None
    underretning_id: UUID | None
    created_at: datetime
    due_at: datetime | None = None
    due_date: date | None = None
    state: TaskState = TaskState.OPEN
    completed_at: datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def check_actor(self, actor: Actor) -> None:
        if not actor.can(TASK_PERMISSION[self.kind]):
            raise NotPermitted(f"role {actor.role_name} may not handle {self.kind} tasks")

    def complete(self, actor: Actor, at: datetime, outcome: str, details: dict[str, Any] | None = None) -> None:
        self.check_actor(actor)
        if self.state is not TaskState.OPEN:
            raise TransitionNotAllowed(f"the task is already {self.state}")
        self.state, self.completed_at, self.completed_by, self.outcome = TaskState.DONE, at, actor.user_id, outcome
        self.details = {**self.details, **(details or {}), COMPLETED_BY_ROLE: actor.role_name}

    def add_detail(self, key: str, value: Any) -> None:
        self.details = {**self.details, key: [*self.details.get(key, []), value]}


def task_id(owner: UUID, kind: TaskKind) -> UUID:
    return uuid5(owner, f"task:{kind.value}")
