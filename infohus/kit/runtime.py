"""A service process at run time: database, broker connection, outbox relay and topic upkeep.

The HTTP side comes up at once; the broker side connects in the background and keeps trying, so a
service whose broker is down still starts and (for intake) still accepts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import EventPayload
from contracts.topics import all_topics
from infohus.kit.aio import cancel_within, finish_within
from infohus.kit.db import create_engine, session_factory
from infohus.kit.gauges import RuntimeGauges
from infohus.kit.messaging import Handler, KafkaPublisher, ensure_topics, make_broker, subscribe_all
from infohus.kit.migrations import child_environment
from infohus.kit.outbox import OutboxRelay, outbox_table, processed_events_table
from infohus.kit.rewind import RewindAfterLoss
from infohus.kit.settings import ServiceSettings
from infohus.kit.telemetry import configure_telemetry

log = logging.getLogger(__name__)


async def migrate_in_child_process(service: str, database_url: str, schema: str | None) -> None:
    # The URL travels in the environment, not the arguments: it may hold a password, and arguments are public.
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "infohus.kit.migrations", service,
                                                   env=child_environment(os.environ, database_url, schema))
    if (code := await process.wait()) != 0:
        raise RuntimeError(f"{service}: migrations failed in their process (exit code {code})")


class ServiceTables:
    """The outbox and inbox tables, defined on the service's own metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox: Table = outbox_table(metadata)
        self.inbox: Table = processed_events_table(metadata)


class ServiceRuntime:
    def __init__(self, name: str, settings: ServiceSettings, tables: ServiceTables) -> None:
        self.name = name
        self.settings = settings
        self.tables = tables
        configure_telemetry(name, settings.telemetry)
        self.engine: AsyncEngine = create_engine(settings.database_url, settings.db_schema)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.broker: KafkaBroker = make_broker(settings.kafka, client_id=f"infohus-{name}")
        self.relay = OutboxRelay(self.sessions, tables.outbox, KafkaPublisher(self.broker),
                                 poll_interval_s=settings.kafka.outbox_poll_interval_s,
                                 batch_size=settings.kafka.outbox_batch_size,
                                 max_backoff_s=settings.kafka.retry_backoff_max_s)
        self.gauges = RuntimeGauges(name, self.sessions, tables.outbox, self.broker, settings.kafka)
        self.broker_connected = asyncio.Event()
        self.topic_checks = 0  # completed, each with its replay had the broker lost its data
        self.rewinds: list[RewindAfterLoss] = []  # the consumers' rebalance listeners (infohus/kit/rewind.py)
        self._tasks: list[asyncio.Task[None]] = []
        self._extra_tasks: list[Callable[[], Awaitable[None]]] = []

    def consume(self, handlers: Mapping[type[EventPayload], Handler]) -> None:
        """Consume these event types with one consumer, in batches, each batch in one transaction."""
        self.rewinds.append(subscribe_all(self.broker, self.settings.kafka, handlers, service=self.name,
                                          sessions=self.sessions))

    def add_background_task(self, factory: Callable[[], Awaitable[None]]) -> None:
        self._extra_tasks.append(factory)

    async def migrate_if_configured(self) -> None:
        """At start-up, in a child process: Alembic and Mako (≈ 9 MB) are needed once, and a module once
        imported stays in the service's memory for good."""
        if self.settings.migrate_on_start:
            await migrate_in_child_process(self.name, self.settings.database_url, self.settings.db_schema)

    async def migrate(self) -> None:
        """In this process (tests, tools)."""
        from infohus.kit import migrations

        await asyncio.to_thread(migrations.upgrade, self.name, self.settings.database_url, self.settings.db_schema)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._connect_broker(), name=f"{self.name}-broker"),
                       asyncio.create_task(self._keep_topics(), name=f"{self.name}-topics"),
                       asyncio.create_task(self.gauges.run(self.settings.telemetry.metrics_sample_interval_s),
                                           name=f"{self.name}-gauges")]
        self._tasks += [asyncio.create_task(factory()) for factory in self._extra_tasks]  # type: ignore[arg-type]

    async def stop(self) -> None:
        self.relay.stop()
        await cancel_within(self._tasks, grace=self.settings.kafka.stop_timeout_s)
        # a consumer caught in a group rebalance can wait for ever to leave the group
        await finish_within(self.broker.stop(), self.settings.kafka.stop_timeout_s, f"{self.name}: closing the broker")
        await self.engine.dispose()

    @property
    def ready(self) -> bool:
        return self.broker_connected.is_set()

    @property
    def canary_topic(self) -> str:
        """A topic only this service creates: finding it missing means the broker lost its data."""
        return self.settings.kafka.topic(f"infohus.canary.{self.name}")

    async def _connect_broker(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._ensure_topics_and_replay_if_lost()
                await self.broker.start()
                break
            except Exception as error:
                log.warning("%s: broker not reachable (%s); retrying in %.1fs", self.name, type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.kafka.retry_backoff_max_s)
        self.broker_connected.set()
        log.info("%s: connected to the broker", self.name)
        await self.relay.run()

    async def _ensure_topics_and_replay_if_lost(self) -> None:
        if not self.settings.kafka.create_topics:
            return
        topics = [*all_topics(self.settings.kafka.topic_prefix), self.canary_topic]
        created = await ensure_topics(self.settings.kafka, topics)
        if self.canary_topic in created:
            since = datetime.now(UTC) - timedelta(hours=self.settings.kafka.replay_window_hours)
            replayed = await self.relay.replay_since(since)
            if replayed:
                log.warning("%s: the broker lost its data; sending %d recent events again", self.name, replayed)
            for rewind in self.rewinds:  # a consumer that kept its position would skip the new log's start
                await rewind.lost()
        else:
            for rewind in self.rewinds:
                rewind.settled()
        self.topic_checks += 1

    async def _keep_topics(self) -> None:
        """A broker that restarts empty (tansu) needs its topics, and our recent events, again."""
        while True:
            await asyncio.sleep(self.settings.kafka.topic_check_interval_s)
            if not self.broker_connected.is_set():
                continue
            try:
                await self._ensure_topics_and_replay_if_lost()
            except Exception as error:
                log.warning("%s: topic check failed (%s)", self.name, type(error).__name__)
