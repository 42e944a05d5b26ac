"""A database that is down answers 503 with what to do, never a 500 and never the driver's message."""

from __future__ import annotations

import httpx

from infohus.kit.settings import Environment, KafkaSettings, TelemetrySettings
from services.intake.bootstrap import bootstrap
from services.intake.entrypoints.http import create_app
from services.intake.settings import IntakeSettings
from tests.e2e.test_walking_skeleton import concern_body


async def test_database_down_gives_503_with_guidance() -> None:
    settings = IntakeSettings(environment=Environment.TEST, database_url="postgresql+asyncpg://postgres@127.0.0.1:1/x",
                              kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1", enable_idempotence=False),
                              telemetry=TelemetrySettings())
    container = bootstrap(settings)
    app = create_app(container, manage_runtime=False)
    body = concern_body()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as client:
        response = await client.post("/api/v1/concerns", json=body)
    await container.runtime.engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "112" in response.json()["detail"][0]["message_da"]
    assert str(body["description"]) not in response.text
