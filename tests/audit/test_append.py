"""Appending from DisclosureRecorded events: chain, idempotency, refusal and dead-letter reasons."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
import rfc8785
from sqlalchemy import event

from contracts.envelope import Envelope
from infohus.kit.messaging import PermanentError
from infohus.kit.unit_of_work import SharedTransaction, UnitNotCommitted
from services.audit.bootstrap import AuditContainer, bootstrap
from services.audit.domain.hashing import GENESIS_PREV_HASH, canonical_json, hashed_content
from services.audit.domain.stored_columns import columns_text, query_columns, subject_keys
from services.audit.service_layer.append import (
    DisclosureRefused,
    InvalidDisclosure,
    append_disclosure,
    handle_disclosure_recorded,
)
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import an_event, seed
from tests.audit.conftest import audit_settings


async def test_records_form_a_gap_free_chain_over_their_stored_content(audit) -> None:
    results = await seed(audit, 5)
    assert [r.seq_no for r in results] == [1, 2, 3, 4, 5]
    prev = GENESIS_PREV_HASH
    for result in results:
        async with audit.unit_of_work() as uow:
            row = await uow.log.find(result.record_id)
        assert row is not None and row["prev_hash"] == prev
        content = row["content"].encode()
        payload = {k: v for k, v in json.loads(content).items() if k not in ("seq_no", "prev_hash")}
        assert content == canonical_json(hashed_content(seq_no=result.seq_no, prev_hash=prev, payload=payload))
        # Hash version 2, recomputed from its definition (RFC 8785 for the header, as an outside verifier would)
        columns = columns_text(query_columns(payload), subject_keys(payload))
        digest = hashlib.sha256(content + b"\x1f" + columns.encode()).hexdigest()
        header = rfc8785.dumps([2, result.seq_no, prev, str(result.record_id), payload["recorded_at"],
                                payload["retention_until"], row["trace_id"], digest])
        assert (row["hash_version"], row["payload_sha256"]) == (2, digest)
        assert hashlib.sha256(bytes.fromhex(prev) + header).hexdigest() == row["record_hash"]
        prev = row["record_hash"]
    async with audit.unit_of_work() as uow:
        rows = await uow.log.by_concern(UUID(int=100))
    assert [(r["seq_no"], r["kind"]) for r in rows] == [(n, "DISCLOSURE") for n in range(1, 6)]
    assert all("trace_id" in r for r in rows)


async def test_a_redelivered_event_and_a_repeated_record_id_append_once(audit) -> None:
    envelope = Envelope.wrap(an_event(), producer="routing", correlation_id=uuid4())
    now = datetime.now(UTC)
    await handle_disclosure_recorded(envelope, uow=audit.unit_of_work(), now=now)
    await handle_disclosure_recorded(envelope, uow=audit.unit_of_work(), now=now)
    again = Envelope.wrap(an_event(), producer="routing", correlation_id=uuid4())  # new event id, same record
    await handle_disclosure_recorded(again, uow=audit.unit_of_work(), now=now)
    async with audit.unit_of_work() as uow:
        assert await uow.log.count() == 1


async def test_a_record_id_reused_with_other_content_is_dead_lettered(audit) -> None:
    await seed(audit, 1)
    other = Envelope.wrap(an_event(record_id=UUID(int=1), purpose_description="Noget andet"),
                          producer="routing", correlation_id=uuid4())
    with pytest.raises(PermanentError, match="exists with other content"):
        await handle_disclosure_recorded(other, uow=audit.unit_of_work(), now=datetime.now(UTC))


async def test_an_unrepresentable_event_is_permanent_and_its_reason_holds_no_personal_data(audit) -> None:
    event = an_event(occurred_at=datetime(2026, 3, 2, 10, 0), executed_by="Anna Jensen")
    envelope = Envelope.wrap(event, producer="routing", correlation_id=uuid4())
    with pytest.raises(InvalidDisclosure) as raised:
        await handle_disclosure_recorded(envelope, uow=audit.unit_of_work(), now=datetime.now(UTC))
    reason = str(raised.value)
    assert isinstance(raised.value, PermanentError)
    assert "occurred_at" in reason
    assert "ANNA" not in reason.upper() and "Jensen" not in reason
    async with audit.unit_of_work() as uow:
        assert await uow.log.count() == 0


async def test_a_refused_event_names_the_invariant_and_writes_nothing(audit) -> None:
    envelope = Envelope.wrap(an_event(purpose="CRIMINAL_REPORT", executed_by="user-17:Anna Jensen"),
                             producer="routing", correlation_id=uuid4())
    with pytest.raises(DisclosureRefused) as raised:
        await handle_disclosure_recorded(envelope, uow=audit.unit_of_work(), now=datetime.now(UTC))
    assert str(raised.value) == "refused by invariants I3(purpose)"
    assert raised.value.rejected is None  # an event is dead-lettered, not turned into a rejection
    async with audit.unit_of_work() as uow:
        assert await uow.log.count() == 0
        assert not await uow.inbox.seen(envelope.event_id)


async def test_concurrent_writers_with_their_own_connections_never_fork_the_chain(audit, databases, unique) -> None:
    other = bootstrap(audit_settings(databases, unique))  # a second replica: its own engine and pool
    try:
        async def write(container, first: int) -> None:
            for n in range(first, first + 15):
                await append_disclosure(an_event(record_id=UUID(int=n)), uow=container.unit_of_work(),
                                        now=datetime.now(UTC))

        await asyncio.gather(write(audit, 1), write(other, 100), write(audit, 200), write(other, 300))
    finally:
        await other.runtime.engine.dispose()
    report = await verify_log(audit.unit_of_work, public_key=None, today=datetime.now(UTC).date())
    assert report.ok and report.checked == 60 and report.head_seq_no == 60


async def test_i10_is_checked_for_events_from_their_reporter_anonymous_flag(audit) -> None:
    """The event's own flag decides: the same record is refused for an anonymous reporter only."""
    manifest = ["concern.description", "concern.reporter.email"]
    anonymous = Envelope.wrap(an_event(record_id=UUID(int=1), content_manifest=manifest, reporter_anonymous=True),
                              producer="routing", correlation_id=uuid4())
    with pytest.raises(DisclosureRefused) as refused:
        await handle_disclosure_recorded(anonymous, uow=audit.unit_of_work(), now=datetime.now(UTC))
    assert {(v.code, v.field) for v in refused.value.violations} == {("I10", "content_manifest")}
    known = Envelope.wrap(an_event(record_id=UUID(int=2), content_manifest=manifest),
                          producer="routing", correlation_id=uuid4())
    await handle_disclosure_recorded(known, uow=audit.unit_of_work(), now=datetime.now(UTC))
    async with audit.unit_of_work() as uow:
        assert await uow.log.count() == 1
        stored = await uow.log.find(UUID(int=2))
    assert stored is not None and "reporter_anonymous" not in json.loads(stored["content"])  # only its provenance


