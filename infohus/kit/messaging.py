"""Kafka through FastStream: broker factory, topic creation, raw publishing, and the consumer policy.

Consumer policy: the offset is committed only after the effect is durable (AckPolicy.NACK_ON_ERROR
with our own bounded retries); a message that keeps failing goes to the subscriber's dead-letter
topic, and only a failure to dead-letter it leaves it uncommitted for redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from pydantic import ValidationError

from contracts.envelope import Envelope, EventPayload
from contracts.topics import BY_PAYLOAD, dead_letter_topic
from infohus.kit.db import is_dependency_unavailable
from infohus.kit.settings import KafkaSettings

log = logging.getLogger(__name__)



class DependencyUnavailable(Exception):
    """A database, broker or mail server is down; the message stays uncommitted and comes again."""


class PermanentError(Exception):
    """The message can never be processed as it is; retrying is pointless. Goes to the dead-letter topic.

    Its message must hold no personal data: it travels in the dead-letter headers.
    """


def make_broker(settings: KafkaSettings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=client_id,
        acks=-1 if settings.acks == "all" else int(settings.acks),
        enable_idempotence=settings.enable_idempotence,
        request_timeout_ms=settings.request_timeout_ms,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider())],
        graceful_timeout=15.0,
        logger=logging.getLogger(f"infohus.{client_id}.kafka"),
        log_level=logging.INFO if settings.log_every_message else logging.DEBUG,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str]) -> list[str]:
    """Create any missing topic; returns the ones created. Safe to call repeatedly."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                request_timeout_ms=settings.request_timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another service created them meanwhile
                await admin.create_topics([NewTopic(t, settings.topic_partitions, settings.topic_replication_factor)
                                           for t in missing])
        return missing
    finally:
        await admin.close()


class KafkaPublisher:
    """The outbox relay's view of the broker."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        await self._broker.publish(value, topic, key=key.encode(), headers=headers)

    async def send_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> Awaitable[object]:
        confirmation: Awaitable[object] = await self._broker.publish(value, topic, key=key.encode(), headers=headers,
                                                                     no_confirm=True)
        return confirmation


Handler = Callable[[Envelope[Any]], Awaitable[None]]


def backoff_delay(attempt: int, settings: KafkaSettings) -> float:
    """Exponential backoff with full jitter."""
    ceiling = min(settings.retry_backoff_max_s, settings.retry_backoff_initial_s * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311


def subscribe(broker: KafkaBroker, settings: KafkaSettings, *, payload_type: type[EventPayload],
              service: str, handle: Handler) -> None:
    """Register an idempotent, retrying, dead-lettering subscriber for one event type."""
    topic = settings.topic(BY_PAYLOAD[payload_type].name)
    dlt = dead_letter_topic(topic, service)
    envelope_type = Envelope[payload_type]  # type: ignore[valid-type]

    @broker.subscriber(
        topic,
        group_id=settings.group(service),
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{service}:{topic}",
    )
    async def on_message(message: KafkaMessage) -> None:  # an Annotated context alias, not the body
        try:
            envelope = envelope_type.model_validate_json(message.body)
        except ValidationError as error:
            await _dead_letter(broker, dlt, message, reason=f"invalid envelope: {error.error_count()} errors",
                               attempts=0)
            return
        await _handle_with_retries(broker, settings, dlt, message, envelope, handle)


async def _handle_with_retries(broker: KafkaBroker, settings: KafkaSettings, dlt: str, message: KafkaMessage,
                               envelope: Envelope[Any], handle: Handler) -> None:
    last_error: Exception | None = None
    for attempt in range(1, settings.handler_max_attempts + 1):
        try:
            await handle(envelope)
            return
        except PermanentError as error:
            await _dead_letter(broker, dlt, message, reason=str(error), attempts=attempt)
            return
        except Exception as error:
            last_error = error
            log.warning("handling %s failed (attempt %d/%d): %s", envelope.type, attempt,
                        settings.handler_max_attempts, type(error).__name__)
            if attempt < settings.handler_max_attempts:
                await asyncio.sleep(backoff_delay(attempt, settings))
    if last_error is not None and is_dependency_unavailable(last_error):  # down now, back later: never dead-letter
        # Not committed: the broker redelivers once the dependency is back. The original error is not
        # chained, since driver messages can quote SQL parameters, i.e. personal data, into the log.
        raise DependencyUnavailable(type(last_error).__name__) from None
    await _dead_letter(broker, dlt, message, reason=f"retries exhausted: {type(last_error).__name__}",
                       attempts=settings.handler_max_attempts)


async def _dead_letter(broker: KafkaBroker, dlt: str, message: KafkaMessage, *, reason: str, attempts: int) -> None:
    raw = message.raw_message
    record = raw[0] if isinstance(raw, tuple) else raw
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    headers.update({"x-dead-letter-reason": reason, "x-dead-letter-attempts": str(attempts),
                    "x-original-topic": record.topic, "x-original-offset": str(record.offset)})
    log.error("dead-lettering a message from %s: %s", record.topic, reason)
    await broker.publish(message.body, dlt, key=record.key, headers=headers)
