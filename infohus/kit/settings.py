"""Settings shared by every service. Each service adds its own class with prefix ``INFOHUS_<SERVICE>_``.

Defaults suit production (Apache Kafka, acks=all, idempotent producer); the local stack and the
tests set the dev values explicitly. ``ServiceSettings`` refuses unsafe combinations in production.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from infohus.kit.proxies import parse_networks
from infohus.kit.retention import refuse_below


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    acks: Literal["all", "1", "0"] = "all"
    enable_idempotence: bool = True
    request_timeout_ms: int = 30_000
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    fetch_max_wait_ms: int = 500
    topic_partitions: int = 1
    topic_replication_factor: int = 1
    create_topics: bool = True
    topic_check_interval_s: float = 5.0
    handler_max_attempts: int = 5
    retry_backoff_initial_s: float = 0.2
    retry_backoff_max_s: float = 5.0
    outbox_poll_interval_s: float = 0.5
    outbox_batch_size: int = 200
    # A consumer takes up to this many messages at once and handles them in one transaction and one offset
    # commit (1: one at a time). Batches form only from what is already waiting, so they cost no latency.
    consume_batch_max_records: int = Field(default=100, ge=1)
    # How long a batch consumer waits for a first message before it looks again (FastStream then sleeps as
    # long again): the latency of an idle consumer, not of a busy one.
    consume_batch_timeout_ms: int = Field(default=20, ge=1)
    stop_timeout_s: float = 20.0
    # FastStream's "Received"/"Processed" lines for every message (INFO). Off by default: at load they cost
    # a log write per message; failures are logged at ERROR either way.
    log_every_message: bool = False
    # After the broker lost its data (an empty broker came back), events of this window are sent again;
    # consumers are idempotent, so only what was lost takes effect.
    replay_window_hours: float = 168.0

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def group(self, service: str) -> str:
        return f"{self.topic_prefix}infohus-{service}"


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INFOHUS_OTEL_", extra="ignore")

    exporter: Literal["none", "console", "otlp"] = "none"
    # The OTLP/HTTP traces URL, used as it is (e.g. http://otel-collector:4318/v1/traces).
    endpoint: str | None = None
    # The OTLP/HTTP metrics URL; None: ``endpoint`` with /v1/traces replaced by /v1/metrics.
    metrics_endpoint: str | None = None
    metrics_export_interval_s: float = Field(default=15.0, gt=0)
    # How often each service reads its outbox and its consumers' offsets for the gauges (only while a
    # meter provider collects).
    metrics_sample_interval_s: float = Field(default=15.0, gt=0)

    def otlp_metrics_endpoint(self) -> str | None:
        if self.metrics_endpoint or not self.endpoint:
            return self.metrics_endpoint
        traces = "/v1/traces"
        base = self.endpoint.removesuffix("/").removesuffix(traces)
        return base + "/v1/metrics"


class TrustedProxies(BaseSettings):
    """The reverse proxies (the ingress) whose X-Forwarded-For/-Proto are believed: addresses or CIDR blocks,
    comma-separated or a JSON list. Empty: no forwarded header is believed, the TCP peer is the client.
    Every HTTP listener's settings have it (``infohus serve`` passes it to uvicorn)."""

    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        return [str(network) for network in parse_networks(value)]


class ServiceSettings(TrustedProxies):
    """Base of a service's settings: database, HTTP listener, Kafka and telemetry."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment = Field(
        default=Environment.PRODUCTION,
        validation_alias=AliasChoices("INFOHUS_ENVIRONMENT", "environment"),
    )
    database_url: str = "sqlite+aiosqlite:///data/service.db"
    db_schema: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Longer than any client's or proxy's idle timeout (60 s is common): a server that closes an idle
    # connection first races the client's next request on it, which then fails with a reset.
    http_keep_alive_s: int = Field(default=75, gt=0)
    migrate_on_start: bool = True
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    # Retention (infohus.kit.retention): how often the service deletes what its periods allow, and how long a
    # published outbox row is kept: at least the replay window, whose events are sent again after a broker
    # lost its data (intake's rows carry whole concerns, so not much longer).
    retention_interval_s: float = Field(default=3600.0, gt=0)
    outbox_retention_hours: float = Field(default=192.0, gt=0)
    # How many rows (concerns, for routing) of each kind one run deletes at most; the next run takes the rest.
    retention_batch_size: int = Field(default=1000, ge=1)

    @model_validator(mode="after")
    def _outbox_outlives_the_replay_window(self) -> ServiceSettings:
        prefix = str(self.model_config.get("env_prefix", "")).upper()
        refuse_below(f"{prefix}OUTBOX_RETENTION_HOURS", self.outbox_retention_hours, self.kafka.replay_window_hours,
                     "hours", "INFOHUS_KAFKA_REPLAY_WINDOW_HOURS: a broker that lost its data gets them again")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ServiceSettings:
        if self.environment is not Environment.PRODUCTION:
            return self
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("database_url must point at PostgreSQL in production")
        if not self.kafka.enable_idempotence:
            problems.append("INFOHUS_KAFKA_ENABLE_IDEMPOTENCE must be true in production")
        if self.kafka.acks != "all":
            problems.append("INFOHUS_KAFKA_ACKS must be 'all' in production")
        problems += self.production_problems()
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """Service-specific checks; overridden by subclasses."""
        return []
