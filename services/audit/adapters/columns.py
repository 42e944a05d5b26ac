"""The query columns of ``disclosure_payloads``, derived from a record's JSON payload.

Used when a record is appended and by ``verify --deep``, which derives them again from the hashed
``content`` and compares: a column changed behind the log's back is found, not just a changed hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

COPIED = (
    "kind", "occurred_at", "recorded_at", "decision_at", "concern_id", "infohus_case_id", "underretning_id",
    "discloser_authority", "discloser_unit", "executed_by", "decided_by", "recipient_authority",
    "recipient_unit", "recipient_is_cooperation_participant", "channel", "transport_ref", "legal_basis",
    "cooperation_form", "purpose", "not_for_investigation", "necessity_assessment",
    "contains_special_categories", "contains_criminal_data", "contains_cpr", "contains_gang_info",
    "subject_age_at_occurrence", "source_of_data", "source_record_id", "subject_information_status",
    "delivery_status", "corrects_record_id", "retention_until",
)
# Columns added after migration 0002 (which calls ``payload_columns`` and knows only the ones above).
LATER = ("review_at",)
DERIVED = ("occurred_month", "recording_lag_s", "data_categories")
ALL_COLUMNS = (*COPIED, *DERIVED, *LATER)


def parse_instant(text: str) -> datetime:
    """The record's UTC text (``...Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def payload_columns(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for ``disclosure_payloads`` from the JSON form of a record (``record.payload()``), as
    migration 0002 created the table; use ``query_columns`` for today's."""
    columns = {name: payload.get(name) for name in COPIED}
    occurred, recorded = parse_instant(payload["occurred_at"]), parse_instant(payload["recorded_at"])
    columns["occurred_month"] = payload["occurred_at"][:7]
    columns["recording_lag_s"] = int((recorded - occurred).total_seconds())
    columns["data_categories"] = ",".join(payload["data_categories"])
    return columns


def query_columns(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of today's ``disclosure_payloads``: ``payload_columns`` plus the ``LATER`` ones."""
    return {**payload_columns(payload), **{name: payload.get(name) for name in LATER}}


def subject_keys(payload: Mapping[str, Any]) -> list[str]:
    """Person ids and CPR HMACs of the record's subjects: the keys of the per-subject query (Q1)."""
    return sorted({*payload.get("subject_person_ids", ()), *payload.get("subject_cpr_hmacs", ())})
