"""Audit's tables. Every table here is insert-only in the database (see migration 0002), except that
rows of ``disclosure_payloads`` and ``disclosure_subjects`` may be deleted once the record's
``retention_until`` has passed (retention), while ``disclosure_log`` keeps the hash and link for ever.

- ``disclosure_log``: the chain. ``seq_no`` (gap-free), ``record_id``, ``prev_hash``, ``record_hash``,
  and the non-personal facts that must outlive retention (``recorded_at``, ``retention_until``, trace).
- ``disclosure_payloads``: per record, ``content`` (the exact RFC 8785 bytes that ``record_hash``
  covers, seq_no and prev_hash included) and columns copied from it for the auditor queries.
- ``disclosure_subjects``: person ids and CPR HMACs of each record, for the per-subject query (Q1).
- ``checkpoints``: signed Merkle checkpoints.
- ``auditor_query_log``: every auditor query, who ran it, with which criteria.

Next to the log, and *not* part of it (not hashed, not append-only; upserted from events), the facts
the auditor queries Q9, Q12 and Q17 need (``domain/facts.py``):

- ``case_facts``: per infohus case, from CaseOpened and CaseTransitioned.
- ``underretning_facts``: per underretning, the latest UnderretningUpdated (by ``updated_at``).
- ``mail_gateway_log``: notify's sent mails (recipient domain only) and dead-lettered notifications.

Instants in ``disclosure_payloads`` are stored as the record's own UTC text
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``), which sorts and compares the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from infohus.kit.auth.read_log import read_access_log_table
from infohus.kit.retention.tables import concern_retention_table
from infohus.kit.runtime import ServiceTables

metadata = MetaData()

SeqNo = BigInteger().with_variant(Integer, "sqlite")
INSTANT = 27  # len("2026-03-02T10:00:00.000000Z")

disclosure_log = Table(
    "disclosure_log", metadata,
    Column("seq_no", SeqNo, primary_key=True, autoincrement=False),
    Column("record_id", String(36), nullable=False, unique=True),
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False, unique=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("retention_until", Date, nullable=False),
    Column("trace_id", String(32), nullable=True),
    # Hash version 2 (migration 0005): the record hash covers this row and ``payload_sha256``, the digest of
    # the payload and subject rows (``domain/hashing.py``). Version 1 rows have no digest.
    Column("hash_version", Integer, nullable=False, server_default="1"),
    Column("payload_sha256", String(64), nullable=True),
)

disclosure_payloads = Table(
    "disclosure_payloads", metadata,
    Column("seq_no", SeqNo, ForeignKey("disclosure_log.seq_no"), primary_key=True, autoincrement=False),
    Column("content", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("occurred_at", String(INSTANT), nullable=False),
    Column("occurred_month", String(7), nullable=False),
    Column("recorded_at", String(INSTANT), nullable=False),
    Column("recording_lag_s", BigInteger, nullable=False),
    Column("decision_at", String(INSTANT), nullable=True),
    Column("concern_id", String(36), nullable=True),
    Column("infohus_case_id", String(36), nullable=True),
    Column("underretning_id", String(36), nullable=True),
    Column("discloser_authority", String(80), nullable=False),
    Column("discloser_unit", String(80), nullable=False),
    Column("executed_by", String(200), nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("recipient_authority", String(80), nullable=False),
    Column("recipient_unit", String(200), nullable=True),
    Column("recipient_is_cooperation_participant", Boolean, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("transport_ref", String(500), nullable=True),
    Column("legal_basis", String(40), nullable=False),
    Column("cooperation_form", String(10), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("not_for_investigation", Boolean, nullable=False),
    Column("necessity_assessment", Text, nullable=True),
    Column("data_categories", String(500), nullable=False),
    Column("contains_special_categories", Boolean, nullable=False),
    Column("contains_criminal_data", Boolean, nullable=False),
    Column("contains_cpr", Boolean, nullable=False),
    Column("contains_gang_info", Boolean, nullable=False),
    Column("subject_age_at_occurrence", Integer, nullable=True),
    Column("source_of_data", String(30), nullable=False),
    Column("source_record_id", String(36), nullable=True),
    Column("subject_information_status", String(30), nullable=False),
    Column("delivery_status", String(20), nullable=False),
    Column("corrects_record_id", String(36), nullable=True),
    Column("retention_until", String(10), nullable=False),
    Column("review_at", String(10), nullable=True),
    Column("fact_provenance", String(200), nullable=True),
    # I9 in the database as well: no free text over 2,000 characters in the necessity assessment.
    CheckConstraint("length(necessity_assessment) <= 2000", name="ck_necessity_assessment_length"),
    Index("ix_payloads_concern", "concern_id"),
    Index("ix_payloads_recipient", "recipient_authority", "occurred_at"),
    Index("ix_payloads_basis", "legal_basis", "occurred_at"),
    Index("ix_payloads_kind", "kind", "occurred_at"),
    Index("ix_payloads_occurred", "occurred_at"),
    Index("ix_payloads_executed_by", "executed_by", "occurred_month"),
    Index("ix_payloads_corrects", "corrects_record_id"),
    Index("ix_payloads_source_record", "source_record_id"),
    Index("ix_payloads_retention", "retention_until"),
)

disclosure_subjects = Table(
    "disclosure_subjects", metadata,
    Column("seq_no", SeqNo, primary_key=True, autoincrement=False),
    Column("subject_key", String(200), primary_key=True),
    Index("ix_subjects_key", "subject_key", "seq_no"),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("tree_size", SeqNo, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("head_seq_no", SeqNo, nullable=False),
    Column("head_record_hash", String(64), nullable=False),
    Column("issued_at", String(INSTANT), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(200), nullable=False),
)

auditor_query_log = Table(
    "auditor_query_log", metadata,
    Column("entry_id", String(36), primary_key=True),
    Column("at", String(INSTANT), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("query", String(40), nullable=False),
    Column("parameters", Text, nullable=False),
    Column("result_rows", Integer, nullable=False),
    Column("output_format", String(10), nullable=False),
    Column("trace_id", String(32), nullable=True),
    Index("ix_auditor_query_log_at", "at"),
)

# --- facts for Q9, Q12 and Q17: projections of routing's and notify's events --------------------------

case_facts = Table(
    "case_facts", metadata,
    Column("infohus_case_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=True),
    Column("reference", String(64), nullable=True),
    Column("subject_index", Integer, nullable=True),
    Column("age_bands", String(200), nullable=True),
    Column("minor_possible", Boolean, nullable=True),  # NULL until CaseOpened arrived
    Column("underretning_ids", Text, nullable=True),
    Column("underretning_count", Integer, nullable=True),
    Column("opened_at", String(INSTANT), nullable=True),
    Column("triage_outcome", String(20), nullable=True),
    Column("triage_completed_at", String(INSTANT), nullable=True),
    Column("closed_at", String(INSTANT), nullable=True),
    # What audit derives disclosure facts from (migration 0005): the reporter's anonymity, and the case's
    # subject with the day they turn 18 (from a CPR number or a date of birth; none from a stated age).
    Column("reporter_anonymous", Boolean, nullable=True),
    Column("subject_person_id", String(200), nullable=True),
    Column("subject_adult_from", String(10), nullable=True),
    Index("ix_case_facts_concern", "concern_id"),
)

underretning_facts = Table(
    "underretning_facts", metadata,
    Column("underretning_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("infohus_case_id", String(36), nullable=True),
    Column("legal_type", String(40), nullable=False),
    Column("origin", String(40), nullable=False),
    Column("state", String(40), nullable=False),
    Column("received_at", String(INSTANT), nullable=False),
    Column("assessment_due_at", String(INSTANT), nullable=False),
    Column("receipt_confirmation_due_date", String(10), nullable=True),
    Column("receipt_confirmation_due_end", String(INSTANT), nullable=True),  # end of that Danish day, UTC
    Column("professional_orientation_required", Boolean, nullable=False),
    Column("assessed_at", String(INSTANT), nullable=True),
    Column("receipt_confirmed_at", String(INSTANT), nullable=True),
    Column("oriented_at", String(INSTANT), nullable=True),
    Column("forwarded_at", String(INSTANT), nullable=True),
    Column("updated_at", String(INSTANT), nullable=False),
    Index("ix_underretning_facts_case", "infohus_case_id"),
)

mail_gateway_log = Table(
    "mail_gateway_log", metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("outcome", String(16), primary_key=True),  # SENT or DEAD_LETTERED
    Column("concern_id", String(36), nullable=False),
    Column("reference", String(64), nullable=True),  # NotificationSent carries none: see case_facts
    Column("destination", String(40), nullable=False),
    Column("purpose", String(40), nullable=True),
    Column("recipient_domain", String(255), nullable=True),
    Column("message_id", String(500), nullable=True),
    Column("at", String(INSTANT), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("smtp_code", Integer, nullable=True),
    Column("attempts", Integer, nullable=True),
    Column("infohus_case_id", String(36), nullable=True),
    Column("underretning_id", String(36), nullable=True),
    Index("ix_mail_gateway_log_at", "outcome", "at"),
    Index("ix_mail_gateway_log_message", "message_id"),
    Index("ix_mail_gateway_log_concern", "concern_id"),
)

FACT_TABLES = ("case_facts", "underretning_facts", "mail_gateway_log")

APPEND_ONLY_TABLES = ("disclosure_log", "disclosure_payloads", "disclosure_subjects", "checkpoints",
                      "auditor_query_log")
RETAINED_TABLES = ("disclosure_payloads", "disclosure_subjects")

# Append-only (migration 0004): every read of the records about a concern, with who, when and why.
read_access_log = read_access_log_table(metadata)

# Migration 0005: what routing said about each concern (a legal hold keeps its records' payloads).
concern_retention = concern_retention_table(metadata)

tables = ServiceTables(metadata)
