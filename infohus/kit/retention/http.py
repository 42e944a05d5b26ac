"""``GET /api/v1/retention/plan``: what the service's next retention run deletes (the dry run), for
administrators (``Permission.RETENTION_MANAGE``): categories, counts and pseudonymous ids, no data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from infohus.kit.auth import Permission, require
from infohus.kit.retention.runner import RetentionRunner

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the sign-in is invalid"},
    403: {"description": "Only administrators see the retention plan"},
}


class RetentionPlanOut(BaseModel):
    """What the next run deletes: per category a count and, for the main rows, their pseudonymous ids."""

    service: str
    now: str
    counts: dict[str, int]
    items: dict[str, list[str]]


def retention_router(runner: RetentionRunner) -> APIRouter:
    router = APIRouter(tags=["retention"])

    @router.get("/api/v1/retention/plan", dependencies=[require(Permission.RETENTION_MANAGE)],
                response_model=RetentionPlanOut, responses=_RESPONSES)
    async def retention_plan() -> RetentionPlanOut:
        return RetentionPlanOut.model_validate((await runner.plan()).as_dict())

    return router
