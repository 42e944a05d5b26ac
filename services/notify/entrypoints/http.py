"""Notify's HTTP side: health (from the kit) and, for administrators (``NOTIFICATION_REDRIVE``), the
deliveries with per-state counts and the re-drive of a dead-lettered one.

Operations only: references, destinations, states and failure reasons; never an address or mail content.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from infohus.kit.auth import AuthSettings, Permission, Principal, install_auth, require
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import service_app
from infohus.kit.retention.http import retention_router
from services.notify.bootstrap import NotifyContainer, bootstrap
from services.notify.domain.delivery import State
from services.notify.domain.redrive import RedriveOutcome
from services.notify.entrypoints.subject_access import subject_access_router
from services.notify.service_layer.redrive import redrive, summary

REDRIVE = require(Permission.NOTIFICATION_REDRIVE)


def create_app(container: NotifyContainer, *, manage_runtime: bool = True, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    app = service_app("Infohus notify", container.runtime, manage_runtime=manage_runtime)
    install_auth(app, auth if auth is not None else AuthSettings(), jwks_fetcher=jwks_fetcher)

    @app.get("/api/v1/deliveries", dependencies=[REDRIVE])
    async def list_deliveries(state: State | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                              offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        """Newest first, optionally in one state (``?state=DEAD_LETTERED``), with the count in every state."""
        async with container.unit_of_work() as uow:
            counts = await uow.deliveries.count_by_state()
            items = await uow.deliveries.listing(state=state, limit=limit, offset=offset)
        return {"counts": {s.value: counts.get(s.value, 0) for s in State}, "total": sum(counts.values()),
                "items": [summary(d) for d in items], "limit": limit, "offset": offset}

    @app.post("/api/v1/deliveries/{notification_id}/redrive", responses={
        404: {"description": "No delivery with this id"},
        409: {"description": "Refused: not dead-lettered (above all: already sent), or still no mailbox"}})
    async def redrive_delivery(notification_id: UUID, principal: Annotated[Principal, REDRIVE],
                               dry_run: bool = False) -> JSONResponse:
        result = await redrive(container.unit_of_work, notification_id, by=principal.user_id, via="HTTP",
                               settings=container.settings, now=container.now(), dry_run=dry_run)
        if result.outcome is RedriveOutcome.REDRIVEN:
            container.worker.wake()
        status = 200 if result.ok else 404 if result.outcome is RedriveOutcome.NOT_FOUND else 409
        return JSONResponse(status_code=status, content=result.as_dict())

    app.include_router(subject_access_router(container))
    app.include_router(retention_router(container.retention))
    return app


def build() -> tuple[NotifyContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
