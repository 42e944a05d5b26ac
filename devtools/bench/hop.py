"""The raw rate of a bare FastStream subscriber that consumes one message and publishes one."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from infohus.kit.messaging import ensure_topics
from infohus.kit.settings import KafkaSettings


async def raw_hop_rate(bootstrap_servers: str, messages: int) -> float:
    source, target = f"hop-in-{uuid.uuid4().hex[:8]}", f"hop-out-{uuid.uuid4().hex[:8]}"
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap_servers), [source, target])
    # like the services (infohus.kit.messaging): no INFO line per message
    broker = KafkaBroker(bootstrap_servers, enable_idempotence=False, log_level=logging.DEBUG)
    done = asyncio.Event()
    seen = 0
    first = last = 0.0

    @broker.subscriber(source, group_id=f"hop-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest",
                       session_timeout_ms=3000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50,
                       ack_policy=AckPolicy.NACK_ON_ERROR)
    async def hop(message: KafkaMessage) -> None:  # the raw record, not a decoded body
        nonlocal seen, first, last
        await broker.publish(message.body, target)
        seen += 1
        if seen == 1:
            first = time.perf_counter()
        if seen >= messages:
            last = time.perf_counter()
            done.set()

    await broker.connect()
    payload = b'{"hop": true, "padding": "' + b"x" * 600 + b'"}'
    futures = [await broker.publish(payload, source, no_confirm=True) for _ in range(messages)]
    await asyncio.gather(*futures)
    await broker.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    await broker.stop()
    return (messages - 1) / (last - first)  # from the first consumed to the last: group join excluded


async def records_in(bootstrap_servers: str, topics: list[str]) -> int:
    """How many records the topics hold (the sum of their partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        existing = await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics if topic in existing
                      for p in consumer.partitions_for_topic(topic) or ()]
        offsets = await consumer.end_offsets(partitions) if partitions else {}
        return sum(offsets.values())
    finally:
        await consumer.stop()
