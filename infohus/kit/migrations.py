"""Run a service's Alembic migrations, on SQLite or on the service's own PostgreSQL schema.

``python -m infohus.kit.migrations SERVICE`` migrates the database named in the environment
(:func:`child_environment`): how a service migrates at start-up without importing Alembic itself.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from infohus.kit.db import create_engine, is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: a service imports this module to migrate in a child process
# (child_environment) and must not load Alembic and Mako (≈ 9 MB) itself.

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
_URL, _SCHEMA = "INFOHUS_MIGRATE_DATABASE_URL", "INFOHUS_MIGRATE_DB_SCHEMA"


def alembic_config(service: str, database_url: str, schema: str | None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["db_schema"] = schema
    return config


def upgrade(service: str, database_url: str, schema: str | None = None, revision: str = "head") -> None:
    """Blocking; call through ``asyncio.to_thread`` from async code."""
    from alembic import command

    command.upgrade(alembic_config(service, database_url, schema), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

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
    from alembic import context

    options: dict[str, Any] = {"connection": connection, "target_metadata": target_metadata,
                               "render_as_batch": connection.dialect.name == "sqlite"}
    if schema:
        options["version_table_schema"] = schema
    context.configure(**options)
    with context.begin_transaction():
        context.run_migrations()


def child_environment(parent: Mapping[str, str], database_url: str, schema: str | None) -> dict[str, str]:
    return {**parent, _URL: database_url, _SCHEMA: schema or ""}


if __name__ == "__main__":
    upgrade(sys.argv[1], os.environ[_URL], os.environ[_SCHEMA] or None)
