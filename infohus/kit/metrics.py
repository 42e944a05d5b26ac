"""Metric instruments every service shares, and the counting of committed events.

The names and attributes are those of ``contracts.metrics``. Instruments come from the global meter
provider (``infohus.kit.telemetry.configure_metrics``); until one is installed they cost nothing.

Domain counters (cases opened, clock breaches, mails sent, ...) count **committed events**: a service
tells :func:`count_committed` how an event type is counted, and the unit of work reports the events of
each transaction once it has committed. A batch that is rolled back and handled again, or a redelivered
message whose effect was already committed, is therefore counted once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from opentelemetry import metrics
from opentelemetry.metrics import Counter as OtelCounter
from opentelemetry.metrics import Histogram, Meter

from contracts.envelope import EventPayload
from contracts.metrics import (
    CONSUMER_GROUP,
    HTTP_DURATION,
    HTTP_DURATION_BUCKETS_S,
    HTTP_METHOD,
    HTTP_METHODS,
    HTTP_ROUTE,
    HTTP_STATUS,
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    OTHER_METHOD,
    SERVICE,
    TOPIC,
    MetricSpec,
    consumer_group,
)

P = TypeVar("P", bound=EventPayload)
Attributes = Mapping[str, str | int]

_meter = metrics.get_meter("infohus.kit")


def counter(meter: Meter, spec: MetricSpec) -> OtelCounter:
    assert spec.kind == "counter", spec.name
    return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)


# --- committed events -------------------------------------------------------------------------------

_recorders: dict[type[EventPayload], Callable[[Any], None]] = {}


def count_committed(payload_type: type[P], recorder: Callable[[P], None]) -> None:
    """Count each committed event of ``payload_type`` with ``recorder`` (one per type: the producer's)."""
    _recorders[payload_type] = recorder


def events_committed(payloads: Iterable[EventPayload]) -> None:
    """Called by the unit of work with the events of a transaction that has committed."""
    for payload in payloads:
        recorder = _recorders.get(type(payload))
        if recorder is not None:
            recorder(payload)


# --- consumers --------------------------------------------------------------------------------------

_consumed = counter(_meter, MESSAGES_CONSUMED)
_dead_lettered = counter(_meter, MESSAGES_DEAD_LETTERED)


def consumer_attributes(service: str, topic: str) -> dict[str, str]:
    """``topic``: the catalogue's name, without the deployment's prefix."""
    return {SERVICE: service, CONSUMER_GROUP: consumer_group(service), TOPIC: topic}


def consumer_started(attributes: Attributes) -> None:
    """Zero both counters, so that the first message consumed or dead-lettered is an increase too."""
    _consumed.add(0, attributes)
    _dead_lettered.add(0, attributes)


def messages_consumed(attributes_by_topic: Mapping[str, Attributes], topics: Iterable[str]) -> None:
    for topic, count in Counter(topics).items():
        _consumed.add(count, attributes_by_topic[topic])


def message_dead_lettered(attributes: Attributes) -> None:
    _dead_lettered.add(1, attributes)


# --- HTTP -------------------------------------------------------------------------------------------

_http_duration: Histogram = _meter.create_histogram(
    HTTP_DURATION.name, unit=HTTP_DURATION.unit, description=HTTP_DURATION.description,
    explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS_S)


def request_finished(service: str, method: str, route: str | None, status: int, seconds: float) -> None:
    """``route``: the matched route's template, or None when no route matched (never the path as requested)."""
    attributes: dict[str, str | int] = {SERVICE: service, HTTP_METHOD: method if method in HTTP_METHODS
                                        else OTHER_METHOD, HTTP_STATUS: status}
    if route is not None:
        attributes[HTTP_ROUTE] = route
    _http_duration.record(seconds, attributes)
