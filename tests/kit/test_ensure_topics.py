"""Topic creation on the real broker: missing topics are created, a topic someone else created meanwhile is no
error, and a topic the broker refuses fails the call loudly instead of being reported as created."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import InvalidTopicError
from aiokafka.protocol.admin import CreateTopicsResponse_v3

from infohus.kit.messaging import ensure_topics
from infohus.kit.settings import KafkaSettings
from tests.conftest import kafka_test_settings

KAFKA_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


@pytest.fixture
def settings(kafka: Any, unique: str) -> KafkaSettings:
    return kafka_test_settings(kafka.bootstrap_servers, unique)


async def _broker_topics(settings: KafkaSettings) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_missing_topics_are_created_once(settings: KafkaSettings) -> None:
    first, second = settings.topic("first"), settings.topic("second")
    assert await ensure_topics(settings, [first, second, first]) == [first, second]
    assert {first, second} <= await _broker_topics(settings)
    assert await ensure_topics(settings, [first, second]) == []


async def test_a_topic_created_meanwhile_by_another_caller_is_no_error(
        settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    topic = settings.topic("raced")
    await ensure_topics(settings, [topic])

    async def listed_before_the_other_caller_created_it(self: AIOKafkaAdminClient) -> list[str]:
        return []

    monkeypatch.setattr(AIOKafkaAdminClient, "list_topics", listed_before_the_other_caller_created_it)
    assert await ensure_topics(settings, [topic]) == [topic]  # the broker answered TOPIC_ALREADY_EXISTS


async def test_a_topic_the_broker_refuses_fails_the_call_naming_the_topic_and_the_error(
        settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """tansu accepts any name (and any replication factor); Kafka refuses a name outside its alphabet with
    INVALID_TOPIC in that topic's entry of the response. The real broker is asked for the valid names and the
    answer for the others is Kafka's."""
    create_on_tansu = AIOKafkaAdminClient.create_topics

    async def create_as_kafka_would(self: AIOKafkaAdminClient, new_topics: list[NewTopic],
                                    *args: Any, **kwargs: Any) -> Any:
        valid = [t for t in new_topics if KAFKA_TOPIC_NAME.fullmatch(t.name)]
        created = await create_on_tansu(self, valid, *args, **kwargs)
        refused = [(t.name, InvalidTopicError.errno, f"Topic name {t.name!r} is illegal")
                   for t in new_topics if t not in valid]
        return CreateTopicsResponse_v3(throttle_time_ms=0, topic_errors=[*created.topic_errors, *refused])

    monkeypatch.setattr(AIOKafkaAdminClient, "create_topics", create_as_kafka_would)
    good, bad = settings.topic("good"), settings.topic("bad name!")

    with pytest.raises(InvalidTopicError, match=r"'[^']*bad name!'.*INVALID_TOPIC \(17\)") as refusal:
        await ensure_topics(settings, [good, bad])

    assert good not in str(refusal.value)  # only the refused topic is named
    assert good in await _broker_topics(settings)