async def test_a_batch_of_appends_reads_the_head_once_and_chains_each_record_onto_the_last(audit) -> None:
    await seed(audit, 2)
    envelopes = [Envelope.wrap(an_event(record_id=UUID(int=10 + n), subject_person_ids=[f"person-{n}"]),
                               producer="routing", correlation_id=uuid4()) for n in range(4)]
    with _head_reads(audit) as reads:
        async with SharedTransaction(audit.runtime.sessions, event_ids=[e.event_id for e in envelopes]) as batch:
            for envelope in envelopes:
                await audit.on_disclosure_recorded(envelope, batch)
    assert len(reads) == 1
    report = await verify_log(audit.unit_of_work, public_key=None, today=datetime.now(UTC).date())
    assert report.ok and report.head_seq_no == 6


async def test_after_a_failed_batch_the_next_append_chains_onto_the_committed_head(audit) -> None:
    await seed(audit, 1)
    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(audit.runtime.sessions) as batch:
            await seed(audit, 2, first_id=2, batch=batch)  # appended in the batch, then rolled back with it
            async with audit.unit_of_work(batch):
                pass  # a unit that ends without committing fails the batch
    [result] = await seed(audit, 1, first_id=4)
    assert result.seq_no == 2
    report = await verify_log(audit.unit_of_work, public_key=None, today=datetime.now(UTC).date())
    assert report.ok and report.head_seq_no == 2


@contextlib.contextmanager
def _head_reads(audit: AuditContainer) -> Iterator[list[str]]:
    reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "ORDER BY disclosure_log.seq_no DESC" in statement:
            reads.append(statement)

    engine = audit.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", record)
