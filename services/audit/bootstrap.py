"""Wires audit's dependencies in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import ConcernRetentionChanged, DisclosureRecorded
from infohus.kit.auth import ReadAccessLogger
from infohus.kit.retention.schedule import run_on_schedule
from infohus.kit.retention.tables import apply_retention_event
from infohus.kit.runtime import ServiceRuntime
from infohus.kit.unit_of_work import SharedTransaction
from services.audit.adapters.orm import concern_retention, read_access_log, tables
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.checkpoint import Checkpoint
from services.audit.domain.derived import CooperationRegister
from services.audit.domain.invariant_types import InvariantContext
from services.audit.service_layer.append import handle_disclosure_recorded
from services.audit.service_layer.facts import FACT_HANDLERS
from services.audit.service_layer.retention import AuditRetention
from services.audit.service_layer.tree import LogTree, issue_checkpoint
from services.audit.settings import AuditSettings
from services.audit.verify_settings import VerifySettings

log = logging.getLogger(__name__)


def audit_unit_of_work(sessions: async_sessionmaker[AsyncSession], settings: AuditSettings | VerifySettings,
                       on_commit: Callable[[], None] = lambda: None,
                       batch: SharedTransaction | None = None) -> AuditUnitOfWork:
    """Audit's unit of work, for the running service and for the ``infohus audit`` commands."""
    return AuditUnitOfWork(sessions, outbox_table=tables.outbox, inbox_table=tables.inbox,
                           topic_prefix=settings.kafka.topic_prefix, consumer="audit", on_commit=on_commit,
                           batch=batch)


@dataclass
class AuditContainer:
    settings: AuditSettings
    runtime: ServiceRuntime
    context: InvariantContext = field(default_factory=InvariantContext)
    # The register of cooperation participants (from the municipality's rules file): F1 and Q5.
    register: CooperationRegister | None = None
    tree: LogTree = field(init=False)
    retention: AuditRetention = field(init=False)

    def __post_init__(self) -> None:
        self.tree = LogTree(self.unit_of_work)
        self.retention = AuditRetention(self.unit_of_work, lambda: datetime.now(UTC), self.settings)

    @property
    def read_log(self) -> ReadAccessLogger:
        """The read-access log (append-only) of the records about a concern that an auditor reads."""
        return ReadAccessLogger(read_access_log, service="audit")

    def unit_of_work(self, batch: SharedTransaction | None = None) -> AuditUnitOfWork:
        return audit_unit_of_work(self.runtime.sessions, self.settings, self.runtime.relay.wake, batch=batch)

    async def on_disclosure_recorded(self, envelope: Envelope[DisclosureRecorded],
                                     batch: SharedTransaction | None = None) -> None:
        await handle_disclosure_recorded(envelope, uow=self.unit_of_work(batch), now=datetime.now(UTC),
                                         context=self.context, register=self.register)

    async def on_retention_changed(self, envelope: Envelope[ConcernRetentionChanged],
                                   batch: SharedTransaction | None = None) -> None:
        """Routing's word on a concern: a legal hold keeps its records' payloads and its read-log rows."""
        await apply_retention_event(envelope, uow=self.unit_of_work(batch), table=concern_retention)

    async def on_fact(self, handler: Callable[..., Awaitable[None]], envelope: Envelope[Any],
                      batch: SharedTransaction | None = None) -> None:
        """Case, underretning and mail events: the facts Q9, Q12 and Q17 read (not the log)."""
        await handler(envelope, uow=self.unit_of_work(batch))

    async def sign_checkpoint(self) -> Checkpoint | None:
        key = self.settings.private_key()
        if key is None:
            return None
        return await issue_checkpoint(self.tree, self.unit_of_work, key, now=datetime.now(UTC))

    async def warm_tree(self) -> None:
        """Read the log's hashes into the Merkle tree once at start, so the first proof does not wait
        for a whole log's worth of them (seconds for 10⁶ records)."""
        try:
            await self.tree.sync()
        except Exception as error:  # the next proof or checkpoint syncs again
            log.warning("audit: building the Merkle tree at start failed (%s)", type(error).__name__)

    async def checkpoint_loop(self) -> None:
        """Sign the grown log at each interval; one failure is logged and retried next time."""
        signed = -1
        while True:
            await asyncio.sleep(self.settings.checkpoint_interval_s)
            try:
                await self.tree.sync()
                if self.tree.size != signed:
                    checkpoint = await self.sign_checkpoint()
                    signed = checkpoint.tree_size if checkpoint else signed
            except Exception as error:
                log.warning("audit: checkpoint failed (%s)", type(error).__name__)


def bootstrap(settings: AuditSettings | None = None) -> AuditContainer:
    settings = settings or AuditSettings()
    runtime = ServiceRuntime("audit", settings, tables)
    container = AuditContainer(settings, runtime, settings.invariant_context(), settings.cooperation_register())
    runtime.consume({DisclosureRecorded: container.on_disclosure_recorded,
                     ConcernRetentionChanged: container.on_retention_changed,
                     **{payload_type: partial(container.on_fact, handler) for payload_type, handler in FACT_HANDLERS}})
    runtime.add_background_task(container.warm_tree)
    runtime.add_background_task(partial(run_on_schedule, "audit", settings.retention_interval_s,
                                        container.retention.run))
    if settings.checkpoint_signing_key is not None and settings.checkpoint_interval_s > 0:
        runtime.add_background_task(container.checkpoint_loop)
    return container
