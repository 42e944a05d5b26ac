"""The running system's metrics: what happened is counted, by code only, and nobody is named.

The four services run in this process on the real broker, database and SMTP server, behind an in-memory
metric reader. Concerns are accepted and refused over HTTP, routing opens the case, notify fails, retries,
sends and dead-letters the mails, a bad message is dead-lettered by routing's consumer and routing's clock
is moved past every deadline; then the points of every metric are read back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from contracts.metrics import (
    ALLOWED_VALUES,
    CASES_OPENED,
    CATALOGUE,
    CHANNEL,
    CLOCK_BREACHES_REACHED,
    CLOCK_WARNINGS_REACHED,
    CONCERNS_ACCEPTED,
    CONCERNS_REFUSED,
    CONSUMER_GROUP,
    CONSUMER_LAG,
    DEADLINE_KIND,
    DESTINATION,
    HTTP_DURATION,
    HTTP_ROUTE,
    HTTP_STATUS,
    MAILS_DEAD_LETTERED,
    MAILS_FAILED,
    MAILS_SENT,
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    REASON,
    SERVICE,
    TOPIC,
)
from tests.conftest import Databases
from tests.metrics.conftest import Reading
from tests.notify.conftest import TK, UND, RecipientFaultMailbox
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

pytestmark = pytest.mark.slow

API = "/api/v1/concerns"
CONCERN_SUBMITTED = "infohus.intake.concern-submitted.v1"
ROUTING = {SERVICE: "routing", CONSUMER_GROUP: "infohus-routing", TOPIC: CONCERN_SUBMITTED}
DESCRIPTION = "Min nabos søn har ændret sig meget og taler om vold mod anderledes tænkende."
PERSONAL = ("Anna Jensen", "anna.jensen@example.org", "+45 20 30 40 50", "Mads Nielsen", "150310-4321",
            "1503104321", DESCRIPTION)


def concern_body(**changes: Any) -> dict[str, Any]:
    body = {
        "submission_id": f"web-{uuid.uuid4().hex}", "channel": "WEB",
        "reporter": {"category": "CITIZEN", "name": "Anna Jensen", "email": "anna.jensen@example.org",
                     "phone": "+45 20 30 40 50"},
        "subjects": [{"name": "Mads Nielsen", "cpr": "150310-4321", "municipality": "Ishøj"}],
        "description": DESCRIPTION, "acuteness": "ROUTINE", "crime_suspicion": False,
    }
    return body | changes


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[RecipientFaultMailbox]:
    box = RecipientFaultMailbox(tmp_path / "mail")
    await box.start()
    yield box
    await box.stop()


async def test_the_system_counts_what_happened_by_code_and_names_no_one(
        databases: Databases, kafka: Any, relay: RecipientFaultMailbox, unique: str,
        metric_reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOHUS_OTEL_METRICS_SAMPLE_INTERVAL_S", "0.2")
    relay.recipient_faults[TK.casefold()] = (550, "5.1.1 Mailbox unavailable")  # dead-lettered
    relay.recipient_faults[UND.casefold()] = (451, "4.3.0 Try again later")  # retried until the fault is gone
    system = build_system(databases, kafka.bootstrap_servers, unique, relay, retry_initial_backoff_s=0.05,
                          retry_max_backoff_s=0.2)
    before = Reading.take(metric_reader)
    await system.start()
    try:
        reference = await _submit_and_refuse(system)
        await _mails_fail_then_go_or_die(system, relay, metric_reader, before)
        await _a_bad_message_is_dead_lettered(system, unique, metric_reader, before)
        await _clocks_run_out(system, metric_reader, before)
        after = await _gauges_settle(metric_reader)
    finally:
        await system.stop()

    assert after.delta(before, CONCERNS_ACCEPTED, {CHANNEL: "WEB"}) == 1
    for reason in ("invalid", "not_authenticated", "too_large"):
        assert after.delta(before, CONCERNS_REFUSED, {REASON: reason}) == 1, reason
    assert after.delta(before, CASES_OPENED) == 1
    for status in (201, 422, 401):
        assert after.delta(before, HTTP_DURATION, {SERVICE: "intake", HTTP_ROUTE: API, HTTP_STATUS: status}) == 1
    # Refused before any route saw it: no route, and certainly not the path as requested.
    assert after.delta(before, HTTP_DURATION, {SERVICE: "intake", HTTP_STATUS: 413}) == 1
    assert all(HTTP_ROUTE not in p.attributes for p in after.of(HTTP_DURATION) if p.attributes[HTTP_STATUS] == 413)
    _assert_nobody_is_named(after, reference)


async def _submit_and_refuse(system: InfohusSystem) -> str:
    too_large = b"x" * (system.intake.settings.max_body_bytes + 1)
    async with system.http() as client:
        accepted = await client.post(API, json=concern_body())
        invalid = await client.post(API, json={k: v for k, v in concern_body().items() if k != "description"})
        staff_entry = await client.post(API, json=concern_body(channel="PHONE",
                                                               received_at=datetime.now(UTC).isoformat()))
        large = await client.post(API, content=too_large, headers={"content-type": "application/json"})
    assert [accepted.status_code, invalid.status_code, staff_entry.status_code, large.status_code] == [
        201, 422, 401, 413]
    return str(accepted.json()["reference"])


async def _mails_fail_then_go_or_die(system: InfohusSystem, relay: RecipientFaultMailbox,
                                     reader: InMemoryMetricReader, before: Reading) -> None:
    und = {DESTINATION: "UNDERRETNING"}
    await eventually(lambda: _delta(reader, before, MAILS_FAILED, und), within=60)
    relay.recipient_faults.pop(UND.casefold())
    await eventually(lambda: _delta(reader, before, MAILS_SENT, und), within=30)
    # The ops alert about the dead letter is sent; the dead letter is counted once.
    await eventually(lambda: _delta(reader, before, MAILS_SENT, {DESTINATION: "OPS_ALERT"}), within=30)
    assert Reading.take(reader).delta(before, MAILS_DEAD_LETTERED, {DESTINATION: "INFOHUS_TK"}) == 1


async def _a_bad_message_is_dead_lettered(system: InfohusSystem, prefix: str, reader: InMemoryMetricReader,
                                          before: Reading) -> None:
    topic = f"{prefix}.{CONCERN_SUBMITTED}"
    await system.intake.runtime.broker.publish(b"{not an envelope", topic, key=b"bad")
    await eventually(lambda: _delta(reader, before, MESSAGES_DEAD_LETTERED, ROUTING), within=30)
    # The concern and the bad message are both behind the consumer now.
    await eventually(lambda: _delta_at_least(reader, before, MESSAGES_CONSUMED, ROUTING, 2), within=30)


async def _clocks_run_out(system: InfohusSystem, reader: InMemoryMetricReader, before: Reading) -> None:
    system.routing.clock = lambda: datetime.now(UTC) + timedelta(days=60)
    assert await system.routing.scan_deadlines_once() > 0
    after = Reading.take(reader)
    assert after.delta(before, CLOCK_BREACHES_REACHED, {DEADLINE_KIND: "TRIAGE_BREACHED"}) == 1
    assert after.delta(before, CLOCK_WARNINGS_REACHED, {DEADLINE_KIND: "TRIAGE_75"}) == 1
    assert await system.routing.scan_deadlines_once() == 0  # each clock's breach is counted once
    assert Reading.take(reader).delta(before, CLOCK_BREACHES_REACHED) == after.delta(before, CLOCK_BREACHES_REACHED)


async def _gauges_settle(reader: InMemoryMetricReader) -> Reading:
    """Every outbox drains and routing's consumer catches up; the gauges say so."""
    services = {"intake", "routing", "notify", "audit"}

    async def settled() -> Reading | None:
        reading = Reading.take(reader)
        backlog = {p.attributes[SERVICE]: p.value for p in reading.of(OUTBOX_BACKLOG)}
        age = {p.attributes[SERVICE]: p.value for p in reading.of(OUTBOX_OLDEST_AGE)}
        lag = reading.total(CONSUMER_LAG, ROUTING) if reading.of(CONSUMER_LAG) else None
        drained = services <= backlog.keys() and all(backlog[s] == 0 and age[s] == 0 for s in services)
        return reading if drained and lag == 0 and _has_lag_point(reading) else None

    reading: Reading = await eventually(settled, within=30)
    return reading


