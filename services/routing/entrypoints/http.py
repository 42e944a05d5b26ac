"""Routing's HTTP side: health, and the case API for tovholdere and StraXen under /api/v1/cases.

One router per resource: cases (:mod:`.cases`), their tasks (:mod:`.tasks`), underretninger
(:mod:`.underretninger`), the rules in force (:mod:`.rules`), notify's watchdog (:mod:`.notifications`) and
the read-access log. Who may call what is stated once per route (:mod:`.callers`). Every write commits its
state change, timeline entries and outbox events in one transaction; every response has its typed schema.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from infohus.kit.auth import AuthSettings, install_auth, read_log_router
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import service_app
from services.routing.bootstrap import RoutingContainer, bootstrap
from services.routing.domain.errors import ConcurrentModification, DomainError, InvalidCommand, NotFound, NotPermitted
from services.routing.entrypoints.cases import case_router
from services.routing.entrypoints.holds import holds_router
from services.routing.entrypoints.notifications import notification_router
from services.routing.entrypoints.person_links import person_link_router
from services.routing.entrypoints.rules import rules_router
from services.routing.entrypoints.subject_access import subject_access_router
from services.routing.entrypoints.tasks import task_router
from services.routing.entrypoints.underretninger import underretning_router

_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404), (NotPermitted, 403), (InvalidCommand, 422), (ConcurrentModification, 409), (DomainError, 409)]


def create_app(container: RoutingContainer, *, manage_runtime: bool = True, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    app = service_app("Infohus routing", container.runtime, manage_runtime=manage_runtime)
    app.state.environment = container.settings.environment
    install_auth(app, auth if auth is not None else AuthSettings(), jwks_fetcher=jwks_fetcher)
    # The task and underretning paths under /api/v1/cases first: the case routes' /{case_id} would take them.
    app.include_router(task_router(container))
    app.include_router(underretning_router(container))
    app.include_router(case_router(container))
    app.include_router(person_link_router(container))
    app.include_router(rules_router(container))
    app.include_router(holds_router(container))
    # Auditors (READ_LOG_READ) list who read which case, when and why.
    app.include_router(read_log_router(container.read_log, container.runtime.sessions))
    app.include_router(notification_router(container))
    app.include_router(subject_access_router(container))

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        status = next(code for kind, code in _STATUS if isinstance(error, kind))
        return JSONResponse(status_code=status, content={"detail": str(error), "code": type(error).__name__})

    return app


def build() -> tuple[RoutingContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
