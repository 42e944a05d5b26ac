"""A database that goes away is told apart from work that is wrong, on a real PostgreSQL.

A PostgreSQL restart reaches asyncpg callers as a plain ``DBAPIError``; consumers must redeliver on it,
never dead-letter, and the HTTP API must answer 503, never 500.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from infohus.kit.db import create_engine, is_dependency_unavailable


async def _error_of(engine_url: str, statement: str, *, kill_midway: bool = False) -> BaseException:
    engine, killer = create_engine(engine_url), create_engine(engine_url)
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("select pg_backend_pid()"))).scalar_one()

            async def terminate() -> None:
                await asyncio.sleep(0.3)
                async with killer.connect() as other:
                    await other.execute(text(f"select pg_terminate_backend({int(pid)})"))

            task = asyncio.create_task(terminate()) if kill_midway else None
            try:
                await connection.execute(text(statement))
            except DBAPIError as error:
                return error
            finally:
                if task is not None:
                    await task
    finally:
        await engine.dispose()
        await killer.dispose()
    raise AssertionError("the statement did not fail")


async def test_a_connection_killed_mid_statement_is_unavailability(postgres_url: str) -> None:
    error = await _error_of(postgres_url, "select pg_sleep(5)", kill_midway=True)
    assert type(error) is DBAPIError  # not an OperationalError: a class check alone would miss it
    assert is_dependency_unavailable(error)


async def test_a_bad_statement_is_not_unavailability(postgres_url: str) -> None:
    error = await _error_of(postgres_url, "select no_such_column from no_such_table")
    assert not is_dependency_unavailable(error)


@pytest.mark.parametrize("error", [OSError("refused"), TimeoutError(), ConnectionResetError()])
def test_network_errors_are_unavailability(error: BaseException) -> None:
    assert is_dependency_unavailable(error)


def test_constraint_violations_and_programming_errors_are_not() -> None:
    assert not is_dependency_unavailable(IntegrityError("insert", {}, Exception("duplicate key")))
    assert not is_dependency_unavailable(ValueError("bad value"))
