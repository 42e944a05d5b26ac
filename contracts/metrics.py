"""The one catalogue of Infohus metrics: names, units, attributes and the closed lists of attribute values.

Operations build dashboards and alerts (deploy/k8s/base/monitoring/alerts.yaml) on these names, so they
are as stable as the topic names: a change is a new name, documented in docs/operations.md ("Metrics
and alerts"). Every attribute value comes from a closed list of codes (below, or a route template of
the code): never a reference, an id, a name or any other content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from contracts.concern import Channel
from contracts.events import DeadlineKind, DeliveryStatus, Destination, NotificationPurpose, Priority
from contracts.topics import CATALOGUE as TOPICS

# --- attribute keys ---------------------------------------------------------------------------------

SERVICE = "infohus.service"
CHANNEL = "infohus.channel"
REASON = "infohus.reason"
PRIORITY = "infohus.priority"
DEADLINE_KIND = "infohus.deadline.kind"
DESTINATION = "infohus.destination"
PURPOSE = "infohus.purpose"
DELIVERY_STATUS = "infohus.delivery.status"
TOPIC = "messaging.destination.name"
CONSUMER_GROUP = "messaging.consumer.group.name"
HTTP_METHOD = "http.request.method"
HTTP_ROUTE = "http.route"
HTTP_STATUS = "http.response.status_code"


class Refusal(StrEnum):
    """Why intake refused a concern (the answer's status), never what the concern said."""

    INVALID = "invalid"  # 422: a field or a rule; the answer names the field to fix
    TOO_LARGE = "too_large"  # 413
    RATE_LIMITED = "rate_limited"  # 429
    NOT_AUTHENTICATED = "not_authenticated"  # 401: a staff channel without (valid) sign-in
    FORBIDDEN = "forbidden"  # 403: a role that may not, or a form without its CSRF token
    UNAVAILABLE = "unavailable"  # 503: the database or the identity provider is down; nothing was stored
    ERROR = "error"  # any other answer that stored nothing (400, 405, 500)


SERVICES = ("intake", "routing", "notify", "audit", "workspace")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
OTHER_METHOD = "_OTHER"
CLOCK_WARNINGS = (DeadlineKind.TRIAGE_75, DeadlineKind.ASSESSMENT_AT_RISK)
CLOCK_BREACHES = (DeadlineKind.TRIAGE_BREACHED, DeadlineKind.ASSESSMENT_BREACHED, DeadlineKind.RECEIPT_BREACHED)
FAILED_DELIVERY = (DeliveryStatus.RETRYING, DeliveryStatus.UNCERTAIN)


def consumer_group(service: str) -> str:
    """The group's name as the metrics give it: without the deployment's topic prefix."""
    return f"infohus-{service}"


ALLOWED_VALUES: dict[str, frozenset[str]] = {
    SERVICE: frozenset(SERVICES),
    CHANNEL: frozenset(Channel),
    REASON: frozenset(Refusal),
    PRIORITY: frozenset(Priority),
    DEADLINE_KIND: frozenset(DeadlineKind),
    DESTINATION: frozenset(Destination),
    PURPOSE: frozenset(NotificationPurpose),
    DELIVERY_STATUS: frozenset(FAILED_DELIVERY),
    TOPIC: frozenset(spec.name for spec in TOPICS),
    CONSUMER_GROUP: frozenset(consumer_group(service) for spec in TOPICS for service in spec.consumers),
    HTTP_METHOD: frozenset((*HTTP_METHODS, OTHER_METHOD)),
}
"""The closed list of values of each string attribute. ``http.route`` is a route template of the code
(``/api/v1/cases/{case_id}``), never a path as requested; ``http.response.status_code`` is a number."""

# --- the metrics ------------------------------------------------------------------------------------

Kind = Literal["counter", "histogram", "gauge"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Kind
    unit: str
    attributes: tuple[str, ...]
    description: str

    @property
    def prometheus_name(self) -> str:
        """The name as the OpenTelemetry collector's Prometheus exporter renders it (histograms add
        ``_bucket``, ``_sum`` and ``_count``)."""
        name = re.sub(r"[^a-zA-Z0-9_:]", "_", self.name)
        unit = _PROMETHEUS_UNITS.get(self.unit, "" if self.unit.startswith("{") else self.unit)
        if unit and not name.endswith("_" + unit):
            name += "_" + unit
        return name + "_total" if self.kind == "counter" else name


_PROMETHEUS_UNITS = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": ""}

CONCERNS_ACCEPTED = MetricSpec(
    "infohus.intake.concerns.accepted", "counter", "{concern}", (CHANNEL,),
    "Concerns intake stored (a repeated submission_id is not counted again).")
CONCERNS_REFUSED = MetricSpec(
    "infohus.intake.concerns.refused", "counter", "{concern}", (REASON,),
    "Submissions of a concern (API or form) that intake answered without storing it, by reason.")
CASES_OPENED = MetricSpec(
    "infohus.routing.cases.opened", "counter", "{case}", (PRIORITY,),
    "Infohus cases routing opened (one per subject of a concern).")
CLOCK_WARNINGS_REACHED = MetricSpec(
    "infohus.routing.clock.warnings", "counter", "{warning}", (DEADLINE_KIND,),
    "Statutory or SLA clocks that reached their warning point (75 % of triage, assessment at risk).")
CLOCK_BREACHES_REACHED = MetricSpec(
    "infohus.routing.clock.breaches", "counter", "{breach}", (DEADLINE_KIND,),
    "Statutory or SLA clocks whose deadline passed before the duty was done.")
MAILS_SENT = MetricSpec(
    "infohus.notify.mails.sent", "counter", "{mail}", (DESTINATION, PURPOSE),
    "Mails the SMTP relay accepted.")
MAILS_FAILED = MetricSpec(
    "infohus.notify.mails.failed", "counter", "{attempt}", (DESTINATION, PURPOSE, DELIVERY_STATUS),
    "Delivery attempts that failed and will be retried (RETRYING) or are held for a person (UNCERTAIN).")
MAILS_DEAD_LETTERED = MetricSpec(
    "infohus.notify.mails.dead_lettered", "counter", "{mail}", (DESTINATION, PURPOSE),
    "Mails given up (5xx, retries exhausted, no mailbox configured); each is an incident.")
MESSAGES_CONSUMED = MetricSpec(
    "infohus.messaging.consumed", "counter", "{message}", (SERVICE, CONSUMER_GROUP, TOPIC),
    "Messages a consumer finished (handled or dead-lettered): its progress.")
MESSAGES_DEAD_LETTERED = MetricSpec(
    "infohus.messaging.dead_lettered", "counter", "{message}", (SERVICE, CONSUMER_GROUP, TOPIC),
    "Messages a consumer moved to its dead-letter topic <topic>.<service>.dlt; each is an incident.")
CONSUMER_LAG = MetricSpec(
    "infohus.messaging.consumer.lag", "gauge", "{message}", (SERVICE, CONSUMER_GROUP, TOPIC),
    "Messages on the topic not yet committed by the group (end offset - committed offset, summed over the "
    "partitions assigned to this process).")
OUTBOX_BACKLOG = MetricSpec(
    "infohus.outbox.backlog", "gauge", "{event}", (SERVICE,),
    "Events in the service's outbox not yet published to Kafka.")
OUTBOX_OLDEST_AGE = MetricSpec(
    "infohus.outbox.oldest_age", "gauge", "s", (SERVICE,),
    "Age of the oldest unpublished event in the service's outbox (0 when it is empty).")
HTTP_DURATION = MetricSpec(
    "http.server.request.duration", "histogram", "s", (SERVICE, HTTP_METHOD, HTTP_ROUTE, HTTP_STATUS),
    "Duration of HTTP requests (health probes excluded), by route template and status.")

CATALOGUE: tuple[MetricSpec, ...] = (
    CONCERNS_ACCEPTED, CONCERNS_REFUSED, CASES_OPENED, CLOCK_WARNINGS_REACHED, CLOCK_BREACHES_REACHED,
    MAILS_SENT, MAILS_FAILED, MAILS_DEAD_LETTERED, MESSAGES_CONSUMED, MESSAGES_DEAD_LETTERED, CONSUMER_LAG,
    OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, HTTP_DURATION,
)
HTTP_DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
