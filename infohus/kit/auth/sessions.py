"""Server-side browser sessions: revocable, with an idle timeout and an absolute lifetime.

The browser holds only a random session id (256 bits) in an HTTP-only cookie; the store keeps the
SHA-256 of it, so a copy of the store cannot be replayed as cookies. A session ends when it is deleted
(logout), when it has not been used for ``session_idle_timeout_s`` or when it is older than
``session_max_age_s``; an ended session signs nobody in.

Two stores: :class:`InMemorySessionStore` (one process, ``make run``) and :class:`SqlSessionStore`
(SQLAlchemy async, shared by several replicas; ``await store.create_table()`` or
``session_table(metadata)`` in the service's own tables and migrations).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infohus.kit.auth.principal import Principal
from infohus.kit.auth.roles import Role

Clock = Callable[[], float]
"""Seconds since the epoch; injectable so tests move time without sleeping."""

SessionMethod = Literal["oidc", "development"]
TOUCH_INTERVAL_S = 30.0
"""``last_seen_at`` is written at most this often per session (one write per request would be wasteful)."""


def new_session_token() -> str:
    """The value of a session cookie: 256 random bits."""
    return secrets.token_urlsafe(32)


def session_key(token: str) -> str:
    """The id the store keeps for a session token (its SHA-256), never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    key: str
    """SHA-256 of the session token held by the browser."""
    user_id: str
    display_name: str
    roles: frozenset[Role]
    method: SessionMethod
    created_at: float
    last_seen_at: float
    access_token: str | None = None
    """OIDC: the access token to forward downstream."""
    access_token_expires_at: float | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    """OIDC: kept for ``id_token_hint`` at the provider's logout."""

    def principal(self) -> Principal:
        return Principal(user_id=self.user_id, roles=self.roles, display_name=self.display_name,
                         method=self.method, session_id=self.key)


class SessionStore(Protocol):
    """Where sessions live. Implementations store and return :class:`Session` as given; timeouts are
    :class:`SessionManager`'s business."""

    store_id: str
    """Names the store; development tokens name the store their session lives in."""

    async def create(self, session: Session) -> None: ...

    async def get(self, key: str) -> Session | None: ...

    async def touch(self, key: str, last_seen_at: float) -> None: ...

    async def update_tokens(self, key: str, *, access_token: str | None, expires_at: float | None,
                            refresh_token: str | None) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_ended(self, *, idle_before: float, created_before: float) -> int:
        """Deletes sessions last seen before ``idle_before`` or created before ``created_before``."""
        ...


class InMemorySessionStore:
    """Sessions in this process only (``make run``, tests). Several replicas need :class:`SqlSessionStore`."""

    def __init__(self) -> None:
        self.store_id = f"memory:{uuid.uuid4().hex}"
        self._sessions: dict[str, Session] = {}

    async def create(self, session: Session) -> None:
        self._sessions[session.key] = session

    async def get(self, key: str) -> Session | None:
        return self._sessions.get(key)

    async def touch(self, key: str, last_seen_at: float) -> None:
        if (session := self._sessions.get(key)) is not None:
            self._sessions[key] = replace(session, last_seen_at=last_seen_at)

    async def update_tokens(self, key: str, *, access_token: str | None, expires_at: float | None,
                            refresh_token: str | None) -> None:
        if (session := self._sessions.get(key)) is not None:
            self._sessions[key] = replace(session, access_token=access_token,
                                          access_token_expires_at=expires_at, refresh_token=refresh_token)

    async def delete(self, key: str) -> None:
        self._sessions.pop(key, None)

    async def delete_ended(self, *, idle_before: float, created_before: float) -> int:
        ended = [k for k, s in self._sessions.items()
                 if s.last_seen_at < idle_before or s.created_at < created_before]
        for key in ended:
            del self._sessions[key]
        return len(ended)

    def __len__(self) -> int:
        return len(self._sessions)


SESSION_TABLE = "infohus_auth_sessions"


