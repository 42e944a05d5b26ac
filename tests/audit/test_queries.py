"""The auditor queries Q1–Q18 on seeded data (SQLite and PostgreSQL), their log, CSV and the Danish page.

Non-compliant records are seeded past the invariants (records from before a rule existed): the
"must be 0" queries have to find exactly those.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from infohus.kit.auth import Role
from services.audit.service_layer.queries.catalogue import SPECS
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.running import run_query
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import seed_unchecked
from tests.audit.domain.builders import OCCURRED_AT
from tests.audit.domain.test_invariants import FAMILY_DISCLOSURE, GANG_RECEIPT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 7, 9, 0, tzinfo=UTC)


def rid(n: int) -> str:
    return str(UUID(int=n))


async def seed_dataset(audit) -> None:
    async def add(n: int, *, lag: timedelta = timedelta(minutes=5), **overrides: Any) -> None:
        occurred = overrides.get("occurred_at", OCCURRED_AT)
        fields = {"subject_information_status": "INFORMED", "subject_person_ids": [f"person-{n}"], **overrides}
        await seed_unchecked(audit, n, recorded_at=occurred + lag, **fields)

    await add(1, subject_person_ids=["person-7f3a"], subject_information_status="PENDING")  # lawful
    await add(2, decided_by=None)                                                       # Q3
    await add(3, purpose="CRIMINAL_REPORT")                                             # Q4
    await add(4, recipient_is_cooperation_participant=False)                            # Q5
    await add(5, **{**FAMILY_DISCLOSURE, "subject_age_at_occurrence": 16, "decided_by": None})  # Q6, not Q3
    await add(6, kind="DECISION_REJECTED", purpose="CRIMINAL_REPORT", decided_by=None,
              recipient_is_cooperation_participant=False)                               # Q18 only
    await add(7, **{**GANG_RECEIPT, "subject_person_ids": ["person-7f3a"]})             # Q7, Q1 receipt
    await add(8, legal_basis="DBL8_2_3_NECESSARY_FOR_AUTHORITY", cooperation_form="NONE",
              source_of_data="RECEIVED_UNDER_RPL115", source_record_id=UUID(int=7))     # Q8, source found
    await add(9, legal_basis="DBL8_2_3_NECESSARY_FOR_AUTHORITY", cooperation_form="NONE",
              source_of_data="RECEIVED_UNDER_RPL115", source_record_id=UUID(int=999))   # Q8, source missing
    await add(10, channel="MEETING_ORAL", content_hash=None, lag=timedelta(days=4))     # Q10, Mon → Fri
    await add(11, lag=timedelta(hours=30))                                              # Q10, not oral
    await add(12, kind="CORRECTION", corrects_record_id=UUID(int=1), purpose="ERROR_CORRECTION")   # Q13
    await add(13, kind="CORRECTION", corrects_record_id=UUID(int=4), purpose="ERROR_CORRECTION")   # Q13
    await add(14, kind="RECIPIENT_ERROR_NOTICE", corrects_record_id=UUID(int=4), purpose="ERROR_CORRECTION")
    await add(15, subject_information_status="DEFERRED_DBL22_2_4")                      # Q14
    await add(16, subject_information_status="PENDING")                                 # Q14
    await add(17, delivery_status="FAILED")                                             # Q12
    await add(18, transport_ref=None)                                                   # Q12
    await add(19, occurred_at=datetime(2019, 5, 6, 10, 0, tzinfo=UTC),
              decision_at=datetime(2019, 5, 6, 9, 0, tzinfo=UTC), retention_until=date(2020, 5, 6))  # Q16
    for n in range(20, 25):                                                             # Q15
        await add(n, occurred_at=APRIL, decision_at=APRIL - timedelta(hours=1), executed_by=f"user-{n}",
                  decided_by=f"user-{n}")
    for n in range(25, 37):
        await add(n, occurred_at=APRIL, decision_at=APRIL - timedelta(hours=1), executed_by="user-99",
                  decided_by="user-99")
    await add(37, recipient_authority="REGION_PSYKIATRI", subject_cpr_hmacs=["hmac-77"],
              occurred_at=APRIL, decision_at=APRIL - timedelta(hours=1))


async def ask(audit, query: str, **filters: Any) -> Any:
    async def verifier(f: Filters) -> Any:
        return await verify_log(audit.unit_of_work, public_key=None, today=NOW.date(),
                                from_seq_no=f.from_seq_no or 1, to_seq_no=f.to_seq_no)

    return await run_query(query, Filters(limit=1000, **filters), uow_factory=audit.unit_of_work,
                           actor="revisor-1", now=NOW, verifier=verifier)


def ids(result: Any, column: str = "record_id") -> set[str]:
    return {str(row[column]) for row in result.rows}


async def test_every_auditor_query_on_seeded_data(audit) -> None:
    await seed_dataset(audit)

    q1 = await ask(audit, "Q1", subject="person-7f3a")
    assert [(r["kind"], r["direction"], r["counterpart"]) for r in q1.rows] == [
        ("DISCLOSURE", "videregivet til", "KBHV_POLITI_INFOHUS"), ("RECEIPT", "modtaget fra", "KBHV_POLITI_INFOHUS")]
    assert "executed_by" not in q1.columns and all("executed_by" not in r for r in q1.rows)
    staff = await ask(audit, "Q1", subject="person-7f3a", include_staff=True)
    assert staff.rows[0]["executed_by"] == "user-17:kommunal infohustovholder"
    assert (await ask(audit, "Q1", subject="hmac-77")).total == 1  # by CPR-HMAC as well
    assert (await ask(audit, "Q1", subject="person-7f3a", date_from=date(2026, 3, 3))).total == 0

    q2 = await ask(audit, "Q2", recipient="REGION_PSYKIATRI")
    assert q2.rows == [{"legal_basis": "RPL115_2", "cooperation_form": "SSP", "purpose": "INFOHUS_SCREENING",
                        "count": 1}]
    assert sum(r["count"] for r in (await ask(audit, "Q2", recipient="KBHV_POLITI_INFOHUS")).rows) == 33

    assert ids(await ask(audit, "Q3")) == {rid(2)}
    assert ids(await ask(audit, "Q4")) == {rid(3)}
    assert ids(await ask(audit, "Q5")) == {rid(4)}
    assert ids(await ask(audit, "Q6")) == {rid(5)}
    q7 = await ask(audit, "Q7")
    assert ids(q7) == {rid(7)} and q7.extra["groups"] == [
        {"legal_basis": "RPL115_5_GANG", "recipient_authority": "ISHOEJ_KOMMUNE", "count": 1}]
    q8 = await ask(audit, "Q8")
    assert {(str(r["record_id"]), r["source_missing"], r["source_legal_basis"]) for r in q8.rows} == {
        (rid(8), False, "RPL115_5_GANG"), (rid(9), True, None)}
    for needs_facts in ("Q9", "Q17"):  # no case facts here: test_fact_queries seeds them
        assert (await ask(audit, needs_facts)).total == 0
    q10 = await ask(audit, "Q10")
    assert {(str(r["record_id"]), r["oral_over_2_office_days"]) for r in q10.rows} == {
        (rid(10), True), (rid(11), False)}
    q11 = await ask(audit, "Q11", from_seq_no=3, to_seq_no=20)
    assert q11.total == 0 and q11.compliant and q11.extra["checked"] == 18
    q12 = await ask(audit, "Q12")
    assert {(r["record_id"], r["finding"]) for r in q12.rows} == {
        (rid(17), "RECORD_DELIVERY_FAILED"), (rid(18), "SECURE_EMAIL_WITHOUT_TRANSPORT_REF")}
    q13 = await ask(audit, "Q13")
    assert {(str(r["original_record_id"]), bool(r["recipient_notified"]), r["notice_record_id"])
            for r in q13.rows} == {(rid(1), False, None), (rid(4), True, rid(14))}
    q14 = await ask(audit, "Q14")  # record 1 is PENDING but was corrected
    assert {(str(r["record_id"]), r["finding"]) for r in q14.rows} == {
        (rid(15), "NO_REVIEW_DATE"), (rid(16), "PENDING_OVER_1_MONTH")}
    q15 = await ask(audit, "Q15", date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))
    outliers = {(r["employee"], r["role"]) for r in q15.rows if r["outlier"]}
    assert outliers == {("user-99", "executed"), ("user-99", "decided")}
    assert ids(await ask(audit, "Q16")) == {rid(19)}
    assert await purge_expired(audit.unit_of_work, today=NOW.date()) == 1
    assert (await ask(audit, "Q16")).total == 0
    assert (await ask(audit, "Q18")).rows == [{"legal_basis": "RPL115_2", "count": 1}]

    async with audit.unit_of_work() as uow:
        logged = await uow.query_log.entries(limit=1000)
    assert len(logged) == 23 and {e["actor"] for e in logged} == {"revisor-1"}
    assert {e["query"] for e in logged} == {s.id for s in SPECS}
    q1_log = [e for e in logged if e["query"] == "Q1"]
    assert any('"subject": "person-7f3a"' in e["parameters"] for e in q1_log)  # the search criterion


async def test_pagination_filters_and_csv_export_over_http(client, audit_sqlite, credentials) -> None:
    await seed_dataset(audit_sqlite)
    headers = credentials.of(Role.AUDITOR, "revisor-2")
    first = (await client.get("/api/v1/audit/queries/Q15", params={"limit": 5}, headers=headers)).json()
    second = (await client.get("/api/v1/audit/queries/Q15", params={"limit": 5, "offset": 5},
                               headers=headers)).json()
    assert first["total"] == second["total"] > 10 and len(first["rows"]) == 5
    assert not {r["employee"] + r["role"] + r["month"] for r in first["rows"]} & \
        {r["employee"] + r["role"] + r["month"] for r in second["rows"]}
    q3 = (await client.get("/api/v1/audit/queries/Q3", headers=headers)).json()
    assert q3["zero_is_compliant"] and q3["compliant"] is False and q3["total"] == 1
    exported = await client.get("/api/v1/audit/queries/Q1", params={"subject": "person-7f3a", "format": "csv"},
                                headers=headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["kind"] for r in rows] == ["DISCLOSURE", "RECEIPT"] and "executed_by" not in rows[0]
    assert (await client.get("/api/v1/audit/queries/Q1", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/audit/queries/Q99", headers=headers)).status_code == 404
    log = (await client.get("/api/v1/audit/query-log", headers=headers)).json()
    assert [(e["query"], e["actor"], e["output_format"]) for e in log][:1] == [("Q1", "revisor-2", "csv")]
    assert len(log) == 4


async def test_the_auditor_page_is_in_danish_and_its_queries_are_logged(client, audit_sqlite, credentials) -> None:
    await seed_dataset(audit_sqlite)
    auditor = credentials.auditor
    index = await client.get("/revision", headers=auditor)
    assert index.status_code == 200 and 'lang="da"' in index.text
    assert "Pr. registreret person" in index.text and "Afviste forslag" in index.text
    page = await client.get("/revision/Q3", headers=credentials.of(Role.AUDITOR, "revisor-3"))
    assert "Ikke overholdt" in page.text and rid(2) in page.text and "Hent som CSV" in page.text
    empty = await client.get("/revision/Q1", headers=auditor)
    assert 'for="cpr">CPR-nummer' in empty.text and "Søgning på navn er ikke mulig" in empty.text
    person = await client.get("/revision/Q1", params={"subject": "person-7f3a"}, headers=auditor)
    assert "Medarbejdernes identitet er skjult" in person.text and "user-17" not in person.text
    log = (await client.get("/api/v1/audit/query-log", headers=auditor)).json()
    assert [(e["query"], e["actor"]) for e in log] == [("Q1", "test-auditor"), ("Q3", "revisor-3")]


async def test_a_query_by_subject_leaves_the_subject_out_of_the_traces(client, credentials, span_exporter) -> None:
    # FastAPI's own telemetry records the query string (url.query) on a span of its own: the kit's
    # tracing middleware, which records method, path and status only, must be the one server span.
    subject = "person-5c1e9d"
    before = len(span_exporter.get_finished_spans())
    page = await client.get("/revision/Q1", params={"subject": subject}, headers=credentials.auditor)
    assert page.status_code == 200
    spans = span_exporter.get_finished_spans()[before:]
    assert [s.name for s in spans if s.kind is SpanKind.SERVER] == ["GET /revision/Q1"]
    recorded = json.dumps([[s.name, dict(s.attributes or {}), [dict(e.attributes or {}) for e in s.events]]
                           for s in spans], default=str)
    assert subject not in recorded
