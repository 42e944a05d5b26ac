"""A service's retention run: plan what its periods and the legal holds allow to delete, then delete exactly
that in one transaction, and log it by category, count and id (never the data)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

from infohus.kit.retention.plan import RetentionPlan, log_run

log = logging.getLogger("infohus.retention")


class RetentionRunner(ABC):
    """Subclasses say what to plan (``_plan``) and how to delete a plan (``_delete``), both in the unit of
    work they are given; the run commits. ``uow_factory`` makes the service's unit of work."""

    service: str

    def __init__(self, uow_factory: Callable[[], Any], clock: Callable[[], datetime]) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def plan(self, now: datetime | None = None) -> RetentionPlan:
        """What the next run deletes (the dry run): nothing is changed."""
        return await self.run(now, dry_run=True)

    async def run(self, now: datetime | None = None, *, dry_run: bool = False) -> RetentionPlan:
        moment = now or self._clock()
        async with self._uow_factory() as uow:
            plan = await self._plan(uow, moment)
            if not dry_run and not plan.empty:
                await self._delete(uow, plan)
                await uow.commit()
        log_run(log, plan, dry_run=dry_run)
        return plan

    @abstractmethod
    async def _plan(self, uow: Any, now: datetime) -> RetentionPlan: ...

    @abstractmethod
    async def _delete(self, uow: Any, plan: RetentionPlan) -> None: ...
