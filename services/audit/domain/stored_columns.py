"""The query columns of a record (``disclosure_payloads``) and their one text form, which the record hash
covers from hash version 2 on.

The auditor queries read columns copied from the record, not the hashed JSON. Version 2 hashes the columns
as they are stored, so that ``verify`` finds a column changed behind the log's back without re-reading the
JSON (see ``hashing.payload_digest``). ``columns_text`` is that form: one field per column of
``V2_COLUMNS`` in order, then the subject keys, separated by U+001F. A field is tagged: ``n`` (null),
``t``/``f`` (a boolean), ``i<digits>`` (an integer) or ``s<length>:<text>`` (length in characters, so no
escaping is needed and the form stays unambiguous); the subject keys are sorted, each ``<length>:<key>``,
joined by U+001E. The database builds the columns' part in SQL (``adapters/chain_reader.py``), so
verification hashes it without touching each column in Python. A text may hold no U+0000 (``values.Text``):
SQLite's ``length`` stops there.

``V2_COLUMNS`` is frozen: a column added later needs a new hash version, or it is not covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
LATER = ("review_at", "fact_provenance")
DERIVED = ("occurred_month", "recording_lag_s", "data_categories")
ALL_COLUMNS = (*COPIED, *DERIVED, *LATER)
V2_COLUMNS = ALL_COLUMNS
BOOLEAN_COLUMNS = frozenset({
    "recipient_is_cooperation_participant", "not_for_investigation", "contains_special_categories",
    "contains_criminal_data", "contains_cpr", "contains_gang_info",
})
INTEGER_COLUMNS = frozenset({"subject_age_at_occurrence", "recording_lag_s"})
FIELD_SEPARATOR = "\x1f"
KEY_SEPARATOR = "\x1e"


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
    later = {name: payload.get(name) for name in LATER}
    later["fact_provenance"] = provenance_text(payload.get("fact_provenance"))
    return {**payload_columns(payload), **later}


def provenance_text(provenance: Mapping[str, str] | None) -> str | None:
    """``fact=derived,fact=declared`` (sorted), the column form of a record's ``fact_provenance``."""
    return None if not provenance else ",".join(f"{k}={v}" for k, v in sorted(provenance.items()))


def subject_keys(payload: Mapping[str, Any]) -> list[str]:
    """Person ids and CPR HMACs of the record's subjects: the keys of the per-subject query (Q1)."""
    return sorted({*payload.get("subject_person_ids", ()), *payload.get("subject_cpr_hmacs", ())})


def field_text(name: str, value: Any) -> str:
    if value is None:
        return "n"
    if name in BOOLEAN_COLUMNS:
        return "t" if value else "f"
    if name in INTEGER_COLUMNS:
        return f"i{int(value)}"
    text = str(value)
    return f"s{len(text)}:{text}"


def keys_text(keys: Iterable[str]) -> str:
    """The subject field from the keys in any order."""
    return KEY_SEPARATOR.join(f"{len(key)}:{key}" for key in sorted(keys))


def columns_text(columns: Mapping[str, Any], keys: Sequence[str]) -> str:
    """The text form of a record's stored columns and subject keys (what hash version 2 covers)."""
    fields = [field_text(name, columns.get(name)) for name in V2_COLUMNS]
    return FIELD_SEPARATOR.join([*fields, keys_text(keys)])


def stored_text(columns_part: str | None, keys_part: str | None) -> str:
    """The same text from what the database returns: the columns' fields and the subject field."""
    return f"{columns_part}{FIELD_SEPARATOR}{keys_part or ''}"
