"""HTTP pieces every service shares: health endpoints, request tracing and timing, body limits, error shapes.

The tracing middleware records method, route and status only: never client address, user agent or
any other device data (anonymous reporters must leave none behind). Its request duration metric names
the route's template, never the path as requested.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infohus.kit.db import is_dependency_unavailable
from infohus.kit.metrics import request_finished
from infohus.kit.runtime import ServiceRuntime
from infohus.kit.settings import Environment

tracer = trace.get_tracer("infohus.http")


# FastAPI's own telemetry would add spans with the query string (an auditor's query names a person), log
# records of validation errors with the values sent, and several spans per request besides ours.
# ``TracingMiddleware`` traces every request with method, path and status only.
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False,
                                        "operation_spans": False, "auto_configure": False}


def service_app(title: str, runtime: ServiceRuntime, *, manage_runtime: bool = True,
                max_body_bytes: int = 1_000_000) -> FastAPI:
    """A FastAPI app whose lifespan migrates (if configured), starts and stops the service runtime."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.migrate_if_configured()
            await runtime.start()
        yield
        if manage_runtime:
            await runtime.stop()

    described = api_description_served(runtime.settings.environment)
    app = FastAPI(title=title, version="1", lifespan=lifespan, telemetry=NO_NATIVE_TELEMETRY,
                  openapi_url="/openapi.json" if described else None, docs_url="/docs" if described else None,
                  redoc_url="/redoc" if described else None)
    app.state.infohus_service = runtime.name
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(TracingMiddleware)
    install_error_handlers(app)
    app.include_router(health_router(runtime))
    return app


API_DESCRIPTION_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def api_description_served(environment: Environment) -> bool:
    """``/openapi.json``, ``/docs`` and ``/redoc`` exist in development and test only: in production they
    would tell anyone every route and parameter (the documents are in the repository for those who need them)."""
    return environment is not Environment.PRODUCTION


def remove_api_description(app: FastAPI) -> None:
    """Drops the API description routes FastAPI added by itself (for apps not built by :func:`service_app`)."""
    app.openapi_url = app.docs_url = app.redoc_url = None
    app.router.routes[:] = [route for route in app.router.routes
                            if getattr(route, "path", None) not in API_DESCRIPTION_PATHS]


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready", responses={503: {"description": "Not ready"}})
    async def ready() -> JSONResponse:
        body = {"status": "ok" if runtime.ready else "starting", "broker": runtime.ready}
        return JSONResponse(body, status_code=200 if runtime.ready else 503)

    return router


class TracingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                   if k in (b"traceparent", b"tracestate")}
        name = f"{scope['method']} {scope['path']}"
        status = 500  # unless a response starts: an exception became the server error handler's 500
        started = time.perf_counter()
        with tracer.start_as_current_span(name, context=propagate.extract(carrier), kind=SpanKind.SERVER,
                                          attributes={"http.request.method": scope["method"]}) as span:

            async def send_with_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                await send(message)

            try:
                await self.app(scope, receive, send_with_status)
            finally:
                request_finished(_service_of(scope), scope["method"], route_template(scope), status,
                                 time.perf_counter() - started)


def route_template(scope: Scope) -> str | None:
    """The template of the route that handled the request (``/api/v1/cases/{case_id}``); None if none did."""
    template = getattr(scope.get("route"), "path_format", None)  # a mount's ends in /{path}
    return template if isinstance(template, str) else None


def _service_of(scope: Scope) -> str:
    app = scope.get("app")
    return str(getattr(getattr(app, "state", None), "infohus_service", "unknown"))


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413 before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(self.max_bytes)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(max_bytes: int) -> JSONResponse:
    return JSONResponse(status_code=413, content={"detail": [{
        "field": "body", "code": "too_large",
        "message_da": f"Henvendelsen er for stor. Den må højst fylde {max_bytes} bytes.",
        "message_en": f"The request body is too large. At most {max_bytes} bytes are accepted.",
    }]})


_DANISH = {
    "missing": "Feltet skal udfyldes.",
    "extra_forbidden": "Feltet kendes ikke og må ikke sendes med.",
    "string_too_short": "Teksten er for kort.",
    "string_too_long": "Teksten er for lang.",
    "string_pattern_mismatch": "Værdien har ikke det rigtige format.",
    "enum": "Værdien er ikke en af de tilladte.",
    "value_error": "Værdien er ugyldig.",
    "int_parsing": "Skal være et helt tal.",
    "bool_parsing": "Skal være sand eller falsk.",
    "datetime_parsing": "Skal være et tidspunkt (ISO 8601) med tidszone, fx 2026-11-22T14:05:00+01:00.",
    "datetime_from_date_parsing": "Skal være et tidspunkt (ISO 8601) med tidszone.",
    "date_from_datetime_parsing": "Skal være en dato (ÅÅÅÅ-MM-DD).",
    "date_parsing": "Skal være en dato (ÅÅÅÅ-MM-DD).",
    "greater_than_equal": "Tallet er for lille.",
    "less_than_equal": "Tallet er for stort.",
    "too_short": "Der skal være mindst én.",
    "too_long": "Der er for mange.",
    "json_invalid": "Indholdet er ikke gyldig JSON.",
    "model_attributes_type": "Skal være et objekt.",
    "list_type": "Skal være en liste.",
}


def field_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic errors as field, code and a message in Danish and English, without echoing the input."""
    out = []
    for error in errors:
        location = [str(part) for part in error["loc"] if part not in ("body",)]
        english = error["msg"]
        danish = _DANISH.get(error["type"], "Værdien er ugyldig.")
        if error["type"] == "value_error":
            danish = f"Værdien er ugyldig: {english.removeprefix('Value error, ')}"
        out.append({"field": ".".join(location) or "body", "code": error["type"],
                    "message_da": danish, "message_en": english})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(error.errors())})

    async def _unavailable(_request: Request, _error: Exception) -> JSONResponse:
        # Nothing was stored; the driver's message is not echoed (it can quote SQL parameters).
        return JSONResponse(status_code=503, headers={"Retry-After": "5"}, content={"detail": [{
            "field": "body", "code": "temporarily_unavailable",
            "message_da": "Vi kan ikke tage imod henvendelser lige nu. Prøv igen om lidt. "
                          "Er nogen i akut fare, så ring 112.",
            "message_en": "We cannot receive concerns right now. Please try again in a moment. "
                          "If anyone is in immediate danger, call 112.",
        }]})

    async def _database_error(request: Request, error: Exception) -> JSONResponse:
        if is_dependency_unavailable(error):
            return await _unavailable(request, error)
        raise error  # a real fault: the server error handler answers 500 without the driver's message

    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(OSError, _unavailable)  # e.g. asyncpg cannot connect at all
