"""The read-access log stays append-only, except that a row older than the statutory minimum may be
deleted (retention). The database holds the line: a row younger than ``ACCESS_LOG_MIN_DAYS`` cannot be
deleted by anyone, whatever the service's settings say; UPDATE and TRUNCATE stay refused."""

from __future__ import annotations

import re
from typing import Any

from infohus.kit.auth.read_log import TABLE_NAME
from infohus.kit.retention import ACCESS_LOG_MIN_DAYS

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def deletable_after_minimum_ddl(dialect: str, schema: str | None = None, *, table: str = TABLE_NAME,
                                min_days: int = ACCESS_LOG_MIN_DAYS) -> list[str]:
    """Statements that replace the read-access log's append-only triggers (``append_only_ddl``) with ones
    that also let a row older than ``min_days`` be deleted."""
    for identifier in (table, schema or "public"):
        if not _IDENTIFIER.match(identifier):
            raise ValueError(f"not a plain identifier: {identifier!r}")
    message = f"{table} is append-only"
    days = int(min_days)
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_delete",
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN OLD.read_at >= datetime('now', '-{days} days') "
                f"BEGIN SELECT RAISE(ABORT, '{message}: rows younger than {days} days are kept'); END"]
    if dialect == "postgresql":
        prefix = f"{schema}." if schema else ""
        return [f"CREATE OR REPLACE FUNCTION {prefix}{table}_refuse_change() RETURNS trigger LANGUAGE plpgsql "
                f"AS $body$ BEGIN "
                f"IF TG_OP = 'DELETE' AND OLD.read_at < now() - interval '{days} days' THEN RETURN OLD; END IF; "
                f"RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege'; END $body$"]
    raise ValueError(f"no read-log retention DDL for {dialect}")


def allow_deletion_after_minimum(op: Any) -> None:
    """In a service's Alembic migration: the read-access log's rows past the minimum become deletable."""
    dialect = op.get_bind().dialect.name
    schema = op.get_context().version_table_schema if dialect == "postgresql" else None
    for statement in deletable_after_minimum_ddl(dialect, schema):
        op.execute(statement)


def keep_every_row(op: Any) -> None:
    """The downgrade: the read-access log append-only again."""
    from infohus.kit.auth.read_log import append_only_ddl

    dialect = op.get_bind().dialect.name
    schema = op.get_context().version_table_schema if dialect == "postgresql" else None
    if dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE_NAME}_no_delete")
        op.execute(append_only_ddl(dialect, TABLE_NAME, schema)[1])
        return
    op.execute(append_only_ddl(dialect, TABLE_NAME, schema)[0])
