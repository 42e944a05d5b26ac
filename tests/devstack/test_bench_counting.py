"""The benchmark counts the Kafka messages per concern on the broker instead of assuming a number."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.bench.hop import records_in
from devtools.bench.stack import machine_busy_seconds, postgres_cpu_seconds
from devtools.devstack.municipality import office_always_open
from infohus.kit.messaging import ensure_topics
from infohus.kit.municipality import load_municipality_config
from rules.calendar import OfficeCalendar
from rules.vocabulary import TimeContext
from tests.conftest import kafka_test_settings
from tests.waiting import eventually


async def test_records_in_sums_the_topics_end_offsets(kafka: Any, unique: str) -> None:
    settings = kafka_test_settings(kafka.bootstrap_servers, unique)
    first, second = settings.topic("bench-a"), settings.topic("bench-b")
    await ensure_topics(settings, [first, second])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for topic, count in ((first, 3), (second, 2)):
            for i in range(count):
                await producer.send_and_wait(topic, f"m{i}".encode())
    finally:
        await producer.stop()
    assert await records_in(kafka.bootstrap_servers, [first, second, settings.topic("never-created")]) == 5


def test_machine_busy_seconds_counts_this_process_busy_time() -> None:
    """The whole-machine CPU figure (PostgreSQL, broker, SMTP server and driver besides the services)."""
    before_machine, before_own = machine_busy_seconds(), time.process_time()
    while time.process_time() - before_own < 0.3:
        pass
    assert machine_busy_seconds() - before_machine >= 0.25


async def test_postgres_cpu_seconds_counts_the_work_of_a_backend_that_has_ended(postgres_url: str) -> None:
    """The benchmark's PostgreSQL row: a query's CPU is counted, also after its connection (and so its backend
    process) has gone."""
    before = postgres_cpu_seconds()
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT count(*) FROM generate_series(1, 4000000)"))
    finally:
        await engine.dispose()

    async def counted() -> float:  # the server reaps the ended backend, and adds its time, a moment later
        used = postgres_cpu_seconds() - before
        return used if used >= 0.1 else 0.0

    assert await eventually(counted, within=10)


def test_the_bench_pins_the_office_hours_route_whenever_it_runs(tmp_path: Path) -> None:
    """A concern's route depends on when it arrives; the bench measures the same workload at any hour."""
    real, pinned = load_municipality_config(), load_municipality_config(office_always_open(tmp_path))
    copenhagen = ZoneInfo("Europe/Copenhagen")
    for moment in (datetime(2026, 12, 5, 3, 0, tzinfo=copenhagen),  # Saturday night
                   datetime(2026, 12, 2, 23, 59, 59, tzinfo=copenhagen),  # Wednesday, just before midnight
                   datetime(2026, 12, 24, 12, 0, tzinfo=copenhagen),  # closed by local custom
                   datetime(2026, 12, 25, 10, 0, tzinfo=copenhagen)):  # a public holiday on a Friday
        assert OfficeCalendar(real).time_context(moment) is not TimeContext.OFFICE_OPEN
        assert OfficeCalendar(pinned).time_context(moment) is TimeContext.OFFICE_OPEN
    assert pinned.version == f"{real.version}+bench-always-open"
    changed = {"version", "office_hours", "extra_office_closed_days", "office_closed_on_public_holidays"}
    assert pinned.model_dump(exclude=changed) == real.model_dump(exclude=changed)
