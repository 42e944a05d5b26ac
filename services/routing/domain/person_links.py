"""One person, one infohus case (docs/legal.md §C.2, "Samme person").

The infohus assesses a person, not a form. A concern about a person who already has an open infohus case
joins that case, whoever reported it and through whichever channel: the person is recognised by their CPR
number's keyed hash, else by the keyed hash of their normalised name and date of birth (two CPR numbers that
differ are two persons, whatever the names say). A tovholder may also link a concern to a case as "samme
person", or unlink it again, with a reason; both are on the case's timeline.

A concern that joins a case still brings its own underretning with its own clocks for each possible minor
(separate reports under barnets lov); only the case (triage, screening, the tovholdere's work) is shared.
Near duplicates are not joined here: they stay supplements (``duplicates.py``).

Pure: no I/O. Routing never keeps a name: only ``name_dob_key`` of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from contracts.concern import Person
from contracts.events import Destination, NotificationPurpose
from rules.age import birth_date_from_cpr
from services.routing.domain.casework import CasePlan
from services.routing.domain.clocks import ClockKind
from services.routing.domain.duplicates import keyed, normalise_text


class Match(StrEnum):
    OPENED = "OPENED"  # the concern that opened the case
    CPR = "CPR"  # joined on arrival: the same CPR number (its keyed hash)
    NAME_DOB = "NAME_DOB"  # joined on arrival: the same name and date of birth (their keyed hash)
    MANUAL = "MANUAL"  # linked by a tovholder as "samme person", with a reason


def name_dob_key(person: Person, key: bytes) -> str | None:
    """The keyed hash of a person's normalised name and date of birth (the near-duplicate subject key), or None
    without both. The date of birth is the one given, else the one a CPR number gives."""
    born = person.date_of_birth or (birth_date_from_cpr(person.cpr) if person.cpr else None)
    if not person.name or born is None:
        return None
    return keyed(key, "name-dob", f"{normalise_text(person.name)}|{born.isoformat()}")


@dataclass(frozen=True)
class Membership:
    """A concern's subject in a case it did not open."""

    link_id: UUID
    case_id: UUID
    concern_id: UUID
    subject_index: int
    person_id: str
    match: Match
    linked_at: datetime
    linked_by: str
    reason: str | None = None
    unlinked_at: datetime | None = None
    unlinked_by: str | None = None
    unlink_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.unlinked_at is None


def join_existing(plan: CasePlan, joined: dict[UUID, UUID]) -> None:
    """Rewrite a concern's plan so that each planned case in ``joined`` (planned case id -> the person's open
    case) is not opened: its underretninger, clocks, tasks and mails go to the open case, its triage clock is
    not started (the case has one), and the infohus mailbox is told of supplementary information rather than
    of a new case. The concern's internal transfers then name no case of their own."""
    if not joined:
        return
    plan.cases = [c for c in plan.cases if c.case_id not in joined]
    for underretning in plan.underretninger:
        underretning.case_id = joined.get(underretning.case_id, underretning.case_id) \
            if underretning.case_id is not None else None
    plan.clocks = [c for c in plan.clocks if not (c.kind is ClockKind.TRIAGE and c.infohus_case_id in joined)]
    for clock in plan.clocks:
        if clock.infohus_case_id in joined:
            clock.infohus_case_id = joined[clock.infohus_case_id]
    for task in plan.tasks:
        if task.infohus_case_id in joined:
            task.infohus_case_id = joined[task.infohus_case_id]
    notifications = []
    for n in plan.notifications:
        if n.infohus_case_id not in joined:
            notifications.append(n)
            continue
        update: dict[str, object] = {"infohus_case_id": joined[n.infohus_case_id]}
        if n.destination is Destination.INFOHUS_TK and n.purpose is NotificationPurpose.NEW_CASE:
            update["purpose"] = NotificationPurpose.SUPPLEMENT
        notifications.append(n.model_copy(update=update))
    plan.notifications = notifications
    plan.disclosures = [d.model_copy(update={"infohus_case_id": None}) if d.infohus_case_id in joined else d
                        for d in plan.disclosures]
