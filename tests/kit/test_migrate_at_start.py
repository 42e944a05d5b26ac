"""A service migrates at start-up in a child process, so Alembic never takes up room in the service's memory."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from infohus.kit.db import create_engine
from infohus.kit.runtime import migrate_in_child_process
from tests.conftest import Databases

START_UP = """
import asyncio, sys
from infohus.kit.runtime import migrate_in_child_process
url, schema = sys.argv[1], sys.argv[2] or None
asyncio.run(migrate_in_child_process("notify", url, schema))
print(sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "mako"}))
"""


async def test_start_up_migrates_in_a_child_process_that_alone_imports_alembic(databases: Databases) -> None:
    url, schema = databases.urls["notify"], databases.schemas["notify"]
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", START_UP, url, schema or ""],
                                   capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"

    engine = create_engine(url, schema)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names(schema=schema)))
    finally:
        await engine.dispose()
    assert {"deliveries", "alembic_version", "outbox"} <= tables


async def test_a_migration_that_fails_stops_the_start_without_naming_the_database(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(RuntimeError) as raised:
        await migrate_in_child_process("notify", url, "notify")
    assert "notify: migrations failed" in str(raised.value)
    assert "no_such_database_here" not in str(raised.value)
