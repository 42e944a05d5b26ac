"""The rules in force: which version of the municipality's rules file this routing runs, since when it was
loaded, and since when decisions have been made under it (``GET /api/v1/config/rules``, administrators)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import select

from infohus.kit.auth import Permission, require
from services.routing.adapters.orm import decisions
from services.routing.bootstrap import RoutingContainer


class RulesInForce(BaseModel):
    version: str
    municipality_name: str
    infohus_name: str
    loaded_at: AwareDatetime
    """When this running service loaded the rules (its start)."""
    first_decision_at: AwareDatetime | None
    """The earliest routing decision made under this version (None: none yet)."""


def rules_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(tags=["config"])
    loaded_at = container.clock()

    @router.get("/api/v1/config/rules", dependencies=[require(Permission.CONFIG_MANAGE)])
    async def rules_in_force() -> RulesInForce:
        config = container.config
        async with container.unit_of_work() as uow:
            # Ordered rather than min(): the column's type (UTC-aware on every backend) stays applied.
            first: datetime | None = (await uow.session.execute(
                select(decisions.c.decided_at).where(decisions.c.config_version == config.version)
                .order_by(decisions.c.decided_at).limit(1))).scalar_one_or_none()
        return RulesInForce(version=config.version, municipality_name=config.municipality_name,
                            infohus_name=config.infohus_name, loaded_at=loaded_at, first_decision_at=first)

    return router
