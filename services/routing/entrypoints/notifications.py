"""Internal: notify's delivery watchdog reads what routing asked to be mailed, signed in as a service
principal (service_notify: OIDC client credentials in production, a development service token locally);
staff are refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, JsonValue

from infohus.kit.auth import Permission as P
from infohus.kit.auth import Principal, require
from services.routing.adapters.keyset import InvalidCursor
from services.routing.bootstrap import RoutingContainer
from services.routing.entrypoints.fields import Cursor
from services.routing.service_layer.read_side.requested_notifications import requested_notifications


class RequestedItem(BaseModel):
    requested_at: str
    notification: dict[str, JsonValue]


class RequestedPage(BaseModel):
    items: list[RequestedItem]
    next_cursor: str | None


def notification_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(tags=["watchdog"])

    @router.get("/api/v1/notifications/requested")
    async def notifications_requested(
            service: Annotated[Principal, require(P.NOTIFICATIONS_REQUESTED_READ)],
            start: Annotated[AwareDatetime, Query(alias="from")], end: Annotated[AwareDatetime, Query(alias="to")],
            cursor: Cursor = None, limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> RequestedPage:
        """For notify's delivery watchdog: what routing asked to be mailed (references and codes; a § 138
        receipt request also carries the reporter's work address, and its read is logged). Times need their
        UTC offset."""
        try:
            page = await requested_notifications(container.unit_of_work(), start, end, cursor=cursor, limit=limit,
                                                 reader=service, read_log=container.read_log)
        except InvalidCursor as error:
            raise HTTPException(422, "Ugyldig cursor / invalid cursor") from error
        return RequestedPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})

    return router
