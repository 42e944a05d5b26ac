"""Q9, Q12, Q14 and Q17 on seeded facts and records (SQLite and PostgreSQL): each with compliant cases
that must not show and non-compliant ones that must; over HTTP with the page, CSV and the query log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from infohus.kit.auth import Role
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.running import run_query
from tests.audit.builders import seed_unchecked
from tests.audit.facts_builders import (
    RECEIVED,
    case_opened,
    case_transitioned,
    mail_dead_lettered,
    mail_sent,
    underretning,
)
from tests.audit.test_facts import deliver

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DUE_DAY_LATE_EVENING = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # 23:30 in Denmark: still the due date
DAY_AFTER_DUE = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 00:30 on 11 March in Denmark


def uid(n: int) -> str:
    return str(UUID(int=n))


async def ask(audit, query: str, *, domains: tuple[str, ...] = ("ishoj.dk",), **filters: Any) -> Any:
    return await run_query(query, Filters(**{"limit": 1000, **filters}), uow_factory=audit.unit_of_work,
                           actor="revisor-9", now=NOW, internal_mail_domains=domains)


async def record(audit, n: int, occurred: datetime, **overrides: Any) -> None:
    fields = {"occurred_at": occurred, "decision_at": occurred - timedelta(minutes=30),
              "subject_information_status": "INFORMED", **overrides}
    await seed_unchecked(audit, n, recorded_at=occurred + timedelta(minutes=5), **fields)


async def seed_underretninger(audit) -> None:
    await deliver(
        audit,
        case_opened(1, underretninger=(11,)),                     # (a) compliant: has one
        case_opened(2),                                           # (a) MISSING
        case_opened(3),                                           # (a) compliant: one came later
        underretning(31, case=3, origin="AGE_CORRECTION", assessed_at=RECEIVED + timedelta(hours=1),
                     receipt_confirmed_at=RECEIVED + timedelta(days=1)),
        case_opened(4, bands=("ADULT",)),                         # (a) compliant: adult
        case_opened(5, bands=("ADULT",), minor_possible=True),    # (a) MISSING: adult band, but ages conflict
        case_opened(6, bands=("MINOR",), minor_possible=False),   # (a) compliant: routing says no minor
        underretning(11, case=1, assessed_at=RECEIVED + timedelta(hours=3), receipt_confirmed_at=DUE_DAY_LATE_EVENING,
                     professional_orientation_required=True, oriented_at=RECEIVED + timedelta(days=2)),
        underretning(12, case=12, assessed_at=RECEIVED + timedelta(hours=25), receipt_confirmed_at=DAY_AFTER_DUE),
        underretning(13, case=13, professional_orientation_required=True),
        underretning(14, case=14, received=NOW - timedelta(hours=2),
                     receipt_confirmation_due_date=date(2026, 3, 30)),  # clocks still running
        underretning(15, case=15, forwarded_at=RECEIVED + timedelta(hours=2)),  # another municipality's now
    )


async def test_q9_lists_each_kind_of_underretning_breach_and_nothing_compliant(audit) -> None:
    await seed_underretninger(audit)
    result = await ask(audit, "Q9")
    found = {(r["finding"], r["underretning_id"] or r["infohus_case_id"]) for r in result.rows}
    assert found == {
        ("MISSING_UNDERRETNING", uid(2)), ("MISSING_UNDERRETNING", uid(5)),
        ("ASSESSED_LATE", uid(12)), ("RECEIPT_CONFIRMED_LATE", uid(12)),
        ("NOT_ASSESSED_PAST_DUE", uid(13)), ("RECEIPT_NOT_CONFIRMED_PAST_DUE", uid(13)),
        ("PROFESSIONAL_NOT_ORIENTED", uid(13)),
    }
    oriented = next(r for r in result.rows if r["finding"] == "PROFESSIONAL_NOT_ORIENTED")
    assert oriented["age_days"] == 18 and oriented["finding_da"] == "Fagperson endnu ikke orienteret"
    late = next(r for r in result.rows if r["finding"] == "RECEIPT_CONFIRMED_LATE")
    assert (late["due_at"], late["done_at"]) == ("2026-03-10T23:00:00.000000Z", "2026-03-10T23:30:00.000000Z")
    assert result.total == 7 and not result.compliant
    assert (await ask(audit, "Q9", date_from=date(2026, 3, 19))).total == 0  # by receipt date
    page = await ask(audit, "Q9", limit=4, offset=4)
    assert len(page.rows) == 3 and page.total == 7


async def test_q17_lists_disclosures_after_closing_or_out_of_scope(audit) -> None:
    closed_at, triaged_at = RECEIVED + timedelta(days=5), RECEIVED + timedelta(days=1)
    await deliver(audit, case_transitioned(5, "CLOSED", "CLOSED", closed_at, from_state="FOLLOW_UP"),
                  case_opened(5, bands=("ADULT",)),
                  case_transitioned(6, "TRIAGE_COMPLETED", "OUT_OF_SCOPE", triaged_at),
                  case_transitioned(7, "TRIAGE_COMPLETED", "IN_SCOPE", triaged_at))
    await record(audit, 1, closed_at - timedelta(hours=1), infohus_case_id=UUID(int=5))        # before: fine
    await record(audit, 2, closed_at + timedelta(hours=1), infohus_case_id=UUID(int=5))        # AFTER_CLOSE
    await record(audit, 3, triaged_at + timedelta(hours=1), infohus_case_id=UUID(int=6))       # AFTER_OUT_OF_SCOPE
    await record(audit, 4, triaged_at + timedelta(hours=2), infohus_case_id=UUID(int=6),
                 kind="DECISION_REJECTED")                                                     # nothing left
    await record(audit, 5, triaged_at + timedelta(hours=1), infohus_case_id=UUID(int=7))       # in scope: fine
    await record(audit, 6, triaged_at - timedelta(hours=1), infohus_case_id=UUID(int=6))       # before triage
    result = await ask(audit, "Q17")
    assert {(str(r["record_id"]), r["finding"]) for r in result.rows} == {
        (uid(2), "AFTER_CLOSE"), (uid(3), "AFTER_OUT_OF_SCOPE")}
    assert {r["reference"] for r in result.rows} == {"REF-5", "REF-6"}


async def test_q12_reconciles_the_gateway_log_with_the_disclosure_log(audit) -> None:
    await deliver(audit, case_opened(42, concern=42),
                  mail_sent(31, "tk@ishoj.dk", concern=40),                                  # internal
                  mail_sent(32, "kbhv-radikalisering@politi.dk", concern=40),                # record for concern
                  mail_sent(33, "kbhv-radikalisering@politi.dk", concern=41, message_id="<m33@ishoj.dk>"),
                  mail_sent(34, "kbhv-radikalisering@politi.dk", concern=42),                # no record: finding
                  mail_sent(35, "x@straxen.ishoj.dk", concern=44),                           # internal subdomain
                  mail_sent(36, "someone@example.org", concern=43),                          # only a rejection
                  mail_dead_lettered(37, concern=40))
    await record(audit, 1, RECEIVED, concern_id=UUID(int=40))
    await record(audit, 2, RECEIVED, concern_id=UUID(int=99), transport_ref="<m33@ishoj.dk>")
    await record(audit, 3, RECEIVED, concern_id=UUID(int=43), kind="DECISION_REJECTED")
    await record(audit, 4, RECEIVED, concern_id=UUID(int=40), delivery_status="FAILED")
    result = await ask(audit, "Q12")
    found = {(r["finding"], r["source"], r["concern_id"]) for r in result.rows}
    assert found == {("EXTERNAL_MAIL_WITHOUT_RECORD", "mail-gateway", uid(42)),
                     ("EXTERNAL_MAIL_WITHOUT_RECORD", "mail-gateway", uid(43)),
                     ("DELIVERY_DEAD_LETTERED", "mail-gateway", uid(40)),
                     ("RECORD_DELIVERY_FAILED", "log", uid(40))}
    missing = next(r for r in result.rows if r["concern_id"] == uid(42))
    assert (missing["reference"], missing["recipient"]) == ("REF-42", "politi.dk")  # reference from the case
    assert result.zero_is_compliant and result.compliant is False
    widened = await ask(audit, "Q12", domains=("ishoj.dk", "politi.dk"))
    assert {r["concern_id"] for r in widened.rows if r["finding"] == "EXTERNAL_MAIL_WITHOUT_RECORD"} == {uid(43)}
    assert {r["concern_id"] for r in (await ask(audit, "Q12", recipient="example.org")).rows
            if r["source"] == "mail-gateway"} == {uid(43)}


async def test_q14_uses_the_review_date_and_the_age_of_pending_records(audit) -> None:
    recent = NOW - timedelta(days=3)
    await record(audit, 1, recent, subject_information_status="DEFERRED_DBL22_2_4", review_at=date(2026, 4, 1))
    await record(audit, 2, recent, subject_information_status="DEFERRED_DBL22_2_4", review_at=date(2026, 3, 19))
    await record(audit, 3, recent, subject_information_status="DEFERRED_DBL22_2_4")
    await record(audit, 4, recent, subject_information_status="PENDING")
    await record(audit, 5, NOW - timedelta(days=40), subject_information_status="PENDING")
    await record(audit, 6, recent, subject_information_status="DEFERRED_DBL22_2_4", review_at=date(2026, 3, 20))
    result = await ask(audit, "Q14")
    assert {(str(r["record_id"]), r["finding"]) for r in result.rows} == {
        (uid(2), "REVIEW_OVERDUE"), (uid(3), "NO_REVIEW_DATE"), (uid(5), "PENDING_OVER_1_MONTH")}
    assert next(r for r in result.rows if r["finding"] == "REVIEW_OVERDUE")["review_at"] == "2026-03-19"


async def test_the_fact_queries_over_http_page_csv_and_query_log(client, audit_sqlite, credentials) -> None:
    await seed_underretninger(audit_sqlite)
    await deliver(audit_sqlite, mail_sent(34, "a@politi.dk", concern=42))
    auditor = credentials.of(Role.AUDITOR, "revisor-7")
    listed = (await client.get("/api/v1/audit/queries", headers=auditor)).json()
    assert all(q["note_da"] is None or "routing har" not in q["note_da"] for q in listed)
    q9 = (await client.get("/api/v1/audit/queries/Q9", params={"limit": 2}, headers=auditor)).json()
    assert q9["total"] >= 6 and len(q9["rows"]) == 2 and "available" not in q9
    page = await client.get("/revision/Q9", params={"limit": 50}, headers=auditor)
    assert page.status_code == 200 and "Mulig mindreårig uden underretning" in page.text
    assert "Alder (dage)" in page.text and "Hent som CSV" in page.text
    exported = await client.get("/api/v1/audit/queries/Q12", params={"format": "csv"}, headers=auditor)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["finding"], r["recipient"]) for r in rows] == [("EXTERNAL_MAIL_WITHOUT_RECORD", "politi.dk")]
    q17 = (await client.get("/api/v1/audit/queries/Q17", headers=auditor)).json()
    assert q17["total"] == 0
    log = (await client.get("/api/v1/audit/query-log", headers=auditor)).json()
    assert [e["query"] for e in log] == ["Q17", "Q12", "Q9", "Q9"]  # newest first; page and API alike
    assert {e["actor"] for e in log} == {"revisor-7"}
