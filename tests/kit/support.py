"""What the kit's tests share: the outbox and inbox tables in a test database, and reading a topic back."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infohus.kit.db import create_engine
from infohus.kit.outbox import outbox_table, processed_events_table
from tests.conftest import Databases


async def kit_tables(databases: Databases) -> tuple[AsyncEngine, Table, Table]:
    """An engine on routing's test database with the outbox and inbox tables created; the caller disposes it."""
    url, schema = databases.urls["routing"], databases.schemas["routing"]
    engine = create_engine(url, schema)
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), processed_events_table(metadata)
    async with engine.begin() as connection:
        if schema:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await connection.run_sync(metadata.create_all)
    return engine, outbox, inbox


async def read_topic(bootstrap_servers: str, topic: str, *, at_least: int, within: float = 60,
                     linger_ms: int = 0) -> list[Any]:
    """Every record of ``topic`` from the start, once there are ``at_least``; then ``linger_ms`` more for
    any that should not be there."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(within):
            while len(records) < at_least:
                batch = await consumer.getmany(timeout_ms=500)
                records += [record for part in batch.values() for record in part]
        if linger_ms:
            extra = await consumer.getmany(timeout_ms=linger_ms)
            records += [record for part in extra.values() for record in part]
    finally:
        await consumer.stop()
    return records
