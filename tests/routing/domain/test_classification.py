"""The age flags recomputed after a correction (services/routing/domain/classification.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

from contracts.concern import ReporterCategory
from rules.age import AgeBand
from rules.vocabulary import Jurisdiction
from services.routing.domain.classification import flags_after_age_correction, in_flag_order
from services.routing.domain.duplicates import Fingerprint
from services.routing.domain.facts import ConcernFacts, PersonRecord

NOW = datetime(2026, 3, 3, 9, tzinfo=UTC)


def person(path: str, band: AgeBand, *, conflict: bool | None = False, unusable: bool | None = False) -> PersonRecord:
    return PersonRecord(path=path, person_id=path, age_band=band, minor_possible=band is not AgeBand.ADULT,
                        jurisdiction=Jurisdiction.HOME, age_conflict=conflict, cpr_unusable=unusable)


def facts(*persons: PersonRecord, reporter: ReporterCategory = ReporterCategory.CITIZEN) -> ConcernFacts:
    return ConcernFacts(concern_id=uuid4(), reference="IH-2026-AAAA-BBBB", received_at=NOW,
                        effective_received_at=NOW, reporter_category=reporter, reporter_contactable=True,
                        content_hash="x", data_categories=(), persons=list(persons), config_version="v",
                        fingerprint=Fingerprint(NOW, frozenset(), (), "h"))


def test_flags_follow_the_ages_and_others_stay() -> None:
    flags = ("ACUTE", "AGE_UNVERIFIED", "ADULT_TRANSITION", "JURISDICTION_OTHER")
    after = flags_after_age_correction(flags, facts(person("subjects[0]", AgeBand.ADULT)))
    assert after == ("ACUTE", "JURISDICTION_OTHER")
    near_18 = flags_after_age_correction((), facts(person("subjects[0]", AgeBand.MINOR_NEAR_18)))
    assert near_18 == ("ADULT_TRANSITION",)


def test_a_conflict_recorded_per_person_goes_with_the_correction() -> None:
    corrected = person("subjects[0]", AgeBand.MINOR)
    assert flags_after_age_correction(("AGE_CONFLICT",), facts(corrected)) == ()
    other = person("children_at_risk[0]", AgeBand.MINOR, conflict=True)
    assert flags_after_age_correction(("AGE_CONFLICT",), facts(corrected, other)) == ("AGE_CONFLICT",)


def test_facts_from_before_the_record_keep_the_flag_while_an_unknown_person_remains() -> None:
    corrected = person("subjects[0]", AgeBand.MINOR)
    legacy = replace(person("subjects[1]", AgeBand.MINOR), age_conflict=None, cpr_unusable=None)
    kept = flags_after_age_correction(("AGE_CONFLICT", "CPR_UNUSABLE"), facts(corrected, legacy))
    assert kept == ("AGE_CONFLICT", "CPR_UNUSABLE")
    assert flags_after_age_correction((), facts(corrected, legacy)) == ()  # never invented


def test_an_adult_who_refers_themself_is_flagged_for_12b_and_a_minor_is_not() -> None:
    adult = facts(person("subjects[0]", AgeBand.ADULT), reporter=ReporterCategory.SELF)
    assert flags_after_age_correction((), adult) == ("SELF_REFERRAL_SEL_12B",)
    minor = facts(person("subjects[0]", AgeBand.MINOR), reporter=ReporterCategory.SELF)
    assert flags_after_age_correction(("SELF_REFERRAL_SEL_12B",), minor) == ()


def test_flags_keep_the_declared_order_and_unknown_codes_last() -> None:
    assert in_flag_order(["SUPPLEMENT_TO_ORIGINAL", "X_NEW", "ACUTE", "ACUTE"]) == (
        "ACUTE", "SUPPLEMENT_TO_ORIGINAL", "X_NEW")
