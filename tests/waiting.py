"""Waiting in tests: for a condition, with a bound; never for a fixed time.

To show that nothing more arrives, a test waits for a signal that the work which could bring it is done
(the consumer group has committed everything on its topics, nothing is left to send), then looks.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped, unused-ignore]
from faststream.kafka.subscriber.usecase import LogicSubscriber

from infohus.kit.runtime import ServiceRuntime


async def eventually(check: Callable[[], Awaitable[Any] | Any], within: float = 30.0, interval: float = 0.05) -> Any:
    """Poll ``check`` (plain or async) until it returns something truthy, and return that; fail with the last
    value after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last value: {value!r})")
        await asyncio.sleep(interval)


async def consumed_to_end(bootstrap_servers: str, group: str, topics: Iterable[str]) -> bool:
    """True when consumer group ``group`` has committed every record ``topics`` hold now. Its consumers commit
    a record only once its handling is durable, so everything published so far has been handled."""
    observer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await observer.start()  # it never subscribes, so it never joins the group
    try:
        await observer.topics()  # the partitions of every topic
        known = {topic: observer.partitions_for_topic(topic) for topic in topics}
        if not known or not all(known.values()):
            return False  # no topics, or one the broker does not (yet) have
        partitions = [TopicPartition(topic, partition) for topic, numbers in known.items() for partition in numbers]
        ends = await observer.end_offsets(partitions)
        for partition in partitions:
            if ends[partition] > (await observer.committed(partition) or 0):
                return False
        return True
    finally:
        await observer.stop()


async def consumed_by(runtime: ServiceRuntime) -> bool:
    """True when the service's consumers have handled everything published so far to the topics they read."""
    topics = [topic for subscriber in runtime.broker.subscribers if isinstance(subscriber, LogicSubscriber)
              for topic in subscriber.topic_names]
    return await consumed_to_end(runtime.settings.kafka.bootstrap_servers, runtime.settings.kafka.group(runtime.name),
                                 topics)
