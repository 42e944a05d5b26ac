"""Notify's Alembic revisions on SQLite and PostgreSQL: 0002 treats a row left SENDING as possibly accepted.
(That they build exactly the table models is tests/test_migrations.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from infohus.kit import migrations
from infohus.kit.db import create_engine


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
            rows: dict[str, Any] = dict((await connection.execute(text(
                "SELECT notification_id, smtp_phase FROM deliveries ORDER BY notification_id"))).all())
        assert rows == {"n1": "DATA", "n2": None}
    finally:
        await engine.dispose()
