"""Intake's HTTP side: the API (``POST /api/v1/concerns``), the web forms and their assets.

Access (``infohus.kit.auth``, docs/auth.md): the API and the public form are ``Permission.PUBLIC``, but a
concern with a staff-entered channel (PHONE, EMAIL, LETTER, IN_PERSON: with a stated ``received_at``) needs a
signed-in principal holding ``Permission.CONCERN_CREATE_PHONE`` (intake staff), the partner channel (PARTNER) one
holding ``Permission.CONCERN_CREATE_PARTNER`` (a partner authority's own credentials); the user id is stored as
``recorded_by``. Intake staff register a partner authority's report that came by phone, e-mail, letter or in
person on those channels, with reporter category PARTNER_AUTHORITY.

Anonymous reporters leave no device data behind: no client address, user agent or other request
metadata is stored, logged or put on a span. The rate limiter holds only keyed hashes of client
addresses, in memory, under a salt that dies with the process.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.concern import ENTERED_CHANNELS, Channel, ConcernIn
from infohus.kit import pages
from infohus.kit.auth import (
    AuthenticationError,
    AuthSettings,
    IdentityProviderUnavailable,
    Permission,
    Principal,
    install_auth,
    require,
)
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import service_app
from infohus.kit.proxies import TrustedProxies, client_address
from infohus.kit.retention.http import retention_router
from infohus.kit.security_headers import CsrfProtection, install_security_headers
from services.intake.bootstrap import IntakeContainer, bootstrap
from services.intake.domain.model import SYSTEM
from services.intake.entrypoints import security
from services.intake.entrypoints.partner_web import PARTNER_FORM, PARTNER_MODE, is_partner_page, partner_router
from services.intake.entrypoints.problems import (
    ErrorOut,
    FieldProblem,
    problems_from_errors,
    problems_from_rules,
)
from services.intake.entrypoints.read_api import concern_router
from services.intake.entrypoints.subject_access import subject_access_router
from services.intake.entrypoints.web import (
    PUBLIC_FORM,
    STAFF_FORM,
    STAFF_MODE,
    message_page,
    refusal_page,
    web_router,
)
from services.intake.metrics import RefusalCounter
from services.intake.service_layer.submit import ConcernRejected, Receipt
from services.intake.settings import WEB_DIR

log = logging.getLogger(__name__)

API_PATH = "/api/v1/concerns"
RATE_LIMITED_PATHS = frozenset({API_PATH, PUBLIC_FORM})
STATIC_PATHS = pages.static_paths("intake")
PUBLIC_PATHS = STATIC_PATHS
"""Routes open to anyone without a ``require(...)``: the static assets (mounts). Every other route states
its rule with ``require``; the route x role test fails for a route that has none."""
STAFF_CHANNELS = ENTERED_CHANNELS
"""Channels entered after the fact (with a stated ``received_at``): they need the permission of
``CHANNEL_PERMISSION``."""
CHANNEL_PERMISSION: dict[Channel, tuple[Permission, str, str]] = {
    channel: (Permission.CONCERN_CREATE_PHONE, "intake (medarbejder i modtagelsen)", "intake (intake staff)")
    for channel in ENTERED_CHANNELS}
CHANNEL_PERMISSION[Channel.PARTNER] = (Permission.CONCERN_CREATE_PARTNER, "partner (samarbejdsmyndighed)",
                                       "partner (a partner authority)")

# The pages may load only what this origin serves: no third-party requests, no inline script. Stricter than
# the kit's default (connect-src and object-src spelt out); served by the kit's security-headers middleware.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'; object-src 'none'")


class MessageOut(BaseModel):
    id: str = Field(description="Message block id of docs/legal.md §C.3, e.g. M_ACK")
    text: str = Field(description="The text in Danish, to show the reporter as it is")


class ReceiptOut(BaseModel):
    reference: str = Field(examples=["IH-2026-7K3M-Q9PX"])
    received_at: datetime
    messages: list[MessageOut]

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        return cls(reference=receipt.reference, received_at=receipt.received_at,
                   messages=[MessageOut(id=m.id, text=m.text) for m in receipt.messages])


async def get_container(request: Request) -> IntakeContainer:
    """Async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, i.e. a thread hop per
    request and up to 40 threads, each with its own malloc arena (memory)."""
    container: IntakeContainer = request.app.state.container
    return container


ContainerDep = Annotated[IntakeContainer, Depends(get_container)]

_EXAMPLE = {
    "submission_id": "web-3f1c9a7e5b2d4c60", "channel": "WEB",
    "reporter": {"category": "CITIZEN", "name": "Anna Jensen", "email": "anna@example.org"},
    "subjects": [{"stated_age": 16, "municipality": "Ishøj"}],
    "description": "Min nabos søn taler om vold mod anderledes tænkende.",
    "warning_signs": ["IND_CONTEMPT_INTOLERANCE"], "acuteness": "ROUTINE", "crime_suspicion": False,
}


def _errors(status_code: int, problems: list[FieldProblem], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"detail": [p.as_dict() for p in problems]},
                        headers=headers)


def create_app(container: IntakeContainer, *, manage_runtime: bool = True, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    """The app. ``auth``: sign-in settings (default: ``container.settings.auth``, else INFOHUS_AUTH_*)."""
    auth_settings = auth if auth is not None else container.settings.auth_settings()
    app = service_app("Infohus intake", container.runtime, manage_runtime=manage_runtime,
                      max_body_bytes=container.settings.max_body_bytes)
    app.state.container = container
    install_auth(app, auth_settings, jwks_fetcher=jwks_fetcher, security_headers=False)
    _install_error_handlers(app)
    _mount_assets(app, container.settings.web_assets_dir)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": "intake"}

    @app.post(API_PATH, status_code=status.HTTP_201_CREATED, tags=["concerns"], response_model=ReceiptOut,
              summary="Submit a concern",
              description="Stores the concern and its ConcernSubmitted event in one transaction and answers "
                          "with the reference and the reporter messages of docs/legal.md §C.3.",
              responses={
                  200: {"model": ReceiptOut, "description": "Already received (same submission_id): the same "
                                                            "reference; nothing new is stored"},
                  201: {"description": "Received and stored"},
                  401: {"model": ErrorOut, "description": "A staff-entered channel without (valid) sign-in"},
                  403: {"model": ErrorOut, "description": "A staff-entered channel by a role other than intake, or "
                                                          "the partner channel by a role other than partner"},
                  413: {"model": ErrorOut, "description": "Body larger than the configured limit"},
                  422: {"model": ErrorOut, "description": "Invalid: each field to fix, in Danish and English"},
                  429: {"model": ErrorOut, "description": "Too many concerns from this client; see Retry-After",
                        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                    "description": "Seconds to wait"}}},
                  503: {"model": ErrorOut, "description": "The database is down: nothing was stored; try again",
                        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                    "description": "Seconds to wait"}}},
              })
    async def post_concern(body: Annotated[ConcernIn, Body(examples=[_EXAMPLE])], request: Request,
                           response: Response, c: ContainerDep,
                           principal: Annotated[Principal, require(Permission.PUBLIC)]) -> Any:
        recorded_by = SYSTEM
        if body.channel in STAFF_CHANNELS:
            refusal = await _staff_channel_refusal(request, principal, body.channel)
            if refusal is not None:
                return refusal
            recorded_by = principal.user_id
        try:
            receipt = await c.submit(body, recorded_by)
        except ConcernRejected as rejected:
            return _errors(status.HTTP_422_UNPROCESSABLE_CONTENT, problems_from_rules(rejected.problems))
        if not receipt.created:
            response.status_code = status.HTTP_200_OK
        return ReceiptOut.of(receipt)

    app.include_router(concern_router(container))
    app.include_router(subject_access_router(container))
    app.include_router(retention_router(container.retention))
    app.include_router(web_router())
    app.include_router(partner_router())
    app.add_middleware(RateLimitMiddleware, container=container)
    app.add_middleware(RefusalCounter, paths=(API_PATH, PUBLIC_FORM, STAFF_FORM, PARTNER_FORM))
    # Outermost, so that every answer carries them, the rate limiter's 429 too.
    install_security_headers(app, auth_settings.environment, csp=CONTENT_SECURITY_POLICY)
    return app


async def _staff_channel_refusal(request: Request, principal: Principal, channel: Channel) -> Response | None:
    """401/403 (what to fix, in Danish and English) unless ``principal`` may enter staff channels."""
    if not principal.authenticated:
        error: AuthenticationError | None = None
        if request.headers.get("authorization") is not None or request.cookies:
            try:  # the public rule lets bad credentials through as anonymous: say what was wrong with them
                await request.app.state.infohus_auth.authenticate(request)
            except AuthenticationError as refused:
                error = refused
        if isinstance(error, IdentityProviderUnavailable):
            return _errors(status.HTTP_503_SERVICE_UNAVAILABLE, [FieldProblem(
                "authorization", "identity_provider_unavailable",
                "Log-in er midlertidigt utilgængeligt, så henvendelsen er ikke gemt. Prøv igen om lidt.",
                "Sign-in is temporarily unavailable, so nothing was stored. Try again shortly.")],
                {"Retry-After": "30"})
        challenge = 'Bearer realm="infohus"' + (', error="invalid_token"' if error is not None else "")
        _, role_da, role_en = CHANNEL_PERMISSION[channel]
        problem = FieldProblem(
            "authorization", "invalid_credentials" if error is not None else "not_authenticated",
            (f"Dit log-in er ugyldigt eller udløbet. Log ind igen med rollen {role_da} for at "
             f"registrere en henvendelse med kanal {channel.value}." if error is not None else
             f"Henvendelser med kanal {channel.value} kræver log-in: send et gyldigt log-in "
             f"(Authorization: Bearer <token>) med rollen {role_da}, eller brug kanal WEB."),
            (f"Your sign-in is invalid or has expired. Sign in again with the role {role_en} to submit channel "
             f"{channel.value}." if error is not None else
             f"Channel {channel.value} needs a sign-in: send a valid one (Authorization: Bearer <token>) "
             f"of a user with the role {role_en}, or use channel WEB."))
        return _errors(status.HTTP_401_UNAUTHORIZED, [problem], {"WWW-Authenticate": challenge})
    permission, role_da, role_en = CHANNEL_PERMISSION[channel]
    if not principal.can(permission):
        return _errors(status.HTTP_403_FORBIDDEN, [FieldProblem(
            "channel", "forbidden",
            f"Din rolle må ikke registrere henvendelser med kanal {channel.value}. Det kræver rollen {role_da}. "
            "Log ind med en sådan bruger, eller brug kanal WEB.",
            f"Your role may not submit channel {channel.value}. That needs the role {role_en}. "
            "Sign in as such a user, or use channel WEB.")])
    if principal.session_id is not None:  # a browser session (cookie) writes only with a CSRF token
        protection: CsrfProtection = request.app.state.infohus_csrf
        await protection.verify(request)
    return None


def _mount_assets(app: FastAPI, assets_dir: Path) -> None:
    pages.mount_assets(app, name="intake", static_dir=WEB_DIR / "static", node_modules=assets_dir)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _errors(status.HTTP_422_UNPROCESSABLE_CONTENT, problems_from_errors(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        headers = dict(error.headers or {})
        codes = _problem_codes(error.detail)
        if not request.url.path.startswith("/api/"):
            if "csrf_failed" in codes:
                return message_page(request, title="Formularen er udløbet", status_code=error.status_code,
                                    paragraphs=["Af sikkerhedshensyn skal du åbne formularen igen og sende den "
                                                "på ny."],
                                    link=(PARTNER_FORM if is_partner_page(request) else STAFF_FORM,
                                          "Åbn formularen igen"))
            if codes and error.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
                return refusal_page(request, error.status_code, headers,
                                    PARTNER_MODE if is_partner_page(request) else STAFF_MODE)
            if error.status_code == status.HTTP_404_NOT_FOUND:
                return message_page(request, title="Siden findes ikke", status_code=404,
                                    paragraphs=["Tjek adressen. Vil du fortælle os om en bekymring, så brug "
                                                "formularen."], link=(PUBLIC_FORM, "Gå til formularen"),
                                    show_acute=True)
            return message_page(request, title="Det kan vi ikke gøre her", status_code=error.status_code,
                                paragraphs=["Gå tilbage til formularen, og prøv igen."],
                                link=(PUBLIC_FORM, "Gå til formularen"), headers=headers)
        if codes:  # the kit's answers (sign-in, CSRF) already name the field to fix in Danish and English
            return JSONResponse(status_code=error.status_code, content={"detail": error.detail}, headers=headers)
        if error.status_code == status.HTTP_400_BAD_REQUEST and request.url.path == API_PATH:
            # FastAPI's answer to a body it cannot even decode (e.g. not UTF-8): invalid JSON, like any other.
            return _errors(status.HTTP_422_UNPROCESSABLE_CONTENT, problems_from_errors([{"type": "json_invalid"}]))
        if error.status_code == status.HTTP_404_NOT_FOUND:
            problem = FieldProblem("path", "not_found", f"Adressen findes ikke. Send henvendelser med POST {API_PATH}.",
                                   f"No such resource. Submit concerns with POST {API_PATH}.")
        elif error.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            allowed = headers.get("Allow", "")
            problem = FieldProblem("method", "method_not_allowed", f"Metoden er ikke tilladt her. Brug: {allowed}.",
                                   f"Method not allowed here. Use: {allowed}.")
        else:
            problem = FieldProblem("body", "http_error", "Forespørgslen kan ikke behandles.",
                                   f"The request cannot be handled: {error.detail}")
        return _errors(error.status_code, [problem], headers)


def _problem_codes(detail: Any) -> set[str]:
    """The codes of a detail in the shape ``[{field, code, message_da, message_en}]`` (the kit's), else empty."""
    if not isinstance(detail, list) or not all(isinstance(p, dict) and "message_da" in p for p in detail):
        return set()
    return {str(p.get("code")) for p in detail}


class RateLimitMiddleware:
    """429 for a public client over its rate on the public POST endpoints, before the body is read."""

    def __init__(self, app: ASGIApp, container: IntakeContainer) -> None:
        self.app = app
        self.container = container
        self.proxies = TrustedProxies(container.settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in RATE_LIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key = security.client_key(self.container.client_key_salt, self._client(scope))
        verdict = self.container.limiter.take(key)
        if verdict.allowed:
            await self.app(scope, receive, send)
            return
        headers = {"Retry-After": str(verdict.retry_after_s)}
        wait = verdict.retry_after_s
        if scope["path"] == API_PATH:
            response: Response = _errors(status.HTTP_429_TOO_MANY_REQUESTS, [FieldProblem(
                "body", "rate_limited",
                f"Der er sendt mange henvendelser på kort tid. Vent {wait} sekunder, og prøv igen. "
                "Er nogen i akut fare, så ring 112.",
                f"Too many concerns from this client in a short time. Wait {wait} seconds and try again.")],
                headers)
        else:
            response = message_page(Request(scope), title="Vent lidt, og prøv igen", status_code=429,
                                    paragraphs=[f"Der er sendt mange henvendelser herfra på kort tid. Vent {wait} "
                                                "sekunder, og tryk så på tilbage-knappen og send igen. Dine svar "
                                                "er måske stadig udfyldt."],
                                    show_acute=True, show_contacts=True, headers=headers)
        await response(scope, receive, send)


    def _client(self, scope: Scope) -> str:
        # A forwarded address counts only when the TCP peer is one of INFOHUS_INTAKE_TRUSTED_PROXIES (the
        # ingress); then the right-most address the proxies did not add is the client.
        header = (self.container.settings.rate_limit_client_header or "x-forwarded-for").lower()
        return client_address(scope, self.proxies, header.encode("latin-1"))


def build() -> tuple[IntakeContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
