"""The benchmark counts the Kafka messages per concern on the broker instead of assuming a number."""

from __future__ import annotations

import time
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from infohus.bench.hop import records_in
from infohus.bench.stack import machine_busy_seconds, postgres_cpu_seconds
from infohus.kit.messaging import ensure_topics
from tests.conftest import kafka_test_settings


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
    assert postgres_cpu_seconds() - before >= 0.1
