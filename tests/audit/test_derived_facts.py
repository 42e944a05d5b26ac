"""Derive, don't trust: what a tovholder records over HTTP is checked against what Infohus knows (the
register of cooperation participants, routing's case facts), on SQLite and PostgreSQL.

A contradicting declaration is refused (422 naming the rule); what could not be derived is recorded as
declared; what was left out and could be derived is filled in.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from services.audit.bootstrap import AuditContainer
from services.audit.domain.record import from_event
from services.audit.service_layer.append import append_draft
from services.audit.service_layer.facts import handle_case_opened
from tests.audit.builders import an_event, seed_unchecked
from tests.audit.conftest import Credentials, audit_app
from tests.audit.domain.builders import NECESSITY
from tests.audit.facts_builders import case_opened
from tests.audit.test_http_disclosures import body

CASE, CONCERN, SUBJECT = 200, 100, "person-7f3a"
PRIVATE_EMPLOYER = {"recipient_authority": "PRIVAT_ARBEJDSGIVER:ACME", "recipient_is_cooperation_participant": True}


@pytest.fixture
async def api(audit: AuditContainer, credentials: Credentials) -> Any:
    transport = httpx.ASGITransport(app=audit_app(audit, credentials))
    async with httpx.AsyncClient(transport=transport, base_url="https://audit.test") as http:
        yield http


async def record(api: httpx.AsyncClient, credentials: Credentials, **overrides: Any) -> httpx.Response:
    return await api.post("/api/v1/disclosures", headers=credentials.tovholder, json=body(**overrides))


def refused_for(response: httpx.Response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return {(d["invariant"], d["field"]) for d in response.json()["detail"]}


async def stored(audit: AuditContainer, record_id: int) -> dict[str, Any]:
    async with audit.unit_of_work() as uow:
        row = await uow.log.find(UUID(int=record_id))
    assert row is not None
    return json.loads(row["content"])  # type: ignore[no-any-return]


async def query(api: httpx.AsyncClient, credentials: Credentials, query_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/audit/queries/{query_id}", headers=credentials.auditor)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def opened(audit: AuditContainer, **derivable: Any) -> None:
    await handle_case_opened(case_opened(CASE, concern=CONCERN, **derivable), uow=audit.unit_of_work())


async def test_a_private_employer_declared_a_participant_is_refused_and_an_old_one_is_found_by_q5(
        api, credentials, audit) -> None:
    refused = await record(api, credentials, **PRIVATE_EMPLOYER)
    assert refused_for(refused) == {("F1", "recipient_is_cooperation_participant"),
                                    ("I3", "recipient_is_cooperation_participant")}
    # The refused proposal is logged (Q18) with what the register says, not what the caller said.
    rejected = refused.json()["decision_rejected_record"]
    content = await stored(audit, int(UUID(rejected["record_id"])))
    assert content["kind"] == "DECISION_REJECTED" and content["recipient_is_cooperation_participant"] is False
    # Police in PSP are in the register, an SSP partner in PSP is not.
    assert (await record(api, credentials, record_id=UUID(int=2), cooperation_form="PSP")).status_code == 201
    assert refused_for(await record(api, credentials, record_id=UUID(int=3), recipient_authority="ISHOEJ_SSP",
                                    cooperation_form="PSP")) >= {("F1", "recipient_is_cooperation_participant")}
    # A record kept from before audit derived participation: Q5 sees through its declaration.
    assert (await query(api, credentials, "Q5"))["total"] == 0
    old = await seed_unchecked(audit, 9, **PRIVATE_EMPLOYER)
    q5 = await query(api, credentials, "Q5")
    assert [r["seq_no"] for r in q5["rows"]] == [old.seq_no] and q5["compliant"] is False


async def test_participation_left_out_is_derived_and_the_record_says_so(api, credentials, audit) -> None:
    fields = body()
    del fields["recipient_is_cooperation_participant"]
    response = await api.post("/api/v1/disclosures", headers=credentials.tovholder, json=fields)
    assert response.status_code == 201, response.text
    content = await stored(audit, 1)
    assert content["recipient_is_cooperation_participant"] is True
    assert content["fact_provenance"] == {"recipient_is_cooperation_participant": "derived",
                                          "reporter_anonymous": "declared", "subject_age_at_occurrence": "declared"}


async def test_an_anonymous_reporters_concern_refuses_an_ip_address_whatever_the_caller_says(
        api, credentials, audit) -> None:
    with_ip = {"recipient_persons": ["10.20.30.40"], "reporter_anonymous": False}
    assert (await record(api, credentials, **with_ip)).status_code == 201  # nothing known yet: declared
    assert (await stored(audit, 1))["fact_provenance"]["reporter_anonymous"] == "declared"
    await opened(audit, reporter_anonymous=True)
    assert refused_for(await record(api, credentials, record_id=UUID(int=2), **with_ip)) == {
        ("F2", "reporter_anonymous"), ("I10", "recipient_persons")}
    left_out = body(record_id=UUID(int=3), recipient_persons=["10.20.30.40"])
    assert refused_for(await api.post("/api/v1/disclosures", headers=credentials.tovholder, json=left_out)) == {
        ("I10", "recipient_persons")}
    assert (await record(api, credentials, record_id=UUID(int=4))).status_code == 201
    assert (await stored(audit, 4))["fact_provenance"]["reporter_anonymous"] == "derived"


async def test_the_subjects_age_is_derived_from_the_case_and_a_contradiction_refused(api, credentials, audit) -> None:
    # Turns 18 on 2027-05-01: 16 on 2026-03-02, the disclosure's day.
    await opened(audit, subject_person_id=SUBJECT, subject_adult_from=date(2027, 5, 1))
    wrong_age = await record(api, credentials, subject_age_at_occurrence=17)
    assert refused_for(wrong_age) == {("F3", "subject_age_at_occurrence")}
    assert wrong_age.json()["decision_rejected_record"] is None  # a wrong record, not a decision
    assert (await record(api, credentials, record_id=UUID(int=2), subject_age_at_occurrence=None)).status_code == 201
    content = await stored(audit, 2)
    assert content["subject_age_at_occurrence"] == 16
    assert content["fact_provenance"]["subject_age_at_occurrence"] == "derived"
    # Another primary subject than the case's: nothing to derive from.
    other = await record(api, credentials, record_id=UUID(int=3), subject_person_ids=["person-other"],
                         subject_age_at_occurrence=40)
    assert other.status_code == 201
    assert (await stored(audit, 3))["fact_provenance"]["subject_age_at_occurrence"] == "declared"


async def test_a_section_115a_disclosure_to_a_parent_of_a_minor_by_the_case_is_refused(api, credentials, audit) -> None:
    await opened(audit, subject_person_id=SUBJECT, subject_adult_from=date(2027, 5, 1))
    family = {"legal_basis": "RPL115A_FAMILY", "cooperation_form": "NONE", "purpose": "FAMILY_INVOLVEMENT_115A",
              "discloser_unit": "CBF_STRAXEN", "recipient_authority": "PARENT", "recipient_persons": ["parent-1"],
              "recipient_is_cooperation_participant": False, "channel": "MEETING_ORAL", "content_hash": None,
              "subject_age_at_occurrence": 19}
    assert ("F3", "subject_age_at_occurrence") in refused_for(await record(api, credentials, **family))


async def test_a_basis_that_needs_a_decision_maker_refuses_a_record_without_one(api, credentials) -> None:
    dbl8 = {"legal_basis": "DBL8_2_3_NECESSARY_FOR_AUTHORITY", "cooperation_form": "NONE",
            "recipient_is_cooperation_participant": False, "purpose": "ACUTE_DANGER_AVERSION",
            "not_for_investigation": False, "necessity_assessment": NECESSITY}
    assert refused_for(await record(api, credentials, decided_by=None, **dbl8)) == {("D1", "decided_by")}
    assert (await record(api, credentials, **dbl8)).status_code == 201


async def test_a_retention_date_before_the_statutory_minimum_is_refused(api, credentials) -> None:
    assert refused_for(await record(api, credentials, retention_until=date(2020, 1, 1))) == {("D1", "retention_until")}
    assert refused_for(await record(api, credentials, retention_until=date(2031, 3, 1))) == {("D1", "retention_until")}
    assert (await record(api, credentials, retention_until=date(2031, 3, 2))).status_code == 201


async def test_the_auditor_page_shows_which_facts_were_derived(api, credentials, audit) -> None:
    # A non-participant under § 115 whose participation was only declared (no register then): Q5 lists it.
    draft = from_event(an_event(record_id=UUID(int=9), **PRIVATE_EMPLOYER), recorded_at=datetime.now(UTC))
    await append_draft(draft.model_copy(update={"fact_provenance": {
        "recipient_is_cooperation_participant": "declared", "reporter_anonymous": "derived"}}),
        uow=audit.unit_of_work())
    page = await api.get("/revision/Q5", headers={"accept": "text/html", **credentials.auditor})
    assert page.status_code == 200, page.text
    assert "Kontrolleret / oplyst" in page.text
    assert "Deltager i samarbejdet: kun oplyst; Anonym anmelder: kontrolleret af Infohus" in page.text
