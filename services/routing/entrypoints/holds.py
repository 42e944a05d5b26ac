"""Legal holds for administrators (``RETENTION_MANAGE``): list, set (on a case, a concern or a person by CPR
number) and lift, each with a reason; and what the next retention run deletes (``/api/v1/retention/plan``).
A held person's CPR number is taken, hashed with the CPR key and never returned."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from infohus.kit.auth import Permission, Principal, require
from infohus.kit.retention.http import retention_router
from services.routing.adapters.retention import RetentionQueries
from services.routing.bootstrap import RoutingContainer
from services.routing.domain.retention import REASON_LENGTH, HoldScope
from services.routing.service_layer.legal_holds import hold_views, lift_hold, set_hold

Administrator = Annotated[Principal, require(Permission.RETENTION_MANAGE)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=REASON_LENGTH[0],
                                          max_length=REASON_LENGTH[1])]
Target = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class HoldBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: HoldScope
    target: Target
    """A case's id, a concern's id or reference, or a person's CPR number."""
    reason: Reason


class LiftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class HoldView(BaseModel):
    hold_id: UUID
    scope: HoldScope
    target: str | None
    """The case's or concern's id; never a person's CPR number (None)."""
    reference: str | None
    concerns_covered: int
    reason: str
    set_by: str
    set_at: AwareDatetime
    lifted_by: str | None
    lifted_at: AwareDatetime | None
    lift_reason: str | None
    in_force: bool


def holds_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(tags=["retention"])
    hmac_key = container.settings.cpr_hmac_key.get_secret_value().encode()

    @router.get("/api/v1/legal-holds")
    async def legal_holds(_admin: Administrator) -> list[HoldView]:
        """Every legal hold, those in force first."""
        async with container.unit_of_work() as uow:
            return [HoldView.model_validate(v) for v in await hold_views(RetentionQueries(uow.session))]

    @router.post("/api/v1/legal-holds", status_code=status.HTTP_201_CREATED,
                 responses={404: {"description": "No such case or concern"}, 422: {"description": "Invalid"}})
    async def set_legal_hold(body: HoldBody, admin: Administrator) -> HoldView:
        view = await set_hold(container.unit_of_work(), scope=body.scope, target=body.target, reason=body.reason,
                              by=admin.user_id, now=container.clock(), hmac_key=hmac_key)
        return HoldView.model_validate(view)

    @router.post("/api/v1/legal-holds/{hold_id}/lift",
                 responses={404: {"description": "No such hold"}, 409: {"description": "Lifted already"}})
    async def lift_legal_hold(hold_id: UUID, body: LiftBody, admin: Administrator) -> HoldView:
        view = await lift_hold(container.unit_of_work(), hold_id, reason=body.reason, by=admin.user_id,
                               now=container.clock())
        return HoldView.model_validate(view)

    router.include_router(retention_router(container.retention))
    return router
