"""Wires intake's dependencies in one place."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from contracts.concern import ConcernIn
from contracts.envelope import Envelope
from contracts.events import ConcernRetentionChanged, ConcernRouted
from infohus.kit.auth import ReadAccessLogger
from infohus.kit.municipality import load_municipality_config
from infohus.kit.ratelimit import TokenBucketLimiter
from infohus.kit.retention.schedule import run_on_schedule
from infohus.kit.retention.tables import apply_retention_event
from infohus.kit.runtime import ServiceRuntime
from infohus.kit.unit_of_work import SharedTransaction
from rules.config import MunicipalityConfig
from services.intake.adapters.orm import concern_retention, read_access_log, tables
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.model import SYSTEM
from services.intake.metrics import register_metrics
from services.intake.service_layer.reconcile import Reconciliation
from services.intake.service_layer.retention import IntakeRetention
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
    retention: IntakeRetention = field(init=False)
    reconciliation: Reconciliation = field(init=False)

    def __post_init__(self) -> None:
        self.retention = IntakeRetention(self.unit_of_work, lambda: self.clock(), self.settings)
        self.reconciliation = Reconciliation(self.unit_of_work, self.settings, lambda: self.clock(),
                                             self.runtime.relay.wake)
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

    def unit_of_work(self, batch: SharedTransaction | None = None) -> IntakeUnitOfWork:
        return IntakeUnitOfWork(self.runtime.sessions, outbox_table=tables.outbox, inbox_table=tables.inbox,
                                topic_prefix=self.settings.kafka.topic_prefix, consumer="intake",
                                on_commit=self.runtime.relay.wake, batch=batch)

    async def submit(self, body: ConcernIn, recorded_by: str = SYSTEM) -> Receipt:
        """Accept ``body`` (from the API or a form) as recorded by ``recorded_by``."""
        return await submit_concern(body, uow=self.unit_of_work(), now=self.clock(), config=self.config,
                                    recorded_by=recorded_by, max_backdate=self.max_backdate)

    async def on_retention_changed(self, envelope: Envelope[ConcernRetentionChanged],
                                   batch: SharedTransaction | None = None) -> None:
        """Routing's word on a concern: held (keep everything), hold lifted, or erased (erase it here too)."""
        await apply_retention_event(envelope, uow=self.unit_of_work(batch), table=concern_retention)


def bootstrap(settings: IntakeSettings | None = None) -> IntakeContainer:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime("intake", settings, tables)
    register_metrics()
    container = IntakeContainer(settings=settings, runtime=runtime,
                                config=load_municipality_config(settings.municipality_config))
    runtime.consume({ConcernRetentionChanged: container.on_retention_changed,
                     ConcernRouted: container.reconciliation.acknowledge})
    runtime.add_background_task(partial(run_on_schedule, "intake", settings.retention_interval_s,
                                        container.retention.run))
    runtime.add_background_task(partial(run_on_schedule, "intake", settings.reconcile_interval_s,
                                        container.reconciliation.run_once, what="reconciliation"))
    return container