def _has_lag_point(reading: Reading) -> bool:
    return any(p.matches(CONSUMER_LAG, ROUTING) for p in reading.points)


def _assert_nobody_is_named(reading: Reading, reference: str) -> None:
    known_keys = {key for spec in CATALOGUE for key in spec.attributes}
    ours = [p for p in reading.points if p.ours]
    assert {spec.name for spec in CATALOGUE} <= {p.name for p in ours}
    for point in ours:
        assert set(point.attributes) <= known_keys, point
        for key, value in point.attributes.items():
            text = str(value)
            assert not any(secret in text for secret in (*PERSONAL, reference)), point
            if key in ALLOWED_VALUES:
                assert value in ALLOWED_VALUES[key], point
            elif key == HTTP_ROUTE:
                assert text.startswith("/") and "IH-" not in text, point
            else:
                assert key == HTTP_STATUS and isinstance(value, int), point


async def _delta_at_least(reader: InMemoryMetricReader, before: Reading, spec: Any, attributes: dict[str, str],
                          least: float) -> bool:
    return Reading.take(reader).delta(before, spec, attributes) >= least


async def _delta(reader: InMemoryMetricReader, before: Reading, spec: Any, attributes: dict[str, str]) -> float:
    return Reading.take(reader).delta(before, spec, attributes)
