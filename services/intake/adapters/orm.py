from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from infohus.kit.auth.read_log import read_access_log_table
from infohus.kit.retention.tables import concern_retention_table
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
    # 0003: searches list the newest first and stop at their limit.
    Index("ix_concerns_received_at", "received_at", "concern_id"),
    # 0006: the reconciliation looks at the concerns accepted in a window of time.
    Index("ix_concerns_recorded_at", "recorded_at"),
)

# 0003: one row per subject and child of a concern, written with it, for searching by CPR number and name.
# The name is folded (lower case, no accents: services.intake.domain.lookup.fold_name); the body stays the record.
# A name search scans this narrow table (no index serves "contains"); CPR numbers are looked up by index.
concern_persons = Table(
    "concern_persons", metadata,
    Column("concern_id", String(36), ForeignKey("concerns.concern_id"), nullable=False),
    Column("path", String(24), nullable=False),
    Column("name_folded", Text, nullable=True),
    Column("cpr", String(10), nullable=True),
    Column("date_of_birth", Date, nullable=True),
    PrimaryKeyConstraint("concern_id", "path"),
    Index("ix_concern_persons_cpr", "cpr"),
)

# 0003, append-only: every read of a concern's personal data, with who, when, which concern and why.
read_access_log = read_access_log_table(metadata)

# 0004: what routing said about each concern: under a legal hold (keep everything), erased (erase it here too).
concern_retention = concern_retention_table(metadata)

# 0006: routing's acknowledgement per concern (ConcernRouted), and when intake last asked again for one that
# had none and may next (services/intake/service_layer/reconcile.py). Ids and times only.
concern_routing = Table(
    "concern_routing", metadata,
    Column("concern_id", String(36), primary_key=True),
    Column("routed_at", DateTime(timezone=True), nullable=True),
    Column("asked_again_at", DateTime(timezone=True), nullable=True),
    Column("times_asked_again", Integer, nullable=False, server_default="0"),
    Column("next_ask_at", DateTime(timezone=True), nullable=True),  # not before: each copy waits twice as long
)

tables = ServiceTables(metadata)
