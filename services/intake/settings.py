from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from infohus.kit.auth import AuthSettings
from infohus.kit.retention.settings import AccessLogRetention
from infohus.kit.settings import Environment, ServiceSettings

WEB_DIR = Path(__file__).resolve().parent / "web"


class IntakeSettings(ServiceSettings, AccessLogRetention):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_INTAKE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/intake.db"
    http_port: int = 8000
    max_body_bytes: int = 1_000_000
    municipality_config: str | None = None

    # Public endpoints (the API and the web form): a token bucket per client, kept in memory only.
    rate_limit_per_minute: float = Field(default=10.0, gt=0)
    rate_limit_burst: int = Field(default=10, ge=1)
    rate_limit_max_clients: int = Field(default=100_000, ge=1)
    # Behind a reverse proxy every request comes from the proxy: name the header in which the proxy appends
    # the client address (e.g. x-forwarded-for; its last entry is used). Unset: the TCP peer is the client.
    rate_limit_client_header: str | None = None

    # How far back an entered (PHONE, PARTNER) received_at may lie.
    max_backdate_days: int = Field(default=31, ge=1)

    # Reconciliation with routing (service_layer/reconcile.py): every round, concerns recorded between the
    # look-back and ``reconcile_after_s`` ago that routing has not acknowledged are sent to it again (each at
    # most once per ``reconcile_after_s``). The look-back stays inside the outbox's retention (the copy is
    # made from the outbox row).
    reconcile_interval_s: float = Field(default=60.0, gt=0)
    reconcile_after_s: float = Field(default=120.0, gt=0)
    reconcile_lookback_hours: float = Field(default=72.0, gt=0)
    reconcile_page_size: int = Field(default=500, ge=1)

    # Where the built front-end assets are (``npm ci --prefix services/intake/web``).
    web_assets_dir: Path = WEB_DIR / "node_modules"

    # Sign-in, roles, CSRF and security headers come from infohus.kit.auth (docs/auth.md). None: read
    # from INFOHUS_AUTH_* when the HTTP app is built (``infohus serve``), not by ``infohus migrate``.
    auth: AuthSettings | None = None

    def auth_settings(self) -> AuthSettings:
        return self.auth if self.auth is not None else AuthSettings()

    @model_validator(mode="after")
    def _reconcile_within_the_outbox(self) -> IntakeSettings:
        if self.reconcile_lookback_hours > self.outbox_retention_hours:
            raise ValueError("INFOHUS_INTAKE_RECONCILE_LOOKBACK_HOURS must not exceed "
                             "INFOHUS_INTAKE_OUTBOX_RETENTION_HOURS (a concern is asked about again from its "
                             "outbox row)")
        return self

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION


Settings = IntakeSettings
