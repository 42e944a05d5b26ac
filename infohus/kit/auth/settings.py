"""Sign-in settings, shared by every service (prefix ``INFOHUS_AUTH_``).

Production signs in through OpenID Connect: JWT bearer tokens checked against the identity provider's
JWKS, and (``OIDC_BROWSER_LOGIN``) a browser sign-in with server-side sessions. ``make run`` may use the
built-in development login instead; that mode is refused when ``INFOHUS_ENVIRONMENT=production``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infohus.kit.auth.roles import Role
from infohus.kit.settings import Environment

ASYMMETRIC_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
})
"""The only JWS algorithms a token may be signed with: never ``none``, never a shared-secret HS*."""

DEVELOPMENT_SESSION_SECRET = "infohus-development-session-secret-not-for-production"  # noqa: S105
DEVELOPMENT_MUNICIPALITIES = frozenset({"183"})
"""Ishøj: the municipality of development and test installations unless ``DEFAULT_MUNICIPALITIES`` says
otherwise."""
DEVELOPMENT_PASSWORD = "infohus-udvikling"  # noqa: S105 - printed in docs/auth.md on purpose


class AuthMode(StrEnum):
    OIDC = "oidc"
    DEVELOPMENT = "development"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_AUTH_", extra="ignore")

    environment: Environment = Field(
        default=Environment.PRODUCTION,
        validation_alias=AliasChoices("INFOHUS_ENVIRONMENT", "environment"),
    )
    mode: AuthMode = AuthMode.OIDC

    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    oidc_leeway_s: int = Field(default=30, ge=0, le=300)
    oidc_jwks_cache_s: float = Field(default=300.0, gt=0)
    oidc_jwks_min_refresh_s: float = Field(default=30.0, ge=0)
    oidc_http_timeout_s: float = Field(default=5.0, gt=0)
    roles_claim: str = "roles"
    """Claim holding the roles; a dotted path reaches into objects (``realm_access.roles``)."""
    role_mapping: dict[str, Role] = Field(default_factory=dict)
    """Claim value -> role, e.g. ``{"infohus-tovholder-kommune": "tovholder_municipal"}`` (JSON in the
    environment). Empty: the claim carries the role names themselves."""
    user_id_claim: str = "sub"
    municipality_claim: str = "municipality"
    """Claim holding the user's municipality codes (a string, or a list of strings); a dotted path reaches
    into objects."""
    default_municipalities: list[str] | None = None
    """The municipalities of a user whose token has no ``MUNICIPALITY_CLAIM``, and of every development user
    (JSON list in the environment, e.g. ``["183"]``). An installation serving one municipality sets it, so
    its tokens need no new claim. Unset: none in production; Ishøj (``183``) in development and test."""
    name_claim: str = "name"

    oidc_browser_login: bool = False
    """Mount the browser sign-in (``/auth/login``, ``/auth/callback``, ``/auth/logout``) in ``oidc`` mode."""
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    """For a confidential client (``client_secret_basic``); without it the client is public (PKCE only)."""
    oidc_discovery_url: str | None = None
    """Default ``{issuer}/.well-known/openid-configuration``."""
    oidc_redirect_url: str | None = None
    """Default: ``/auth/callback`` on the host the request came to."""
    oidc_post_logout_redirect_url: str | None = None
    """Where the provider sends the browser after its logout. Default: ``/`` on the request's host."""
    oidc_scopes: str = "openid profile email"
    oidc_roles_from: Literal["access_token", "id_token"] = "access_token"
    """Which token's claims give the session its user id, name and roles. ``access_token``: the access token,
    checked like a bearer token (issuer, ``OIDC_AUDIENCE``, JWKS), so the session has the roles the
    downstream services will see; ``id_token``: the ID token (for providers whose access tokens are opaque)."""

    session_secret: SecretStr | None = None
    """Signs session cookies and CSRF tokens; required in production (at least 32 characters)."""
    session_max_age_s: int = Field(default=8 * 3600, gt=0)
    """Absolute lifetime of a session (and of a development token)."""
    session_idle_timeout_s: int = Field(default=30 * 60, gt=0)
    """A session unused this long has ended."""
    cookie_secure: bool = True
    cookie_samesite: Literal["lax", "strict"] = "lax"
    login_rate_per_minute: float = Field(default=5.0, gt=0)
    login_burst: int = Field(default=5, ge=1)
    dev_password: SecretStr = SecretStr(DEVELOPMENT_PASSWORD)

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = [alg for alg in value if alg not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(f"algorithms not allowed (asymmetric signatures only): {refused}")
        if not value:
            raise ValueError("at least one algorithm is needed")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> AuthSettings:
        problems = []
        if self.mode is AuthMode.DEVELOPMENT and self.environment is Environment.PRODUCTION:
            problems.append("the development login (INFOHUS_AUTH_MODE=development) is refused in production")
        if self.environment is Environment.PRODUCTION:
            if self.mode is AuthMode.OIDC and not self.oidc_configured:
                problems.append("INFOHUS_AUTH_OIDC_ISSUER, _OIDC_AUDIENCE and _OIDC_JWKS_URL are required")
            if self.oidc_jwks_url and not self.oidc_jwks_url.startswith("https://"):
                problems.append("INFOHUS_AUTH_OIDC_JWKS_URL must use https in production")
            secret = self.session_secret.get_secret_value() if self.session_secret else ""
            if len(secret) < 32 or secret == DEVELOPMENT_SESSION_SECRET:
                problems.append("INFOHUS_AUTH_SESSION_SECRET of at least 32 characters is required")
            if not self.cookie_secure:
                problems.append("INFOHUS_AUTH_COOKIE_SECURE must be true in production")
            problems.extend(self._browser_login_problems_in_production())
        if self.mode is AuthMode.OIDC and self.oidc_browser_login and not (self.oidc_client_id and self.oidc_issuer):
            problems.append("the browser sign-in (INFOHUS_AUTH_OIDC_BROWSER_LOGIN) needs INFOHUS_AUTH_OIDC_ISSUER "
                            "and INFOHUS_AUTH_OIDC_CLIENT_ID")
        if problems:
            raise ValueError("unsafe sign-in settings: " + "; ".join(problems))
        return self

    def _browser_login_problems_in_production(self) -> list[str]:
        if self.mode is not AuthMode.OIDC or not self.oidc_browser_login:
            return []
        urls = {"OIDC_ISSUER": self.oidc_issuer, "OIDC_DISCOVERY_URL": self.oidc_discovery_url,
                "OIDC_REDIRECT_URL": self.oidc_redirect_url,
                "OIDC_POST_LOGOUT_REDIRECT_URL": self.oidc_post_logout_redirect_url}
        return [f"INFOHUS_AUTH_{name} must use https in production"
                for name, url in urls.items() if url and not url.startswith("https://")]

    @property
    def browser_login_enabled(self) -> bool:
        return self.mode is AuthMode.OIDC and self.oidc_browser_login

    @property
    def discovery_url(self) -> str:
        if self.oidc_discovery_url:
            return self.oidc_discovery_url
        if not self.oidc_issuer:
            raise RuntimeError("INFOHUS_AUTH_OIDC_ISSUER is not set")
        return self.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_audience and self.oidc_jwks_url)

    def secret(self) -> str:
        """The signing secret; outside production a fixed development secret when none is set, so the
        four services of ``make run`` accept each other's session cookies."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        if self.environment is Environment.PRODUCTION:
            raise RuntimeError("INFOHUS_AUTH_SESSION_SECRET is required in production")
        return DEVELOPMENT_SESSION_SECRET

    @property
    def fallback_municipalities(self) -> frozenset[str]:
        """``DEFAULT_MUNICIPALITIES``, or its environment's default when unset."""
        if self.default_municipalities is not None:
            return frozenset(self.default_municipalities)
        if self.environment is Environment.PRODUCTION:
            return frozenset()
        return DEVELOPMENT_MUNICIPALITIES

    def map_role(self, value: str) -> Role | None:
        if self.role_mapping:
            return self.role_mapping.get(value)
        try:
            return Role(value)
        except ValueError:
            return None
