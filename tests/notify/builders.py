"""Notify's event builders, apart from the fixtures: importing ``tests.conftest`` installs the suite's
tracer provider, whose in-memory exporter keeps every span, which a benchmark must not carry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from contracts.envelope import Envelope, EventPayload
from contracts.events import (
    Deadline,
    DeadlineKind,
    DeadlineReached,
    Destination,
    NotificationPurpose,
    NotificationRequested,
    Priority,
)


def notification(destination: Destination = Destination.INFOHUS_TK, *, concern_id: UUID | None = None,
                 reference: str | None = None, acute: bool = False, priority: Priority = Priority.P1,
                 purpose: NotificationPurpose = NotificationPurpose.NEW_CASE) -> NotificationRequested:
    concern_id = concern_id or uuid4()
    return NotificationRequested(
        notification_id=uuid4(), concern_id=concern_id, reference=reference or f"IH-2026-{uuid4().hex[:6].upper()}",
        destination=destination, purpose=purpose, priority=priority, acute=acute, age_bands=["MINOR"],
        flags=["ACUTE"] if acute else [], infohus_case_id=uuid4(),
        deadlines=[Deadline(label="Triage i Infohus senest", due_at=datetime(2026, 11, 24, 14, 0, tzinfo=UTC))])


def deadline_event(kind: DeadlineKind, *, out_of_hours: bool = False, priority: Priority = Priority.P1,
                   reference: str | None = None) -> DeadlineReached:
    return DeadlineReached(
        deadline_id=uuid4(), kind=kind, concern_id=uuid4(), reference=reference or f"IH-2026-{uuid4().hex[:6]}",
        infohus_case_id=uuid4(), underretning_id=uuid4(), due_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        reached_at=datetime(2026, 11, 23, 22, 0, tzinfo=UTC), priority=priority, out_of_hours=out_of_hours)


def wrap(payload: EventPayload, producer: str = "routing") -> Envelope[Any]:
    correlation = payload.concern_id  # type: ignore[attr-defined]
    return Envelope.wrap(payload, producer=producer, correlation_id=correlation)
