from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.events import DisclosureRecorded
from rules.codes import DataCategory, OnwardCondition
from services.audit.domain.chain import verify_chain
from services.audit.domain.hashing import GENESIS_PREV_HASH, HASH_FIELDS
from services.audit.domain.record import (
    EVENT_CONTEXT_FIELDS,
    LATER_OPTIONAL_FIELDS,
    DisclosureDraft,
    DisclosureRecord,
    from_event,
    seal,
)
from tests.audit.domain.builders import RECORDED_AT, a_draft, an_event, event_fields

DERIVED = {"contains_special_categories", "contains_criminal_data", "contains_cpr", "contains_gang_info"}


def test_the_draft_carries_every_event_field_and_only_audit_adds_the_rest() -> None:
    event_names = set(DisclosureRecorded.model_fields) - EVENT_CONTEXT_FIELDS
    draft_names = set(DisclosureDraft.model_fields)
    assert event_names <= draft_names
    assert draft_names - event_names == {"recorded_at", "record_schema_version", "fact_provenance", *DERIVED}
    assert set(DisclosureRecord.model_fields) - draft_names == HASH_FIELDS


def test_from_event_copies_every_value() -> None:
    event = an_event(data_categories=["RELIGION", "CPR", "IDENTITY"])
    draft = from_event(event, recorded_at=RECORDED_AT)
    for name, value in event.model_dump(exclude=set(EVENT_CONTEXT_FIELDS)).items():
        got = getattr(draft, name)
        if isinstance(got, tuple):
            assert sorted(got) == sorted(value), name
        else:
            assert got == value, name
    assert draft.recorded_at == RECORDED_AT
    assert (draft.contains_special_categories, draft.contains_cpr) == (True, True)
    assert (draft.contains_criminal_data, draft.contains_gang_info) == (False, False)
    assert DisclosureDraft.from_event(event, recorded_at=RECORDED_AT) == draft


def test_sets_are_stored_sorted_and_without_repeats() -> None:
    draft = a_draft(data_categories=["OBSERVED_SIGNS", "IDENTITY", "OBSERVED_SIGNS"],
                    onward_conditions_communicated=["NO_INVESTIGATION_USE", "CONFIDENTIALITY"])
    assert draft.data_categories == (DataCategory.IDENTITY, DataCategory.OBSERVED_SIGNS)
    assert draft.onward_conditions_communicated == (OnwardCondition.CONFIDENTIALITY,
                                                     OnwardCondition.NO_INVESTIGATION_USE)


def test_subject_order_is_kept_because_the_primary_subject_comes_first() -> None:
    assert a_draft(subject_person_ids=["p-b", "p-a"]).subject_person_ids == ("p-b", "p-a")


def test_instants_are_stored_in_utc_whatever_offset_they_came_with() -> None:
    copenhagen = timezone(timedelta(hours=1))
    local = a_draft(recorded_at=RECORDED_AT.astimezone(copenhagen))
    assert local.recorded_at.utcoffset() == timedelta(0)
    assert local.payload() == a_draft().payload()


def test_an_instant_without_offset_is_refused() -> None:
    with pytest.raises(ValidationError, match="UTC offset"):
        a_draft(recorded_at=datetime(2026, 3, 2, 10, 5))


@pytest.mark.parametrize(("field", "value"), [
    ("legal_basis", "RPL999"), ("channel", "FAX"), ("data_categories", ["HOROSCOPE"]),
    ("content_hash", "AB" * 32), ("content_hash", "sha256:" + "ab" * 32),
])
def test_unknown_codes_and_malformed_hashes_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        a_draft(**{field: value})


def test_blank_optional_text_is_absent() -> None:
    assert a_draft(transport_ref="  ").transport_ref is None


def test_derived_flags_cannot_contradict_the_categories() -> None:
    fields = {**event_fields(), "recorded_at": RECORDED_AT, "contains_cpr": True}
    with pytest.raises(ValidationError, match="contains_cpr"):
        DisclosureDraft.model_validate(fields)


def test_records_are_immutable() -> None:
    record = seal(a_draft(), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    with pytest.raises(ValidationError):
        record.purpose_description = "ændret"  # type: ignore[misc]


def test_payload_leaves_out_the_chain_fields() -> None:
    record = seal(a_draft(), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    assert HASH_FIELDS.isdisjoint(record.payload())
    assert record.payload() == a_draft().payload()
    assert record.draft() == a_draft()


def test_a_record_read_back_from_its_json_still_verifies() -> None:
    record = seal(a_draft(), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    reread = DisclosureRecord.model_validate_json(record.model_dump_json())
    assert reread == record
    assert verify_chain([reread]).ok


def test_seal_refuses_a_malformed_prev_hash() -> None:
    with pytest.raises(ValueError, match="prev_hash"):
        seal(a_draft(), seq_no=1, prev_hash="not-a-hash")


def test_the_reporter_anonymity_flag_is_checked_but_never_stored() -> None:
    draft = from_event(an_event(reporter_anonymous=True), recorded_at=RECORDED_AT)
    assert "reporter_anonymous" not in draft.payload()


def test_fields_added_later_are_hashed_when_present_and_absent_otherwise() -> None:
    """A record without review_at/request_ref has the bytes it had before the fields existed, so older
    records still re-canonicalise to their stored content; one with them has them hashed."""
    plain = a_draft().payload()
    assert not set(LATER_OPTIONAL_FIELDS) & set(plain)
    deferred = a_draft(subject_information_status="DEFERRED_DBL22_2_4", review_at="2026-06-01",
                       request_ref="PET-2026-0042").payload()
    assert (deferred["review_at"], deferred["request_ref"]) == ("2026-06-01", "PET-2026-0042")
    first = seal(a_draft(review_at="2026-06-01"), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    second = seal(a_draft(review_at="2026-06-02"), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    assert first.record_hash != second.record_hash
