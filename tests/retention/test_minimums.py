"""The statutory minimums hold: a service configured with a period below its minimum is refused at start
(``infohus serve``), naming the variable and the rule; and the databases keep what the minimums keep, whatever
a caller asks: a read-access-log row younger than six months cannot be deleted (older ones can). (Audit's
disclosure records: tests/audit/test_retention.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from infohus import cli
from infohus.kit import migrations
from infohus.kit.db import create_engine
from tests.conftest import Databases

TOO_SHORT = [
    ("intake", "INFOHUS_INTAKE_ACCESS_LOG_RETENTION_DAYS", "90", "183 days"),
    ("routing", "INFOHUS_ROUTING_ACCESS_LOG_RETENTION_DAYS", "182", "183 days"),
    ("audit", "INFOHUS_AUDIT_ACCESS_LOG_RETENTION_DAYS", "30", "183 days"),
    ("audit", "INFOHUS_AUDIT_ACCESS_LOG_RETENTION_DAYS", "2000", "1827 days"),
    ("routing", "INFOHUS_ROUTING_DISCLOSURE_RETENTION_YEARS", "4", "5 years"),
    ("notify", "INFOHUS_NOTIFY_DELIVERY_RETENTION_DAYS", "3", "WATCHDOG_LOOKBACK_S"),
    ("notify", "INFOHUS_NOTIFY_OUTBOX_RETENTION_HOURS", "24", "168 hours"),
]


@pytest.mark.parametrize(("service", "variable", "value", "minimum"), TOO_SHORT)
def test_a_period_below_its_minimum_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, service: str,
                                                        variable: str, value: str, minimum: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        cli.main(["serve", service])
    assert variable in str(refused.value) and minimum in str(refused.value)


async def _migrated(databases: Databases, service: str) -> tuple[str, str | None]:
    settings = databases.for_service(service)
    url, schema = str(settings["database_url"]), settings["db_schema"]
    await asyncio.to_thread(migrations.upgrade, service, url, schema)
    return url, schema


@pytest.mark.parametrize("service", ["intake", "routing", "audit"])
async def test_the_database_keeps_every_read_log_row_younger_than_six_months(databases: Databases,
                                                                             service: str) -> None:
    url, schema = await _migrated(databases, service)
    now = datetime.now(UTC)
    engine = create_engine(url, schema)
    try:
        async with engine.begin() as connection:
            for row_id, read_at in (("young", now - timedelta(days=180)), ("old", now - timedelta(days=186))):
                await connection.execute(text(
                    "INSERT INTO read_access_log (id, read_at, service, user_id, roles, case_kind, case_id, "
                    "purpose, fields) VALUES (:id, :at, 's', 'u', 'auditor', 'concern', 'c1', 'audit', '[]')"),
                    {"id": row_id, "at": read_at if engine.dialect.name == "postgresql" else
                     read_at.replace(tzinfo=None)})
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM read_access_log WHERE id = 'young'"))
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM read_access_log WHERE id = 'old'"))
            left = (await connection.execute(text("SELECT id FROM read_access_log"))).scalars().all()
        assert left == ["young"]
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE read_access_log SET purpose = 'triage' WHERE id = 'young'"))
    finally:
        await engine.dispose()
