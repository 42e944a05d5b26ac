"""An anonymous report leaves no IP address, user agent or other device data: not in the database, the
event, the logs or the traces."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.intake.adapters.orm import concerns, tables
from tests.conftest import Databases
from tests.intake.builders import anonymous_body
from tests.intake.conftest import IntakeUnderTest

CLIENT_IP = "203.0.113.45"
CLIENT_PORT = 43117
DEVICE_HEADERS = {
    "User-Agent": "CanaryBrowser/9.9 (Anon-UA-5c1f)",
    "X-Forwarded-For": "198.51.100.99",
    "X-Real-IP": "198.51.100.98",
    "Forwarded": "for=198.51.100.97",
    "Accept-Language": "da-DK-canary",
    "X-Device-Id": "device-canary-77",
    "Sec-CH-UA-Platform": "CanaryOS",
}
CANARIES = [CLIENT_IP, "CanaryBrowser", "Anon-UA-5c1f", "198.51.100", "da-DK-canary",
            "device-canary-77", "CanaryOS"]


def _leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def _span_text(span: Any) -> str:
    parts = [span.name, json.dumps(dict(span.attributes or {}), default=str)]
    parts += [f"{e.name} {json.dumps(dict(e.attributes or {}), default=str)}" for e in span.events]
    parts += [json.dumps(dict(span.resource.attributes), default=str)]
    return "\n".join(parts)


async def _stored_text(intake: IntakeUnderTest, databases: Databases, tmp_path: Path) -> str:
    rows = []
    for table in (concerns, tables.outbox, tables.inbox):
        rows += await intake.rows(table)
    text = json.dumps(rows, default=str)
    if databases.backend == "sqlite":  # every byte SQLite keeps: the file and its write-ahead log
        await intake.container.runtime.engine.dispose()
        files = await asyncio.to_thread(lambda: [p.read_bytes() for p in tmp_path.glob("intake.db*")])
        text += "".join(data.decode("latin-1") for data in files)
    return text


async def test_anonymous_reports_leave_no_device_data(
        intake: IntakeUnderTest, databases: Databases, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        span_exporter: InMemorySpanExporter) -> None:
    caplog.set_level(logging.DEBUG)
    spans_before = len(span_exporter.get_finished_spans())
    async with intake.client((CLIENT_IP, CLIENT_PORT), headers=DEVICE_HEADERS) as client:
        api = await client.post("/api/v1/concerns", json=anonymous_body())
        form = await client.get("/henvendelse")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        submission = re.search(r'name="submission_id" value="([^"]+)"', form.text)
        assert token and submission
        web = await client.post("/henvendelse", data={
            "csrf_token": token.group(1), "submission_id": submission.group(1), "subject_count": "1",
            "child_count": "0", "subjects-0-stated_age": "15", "description": "Han ser voldelige videoer.",
            "acuteness": "ROUTINE", "reporter-category": "ANONYMOUS", "handling": "send"})
    assert api.status_code == 201, api.text
    assert web.status_code == 200 and "referencenummer" in web.text, web.text
    stored = await intake.rows(concerns)
    assert len(stored) == 2 and all(row["anonymous"] for row in stored)

    # Responses carry nothing about the device back either (no echo in cookies or headers).
    for response in (api, form, web):
        assert _leaks(str(response.headers)) == []

    assert _leaks(await _stored_text(intake, databases, tmp_path)) == []
    log_text = caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    assert _leaks(log_text) == []
    new_spans = span_exporter.get_finished_spans()[spans_before:]
    assert any(span.name == "POST /api/v1/concerns" for span in new_spans)
    assert _leaks("\n".join(_span_text(span) for span in new_spans)) == []
    assert _leaks(" ".join(intake.container.limiter.keys())) == []


def test_the_canaries_would_be_found(tmp_path: Path) -> None:
    """The checks above are real: a leak of any canary is found by the same helpers."""
    for canary in CANARIES:
        assert _leaks(f"client={canary}") == [canary]