def session_table(metadata: MetaData, name: str = SESSION_TABLE) -> Table:
    """The sessions table, for a service's own metadata (and its Alembic migration)."""
    return Table(
        name, metadata,
        Column("key", String(64), primary_key=True),
        Column("user_id", String(255), nullable=False),
        Column("display_name", String(255), nullable=False),
        Column("roles", String(500), nullable=False),
        Column("method", String(20), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_seen_at", DateTime(timezone=True), nullable=False),
        Column("access_token", Text, nullable=True),
        Column("access_token_expires_at", DateTime(timezone=True), nullable=True),
        Column("refresh_token", Text, nullable=True),
        Column("id_token", Text, nullable=True),
        Index(f"ix_{name}_last_seen_at", "last_seen_at"),
    )


def _dt(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _seconds(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


class SqlSessionStore:
    """Sessions in a SQL table (PostgreSQL or SQLite via SQLAlchemy async), shared by every replica that
    uses the same database. Call ``await store.create_table()`` at start-up, or add
    :func:`session_table` to the service's metadata and migrations and pass that table."""

    def __init__(self, engine: AsyncEngine, table: Table | None = None) -> None:
        self.engine = engine
        self.table = table if table is not None else session_table(MetaData())
        url = engine.url.render_as_string(hide_password=True)
        self.store_id = "sql:" + hashlib.sha256(f"{url}/{self.table.name}".encode()).hexdigest()[:16]

    async def create_table(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(lambda sync: self.table.create(sync, checkfirst=True))

    async def create(self, session: Session) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(insert(self.table).values(
                key=session.key, user_id=session.user_id, display_name=session.display_name,
                roles=" ".join(sorted(session.roles)), method=session.method,
                created_at=_dt(session.created_at), last_seen_at=_dt(session.last_seen_at),
                access_token=session.access_token, access_token_expires_at=_dt(session.access_token_expires_at),
                refresh_token=session.refresh_token, id_token=session.id_token))

    async def get(self, key: str) -> Session | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(self.table).where(self.table.c.key == key))).mappings().first()
        if row is None:
            return None
        roles = frozenset(Role(r) for r in row["roles"].split() if r in Role._value2member_map_)
        method: SessionMethod = "development" if row["method"] == "development" else "oidc"
        return Session(key=row["key"], user_id=row["user_id"], display_name=row["display_name"], roles=roles,
                       method=method, created_at=_seconds(row["created_at"]) or 0.0,
                       last_seen_at=_seconds(row["last_seen_at"]) or 0.0, access_token=row["access_token"],
                       access_token_expires_at=_seconds(row["access_token_expires_at"]),
                       refresh_token=row["refresh_token"], id_token=row["id_token"])

    async def touch(self, key: str, last_seen_at: float) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(update(self.table).where(self.table.c.key == key)
                                     .values(last_seen_at=_dt(last_seen_at)))

    async def update_tokens(self, key: str, *, access_token: str | None, expires_at: float | None,
                            refresh_token: str | None) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(update(self.table).where(self.table.c.key == key).values(
                access_token=access_token, access_token_expires_at=_dt(expires_at), refresh_token=refresh_token))

    async def delete(self, key: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(delete(self.table).where(self.table.c.key == key))

    async def delete_ended(self, *, idle_before: float, created_before: float) -> int:
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(self.table).where(or_(
                self.table.c.last_seen_at < _dt(idle_before), self.table.c.created_at < _dt(created_before))))
        return int(getattr(result, "rowcount", 0) or 0)


class SessionManager:
    """Creates, resolves and ends sessions in a store, applying the idle timeout and absolute lifetime."""

    def __init__(self, store: SessionStore, *, idle_timeout_s: float, max_age_s: float,
                 clock: Clock = time.time) -> None:
        self.store = store
        self.idle_timeout_s = idle_timeout_s
        self.max_age_s = max_age_s
        self.clock = clock

    async def start(self, *, user_id: str, display_name: str, roles: frozenset[Role], method: SessionMethod,
                    access_token: str | None = None, access_token_expires_at: float | None = None,
                    refresh_token: str | None = None, id_token: str | None = None,
                    token: str | None = None) -> tuple[str, Session]:
        """A new session; returns the token for the browser (``token`` when given) and the session."""
        token = token or new_session_token()
        now = self.clock()
        session = Session(key=session_key(token), user_id=user_id, display_name=display_name, roles=roles,
                          method=method, created_at=now, last_seen_at=now, access_token=access_token,
                          access_token_expires_at=access_token_expires_at, refresh_token=refresh_token,
                          id_token=id_token)
        await self.store.create(session)
        return token, session

    async def resolve(self, token: str) -> Session | None:
        """The live session of a token (its use is recorded), or None when unknown, revoked or ended."""
        key = session_key(token)
        session = await self.store.get(key)
        if session is None:
            return None
        now = self.clock()
        if now - session.created_at >= self.max_age_s or now - session.last_seen_at >= self.idle_timeout_s:
            await self.store.delete(key)
            return None
        if now - session.last_seen_at >= TOUCH_INTERVAL_S:
            await self.store.touch(key, now)
            session = replace(session, last_seen_at=now)
        return session

    async def end(self, token: str) -> None:
        await self.store.delete(session_key(token))

    async def purge(self) -> int:
        """Deletes every ended session (call it now and then; ended sessions sign nobody in regardless)."""
        now = self.clock()
        return await self.store.delete_ended(idle_before=now - self.idle_timeout_s,
                                             created_before=now - self.max_age_s)
