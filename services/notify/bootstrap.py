"""Wires notify's dependencies in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned, ConcernRetentionChanged, DeadlineReached, NotificationRequested
from contracts.topics import topic_name
from infohus.kit.retention.schedule import run_on_schedule
from infohus.kit.retention.tables import apply_retention_event
from infohus.kit.runtime import ServiceRuntime
from infohus.kit.unit_of_work import SharedTransaction
from services.notify.adapters.acceptance import AcceptanceCheck, MailFolderAcceptance, UnknownAcceptance
from services.notify.adapters.dead_letters import BrokerDeadLetters
from services.notify.adapters.expected import ExpectedNotifications, RoutingExpectedNotifications
from services.notify.adapters.mailer import Mailer, SmtpMailer
from services.notify.adapters.orm import concern_retention, tables
from services.notify.adapters.routing_credentials import routing_token_source
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.metrics import register_metrics
from services.notify.service_layer.handlers import (
    handle_case_transitioned,
    handle_deadline_reached,
    handle_notification_requested,
)
from services.notify.service_layer.retention import NotifyRetention
from services.notify.service_layer.watchdog import Watchdog
from services.notify.service_layer.worker import DeliveryWorker
from services.notify.settings import NotifySettings


def notify_unit_of_work(sessions: async_sessionmaker[AsyncSession], settings: NotifySettings,
                        on_commit: Callable[[], None] = lambda: None,
                        batch: SharedTransaction | None = None) -> NotifyUnitOfWork:
    """Notify's unit of work, for the running service and for the ``infohus notify`` commands."""
    return NotifyUnitOfWork(sessions, outbox_table=tables.outbox, inbox_table=tables.inbox,
                            topic_prefix=settings.kafka.topic_prefix, consumer="notify", on_commit=on_commit,
                            batch=batch)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class NotifyContainer:
    settings: NotifySettings
    runtime: ServiceRuntime
    mailer: Mailer
    acceptance: AcceptanceCheck
    expected: ExpectedNotifications | None
    now: Callable[[], datetime] = utc_now
    worker: DeliveryWorker = field(init=False)
    watchdog: Watchdog = field(init=False)
    retention: NotifyRetention = field(init=False)

    def __post_init__(self) -> None:
        self.retention = NotifyRetention(self.unit_of_work, lambda: self.now(), self.settings)
        self.worker = DeliveryWorker(uow=self.unit_of_work, mailer=self.mailer, settings=self.settings,
                                     acceptance=self.acceptance, dead_letters=BrokerDeadLetters(self.runtime),
                                     now=self.now)
        self.watchdog = Watchdog(uow=self.unit_of_work, settings=self.settings, now=self.now, wake=self.worker.wake,
                                 expected=self.expected)

    def unit_of_work(self, batch: SharedTransaction | None = None) -> NotifyUnitOfWork:
        return notify_unit_of_work(self.runtime.sessions, self.settings, on_commit=self.runtime.relay.wake,
                                   batch=batch)

    async def on_notification_requested(self, envelope: Envelope[NotificationRequested],
                                        batch: SharedTransaction | None = None) -> None:
        await handle_notification_requested(
            envelope, uow=partial(self.unit_of_work, batch), settings=self.settings, now=self.now,
            wake=self.worker.wake, source_topic=topic_name(NotificationRequested, self.settings.kafka.topic_prefix))

    async def on_deadline_reached(self, envelope: Envelope[DeadlineReached],
                                  batch: SharedTransaction | None = None) -> None:
        await handle_deadline_reached(
            envelope, uow=partial(self.unit_of_work, batch), settings=self.settings, now=self.now,
            wake=self.worker.wake, source_topic=topic_name(DeadlineReached, self.settings.kafka.topic_prefix))

    async def on_case_transitioned(self, envelope: Envelope[CaseTransitioned],
                                   batch: SharedTransaction | None = None) -> None:
        await handle_case_transitioned(envelope, uow=partial(self.unit_of_work, batch))

    async def on_retention_changed(self, envelope: Envelope[ConcernRetentionChanged],
                                   batch: SharedTransaction | None = None) -> None:
        """Routing's word on a concern: held (keep its deliveries), hold lifted, or erased (delete them)."""
        await apply_retention_event(envelope, uow=self.unit_of_work(batch), table=concern_retention)


def acceptance_check_for(settings: NotifySettings) -> AcceptanceCheck:
    return MailFolderAcceptance(settings.acceptance_folder) if settings.acceptance_folder else UnknownAcceptance()


def bootstrap(settings: NotifySettings | None = None, mailer: Mailer | None = None, *,
              acceptance: AcceptanceCheck | None = None, expected: ExpectedNotifications | None = None,
              now: Callable[[], datetime] = utc_now) -> NotifyContainer:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime("notify", settings, tables)
    register_metrics()
    if expected is None and settings.routing_url:
        expected = RoutingExpectedNotifications(settings.routing_url, token=routing_token_source(settings))
    container = NotifyContainer(settings, runtime, mailer or SmtpMailer(settings),
                                acceptance or acceptance_check_for(settings), expected, now)
    runtime.consume({NotificationRequested: container.on_notification_requested,
                     DeadlineReached: container.on_deadline_reached,
                     CaseTransitioned: container.on_case_transitioned,
                     ConcernRetentionChanged: container.on_retention_changed})
    runtime.add_background_task(partial(run_on_schedule, "notify", settings.retention_interval_s,
                                        container.retention.run))
    runtime.add_background_task(container.worker.run)
    runtime.add_background_task(container.watchdog.run)
    return container
