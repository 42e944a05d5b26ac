"""Migration 0002 moves records written by the walking skeleton (0001) into the append-only layout."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from sqlalchemy import text

from infohus.kit import migrations
from services.audit.bootstrap import bootstrap
from services.audit.service_layer.verify import verify_log
from tests.audit.conftest import audit_settings
from tests.audit.domain.builders import a_chain


async def test_records_of_the_first_schema_survive_the_upgrade_and_verify(databases, unique) -> None:
    settings = audit_settings(databases, unique)
    await asyncio.to_thread(migrations.upgrade, "audit", settings.database_url, settings.db_schema, "0001")
    audit = bootstrap(settings)
    records = a_chain(3)
    try:
        async with audit.runtime.engine.begin() as connection:
            for record in records:
                await connection.execute(text(
                    "INSERT INTO disclosure_log (seq_no, record_id, prev_hash, record_hash, kind, occurred_at, "
                    "recorded_at, concern_id, legal_basis, purpose, recipient_authority, retention_until, payload) "
                    "VALUES (:seq_no, :record_id, :prev_hash, :record_hash, :kind, :occurred_at, :recorded_at, "
                    ":concern_id, :legal_basis, :purpose, :recipient, :retention_until, :payload)"), {
                    "seq_no": record.seq_no, "record_id": str(record.record_id), "prev_hash": record.prev_hash,
                    "record_hash": record.record_hash, "kind": str(record.kind), "occurred_at": record.occurred_at,
                    "recorded_at": record.recorded_at, "concern_id": str(record.concern_id),
                    "legal_basis": str(record.legal_basis), "purpose": str(record.purpose),
                    "recipient": record.recipient_authority, "retention_until": record.retention_until,
                    "payload": json.dumps(record.payload(), sort_keys=True, default=str)})
        await audit.runtime.migrate()
        report = await verify_log(audit.unit_of_work, public_key=None, today=date.today(), deep=True)
        assert report.ok and report.checked == 3, report.as_dict()
        async with audit.unit_of_work() as uow:
            rows = await uow.log.by_concern(records[0].concern_id)
        assert [r["record_hash"] for r in rows] == [r.record_hash for r in records]
    finally:
        await audit.runtime.engine.dispose()
