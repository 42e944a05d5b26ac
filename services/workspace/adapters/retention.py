"""Routing's legal holds, and every service's next retention run, called as the signed-in administrator (the
services check ``RETENTION_MANAGE``). Ids, counts and reasons; never a held person's CPR number."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from services.workspace.adapters.services import ServiceClient, ServiceUnavailable


class Hold(BaseModel):
    hold_id: UUID
    scope: str
    target: str | None
    reference: str | None
    concerns_covered: int
    reason: str
    set_by: str
    set_at: AwareDatetime
    lifted_by: str | None = None
    lifted_at: AwareDatetime | None = None
    lift_reason: str | None = None
    in_force: bool


class NextRun(BaseModel):
    """What a service's next retention run deletes, by category (None: the service did not answer)."""

    service: str
    counts: dict[str, int] | None


class RetentionApi:
    def __init__(self, routing: ServiceClient, services: dict[str, ServiceClient]) -> None:
        self._routing = routing
        self._services = services

    async def holds(self, token: str) -> list[Hold]:
        return [Hold.model_validate(h) for h in await self._routing.get("/api/v1/legal-holds", token)]

    async def set_hold(self, token: str, body: dict[str, Any]) -> Hold:
        return Hold.model_validate(await self._routing.post("/api/v1/legal-holds", token, body))

    async def lift_hold(self, token: str, hold_id: UUID, reason: str) -> Hold:
        return Hold.model_validate(await self._routing.post(f"/api/v1/legal-holds/{hold_id}/lift", token,
                                                            {"reason": reason}))

    async def next_runs(self, token: str) -> list[NextRun]:
        runs = []
        for service, client in self._services.items():
            try:
                plan = await client.get("/api/v1/retention/plan", token)
            except ServiceUnavailable:
                runs.append(NextRun(service=service, counts=None))
                continue
            runs.append(NextRun(service=service, counts={str(k): int(v) for k, v in plan["counts"].items()}))
        return runs
