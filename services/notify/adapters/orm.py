"""Notify's tables: one delivery row per notification id (the durable queue), plus outbox and inbox."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, false, text

from infohus.kit.db import UtcDateTime
from infohus.kit.retention.tables import concern_retention_table
from infohus.kit.runtime import ServiceTables

metadata = MetaData()

deliveries = Table(
    "deliveries", metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("concern_id", String(36), nullable=False, index=True),
    Column("reference", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("recipient", String(320), nullable=True),  # None: no mailbox configured (dead-lettered at once)
    Column("message_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("trace_id", String(32), nullable=True),
    # Where the row came from, and what the mail says (MailContent as JSON: references and codes only).
    Column("origin", String(16), nullable=False, server_default="REQUEST"),
    Column("infohus_case_id", String(36), nullable=True),
    Column("underretning_id", String(36), nullable=True),
    Column("content", Text, nullable=True),
    Column("trace_context", Text, nullable=True),
    # The queue: when the next attempt may start, who holds the current one and how far it got.
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("claim_token", String(36), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("attempt_started_at", UtcDateTime, nullable=True),
    Column("smtp_phase", String(8), nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("smtp_reply", String(255), nullable=True),
    Column("possible_duplicate", Boolean, nullable=False, server_default=false()),
    # Dead letters: the original event, for notify's dead-letter topic.
    Column("source_topic", String(255), nullable=True),
    Column("source_event", Text, nullable=True),
    Column("dead_lettered_at", UtcDateTime, nullable=True),
    Column("dlt_published_at", UtcDateTime, nullable=True),
    # Watchdog
    Column("overdue_alerted_at", UtcDateTime, nullable=True),
    # Re-drives by ops (DEAD_LETTERED → PENDING after a fault was fixed): how often, the last one and by whom.
    Column("redrive_count", Integer, nullable=False, server_default=text("0")),
    Column("redriven_at", UtcDateTime, nullable=True),
    Column("redriven_by", String(255), nullable=True),  # the user id only
    Index("ix_deliveries_state_due", "state", "next_attempt_at"),
    Index("ix_deliveries_state_sent", "state", "sent_at"),  # 0004: retention
)

# Every re-drive, for the record: who (user id only), when, and the failure it followed.
delivery_redrives = Table(
    "delivery_redrives", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", String(36), nullable=False, index=True),
    Column("redriven_at", UtcDateTime, nullable=False),
    Column("redriven_by", String(255), nullable=False),
    Column("via", String(8), nullable=False),  # HTTP or CLI
    Column("previous_error", String(200), nullable=True),
    Column("previous_attempts", Integer, nullable=False),
)

# 0004: what routing said about each concern: under a legal hold (keep everything), erased (erase it here too).
concern_retention = concern_retention_table(metadata)

tables = ServiceTables(metadata)
