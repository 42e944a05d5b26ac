"""Reads the chain rows of a seq_no range through the bare database driver, from a process of its own.

Parallel verification (``service_layer/verify_parallel.py``) checks ranges of the log in worker
processes. A worker shares no connection with its parent: it opens its own from the database URL
(read-only on SQLite) and reads its range in keyset batches. Rows are laid out as
``domain/chain_match.py`` says (content as bytes, its UTF-8 as hashed; the columns of hash version 2 as the
text the record hash covers, built by the database), as ``AuditRepository.chain_rows_fast`` returns them;
both use ``CHAIN_ROWS_SQL``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from services.audit.domain.stored_columns import BOOLEAN_COLUMNS, INTEGER_COLUMNS, V2_COLUMNS, keys_text


def _field(name: str, char: str) -> str:
    """SQL for ``stored_columns.field_text`` of one column."""
    column = f"p.{name}"
    if name in BOOLEAN_COLUMNS and char == "char":  # SQLite keeps a boolean as an integer: only 0 and 1 are one
        return f"CASE WHEN {column} IS NULL THEN 'n' WHEN {column} = 1 THEN 't' WHEN {column} = 0 THEN 'f' " \
               f"ELSE 'x' || {column} END"
    if name in BOOLEAN_COLUMNS:
        return f"CASE WHEN {column} IS NULL THEN 'n' WHEN {column} THEN 't' ELSE 'f' END"
    if name in INTEGER_COLUMNS:
        return f"COALESCE('i' || CAST({column} AS TEXT), 'n')"
    return f"COALESCE('s' || length({column}) || ':' || {column}, 'n')"


def _columns_text(char: str) -> str:
    """SQL for ``stored_columns.columns_text`` without the subject keys: the database builds it."""
    return f" || {char}(31) || ".join(_field(name, char) for name in V2_COLUMNS)


# (seq_no, prev_hash, record_hash, content, retention_until, hash_version, record_id, recorded_at, trace_id,
#  payload_sha256, columns text); ``with_subject_keys`` adds the subject keys text: see ``domain/chain_match.py``.
CHAIN_ROWS_SQL = ("SELECT l.seq_no, l.prev_hash, l.record_hash, {content}, {retention}, l.hash_version, "
                  "l.record_id, {recorded_at}, l.trace_id, l.payload_sha256, "
                  "CASE WHEN p.seq_no IS NULL THEN NULL ELSE {columns} END "
                  "FROM disclosure_log l LEFT JOIN disclosure_payloads p ON p.seq_no = l.seq_no "
                  "WHERE l.seq_no > {a} AND l.seq_no <= {b} ORDER BY l.seq_no LIMIT {n}")
SQLITE_CHAIN_ROWS = CHAIN_ROWS_SQL.format(
    content="CAST(p.content AS BLOB)", retention="l.retention_until",
    # as stored ("YYYY-MM-DD HH:MM:SS.ffffff", UTC, when SQLAlchemy wrote it): ``chain_match.utc_text``
    recorded_at="l.recorded_at", columns=_columns_text("char"), a="?", b="?", n="?")
POSTGRES_CHAIN_ROWS = CHAIN_ROWS_SQL.format(
    content="convert_to(p.content, 'UTF8')", retention="l.retention_until::text",
    recorded_at="""to_char(l.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    columns=_columns_text("chr"), a="$1", b="$2", n="$3")
# The subject rows of a batch in one range scan of their primary key (a subquery per record cost more).
SUBJECTS_SQL = "SELECT seq_no, subject_key FROM disclosure_subjects WHERE seq_no >= {a} AND seq_no <= {b}"
SQLITE_SUBJECTS = SUBJECTS_SQL.format(a="?", b="?")
POSTGRES_SUBJECTS = SUBJECTS_SQL.format(a="$1", b="$2")


def with_subject_keys(rows: Sequence[Sequence[Any]], subjects: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The rows with their subject keys' text (``stored_columns.keys_text``) appended."""
    keys: dict[int, list[str]] = {}
    for seq_no, key in subjects:
        keys.setdefault(seq_no, []).append(key)
    return [(*row, keys_text(keys.get(row[0], ()))) for row in rows]

SQLITE_MMAP_BYTES = 1 << 34
RowsConsumer = Callable[[Sequence[Sequence[Any]]], bool]


def can_read_apart(database_url: str) -> bool:
    """Whether another process can open this database: not an in-memory SQLite database."""
    if database_url.startswith("sqlite"):
        path = _sqlite_path(database_url)
        return bool(path) and path != ":memory:" and "mode=memory" not in database_url
    return database_url.startswith("postgresql")


def read_chain_rows(database_url: str, schema: str | None, *, after_seq_no: int, up_to_seq_no: int,
                    batch: int, consume: RowsConsumer) -> None:
    """Hands the rows of ``after_seq_no < seq_no <= up_to_seq_no`` to ``consume`` batch by batch, in
    seq_no order, until they are all read or ``consume`` returns False."""
    if database_url.startswith("sqlite"):
        _read_sqlite(_sqlite_path(database_url), after_seq_no, up_to_seq_no, batch, consume)
    else:
        asyncio.run(_read_postgres(database_url, schema, after_seq_no, up_to_seq_no, batch, consume))


def _sqlite_path(database_url: str) -> str:
    # sqlite+aiosqlite:///relative.db, sqlite+aiosqlite:////absolute.db (SQLAlchemy's URL forms)
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    return unquote(path.split("?", 1)[0])


def _read_sqlite(path: str, after: int, up_to: int, batch: int, consume: RowsConsumer) -> None:
    connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=30)
    try:
        # Read through a memory map rather than copying every page into SQLite's cache (≈ 30 % faster
        # for a range scan of large rows); SQLite caps it at its compile-time limit.
        connection.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        while after < up_to:
            rows = connection.execute(SQLITE_CHAIN_ROWS, (after, up_to, batch)).fetchall()
            if rows:
                rows = with_subject_keys(rows, connection.execute(SQLITE_SUBJECTS, (rows[0][0], rows[-1][0])))
            if not rows or not consume(rows) or len(rows) < batch:
                return
            after = rows[-1][0]
    finally:
        connection.close()


async def connect_postgres(database_url: str, schema: str | None, **server_settings: str) -> Any:
    """A bare asyncpg connection from a SQLAlchemy URL (``postgresql+asyncpg://…``), in ``schema``."""
    import asyncpg  # only here: a SQLite deployment need not load it

    dsn = urlsplit(database_url)._replace(scheme="postgresql").geturl()
    if schema:
        server_settings["search_path"] = schema
    return await asyncpg.connect(dsn, server_settings=server_settings or None)


async def _read_postgres(database_url: str, schema: str | None, after: int, up_to: int, batch: int,
                         consume: RowsConsumer) -> None:
    # The parallelism is ours, one worker process per range: no parallel plans inside each range's query.
    connection = await connect_postgres(database_url, schema, max_parallel_workers_per_gather="0")
    try:
        while after < up_to:
            rows = [tuple(r) for r in await connection.fetch(POSTGRES_CHAIN_ROWS, after, up_to, batch)]
            if rows:
                rows = with_subject_keys(rows, await connection.fetch(POSTGRES_SUBJECTS, rows[0][0], rows[-1][0]))
            if not rows or not consume(rows) or len(rows) < batch:
                return
            after = rows[-1][0]
    finally:
        await connection.close()
