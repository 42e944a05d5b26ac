"""The infohus case (docs/legal.md §B1, lifecycle §B3) as an aggregate with a timeline.

Every command names its actor and time, and appends a timeline entry; a refused command changes
nothing. Triage needs both tovholdere: each signs an outcome for their own side, and the case leaves
RECEIVED only when the municipal and the police tovholder have signed the same outcome.

The case stores references and codes, never narrative: assessments and follow-ups point to
documents (``*_ref``) kept where the municipality keeps case documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from contracts.events import Priority
from infohus.kit.auth.roles import Role
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.errors import InvalidCommand, NotPermitted, TransitionNotAllowed


class CaseState(StrEnum):
    RECEIVED = "RECEIVED"
    IN_SCOPE = "IN_SCOPE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    POLICE_ONLY = "POLICE_ONLY"
    SCREENING = "SCREENING"
    ANALYSIS = "ANALYSIS"
    ASSESSMENT = "ASSESSMENT"
    RECOMMENDATION = "RECOMMENDATION"
    HANDED_OVER = "HANDED_OVER"
    FOLLOW_UP = "FOLLOW_UP"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"


class TriageOutcome(StrEnum):
    IN_SCOPE = "IN_SCOPE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    POLICE_ONLY = "POLICE_ONLY"


class CloseReason(StrEnum):
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    POLICE_ONLY = "POLICE_ONLY"
    HANDED_OVER = "HANDED_OVER"
    NO_FURTHER_CONCERN = "NO_FURTHER_CONCERN"
    MOVED = "MOVED"
    DUPLICATE = "DUPLICATE"
    WITHDRAWN_NOT_APPLICABLE = "WITHDRAWN_NOT_APPLICABLE"


TRIAGE_ROLES = (Role.TOVHOLDER_MUNICIPAL, Role.TOVHOLDER_POLICE)
TERMINAL = frozenset({CaseState.CLOSED})
# Reasons that end a case whatever stage it reached (administrative closes).
_ADMINISTRATIVE_CLOSE = frozenset({CloseReason.MOVED, CloseReason.DUPLICATE, CloseReason.WITHDRAWN_NOT_APPLICABLE})
_CLOSE_FROM: dict[CloseReason, frozenset[CaseState]] = {
    CloseReason.OUT_OF_SCOPE: frozenset({CaseState.OUT_OF_SCOPE}),
    CloseReason.POLICE_ONLY: frozenset({CaseState.POLICE_ONLY}),
    CloseReason.HANDED_OVER: frozenset({CaseState.HANDED_OVER, CaseState.FOLLOW_UP}),
    CloseReason.NO_FURTHER_CONCERN: frozenset({
        CaseState.SCREENING, CaseState.ASSESSMENT, CaseState.RECOMMENDATION, CaseState.HANDED_OVER,
        CaseState.FOLLOW_UP}),
}


def awaited_signoffs(signed: dict[Role, TriageOutcome]) -> list[Role]:
    """Whose triage sign-off is awaited, given the outcomes signed so far (triage not yet complete)."""
    roles = [r for r in TRIAGE_ROLES if r not in signed]
    if not roles and len(set(signed.values())) > 1:
        return list(TRIAGE_ROLES)  # they disagree: both must agree on one outcome
    return roles


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineNote:
    """A timeline entry that leaves the case as it is: the case's state when the note is written is
    recorded as both its from- and to-state (no read of the case, no new version)."""

    at: datetime
    actor: str
    actor_role: str
    action: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TriageSignoff:
    user_id: str
    outcome: TriageOutcome
    at: datetime


@dataclass(frozen=True)
class Recommendation:
    measure: str
    responsible_authority: str
    proposed_legal_basis: str | None = None


@dataclass
class InfohusCase:
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int
    person_id: str
    group_id: UUID
    priority: Priority
    triage_due_at: datetime
    flags: tuple[str, ...]
    opened_at: datetime
    municipality: str
    """The code of the municipality the case belongs to (``MunicipalityConfig.municipality_code``)."""
    state: CaseState = CaseState.RECEIVED
    version: int = 0
    triage_signoffs: dict[Role, TriageSignoff] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)  # what each stage recorded (codes and refs)
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    new_entries: list[TimelineEntry] = field(default_factory=list)  # appended since loaded; saved as rows

    @classmethod
    def open(cls, *, case_id: UUID, concern_id: UUID, reference: str, subject_index: int, person_id: str,
             group_id: UUID, priority: Priority, triage_due_at: datetime, flags: tuple[str, ...],
             opened_at: datetime, municipality: str) -> InfohusCase:
        case = cls(case_id=case_id, concern_id=concern_id, reference=reference, subject_index=subject_index,
                   person_id=person_id, group_id=group_id, priority=priority, triage_due_at=triage_due_at,
                   flags=flags, opened_at=opened_at, municipality=municipality)
        case._append(SYSTEM, opened_at, "OPENED", CaseState.RECEIVED,
                     {"priority": priority.value, "triage_due_at": triage_due_at.isoformat(), "flags": list(flags)})
        return case

    # --- triage (dual sign-off) -------------------------------------------------------------------

    def sign_triage(self, actor: Actor, outcome: TriageOutcome, at: datetime) -> bool:
        """Record one tovholder's triage outcome; True when both agree and the triage is complete."""
        role = actor.role
        if role is None or role not in TRIAGE_ROLES:
            raise NotPermitted("only the municipal and the police tovholder triage an infohus case")
        self._require(CaseState.RECEIVED, action="TRIAGE_SIGNED")
        other_role = next(r for r in TRIAGE_ROLES if r is not role)
        other = self.triage_signoffs.get(other_role)
        if other is not None and other.user_id == actor.user_id:
            raise NotPermitted("the two triage sign-offs must come from two different people")
        self.triage_signoffs[role] = TriageSignoff(actor.user_id, outcome, at)
        self._append(actor, at, "TRIAGE_SIGNED", self.state, {"outcome": outcome.value})
        if other is None or other.outcome is not outcome:
            return False
        municipal = self.triage_signoffs[Role.TOVHOLDER_MUNICIPAL]
        police = self.triage_signoffs[Role.TOVHOLDER_POLICE]
        self.record["triage"] = {"outcome": outcome.value, "decided_at": at.isoformat(),
                                 "decided_by_municipal": municipal.user_id, "decided_by_police": police.user_id}
        self._append(actor, at, "TRIAGE_COMPLETED", CaseState(outcome.value), dict(self.record["triage"]))
        return True

    @property
    def triage_complete(self) -> bool:
        return "triage" in self.record

    @property
    def triage_completed_at(self) -> datetime | None:
        triage = self.record.get("triage")
        return None if triage is None else datetime.fromisoformat(triage["decided_at"])

    @property
    def subject_path(self) -> str:
        return f"subjects[{self.subject_index}]"

    def awaiting(self) -> list[Role]:
        """The roles whose triage sign-off is awaited: none once complete, both when they disagree."""
        if self.triage_complete:
            return []
        return awaited_signoffs({role: s.outcome for role, s in self.triage_signoffs.items()})

    # --- the stages after an IN_SCOPE triage ------------------------------------------------------

    def start_screening(self, actor: Actor, at: datetime) -> None:
        self._require(CaseState.IN_SCOPE, action="SCREENING_STARTED")
        self._append(actor, at, "SCREENING_STARTED", CaseState.SCREENING)

    def complete_screening(self, actor: Actor, at: datetime, *, analysis_needed: bool,
                           sources_consulted: list[str]) -> None:
        self._require(CaseState.SCREENING, action="SCREENING_COMPLETED")
        details = {"completed_at": at.isoformat(), "sources_consulted": sources_consulted,
                   "analysis_needed": analysis_needed}
        self.record["screening"] = details
        self._append(actor, at, "SCREENING_COMPLETED",
                     CaseState.ANALYSIS if analysis_needed else CaseState.ASSESSMENT, details)

    def record_analysis(self, actor: Actor, at: datetime, *, meeting_at: datetime, tool_version: str,
                        dimensions_assessed: list[str], participants: list[str]) -> None:
        self._require(CaseState.ANALYSIS, action="ANALYSIS_MEETING_HELD")
        if meeting_at > at:
            raise InvalidCommand("an analysis meeting is recorded after it was held")
        details = {"meeting_at": meeting_at.isoformat(), "tool": "CDE vurderingsværktøj",
                   "tool_version": tool_version, "dimensions_assessed": dimensions_assessed,
                   "participants": participants}
        self.record["analysis"] = details
        self._append(actor, at, "ANALYSIS_MEETING_HELD", CaseState.ASSESSMENT, details)

    def issue_assessment(self, actor: Actor, at: datetime, *, at_risk: bool, summary_ref: str | None) -> None:
        self._require(CaseState.ASSESSMENT, action="ASSESSMENT_ISSUED")
        details = {"at_risk": at_risk, "summary_ref": summary_ref, "issued_at": at.isoformat()}
        self.record["assessment"] = details
        self._append(actor, at, "ASSESSMENT_ISSUED", CaseState.RECOMMENDATION, details)

    def issue_recommendations(self, actor: Actor, at: datetime, recommendations: list[Recommendation]) -> None:
        self._require(CaseState.RECOMMENDATION, action="RECOMMENDATIONS_ISSUED")
        if not recommendations:
            raise InvalidCommand("at least one recommendation is needed")
        items = [{"measure": r.measure, "responsible_authority": r.responsible_authority,
                  "proposed_legal_basis": r.proposed_legal_basis} for r in recommendations]
        self.record["recommendations"] = [*self.record.get("recommendations", []), *items]
        self._append(actor, at, "RECOMMENDATIONS_ISSUED", CaseState.RECOMMENDATION, {"recommendations": items})

    def hand_over(self, actor: Actor, at: datetime, *, to_authorities: list[str]) -> None:
        self._require(CaseState.RECOMMENDATION, action="HANDED_OVER")
        if not self.record.get("recommendations"):
            raise TransitionNotAllowed("a case is handed over only after recommendations are issued")
        if not to_authorities:
            raise InvalidCommand("name at least one authority the case is handed over to")
        handovers = [{"to_authority": a, "at": at.isoformat()} for a in to_authorities]
        self.record["handovers"] = [*self.record.get("handovers", []), *handovers]
        self._append(actor, at, "HANDED_OVER", CaseState.HANDED_OVER, {"to_authorities": to_authorities})

    def start_follow_up(self, actor: Actor, at: datetime, *, follow_up_due: date) -> None:
        self._require(CaseState.HANDED_OVER, action="FOLLOW_UP_STARTED")
        self.record["follow_up_due"] = follow_up_due.isoformat()
        self._append(actor, at, "FOLLOW_UP_STARTED", CaseState.FOLLOW_UP, {"follow_up_due": follow_up_due.isoformat()})

    def record_follow_up(self, actor: Actor, at: datetime, *, note_ref: str | None) -> None:
        self._require(CaseState.FOLLOW_UP, action="FOLLOW_UP_RECORDED")
        self._append(actor, at, "FOLLOW_UP_RECORDED", CaseState.FOLLOW_UP, {"note_ref": note_ref})

    def close(self, actor: Actor, at: datetime, reason: CloseReason) -> None:
        if self.state in TERMINAL:
            raise TransitionNotAllowed("the case is already closed")
        allowed = _CLOSE_FROM.get(reason)
        if reason not in _ADMINISTRATIVE_CLOSE and (allowed is None or self.state not in allowed):
            raise TransitionNotAllowed(f"a case in state {self.state} cannot be closed as {reason}")
        self.closed_at, self.close_reason = at, reason
        self._append(actor, at, "CLOSED", CaseState.CLOSED, {"reason": reason.value})

    def put_on_hold(self, actor: Actor, at: datetime, *, reason: str) -> None:
        if self.state in TERMINAL or self.state is CaseState.ON_HOLD:
            raise TransitionNotAllowed(f"a case in state {self.state} cannot be put on hold")
        self.record["on_hold_from"] = self.state.value
        self._append(actor, at, "PUT_ON_HOLD", CaseState.ON_HOLD, {"reason": reason, "from": self.state.value})

    def resume(self, actor: Actor, at: datetime) -> None:
        self._require(CaseState.ON_HOLD, action="RESUMED")
        previous = CaseState(self.record.pop("on_hold_from"))
        self._append(actor, at, "RESUMED", previous)

    # --- records that do not move the state -------------------------------------------------------

    def add_note(self, actor: Actor, at: datetime, text: str) -> None:
        """An internal note on the timeline: what a tovholder wants the other to know (no state change)."""
        if not text.strip():
            raise InvalidCommand("a note needs text")
        self.note(actor, at, "NOTE_ADDED", {"note": text.strip()})

    def note(self, actor: Actor, at: datetime, action: str, details: dict[str, Any]) -> None:
        """A timeline entry without a state change (age corrected, clocks moved, supplement linked)."""
        self._append(actor, at, action, self.state, details)

    def reclassify(self, actor: Actor, at: datetime, *, flags: tuple[str, ...], reason: str) -> None:
        """New flags after a correction, on the timeline with the old ones; nothing when they are the same."""
        if tuple(flags) == tuple(self.flags):
            return
        self.note(actor, at, "RECLASSIFIED", {"because": reason, "from_flags": list(self.flags),
                                              "to_flags": list(flags)})
        self.flags = tuple(flags)

    def move_triage_due(self, at: datetime, new_due: datetime, reason: str) -> None:
        """Only ever earlier, and always on the timeline: a clock is never reset silently."""
        if new_due >= self.triage_due_at:
            return
        self._append(SYSTEM, at, "TRIAGE_DUE_MOVED", self.state,
                     {"from": self.triage_due_at.isoformat(), "to": new_due.isoformat(), "reason": reason})
        self.triage_due_at = new_due

    # --- helpers ----------------------------------------------------------------------------------

    def _require(self, state: CaseState, *, action: str) -> None:
        if self.state is not state:
            raise TransitionNotAllowed(f"{action} needs a case in state {state}; this one is {self.state}")

    def _append(self, actor: Actor, at: datetime, action: str, to_state: CaseState,
                details: dict[str, Any] | None = None) -> None:
        entry = TimelineEntry(at=at, actor=actor.user_id, actor_role=actor.role_name, action=action,
                              from_state=self.state.value, to_state=to_state.value, details=details or {})
        self.state = to_state
        self.timeline.append(entry)
        self.new_entries.append(entry)
