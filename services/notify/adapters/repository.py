"""The deliveries table. Every change to a claimed row is conditional on its claim token, so two
workers (two replicas, or a worker and the watchdog) can never both own an attempt."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.db import insert_unless_taken
from services.notify.adapters.orm import deliveries, delivery_redrives
from services.notify.domain.delivery import Phase, State


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Delivery:
    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: str
    purpose: str
    recipient: str | None
    message_id: str
    state: str
    attempts: int
    origin: str
    created_at: datetime
    infohus_case_id: UUID | None
    underretning_id: UUID | None
    content: str | None
    trace_context: str | None
    next_attempt_at: datetime | None
    claim_token: str | None
    lease_until: datetime | None
    attempt_started_at: datetime | None
    smtp_phase: str | None
    last_error: str | None
    smtp_reply: str | None
    possible_duplicate: bool
    source_topic: str | None
    source_event: str | None
    sent_at: datetime | None
    dead_lettered_at: datetime | None
    dlt_published_at: datetime | None
    overdue_alerted_at: datetime | None
    redrive_count: int = 0
    redriven_at: datetime | None = None
    redriven_by: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        def uuid_or_none(value: str | None) -> UUID | None:
            return UUID(value) if value else None

        return cls(
            notification_id=UUID(row["notification_id"]), concern_id=UUID(row["concern_id"]),
            reference=row["reference"], destination=row["destination"], purpose=row["purpose"],
            recipient=row["recipient"], message_id=row["message_id"], state=row["state"], attempts=row["attempts"],
            origin=row["origin"], created_at=aware(row["created_at"]),  # type: ignore[arg-type]
            infohus_case_id=uuid_or_none(row["infohus_case_id"]), underretning_id=uuid_or_none(row["underretning_id"]),
            content=row["content"], trace_context=row["trace_context"],
            next_attempt_at=aware(row["next_attempt_at"]), claim_token=row["claim_token"],
            lease_until=aware(row["lease_until"]), attempt_started_at=aware(row["attempt_started_at"]),
            smtp_phase=row["smtp_phase"], last_error=row["last_error"], smtp_reply=row["smtp_reply"],
            possible_duplicate=bool(row["possible_duplicate"]), source_topic=row["source_topic"],
            source_event=row["source_event"], sent_at=aware(row["sent_at"]),
            dead_lettered_at=aware(row["dead_lettered_at"]), dlt_published_at=aware(row["dlt_published_at"]),
            overdue_alerted_at=aware(row["overdue_alerted_at"]), redrive_count=row["redrive_count"],
            redriven_at=aware(row["redriven_at"]), redriven_by=row["redriven_by"])


@dataclass(frozen=True)
class Redrive:
    notification_id: UUID
    redriven_at: datetime
    redriven_by: str
    via: str
    previous_error: str | None
    previous_attempts: int


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- reading --------------------------------------------------------------------------------

    async def get(self, notification_id: UUID) -> Delivery | None:
        row = (await self._session.execute(select(deliveries).where(
            deliveries.c.notification_id == str(notification_id)))).mappings().first()
        return None if row is None else Delivery.from_row(row)

    async def existing_ids(self, notification_ids: Iterable[UUID]) -> set[UUID]:
        wanted = [str(i) for i in notification_ids]
        if not wanted:
            return set()
        rows = await self._session.execute(select(deliveries.c.notification_id)
                                           .where(deliveries.c.notification_id.in_(wanted)))
        return {UUID(r[0]) for r in rows}

    async def by_concern(self, concern_id: UUID) -> list[Delivery]:
        rows = (await self._session.execute(select(deliveries).where(deliveries.c.concern_id == str(concern_id))
                                            .order_by(deliveries.c.created_at))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def unsent_for_concern(self, concern_id: UUID) -> list[Delivery]:
        rows = (await self._session.execute(select(deliveries).where(
            deliveries.c.concern_id == str(concern_id), deliveries.c.state != State.SENT))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def interrupted(self, now: datetime, limit: int) -> list[Delivery]:
        """Attempts whose lease ran out: their worker died or lost the database."""
        rows = (await self._session.execute(
            select(deliveries).where(deliveries.c.state == State.SENDING,
                                     or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .order_by(deliveries.c.lease_until).limit(limit))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def overdue(self, created_before: datetime, limit: int) -> list[Delivery]:
        """Undelivered since before ``created_before``: recorded then, or re-driven then (the clock restarts)."""
        rows = (await self._session.execute(
            select(deliveries).where(deliveries.c.state.in_([State.PENDING, State.SENDING]),
                                     func.coalesce(deliveries.c.redriven_at, deliveries.c.created_at)
                                     <= created_before,
                                     deliveries.c.overdue_alerted_at.is_(None),
                                     deliveries.c.origin != "ALERT")
            .order_by(deliveries.c.created_at).limit(limit))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def dead_letters_to_publish(self, limit: int) -> list[Delivery]:
        rows = (await self._session.execute(
            select(deliveries).where(deliveries.c.dead_lettered_at.is_not(None),
                                     deliveries.c.source_event.is_not(None),
                                     deliveries.c.dlt_published_at.is_(None))
            .order_by(deliveries.c.dead_lettered_at).limit(limit))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def dead_lettered(self, *, since: datetime | None, limit: int) -> list[Delivery]:
        """DEAD_LETTERED rows, oldest first; with ``since``, those dead-lettered at or after it."""
        query = select(deliveries).where(deliveries.c.state == State.DEAD_LETTERED)
        if since is not None:
            query = query.where(deliveries.c.dead_lettered_at >= since)
        rows = (await self._session.execute(query.order_by(deliveries.c.dead_lettered_at,
                                                           deliveries.c.notification_id).limit(limit))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def listing(self, *, state: str | None, limit: int, offset: int = 0) -> list[Delivery]:
        """For ops: newest first, optionally in one state."""
        query = select(deliveries)
        if state is not None:
            query = query.where(deliveries.c.state == state)
        rows = (await self._session.execute(query.order_by(deliveries.c.created_at.desc(),
                                                           deliveries.c.notification_id)
                                            .limit(limit).offset(offset))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self._session.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
        return {state: int(count) for state, count in rows.all()}

    async def redrives(self, notification_id: UUID) -> list[Redrive]:
        rows = (await self._session.execute(
            select(delivery_redrives).where(delivery_redrives.c.notification_id == str(notification_id))
            .order_by(delivery_redrives.c.id))).mappings().all()
        return [Redrive(notification_id=UUID(r["notification_id"]), redriven_at=aware(r["redriven_at"]),  # type: ignore[arg-type]
                        redriven_by=r["redriven_by"], via=r["via"], previous_error=r["previous_error"],
                        previous_attempts=r["previous_attempts"]) for r in rows]

    # --- writing --------------------------------------------------------------------------------

    async def add_new(self, **values: Any) -> Delivery | None:
        """Insert a delivery unless one with its notification id exists (then None, and nothing changes);
        returns it as stored (server defaults included), without a second read."""
        for key in ("notification_id", "concern_id", "infohus_case_id", "underretning_id"):
            if values.get(key) is not None:
                values[key] = str(values[key])
        statement = insert_unless_taken(self._session.get_bind().dialect.name, deliveries,
                                        (deliveries.c.notification_id,), tuple(deliveries.c))
        row = (await self._session.execute(statement, values)).mappings().one_or_none()
        return None if row is None else Delivery.from_row(row)

    async def claim_due(self, *, now: datetime, limit: int, token: str, lease_until: datetime) -> list[Delivery]:
        """Up to ``limit`` PENDING rows that are due → SENDING under ``token`` (one attempt each, SESSION phase).

        One statement for the batch; the condition is checked again by the UPDATE, so of two workers racing
        for a row exactly one gets it (PostgreSQL: rows another worker is claiming are skipped)."""
        candidates = [r[0] for r in await self._session.execute(
            select(deliveries.c.notification_id)
            .where(deliveries.c.state == State.PENDING, deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))]
        if not candidates:
            return []
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.notification_id.in_(candidates), deliveries.c.state == State.PENDING,
                   deliveries.c.next_attempt_at <= now)
            .values(state=State.SENDING, claim_token=token, lease_until=lease_until, attempt_started_at=now,
                    smtp_phase=Phase.SESSION, attempts=deliveries.c.attempts + 1))
        rows = (await self._session.execute(
            select(deliveries).where(deliveries.c.notification_id.in_(candidates), deliveries.c.claim_token == token)
            .order_by(deliveries.c.next_attempt_at))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def renew_lease(self, notification_id: UUID, token: str, *, lease_until: datetime) -> bool:
        return await self._owned(notification_id, token, lease_until=lease_until)

    async def unclaim(self, notification_id: UUID, token: str) -> bool:
        """A claimed attempt that never started (notify stopping): PENDING again, the attempt not counted."""
        return await self._owned(notification_id, token, state=State.PENDING, attempts=deliveries.c.attempts - 1,
                                 claim_token=None, lease_until=None, smtp_phase=None)

    async def take_over(self, delivery: Delivery, *, token: str, lease_until: datetime) -> bool:
        """An interrupted attempt: become its owner without starting a new one (to reconcile it)."""
        return await self._update_one(delivery.notification_id,
                                      and_(deliveries.c.state == State.SENDING, _token_is(delivery.claim_token)),
                                      claim_token=token, lease_until=lease_until)

    async def enter_data(self, notification_id: UUID, token: str) -> bool:
        return await self._owned(notification_id, token, smtp_phase=Phase.DATA)

    async def mark_sent(self, notification_id: UUID, token: str, *, now: datetime, reply: str) -> bool:
        return await self._owned(notification_id, token, state=State.SENT, sent_at=now, smtp_reply=reply[:255],
                                 claim_token=None, lease_until=None, next_attempt_at=None, smtp_phase=None)

    async def schedule_retry(self, notification_id: UUID, token: str, *, at: datetime, error: str,
                             possible_duplicate: bool = False) -> bool:
        values: dict[str, Any] = {"state": State.PENDING, "next_attempt_at": at, "last_error": error[:200],
                                  "claim_token": None, "lease_until": None, "smtp_phase": None}
        if possible_duplicate:
            values["possible_duplicate"] = True
        return await self._owned(notification_id, token, **values)

    async def mark_uncertain(self, notification_id: UUID, token: str, *, error: str) -> bool:
        return await self._owned(notification_id, token, state=State.UNCERTAIN, last_error=error[:200],
                                 claim_token=None, lease_until=None)

    async def mark_dead_lettered(self, notification_id: UUID, token: str | None, *, now: datetime,
                                 error: str) -> bool:
        values: dict[str, Any] = {"state": State.DEAD_LETTERED, "dead_lettered_at": now, "last_error": error[:200],
                                  "claim_token": None, "lease_until": None, "next_attempt_at": None}
        if token is None:
            return await self._update_one(notification_id, deliveries.c.state != State.DEAD_LETTERED, **values)
        return await self._owned(notification_id, token, **values)

    async def redrive(self, delivery: Delivery, *, now: datetime, recipient: str, by: str, via: str) -> bool:
        """DEAD_LETTERED → PENDING, due now, with a fresh attempt budget; the Message-ID stays. Only a row that
        is still DEAD_LETTERED is changed, so a SENT (or concurrently re-driven) one never is."""
        done = await self._update_one(
            delivery.notification_id, deliveries.c.state == State.DEAD_LETTERED,
            state=State.PENDING, attempts=0, next_attempt_at=now, recipient=recipient, claim_token=None,
            lease_until=None, smtp_phase=None, dead_lettered_at=None, dlt_published_at=None, overdue_alerted_at=None,
            redrive_count=deliveries.c.redrive_count + 1, redriven_at=now, redriven_by=by[:255])
        if done:
            await self._session.execute(delivery_redrives.insert(), dict(
                notification_id=str(delivery.notification_id), redriven_at=now, redriven_by=by[:255], via=via,
                previous_error=delivery.last_error, previous_attempts=delivery.attempts))
        return done

    async def replace_content(self, notification_id: UUID, content: str) -> bool:
        """The mail's content, until it is sent."""
        return await self._update_one(notification_id, deliveries.c.state != State.SENT, content=content)

    async def mark_dlt_published(self, notification_id: UUID, now: datetime) -> None:
        await self._session.execute(update(deliveries).where(deliveries.c.notification_id == str(notification_id))
                                    .values(dlt_published_at=now))

    async def mark_overdue(self, notification_id: UUID, *, now: datetime) -> bool:
        """Record the overdue alert once; a PENDING row is driven again at once (its backoff skipped)."""
        done = await self._update_one(notification_id, deliveries.c.overdue_alerted_at.is_(None),
                                      overdue_alerted_at=now)
        if done:
            await self._session.execute(update(deliveries).where(
                deliveries.c.notification_id == str(notification_id), deliveries.c.state == State.PENDING)
                .values(next_attempt_at=now))
        return done

    async def _owned(self, notification_id: UUID, token: str, **values: Any) -> bool:
        return await self._update_one(notification_id,
                                      and_(deliveries.c.state == State.SENDING, deliveries.c.claim_token == token),
                                      **values)

    async def _update_one(self, notification_id: UUID, condition: Any, **values: Any) -> bool:
        result = await self._session.execute(
            update(deliveries).where(deliveries.c.notification_id == str(notification_id), condition).values(**values))
        assert isinstance(result, CursorResult)
        return result.rowcount == 1


def _token_is(token: str | None) -> Any:
    return deliveries.c.claim_token.is_(None) if token is None else deliveries.c.claim_token == token


__all__: Sequence[str] = ["Delivery", "DeliveryRepository", "Redrive", "aware"]
