"""Underretninger: one per possible minor of a concern, worked by StraXen."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.instants import aware, aware_at, str_or_none, utc, utc_or_none, uuid_or_none
from services.routing.adapters.orm import underretninger
from services.routing.domain.casework import Underretning


class UnderretningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, u: Underretning) -> None:
        await self._session.execute(underretninger.insert(), dict(
            underretning_id=str(u.underretning_id), concern_id=str(u.concern_id), case_id=str_or_none(u.case_id),
            subject=u.subject, person_id=u.person_id, legal_type=u.legal_type, state=u.state,
            received_at=utc(u.received_at), assessment_due_at=utc(u.assessment_due_at),
            receipt_confirmation_due_date=u.receipt_confirmation_due_date,
            professional_orientation_required=u.professional_orientation_required, origin=u.origin,
            municipality=u.municipality))

    async def save(self, u: Underretning) -> None:
        await self._session.execute(update(underretninger).where(
            underretninger.c.underretning_id == str(u.underretning_id)).values(
            state=u.state, received_at=utc(u.received_at), assessment_due_at=utc(u.assessment_due_at),
            receipt_confirmation_due_date=u.receipt_confirmation_due_date, assessed_at=utc_or_none(u.assessed_at),
            assessed_by=u.assessed_by, acute_measures_needed=u.acute_measures_needed,
            assessment_note=u.assessment_note, receipt_confirmed_at=utc_or_none(u.receipt_confirmed_at),
            oriented_at=utc_or_none(u.oriented_at),
            orientation_outcome=u.orientation_outcome, forwarded_to=u.forwarded_to,
            forwarded_at=utc_or_none(u.forwarded_at)))

    async def get(self, underretning_id: UUID) -> Underretning | None:
        row = (await self._session.execute(select(underretninger).where(
            underretninger.c.underretning_id == str(underretning_id)))).mappings().first()
        return None if row is None else underretning_from_row(row)

    async def for_concern(self, concern_id: UUID) -> list[Underretning]:
        rows = (await self._session.execute(select(underretninger).where(
            underretninger.c.concern_id == str(concern_id)).order_by(underretninger.c.subject))).mappings().all()
        return [underretning_from_row(r) for r in rows]

    async def rows_for_concern(self, concern_id: UUID) -> list[dict[str, Any]]:
        """The stored rows of a concern's underretninger, as they are (for inspection)."""
        rows = await self._session.execute(
            select(underretninger).where(underretninger.c.concern_id == str(concern_id))
            .order_by(underretninger.c.subject))
        return [dict(r) for r in rows.mappings()]


def underretning_from_row(row: Any) -> Underretning:
    return Underretning(
        underretning_id=UUID(row["underretning_id"]), concern_id=UUID(row["concern_id"]),
        case_id=uuid_or_none(row["case_id"]), subject=row["subject"], person_id=row["person_id"],
        legal_type=row["legal_type"], received_at=aware_at(row["received_at"]),
        assessment_due_at=aware_at(row["assessment_due_at"]),
        receipt_confirmation_due_date=row["receipt_confirmation_due_date"],
        professional_orientation_required=bool(row["professional_orientation_required"]), origin=row["origin"],
        municipality=row["municipality"],
        state=row["state"], assessed_at=aware(row["assessed_at"]), assessed_by=row["assessed_by"],
        acute_measures_needed=row["acute_measures_needed"], assessment_note=row["assessment_note"],
        receipt_confirmed_at=aware(row["receipt_confirmed_at"]),
        oriented_at=aware(row["oriented_at"]), orientation_outcome=row["orientation_outcome"],
        forwarded_to=row["forwarded_to"], forwarded_at=aware(row["forwarded_at"]))
