"""When routing's data about a concern may go, and what a legal hold is (docs/legal.md §A3). Pure.

A concern's data (its cases, underretninger, tasks, clocks, decision and facts) is kept until every case of
it has closed, and then a period after the last close: ``case_retention_years`` [P] for a case, and
``not_a_case_retention_days`` [P] for one that never became an infohus case (closed at triage as out of
scope, as a duplicate or withdrawn). A near duplicate goes with the concern it was linked to; a concern
without cases (none should exist) goes the short period after its receipt. A legal hold on a case, a
concern or a person keeps every concern it covers, with its near duplicates, in every service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.routing.domain.case import CaseState, CloseReason
from services.routing.domain.errors import InvalidCommand

NOT_A_CASE: frozenset[CloseReason] = frozenset({
    CloseReason.OUT_OF_SCOPE, CloseReason.DUPLICATE, CloseReason.WITHDRAWN_NOT_APPLICABLE})
"""Close reasons of a concern that never became an infohus case: kept the short period only."""

LIFTED_HOLD_YEARS = 5
"""A lifted hold (who held what, why, and who lifted it) is kept this long after the lift, like the
disclosure records it may explain."""


class HoldScope(StrEnum):
    CASE = "CASE"  # an infohus case, by its id: the concern it belongs to is held
    CONCERN = "CONCERN"  # a concern, by its id or reference
    PERSON = "PERSON"  # a person, by CPR number (kept only as its keyed HMAC): every concern naming them


REASON_LENGTH = (5, 500)


def checked_reason(text: str) -> str:
    reason = " ".join(text.split())
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high:
        raise InvalidCommand(f"a reason of {low} to {high} characters is required")
    return reason


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class RetentionPeriods:
    case_years: int
    not_a_case: timedelta

    def case_closed_before(self, now: datetime) -> datetime:
        """A case closed before this instant has had its period (unless it never became a case)."""
        return years_before(now, self.case_years)

    def not_a_case_closed_before(self, now: datetime) -> datetime:
        return now - self.not_a_case


@dataclass(frozen=True)
class CaseEnd:
    state: str
    closed_at: datetime | None
    close_reason: str | None


def erasable_after(cases: Iterable[CaseEnd], received_at: datetime, periods: RetentionPeriods) -> datetime | None:
    """When a concern's data may go (None: not while a case of it is open). The rule the retention run's
    query applies (``adapters/retention.py``), stated once in plain code."""
    ends = list(cases)
    if not ends:
        return received_at + periods.not_a_case
    if any(end.state != CaseState.CLOSED or end.closed_at is None for end in ends):
        return None
    return max(_end_of_period(end, periods) for end in ends)


def _end_of_period(end: CaseEnd, periods: RetentionPeriods) -> datetime:
    assert end.closed_at is not None
    if end.close_reason in NOT_A_CASE:
        return end.closed_at + periods.not_a_case
    try:
        return end.closed_at.replace(year=end.closed_at.year + periods.case_years)
    except ValueError:  # 29 February
        return end.closed_at.replace(year=end.closed_at.year + periods.case_years, day=28)
