"""Kafka through FastStream: broker factory, topic creation, raw publishing, and the consumer policy.

Consumer policy: the offset is committed only after the effect is durable (AckPolicy.NACK_ON_ERROR
with our own bounded retries); a message that keeps failing goes to the subscriber's dead-letter
topic, and only a failure to dead-letter it leaves it uncommitted for redelivery.

Batches: a subscriber given the service's sessions takes what the broker has (up to
``consume_batch_max_records``) and handles it in one database transaction and one offset commit
(:class:`~infohus.kit.unit_of_work.SharedTransaction`), which it hands to each handler; the handler
passes it to the units of work it opens. Should anything in the batch fail, the batch is rolled back and
its messages are handled one by one (each handler then given no batch) with the policy above, so a bad
message costs only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from opentelemetry import propagate, trace
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope, EventPayload
from contracts.topics import BY_PAYLOAD, dead_letter_topic
from infohus.kit.db import is_dependency_unavailable
from infohus.kit.metrics import consumer_attributes, consumer_started, message_dead_lettered, messages_consumed
from infohus.kit.outbox import messaging_attributes
from infohus.kit.rewind import RewindAfterLoss
from infohus.kit.settings import KafkaSettings
from infohus.kit.unit_of_work import SharedTransaction

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


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
        graceful_timeout=15.0,
        logger=logging.getLogger(f"infohus.{client_id}.kafka"),
        log_level=logging.INFO if settings.log_every_message else logging.DEBUG,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str]) -> list[str]:
    """Create any missing topic; returns those that were missing. Safe to call repeatedly.

    A topic another caller created meanwhile counts as created; any other refusal by the broker raises
    (the error of the first refused topic, its message naming every refused topic and why).
    """
    wanted = list(dict.fromkeys(topics))  # a topic named twice in one request is itself refused
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                request_timeout_ms=settings.request_timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            response = await admin.create_topics([NewTopic(t, settings.topic_partitions,
                                                           settings.topic_replication_factor) for t in missing])
            _raise_refusals(response.topic_errors)
        return missing
    finally:
        await admin.close()


def _raise_refusals(topic_errors: Iterable[tuple[Any, ...]]) -> None:
    """``topic_errors`` of a CreateTopics response: (topic, error code[, error message]) per topic."""
    refused = [(entry[0], for_code(entry[1]), entry[2] if len(entry) > 2 else None) for entry in topic_errors
               if entry[1] not in (0, TopicAlreadyExistsError.errno)]
    if refused:
        reasons = "; ".join(f"{topic!r}: {error.message} ({error.errno}){f' {message}' if message else ''}"
                            for topic, error, message in refused)
        raise refused[0][1](f"the broker refused to create {len(refused)} topic(s): {reasons}")


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


Handler = Callable[[Envelope[Any], SharedTransaction | None], Awaitable[None]]
"""Handles one message; the second argument is the batch transaction its units of work join (None: alone)."""


def backoff_delay(attempt: int, settings: KafkaSettings) -> float:
    """Exponential backoff with full jitter."""
    ceiling = min(settings.retry_backoff_max_s, settings.retry_backoff_initial_s * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311


def subscribe_all(broker: KafkaBroker, settings: KafkaSettings, handlers: Mapping[type[EventPayload], Handler], *,
                  service: str, sessions: async_sessionmaker[AsyncSession] | None = None) -> RewindAfterLoss:
    """Register one idempotent, retrying, dead-lettering consumer for several event types (one topic each).

    One consumer, not one per topic: each consumer fetches, heartbeats and commits on its own, and idle or
    busy that cost adds up (audit consumes seven topics). With ``sessions`` (the service's, whose units of
    work the handlers open) and a batch size above one, it takes messages in batches, each batch in one
    transaction. Returns the consumer's rebalance listener, which the runtime tells when the broker lost its
    data (``infohus/kit/rewind.py``).
    """
    rewind = RewindAfterLoss(service)
    routes = dict(_route(settings, service, payload_type, handle) for payload_type, handle in handlers.items())
    consumer = _Consumer(broker, settings, routes)
    topics, group = list(routes), settings.group(service)
    title = f"{service}:{','.join(topics)}"
    if sessions is None or settings.consume_batch_max_records <= 1:
        one = broker.subscriber(*topics, group_id=group, auto_offset_reset="earliest", title=title,
                           session_timeout_ms=settings.session_timeout_ms,
                           heartbeat_interval_ms=settings.heartbeat_interval_ms,
                           fetch_max_wait_ms=settings.fetch_max_wait_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
                           listener=rewind)

        @one
        async def on_message(message: KafkaMessage) -> None:  # an Annotated context alias, not the body
            await consumer.one(_record(message))
        rewind.subscriber = one
        return rewind

    batched = broker.subscriber(*topics, group_id=group, auto_offset_reset="earliest", title=title,
                       session_timeout_ms=settings.session_timeout_ms,
                       heartbeat_interval_ms=settings.heartbeat_interval_ms,
                       fetch_max_wait_ms=settings.fetch_max_wait_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
                       batch=True, max_records=settings.consume_batch_max_records,
                       batch_timeout_ms=settings.consume_batch_timeout_ms, listener=rewind)

    @batched
    async def on_batch(message: KafkaMessage) -> None:
        await consumer.batch(tuple(message.raw_message), sessions)
    rewind.subscriber = batched
    return rewind


def _record(message: KafkaMessage) -> ConsumerRecord[bytes, bytes]:
    raw = message.raw_message
    record: ConsumerRecord[bytes, bytes] = raw[0] if isinstance(raw, tuple) else raw
    return record


@dataclass(frozen=True)
class _Route:
    envelope_type: type[Envelope[Any]]
    handle: Handler
    dead_letter_topic: str
    metric_attributes: dict[str, str]


def _route(settings: KafkaSettings, service: str, payload_type: type[EventPayload],
           handle: Handler) -> tuple[str, _Route]:
    spec = BY_PAYLOAD[payload_type]
    topic = settings.topic(spec.name)
    attributes = consumer_attributes(service, spec.name)
    consumer_started(attributes)
    return topic, _Route(Envelope[payload_type], handle, dead_letter_topic(topic, service),  # type: ignore[valid-type]
                         attributes)


class _Consumer:
    """What a subscriber does with its messages: validate, handle with retries, dead-letter."""

    def __init__(self, broker: KafkaBroker, settings: KafkaSettings, routes: Mapping[str, _Route]) -> None:
        self._broker = broker
        self._settings = settings
        self._routes = routes
        self._metric_attributes = {topic: route.metric_attributes for topic, route in routes.items()}

    async def one(self, record: ConsumerRecord[bytes, bytes]) -> None:
        envelope = await self._parse(record)
        if envelope is not None:
            await self._handle_with_retries(record, envelope)
        messages_consumed(self._metric_attributes, [record.topic])

    async def batch(self, records: tuple[ConsumerRecord[bytes, bytes], ...],
                    sessions: async_sessionmaker[AsyncSession]) -> None:
        parsed = [(record, envelope) for record in records if (envelope := await self._parse(record)) is not None]
        if len(parsed) > 1:
            event_ids = [envelope.event_id for _, envelope in parsed]
            try:
                async with SharedTransaction(sessions, event_ids=event_ids) as batch:
                    for record, envelope in parsed:
                        with _handling_span(record):
                            await self._routes[record.topic].handle(envelope, batch)
                messages_consumed(self._metric_attributes, (record.topic for record in records))
                return
            except Exception as error:
                log.info("a batch of %d messages failed together (%s); handling them one by one",
                         len(parsed), type(error).__name__)
        for record, envelope in parsed:
            with _handling_span(record):
                await self._handle_with_retries(record, envelope)
        messages_consumed(self._metric_attributes, (record.topic for record in records))

    async def _parse(self, record: ConsumerRecord[bytes, bytes]) -> Envelope[Any] | None:
        try:
            return self._routes[record.topic].envelope_type.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, reason=f"invalid envelope: {error.error_count()} errors", attempts=0)
            return None

    async def _handle_with_retries(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope[Any]) -> None:
        settings = self._settings
        last_error: Exception | None = None
        for attempt in range(1, settings.handler_max_attempts + 1):
            try:
                await self._routes[record.topic].handle(envelope, None)
                return
            except PermanentError as error:
                await self._dead_letter(record, reason=str(error), attempts=attempt)
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
        await self._dead_letter(record, reason=f"retries exhausted: {type(last_error).__name__}",
                                attempts=settings.handler_max_attempts)

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], *, reason: str, attempts: int) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        headers.update({"x-dead-letter-reason": reason, "x-dead-letter-attempts": str(attempts),
                        "x-original-topic": record.topic, "x-original-offset": str(record.offset)})
        log.error("dead-lettering a message from %s: %s", record.topic, reason)
        await self._broker.publish(record.value or b"", self._routes[record.topic].dead_letter_topic, key=record.key,
                                   headers=headers)
        message_dead_lettered(self._routes[record.topic].metric_attributes)


@contextlib.contextmanager
def _handling_span(record: ConsumerRecord[bytes, bytes]) -> Iterator[None]:
    """Each message's work continues its producer's trace (the relay's publish span), also inside a batch.

    The kit's own spans are the only messaging spans: FastStream's telemetry middleware is not installed,
    since it would add two more spans to each message published and one to each batch consumed, and cost a
    few per cent of each service's CPU.
    """
    carrier = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    with tracer.start_as_current_span(f"{record.topic} handle", context=propagate.extract(carrier),
                                      kind=trace.SpanKind.CONSUMER,
                                      attributes=messaging_attributes(record.topic, carrier.get("event_type", ""))):
        yield
