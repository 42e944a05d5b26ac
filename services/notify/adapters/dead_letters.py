"""Notify's dead-letter topic: the original event of a delivery that was given up, with the reason."""

from __future__ import annotations

import json
from typing import Protocol

from contracts.topics import dead_letter_topic
from infohus.kit.runtime import ServiceRuntime
from services.notify.adapters.repository import Delivery

SERVICE = "notify"


class DeadLetterPublisher(Protocol):
    async def publish(self, delivery: Delivery) -> bool:
        """Publish the delivery's source event to the dead-letter topic; False if the broker is not up."""
        ...


class BrokerDeadLetters:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def publish(self, delivery: Delivery) -> bool:
        if not self._runtime.ready or delivery.source_topic is None or delivery.source_event is None:
            return False
        source = json.loads(delivery.source_event)
        headers = {"event_id": str(source.get("event_id", "")), "event_type": str(source.get("type", "")),
                   "x-dead-letter-reason": delivery.last_error or "", "x-dead-letter-attempts": str(delivery.attempts),
                   "x-original-topic": delivery.source_topic, "x-notification-id": str(delivery.notification_id),
                   **json.loads(delivery.trace_context or "{}")}  # the dead letter continues the request's trace
        await self._runtime.broker.publish(delivery.source_event.encode(),
                                           dead_letter_topic(delivery.source_topic, SERVICE),
                                           key=str(delivery.concern_id).encode(), headers=headers)
        return True
