"""The open tasks of the kinds a role handles. They name persons (pseudonyms, a person's municipality), so
the read of each case or underretning listed is logged."""


from __future__ import annotations

from uuid import UUID

from infohus.kit.auth import CaseKind, ReadPurpose
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.errors import NotPermitted
from services.routing.domain.tasks import TASK_PERMISSION, Task, TaskKind
from services.routing.service_layer.read_side.read_log import ReadLog
from services.routing.service_layer.read_side.views import TaskView, task_view

# Why a task list is read: the tasks of disclosures and forwardings prepare a disclosure; the § 138 tasks
# follow up on a statutory deadline of an underretning.
_TASK_READ: dict[TaskKind, tuple[CaseKind, ReadPurpose]] = {
    TaskKind.DISCLOSURE_PROPOSED: (CaseKind.INFOHUS_CASE, ReadPurpose.DISCLOSURE),
    TaskKind.JURISDICTION_REVIEW: (CaseKind.INFOHUS_CASE, ReadPurpose.DISCLOSURE),
    TaskKind.RECEIPT_CONFIRMATION: (CaseKind.UNDERRETNING, ReadPurpose.FOLLOW_UP),
    TaskKind.PROFESSIONAL_ORIENTATION: (CaseKind.UNDERRETNING, ReadPurpose.FOLLOW_UP),
}


def _task_read(task: Task) -> tuple[CaseKind, UUID, ReadPurpose] | None:
    kind, purpose = _TASK_READ[task.kind]
    owner = task.underretning_id if kind is CaseKind.UNDERRETNING else task.infohus_case_id
    return None if owner is None else (kind, owner, purpose)


async def open_tasks(uow: RoutingUnitOfWork, actor: Actor, read_log: ReadLog) -> list[TaskView]:
    """Open tasks of the kinds the role handles. They name persons (pseudonyms, a person's municipality), so
    the read of each case or underretning listed is logged."""
    kinds = [kind for kind, permission in TASK_PERMISSION.items() if actor.can(permission)]
    if not kinds:
        raise NotPermitted(f"role {actor.role_name} handles no tasks")
    async with uow:
        tasks = await uow.tasks.open_of_kinds(kinds, municipalities=actor.municipalities)
        await read_log.record(uow, [read for read in map(_task_read, tasks) if read is not None])
        await uow.commit()
    return [task_view(t) for t in tasks]
