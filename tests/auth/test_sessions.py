"""Server-side sessions on both stores (in memory; SQL on SQLite and PostgreSQL): revocation, idle timeout,
absolute lifetime, token updates and sharing between replicas."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from infohus.kit.auth import InMemorySessionStore, Role, SessionManager, SessionStore, SqlSessionStore, session_table
from infohus.kit.auth.sessions import TOUCH_INTERVAL_S, new_session_token, session_key
from tests.conftest import Databases


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sql_stores(databases: Databases, unique: str) -> AsyncIterator[tuple[SqlSessionStore, SqlSessionStore]]:
    """Two replicas' stores on one database."""
    url = databases.urls["intake"]
    engines = [create_async_engine(url), create_async_engine(url)]
    stores = tuple(SqlSessionStore(e, session_table(MetaData(), f"sessions_{unique}")) for e in engines)
    await stores[0].create_table()
    await stores[1].create_table()  # idempotent
    yield stores[0], stores[1]
    async with engines[0].begin() as connection:
        await connection.run_sync(stores[0].table.drop)
    for engine in engines:
        await engine.dispose()


def manager(store: SessionStore, clock: Clock) -> SessionManager:
    return SessionManager(store, idle_timeout_s=30 * 60, max_age_s=8 * 3600, clock=clock)


async def check_lifecycle(store: SessionStore) -> None:
    clock = Clock()
    sessions = manager(store, clock)
    token, session = await sessions.start(user_id="u-1", display_name="Test u-1",
                                          roles=frozenset({Role.AUDITOR, Role.ADMINISTRATOR}), method="oidc",
                                          access_token="at-1", access_token_expires_at=clock.now + 300,
                                          refresh_token="rt-1", id_token="it-1")
    assert len(token) >= 43 and session.key == session_key(token) != token
    found = await sessions.resolve(token)
    assert found is not None and found.roles == {Role.AUDITOR, Role.ADMINISTRATOR}
    assert found.principal().session_id == session.key and found.principal().method == "oidc"
    assert found.access_token == "at-1" and found.id_token == "it-1"
    assert found.access_token_expires_at == pytest.approx(clock.now + 300, abs=1e-3)
    assert await sessions.resolve(new_session_token()) is None

    await store.update_tokens(session.key, access_token="at-2", expires_at=None, refresh_token=None)
    updated = await sessions.resolve(token)
    assert updated is not None and updated.access_token == "at-2" and updated.refresh_token is None

    clock.now += 29 * 60
    assert await sessions.resolve(token) is not None
    clock.now += 29 * 60
    assert await sessions.resolve(token) is not None, "use restarts the idle timeout"
    clock.now += 30 * 60 + 0.01  # the database keeps microseconds
    assert await sessions.resolve(token) is None, "idle for 30 minutes"
    assert await store.get(session.key) is None, "an ended session is deleted"

    token, _ = await sessions.start(user_id="u-2", display_name="u-2", roles=frozenset(), method="development")
    await sessions.end(token)
    assert await sessions.resolve(token) is None, "revoked"


async def check_lifetime(store: SessionStore) -> None:
    clock = Clock()
    sessions = manager(store, clock)
    token, _ = await sessions.start(user_id="u-3", display_name="u-3", roles=frozenset(), method="oidc")
    for _ in range(16):
        clock.now += 29 * 60
        assert await sessions.resolve(token) is not None
    clock.now += 29 * 60
    assert await sessions.resolve(token) is None, "8 hours after sign-in, however busy"

    idle, _ = await sessions.start(user_id="u-4", display_name="u-4", roles=frozenset(), method="oidc")
    clock.now += 10
    busy, _ = await sessions.start(user_id="u-5", display_name="u-5", roles=frozenset(), method="oidc")
    clock.now += 30 * 60 - 5
    assert await sessions.purge() == 1
    assert await sessions.resolve(idle) is None and await sessions.resolve(busy) is not None


async def test_in_memory_store() -> None:
    store = InMemorySessionStore()
    await check_lifecycle(store)
    await check_lifetime(store)
    assert InMemorySessionStore().store_id != store.store_id


async def test_sql_store(sql_stores: tuple[SqlSessionStore, SqlSessionStore]) -> None:
    await check_lifecycle(sql_stores[0])
    await check_lifetime(sql_stores[0])


async def test_replicas_share_sessions(sql_stores: tuple[SqlSessionStore, SqlSessionStore]) -> None:
    first, second = sql_stores
    assert first.store_id == second.store_id, "development tokens naming the store are checked by every replica"
    clock = Clock()
    a, b = manager(first, clock), manager(second, clock)
    token, _ = await a.start(user_id="u-1", display_name="u-1", roles=frozenset({Role.INTAKE}), method="oidc")
    clock.now += TOUCH_INTERVAL_S + 1
    seen = await b.resolve(token)
    assert seen is not None and seen.roles == {Role.INTAKE}
    clock.now += 29 * 60
    assert await a.resolve(token) is not None, "the other replica's use counts against the idle timeout"
    await b.end(token)
    assert await a.resolve(token) is None, "logout at one replica ends the session at all"
