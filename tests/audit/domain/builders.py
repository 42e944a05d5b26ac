"""Lawful example events and records for the audit domain tests; each test overrides what it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from contracts.events import DisclosureRecorded
from rules.codes import DisclosureKind
from services.audit.domain.hashing import GENESIS_PREV_HASH
from services.audit.domain.record import DisclosureDraft, DisclosureRecord, from_event, seal

OCCURRED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RECORDED_AT = OCCURRED_AT + timedelta(minutes=5)
NECESSITY = (
    "Politiets tovholder skal vurdere, om personen er kendt i miljøet; navn, bekymring og observerede "
    "tegn er nødvendige for screeningen i infohus kommune."
)


def event_fields(**overrides: Any) -> dict[str, Any]:
    """A § 115, stk. 2 disclosure from Ishøj's TK to the police infohus, lawful in every respect."""
    fields: dict[str, Any] = {
        "record_id": UUID(int=1),
        "kind": DisclosureKind.DISCLOSURE,
        "occurred_at": OCCURRED_AT,
        "decision_at": OCCURRED_AT - timedelta(minutes=30),
        "concern_id": UUID(int=100),
        "infohus_case_id": UUID(int=200),
        "subject_person_ids": ["person-7f3a"],
        "subject_cpr_hmacs": ["hmac-5d1e"],
        "subject_age_at_occurrence": 16,
        "discloser_authority": "ISHOEJ_KOMMUNE",
        "discloser_unit": "CBF_TK",
        "executed_by": "user-17:kommunal infohustovholder",
        "decided_by": "user-17:kommunal infohustovholder",
        "recipient_authority": "KBHV_POLITI_INFOHUS",
        "recipient_persons": ["police-tovholder-3"],
        "recipient_is_cooperation_participant": True,
        "channel": "SECURE_EMAIL",
        "transport_ref": "<20260302100000.abc@ishoj.dk>",
        "content_hash": "ab" * 32,
        "content_manifest": ["concern.description", "subject[0].name"],
        "legal_basis": "RPL115_2",
        "cooperation_form": "SSP",
        "purpose": "INFOHUS_SCREENING",
        "purpose_description": "Screening af bekymring i infohus kommune",
        "not_for_investigation": True,
        "necessity_assessment": NECESSITY,
        "data_categories": ["IDENTITY", "CONCERN_NARRATIVE", "OBSERVED_SIGNS"],
        "source_of_data": "REPORTER",
        "onward_conditions_communicated": ["CONFIDENTIALITY", "NO_INVESTIGATION_USE"],
        "subject_information_status": "PENDING",
        "delivery_status": "DELIVERED",
        "retention_until": date(2031, 3, 2),
        "routing_table_version": "rt-2026.1",
        "system_version": "0.1.0",
    }
    fields.update(overrides)
    return fields


def an_event(**overrides: Any) -> DisclosureRecorded:
    return DisclosureRecorded(**event_fields(**overrides))


def a_draft(*, recorded_at: datetime = RECORDED_AT, **overrides: Any) -> DisclosureDraft:
    return from_event(an_event(**overrides), recorded_at=recorded_at)


def a_chain(length: int) -> list[DisclosureRecord]:
    """``length`` sealed records from GENESIS, each a little different from the others."""
    records: list[DisclosureRecord] = []
    prev_hash = GENESIS_PREV_HASH
    for seq_no in range(1, length + 1):
        draft = a_draft(
            record_id=UUID(int=seq_no),
            occurred_at=OCCURRED_AT + timedelta(hours=seq_no),
            recorded_at=RECORDED_AT + timedelta(hours=seq_no),
            subject_person_ids=[f"person-{seq_no}"],
        )
        record = seal(draft, seq_no=seq_no, prev_hash=prev_hash)
        records.append(record)
        prev_hash = record.record_hash
    return records
