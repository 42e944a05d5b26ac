"""``infohus retention [--dry-run] [--json] routing`` on SQLite and PostgreSQL: the dry run lists the concern
whose period is over (ids and counts, no personal data) and changes nothing; the run then deletes exactly
that; a period below the statutory minimum is refused before anything runs."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime

import pytest

from infohus.retention_cli import retention_main
from tests.routing.builders import ADULT, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.routing.service.test_legal_holds import close

LONG_AGO = "2015-03-03T10:00:00+01:00"


async def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await asyncio.to_thread(retention_main, list(argv), out)
    return code, out.getvalue()


async def test_the_dry_run_lists_what_the_run_then_deletes(routing: RoutingHarness,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    settings = routing.container.settings
    monkeypatch.setenv("INFOHUS_ROUTING_DATABASE_URL", settings.database_url)
    if settings.db_schema:
        monkeypatch.setenv("INFOHUS_ROUTING_DB_SCHEMA", settings.db_schema)
    routing.now = datetime.fromisoformat(LONG_AGO)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT, name="Mads Nielsen")]), LONG_AGO)
    [case_id] = await routing.case_ids(concern_id)
    await close(routing, concern_id, "MOVED")

    code, text = await cli("--dry-run", "--json", "routing")
    planned = json.loads(text)
    assert code == 0 and planned["dry_run"] is True
    assert planned["items"]["concerns"] == [str(concern_id)] and planned["items"]["cases"] == [str(case_id)]
    assert await routing.case_ids(concern_id) == [case_id]
    code, text = await cli("routing")
    assert code == 0 and str(concern_id) in text and "concerns: 1" in text and "Mads" not in text
    assert await routing.case_ids(concern_id) == []
    code, text = await cli("--dry-run", "--json", "routing")
    assert json.loads(text)["counts"]["concerns"] == 0

    monkeypatch.setenv("INFOHUS_ROUTING_DISCLOSURE_RETENTION_YEARS", "2")
    assert (await cli("--dry-run", "routing"))[0] == 2
