"""One concern, end to end: HTTP → Kafka → routing → notify (SMTP) and audit, in one trace."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from devtools.devstack.municipality import office_always_open
from tests.system import build_system
from tests.waiting import eventually

pytestmark = pytest.mark.slow

DESCRIPTION = "Min nabos søn på 16 har ændret sig meget og taler om vold mod anderledes tænkende."


def concern_body() -> dict[str, object]:
    return {
        "submission_id": f"web-{uuid.uuid4().hex}",
        "channel": "WEB",
        "reporter": {"category": "CITIZEN", "email": "anna.jensen@example.org", "name": "Anna Jensen"},
        "subjects": [{"stated_age": 16, "municipality": "Ishøj", "name": "Mads Nielsen"}],
        "description": DESCRIPTION,
        "acuteness": "ROUTINE",
        "crime_suspicion": False,
    }


async def test_concern_reaches_both_mailboxes_with_case_audit_and_one_trace(
        databases, kafka, mailbox, unique, span_exporter, tmp_path) -> None:
    # The office-hours route, whatever the hour: out of hours the out-of-hours mailbox is mailed as well.
    system = build_system(databases, kafka.bootstrap_servers, unique, mailbox,
                          municipality_config=office_always_open(tmp_path))
    await system.start()
    try:
        async with system.http() as client:
            response = await client.post("/api/v1/concerns", json=concern_body())
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["messages"][0]["id"] == "M_ACK"
        assert receipt["reference"] in receipt["messages"][0]["text"]

        mails = await mailbox.wait_for(2, timeout=30)
        recipients = sorted(m["To"] for m in mails)
        assert recipients == ["Underretninger@ishoj.dk", "tk@ishoj.dk"]
        raw = b"".join(mailbox.raw_messages())
        for personal in (DESCRIPTION, "Anna Jensen", "anna.jensen@example.org", "Mads Nielsen"):
            assert personal.encode() not in raw
        assert all(receipt["reference"] in m["Subject"] for m in mails)

        concern_id = await _concern_id(system, receipt["reference"])
        async with system.routing.unit_of_work() as uow:
            cases = await uow.cases.rows_for_concern(concern_id)
            underretninger = await uow.underretninger.rows_for_concern(concern_id)
        assert len(cases) == 1 and len(underretninger) == 1

        async def audit_records() -> list[dict[str, object]]:
            async with system.audit.unit_of_work() as uow:
                return await uow.log.by_concern(concern_id)

        records = await eventually(lambda: _at_least(audit_records, 2))
        assert {r["kind"] for r in records} == {"INTERNAL_TRANSFER"}

        trace_ids = {m["X-Infohus-Trace-Id"] for m in mails}
        assert len(trace_ids) == 1
        trace_id = trace_ids.pop()
        assert cases[0]["trace_id"] == trace_id
        assert {r["trace_id"] for r in records} == {trace_id}
        spans = [s for s in span_exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
        names = {s.name for s in spans}
        assert "POST /api/v1/concerns" in names
        assert sum(1 for s in spans if s.name == "smtp send") == 2
    finally:
        await system.stop()


async def _at_least(fetch, count):  # type: ignore[no-untyped-def]
    rows = await fetch()
    return rows if len(rows) >= count else None


async def _concern_id(system, reference: str) -> UUID:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from services.intake.adapters.orm import concerns

    async with system.intake.unit_of_work() as uow:
        value = (await uow.session.execute(select(concerns.c.concern_id)
                                           .where(concerns.c.reference == reference))).scalar_one()
    return UUID(value)
