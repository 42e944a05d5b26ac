"""What routing keeps about a concern for later commands: codes, pseudonyms and keyed hashes only.

Routing does not keep the concern itself (intake does). Age corrections, forwardings, disclosures and
near-duplicate matching work from these facts: the reporter's category and reachability, a pseudonym,
age band and CPR HMAC per person, the content hash and data categories for the disclosure log, and the
keyed fingerprint for near duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid5

from contracts.concern import PROFESSIONAL_CATEGORIES, ConcernIn, ReporterCategory
from rules.age import AgeAssessment, AgeBand
from rules.codes import DataCategory, LegalBasis
from rules.facts import Facts
from rules.vocabulary import Jurisdiction
from services.routing.domain.duplicates import Fingerprint


@dataclass(frozen=True)
class PersonRecord:
    path: str  # "subjects[0]", "children_at_risk[1]"
    person_id: str
    age_band: AgeBand
    minor_possible: bool
    jurisdiction: Jurisdiction
    cpr_hmac: str | None = None
    municipality: str | None = None  # kept only when another municipality may be competent (R10)
    # The sources of the age disagreed; a CPR number's date was impossible (None: facts from before these
    # were kept). An age correction recomputes the age flags from them.
    age_conflict: bool | None = None
    cpr_unusable: bool | None = None


@dataclass
class ConcernFacts:
    concern_id: UUID
    reference: str
    received_at: datetime  # as received
    effective_received_at: datetime  # the earliest receipt among it and its near duplicates: clocks use it
    reporter_category: ReporterCategory
    reporter_contactable: bool
    content_hash: str
    data_categories: tuple[DataCategory, ...]
    persons: list[PersonRecord]
    config_version: str
    fingerprint: Fingerprint
    duplicate_of: UUID | None = None
    acute: bool = False

    def __post_init__(self) -> None:
        # The repository hands the stored codes back as strings.
        self.data_categories = tuple(DataCategory(category) for category in self.data_categories)

    @property
    def minor_possible(self) -> bool:
        return any(person.minor_possible for person in self.persons)

    @property
    def reporter_anonymous(self) -> bool:
        """An ANONYMOUS reporter, or a person asking for help for themself (SELF) who left no phone or e-mail
        (``Reporter.anonymous``; a self-referral who gave only a name counts too, the safer reading): every
        disclosure record says so, and audit applies invariant I10."""
        if self.reporter_category is ReporterCategory.ANONYMOUS:
            return True
        return self.reporter_category is ReporterCategory.SELF and not self.reporter_contactable

    @property
    def professional(self) -> bool:
        return self.reporter_category in PROFESSIONAL_CATEGORIES

    @property
    def underretning_basis(self) -> LegalBasis:
        return LegalBasis.BL133_UNDERRETNING if self.professional else LegalBasis.BL135_UNDERRETNING

    def person(self, path: str) -> PersonRecord | None:
        return next((p for p in self.persons if p.path == path), None)

    def replace_person(self, updated: PersonRecord) -> None:
        self.persons = [updated if p.path == updated.path else p for p in self.persons]

    def cpr_hmacs(self, person_ids: list[str]) -> list[str]:
        wanted = set(person_ids)
        return [p.cpr_hmac for p in self.persons if p.person_id in wanted and p.cpr_hmac]


def person_id(concern_id: UUID, path: str) -> str:
    """An internal pseudonym for a person named in a concern."""
    return str(uuid5(concern_id, f"person:{path}"))


def cpr_hmac(cpr: str, key: bytes) -> str:
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()


def data_categories(concern: ConcernIn) -> tuple[DataCategory, ...]:
    categories = [DataCategory.IDENTITY, DataCategory.CONCERN_NARRATIVE]
    if any(p.cpr for p in [*concern.subjects, *concern.children_at_risk]):
        categories.append(DataCategory.CPR)
    if concern.warning_signs:
        categories.append(DataCategory.OBSERVED_SIGNS)
    if concern.reporter.contactable:
        categories.append(DataCategory.CONTACT)
    if concern.children_at_risk:
        categories.append(DataCategory.FAMILY)
    return tuple(categories)


def concern_facts(*, concern_id: UUID, reference: str, concern: ConcernIn, facts: Facts, key: bytes,
                  fingerprint: Fingerprint, config_version: str) -> ConcernFacts:
    people = [*concern.subjects, *concern.children_at_risk]
    persons = [
        PersonRecord(
            path=derived.path,
            person_id=person_id(concern_id, derived.path),
            age_band=derived.age.band,
            minor_possible=derived.age.minor_possible,
            jurisdiction=derived.jurisdiction,
            cpr_hmac=cpr_hmac(raw.cpr, key) if raw.cpr else None,
            municipality=raw.municipality if derived.jurisdiction is Jurisdiction.OTHER else None,
            age_conflict=derived.age.age_conflict, cpr_unusable=derived.age.cpr_unusable,
        )
        for raw, derived in zip(people, facts.persons, strict=True)
    ]
    return ConcernFacts(
        concern_id=concern_id, reference=reference, received_at=facts.received_at,
        effective_received_at=facts.received_at, reporter_category=concern.reporter.category,
        reporter_contactable=concern.reporter.contactable,
        content_hash=hashlib.sha256(concern.model_dump_json().encode()).hexdigest(),
        data_categories=data_categories(concern), persons=persons, config_version=config_version,
        fingerprint=fingerprint, acute=facts.acute)


def with_age(person: PersonRecord, age: AgeAssessment, cpr_hash: str | None) -> PersonRecord:
    return replace(person, age_band=age.band, minor_possible=age.minor_possible, age_conflict=age.age_conflict,
                   cpr_unusable=age.cpr_unusable, cpr_hmac=cpr_hash or person.cpr_hmac)
