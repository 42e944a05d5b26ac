"""Wires intake's dependencies in one place."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contracts.concern import ConcernIn
from infohus.kit.auth import ReadAccessLogger
from infohus.kit.municipality import load_municipality_config
from infohus.kit.ratelimit import TokenBucketLimiter
from infohus.kit.runtime import ServiceRuntime
from rules.config import MunicipalityConfig
from services.intake.adapters.orm import read_access_log, tables
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.model import SYSTEM
from services.intake.metrics import register_metrics
from services.intake.service_layer.submit import Receipt, submit_concern
from services.intake.settings import IntakeSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IntakeContainer:
    settings: IntakeSettings
    runtime: ServiceRuntime
    config: MunicipalityConfig
    clock: Callable[[], datetime] = field(default=utc_now)
    limiter: TokenBucketLimiter = field(init=False)
    client_key_salt: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.limiter = TokenBucketLimiter(per_minute=self.settings.rate_limit_per_minute,
                                          burst=self.settings.rate_limit_burst,
                                          max_keys=self.settings.rate_limit_max_clients)
        # Rate-limit keys are keyed hashes of the client address under this per-process salt: the address
        # itself is never kept, and the hashes mean nothing after a restart.
        self.client_key_salt = secrets.token_bytes(32)

    @property
    def max_backdate(self) -> timedelta:
        return timedelta(days=self.settings.max_backdate_days)

    @property
    def read_log(self) -> ReadAccessLogger:
        """The read-access log (append-only), stamped with the container's clock."""
        return ReadAccessLogger(read_access_log, service="intake", clock=lambda: self.clock())

    def unit_of_work(self) -> IntakeUnitOfWork:
        return IntakeUnitOfWork(self.runtime.sessions, outbox_table=tables.outbox, inbox_table=tables.inbox,
                                topic_prefix=self.settings.kafka.topic_prefix, consumer="intake",
                                on_commit=self.runtime.relay.wake)

    async def submit(self, body: ConcernIn, recorded_by: str = SYSTEM) -> Receipt:
        """Accept ``body`` (from the API or a form) as recorded by ``recorded_by``."""
        return await submit_concern(body, uow=self.unit_of_work(), now=self.clock(), config=self.config,
                                    recorded_by=recorded_by, max_backdate=self.max_backdate)


def bootstrap(settings: IntakeSettings | None = None) -> IntakeContainer:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime("intake", settings, tables)
    register_metrics()
    return IntakeContainer(settings=settings, runtime=runtime,
                           config=load_municipality_config(settings.municipality_config))
