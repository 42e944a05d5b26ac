"""Counting the SQL statements a piece of work sends, for tests that a statement is not sent at all."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextlib.contextmanager
def recorded_statements(engine: AsyncEngine, starting_with: str) -> Iterator[list[str]]:
    """The statements ``engine`` runs meanwhile whose text starts with ``starting_with`` (any case)."""
    prefix = starting_with.upper()
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(prefix):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
