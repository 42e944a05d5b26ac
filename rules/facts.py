"""What the decision table reads (docs/legal.md §C.1): the concern and everything derived from it.

The age band and jurisdiction of each person, the local receipt date, the time context and the next
office opening, all for one receipt instant and one municipality's configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from contracts.concern import Acuteness, ConcernIn
from rules.age import AgeAssessment, assess_age
from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from rules.inputs import PersonInput, RulesInput
from rules.vocabulary import Jurisdiction, TimeContext


@dataclass(frozen=True)
class PersonFacts:
    path: str  # "subjects[0]", "children_at_risk[1]"
    age: AgeAssessment
    jurisdiction: Jurisdiction


@dataclass(frozen=True)
class Facts:
    """What the rules read: the concern plus everything derived from it (§C.1)."""

    concern: RulesInput  # only what the rules may read of the concern
    config: MunicipalityConfig
    calendar: OfficeCalendar
    received_at: datetime  # UTC
    receipt_date: date  # local date of receipt
    subjects: tuple[PersonFacts, ...]
    children: tuple[PersonFacts, ...]
    time_context: TimeContext
    next_office_opening: datetime  # UTC

    @property
    def persons(self) -> tuple[PersonFacts, ...]:
        return self.subjects + self.children

    @property
    def acute(self) -> bool:
        return self.concern.acuteness is Acuteness.ACUTE


def derive_facts(concern: ConcernIn | RulesInput, received_at: datetime, config: MunicipalityConfig) -> Facts:
    concern = RulesInput.of(concern)
    if received_at.utcoffset() is None:
        raise ValueError("received_at must carry a UTC offset")
    calendar = OfficeCalendar(config)
    receipt_date = calendar.local_date(received_at)

    def person_facts(kind: str, people: Sequence[PersonInput]) -> tuple[PersonFacts, ...]:
        return tuple(
            PersonFacts(
                f"{kind}[{index}]", _assess(person, receipt_date, config), _jurisdiction(person, config)
            )
            for index, person in enumerate(people)
        )

    return Facts(
        concern=concern,
        config=config,
        calendar=calendar,
        received_at=received_at.astimezone(UTC),
        receipt_date=receipt_date,
        subjects=person_facts("subjects", concern.subjects),
        children=person_facts("children_at_risk", concern.children_at_risk),
        time_context=calendar.time_context(received_at),
        next_office_opening=calendar.next_office_opening(received_at),
    )


def _assess(person: PersonInput, receipt_date: date, config: MunicipalityConfig) -> AgeAssessment:
    return assess_age(
        person.age_evidence,
        receipt_date,
        transition_window_days=config.transition_window_days,
        feb29_policy=config.feb29_policy,
    )


def _jurisdiction(person: PersonInput, config: MunicipalityConfig) -> Jurisdiction:
    if person.municipality is None:
        return Jurisdiction.UNKNOWN
    return Jurisdiction.HOME if config.is_home_municipality(person.municipality) else Jurisdiction.OTHER
