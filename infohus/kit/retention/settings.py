"""The retention period of the read-access log, for the settings of each service that keeps one."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import BaseSettings

from infohus.kit.retention import ACCESS_LOG_MAX_DAYS, ACCESS_LOG_MIN_DAYS, refuse_above, refuse_below

RULE = "the old sikkerhedsbekendtgørelse § 19: 6 months, up to 5 years for a special need; docs/legal.md §A3"


class AccessLogRetention(BaseSettings):
    """``<PREFIX>ACCESS_LOG_RETENTION_DAYS``: how long a row of the read-access log is kept [P: 6 months]."""

    access_log_retention_days: int = ACCESS_LOG_MIN_DAYS

    @model_validator(mode="after")
    def _within_the_statutory_range(self) -> AccessLogRetention:
        variable = f"{str(self.model_config.get('env_prefix', '')).upper()}ACCESS_LOG_RETENTION_DAYS"
        refuse_below(variable, self.access_log_retention_days, ACCESS_LOG_MIN_DAYS, "days", RULE)
        refuse_above(variable, self.access_log_retention_days, ACCESS_LOG_MAX_DAYS, "days", RULE)
        return self
