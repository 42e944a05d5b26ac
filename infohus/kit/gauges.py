"""Gauges read from a service's own state: its outbox, and how far its consumers are behind their topics.

Observable gauges are read by the exporter's thread (or a test's reader), which cannot await the database
or the broker. So each runtime samples on its own event loop every ``metrics_sample_interval_s``, and the
gauges report the latest sample. Nothing is sampled while no meter provider collects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import utcnow
from contracts.metrics import CONSUMER_LAG, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, SERVICE, MetricSpec
from contracts.topics import CATALOGUE
from infohus.kit.metrics import consumer_attributes
from infohus.kit.settings import KafkaSettings

log = logging.getLogger(__name__)
_meter = metrics.get_meter("infohus.kit")
_live: set[RuntimeGauges] = set()
_CATALOGUE_TOPICS = frozenset(spec.name for spec in CATALOGUE)


def collecting() -> bool:
    """True when a meter provider is installed (production with an exporter, or a test's reader)."""
    return isinstance(metrics.get_meter_provider(), MeterProvider)


class RuntimeGauges:
    """The latest sample of one service's outbox and consumers."""

    def __init__(self, service: str, sessions: async_sessionmaker[AsyncSession], outbox: Table,
                 broker: KafkaBroker, kafka: KafkaSettings, clock: Callable[[], datetime] = utcnow) -> None:
        self.service = service
        self._sessions = sessions
        self._broker = broker
        self._prefix = kafka.topic_prefix
        self._clock = clock
        self._unsent = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        self.outbox_backlog: int | None = None
        self.oldest_unsent_at: datetime | None = None
        self.lag: dict[str, int] = {}  # catalogue topic -> messages not yet committed

    async def run(self, interval_s: float) -> None:
        _live.add(self)
        try:
            while True:
                if collecting():
                    await self.sample(timeout_s=interval_s)
                await asyncio.sleep(interval_s)
        finally:
            _live.discard(self)

    async def sample(self, timeout_s: float = 15.0) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                await self._sample_outbox()
        except Exception as error:  # the database is down: the last sample stands, its age keeps growing
            log.debug("%s: outbox gauge not sampled (%s)", self.service, type(error).__name__)
        try:
            async with asyncio.timeout(timeout_s):
                self.lag = await self._sample_lag()
        except Exception as error:  # the broker is down: lag unknown
            log.debug("%s: consumer lag not sampled (%s)", self.service, type(error).__name__)
            self.lag = {}

    async def _sample_outbox(self) -> None:
        async with self._sessions() as session:
            count, oldest = (await session.execute(self._unsent)).one()
        self.outbox_backlog, self.oldest_unsent_at = int(count), oldest

    async def _sample_lag(self) -> dict[str, int]:
        lag: dict[str, int] = {}
        for subscriber in self._broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None or not (partitions := list(consumer.assignment())):
                continue
            ends = await consumer.end_offsets(partitions)
            committed = await asyncio.gather(*(consumer.committed(tp) for tp in partitions))
            never = [tp for tp, offset in zip(partitions, committed, strict=True) if offset is None]
            starts: dict[TopicPartition, int] = await consumer.beginning_offsets(never) if never else {}
            for tp, offset in zip(partitions, committed, strict=True):
                topic = tp.topic.removeprefix(self._prefix)
                if topic in _CATALOGUE_TOPICS:
                    behind = ends[tp] - (offset if offset is not None else starts[tp])
                    lag[topic] = lag.get(topic, 0) + max(0, behind)
        return lag

    def oldest_age_s(self) -> float | None:
        if self.outbox_backlog is None:
            return None
        if self.oldest_unsent_at is None:
            return 0.0
        return max(0.0, (self._clock() - self.oldest_unsent_at).total_seconds())


def _observe_backlog(_options: CallbackOptions) -> Iterable[Observation]:
    for gauges in list(_live):
        if gauges.outbox_backlog is not None:
            yield Observation(gauges.outbox_backlog, {SERVICE: gauges.service})


def _observe_oldest_age(_options: CallbackOptions) -> Iterable[Observation]:
    for gauges in list(_live):
        if (age := gauges.oldest_age_s()) is not None:
            yield Observation(age, {SERVICE: gauges.service})


def _observe_lag(_options: CallbackOptions) -> Iterable[Observation]:
    for gauges in list(_live):
        for topic, lag in list(gauges.lag.items()):
            yield Observation(lag, consumer_attributes(gauges.service, topic))


def _gauge(spec: MetricSpec, callback: Callable[[CallbackOptions], Iterable[Observation]]) -> None:
    assert spec.kind == "gauge", spec.name
    _meter.create_observable_gauge(spec.name, callbacks=[callback], unit=spec.unit, description=spec.description)


_gauge(OUTBOX_BACKLOG, _observe_backlog)
_gauge(OUTBOX_OLDEST_AGE, _observe_oldest_age)
_gauge(CONSUMER_LAG, _observe_lag)
