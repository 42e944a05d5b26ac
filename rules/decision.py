"""The routing decision: the output of ``rules.decide`` and of ``infohus explain``.

Times are aware datetimes in the municipality's local time (ISO 8601 with offset in JSON).
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict

from contracts.events import Destination, Priority
from rules.age import AgeBand
from rules.vocabulary import Flag, MessageId, TimeContext, UnderretningLegalType


class PlannedUnderretning(BaseModel):
    """An underretning (barnets lov §§ 133/135) routing must register, with its statutory clocks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_type: UnderretningLegalType
    subject: str  # path into the concern: "subjects[0]" or "children_at_risk[1]"
    assessment_due_at: AwareDatetime  # BL § 136, stk. 2: 24 elapsed hours after receipt
    receipt_confirmation_due_date: date | None  # BL § 138, stk. 1; None if the reporter cannot be reached
    professional_orientation_required: bool  # BL § 138, stk. 2


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: Priority
    age_bands: tuple[AgeBand, ...]  # one per subject, in order
    minor_possible: bool  # any subject or child at risk may be under 18
    time_context: TimeContext
    next_office_opening: AwareDatetime  # received_at itself when the office is open
    destinations: tuple[Destination, ...]
    underretninger: tuple[PlannedUnderretning, ...]
    infohus_triage_due: AwareDatetime  # for duplicates informational only: the original's clock applies
    flags: tuple[Flag, ...]
    rules_fired: tuple[str, ...]
    reporter_messages: tuple[MessageId, ...]  # display order
    config_version: str
