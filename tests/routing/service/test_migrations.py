"""Routing's Alembic revisions build exactly the tables the code uses (indexes included), on SQLite and
PostgreSQL; 0004 fills the inbox's new columns from rows written before it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from infohus.kit import migrations
from infohus.kit.db import create_engine
from tests.conftest import Databases
from tests.migrations import schema_differences


async def test_head_matches_the_tables_and_0004_backfills(databases: Databases) -> None:
    url, schema = databases.urls["routing"], databases.schemas["routing"]
    await asyncio.to_thread(migrations.upgrade, "routing", url, schema, "0003")
    engine = create_engine(url, schema)
    at = datetime(2026, 3, 3, 9, tzinfo=UTC).replace(tzinfo=None)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO infohus_cases (case_id, concern_id, reference, subject_index, person_id, group_id, state,"
                " priority, triage_due_at, flags, opened_at, record) VALUES ('c1', 'k1', 'ISH-1', 0, 'p1', 'g1',"
                " 'IN_SCOPE', 'P2', :at, '[]', :at, :record), ('c2', 'k1', 'ISH-1', 1, 'p2', 'g1', 'RECEIVED', 'P2',"
                " :at, '[]', :at, '{}')"),
                {"at": at, "record": json.dumps({"triage": {"decided_at": "2026-03-03T11:30:00+01:00"}})})
            await connection.execute(text(
                "INSERT INTO concern_facts (concern_id, reference, received_at, effective_received_at,"
                " reporter_category, reporter_contactable, acute, content_hash, data_categories, persons,"
                " config_version, description_hash, reporter_keys, subject_keys) VALUES ('k1', 'ISH-1', :at, :at,"
                " 'CITIZEN', true, false, 'h', '[]', :persons, 'v1', 'd', '[]', '[]')"),
                {"at": at, "persons": json.dumps([{"person_id": "p1", "cpr_hmac": "abc"},
                                                  {"person_id": "p2", "cpr_hmac": None}])})
        await asyncio.to_thread(migrations.upgrade, "routing", url, schema)
        async with engine.connect() as connection:
            completed: dict[str, Any] = dict((await connection.execute(text(
                "SELECT case_id, triage_completed_at FROM infohus_cases ORDER BY case_id"))).all())
            people = (await connection.execute(text("SELECT person_id, concern_id, cpr_hmac FROM person_cpr"))).all()
    finally:
        await engine.dispose()
    assert completed["c2"] is None
    stored = completed["c1"]
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
    assert moment.replace(tzinfo=moment.tzinfo or UTC) == datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
    assert [tuple(p) for p in people] == [("p1", "k1", "abc")]
    assert await schema_differences("routing", url, schema) == []


