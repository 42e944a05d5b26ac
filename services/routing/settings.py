from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from infohus.kit.settings import ServiceSettings

DEVELOPMENT_HMAC_KEY = "development-only-cpr-hmac-key"


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_ROUTING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/routing.db"
    http_port: int = 8001
    municipality_config: str | None = None
    cpr_hmac_key: SecretStr = SecretStr(DEVELOPMENT_HMAC_KEY)
    disclosure_retention_years: int = 5
    deadline_scan_interval_s: float = 30.0
    # A time a person enters (a § 138 receipt's sent_at, a disclosure's decided_at and occurred_at, an analysis
    # meeting's meeting_at) may be this far ahead of the server's clock (a client's clock); it is taken as now.
    entered_time_skew_s: float = Field(default=300.0, ge=0)

    def production_problems(self) -> list[str]:
        if self.cpr_hmac_key.get_secret_value() == DEVELOPMENT_HMAC_KEY:
            return ["INFOHUS_ROUTING_CPR_HMAC_KEY must be set to a secret in production"]
        return []


Settings = RoutingSettings
