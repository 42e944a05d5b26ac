from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from infohus.kit.retention import DISCLOSURE_MIN_YEARS, refuse_below
from infohus.kit.retention.settings import AccessLogRetention
from infohus.kit.settings import ServiceSettings

DEVELOPMENT_HMAC_KEY = "development-only-cpr-hmac-key"


class RoutingSettings(ServiceSettings, AccessLogRetention):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_ROUTING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/routing.db"
    http_port: int = 8001
    municipality_config: str | None = None
    cpr_hmac_key: SecretStr = SecretStr(DEVELOPMENT_HMAC_KEY)
    # A disclosure record's retention_until: this many years after the disclosure, never fewer than 5 (A3 (ii)).
    disclosure_retention_years: int = DISCLOSURE_MIN_YEARS
    # [P] Case data is kept until the case closes plus this many years (A3 (i); the archive function decides N).
    case_retention_years: int = Field(default=5, ge=1)
    # [P] A concern that never became a case (its cases closed at triage as out of scope, duplicate or
    # withdrawn) is kept this many days after the close.
    not_a_case_retention_days: int = Field(default=90, ge=1)
    deadline_scan_interval_s: float = 30.0
    # A time a person enters (a § 138 receipt's sent_at, a disclosure's decided_at and occurred_at, an analysis
    # meeting's meeting_at) may be this far ahead of the server's clock (a client's clock); it is taken as now.
    entered_time_skew_s: float = Field(default=300.0, ge=0)

    @model_validator(mode="after")
    def _disclosures_kept_the_statutory_minimum(self) -> RoutingSettings:
        refuse_below("INFOHUS_ROUTING_DISCLOSURE_RETENTION_YEARS", self.disclosure_retention_years,
                     DISCLOSURE_MIN_YEARS, "years", "disclosure records are kept at least 5 years after the "
                     "disclosure, docs/legal.md §A3")
        return self

    def production_problems(self) -> list[str]:
        if self.cpr_hmac_key.get_secret_value() == DEVELOPMENT_HMAC_KEY:
            return ["INFOHUS_ROUTING_CPR_HMAC_KEY must be set to a secret in production"]
        return []


Settings = RoutingSettings
