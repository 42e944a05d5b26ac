"""The rules in force: which version of the municipality's rules file this routing runs, since when it was
loaded, and since when decisions have been made under it (``GET /api/v1/config/rules``, administrators)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel

from infohus.kit.auth import Permission, require
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
            first = await uow.decisions.first_decided_at(config.version)
        return RulesInForce(version=config.version, municipality_name=config.municipality_name,
                            infohus_name=config.infohus_name, loaded_at=loaded_at, first_decision_at=first)

    return router
