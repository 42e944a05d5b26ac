"""A service's Alembic revisions against its table models: what autogenerate would still change."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from infohus.kit import migrations
from infohus.kit.db import create_engine


def table_models(service: str) -> MetaData:
    """The metadata the service's code (and its ``migrations/env.py``) uses."""
    metadata: MetaData = importlib.import_module(f"services.{service}.adapters.orm").metadata
    return metadata


async def upgrade(service: str, url: str, schema: str | None, revision: str = "head") -> None:
    await asyncio.to_thread(migrations.upgrade, service, url, schema, revision)


async def downgrade(service: str, url: str, schema: str | None, revision: str) -> None:
    from alembic import command

    await asyncio.to_thread(command.downgrade, migrations.alembic_config(service, url, schema), revision)


async def schema_differences(service: str, url: str, schema: str | None) -> list[Any]:
    """Alembic's autogenerate comparison of the database with the service's table models, types included;
    empty when the migrations build exactly the tables the code uses."""
    metadata = table_models(service)
    engine = create_engine(url, schema)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: [
                d for d in compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")])
    finally:
        await engine.dispose()
