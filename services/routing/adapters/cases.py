"""Infohus cases with their timelines: one case per subject of a concern, saved optimistically."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, String, Text, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import Priority
from infohus.kit.auth.roles import Role
from infohus.kit.db import UtcDateTime
from services.routing.adapters.instants import aware, aware_at, utc, utc_or_none
from services.routing.adapters.orm import case_timeline, infohus_cases
from services.routing.domain.case import (
    CaseState,
    CloseReason,
    InfohusCase,
    TimelineEntry,
    TimelineNote,
    TriageOutcome,
    TriageSignoff,
)
from services.routing.domain.errors import ConcurrentModification


def _note_statement(*, per_concern: bool) -> Insert:
    """INSERT … SELECT: one timeline row per matching case, with the case's state as from- and to-state."""
    cases = infohus_cases.c
    rows = select(cases.case_id, bindparam("note_at", type_=UtcDateTime), bindparam("note_actor", type_=String),
                  bindparam("note_actor_role", type_=String), bindparam("note_action", type_=String),
                  cases.state, cases.state, bindparam("note_details", type_=Text)
                  ).where((cases.concern_id if per_concern else cases.case_id) == bindparam("target"))
    return (case_timeline.insert()
            .from_select(["case_id", "at", "actor", "actor_role", "action", "from_state", "to_state", "details"], rows)
            .returning(case_timeline.c.case_id))


_NOTE_ON_CASE = _note_statement(per_concern=False)
_NOTE_ON_CONCERN_CASES = _note_statement(per_concern=True)


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, case: InfohusCase, *, trace_id: str | None) -> None:
        await self._session.execute(infohus_cases.insert(), dict(
            case_id=str(case.case_id), concern_id=str(case.concern_id), reference=case.reference,
            subject_index=case.subject_index, person_id=case.person_id, group_id=str(case.group_id),
            state=case.state.value, priority=case.priority.value, triage_due_at=utc(case.triage_due_at),
            flags=json.dumps(list(case.flags)), opened_at=utc(case.opened_at), trace_id=trace_id,
            version=case.version, triage_signoffs=_signoffs(case), record=json.dumps(case.record),
            closed_at=utc_or_none(case.closed_at), close_reason=None,
            triage_completed_at=utc_or_none(case.triage_completed_at), municipality=case.municipality))
        await self._add_entries(case)

    async def get(self, case_id: UUID) -> InfohusCase | None:
        row = (await self._session.execute(
            select(infohus_cases).where(infohus_cases.c.case_id == str(case_id)))).mappings().first()
        if row is None:
            return None
        entries = (await self._session.execute(
            select(case_timeline).where(case_timeline.c.case_id == str(case_id))
            .order_by(case_timeline.c.entry_id))).mappings().all()
        return _case(row, [_entry(e) for e in entries])

    async def save(self, case: InfohusCase) -> None:
        """Optimistic: refused if someone else saved the case since it was read."""
        result = await self._session.execute(
            update(infohus_cases)
            .where(infohus_cases.c.case_id == str(case.case_id), infohus_cases.c.version == case.version)
            .values(state=case.state.value, version=case.version + 1, triage_signoffs=_signoffs(case),
                    priority=case.priority.value, flags=json.dumps(list(case.flags)),
                    record=json.dumps(case.record), triage_due_at=utc(case.triage_due_at),
                    closed_at=utc_or_none(case.closed_at), triage_completed_at=utc_or_none(case.triage_completed_at),
                    close_reason=None if case.close_reason is None else case.close_reason.value))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentModification("the case was changed by someone else; reload it and try again")
        case.version += 1
        await self._add_entries(case)

    async def ids_for_concern(self, concern_id: UUID) -> list[UUID]:
        rows = await self._session.execute(
            select(infohus_cases.c.case_id).where(infohus_cases.c.concern_id == str(concern_id))
            .order_by(infohus_cases.c.subject_index))
        return [UUID(r[0]) for r in rows]

    async def rows_for_concern(self, concern_id: UUID) -> list[dict[str, Any]]:
        """The stored rows of a concern's cases, as they are (for inspection)."""
        rows = await self._session.execute(
            select(infohus_cases).where(infohus_cases.c.concern_id == str(concern_id))
            .order_by(infohus_cases.c.subject_index))
        return [dict(r) for r in rows.mappings()]

    async def add_note(self, note: TimelineNote, *, case_id: UUID | None = None,
                       concern_id: UUID | None = None) -> int:
        """The note on one case, or on every case of a concern, in one statement that takes each case's
        state as it is; returns the number of cases that got it (0 when there is none)."""
        if (case_id is None) == (concern_id is None):
            raise ValueError("give a case or a concern")
        statement = _NOTE_ON_CASE if case_id is not None else _NOTE_ON_CONCERN_CASES
        rows = await self._session.execute(statement, dict(
            target=str(case_id or concern_id), note_at=utc(note.at), note_actor=note.actor,
            note_actor_role=note.actor_role, note_action=note.action,
            note_details=json.dumps(note.details, default=str)))
        return len(rows.all())

    async def _add_entries(self, case: InfohusCase) -> None:
        for entry in case.new_entries:
            await self._session.execute(case_timeline.insert(), dict(
                case_id=str(case.case_id), at=utc(entry.at), actor=entry.actor, actor_role=entry.actor_role,
                action=entry.action, from_state=entry.from_state, to_state=entry.to_state,
                details=json.dumps(entry.details, default=str)))
        case.new_entries.clear()


def _signoffs(case: InfohusCase) -> str:
    return json.dumps({role.value: {"user_id": s.user_id, "outcome": s.outcome.value, "at": utc(s.at).isoformat()}
                       for role, s in case.triage_signoffs.items()})


def _entry(row: Any) -> TimelineEntry:
    return TimelineEntry(at=aware_at(row["at"]), actor=row["actor"], actor_role=row["actor_role"],
                         action=row["action"], from_state=row["from_state"], to_state=row["to_state"],
                         details=json.loads(row["details"]))


def _case(row: Any, timeline: list[TimelineEntry]) -> InfohusCase:
    signoffs = {Role(role): TriageSignoff(s["user_id"], TriageOutcome(s["outcome"]),
                                          aware_at(datetime.fromisoformat(s["at"])))
                for role, s in json.loads(row["triage_signoffs"]).items()}
    return InfohusCase(
        case_id=UUID(row["case_id"]), concern_id=UUID(row["concern_id"]), reference=row["reference"],
        subject_index=row["subject_index"], person_id=row["person_id"], group_id=UUID(row["group_id"]),
        priority=Priority(row["priority"]), triage_due_at=aware_at(row["triage_due_at"]),
        flags=tuple(json.loads(row["flags"])), opened_at=aware_at(row["opened_at"]),
        municipality=row["municipality"], state=CaseState(row["state"]),
        version=row["version"], triage_signoffs=signoffs, record=json.loads(row["record"]),
        closed_at=aware(row["closed_at"]),
        close_reason=None if row["close_reason"] is None else CloseReason(row["close_reason"]),
        timeline=timeline)
