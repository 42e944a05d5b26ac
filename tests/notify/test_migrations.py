"""Notify's Alembic revisions build exactly the tables the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from infohus.kit import migrations
from infohus.kit.db import create_engine
from services.notify.adapters.orm import metadata


async def test_head_matches_the_tables_and_downgrades_cleanly(notify_db: dict[str, Any]) -> None:
    url, schema = notify_db["database_url"], notify_db["db_schema"]
    await asyncio.to_thread(migrations.upgrade, "notify", url, schema)
    assert await _differences(url, schema) == []
    await asyncio.to_thread(_downgrade, url, schema, "0001")
    await asyncio.to_thread(migrations.upgrade, "notify", url, schema)
    assert await _differences(url, schema) == []


async def test_a_skeleton_row_left_sending_is_treated_as_possibly_accepted(notify_db: dict[str, Any]) -> None:
    url, schema = notify_db["database_url"], notify_db["db_schema"]
    await asyncio.to_thread(migrations.upgrade, "notify", url, schema, "0001")
    engine = create_engine(url, schema)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO deliveries (notification_id, concern_id, reference, destination, purpose, recipient, "
                "message_id, state, attempts, created_at) VALUES ('n1', 'c1', 'IH-1', 'INFOHUS_TK', 'NEW_CASE', "
                "'tk@example.org', '<n1@example.org>', 'SENDING', 1, :at), ('n2', 'c1', 'IH-1', 'UNDERRETNING', "
                "'NEW_CASE', 'u@example.org', '<n2@example.org>', 'SENT', 1, :at)"),
                {"at": datetime(2026, 11, 22, tzinfo=UTC).replace(tzinfo=None)})
        await asyncio.to_thread(migrations.upgrade, "notify", url, schema)
        async with engine.connect() as connection:
            rows = dict((await connection.execute(text(
                "SELECT notification_id, smtp_phase FROM deliveries ORDER BY notification_id"))).all())
        assert rows == {"n1": "DATA", "n2": None}
    finally:
        await engine.dispose()


async def _differences(url: str, schema: str | None) -> list[Any]:
    engine = create_engine(url, schema)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: [
                d for d in compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")])
    finally:
        await engine.dispose()


def _downgrade(url: str, schema: str | None, revision: str) -> None:
    from alembic import command

    command.downgrade(migrations.alembic_config("notify", url, schema), revision)
