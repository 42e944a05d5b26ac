"""Async engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Insert, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


PING_AFTER_IDLE_S = 1.0


def create_engine(url: str, schema: str | None = None, *, ping_after_idle_s: float = PING_AFTER_IDLE_S) -> AsyncEngine:
    """An engine whose connections see only the service's own schema (PostgreSQL) or file (SQLite)."""
    if is_sqlite(url):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(url, connect_args=connect_args)
    _ping_connections_idle_for(engine, ping_after_idle_s)
    return engine


def _ping_connections_idle_for(engine: AsyncEngine, idle_s: float) -> None:
    """Check a pooled connection before use only if it has been idle ``idle_s`` or longer.

    ``pool_pre_ping`` checks every checkout, and asyncpg's ping is three round trips (BEGIN, ``;``,
    ROLLBACK): more than many of our transactions' own statements. A connection checked in a moment ago
    was alive a moment ago (HikariCP skips its check the same way, within 500 ms). A dead one is replaced
    before use; one that dies within the window fails its statement, which callers treat as the database
    being unavailable (redeliver, 503), and the engine then replaces the connections it pools.
    """
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)  # None: a new connection, just opened
        if idle_since is None or time.monotonic() - idle_since < idle_s:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # as pool_pre_ping does: the pool replaces every connection it holds (after a restart all are dead)
            raise InvalidatePoolError("a pooled connection was found closed") from error


SQLITE_PAGE_SIZE = 8192


def _sqlite_engine(url: str) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Takes effect only when the file is new (before WAL, which fixes the page size): rows of about
        # 2-3 KB, like the audit log's, fill 8 KB pages three at a time where 4 KB pages hold one.
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


# SQLSTATE classes of a database that is away or busy, not of a bad statement: connection exception,
# insufficient resources, operator intervention (shutdown, restart, "starting up"); and the two
# transaction conflicts that succeed when retried.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
_TRANSIENT_SQLSTATES = ("40001", "40P01")


def is_dependency_unavailable(error: BaseException) -> bool:
    """True if ``error`` means a dependency (the database, a network peer) is down or restarting, so the
    work should be retried later, not that the work itself is wrong.

    A PostgreSQL restart reaches asyncpg callers as a plain ``DBAPIError`` (SQLSTATE 08003, 57P01, 57P03),
    not only as ``OperationalError``; classifying by class alone would dead-letter good messages.
    """
    if isinstance(error, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = _sqlstate(error.orig) or _sqlstate(getattr(error.orig, "__cause__", None))
    return code is not None and (code[:2] in _TRANSIENT_SQLSTATE_CLASSES or code in _TRANSIENT_SQLSTATES)


def _sqlstate(error: object) -> str | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else None


def upsert_insert(dialect: str, table: Table) -> Any:
    """The dialect's ``INSERT`` with ``ON CONFLICT`` (PostgreSQL's, else SQLite's: the two backends we run on)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@functools.cache
def insert_unless_taken(dialect: str, table: Table, key: tuple[Column[Any], ...] = (),
                        returning: tuple[Column[Any], ...] = ()) -> Insert:
    """``INSERT … ON CONFLICT [(key)] DO NOTHING [RETURNING returning]``, built once per dialect and table: a
    row whose key (any unique key, if none is named) is taken is skipped, not an error, and returns nothing.
    A concurrent transaction inserting the same key is waited for (PostgreSQL)."""
    statement = upsert_insert(dialect, table).on_conflict_do_nothing(index_elements=list(key) or None)
    return statement.returning(*returning) if returning else statement  # type: ignore[no-any-return]


def remembered_in_transaction(session: AsyncSession, key: str) -> Any:
    """What ``remember_in_transaction`` kept under ``key`` for the session's current transaction, else None."""
    transaction, value = session.info.get(key, (None, None))
    return value if transaction is session.sync_session.get_transaction() else None


def remember_in_transaction(session: AsyncSession, key: str, value: Any) -> None:
    """Keep ``value`` until the session's current transaction ends (the next one does not see it)."""
    session.info[key] = (session.sync_session.get_transaction(), value)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite keeps no offset, so it is stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: instants are stored as UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
