"""What the decision table reads of a concern, and nothing more: the input a stored decision keeps so that
``infohus explain`` can replay it (docs/architecture.md, "Replaying a decision").

Routing keeps no concern text, names or CPR numbers. ``RulesInput.of`` keeps the reporter's category and
reachability, the acuteness, the crime suspicion and, per person, only the age evidence and the stated
municipality; of a CPR number only the birth date it encodes (or that its date part is impossible). Because
``Facts.concern`` is a ``RulesInput``, a rule that starts reading anything else of a concern fails the type
check until it is added here, so a stored input always suffices to decide again.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict

from contracts.concern import Acuteness, Channel, ConcernIn, Person, ReporterCategory
from rules.age import AgeEvidence, birth_date_from_cpr
from rules.vocabulary import DuplicateKind


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReporterInput(_Frozen):
    category: ReporterCategory
    claims_professional: bool = False
    contactable: bool


class PersonInput(_Frozen):
    cpr_given: bool = False
    cpr_birth_date: date | None = None  # None with cpr_given: the CPR number's date part is impossible
    date_of_birth: date | None = None
    stated_age: int | None = None
    municipality: str | None = None

    @classmethod
    def of(cls, person: Person) -> PersonInput:
        return cls(cpr_given=person.cpr is not None,
                   cpr_birth_date=None if person.cpr is None else birth_date_from_cpr(person.cpr),
                   date_of_birth=person.date_of_birth, stated_age=person.stated_age,
                   municipality=person.municipality)

    @property
    def age_evidence(self) -> AgeEvidence:
        return AgeEvidence(date_of_birth=self.date_of_birth, stated_age=self.stated_age,
                           cpr_given=self.cpr_given, cpr_birth_date=self.cpr_birth_date)


class RulesInput(_Frozen):
    channel: Channel
    reporter: ReporterInput
    subjects: tuple[PersonInput, ...]
    children_at_risk: tuple[PersonInput, ...] = ()
    acuteness: Acuteness
    crime_suspicion: bool

    @classmethod
    def of(cls, concern: ConcernIn | RulesInput) -> RulesInput:
        if isinstance(concern, RulesInput):
            return concern
        reporter = concern.reporter
        return cls(
            channel=concern.channel,
            reporter=ReporterInput(category=reporter.category, claims_professional=reporter.claims_professional,
                                   contactable=reporter.contactable),
            subjects=tuple(PersonInput.of(person) for person in concern.subjects),
            children_at_risk=tuple(PersonInput.of(person) for person in concern.children_at_risk),
            acuteness=concern.acuteness,
            crime_suspicion=concern.crime_suspicion,
        )


class DecisionInput(_Frozen):
    """Everything ``rules.decision_table.decide`` reads besides the configuration."""

    concern: RulesInput
    received_at: AwareDatetime
    duplicate: DuplicateKind = DuplicateKind.NEW
