"""Routing's tables. Every instant is a ``UtcDateTime``: written as UTC and read back aware on both backends
(SQLite keeps no offset), so nothing the service returns is a naive time."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from infohus.kit.auth.read_log import read_access_log_table
from infohus.kit.db import UtcDateTime
from infohus.kit.runtime import ServiceTables

metadata = MetaData()

decisions = Table(
    "decisions", metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, unique=True),
    Column("reference", String(32), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("config_version", String(64), nullable=False),
    Column("decision", Text, nullable=False),
    Column("trace_id", String(32), nullable=True),
    # 0009: the rules that made it (NULL for decisions made before 0009) and what they read of the concern
    Column("rules_fingerprint", String(64), nullable=True),
    Column("code_fingerprint", String(64), nullable=True),
    Column("config_fingerprint", String(64), nullable=True, index=True),
    Column("rules_input", Text, nullable=True),
)

# 0009: every municipality configuration that decided something, once per distinct version (canonical JSON).
# No personal data; retention never deletes a row, so every stored decision can be replayed under its own.
rules_configs = Table(
    "rules_configs", metadata,
    Column("config_fingerprint", String(64), primary_key=True),
    Column("config_version", String(64), nullable=False),
    Column("config", Text, nullable=False),
    Column("first_decided_at", UtcDateTime, nullable=False),
)

infohus_cases = Table(
    "infohus_cases", metadata,
    Column("case_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("reference", String(32), nullable=False, index=True),
    Column("subject_index", Integer, nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("group_id", String(36), nullable=False),
    Column("state", String(32), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("triage_due_at", UtcDateTime, nullable=False),
    Column("flags", Text, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("trace_id", String(32), nullable=True),
    # 0002: the case lifecycle
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("triage_signoffs", Text, nullable=False, server_default="{}"),
    Column("record", Text, nullable=False, server_default="{}"),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("close_reason", String(32), nullable=True),
    # 0004: the inbox (when the dual triage completed; NULL while it is awaited)
    Column("triage_completed_at", UtcDateTime, nullable=True),
    # 0005: the municipality the case belongs to (its official code)
    Column("municipality", String(8), nullable=False, index=True),
    # The inbox's order (most urgent first), open cases only and all cases (include_closed).
    Index("ix_infohus_cases_inbox_open", "priority", "triage_due_at", "opened_at", "case_id",
          postgresql_where=text("state <> 'CLOSED'"), sqlite_where=text("state <> 'CLOSED'")),
    Index("ix_infohus_cases_inbox_all", "priority", "triage_due_at", "opened_at", "case_id"),
)

underretninger = Table(
    "underretninger", metadata,
    Column("underretning_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), ForeignKey("infohus_cases.case_id"), nullable=True),
    Column("subject", String(32), nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("legal_type", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("assessment_due_at", UtcDateTime, nullable=False),
    Column("receipt_confirmation_due_date", Date, nullable=True),
    Column("professional_orientation_required", Boolean, nullable=False),
    # 0002: what StraXen did, and where it came from
    Column("origin", String(16), nullable=False, server_default="ROUTING"),
    Column("assessed_at", UtcDateTime, nullable=True),
    Column("assessed_by", String(200), nullable=True),
    Column("acute_measures_needed", Boolean, nullable=True),
    # 0006: StraXen's note on the 24-hour assessment
    Column("assessment_note", Text, nullable=True),
    Column("receipt_confirmed_at", UtcDateTime, nullable=True),
    Column("oriented_at", UtcDateTime, nullable=True),
    Column("orientation_outcome", String(32), nullable=True),
    Column("forwarded_to", String(200), nullable=True),
    Column("forwarded_at", UtcDateTime, nullable=True),
    # 0005: the municipality the underretning belongs to
    Column("municipality", String(8), nullable=False, index=True),
    # 0004: StraXen's list, most urgent first (not yet assessed by deadline, then by receipt date)
    Index("ix_underretninger_unassessed", "assessment_due_at", "underretning_id",
          postgresql_where=text("assessed_at IS NULL"), sqlite_where=text("assessed_at IS NULL")),
    Index("ix_underretninger_receipt_due", "receipt_confirmation_due_date", "assessment_due_at", "underretning_id"),
)

# What routing keeps about a concern: codes, pseudonyms and keyed hashes (never plaintext CPR or text).
concern_facts = Table(
    "concern_facts", metadata,
    Column("concern_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("effective_received_at", UtcDateTime, nullable=False),
    Column("reporter_category", String(32), nullable=False),
    Column("reporter_contactable", Boolean, nullable=False),
    Column("acute", Boolean, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("data_categories", Text, nullable=False),
    Column("persons", Text, nullable=False),
    Column("config_version", String(64), nullable=False),
    Column("duplicate_of", String(36), nullable=True, index=True),
    Column("description_hash", String(64), nullable=False, index=True),
    Column("reporter_keys", Text, nullable=False),
    Column("subject_keys", Text, nullable=False),
)

# 0004: the keyed CPR HMAC of each person who has one (from concern_facts.persons), so the inbox finds a
# person's cases by CPR without reading every concern's facts.
person_cpr = Table(
    "person_cpr", metadata,
    Column("person_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("cpr_hmac", String(64), nullable=False, index=True),
)

# Append-only: one row per thing that happened to a case, with actor and time.
case_timeline = Table(
    "case_timeline", metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("infohus_cases.case_id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("from_state", String(32), nullable=False),
    Column("to_state", String(32), nullable=False),
    Column("details", Text, nullable=False),
    Index("ix_case_timeline_actor", "actor", "case_id"),  # 0004: the inbox's "mine"
)

tasks = Table(
    "tasks", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=True, index=True),
    Column("underretning_id", String(36), nullable=True, index=True),  # index: 0004
    Column("state", String(16), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("completed_by", String(200), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("details", Text, nullable=False),
)

clocks = Table(
    "clocks", metadata,
    Column("clock_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=True),
    Column("underretning_id", String(36), nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("warn_at", UtcDateTime, nullable=True),
    Column("stopped_at", UtcDateTime, nullable=True, index=True),
    Column("stop_reason", String(64), nullable=True),
)

# One row per deadline event emitted, written with its outbox row: each is emitted exactly once.
deadline_events = Table(
    "deadline_events", metadata,
    Column("clock_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("emitted_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("clock_id", "kind"),
)

# Append-only (migration 0003): every read of a case's personal data, with who, when, which case and why.
read_access_log = read_access_log_table(metadata)

# 0007, retention (docs/legal.md §A3). Legal holds: set and lifted by an administrator, with a reason each;
# a hold on a case, a concern or a person (its CPR number's keyed HMAC) keeps everything about the concerns
# it covers in every service. Lifted holds are kept as the record of who held what and why.
legal_holds = Table(
    "legal_holds", metadata,
    Column("hold_id", String(36), primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("target", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("lifted_by", String(200), nullable=True),
    Column("lifted_at", UtcDateTime, nullable=True),
    Column("lift_reason", Text, nullable=True),
    Index("ix_legal_holds_lifted_at", "lifted_at"),
)

# What routing last told the other services about a concern (ConcernRetentionChanged): held, or erased.
retention_notices = Table(
    "retention_notices", metadata,
    Column("concern_id", String(36), primary_key=True),
    Column("held", Boolean, nullable=False),
    Column("erased_at", UtcDateTime, nullable=True),
    Index("ix_retention_notices_held", "held"),
)

# 0008, one person, one infohus case: a concern's subject that joined a case another concern opened (found by
# CPR HMAC or by name and date of birth when it arrived, or linked by a tovholder as "samme person" with a
# reason), and when and why it left again. Rows are never deleted but with the concern (retention).
case_concerns = Table(
    "case_concerns", metadata,
    Column("link_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("subject_index", Integer, nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("match", String(16), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    Column("linked_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("unlinked_at", UtcDateTime, nullable=True),
    Column("unlinked_by", String(200), nullable=True),
    Column("unlink_reason", Text, nullable=True),
)

# 0008: the keyed hash of each subject's normalised name and date of birth (never the name), so a later concern
# about the same person finds their open case when no CPR number was given.
person_name_keys = Table(
    "person_name_keys", metadata,
    Column("person_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("name_dob_hmac", String(64), nullable=False, index=True),
)

# Closed cases by when they closed: the retention run's search for concerns whose period is over.
Index("ix_infohus_cases_closed_at", infohus_cases.c.closed_at)

tables = ServiceTables(metadata)
