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


async def read_topic(bootstrap_servers: str, topic: str, *, at_least: int, within: float = 60) -> list[Any]:
    """Every record of ``topic``, once there are ``at_least``: read to the end the topic has then, so a test
    whose producers are done sees any record that should not be there too."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(within):
            while len(records) < at_least:
                records += await _fetch(consumer)
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while any([await consumer.position(partition) < end for partition, end in ends.items()]):
                records += await _fetch(consumer)
    finally:
        await consumer.stop()
    return records


async def _fetch(consumer: AIOKafkaConsumer) -> list[Any]:
    batch = await consumer.getmany(timeout_ms=500)
    return [record for part in batch.values() for record in part]
