"""Routing's tables, read and written as domain objects.

Instants are written in UTC and read back as aware UTC datetimes: SQLite keeps no offset, so an
aware local time written as-is would come back as the wrong instant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, String, Text, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.concern import ReporterCategory
from contracts.events import DeadlineKind, Priority
from infohus.kit.auth.roles import Role
from infohus.kit.db import UtcDateTime
from rules.age import AgeBand
from rules.decision import Decision
from rules.vocabulary import Jurisdiction
from services.routing.adapters.orm import (
    case_timeline,
    clocks,
    concern_facts,
    deadline_events,
    decisions,
    infohus_cases,
    person_cpr,
    tasks,
    underretninger,
)
from services.routing.domain.case import (
    CaseState,
    CloseReason,
    InfohusCase,
    TimelineEntry,
    TimelineNote,
    TriageOutcome,
    TriageSignoff,
)
from services.routing.domain.casework import Underretning
from services.routing.domain.clocks import BREACH_KINDS, WARNING_KINDS, Clock, ClockKind
from services.routing.domain.duplicates import Fingerprint
from services.routing.domain.errors import ConcurrentModification
from services.routing.domain.facts import ConcernFacts, PersonRecord
from services.routing.domain.tasks import Task, TaskKind, TaskState


def utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError("naive datetime given to the repository")
    return moment.astimezone(UTC)


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    value = aware(moment)
    assert value is not None
    return value


def _opt_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


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


class RoutingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- decisions and concern facts ---------------------------------------------------------------

    async def add_decision(self, *, decision_id: UUID, concern_id: UUID, reference: str, received_at: datetime,
                           decided_at: datetime, decision: Decision, trace_id: str | None) -> None:
        await self._session.execute(decisions.insert(), dict(
            decision_id=str(decision_id), concern_id=str(concern_id), reference=reference,
            received_at=utc(received_at), decided_at=utc(decided_at), config_version=decision.config_version,
            decision=decision.model_dump_json(), trace_id=trace_id))

    async def decision_for(self, concern_id: UUID) -> Decision | None:
        row = (await self._session.execute(
            select(decisions.c.decision).where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else Decision.model_validate_json(row[0])

    async def stored_decision(self, concern_id: UUID) -> tuple[Decision, datetime] | None:
        """The decision as stored when the concern arrived, and when it was made."""
        row = (await self._session.execute(select(decisions.c.decision, decisions.c.decided_at)
                                           .where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else (Decision.model_validate_json(row[0]), _aware(row[1]))

    async def add_facts(self, facts: ConcernFacts) -> None:
        await self._session.execute(concern_facts.insert(), self._facts_row(facts))
        await self._save_cpr_hmacs(facts)

    async def save_facts(self, facts: ConcernFacts) -> None:
        row = self._facts_row(facts)
        del row["concern_id"]
        await self._session.execute(
            update(concern_facts).where(concern_facts.c.concern_id == str(facts.concern_id)).values(**row))
        await self._save_cpr_hmacs(facts)

    async def _save_cpr_hmacs(self, facts: ConcernFacts) -> None:
        """The persons' CPR HMACs as rows the inbox's CPR search finds by index (replaced as a whole)."""
        await self._session.execute(delete(person_cpr).where(person_cpr.c.concern_id == str(facts.concern_id)))
        rows = [dict(person_id=p.person_id, concern_id=str(facts.concern_id), cpr_hmac=p.cpr_hmac)
                for p in facts.persons if p.cpr_hmac]
        if rows:
            await self._session.execute(person_cpr.insert(), rows)

    async def facts(self, concern_id: UUID) -> ConcernFacts | None:
        row = (await self._session.execute(
            select(concern_facts).where(concern_facts.c.concern_id == str(concern_id)))).mappings().first()
        return None if row is None else self._facts(row)

    async def near_duplicate_candidates(self, description_hash: str, received_at: datetime,
                                        window: timedelta) -> list[ConcernFacts]:
        """Originals (not themselves duplicates) with the same description hash within the window."""
        rows = (await self._session.execute(
            select(concern_facts).where(
                concern_facts.c.description_hash == description_hash,
                concern_facts.c.duplicate_of.is_(None),
                concern_facts.c.received_at >= utc(received_at - window),
                concern_facts.c.received_at <= utc(received_at + window))
            .order_by(concern_facts.c.received_at))).mappings().all()
        return [self._facts(row) for row in rows]

    async def duplicates_of(self, concern_id: UUID) -> list[str]:
        rows = await self._session.execute(
            select(concern_facts.c.concern_id).where(concern_facts.c.duplicate_of == str(concern_id)))
        return [r[0] for r in rows]

    @staticmethod
    def _facts_row(facts: ConcernFacts) -> dict[str, Any]:
        fp = facts.fingerprint
        return dict(
            concern_id=str(facts.concern_id), reference=facts.reference, received_at=utc(facts.received_at),
            effective_received_at=utc(facts.effective_received_at),
            reporter_category=facts.reporter_category.value, reporter_contactable=facts.reporter_contactable,
            acute=facts.acute, content_hash=facts.content_hash, data_categories=json.dumps(list(facts.data_categories)),
            persons=json.dumps([{"path": p.path, "person_id": p.person_id, "age_band": p.age_band.value,
                                 "minor_possible": p.minor_possible, "jurisdiction": p.jurisdiction.value,
                                 "cpr_hmac": p.cpr_hmac, "municipality": p.municipality} for p in facts.persons]),
            config_version=facts.config_version,
            duplicate_of=None if facts.duplicate_of is None else str(facts.duplicate_of),
            description_hash=fp.description_hash, reporter_keys=json.dumps(sorted(fp.reporter_keys)),
            subject_keys=json.dumps([sorted(keys) for keys in fp.subject_keys]))

    @staticmethod
    def _facts(row: Any) -> ConcernFacts:
        received_at = _aware(row["received_at"])
        persons = [PersonRecord(path=p["path"], person_id=p["person_id"], age_band=AgeBand(p["age_band"]),
                                minor_possible=p["minor_possible"], jurisdiction=Jurisdiction(p["jurisdiction"]),
                                cpr_hmac=p["cpr_hmac"], municipality=p["municipality"])
                   for p in json.loads(row["persons"])]
        fingerprint = Fingerprint(received_at=received_at, reporter_keys=frozenset(json.loads(row["reporter_keys"])),
                                  subject_keys=tuple(frozenset(k) for k in json.loads(row["subject_keys"])),
                                  description_hash=row["description_hash"])
        return ConcernFacts(
            concern_id=UUID(row["concern_id"]), reference=row["reference"], received_at=received_at,
            effective_received_at=_aware(row["effective_received_at"]),
            reporter_category=ReporterCategory(row["reporter_category"]),
            reporter_contactable=bool(row["reporter_contactable"]), content_hash=row["content_hash"],
            data_categories=tuple(json.loads(row["data_categories"])), persons=persons,
            config_version=row["config_version"], fingerprint=fingerprint,
            duplicate_of=_uuid(row["duplicate_of"]), acute=bool(row["acute"]))

    # --- infohus cases -----------------------------------------------------------------------------

    async def add_case(self, case: InfohusCase, *, trace_id: str | None) -> None:
        await self._session.execute(infohus_cases.insert(), dict(
            case_id=str(case.case_id), concern_id=str(case.concern_id), reference=case.reference,
            subject_index=case.subject_index, person_id=case.person_id, group_id=str(case.group_id),
            state=case.state.value, priority=case.priority.value, triage_due_at=utc(case.triage_due_at),
            flags=json.dumps(list(case.flags)), opened_at=utc(case.opened_at), trace_id=trace_id,
            version=case.version, triage_signoffs=self._signoffs(case), record=json.dumps(case.record),
            closed_at=_opt_utc(case.closed_at), close_reason=None,
            triage_completed_at=_opt_utc(case.triage_completed_at), municipality=case.municipality))
        await self._add_entries(case)

    async def get_case(self, case_id: UUID) -> InfohusCase | None:
        row = (await self._session.execute(
            select(infohus_cases).where(infohus_cases.c.case_id == str(case_id)))).mappings().first()
        if row is None:
            return None
        entries = (await self._session.execute(
            select(case_timeline).where(case_timeline.c.case_id == str(case_id))
            .order_by(case_timeline.c.entry_id))).mappings().all()
        signoffs = {Role(role): TriageSignoff(s["user_id"], TriageOutcome(s["outcome"]), _aware(
            datetime.fromisoformat(s["at"]))) for role, s in json.loads(row["triage_signoffs"]).items()}
        return InfohusCase(
            case_id=UUID(row["case_id"]), concern_id=UUID(row["concern_id"]), reference=row["reference"],
            subject_index=row["subject_index"], person_id=row["person_id"], group_id=UUID(row["group_id"]),
            priority=Priority(row["priority"]), triage_due_at=_aware(row["triage_due_at"]),
            flags=tuple(json.loads(row["flags"])), opened_at=_aware(row["opened_at"]),
            municipality=row["municipality"], state=CaseState(row["state"]),
            version=row["version"], triage_signoffs=signoffs, record=json.loads(row["record"]),
            closed_at=aware(row["closed_at"]),
            close_reason=None if row["close_reason"] is None else CloseReason(row["close_reason"]),
            timeline=[TimelineEntry(at=_aware(e["at"]), actor=e["actor"], actor_role=e["actor_role"],
                                    action=e["action"], from_state=e["from_state"], to_state=e["to_state"],
                                    details=json.loads(e["details"])) for e in entries])

    async def save_case(self, case: InfohusCase) -> None:
        """Optimistic: refused if someone else saved the case since it was read."""
        result = await self._session.execute(
            update(infohus_cases)
            .where(infohus_cases.c.case_id == str(case.case_id), infohus_cases.c.version == case.version)
            .values(state=case.state.value, version=case.version + 1, triage_signoffs=self._signoffs(case),
                    record=json.dumps(case.record), triage_due_at=utc(case.triage_due_at),
                    closed_at=_opt_utc(case.closed_at), triage_completed_at=_opt_utc(case.triage_completed_at),
                    close_reason=None if case.close_reason is None else case.close_reason.value))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentModification("the case was changed by someone else; reload it and try again")
        case.version += 1
        await self._add_entries(case)

    async def case_ids_for_concern(self, concern_id: UUID) -> list[UUID]:
        rows = await self._session.execute(
            select(infohus_cases.c.case_id).where(infohus_cases.c.concern_id == str(concern_id))
            .order_by(infohus_cases.c.subject_index))
        return [UUID(r[0]) for r in rows]

    async def _add_entries(self, case: InfohusCase) -> None:
        for entry in case.new_entries:
            await self.append_timeline_entry(case.case_id, entry)
        case.new_entries.clear()

    async def append_timeline_entry(self, case_id: UUID, entry: TimelineEntry) -> None:
        """One timeline row, without touching the case (its state and version stay as they are)."""
        await self._session.execute(case_timeline.insert(), dict(
            case_id=str(case_id), at=utc(entry.at), actor=entry.actor, actor_role=entry.actor_role,
            action=entry.action, from_state=entry.from_state, to_state=entry.to_state,
            details=json.dumps(entry.details, default=str)))

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

    @staticmethod
    def _signoffs(case: InfohusCase) -> str:
        return json.dumps({role.value: {"user_id": s.user_id, "outcome": s.outcome.value, "at": utc(s.at).isoformat()}
                           for role, s in case.triage_signoffs.items()})

    async def cases_for_concern(self, concern_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(infohus_cases).where(infohus_cases.c.concern_id == str(concern_id))
            .order_by(infohus_cases.c.subject_index))
        return [dict(r) for r in rows.mappings()]

    async def case_by_reference(self, reference: str) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(infohus_cases).where(infohus_cases.c.reference == reference)
            .order_by(infohus_cases.c.subject_index))
        return [dict(r) for r in rows.mappings()]

    # --- underretninger ----------------------------------------------------------------------------

    async def add_underretning(self, u: Underretning) -> None:
        await self._session.execute(underretninger.insert(), dict(
            underretning_id=str(u.underretning_id), concern_id=str(u.concern_id),
            case_id=None if u.case_id is None else str(u.case_id), subject=u.subject, person_id=u.person_id,
            legal_type=u.legal_type, state=u.state, received_at=utc(u.received_at),
            assessment_due_at=utc(u.assessment_due_at), receipt_confirmation_due_date=u.receipt_confirmation_due_date,
            professional_orientation_required=u.professional_orientation_required, origin=u.origin,
            municipality=u.municipality))

    async def save_underretning(self, u: Underretning) -> None:
        await self._session.execute(update(underretninger).where(
            underretninger.c.underretning_id == str(u.underretning_id)).values(
            state=u.state, received_at=utc(u.received_at), assessment_due_at=utc(u.assessment_due_at),
            receipt_confirmation_due_date=u.receipt_confirmation_due_date, assessed_at=_opt_utc(u.assessed_at),
            assessed_by=u.assessed_by, acute_measures_needed=u.acute_measures_needed,
            assessment_note=u.assessment_note, receipt_confirmed_at=_opt_utc(u.receipt_confirmed_at),
            oriented_at=_opt_utc(u.oriented_at),
            orientation_outcome=u.orientation_outcome, forwarded_to=u.forwarded_to,
            forwarded_at=_opt_utc(u.forwarded_at)))

    async def get_underretning(self, underretning_id: UUID) -> Underretning | None:
        row = (await self._session.execute(select(underretninger).where(
            underretninger.c.underretning_id == str(underretning_id)))).mappings().first()
        return None if row is None else self._underretning(row)

    async def underretning_objects_for_concern(self, concern_id: UUID) -> list[Underretning]:
        rows = (await self._session.execute(select(underretninger).where(
            underretninger.c.concern_id == str(concern_id)).order_by(underretninger.c.subject))).mappings().all()
        return [self._underretning(r) for r in rows]

    async def underretninger_for_concern(self, concern_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(underretninger).where(underretninger.c.concern_id == str(concern_id))
            .order_by(underretninger.c.subject))
        return [dict(r) for r in rows.mappings()]

    @staticmethod
    def _underretning(row: Any) -> Underretning:
        return Underretning(
            underretning_id=UUID(row["underretning_id"]), concern_id=UUID(row["concern_id"]),
            case_id=_uuid(row["case_id"]), subject=row["subject"], person_id=row["person_id"],
            legal_type=row["legal_type"], received_at=_aware(row["received_at"]),
            assessment_due_at=_aware(row["assessment_due_at"]),
            receipt_confirmation_due_date=row["receipt_confirmation_due_date"],
            professional_orientation_required=bool(row["professional_orientation_required"]), origin=row["origin"],
            municipality=row["municipality"],
            state=row["state"], assessed_at=aware(row["assessed_at"]), assessed_by=row["assessed_by"],
            acute_measures_needed=row["acute_measures_needed"], assessment_note=row["assessment_note"],
            receipt_confirmed_at=aware(row["receipt_confirmed_at"]),
            oriented_at=aware(row["oriented_at"]), orientation_outcome=row["orientation_outcome"],
            forwarded_to=row["forwarded_to"], forwarded_at=aware(row["forwarded_at"]))

    # --- tasks -------------------------------------------------------------------------------------

    async def add_task(self, task: Task) -> None:
        await self._session.execute(tasks.insert(), dict(task_id=str(task.task_id), **self._task_row(task)))

    async def save_task(self, task: Task) -> None:
        await self._session.execute(update(tasks).where(tasks.c.task_id == str(task.task_id))
                                    .values(**self._task_row(task)))

    async def get_task(self, task_id: UUID) -> Task | None:
        row = (await self._session.execute(select(tasks).where(tasks.c.task_id == str(task_id)))).mappings().first()
        return None if row is None else self._task(row)

    async def tasks_for_case(self, case_id: UUID) -> list[Task]:
        rows = (await self._session.execute(select(tasks).where(tasks.c.case_id == str(case_id))
                                            .order_by(tasks.c.created_at, tasks.c.kind))).mappings().all()
        return [self._task(r) for r in rows]

    async def tasks_for_concern(self, concern_id: UUID) -> list[Task]:
        rows = (await self._session.execute(select(tasks).where(tasks.c.concern_id == str(concern_id))
                                            .order_by(tasks.c.created_at, tasks.c.kind))).mappings().all()
        return [self._task(r) for r in rows]

    async def open_tasks(self, kinds: list[TaskKind], *, municipalities: Iterable[str]) -> list[Task]:
        """Open tasks of ``kinds`` whose case (or, without one, underretning) is of ``municipalities``."""
        codes = sorted(municipalities)
        ours = or_(tasks.c.case_id.in_(select(infohus_cases.c.case_id).where(infohus_cases.c.municipality.in_(codes))),
                   and_(tasks.c.case_id.is_(None), tasks.c.underretning_id.in_(
                       select(underretninger.c.underretning_id).where(underretninger.c.municipality.in_(codes)))))
        rows = (await self._session.execute(
            select(tasks).where(tasks.c.state == TaskState.OPEN.value, tasks.c.kind.in_([k.value for k in kinds]),
                                ours)
            .order_by(tasks.c.due_at, tasks.c.due_date, tasks.c.created_at))).mappings().all()
        return [self._task(r) for r in rows]

    @staticmethod
    def _task_row(task: Task) -> dict[str, Any]:
        return dict(kind=task.kind.value, concern_id=str(task.concern_id),
                    case_id=None if task.infohus_case_id is None else str(task.infohus_case_id),
                    underretning_id=None if task.underretning_id is None else str(task.underretning_id),
                    state=task.state.value, created_at=utc(task.created_at), due_at=_opt_utc(task.due_at),
                    due_date=task.due_date, completed_at=_opt_utc(task.completed_at), completed_by=task.completed_by,
                    outcome=task.outcome, details=json.dumps(task.details, default=str))

    @staticmethod
    def _task(row: Any) -> Task:
        return Task(task_id=UUID(row["task_id"]), kind=TaskKind(row["kind"]), concern_id=UUID(row["concern_id"]),
                    infohus_case_id=_uuid(row["case_id"]), underretning_id=_uuid(row["underretning_id"]),
                    created_at=_aware(row["created_at"]), due_at=aware(row["due_at"]), due_date=row["due_date"],
                    state=TaskState(row["state"]), completed_at=aware(row["completed_at"]),
                    completed_by=row["completed_by"], outcome=row["outcome"], details=json.loads(row["details"]))

    # --- clocks and deadline events ------------------------------------------------------------------

    async def add_clocks(self, new: Sequence[Clock]) -> None:
        """All in one statement (a concern starts three)."""
        if new:
            await self._session.execute(clocks.insert(), [dict(clock_id=str(c.clock_id), **self._clock_row(c))
                                                          for c in new])

    async def save_clock(self, clock: Clock) -> None:
        await self._session.execute(update(clocks).where(clocks.c.clock_id == str(clock.clock_id))
                                    .values(**self._clock_row(clock)))

    async def get_clock(self, clock_id: UUID) -> Clock | None:
        row = (await self._session.execute(
            select(clocks).where(clocks.c.clock_id == str(clock_id)))).mappings().first()
        return None if row is None else self._clock(row)

    async def clocks_for_concern(self, concern_id: UUID) -> list[Clock]:
        rows = (await self._session.execute(select(clocks).where(clocks.c.concern_id == str(concern_id))
                                            .order_by(clocks.c.due_at, clocks.c.kind))).mappings().all()
        return [self._clock(r) for r in rows]

    async def running_clocks_due(self, now: datetime, limit: int = 500) -> list[Clock]:
        """Running clocks whose warning or due time has come (some may have emitted everything already)."""
        moment = utc(now)

        def not_emitted(kinds: frozenset[DeadlineKind]) -> Any:
            return ~exists().where(deadline_events.c.clock_id == clocks.c.clock_id,
                                   deadline_events.c.kind.in_([k.value for k in kinds]))

        # Clocks that owe nothing more (already breached and reported) are left out, so a backlog of
        # breached running clocks never hides a clock that has just fallen due.
        rows = (await self._session.execute(
            select(clocks).where(
                clocks.c.stopped_at.is_(None),
                or_(and_(clocks.c.due_at <= moment, not_emitted(BREACH_KINDS)),
                    and_(clocks.c.warn_at.is_not(None), clocks.c.warn_at <= moment, not_emitted(WARNING_KINDS))))
            .order_by(clocks.c.due_at).limit(limit))).mappings().all()
        return [self._clock(r) for r in rows]

    async def emitted_kinds(self, clock_ids: list[UUID]) -> dict[UUID, set[DeadlineKind]]:
        out: dict[UUID, set[DeadlineKind]] = {clock_id: set() for clock_id in clock_ids}
        if not clock_ids:
            return out
        rows = await self._session.execute(select(deadline_events.c.clock_id, deadline_events.c.kind).where(
            deadline_events.c.clock_id.in_([str(c) for c in clock_ids])))
        for clock_id, kind in rows:
            out[UUID(clock_id)].add(DeadlineKind(kind))
        return out

    async def record_emitted(self, clock_id: UUID, kind: DeadlineKind, event_id: UUID, at: datetime) -> None:
        """Primary key (clock, kind): a second emission of the same deadline fails the transaction."""
        await self._session.execute(deadline_events.insert(), dict(
            clock_id=str(clock_id), kind=kind.value, event_id=str(event_id), emitted_at=utc(at)))

    async def deadline_events_for(self, clock_ids: list[UUID]) -> list[dict[str, Any]]:
        rows = await self._session.execute(select(deadline_events).where(
            deadline_events.c.clock_id.in_([str(c) for c in clock_ids])).order_by(deadline_events.c.emitted_at))
        return [dict(r) for r in rows.mappings()]

    @staticmethod
    def _clock_row(clock: Clock) -> dict[str, Any]:
        return dict(kind=clock.kind.value, concern_id=str(clock.concern_id),
                    case_id=None if clock.infohus_case_id is None else str(clock.infohus_case_id),
                    underretning_id=None if clock.underretning_id is None else str(clock.underretning_id),
                    started_at=utc(clock.started_at), due_at=utc(clock.due_at), warn_at=_opt_utc(clock.warn_at),
                    stopped_at=_opt_utc(clock.stopped_at), stop_reason=clock.stop_reason)

    @staticmethod
    def _clock(row: Any) -> Clock:
        return Clock(clock_id=UUID(row["clock_id"]), kind=ClockKind(row["kind"]), concern_id=UUID(row["concern_id"]),
                     infohus_case_id=_uuid(row["case_id"]), underretning_id=_uuid(row["underretning_id"]),
                     started_at=_aware(row["started_at"]), due_at=_aware(row["due_at"]), warn_at=aware(row["warn_at"]),
                     stopped_at=aware(row["stopped_at"]), stop_reason=row["stop_reason"])
