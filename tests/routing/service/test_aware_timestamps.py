"""Every timestamp the case API returns carries its UTC offset, on SQLite (which keeps none) as on PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from tests.routing.builders import MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
STRAXEN = ("sofie", "straxen")
AUDITOR = ("revisor-anne", "auditor")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def timestamps(value: Any, path: str = "$") -> dict[str, str]:
    """Every string in a JSON document that is a date and time, by its path."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in timestamps(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in timestamps(item, f"{path}[{i}]").items()}
    return {path: value} if isinstance(value, str) and _TIMESTAMP.match(value) else {}


async def get(routing: RoutingHarness, who: tuple[str, str], path: str, **params: str) -> Any:
    async with routing.client(*who) as client:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_returned_timestamp_has_an_offset(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), RECEIVED,
                                      reference="ISH-TZ-0001")
    [case_id] = await routing.case_ids(concern_id)
    [underretning] = await routing.underretninger(concern_id)
    routing.advance(hours=1)
    async with routing.client(*STRAXEN) as client:
        assessed = await client.post(f"/api/v1/cases/underretninger/{underretning['underretning_id']}/assessment",
                                     json={"acute_measures_needed": False})
    assert assessed.status_code == 200
    routing.advance(days=2)
    await routing.container.scan_deadlines_once()
    window = {"from": (routing.now - timedelta(days=30)).isoformat(), "to": (routing.now + timedelta(days=30))
              .isoformat()}

    responses = {
        "case": await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}"),
        "by_reference": await get(routing, MUNICIPAL, "/api/v1/cases/by-reference/ISH-TZ-0001"),
        "underretning": await get(routing, STRAXEN, f"/api/v1/cases/underretninger/{underretning['underretning_id']}"),
        "tasks": await get(routing, STRAXEN, "/api/v1/cases/tasks"),
        "assessment": assessed.json(),
        "read_log": await get(routing, AUDITOR, "/api/v1/read-access-log"),
        "requested": await get(routing, ("notify-watchdog", "service_notify"), "/api/v1/notifications/requested",
                                **window),
    }
    found = {f"{name}{path}": text for name, body in responses.items() for path, text in timestamps(body).items()}
    for must in ("by_reference$[0].opened_at", "by_reference$[0].triage_due_at", "case$.opened_at",
                 "underretning$.assessed_at", "read_log$[0].read_at"):
        assert must in found, must
    naive = {path: text for path, text in found.items() if datetime.fromisoformat(text).utcoffset() is None}
    assert naive == {}
