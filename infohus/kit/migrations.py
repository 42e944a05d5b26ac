"""Run a service's Alembic migrations, on SQLite or on the service's own PostgreSQL schema."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from infohus.kit.db import create_engine, is_sqlite

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


def alembic_config(service: str, database_url: str, schema: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["db_schema"] = schema
    return config


def upgrade(service: str, database_url: str, schema: str | None = None, revision: str = "head") -> None:
    """Blocking; call through ``asyncio.to_thread`` from async code."""
    command.upgrade(alembic_config(service, database_url, schema), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    url: str = context.config.attributes["database_url"]
    schema: str | None = None if is_sqlite(url) else context.config.attributes.get("db_schema")
    asyncio.run(_run_online(url, schema, target_metadata))


async def _run_online(url: str, schema: str | None, target_metadata: MetaData) -> None:
    engine = create_engine(url, schema)
    try:
        async with engine.connect() as connection:
            if schema:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
            await connection.run_sync(_migrate, schema, target_metadata)
    finally:
        await engine.dispose()


def _migrate(connection: Connection, schema: str | None, target_metadata: MetaData) -> None:
    options: dict[str, Any] = {"connection": connection, "target_metadata": target_metadata,
                               "render_as_batch": connection.dialect.name == "sqlite"}
    if schema:
        options["version_table_schema"] = schema
    context.configure(**options)
    with context.begin_transaction():
        context.run_migrations()
