from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, Text

from infohus.kit.runtime import ServiceTables

metadata = MetaData()

concerns = Table(
    "concerns", metadata,
    Column("concern_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("submission_id", String(64), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    # "system" for concerns the reporter sent themself; the staff member's id for entered ones (PHONE).
    Column("recorded_by", String(100), nullable=False, server_default="system"),
)

tables = ServiceTables(metadata)
