"""Web hardening every service shares: security headers and CSRF tokens for forms.

``SecurityHeadersMiddleware`` sets a strict Content-Security-Policy (no inline scripts or styles),
``X-Content-Type-Options``, ``Referrer-Policy: no-referrer``, a Permissions-Policy, framing refusal,
``Cache-Control: no-store`` (pages carry personal data) and, in production only, HSTS. A header a
route sets itself is left alone.

CSRF uses signed double-submit tokens: a random nonce in an HTTP-only cookie, and in every form a token
signed with the service secret that names the nonce (and the browser session, when there is one).
A cross-site attacker can neither read the token nor mint one. In a Jinja2 template::

    <form method="post">{{ csrf_input(request) }} ... </form>

and on the handler ``dependencies=[Depends(verify_csrf)]``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infohus.kit.settings import Environment

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), browsing-topics=()"
)
HSTS = "max-age=63072000; includeSubDomains"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_STATE_NEW_NONCE = "infohus.csrf.new_nonce"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False, csp: str = CONTENT_SECURITY_POLICY,
                 cache_control: str | None = "no-store") -> None:
        self.app = app
        self.headers: list[tuple[str, str]] = [
            ("content-security-policy", csp),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("permissions-policy", PERMISSIONS_POLICY),
            ("x-frame-options", "DENY"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
        ]
        if cache_control:
            self.headers.append(("cache-control", cache_control))
        if hsts:
            self.headers.append(("strict-transport-security", HSTS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, environment: Environment, **options: Any) -> None:
    """Security headers on every response; HSTS only when ``environment`` is production."""
    app.add_middleware(SecurityHeadersMiddleware, hsts=environment is Environment.PRODUCTION, **options)


class CsrfProtection:
    """Issues and checks CSRF tokens. ``session_binding`` names the browser session of a request
    (empty when there is none), so a token stops working when the session changes."""

    def __init__(self, secret: str, *, secure: bool = True, max_age_s: int = 8 * 3600,
                 session_binding: Callable[[Request], str] | None = None) -> None:
        if not secret:
            raise ValueError("a CSRF secret is required")
        self._serializer = URLSafeTimedSerializer(secret, salt="infohus.csrf")
        self.secure = secure
        self.max_age_s = max_age_s
        self.cookie_name = "__Host-infohus_csrf" if secure else "infohus_csrf"
        self._binding = session_binding or (lambda _request: "")

    def install(self, app: FastAPI) -> None:
        app.state.infohus_csrf = self
        app.add_middleware(CsrfCookieMiddleware, protection=self)

    def token(self, request: Request) -> str:
        return self.issue(self._nonce(request), self._binding(request))

    def issue(self, nonce: str, binding: str = "") -> str:
        """The token for a nonce cookie value and a session binding (tests use this directly)."""
        return self._serializer.dumps([_digest(nonce), _digest(binding)])

    def valid(self, request: Request, submitted: str | None) -> bool:
        nonce = request.cookies.get(self.cookie_name)
        if not submitted or not nonce or len(submitted) > 512:
            return False
        try:
            payload = self._serializer.loads(submitted, max_age=self.max_age_s)
        except BadSignature:
            return False
        if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(p, str) for p in payload)):
            return False
        nonce_ok = hmac.compare_digest(payload[0], _digest(nonce))
        binding_ok = hmac.compare_digest(payload[1], _digest(self._binding(request)))
        return nonce_ok and binding_ok

    async def verify(self, request: Request) -> None:
        """Raises 403 unless an unsafe request carries a valid token (form field or header)."""
        if request.method in SAFE_METHODS:
            return
        submitted = request.headers.get(CSRF_HEADER)
        content_type = request.headers.get("content-type", "")
        if submitted is None and content_type.startswith(("application/x-www-form-urlencoded",
                                                          "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
        if not self.valid(request, submitted):
            raise HTTPException(403, detail=[{
                "field": CSRF_FIELD, "code": "csrf_failed",
                "message_da": "Formularen er udløbet eller ugyldig. Genindlæs siden og prøv igen.",
                "message_en": "The form has expired or is invalid. Reload the page and try again.",
            }])

    def _nonce(self, request: Request) -> str:
        existing = request.cookies.get(self.cookie_name)
        if existing and 20 <= len(existing) <= 100:
            return existing
        state = request.scope.setdefault("state", {})
        if _STATE_NEW_NONCE not in state:
            state[_STATE_NEW_NONCE] = secrets.token_urlsafe(32)
        nonce: str = state[_STATE_NEW_NONCE]
        return nonce

    def cookie_header(self, nonce: str) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[self.cookie_name] = nonce
        morsel = cookie[self.cookie_name]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Strict"
        morsel["max-age"] = str(self.max_age_s)
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


class CsrfCookieMiddleware:
    """Sets the CSRF nonce cookie on the response of a request that issued the first token."""

    def __init__(self, app: ASGIApp, protection: CsrfProtection) -> None:
        self.app = app
        self.protection = protection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and _STATE_NEW_NONCE in state:
                MutableHeaders(scope=message).append("set-cookie",
                                                     self.protection.cookie_header(state[_STATE_NEW_NONCE]))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _protection(request: Request) -> CsrfProtection:
    protection: CsrfProtection | None = getattr(request.app.state, "infohus_csrf", None)
    if protection is None:
        raise RuntimeError("CSRF protection is not installed: call install_auth(app) or "
                           "CsrfProtection.install(app)")
    return protection


def csrf_token(request: Request) -> str:
    """A CSRF token for a form on the page being rendered for ``request``."""
    return _protection(request).token(request)


def csrf_input(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token, for Jinja2 templates."""
    field = Markup('<input type="hidden" name="{}" value="{}">')
    return field.format(CSRF_FIELD, escape(csrf_token(request)))


async def verify_csrf(request: Request) -> None:
    """FastAPI dependency: 403 unless a POST/PUT/PATCH/DELETE carries a valid CSRF token."""
    await _protection(request).verify(request)


def csrf_template_globals() -> dict[str, Any]:
    """``templates.env.globals.update(csrf_template_globals())`` makes ``csrf_input(request)`` available."""
    return {"csrf_token": csrf_token, "csrf_input": csrf_input}
