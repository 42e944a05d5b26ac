"""POST /api/v1/disclosures: a tovholder records a disclosure made in a meeting, by phone or by mail.

Each invariant with a record the service accepts (201) and one it refuses (422 naming the invariant);
a proposal refused as unlawful is itself logged as DECISION_REJECTED (Q18), one refused for its form
is not. Who executed a disclosure is who is signed in, never what the body says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from infohus.kit.auth import Role
from services.audit.bootstrap import AuditContainer
from tests.audit.conftest import Credentials, audit_app
from tests.audit.domain.builders import NECESSITY, event_fields
from tests.audit.domain.test_invariants import FAMILY_DISCLOSURE, GANG_RECEIPT, INTERNAL_SENSITIVE

EXTERNAL_SENSITIVE = {**INTERNAL_SENSITIVE, "kind": "DISCLOSURE", "recipient_authority": "REGION_PSYKIATRI",
                      "necessity_assessment": NECESSITY}
GANG_ONWARD = {"data_categories": ["IDENTITY", "GANG_AFFILIATION"], "source_of_data": "OTHER_AUTHORITY"}


def body(**overrides: Any) -> dict[str, Any]:
    """A submission; ``executed_by`` is left out (the service sets the signed-in person) unless overridden."""
    fields = {k: v for k, v in event_fields(**overrides).items() if k != "executed_by" or "executed_by" in overrides}
    return {k: (str(v) if isinstance(v, UUID | datetime) or k == "retention_until" else v)
            for k, v in fields.items()}


async def record(client: Any, credentials: Any, payload: dict[str, Any]) -> Any:
    """A tovholder records a disclosure."""
    return await client.post("/api/v1/disclosures", headers=credentials.tovholder, json=payload)


def case(test_id: str, invariant: str | None, logged_as_rejection: bool = False, **overrides: Any) -> Any:
    return pytest.param(overrides, invariant, logged_as_rejection, id=test_id)


CASES = [
    case("I3 accepts a § 115 stk. 2 disclosure", None),
    case("I3 refuses an investigation purpose", "I3", True, purpose="CRIMINAL_REPORT"),
    case("I4 accepts § 115 a to a parent of an adult", None, **FAMILY_DISCLOSURE),
    case("I4 refuses § 115 a about a minor", "I4", True, **{**FAMILY_DISCLOSURE, "subject_age_at_occurrence": 16}),
    case("I5 accepts a gang receipt from the police in SSP", None, **GANG_RECEIPT),
    case("I5 refuses gang data passed on without the stk. 5 condition", "I5", True, **GANG_ONWARD),
    case("I6 accepts sensitive data inside the controller", None, **INTERNAL_SENSITIVE),
    case("I6 refuses the internal basis for an external recipient", "I6", True, **EXTERNAL_SENSITIVE),
    case("I7 accepts a secure mail with its Message-ID", None),
    case("I7 refuses a secure mail without its Message-ID", "I7", True, transport_ref=None),
    case("I7 accepts a failed secure mail without a Message-ID", None, transport_ref=None,
         delivery_status="FAILED"),
    case("I8 accepts a meeting recorded afterwards", None, channel="MEETING_ORAL", content_hash=None),
    case("I8 refuses a disclosure recorded before it occurred", "I8", False,
         occurred_at=datetime.now(UTC) + timedelta(days=2), decision_at=datetime.now(UTC) + timedelta(days=1)),
    case("I9 accepts a phone number in the assessment", None,
         necessity_assessment=NECESSITY + " Ring 43 57 70 00."),
    case("I9 refuses a CPR number in the assessment", "I9", False,
         necessity_assessment=NECESSITY + " (010203-1234)"),
]


@pytest.mark.parametrize(("overrides", "invariant", "logged_as_rejection"), CASES)
async def test_each_invariant_accepts_and_refuses(client, credentials, overrides: dict[str, Any], invariant: str | None,
                                                  logged_as_rejection: bool) -> None:
    response = await record(client, credentials, body(**overrides))
    if invariant is None:
        assert response.status_code == 201, response.text
        assert response.json()["seq_no"] == 1
        return
    assert response.status_code == 422, response.text
    refusal = response.json()
    assert invariant in {d["invariant"] for d in refusal["detail"]}
    assert all(d["message_da"] and d["message_en"] for d in refusal["detail"])
    rejected = refusal["decision_rejected_record"]
    assert (rejected is not None) is logged_as_rejection
    log = await client.get("/api/v1/disclosures/by-concern/" + str(UUID(int=100)), headers=credentials.auditor)
    assert [r["kind"] for r in log.json()] == (["DECISION_REJECTED"] if logged_as_rejection else [])


@pytest.mark.parametrize(("anonymous", "overrides", "status"), [
    (True, {}, 201),
    (False, {"transport_ref": "<web-7H2KQ9@ishoj.dk>"}, 201),
    (True, {"transport_ref": "<web-7H2KQ9@ishoj.dk>"}, 422),
    (True, {"content_manifest": ["concern.reporter.email"]}, 422),
    (True, {"recipient_persons": ["10.20.30.40"]}, 422),
])
async def test_i10_anonymous_reporters_leave_no_trace(client, credentials, anonymous: bool, overrides: dict[str, Any],
                                                      status: int) -> None:
    payload = {**body(**overrides), "reporter_anonymous": anonymous, "reporter_markers": ["web-7H2KQ9"]}
    response = await record(client, credentials, payload)
    assert response.status_code == status, response.text
    if status == 422:
        assert {d["invariant"] for d in response.json()["detail"]} == {"I10"}
        assert response.json()["decision_rejected_record"] is None


async def test_a_repeat_is_idempotent_and_a_changed_repeat_is_a_conflict(client, credentials) -> None:
    first = await record(client, credentials, body())
    again = await record(client, credentials, body())
    changed = await record(client, credentials, body(purpose_description="Andet formål"))
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert first.json()["record_hash"] == again.json()["record_hash"]
    correction = await record(client, credentials, body(
        record_id=str(UUID(int=2)), kind="CORRECTION", corrects_record_id=str(UUID(int=1)),
        purpose="ERROR_CORRECTION", purpose_description="Rettelse: andet formål"))
    assert correction.status_code == 201 and correction.json()["seq_no"] == 2
    dangling = await record(client, credentials, body(
        record_id=str(UUID(int=3)), kind="CORRECTION", corrects_record_id=str(UUID(int=42)),
        purpose="ERROR_CORRECTION", purpose_description="Rettelse af en post, der ikke findes"))
    assert dangling.status_code == 422
    assert [(d["invariant"], d["field"]) for d in dangling.json()["detail"]] == [("D1", "corrects_record_id")]


async def test_a_refused_proposal_is_logged_once_however_often_it_is_sent(client, credentials) -> None:
    for _ in range(2):
        response = await record(client, credentials, body(purpose="CRIMINAL_REPORT"))
        assert response.status_code == 422
    rows = (await client.get("/api/v1/disclosures/by-concern/" + str(UUID(int=100)),
                             headers=credentials.auditor)).json()
    assert [(r["kind"], r["legal_basis"]) for r in rows] == [("DECISION_REJECTED", "RPL115_2")]


async def test_an_unknown_code_is_a_field_error_without_the_value(client, credentials) -> None:
    response = await record(client, credentials, body(legal_basis="RPL999_ANNA"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == ["legal_basis"]
    assert "ANNA" not in response.text


async def test_an_auditors_read_of_a_concerns_records_is_in_the_read_access_log(
        client, credentials, audit_sqlite) -> None:
    concern_id = UUID(int=100)
    assert (await record(client, credentials, body())).status_code == 201
    table = audit_sqlite.read_log.table
    async with audit_sqlite.runtime.sessions() as session:
        assert (await session.execute(select(table))).all() == []
    headers = credentials.of(Role.AUDITOR, user="revisor-rita")
    response = await client.get(f"/api/v1/disclosures/by-concern/{concern_id}", headers=headers)
    assert response.status_code == 200 and len(response.json()) == 1
    async with audit_sqlite.runtime.sessions() as session:
        rows = (await session.execute(select(table))).mappings().all()
    assert [(r["user_id"], r["case_kind"], r["case_id"], r["purpose"]) for r in rows] == [
        ("revisor-rita", "concern", str(concern_id), "audit")]


# --- attribution: the signed-in identity, never the body's ---------------------------------------------

TOVHOLDER = "tove-tovholder"
SIGNED_IN = f"{TOVHOLDER} (tovholder_municipal)"
STRAXEN_WORKER = "sofie-straxen (straxen)"


@pytest.fixture
async def on_both(audit: AuditContainer, credentials: Credentials) -> Any:
    """The audit API on SQLite and on PostgreSQL (``audit`` is parametrised over both)."""
    transport = httpx.ASGITransport(app=audit_app(audit, credentials))
    async with httpx.AsyncClient(transport=transport, base_url="https://audit.test") as http:
        yield http


async def staff_rows(client: httpx.AsyncClient, credentials: Credentials, employee: str) -> list[dict[str, Any]]:
    """Q15, per employee: what the log attributes to ``employee``."""
    response = await client.get("/api/v1/audit/queries/Q15", params={"employee": employee},
                                headers=credentials.auditor)
    assert response.status_code == 200, response.text
    return response.json()["rows"]  # type: ignore[no-any-return]


async def test_a_body_naming_someone_else_as_executor_is_refused_and_nothing_is_logged(
        on_both: httpx.AsyncClient, credentials: Credentials) -> None:
    tovholder = credentials.of(Role.TOVHOLDER_MUNICIPAL, user=TOVHOLDER)
    for named in (STRAXEN_WORKER, "sofie-straxen", f"{TOVHOLDER}x"):
        response = await on_both.post("/api/v1/disclosures", headers=tovholder, json=body(executed_by=named))
        assert response.status_code == 422, response.text
        [problem] = response.json()["detail"]
        assert (problem["field"], problem["invariant"]) == ("executed_by", "D1")
        assert "logget ind" in problem["message_da"] and named not in response.text
        assert response.json()["decision_rejected_record"] is None
    log = await on_both.get(f"/api/v1/disclosures/by-concern/{UUID(int=100)}", headers=credentials.auditor)
    assert log.json() == []
    assert await staff_rows(on_both, credentials, STRAXEN_WORKER) == []  # Q15 blames no one


async def test_the_signed_in_person_is_recorded_as_executor_beside_the_named_decider(
        on_both: httpx.AsyncClient, credentials: Credentials) -> None:
    tovholder = credentials.of(Role.TOVHOLDER_MUNICIPAL, user=TOVHOLDER)
    decided = await on_both.post("/api/v1/disclosures", headers=tovholder, json=body(decided_by=STRAXEN_WORKER))
    assert decided.status_code == 201, decided.text
    own = await on_both.post("/api/v1/disclosures", headers=tovholder, json=body(
        record_id=str(UUID(int=2)), executed_by=TOVHOLDER, decided_by=SIGNED_IN))
    assert own.status_code == 201, own.text

    executed = [r for r in await staff_rows(on_both, credentials, SIGNED_IN) if r["role"] == "executed"]
    assert [(r["employee"], r["count"]) for r in executed] == [(SIGNED_IN, 2)]
    straxen = [r for r in await staff_rows(on_both, credentials, STRAXEN_WORKER) if r["employee"] == STRAXEN_WORKER]
    assert [(r["role"], r["count"]) for r in straxen] == [("decided", 1)]  # decided, never executed

    # The same record sent again by someone else is not the same record: a record is never re-attributed.
    police = credentials.of(Role.TOVHOLDER_POLICE, user="per-politi")
    again = await on_both.post("/api/v1/disclosures", headers=police, json=body(decided_by=STRAXEN_WORKER))
    assert again.status_code == 409
