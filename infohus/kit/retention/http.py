"""``GET /api/v1/retention/plan``: what the service's next retention run deletes (the dry run), for
administrators (``Permission.RETENTION_MANAGE``): categories, counts and pseudonymous ids, no data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from infohus.kit.auth import Permission, require
from infohus.kit.retention.runner import RetentionRunner


def retention_router(runner: RetentionRunner) -> APIRouter:
    router = APIRouter(tags=["retention"])

    @router.get("/api/v1/retention/plan", dependencies=[require(Permission.RETENTION_MANAGE)])
    async def retention_plan() -> dict[str, Any]:
        return (await runner.plan()).as_dict()

    return router
