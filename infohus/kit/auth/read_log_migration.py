"""The read-access log's table, created by a service's Alembic migration: one definition for every service
that logs reads (the kit's ``read_access_log_table`` is the same table for ``create_all``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from infohus.kit.auth.read_log import TABLE_NAME, append_only_ddl


def create_read_access_log(op: Any) -> None:
    """``op`` is the migration's ``alembic.op``: the table, its indexes, and the triggers that refuse UPDATE
    and DELETE (and TRUNCATE on PostgreSQL), so the log stays append-only."""
    op.create_table(
        TABLE_NAME,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("roles", sa.String(length=255), nullable=False),
        sa.Column("case_kind", sa.String(length=30), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{TABLE_NAME}_case", TABLE_NAME, ["case_id", "read_at"], unique=False)
    op.create_index(f"ix_{TABLE_NAME}_user", TABLE_NAME, ["user_id", "read_at"], unique=False)
    op.create_index(f"ix_{TABLE_NAME}_read_at", TABLE_NAME, ["read_at"], unique=False)
    dialect = op.get_bind().dialect.name
    schema = op.get_context().version_table_schema if dialect == "postgresql" else None
    for statement in append_only_ddl(dialect, TABLE_NAME, schema):
        op.execute(statement)
