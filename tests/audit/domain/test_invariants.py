"""Each rule with a record it accepts and one it refuses. The base record of ``builders`` breaks none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.audit.domain.invariant_types import InvariantContext
from services.audit.domain.invariants import check_invariants
from tests.audit.domain.builders import NECESSITY, OCCURRED_AT, a_draft

ANONYMOUS = InvariantContext(reporter_anonymous=True, reporter_markers=frozenset({"sub-7H2KQ9"}))

# A receipt from the police under § 115, stk. 5 in an SSP meeting.
GANG_RECEIPT: dict[str, Any] = {
    "kind": "RECEIPT", "legal_basis": "RPL115_5_GANG", "cooperation_form": "SSP",
    "discloser_authority": "KBHV_POLITI_INFOHUS", "discloser_unit": "SSP_TOVHOLDER",
    "decided_by": "police-tovholder-3", "recipient_authority": "ISHOEJ_KOMMUNE", "recipient_unit": "CBF_TK",
    "recipient_persons": [], "channel": "MEETING_ORAL", "content_hash": None,
    "data_categories": ["IDENTITY", "GANG_AFFILIATION"], "source_of_data": "OTHER_AUTHORITY",
    "onward_conditions_communicated": [],
}
# A § 115 a disclosure by StraXen to an adult subject's parent.
FAMILY_DISCLOSURE: dict[str, Any] = {
    "legal_basis": "RPL115A_FAMILY", "cooperation_form": "NONE", "purpose": "FAMILY_INVOLVEMENT_115A",
    "discloser_unit": "CBF_STRAXEN", "recipient_authority": "PARENT", "recipient_persons": ["parent-1"],
    "recipient_is_cooperation_participant": False, "subject_age_at_occurrence": 19, "channel": "MEETING_ORAL",
}
# An internal transfer TK → StraXen of special-category data.
INTERNAL_SENSITIVE: dict[str, Any] = {
    "kind": "INTERNAL_TRANSFER", "legal_basis": "INTERNAL_SAME_CONTROLLER", "cooperation_form": "NONE",
    "recipient_authority": "ISHOEJ_KOMMUNE", "recipient_unit": "CBF_STRAXEN", "recipient_persons": [],
    "recipient_is_cooperation_participant": False, "purpose": "CHILD_WELFARE_ASSESSMENT",
    "data_categories": ["IDENTITY", "RELIGION"],
}
VITAL_INTEREST: dict[str, Any] = {
    "legal_basis": "GDPR_VITAL_INTEREST", "cooperation_form": "NONE", "purpose": "ACUTE_DANGER_AVERSION",
    "recipient_is_cooperation_participant": False, "data_categories": ["IDENTITY", "HEALTH"],
    "decided_by": None, "decision_at": None,
}


def codes_and_fields(**overrides: Any) -> set[tuple[str, str]]:
    context = overrides.pop("context", None)
    return {(found.code, found.field) for found in check_invariants(a_draft(**overrides), context=context)}


def test_the_base_record_is_lawful() -> None:
    assert check_invariants(a_draft()) == []


def accepts(test_id: str, **overrides: Any) -> Any:
    return pytest.param(overrides, id=test_id)


def refuses(test_id: str, code: str, field: str, **overrides: Any) -> Any:
    return pytest.param(overrides, (code, field), id=test_id)


@pytest.mark.parametrize("overrides", [
    accepts("I3 § 115 stk. 2 disclosure"),
    accepts("I3 a rejected unlawful proposal can be logged", kind="DECISION_REJECTED",
            purpose="CRIMINAL_REPORT", not_for_investigation=False,
            recipient_is_cooperation_participant=False, content_hash=None),
    accepts("I4 § 115 a by a social authority", **FAMILY_DISCLOSURE),
    accepts("I4 § 115 a by the police",
            **{**FAMILY_DISCLOSURE, "discloser_authority": "KBHV_POLITI", "discloser_unit": "FOREBYGGELSE"}),
    accepts("I5 gang receipt from the police in SSP", **GANG_RECEIPT),
    accepts("I5 gang data passed on with the stk. 5 condition",
            data_categories=["IDENTITY", "GANG_AFFILIATION"],
            onward_conditions_communicated=["CONFIDENTIALITY", "STK5_CONFIDENTIALITY"]),
    accepts("I6 sensitive data inside the controller", **INTERNAL_SENSITIVE),
    accepts("I6 sensitive data with assessment", **{**VITAL_INTEREST, "necessity_assessment": NECESSITY}),
    accepts("I8 recorded at the instant it occurred", recorded_at=OCCURRED_AT),
    accepts("I9 a phone number is not a CPR number",
            necessity_assessment=NECESSITY + " Ring 43 57 75 75 ved spørgsmål."),
    accepts("I10 anonymous reporter, no identity in the record", context=ANONYMOUS),
    accepts("I10 version strings are not IPs", context=ANONYMOUS, system_version="1.2.3.4"),
    accepts("I10 does not apply to a known reporter", context=InvariantContext(),
            content_manifest=["edge.client_ip:192.168.1.20"]),
    accepts("D1 oral disclosure has no content hash", channel="MEETING_ORAL", content_hash=None),
    accepts("D1 reviewed basis with note", legal_basis="OTHER_REVIEWED", cooperation_form="NONE",
            legal_basis_note="Juridisk godkendt, ref. JUR-2026-14"),
    accepts("D1 correction with reference", kind="CORRECTION", corrects_record_id=UUID(int=99)),
    accepts("D1 onward disclosure with source record", source_of_data="RECEIVED_UNDER_RPL115",
            source_record_id=UUID(int=98)),
    accepts("D2 PET request with reference", legal_basis="PETL4_ON_REQUEST", cooperation_form="NONE",
            purpose="PET_REQUEST", request_ref="PET-anmodning 2026-0042"),
    accepts("D1 deferred subject information with review date", subject_information_status="DEFERRED_DBL22_2_4",
            review_at=date(2026, 6, 1)),
])
def test_accepted(overrides: dict[str, Any]) -> None:
    assert codes_and_fields(**overrides) == set()


@pytest.mark.parametrize(("overrides", "expected"), [
    refuses("I3 investigation purpose", "I3", "purpose", purpose="CRIMINAL_REPORT"),
    refuses("I3 no assertion", "I3", "not_for_investigation", not_for_investigation=False),
    refuses("I3 no assessment", "I3", "necessity_assessment", necessity_assessment=None),
    refuses("I3 assessment under 30 characters", "I3", "necessity_assessment",
            necessity_assessment="Nødvendigt."),
    refuses("I3 no decider", "I3", "decided_by", decided_by=None),
    refuses("I3 recipient outside the cooperation", "I3", "recipient_is_cooperation_participant",
            recipient_is_cooperation_participant=False),
    refuses("I3 no cooperation form", "I3", "cooperation_form", cooperation_form="NONE"),
    refuses("I3 a rejection still names its decider", "I3", "decided_by",
            kind="DECISION_REJECTED", decided_by=None, content_hash=None),
    refuses("I4 minor", "I4", "subject_age_at_occurrence",
            **{**FAMILY_DISCLOSURE, "subject_age_at_occurrence": 17}),
    refuses("I4 age unknown", "I4", "subject_age_at_occurrence",
            **{**FAMILY_DISCLOSURE, "subject_age_at_occurrence": None}),
    refuses("I4 recipient not family", "I4", "recipient_authority",
            **{**FAMILY_DISCLOSURE, "recipient_authority": "SKOLE"}),
    refuses("I4 discloser neither police nor social authority", "I4", "discloser_unit",
            **{**FAMILY_DISCLOSURE, "discloser_unit": "JOBCENTER"}),
    refuses("I5 receipt in PSP", "I5", "cooperation_form", **{**GANG_RECEIPT, "cooperation_form": "PSP"}),
    refuses("I5 receipt not from the police", "I5", "cooperation_form",
            **{**GANG_RECEIPT, "legal_basis": "RPL115_1_1_SSP", "discloser_authority": "KRIMINALFORSORGEN"}),
    refuses("I5 passed on without stk. 5 condition", "I5", "onward_conditions_communicated",
            data_categories=["IDENTITY", "FAMILY_MEMBER_CONVICTION_81A"]),
    refuses("I6 internal basis for an external recipient", "I6", "legal_basis",
            **{**INTERNAL_SENSITIVE, "recipient_authority": "KBHV_POLITI_INFOHUS"}),
    refuses("I6 sensitive data without assessment", "I6", "necessity_assessment",
            **{**VITAL_INTEREST, "necessity_assessment": None}),
    refuses("I8 recorded before it occurred", "I8", "recorded_at",
            recorded_at=OCCURRED_AT - timedelta(seconds=1)),
    refuses("I8 decided after it occurred", "I8", "decision_at",
            decision_at=OCCURRED_AT + timedelta(minutes=1)),
    refuses("I9 CPR with dash", "I9", "necessity_assessment",
            necessity_assessment=NECESSITY + " CPR 010203-1234."),
    refuses("I9 ten digits", "I9", "necessity_assessment", necessity_assessment=NECESSITY + " (0102031234)"),
    refuses("I9 over 2000 characters", "I9", "necessity_assessment", necessity_assessment="x" * 2001),
    refuses("I9 CPR in the purpose description", "I9", "purpose_description",
            purpose_description="Screening af 010203 1234"),
    refuses("I10 reporter marker, any case", "I10", "transport_ref",
            context=ANONYMOUS, transport_ref="<sub-7h2kq9@web.ishoj.dk>"),
    refuses("I10 reporter marker as a recipient", "I10", "recipient_persons",
            context=ANONYMOUS, recipient_persons=["sub-7H2KQ9"]),
    refuses("I10 IPv4 address", "I10", "content_manifest",
            context=ANONYMOUS, content_manifest=["edge.client_ip:192.168.1.20"]),
    refuses("I10 IPv6 address", "I10", "executed_by",
            context=ANONYMOUS, executed_by="intake fe80::1ff:fe23:4567:890a"),
    refuses("I10 user agent", "I10", "transport_ref",
            context=ANONYMOUS, transport_ref="Mozilla/5.0 (X11; Linux x86_64)"),
    refuses("I10 reporter identity in the manifest", "I10", "content_manifest",
            context=ANONYMOUS, content_manifest=["concern.reporter.email"]),
    refuses("D1 no case reference", "D1", "concern_id/infohus_case_id/underretning_id",
            concern_id=None, infohus_case_id=None),
    refuses("D1 § 115 without decision time", "D1", "decision_at", decision_at=None),
    refuses("D1 § 115 a without decider", "D1", "decided_by", **{**FAMILY_DISCLOSURE, "decided_by": None}),
    refuses("D1 § 115 a without assessment", "D1", "necessity_assessment",
            **{**FAMILY_DISCLOSURE, "necessity_assessment": None}),
    refuses("D1 DBL § 8 without assessment", "D1", "necessity_assessment",
            legal_basis="DBL8_2_3_NECESSARY_FOR_AUTHORITY", cooperation_form="NONE",
            necessity_assessment=None),
    refuses("D1 written disclosure without content hash", "D1", "content_hash", content_hash=None),
    refuses("D1 reviewed basis without note", "D1", "legal_basis_note",
            legal_basis="OTHER_REVIEWED", cooperation_form="NONE"),
    refuses("D1 correction without reference", "D1", "corrects_record_id", kind="CORRECTION"),
    refuses("D1 correction of itself", "D1", "corrects_record_id",
            kind="CORRECTION", corrects_record_id=UUID(int=1)),
    refuses("D1 disclosure without onward conditions", "D1", "onward_conditions_communicated",
            onward_conditions_communicated=[]),
    refuses("D1 onward disclosure without source record", "D1", "source_record_id",
            source_of_data="RECEIVED_UNDER_RPL115"),
    refuses("D2 stk. 1 basis used by the municipality", "D2", "discloser_authority",
            legal_basis="RPL115_1_1_SSP"),
    refuses("D2 stk. 5 basis used for a disclosure", "D2", "legal_basis",
            legal_basis="RPL115_5_GANG", data_categories=["IDENTITY"]),
    refuses("D2 PET request without reference", "D2", "request_ref",
            legal_basis="PETL4_ON_REQUEST", cooperation_form="NONE", purpose="PET_REQUEST",
            legal_basis_note="PET-anmodning 2026-0042"),
    refuses("D1 deferred subject information without review date", "D1", "review_at",
            subject_information_status="DEFERRED_DBL22_2_4"),
])
def test_refused(overrides: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in codes_and_fields(**overrides)


def test_one_defect_gives_one_violation() -> None:
    assert codes_and_fields(necessity_assessment=None) == {("I3", "necessity_assessment")}
    assert codes_and_fields(**{**FAMILY_DISCLOSURE, "subject_age_at_occurrence": 12}) == {
        ("I4", "subject_age_at_occurrence")}


def test_violations_explain_themselves_in_danish_and_english() -> None:
    [found] = check_invariants(a_draft(purpose="CRIMINAL_REPORT"))
    assert "efterforskning" in found.message_da
    assert "investigation" in found.message_en


def test_the_police_can_be_named_explicitly() -> None:
    context = InvariantContext(police_authorities=frozenset({"KVP"}))
    receipt = {**GANG_RECEIPT, "discloser_authority": "KVP"}
    assert codes_and_fields(context=context, **receipt) == set()
    assert ("I5", "cooperation_form") in codes_and_fields(**receipt)


def test_short_reporter_markers_are_refused_because_they_would_match_anything() -> None:
    with pytest.raises(ValueError, match="shorter"):
        InvariantContext(reporter_anonymous=True, reporter_markers=frozenset({"ab"}))
