"""Which concerns are about the person an infohus case is about: the open case a person already has (by CPR
HMAC, else by the keyed hash of name and date of birth), the concerns that joined a case, and moving a
concern's underretninger, tasks and clocks from one case to another when it joins or leaves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.instants import aware, aware_at, utc
from services.routing.adapters.orm import (
    case_concerns,
    clocks,
    concern_facts,
    infohus_cases,
    person_cpr,
    person_name_keys,
    tasks,
    underretninger,
)
from services.routing.domain.clocks import ClockKind
from services.routing.domain.person_links import Match, Membership

_C, _L = infohus_cases.c, case_concerns.c
_ACTIVE = _L.unlinked_at.is_(None)


def _cases_of_persons(persons: Select[Any]) -> ColumnElement[bool]:
    """A case whose subject is one of ``persons``: the person its concern named, or one that joined it."""
    return or_(_C.person_id.in_(persons),
               _C.case_id.in_(select(_L.case_id).where(_ACTIVE, _L.person_id.in_(persons))))


class PersonLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_name_keys(self, concern_id: UUID, keys: dict[str, str]) -> None:
        """``keys``: person id -> keyed hash of name and date of birth."""
        if keys:
            await self._session.execute(person_name_keys.insert(), [
                dict(person_id=p, concern_id=str(concern_id), name_dob_hmac=k) for p, k in keys.items()])

    async def open_case_of(self, *, cpr_hmac: str | None, name_key: str | None, municipality: str,
                           excluding: Iterable[UUID] = ()) -> tuple[UUID, Match] | None:
        """The open case (of ``municipality``) of the person with this CPR HMAC, else of the person with this
        name and date of birth and no other CPR number; the oldest if there are several."""
        excluded = [str(c) for c in excluding]
        if cpr_hmac is not None:
            found = await self._oldest_open(select(person_cpr.c.person_id).where(person_cpr.c.cpr_hmac == cpr_hmac),
                                            municipality, excluded)
            if found:
                return found[0][0], Match.CPR
        if name_key is None:
            return None
        named = select(person_name_keys.c.person_id).where(person_name_keys.c.name_dob_hmac == name_key)
        for case_id, persons in await self._oldest_open(named, municipality, excluded):
            other_cprs = {h for h in await self._cprs(persons) if h != cpr_hmac}
            if cpr_hmac is None or not other_cprs:  # another CPR number: another person
                return case_id, Match.NAME_DOB
        return None

    async def _oldest_open(self, persons: Select[Any], municipality: str,
                           excluded: list[str]) -> list[tuple[UUID, list[str]]]:
        rows = (await self._session.execute(
            select(_C.case_id, _C.person_id).where(_C.municipality == municipality, _C.state != "CLOSED",
                                                   _C.case_id.not_in(excluded), _cases_of_persons(persons))
            .order_by(_C.opened_at, _C.case_id))).all()
        result = []
        for case_id, person_id in rows:
            members = [str(p) for p in (await self._session.execute(
                select(_L.person_id).where(_L.case_id == case_id, _ACTIVE))).scalars()]
            result.append((UUID(case_id), [person_id, *members]))
        return result

    async def _cprs(self, person_ids: list[str]) -> set[str]:
        rows = await self._session.execute(select(person_cpr.c.cpr_hmac).where(person_cpr.c.person_id.in_(person_ids)))
        return {str(r[0]) for r in rows}

    # --- memberships ------------------------------------------------------------------------------------

    async def add(self, m: Membership) -> None:
        await self._session.execute(case_concerns.insert(), dict(
            link_id=str(m.link_id), case_id=str(m.case_id), concern_id=str(m.concern_id),
            subject_index=m.subject_index, person_id=m.person_id, match=m.match.value, linked_at=utc(m.linked_at),
            linked_by=m.linked_by, reason=m.reason))

    async def end(self, link_id: UUID, *, at: datetime, by: str, reason: str) -> None:
        await self._session.execute(update(case_concerns).where(case_concerns.c.link_id == str(link_id)).values(
            unlinked_at=utc(at), unlinked_by=by, unlink_reason=reason))

    async def of_case(self, case_id: UUID) -> list[Membership]:
        """Every concern that joined the case, and left it, oldest first."""
        rows = (await self._session.execute(select(case_concerns).where(_L.case_id == str(case_id))
                                            .order_by(_L.linked_at, _L.link_id))).mappings().all()
        return [_membership(r) for r in rows]

    async def active_of_concern(self, concern_id: UUID, subject_index: int) -> Membership | None:
        row = (await self._session.execute(select(case_concerns).where(
            _L.concern_id == str(concern_id), _L.subject_index == subject_index, _ACTIVE))).mappings().first()
        return None if row is None else _membership(row)

    async def joined_cases(self, concern_id: UUID) -> list[UUID]:
        rows = await self._session.execute(select(_L.case_id).where(_L.concern_id == str(concern_id), _ACTIVE)
                                           .order_by(_L.subject_index))
        return [UUID(r[0]) for r in rows]

    async def own_open_case(self, concern_id: UUID, subject_index: int) -> UUID | None:
        row = (await self._session.execute(select(_C.case_id).where(
            _C.concern_id == str(concern_id), _C.subject_index == subject_index, _C.state != "CLOSED"))).first()
        return None if row is None else UUID(row[0])

    async def references(self, concern_ids: Iterable[UUID]) -> dict[UUID, tuple[str, datetime]]:
        """Reference and receipt time of each concern."""
        rows = await self._session.execute(select(
            concern_facts.c.concern_id, concern_facts.c.reference, concern_facts.c.received_at).where(
            concern_facts.c.concern_id.in_(sorted(str(c) for c in concern_ids))))
        return {UUID(c): (str(r), aware_at(at)) for c, r, at in rows}

    async def repoint(self, concern_id: UUID, *, from_case: UUID, to_case: UUID) -> None:
        """The concern's underretninger, tasks and clocks (but a case's own triage clock) on ``from_case`` now
        belong to ``to_case``."""
        concern, old, new = str(concern_id), str(from_case), str(to_case)
        await self._session.execute(update(underretninger).where(
            underretninger.c.concern_id == concern, underretninger.c.case_id == old).values(case_id=new))
        await self._session.execute(update(tasks).where(
            tasks.c.concern_id == concern, tasks.c.case_id == old).values(case_id=new))
        await self._session.execute(update(clocks).where(
            clocks.c.concern_id == concern, clocks.c.case_id == old,
            clocks.c.kind != ClockKind.TRIAGE.value).values(case_id=new))

    # --- what a reference or a concern finds ------------------------------------------------------------

    async def cases_for_concerns(self, concern_ids: Iterable[str]) -> list[str]:
        """The cases about these concerns' subjects: the cases they opened, the cases they joined, and for a near
        duplicate those of the concern it was linked to."""
        wanted = sorted(set(concern_ids))
        if not wanted:
            return []
        f = concern_facts.c
        originals = select(func.coalesce(f.duplicate_of, f.concern_id)).where(f.concern_id.in_(wanted))
        rows = await self._session.execute(select(_C.case_id).where(or_(
            _C.concern_id.in_(wanted), _C.concern_id.in_(originals),
            _C.case_id.in_(select(_L.case_id).where(_ACTIVE, or_(_L.concern_id.in_(wanted),
                                                                 _L.concern_id.in_(originals))))
        )).order_by(_C.opened_at, _C.case_id))
        return [str(r[0]) for r in rows]

    async def concerns_by_reference(self, reference: str) -> list[str]:
        f = concern_facts.c
        rows = await self._session.execute(select(f.concern_id).where(func.upper(f.reference) == reference.upper()))
        return [str(r[0]) for r in rows]

    async def linked_concerns(self, concern_ids: Iterable[str]) -> set[str]:
        """``concern_ids`` with every concern that shares a case with one of them (joined or opened it)."""
        wanted = sorted(set(concern_ids))
        if not wanted:
            return set()
        cases = select(_C.case_id).where(_C.concern_id.in_(wanted)).union(
            select(_L.case_id).where(_ACTIVE, _L.concern_id.in_(wanted)))
        case_ids = [str(r[0]) for r in await self._session.execute(cases)]
        if not case_ids:
            return set(wanted)
        openers = select(_C.concern_id).where(_C.case_id.in_(case_ids))
        members = select(_L.concern_id).where(_ACTIVE, _L.case_id.in_(case_ids))
        found = {str(r[0]) for r in await self._session.execute(openers.union(members))}
        return set(wanted) | found


def _membership(row: Any) -> Membership:
    return Membership(
        link_id=UUID(row["link_id"]), case_id=UUID(row["case_id"]), concern_id=UUID(row["concern_id"]),
        subject_index=row["subject_index"], person_id=row["person_id"], match=Match(row["match"]),
        linked_at=aware_at(row["linked_at"]), linked_by=row["linked_by"], reason=row["reason"],
        unlinked_at=aware(row["unlinked_at"]), unlinked_by=row["unlinked_by"], unlink_reason=row["unlink_reason"])
