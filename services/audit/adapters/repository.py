"""Insert and select only: every audit table of the log is append-only (the database refuses the rest).
The facts next to the log (``FactsRepository``) are projections, upserted as events arrive.

The one deletion is retention (``purge_expired``), which the database allows for payload and subject
rows past ``retention_until`` only.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, and_, bindparam, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.db import insert_unless_taken, remember_in_transaction, remembered_in_transaction, upsert_insert
from services.audit.adapters.chain_reader import (
    POSTGRES_CHAIN_ROWS,
    POSTGRES_SUBJECTS,
    SQLITE_CHAIN_ROWS,
    SQLITE_SUBJECTS,
    with_subject_keys,
)
from services.audit.adapters.columns import query_columns, subject_keys
from services.audit.adapters.orm import (
    auditor_query_log,
    case_facts,
    checkpoints,
    disclosure_log,
    disclosure_payloads,
    disclosure_subjects,
    mail_gateway_log,
    underretning_facts,
)
from services.audit.domain.checkpoint import Checkpoint
from services.audit.domain.record import DisclosureRecord
from services.audit.domain.retention_rules import erasable_occurred_before

ChainRow = tuple[int, str, str, str | None, date]
"""(seq_no, prev_hash, record_hash, content or None once erased, retention_until)"""


# The statements of every append, built once: building a statement costs about as much as running it.
_HEAD = select(disclosure_log.c.seq_no, disclosure_log.c.record_hash).order_by(disclosure_log.c.seq_no.desc()).limit(1)
_FIND = (select(disclosure_log, disclosure_payloads.c.content)
         .select_from(disclosure_log.outerjoin(disclosure_payloads,
                                               disclosure_payloads.c.seq_no == disclosure_log.c.seq_no))
         .where(disclosure_log.c.record_id == bindparam("record_id")))
_APPENDED_HEAD = "infohus.audit.appended_head"
_INSERT_LOG, _INSERT_PAYLOAD, _INSERT_SUBJECTS = (disclosure_log.insert(), disclosure_payloads.insert(),
                                                  disclosure_subjects.insert())


class DisclosureLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def head(self) -> tuple[int, str] | None:
        """(seq_no, record_hash) of the last record; after an append, the one this transaction appended.

        Remembered per transaction only once it has appended: from then on it holds the append lock
        (the advisory lock on PostgreSQL, SQLite's single writer), so nobody else can move the head until
        it ends. A batch of appends reads the head once, not once per record.
        """
        appended: tuple[int, str] | None = remembered_in_transaction(self._session, _APPENDED_HEAD)
        if appended is not None:
            return appended
        row = (await self._session.execute(_HEAD)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    async def contains(self, record_id: UUID) -> bool:
        return await self.find(record_id) is not None

    async def find(self, record_id: UUID) -> dict[str, Any] | None:
        """The log row and (unless erased) the hashed content of a record."""
        row = (await self._session.execute(_FIND, {"record_id": str(record_id)})).mappings().first()
        return None if row is None else dict(row)

    async def append(self, record: DisclosureRecord, *, content: bytes, trace_id: str | None,
                     payload_sha256: str | None = None) -> None:
        """Store a sealed record: hash version 2 when ``payload_sha256`` is given, else version 1."""
        payload = record.payload()
        await self._session.execute(_INSERT_LOG, dict(
            seq_no=record.seq_no, record_id=str(record.record_id), prev_hash=record.prev_hash,
            record_hash=record.record_hash, recorded_at=record.recorded_at,
            retention_until=record.retention_until, trace_id=trace_id,
            hash_version=1 if payload_sha256 is None else 2, payload_sha256=payload_sha256))
        await self._session.execute(_INSERT_PAYLOAD, dict(
            seq_no=record.seq_no, content=content.decode("utf-8"), **query_columns(payload)))
        keys = subject_keys(payload)
        if keys:
            await self._session.execute(_INSERT_SUBJECTS,
                                        [{"seq_no": record.seq_no, "subject_key": k} for k in keys])
        remember_in_transaction(self._session, _APPENDED_HEAD, (record.seq_no, record.record_hash))

    async def by_concern(self, concern_id: UUID) -> list[dict[str, Any]]:
        """The records of one concern with kind, trace id and the query columns; payload content left out."""
        columns = [c for c in disclosure_payloads.c if c.name not in ("content", "seq_no")]
        rows = await self._session.execute(
            select(disclosure_log.c.seq_no, disclosure_log.c.record_id, disclosure_log.c.record_hash,
                   disclosure_log.c.trace_id, *columns)
            .join(disclosure_payloads, disclosure_payloads.c.seq_no == disclosure_log.c.seq_no)
            .where(disclosure_payloads.c.concern_id == str(concern_id)).order_by(disclosure_log.c.seq_no))
        return [dict(r) for r in rows.mappings()]

    async def by_case(self, case_id: UUID) -> list[dict[str, Any]]:
        """The records about one infohus case, oldest first: what was disclosed to or received from whom."""
        p = disclosure_payloads.c
        rows = await self._session.execute(
            select(disclosure_log.c.seq_no, disclosure_log.c.record_id, p.kind, p.occurred_at, p.executed_by,
                   p.decided_by, p.recipient_authority, p.recipient_is_cooperation_participant, p.channel,
                   p.legal_basis, p.purpose, p.data_categories)
            .join(disclosure_payloads, p.seq_no == disclosure_log.c.seq_no)
            .where(p.infohus_case_id == str(case_id)).order_by(disclosure_log.c.seq_no))
        return [dict(r) for r in rows.mappings()]

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(disclosure_log))).scalar_one())

    async def leaf_hashes(self, *, after_seq_no: int, limit: int) -> list[tuple[int, str]]:
        rows = await self._session.execute(
            select(disclosure_log.c.seq_no, disclosure_log.c.record_hash)
            .where(disclosure_log.c.seq_no > after_seq_no).order_by(disclosure_log.c.seq_no).limit(limit))
        return [(int(r[0]), str(r[1])) for r in rows]

    async def chain_rows(self, *, after_seq_no: int, up_to_seq_no: int | None, limit: int) -> list[ChainRow]:
        query = (select(disclosure_log.c.seq_no, disclosure_log.c.prev_hash, disclosure_log.c.record_hash,
                        disclosure_payloads.c.content, disclosure_log.c.retention_until)
                 .select_from(disclosure_log.outerjoin(
                     disclosure_payloads, disclosure_payloads.c.seq_no == disclosure_log.c.seq_no))
                 .where(disclosure_log.c.seq_no > after_seq_no)
                 .order_by(disclosure_log.c.seq_no).limit(limit))
        if up_to_seq_no is not None:
            query = query.where(disclosure_log.c.seq_no <= up_to_seq_no)
        return [(int(r[0]), str(r[1]), str(r[2]), r[3], _as_date(r[4])) for r in await self._session.execute(query)]

    async def chain_rows_fast(self, *, after_seq_no: int, up_to_seq_no: int, limit: int
                              ) -> list[tuple[Any, ...]]:
        """The chain rows through the driver, without SQLAlchemy's row processing (verification reads
        every record), laid out as ``domain/chain_match.py`` says, with the subject keys of the batch."""
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if connection.dialect.name == "postgresql":
            rows = [tuple(r) for r in await driver.fetch(POSTGRES_CHAIN_ROWS, after_seq_no, up_to_seq_no, limit)]
            return with_subject_keys(rows, await driver.fetch(POSTGRES_SUBJECTS, rows[0][0], rows[-1][0])) \
                if rows else []
        async with driver.execute(SQLITE_CHAIN_ROWS, (after_seq_no, up_to_seq_no, limit)) as cursor:
            rows = list(await cursor.fetchall())
        if not rows:
            return []
        async with driver.execute(SQLITE_SUBJECTS, (rows[0][0], rows[-1][0])) as cursor:
            return with_subject_keys(rows, await cursor.fetchall())

    async def payload_rows(self, seq_nos: list[int]) -> dict[int, dict[str, Any]]:
        rows = await self._session.execute(
            select(disclosure_payloads).where(disclosure_payloads.c.seq_no.in_(seq_nos)))
        return {int(r["seq_no"]): dict(r) for r in rows.mappings()}

    async def subject_rows(self, seq_nos: list[int]) -> dict[int, list[str]]:
        rows = await self._session.execute(
            select(disclosure_subjects.c.seq_no, disclosure_subjects.c.subject_key)
            .where(disclosure_subjects.c.seq_no.in_(seq_nos)))
        found: dict[int, list[str]] = {}
        for seq_no, key in rows:
            found.setdefault(int(seq_no), []).append(str(key))
        return found

    async def log_row(self, seq_no: int) -> dict[str, Any] | None:
        row = (await self._session.execute(
            select(disclosure_log).where(disclosure_log.c.seq_no == seq_no))).mappings().first()
        return None if row is None else dict(row)

    async def purge_expired(self, today: date) -> int:
        """Erase payload and subject rows of records past ``retention_until`` and past the statutory minimum
        (``retention_rules``: a record accepted before the minimum was checked is not erased early either);
        the chain row stays.

        On PostgreSQL through ``audit_purge_expired()`` (SECURITY DEFINER: the app role has no DELETE
        grant, and the function uses the server's date); on SQLite by DELETE, which the triggers allow
        only for expired records.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            return int((await self._session.execute(text("SELECT audit_purge_expired()"))).scalar_one())
        expired = (select(disclosure_log.c.seq_no)
                   .join(disclosure_payloads, disclosure_payloads.c.seq_no == disclosure_log.c.seq_no)
                   .where(disclosure_log.c.retention_until < today,
                          func.substr(disclosure_payloads.c.occurred_at, 1, 10)
                          < erasable_occurred_before(today).isoformat()))
        await self._session.execute(disclosure_subjects.delete().where(disclosure_subjects.c.seq_no.in_(expired)))
        result = await self._session.execute(
            disclosure_payloads.delete().where(disclosure_payloads.c.seq_no.in_(expired)))
        return int(result.rowcount)  # type: ignore[attr-defined]


class CheckpointRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, checkpoint: Checkpoint) -> None:
        await self._session.execute(checkpoints.insert(), checkpoint.model_dump(mode="json"))

    async def at(self, tree_size: int) -> Checkpoint | None:
        row = (await self._session.execute(
            select(checkpoints).where(checkpoints.c.tree_size == tree_size))).mappings().first()
        return None if row is None else Checkpoint.model_validate(dict(row))

    async def latest(self) -> Checkpoint | None:
        row = (await self._session.execute(
            select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1))).mappings().first()
        return None if row is None else Checkpoint.model_validate(dict(row))

    async def all(self) -> list[Checkpoint]:
        rows = await self._session.execute(select(checkpoints).order_by(checkpoints.c.tree_size))
        return [Checkpoint.model_validate(dict(r)) for r in rows.mappings()]


class QueryLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, entry_id: UUID, at: str, actor: str, query: str, parameters: dict[str, Any],
                  result_rows: int, output_format: str, trace_id: str | None) -> None:
        await self._session.execute(auditor_query_log.insert(), dict(
            entry_id=str(entry_id), at=at, actor=actor, query=query,
            parameters=json.dumps(parameters, sort_keys=True, ensure_ascii=False, default=str),
            result_rows=result_rows, output_format=output_format, trace_id=trace_id))

    async def entries(self, *, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(auditor_query_log).order_by(auditor_query_log.c.at.desc()).limit(limit))
        return [dict(r) for r in rows.mappings()]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# Built once per dialect (and set of columns): the facts are upserted for every event audit consumes, and
# building these statements cost more than running them. The values are bound when they run.
@functools.cache
def _case_opened(dialect: str, columns: tuple[str, ...]) -> Insert:
    statement = upsert_insert(dialect, case_facts)
    opened = {name: statement.excluded[name] for name in columns if name != "infohus_case_id"}
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[case_facts.c.infohus_case_id], set_=opened)


@functools.cache
def _case_transitioned(dialect: str) -> Insert:
    statement = upsert_insert(dialect, case_facts)
    new, old = statement.excluded, case_facts.c
    earlier_triage = and_(new.triage_completed_at.is_not(None),
                          or_(old.triage_completed_at.is_(None), new.triage_completed_at < old.triage_completed_at))
    earlier_close = and_(new.closed_at.is_not(None), or_(old.closed_at.is_(None), new.closed_at < old.closed_at))
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[case_facts.c.infohus_case_id], set_={
            "concern_id": func.coalesce(old.concern_id, new.concern_id),
            "reference": func.coalesce(old.reference, new.reference),
            "triage_outcome": case((earlier_triage, new.triage_outcome), else_=old.triage_outcome),
            "triage_completed_at": case((earlier_triage, new.triage_completed_at), else_=old.triage_completed_at),
            "closed_at": case((earlier_close, new.closed_at), else_=old.closed_at)})


