"""Helpers for services' tests: a fake identity provider, role credentials and the route × role table.

    idp = FakeIdentityProvider()            # install_auth(app, idp.settings(), jwks_fetcher=idp.fetch)
    cookies, headers = csrf_credentials(app)
    client.cookies.update(cookies)          # the client's base_url must be https (``__Host-`` cookie)
    for case in authorization_cases(app, public={"/api/v1/concerns"}):  # or parametrize over them
        response = await client.request(case.method, case.path, headers=headers | idp.headers_for(case.role))
        case.check(response.status_code)
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from infohus.kit.auth.dev_users import SERVICE_NAMES, DevSessions, dev_user_for
from infohus.kit.auth.roles import Role
from infohus.kit.auth.route_rules import RouteRule, assert_every_route_has_a_rule
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.security_headers import CSRF_HEADER, CsrfProtection
from infohus.kit.settings import Environment

TEST_ISSUER = "https://login.example.invalid/realms/infohus"
TEST_AUDIENCE = "infohus-api"
TEST_JWKS_URL = "https://login.example.invalid/realms/infohus/protocol/openid-connect/certs"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class FakeIdentityProvider:
    """An OIDC provider in-process: a signing key, its JWKS, a fetcher for it and a token minter."""

    algorithm: str = "RS256"
    kid: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    jwks_url: str = TEST_JWKS_URL
    fetches: int = 0
    available: bool = True
    extra_keys: list[dict[str, Any]] = field(default_factory=list)

    fresh_key: bool = False
    """False: reuse one key per algorithm within the process (RSA key generation is slow)."""

    def __post_init__(self) -> None:
        if self.fresh_key:
            self.private_key = new_private_key(self.algorithm)
        else:
            self.private_key = shared_private_key(self.algorithm)

    @property
    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key, self.algorithm, self.kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk, *self.extra_keys]}

    async def fetch(self, url: str) -> dict[str, Any]:
        """The JWKS fetcher to inject (``install_auth(app, settings, jwks_fetcher=idp.fetch)``)."""
        self.fetches += 1
        if not self.available or url != self.jwks_url:
            raise ConnectionError("identity provider unavailable")
        return self.jwks()

    def settings(self, **overrides: Any) -> AuthSettings:
        values: dict[str, Any] = {
            "environment": Environment.TEST, "mode": AuthMode.OIDC, "oidc_issuer": self.issuer,
            "oidc_audience": self.audience, "oidc_jwks_url": self.jwks_url, "cookie_secure": True,
            "session_secret": "test-secret-" + "x" * 32,
        }
        return AuthSettings(**(values | overrides))

    def claims(self, *, roles: Iterable[str] = (), subject: str = "bruger-1", lifetime_s: int = 300,
               now: float | None = None, **extra: Any) -> dict[str, Any]:
        issued = int(time.time() if now is None else now)
        return {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": issued, "nbf": issued,
                "exp": issued + lifetime_s, "name": f"Test {subject}", "roles": list(roles)} | extra

    def token(self, *, roles: Iterable[str] = (), headers: Mapping[str, Any] | None = None,
              key: Any = None, algorithm: str | None = None, claims: Mapping[str, Any] | None = None,
              **claim_options: Any) -> str:
        payload = self.claims(roles=roles, **claim_options) | dict(claims or {})
        return jwt.encode(payload, key or self.private_key, algorithm=algorithm or self.algorithm,
                          headers={"kid": self.kid, **(headers or {})})

    def headers_for(self, role: Role | None) -> dict[str, str]:
        """Credentials for one role, or none for ``None``."""
        if role is None:
            return {}
        return {"authorization": f"Bearer {self.token(roles=[role.value], subject=f'test-{role.value}')}"}


@functools.lru_cache(maxsize=8)
def shared_private_key(algorithm: str) -> Any:
    return new_private_key(algorithm)


def new_private_key(algorithm: str) -> Any:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
    return ec.generate_private_key(curves[algorithm])


def public_jwk(private_key: Any, algorithm: str, kid: str) -> dict[str, Any]:
    if algorithm == "EdDSA":
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(private_key.public_key()))
    elif algorithm.startswith(("RS", "PS")):
        jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    else:
        jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    return jwk | {"kid": kid, "alg": algorithm, "use": "sig"}


def dev_headers_for(settings: AuthSettings, role: Role | None,
                    audience: Iterable[str] = SERVICE_NAMES) -> dict[str, str]:
    """Development-mode credentials (a signed session token as bearer) for the seeded user of ``role``,
    valid on the services in ``audience`` (default: every service)."""
    if role is None:
        return {}
    token = DevSessions(settings).issue(dev_user_for(role), audience=audience)
    return {"authorization": f"Bearer {token}"}


_SAMPLES: dict[Any, str] = {uuid.UUID: "00000000-0000-4000-8000-000000000001", int: "1", float: "1",
                            date: "2026-01-02", datetime: "2026-01-02T03:04:05+00:00"}


def sample_path(rule: RouteRule) -> str:
    """The route's path with each path parameter filled by a well-formed sample of its type."""
    path = rule.path
    if rule.dependant is not None:
        for param in rule.dependant.path_params:
            sample = _SAMPLES.get(param.field_info.annotation, "x")
            path = path.replace("{" + param.name + "}", sample)
            path = path.replace("{" + param.name + ":path}", sample)
    return path


@dataclass(frozen=True)
class AuthCase:
    method: str
    path: str
    role: Role | None
    rule: RouteRule

    @property
    def expected_refusal(self) -> int | None:
        return self.rule.expected_refusal(self.role)

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule.path} as {self.role.value if self.role else 'anonymous'}"

    def check(self, status: int) -> None:
        """401/403 exactly when the matrix says so; any other answer means the rule let the caller in."""
        expected = self.expected_refusal
        if expected is not None:
            assert status == expected, f"{self.id}: expected {expected}, got {status}"
        else:
            assert status not in (401, 403), f"{self.id}: expected to be let in, got {status}"


def csrf_credentials(app: FastAPI) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers carrying a valid CSRF token (for requests without a browser session), so a
    route × role table reaches the access rule of form endpoints too."""
    protection: CsrfProtection = app.state.infohus_csrf
    nonce = secrets.token_urlsafe(32)
    return {protection.cookie_name: nonce}, {CSRF_HEADER: protection.issue(nonce)}


def authorization_cases(app: FastAPI, public: Iterable[str] = ()) -> list[AuthCase]:
    """Every API route × every role and anonymous; fails first if a route states no rule."""
    rules = assert_every_route_has_a_rule(app, public)
    cases = []
    for rule in rules:
        if not rule.is_api_route:
            continue
        for method in sorted(rule.methods - {"HEAD"}):
            for role in (None, *Role):
                cases.append(AuthCase(method, sample_path(rule), role, rule))
    return cases
