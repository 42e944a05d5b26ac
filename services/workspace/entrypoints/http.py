"""The staff workspace: one Danish web application where tovholdere and StraXen do their job.

It owns no domain data. Each page calls the owning services (routing, intake) with the signed-in user's
credential, so those services decide who may read what and write the read-access log. Server-rendered
with Det Fælles Designsystem; every page works without JavaScript.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from infohus.kit import pages
from infohus.kit.auth import (
    AuthSettings,
    InMemorySessionStore,
    Permission,
    Principal,
    SessionStore,
    SqlSessionStore,
    install_auth,
    require,
)
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import NO_NATIVE_TELEMETRY, BodySizeLimitMiddleware, TracingMiddleware
from infohus.kit.telemetry import configure_telemetry
from services.workspace.adapters.administration import NotifyApi
from services.workspace.adapters.services import (
    ApiError,
    AuditApi,
    IntakeApi,
    RoutingApi,
    ServiceClient,
    ServiceUnavailable,
    SignInRequired,
)
from services.workspace.entrypoints import (
    administration,
    cases,
    disclosures,
    person_links,
    retention,
    subject_access,
    underretninger,
)
from services.workspace.entrypoints.rendering import message, principal_of
from services.workspace.settings import WEB_DIR, WorkspaceSettings, participant_names

log = logging.getLogger(__name__)
STATIC_PATHS = pages.static_paths("workspace")
LOGIN = "/auth/login"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(settings: WorkspaceSettings | None = None, *, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None, transport: httpx.AsyncBaseTransport | None = None,
               clock: Callable[[], datetime] = _utcnow) -> FastAPI:
    settings = settings or WorkspaceSettings()

    store = _session_store(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(store, SqlSessionStore):
            await store.create_table()
        purging = asyncio.create_task(_purge_ended_sessions(app, settings.session_purge_interval_s))
        async with httpx.AsyncClient(timeout=settings.api_timeout_s, transport=transport) as client:
            app.state.routing = RoutingApi(ServiceClient(client, settings.routing_url))
            app.state.intake = IntakeApi(ServiceClient(client, settings.intake_url))
            app.state.audit = AuditApi(ServiceClient(client, settings.audit_url))
            app.state.notify = NotifyApi(client, settings.notify_url)
            yield
        purging.cancel()
        if isinstance(store, SqlSessionStore):
            await store.engine.dispose()

    app = FastAPI(title="Infohus workspace", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, telemetry=NO_NATIVE_TELEMETRY)
    app.state.settings = settings
    app.state.infohus_service = "workspace"  # the HTTP metrics' service attribute
    configure_telemetry("workspace", settings.telemetry)
    app.state.participants = participant_names(settings.municipality_config)
    app.state.clock = clock
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=200_000)
    app.add_middleware(TracingMiddleware)
    install_auth(app, auth if auth is not None else settings.auth_settings(), jwks_fetcher=jwks_fetcher,
                 session_store=store)
    _mount_assets(app, settings)
    _health(app)
    app.include_router(cases.router)
    app.include_router(person_links.router)
    app.include_router(disclosures.router)
    app.include_router(underretninger.router)
    app.include_router(administration.router)
    app.include_router(subject_access.router)
    app.include_router(retention.router)
    _home(app)
    _errors(app)
    return app


async def _purge_ended_sessions(app: FastAPI, interval_s: float) -> None:
    """Deletes ended sessions (and the tokens they hold) now and then; a failed round is tried next time."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            deleted = await app.state.infohus_auth.session_manager.purge()
        except Exception:  # the store is unreachable now: the next round tries again
            log.warning("could not delete ended sessions; trying again later", exc_info=True)
        else:
            log.info("deleted %d ended sessions", deleted)


def _session_store(settings: WorkspaceSettings) -> SessionStore:
    if settings.session_database_url is None:
        return InMemorySessionStore()
    return SqlSessionStore(create_async_engine(settings.session_database_url, pool_pre_ping=True))


def _mount_assets(app: FastAPI, settings: WorkspaceSettings) -> None:
    pages.mount_assets(app, name="workspace", static_dir=WEB_DIR / "static", node_modules=settings.web_assets_dir)


def _health(app: FastAPI) -> None:
    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> dict[str, str]:
        return {"status": "ok"}


def _home(app: FastAPI) -> None:
    @app.get("/", dependencies=[require(Permission.PUBLIC)])
    async def home(request: Request) -> Response:
        principal: Principal = principal_of(request)
        if not principal.authenticated:
            return RedirectResponse(f"{LOGIN}?next=/", status_code=303)
        if principal.can(Permission.CASE_READ):
            return RedirectResponse("/sager", status_code=303)
        if principal.can(Permission.UNDERRETNING_READ):
            return RedirectResponse("/underretninger", status_code=303)
        return message(request, "Ingen opgaver her", [
            "Din rolle har ingen sider i sagsbehandlingen. Revisorer bruger revisionssiderne, "
            "modtagelsen bruger personaleformularen."], 200)


def _sign_in_first(request: Request) -> Response:
    """Sign-in first, then back to the page asked for (a form's page after a POST)."""
    target = request.url.path if request.method == "GET" else request.url.path.rsplit("/", 2)[0]
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return RedirectResponse(f"{LOGIN}?next={quote(target, safe='/')}", status_code=303)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/auth/") or not _wants_page(request):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                                headers=getattr(error, "headers", None))
        if error.status_code == 401:
            return _sign_in_first(request)
        if error.status_code == 403:
            return message(request, "Ingen adgang", ["Din rolle giver ikke adgang til denne side."], 403,
                           link=("/", "Gå til forsiden"))
        if error.status_code == 404:
            return message(request, "Siden findes ikke", ["Tjek adressen, eller gå til forsiden."], 404,
                           link=("/", "Gå til forsiden"))
        return message(request, "Der skete en fejl", ["Prøv igen."], error.status_code)

    @app.exception_handler(SignInRequired)
    async def _expired(request: Request, _error: SignInRequired) -> Response:
        return _sign_in_first(request)

    @app.exception_handler(ApiError)
    async def _refused(request: Request, error: ApiError) -> Response:
        if error.status == 404:
            return message(request, "Findes ikke", ["Sagen eller underretningen findes ikke, eller du har ikke "
                                                    "adgang til den."], 404, link=("/", "Gå til forsiden"))
        if error.status == 403:
            return message(request, "Ingen adgang", ["Din rolle giver ikke adgang til dette."], 403,
                           link=("/", "Gå til forsiden"))
        return message(request, "Forespørgslen blev afvist", ["Tjek det indtastede og prøv igen."], 422,
                       link=("/", "Gå til forsiden"))

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, _error: ServiceUnavailable) -> Response:
        return message(request, "Infohus svarer ikke lige nu", [
            "En del af systemet kan ikke nås. Dine oplysninger er ikke ændret. Prøv igen om lidt."], 503,
            link=(request.url.path, "Prøv igen"))


def _wants_page(request: Request) -> bool:
    return "application/json" not in request.headers.get("accept", "")


def build() -> tuple[WorkspaceSettings, FastAPI]:
    settings = WorkspaceSettings()
    return settings, create_app(settings)
