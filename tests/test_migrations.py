"""Every service with tables: its Alembic revisions build exactly the tables its code uses (autogenerate finds
nothing to change, types and indexes included), on SQLite and PostgreSQL, also after stepping down a revision
and up again. The workspace owns no tables."""

from __future__ import annotations

import pytest

from tests.conftest import Databases
from tests.migrations import downgrade, schema_differences, upgrade

# The revision each service steps down to before going up again (audit's hash version 2, 0005, has no downgrade).
STEP_DOWN_TO = {"intake": "0002", "routing": "0005", "notify": "0001", "audit": "0005"}


@pytest.mark.parametrize("service", sorted(STEP_DOWN_TO))
async def test_the_migrations_build_exactly_the_table_models(databases: Databases, service: str) -> None:
    settings = databases.for_service(service)
    url, schema = str(settings["database_url"]), settings["db_schema"]
    await upgrade(service, url, schema)
    assert await schema_differences(service, url, schema) == []
    await downgrade(service, url, schema, STEP_DOWN_TO[service])
    await upgrade(service, url, schema)
    assert await schema_differences(service, url, schema) == []
