"""Tasks: the statutory and case duties a person completes (§ 138 receipts and orientations, disclosure
decisions, forwardings)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.instants import aware, aware_at, str_or_none, utc, utc_or_none, uuid_or_none
from services.routing.adapters.orm import infohus_cases, tasks, underretninger
from services.routing.domain.tasks import Task, TaskKind, TaskState


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, task: Task) -> None:
        await self._session.execute(tasks.insert(), dict(task_id=str(task.task_id), **_row(task)))

    async def save(self, task: Task) -> None:
        await self._session.execute(update(tasks).where(tasks.c.task_id == str(task.task_id)).values(**_row(task)))

    async def get(self, task_id: UUID) -> Task | None:
        row = (await self._session.execute(select(tasks).where(tasks.c.task_id == str(task_id)))).mappings().first()
        return None if row is None else _task(row)

    async def for_case(self, case_id: UUID) -> list[Task]:
        return await self._select(tasks.c.case_id == str(case_id), order=(tasks.c.created_at, tasks.c.kind))

    async def for_concern(self, concern_id: UUID) -> list[Task]:
        return await self._select(tasks.c.concern_id == str(concern_id), order=(tasks.c.created_at, tasks.c.kind))

    async def open_of_kinds(self, kinds: list[TaskKind], *, municipalities: Iterable[str]) -> list[Task]:
        """Open tasks of ``kinds`` whose case (or, without one, underretning) is of ``municipalities``."""
        codes = sorted(municipalities)
        ours = or_(tasks.c.case_id.in_(select(infohus_cases.c.case_id).where(infohus_cases.c.municipality.in_(codes))),
                   and_(tasks.c.case_id.is_(None), tasks.c.underretning_id.in_(
                       select(underretninger.c.underretning_id).where(underretninger.c.municipality.in_(codes)))))
        return await self._select(tasks.c.state == TaskState.OPEN.value, tasks.c.kind.in_([k.value for k in kinds]),
                                  ours, order=(tasks.c.due_at, tasks.c.due_date, tasks.c.created_at))

    async def open_for_cases(self, case_ids: list[UUID]) -> list[Task]:
        """The open tasks of these cases (a page of a list), most urgent first."""
        return await self._open_for(tasks.c.case_id, case_ids)

    async def open_for_underretninger(self, underretning_ids: list[UUID]) -> list[Task]:
        """The open tasks of these underretninger (a page of a list), most urgent first."""
        return await self._open_for(tasks.c.underretning_id, underretning_ids)

    async def _open_for(self, column: Any, ids: list[UUID]) -> list[Task]:
        return await self._select(column.in_([str(i) for i in ids]), tasks.c.state == TaskState.OPEN.value,
                                  order=(tasks.c.due_at, tasks.c.due_date, tasks.c.created_at, tasks.c.kind))

    async def _select(self, *where: ColumnElement[bool], order: tuple[Any, ...]) -> list[Task]:
        rows = (await self._session.execute(select(tasks).where(*where).order_by(*order))).mappings().all()
        return [_task(r) for r in rows]


def _row(task: Task) -> dict[str, Any]:
    return dict(kind=task.kind.value, concern_id=str(task.concern_id), case_id=str_or_none(task.infohus_case_id),
                underretning_id=str_or_none(task.underretning_id), state=task.state.value,
                created_at=utc(task.created_at), due_at=utc_or_none(task.due_at), due_date=task.due_date,
                completed_at=utc_or_none(task.completed_at), completed_by=task.completed_by, outcome=task.outcome,
                details=json.dumps(task.details, default=str))


def _task(row: Any) -> Task:
    return Task(task_id=UUID(row["task_id"]), kind=TaskKind(row["kind"]), concern_id=UUID(row["concern_id"]),
                infohus_case_id=uuid_or_none(row["case_id"]), underretning_id=uuid_or_none(row["underretning_id"]),
                created_at=aware_at(row["created_at"]), due_at=aware(row["due_at"]), due_date=row["due_date"],
                state=TaskState(row["state"]), completed_at=aware(row["completed_at"]),
                completed_by=row["completed_by"], outcome=row["outcome"], details=json.loads(row["details"]))
