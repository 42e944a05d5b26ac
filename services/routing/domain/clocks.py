"""Statutory and SLA clocks, and the deadline events each one owes.

- TRIAGE (per infohus case): warning at the configured fraction (75 %) of the SLA, breach at the due time.
- ASSESSMENT (per underretning, barnets lov § 136, stk. 2): at risk at the same fraction of the 24 hours,
  or at once when the decision already found it at risk (no office opening before it runs out); breach
  24 hours after receipt.
- RECEIPT_CONFIRMATION (per underretning with a contactable reporter, § 138, stk. 1): breach when the due
  date has passed (midnight local time after it).

A clock is stopped when its duty is done, never reset. It may only move earlier (an earlier near
duplicate), and the move is recorded. Each deadline event is owed once per clock; a clock stopped after
its due time still owes its breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from contracts.events import DeadlineKind
from rules.decision_table import ASSESSMENT_DEADLINE


class ClockKind(StrEnum):
    TRIAGE = "TRIAGE"
    ASSESSMENT = "ASSESSMENT"
    RECEIPT_CONFIRMATION = "RECEIPT_CONFIRMATION"


_WARNING: dict[ClockKind, DeadlineKind | None] = {
    ClockKind.TRIAGE: DeadlineKind.TRIAGE_75,
    ClockKind.ASSESSMENT: DeadlineKind.ASSESSMENT_AT_RISK,
    ClockKind.RECEIPT_CONFIRMATION: None,
}
_BREACH: dict[ClockKind, DeadlineKind] = {
    ClockKind.TRIAGE: DeadlineKind.TRIAGE_BREACHED,
    ClockKind.ASSESSMENT: DeadlineKind.ASSESSMENT_BREACHED,
    ClockKind.RECEIPT_CONFIRMATION: DeadlineKind.RECEIPT_BREACHED,
}
BREACH_KINDS = frozenset(_BREACH.values())
WARNING_KINDS = frozenset(kind for kind in _WARNING.values() if kind is not None)


@dataclass
class Clock:
    clock_id: UUID
    kind: ClockKind
    concern_id: UUID
    infohus_case_id: UUID | None
    underretning_id: UUID | None
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None
    stopped_at: datetime | None = None
    stop_reason: str | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def warning_kind(self) -> DeadlineKind | None:
        return _WARNING[self.kind]

    @property
    def breach_kind(self) -> DeadlineKind:
        return _BREACH[self.kind]

    def owed(self, now: datetime, emitted: set[DeadlineKind]) -> list[DeadlineKind]:
        """The deadline events due by ``now`` and not yet emitted, in the order they fell due.

        A running clock owes its warning and its breach once each is due. A stopped clock owes only a
        breach, and only if it was stopped after the due time.
        """
        owed: list[DeadlineKind] = []
        if self.running:
            warning = self.warning_kind
            if warning is not None and self.warn_at is not None and self.warn_at <= now:
                owed.append(warning)
            if self.due_at <= now:
                owed.append(self.breach_kind)
        elif self.stopped_at is not None and self.stopped_at > self.due_at:
            owed.append(self.breach_kind)
        return [kind for kind in owed if kind not in emitted]

    def stop(self, at: datetime, reason: str) -> None:
        if self.stopped_at is None:
            self.stopped_at, self.stop_reason = at, reason

    def moved_earlier(self, started_at: datetime, due_at: datetime, warn_at: datetime | None) -> bool:
        """Move a running clock to an earlier start; False (and no change) unless it really is earlier."""
        if not self.running or started_at >= self.started_at:
            return False
        self.started_at, self.due_at, self.warn_at = started_at, min(due_at, self.due_at), warn_at
        return True


def clock_id(owner: UUID, kind: ClockKind) -> UUID:
    return uuid5(owner, f"clock:{kind.value}")


def warn_at(started_at: datetime, due_at: datetime, fraction: float) -> datetime:
    return started_at + (due_at - started_at) * fraction


def triage_clock(*, case_id: UUID, concern_id: UUID, received_at: datetime, due_at: datetime,
                 fraction: float) -> Clock:
    return Clock(clock_id(case_id, ClockKind.TRIAGE), ClockKind.TRIAGE, concern_id, case_id, None,
                 received_at, due_at, warn_at(received_at, due_at, fraction))


def assessment_clock(*, underretning_id: UUID, concern_id: UUID, case_id: UUID | None, received_at: datetime,
                     fraction: float, at_risk_from_start: bool) -> Clock:
    due = received_at + ASSESSMENT_DEADLINE
    warning = received_at if at_risk_from_start else warn_at(received_at, due, fraction)
    return Clock(clock_id(underretning_id, ClockKind.ASSESSMENT), ClockKind.ASSESSMENT, concern_id, case_id,
                 underretning_id, received_at, due, warning)


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day`` in the municipality's time zone, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def receipt_clock(*, underretning_id: UUID, concern_id: UUID, case_id: UUID | None, received_at: datetime,
                  due_date: date, zone: ZoneInfo) -> Clock:
    return Clock(clock_id(underretning_id, ClockKind.RECEIPT_CONFIRMATION), ClockKind.RECEIPT_CONFIRMATION,
                 concern_id, case_id, underretning_id, received_at, end_of_local_day(due_date, zone), None)
