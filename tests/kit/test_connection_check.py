"""Pooled PostgreSQL connections are checked before use only after they have been idle, and a dead one
is replaced without the caller seeing an error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infohus.kit.db import create_engine


@contextmanager
def counting_pings(engine: AsyncEngine) -> Iterator[list[int]]:
    dialect = engine.sync_engine.dialect
    pings: list[int] = []
    real_ping = dialect.do_ping

    def ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real_ping(dbapi_connection)

    dialect.do_ping = ping  # type: ignore[method-assign]
    try:
        yield pings
    finally:
        dialect.do_ping = real_ping  # type: ignore[method-assign]


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("select pg_backend_pid()"))).scalar_one())


async def test_a_connection_reused_at_once_is_not_pinged(postgres_url: str) -> None:
    engine = create_engine(postgres_url, ping_after_idle_s=60)
    try:
        with counting_pings(engine) as pings:
            first = await backend_pid(engine)
            assert [await backend_pid(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        await engine.dispose()


async def test_an_idle_connection_is_pinged_before_use(postgres_url: str) -> None:
    engine = create_engine(postgres_url, ping_after_idle_s=0.05)
    try:
        with counting_pings(engine) as pings:
            first = await backend_pid(engine)
            await asyncio.sleep(0.1)
            assert await backend_pid(engine) == first
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_an_idle_connection_the_server_closed_is_replaced_before_use(postgres_url: str) -> None:
    engine, admin = create_engine(postgres_url, ping_after_idle_s=0.05), create_engine(postgres_url)
    try:
        dead = await backend_pid(engine)
        async with admin.connect() as connection:
            await connection.execute(text(f"select pg_terminate_backend({dead})"))
        await asyncio.sleep(0.1)
        assert await backend_pid(engine) != dead  # no error reached the caller
    finally:
        await engine.dispose()
        await admin.dispose()