@functools.cache
def _underretning_updated(dialect: str, columns: tuple[str, ...]) -> Insert:
    statement = upsert_insert(dialect, underretning_facts)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[underretning_facts.c.underretning_id],
        set_={name: statement.excluded[name] for name in columns if name != "underretning_id"},
        where=statement.excluded.updated_at > underretning_facts.c.updated_at)


class FactsRepository:
    """Case, underretning and mail facts (not the log): upserts that converge whatever order events
    arrive in, as one statement each (``INSERT ... ON CONFLICT DO UPDATE``, on SQLite and PostgreSQL)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def case_opened(self, values: dict[str, Any]) -> None:
        """What CaseOpened says; it leaves what CaseTransitioned recorded (triage, closing) alone."""
        await self._session.execute(_case_opened(self._dialect, tuple(values)), values)

    async def case_transitioned(self, *, infohus_case_id: str, concern_id: str, reference: str,
                                triage_outcome: str | None, triage_completed_at: str | None,
                                closed_at: str | None) -> None:
        """The earliest close and the earliest completed triage win: a fold that ignores arrival order."""
        await self._session.execute(_case_transitioned(self._dialect), {
            "infohus_case_id": infohus_case_id, "concern_id": concern_id, "reference": reference,
            "triage_outcome": triage_outcome, "triage_completed_at": triage_completed_at, "closed_at": closed_at})

    async def underretning_updated(self, values: dict[str, Any]) -> None:
        """Keep the update with the latest ``updated_at``; an older one arriving late changes nothing."""
        await self._session.execute(_underretning_updated(self._dialect, tuple(values)), values)

    async def mail(self, values: dict[str, Any]) -> None:
        """One row per notification and outcome (SENT, DEAD_LETTERED); the same event again adds nothing."""
        await self._session.execute(insert_unless_taken(
            self._dialect, mail_gateway_log, (mail_gateway_log.c.notification_id, mail_gateway_log.c.outcome)), values)

    async def case(self, infohus_case_id: str) -> dict[str, Any] | None:
        row = (await self._session.execute(
            select(case_facts).where(case_facts.c.infohus_case_id == infohus_case_id))).mappings().first()
        return None if row is None else dict(row)

    async def cases_about(self, *, concern_id: str | None, infohus_case_id: str | None) -> list[dict[str, Any]]:
        """The case facts of a record's case or concern: what audit derives a record's facts from."""
        conditions = [case_facts.c.infohus_case_id == infohus_case_id] if infohus_case_id else []
        conditions += [case_facts.c.concern_id == concern_id] if concern_id else []
        if not conditions:
            return []
        rows = await self._session.execute(select(
            case_facts.c.infohus_case_id, case_facts.c.concern_id, case_facts.c.reporter_anonymous,
            case_facts.c.subject_person_id, case_facts.c.subject_adult_from).where(or_(*conditions)))
        return [dict(r) for r in rows.mappings()]

    async def underretning(self, underretning_id: str) -> dict[str, Any] | None:
        row = (await self._session.execute(select(underretning_facts).where(
            underretning_facts.c.underretning_id == underretning_id))).mappings().first()
        return None if row is None else dict(row)

    async def mails(self, concern_id: str) -> list[dict[str, Any]]:
        rows = await self._session.execute(select(mail_gateway_log).where(
            mail_gateway_log.c.concern_id == concern_id).order_by(mail_gateway_log.c.at))
        return [dict(r) for r in rows.mappings()]
