"""The event envelope every Infohus event travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field


def new_uuid7() -> UUID:
    """A time-ordered UUIDv7 (RFC 9562), as a standard-library UUID."""
    return UUID(bytes=uuid_utils.uuid7().bytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventPayload(BaseModel):
    """Base for event payloads: each subclass names its event type and schema version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


class Envelope(BaseModel, Generic[P]):
    """Metadata shared by all events; ``correlation_id`` is always the concern's id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(default_factory=new_uuid7)
    type: str
    schema_version: int
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: P

    @classmethod
    def wrap(cls, payload: P, *, producer: str, correlation_id: UUID,
             causation_id: UUID | None = None, **extra: Any) -> Envelope[P]:
        return cls(type=payload.event_type, schema_version=payload.schema_version, producer=producer,
                   correlation_id=correlation_id, causation_id=causation_id, payload=payload, **extra)
