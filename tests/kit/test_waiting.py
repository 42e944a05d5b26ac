"""The suite's signal that a consumer group has handled everything: it says so only once the group has committed
the last record of every partition, on the real broker."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped, unused-ignore]

from infohus.kit.messaging import ensure_topics
from tests.conftest import kafka_test_settings
from tests.waiting import consumed_to_end


async def test_a_group_has_consumed_to_the_end_only_once_it_committed_the_last_record(kafka: Any, unique: str) -> None:
    settings = kafka_test_settings(kafka.bootstrap_servers, unique)
    topic, group = settings.topic("signal"), settings.group("waiting-test")
    assert not await consumed_to_end(kafka.bootstrap_servers, group, [topic])  # no such topic yet
    await ensure_topics(settings, [topic])
    assert await consumed_to_end(kafka.bootstrap_servers, group, [topic])  # an empty topic

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for value in (b"one", b"two"):
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()
    assert not await consumed_to_end(kafka.bootstrap_servers, group, [topic])

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: 1})
        assert not await consumed_to_end(kafka.bootstrap_servers, group, [topic])
        await consumer.commit({partition: 2})
        assert await consumed_to_end(kafka.bootstrap_servers, group, [topic])
    finally:
        await consumer.stop()
