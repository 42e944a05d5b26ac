"""Helpers for the audit service tests: records in the log, and changes made out of band."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import text

from infohus.kit.unit_of_work import SharedTransaction
from services.audit.bootstrap import AuditContainer
from services.audit.domain.record import DisclosureDraft, from_event, seal_v2
from services.audit.domain.stored_columns import query_columns
from services.audit.service_layer.append import AppendResult, append_disclosure, append_draft
from tests.audit.domain.builders import an_event, event_fields

__all__ = ["AppendResult", "an_event", "event_fields", "expired", "out_of_band", "reseal_from", "seed",
           "seed_expired", "seed_unchecked"]


def expired(**overrides: Any) -> dict[str, Any]:
    """Fields of a record from 2014 whose retention (the statutory 5 years) ran out in 2019."""
    occurred = datetime(2014, 5, 6, 10, 0, tzinfo=UTC)
    return {"occurred_at": occurred, "decision_at": occurred - timedelta(hours=1),
            "retention_until": date(2019, 5, 6), **overrides}


async def seed(container: AuditContainer, count: int, *, first_id: int = 1, batch: SharedTransaction | None = None,
               **overrides: Any) -> list[AppendResult]:
    """``count`` lawful records through the normal path (invariants checked), in ``batch`` if given."""
    results = []
    for n in range(first_id, first_id + count):
        fields = {"subject_person_ids": [f"person-{n}"], **overrides, "record_id": UUID(int=n)}
        result = await append_disclosure(an_event(**fields), uow=container.unit_of_work(batch), now=datetime.now(UTC))
        assert result is not None
        results.append(result)
    return results


async def seed_expired(container: AuditContainer, *record_ids: int) -> None:
    """Records from 2014 whose retention ran out in 2019 (``expired``), appended through the normal path."""
    for n in record_ids:
        await append_disclosure(an_event(**expired(record_id=UUID(int=n), subject_person_ids=[f"person-{n}"])),
                                uow=container.unit_of_work(), now=datetime.now(UTC))


async def seed_unchecked(container: AuditContainer, record_id: int, *, recorded_at: datetime | None = None,
                         **overrides: Any) -> AppendResult:
    """A record appended without the invariant checks: a record from before a rule existed, which the
    auditor queries must still find."""
    draft = from_event(an_event(**{**overrides, "record_id": UUID(int=record_id)}),
                       recorded_at=recorded_at or datetime.now(UTC))
    result = await append_draft(draft, uow=container.unit_of_work())
    assert result is not None
    return result


async def out_of_band(container: AuditContainer, *statements: str, params: dict[str, Any] | None = None) -> None:
    """Run SQL as someone who can switch the triggers off: the superuser on PostgreSQL (replica mode
    disables triggers), anyone with the file on SQLite (who can drop them)."""
    async with container.runtime.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            names = (await connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"))).scalars().all()
            for name in names:
                await connection.execute(text(f'DROP TRIGGER "{name}"'))
        for statement in statements:
            await connection.execute(text(statement), params or {})
        await connection.commit()


async def reseal_from(container: AuditContainer, first: int, *, prev_hash: str | None = None,
                      edit: dict[str, Any] | None = None) -> None:
    """What someone with the database and no signing key could do: re-seal the records from ``first`` on
    (``edit`` applied to the first one's payload) onto ``prev_hash`` (default: the real predecessor's
    hash), so that the chain links again from there. Hash version 2, every stored column to match."""
    async with container.runtime.engine.connect() as connection:
        if prev_hash is None:
            prev_hash = (await connection.execute(text(
                "SELECT record_hash FROM disclosure_log WHERE seq_no = :s"), {"s": first - 1})).scalar_one()
        rows = (await connection.execute(text(
            "SELECT l.seq_no, l.trace_id, p.content FROM disclosure_log l "
            "JOIN disclosure_payloads p ON p.seq_no = l.seq_no WHERE l.seq_no >= :s ORDER BY l.seq_no"),
            {"s": first})).all()
    statements, params, prev = [], {}, prev_hash
    for seq_no, trace_id, content in rows:
        payload = {k: v for k, v in json.loads(content).items() if k not in ("seq_no", "prev_hash")}
        if seq_no == first:
            payload.update(edit or {})
        sealed = seal_v2(DisclosureDraft.model_validate(payload), seq_no=seq_no, prev_hash=prev, trace_id=trace_id)
        columns = query_columns(sealed.record.payload())
        params.update({f"c{seq_no}": sealed.content.decode(), f"h{seq_no}": sealed.record.record_hash,
                       f"p{seq_no}": prev, f"d{seq_no}": sealed.payload_sha256,
                       **{f"{name}{seq_no}": columns[name] for name in columns}})
        statements.append(f"UPDATE disclosure_log SET prev_hash = :p{seq_no}, record_hash = :h{seq_no}, "
                          f"payload_sha256 = :d{seq_no}, hash_version = 2 WHERE seq_no = {seq_no}")
        assignments = ", ".join(f"{name} = :{name}{seq_no}" for name in columns)
        statements.append(f"UPDATE disclosure_payloads SET content = :c{seq_no}, {assignments} WHERE seq_no = {seq_no}")
        prev = sealed.record.record_hash
    await out_of_band(container, *statements, params=params)
