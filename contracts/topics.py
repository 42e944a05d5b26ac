"""The one catalogue of Kafka topics. Every producer and consumer takes its names from here."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.envelope import EventPayload
from contracts.events import (
    CaseOpened,
    CaseTransitioned,
    ConcernRetentionChanged,
    ConcernRouted,
    ConcernSubmitted,
    DeadlineReached,
    DeliveryStatusChanged,
    DisclosureRecorded,
    NotificationDeadLettered,
    NotificationRequested,
    NotificationSent,
    UnderretningUpdated,
)


@dataclass(frozen=True)
class TopicSpec:
    key: str
    name: str
    payload: type[EventPayload]
    producer: str
    consumers: tuple[str, ...]
    description: str


CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec("concern_submitted", "infohus.intake.concern-submitted.v1", ConcernSubmitted,
              "intake", ("routing",), "A concern was accepted and stored by intake."),
    TopicSpec("concern_routed", "infohus.routing.concern-routed.v1", ConcernRouted,
              "routing", ("intake",),
              "Routing holds and has decided a concern: intake's acknowledgement of its ConcernSubmitted "
              "(intake asks again for a concern never acknowledged)."),
    TopicSpec("case_opened", "infohus.routing.case-opened.v1", CaseOpened,
              "routing", ("audit",), "Routing opened an infohus case for a subject of a concern."),
    TopicSpec("notification_requested", "infohus.routing.notification-requested.v1", NotificationRequested,
              "routing", ("notify",),
              "A mailbox must be told about a case, by reference only; or a reporter is sent the § 138 receipt."),
    TopicSpec("notification_sent", "infohus.notify.notification-sent.v1", NotificationSent,
              "notify", ("audit",), "A notification was accepted by the SMTP relay (audit's mail-gateway log)."),
    TopicSpec("disclosure_recorded", "infohus.audit.disclosure-recorded.v1", DisclosureRecorded,
              "routing", ("audit",), "Personal data was disclosed; audit appends it to the § 115 log."),
    TopicSpec("deadline_reached", "infohus.routing.deadline-reached.v1", DeadlineReached,
              "routing", ("notify",), "A statutory or SLA deadline fell due (75 %, at risk, breached)."),
    TopicSpec("case_transitioned", "infohus.routing.case-transitioned.v1", CaseTransitioned,
              "routing", ("audit", "notify"),
              "An infohus case moved through its lifecycle (actor and time recorded), or was reclassified."),
    TopicSpec("delivery_status_changed", "infohus.notify.delivery-status-changed.v1", DeliveryStatusChanged,
              "notify", ("routing",),
              "A notification's delivery changed state (queued, retrying, sent, dead-lettered); the case timeline."),
    TopicSpec("notification_dead_lettered", "infohus.notify.notification-dead-lettered.v1",
              NotificationDeadLettered, "notify", ("audit",), "A notification was given up and ops were alerted."),
    TopicSpec("underretning_updated", "infohus.routing.underretning-updated.v1", UnderretningUpdated,
              "routing", ("audit",), "An underretning was registered or acted on (dates and states, for Q9)."),
    TopicSpec("concern_retention_changed", "infohus.routing.concern-retention-changed.v1", ConcernRetentionChanged,
              "routing", ("intake", "notify", "audit"),
              "A legal hold now covers a concern, or no longer does, or routing erased its cases: what the "
              "others may delete of it."),
)

BY_KEY: dict[str, TopicSpec] = {spec.key: spec for spec in CATALOGUE}
BY_PAYLOAD: dict[type[EventPayload], TopicSpec] = {spec.payload: spec for spec in CATALOGUE}


def topic_name(payload_type: type[EventPayload], prefix: str = "") -> str:
    return prefix + BY_PAYLOAD[payload_type].name


def dead_letter_topic(source_topic: str, consumer: str) -> str:
    """One dead-letter topic per subscriber: ``<topic>.<consumer>.dlt``."""
    return f"{source_topic}.{consumer}.dlt"


def all_topics(prefix: str = "", consumers_dlt: bool = True) -> list[str]:
    names = [prefix + spec.name for spec in CATALOGUE]
    if consumers_dlt:
        names += [dead_letter_topic(prefix + spec.name, c) for spec in CATALOGUE for c in spec.consumers]
    return names
