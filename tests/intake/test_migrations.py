"""Intake's Alembic revisions on SQLite and PostgreSQL: 0003 fills concern_persons from the concerns stored before
it and makes the read-access log append-only. (That they build exactly the table models is tests/test_migrations.py.)"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from infohus.kit import migrations
from infohus.kit.db import create_engine
from tests.conftest import Databases
from tests.intake.builders import concern_body


def _db(databases: Databases) -> tuple[str, str | None]:
    settings = databases.for_service("intake")
    return str(settings["database_url"]), settings["db_schema"]


async def test_0003_fills_the_search_rows_of_the_concerns_stored_before(databases: Databases) -> None:
    url, schema = _db(databases)
    await asyncio.to_thread(migrations.upgrade, "intake", url, schema, "0002")
    family = concern_body(subjects=[{"name": "Åse Ørum-Hansen", "cpr": "1503104321", "date_of_birth": "2010-03-15"},
                                    {"stated_age": 40}],
                          children_at_risk=[{"name": "Freja"}])
    engine = create_engine(url, schema)
    try:
        async with engine.begin() as connection:
            for number, body in enumerate((family, concern_body())):
                await connection.execute(text(
                    "INSERT INTO concerns (concern_id, reference, submission_id, channel, anonymous, received_at, "
                    "recorded_at, body) VALUES (:id, :ref, :sub, 'WEB', false, :at, :at, :body)"),
                    {"id": f"c{number}", "ref": f"IH-2026-0000-000{number}", "sub": body["submission_id"],
                     "at": datetime(2026, 3, 3, tzinfo=UTC).replace(tzinfo=None), "body": json.dumps(body)})
        await asyncio.to_thread(migrations.upgrade, "intake", url, schema)
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT concern_id, path, name_folded, cpr, date_of_birth FROM concern_persons "
                "ORDER BY concern_id, path"))).all()
    finally:
        await engine.dispose()
    # A raw SELECT gives SQLite's date as text: compare dates as text.
    assert [(*row[:4], None if row[4] is None else str(row[4])) for row in rows] == [
        ("c0", "children_at_risk[0]", "freja", None, None),
        ("c0", "subjects[0]", "ase orum-hansen", "1503104321", "2010-03-15"),
        ("c0", "subjects[1]", None, None, None),
        ("c1", "subjects[0]", "mads nielsen", None, None)]


@pytest.mark.parametrize("statement", ["UPDATE read_access_log SET purpose = 'triage'", "DELETE FROM read_access_log"])
async def test_the_read_access_log_is_append_only(databases: Databases, statement: str) -> None:
    url, schema = _db(databases)
    await asyncio.to_thread(migrations.upgrade, "intake", url, schema)
    engine = create_engine(url, schema)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO read_access_log (id, read_at, service, user_id, roles, case_kind, case_id, purpose, "
                "fields) VALUES ('r1', :at, 'intake', 'u', 'straxen', 'concern', 'c1', 'search', '[]')"),
                {"at": datetime.now(UTC).replace(tzinfo=None)})  # younger than the retention minimum
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
