"""The embedded database's connection settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from infohus.kit.db import SQLITE_PAGE_SIZE, create_engine


async def pragma(url: str, name: str) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
    finally:
        await engine.dispose()


async def test_a_new_file_gets_large_pages_write_ahead_logging_and_full_sync(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/new.db"
    assert await pragma(url, "page_size") == SQLITE_PAGE_SIZE == 8192
    assert await pragma(url, "journal_mode") == "wal"
    assert await pragma(url, "synchronous") == 2  # FULL: an accepted concern survives a power cut


async def test_an_existing_file_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:  # made before this setting existed: 4 KB pages
        connection.execute("PRAGMA page_size=4096")
        connection.execute("CREATE TABLE t (x INTEGER)")
    assert await pragma(f"sqlite+aiosqlite:///{path}", "page_size") == 4096
