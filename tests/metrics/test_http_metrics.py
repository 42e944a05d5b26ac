"""Request durations by route template: the workspace's pages as the services' APIs (see
test_system_metrics for intake), never by the path as requested, and never for the health probes."""

from __future__ import annotations

from uuid import uuid4

import httpx
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from contracts.metrics import HTTP_DURATION, HTTP_METHOD, HTTP_ROUTE, HTTP_STATUS, SERVICE
from infohus.kit.settings import Environment
from services.workspace.entrypoints.http import create_app
from services.workspace.settings import WorkspaceSettings
from tests.metrics.conftest import Reading
from tests.workspace.conftest import dev_auth


async def test_the_workspace_times_its_pages_by_route_template(metric_reader: InMemoryMetricReader) -> None:
    app = create_app(WorkspaceSettings(environment=Environment.TEST), auth=dev_auth())
    case_id = str(uuid4())
    before = Reading.take(metric_reader)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://workspace.test") as client:
        probe = await client.get("/health/live")
        case_page = await client.get(f"/sager/{case_id}")
        nowhere = await client.get("/IH-2026-ABCD-EFGH")
        odd = await client.request("PROPFIND", "/sager")
    assert [probe.status_code, case_page.status_code, nowhere.status_code] == [200, 303, 404]
    after = Reading.take(metric_reader)

    workspace = {SERVICE: "workspace"}
    assert after.delta(before, HTTP_DURATION, workspace | {HTTP_ROUTE: "/sager/{case_id}", HTTP_STATUS: 303,
                                                           HTTP_METHOD: "GET"}) == 1
    assert after.delta(before, HTTP_DURATION, workspace | {HTTP_STATUS: 404}) == 1
    assert after.delta(before, HTTP_DURATION, workspace | {HTTP_METHOD: "_OTHER", HTTP_STATUS: odd.status_code}) == 1
    assert after.delta(before, HTTP_DURATION, workspace) == 3  # not the probe
    routes = {str(p.attributes.get(HTTP_ROUTE)) for p in after.of(HTTP_DURATION)}
    assert not any(case_id in route or "IH-2026" in route for route in routes)
    # FastAPI's own instrumentation stays off: its spans and points would carry query strings and paths.
    assert _foreign(after) == _foreign(before)


def _foreign(reading: Reading) -> float:
    return sum(p.value for p in reading.points if not p.ours)
