"""Wires routing's dependencies in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version

from contracts.envelope import Envelope
from contracts.events import ConcernSubmitted, DeliveryStatusChanged
from infohus.kit.auth import ReadAccessLogger
from infohus.kit.municipality import load_municipality_config
from infohus.kit.retention.schedule import run_on_schedule
from infohus.kit.rules_version import rules_version
from infohus.kit.runtime import ServiceRuntime
from infohus.kit.unit_of_work import SharedTransaction
from rules.config import MunicipalityConfig
from rules.fingerprint import RulesVersion
from services.routing.adapters.orm import read_access_log, tables
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.disclosures import SystemInfo
from services.routing.metrics import register_metrics
from services.routing.service_layer.deadlines import scan_deadlines
from services.routing.service_layer.handlers import (
    RoutingDeps,
    handle_concern_submitted,
    handle_delivery_status_changed,
)
from services.routing.service_layer.retention import RoutingRetention
from services.routing.settings import RoutingSettings

log = logging.getLogger(__name__)

SYSTEM_VERSION = version("infohus")  # read once: a metadata look-up costs ~1.6 ms per message


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class RoutingContainer:
    settings: RoutingSettings
    runtime: ServiceRuntime
    config: MunicipalityConfig
    clock: Callable[[], datetime] = field(default=system_clock)  # tests replace it to move time
    retention: RoutingRetention = field(init=False)
    _rules: tuple[MunicipalityConfig, RulesVersion] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.retention = RoutingRetention(self.unit_of_work, lambda: self.clock(), self.settings)

    @property
    def rules(self) -> RulesVersion:
        """The fingerprint of the rules code and ``config`` (computed again only when ``config`` is replaced)."""
        if self._rules is None or self._rules[0] is not self.config:
            self._rules = (self.config, rules_version(self.config))
        return self._rules[1]

    @property
    def read_log(self) -> ReadAccessLogger:
        """The read-access log (append-only), stamped with the container's clock."""
        return ReadAccessLogger(read_access_log, service="routing", clock=lambda: self.clock())

    @property
    def deps(self) -> RoutingDeps:
        return RoutingDeps(config=self.config, hmac_key=self.settings.cpr_hmac_key.get_secret_value().encode(),
                           system=SystemInfo(retention_years=self.settings.disclosure_retention_years,
                                             system_version=SYSTEM_VERSION), rules=self.rules,
                           entered_time_skew=timedelta(seconds=self.settings.entered_time_skew_s))

    def unit_of_work(self, batch: SharedTransaction | None = None) -> RoutingUnitOfWork:
        """A unit of work of its own, or, given ``batch``, one part of that batch's shared transaction."""
        return RoutingUnitOfWork(self.runtime.sessions, outbox_table=tables.outbox, inbox_table=tables.inbox,
                                 topic_prefix=self.settings.kafka.topic_prefix, consumer="routing",
                                 on_commit=self.runtime.relay.wake, batch=batch)

    async def on_concern_submitted(self, envelope: Envelope[ConcernSubmitted],
                                   batch: SharedTransaction | None = None) -> None:
        await handle_concern_submitted(envelope, uow=self.unit_of_work(batch), deps=self.deps, now=self.clock())

    async def on_delivery_status_changed(self, envelope: Envelope[DeliveryStatusChanged],
                                         batch: SharedTransaction | None = None) -> None:
        await handle_delivery_status_changed(envelope, uow=self.unit_of_work(batch), config=self.config)

    async def scan_deadlines_once(self) -> int:
        return await scan_deadlines(self.unit_of_work, now=self.clock(), config=self.config)

    async def run_deadline_scanner(self) -> None:
        """Background task: emit deadline events as they fall due; a failed scan is retried next round."""
        while True:
            try:
                await self.scan_deadlines_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database down: try again next interval
                log.warning("deadline scan failed (%s)", type(error).__name__)
            await asyncio.sleep(self.settings.deadline_scan_interval_s)


def bootstrap(settings: RoutingSettings | None = None) -> RoutingContainer:
    settings = settings or RoutingSettings()
    runtime = ServiceRuntime("routing", settings, tables)
    register_metrics()
    container = RoutingContainer(settings, runtime, load_municipality_config(settings.municipality_config))
    runtime.consume({ConcernSubmitted: container.on_concern_submitted,
                     DeliveryStatusChanged: container.on_delivery_status_changed})
    runtime.add_background_task(container.run_deadline_scanner)
    runtime.add_background_task(partial(run_on_schedule, "routing", settings.retention_interval_s,
                                        container.retention.run))
    return container
