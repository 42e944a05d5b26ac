"""Reports from partner authorities and anonymous self-referrals, through the running system (issue #22, 2-3).

HTTP into intake (the partner channel with the partner's own development credentials, intake staff's
phone entry, the public form), then routing's case, underretning and tasks, and audit's disclosure log.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from devtools.auth_testing import dev_headers_for
from devtools.devstack.municipality import office_always_open
from infohus.kit.auth import AuthMode, AuthSettings, Role
from infohus.kit.settings import Environment
from services.intake.adapters.orm import concerns
from services.intake.entrypoints.http import create_app as intake_app
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

pytestmark = pytest.mark.slow

API = "/api/v1/concerns"
AUTH = AuthSettings(environment=Environment.TEST, mode=AuthMode.DEVELOPMENT, cookie_secure=False)
NECESSITY = "Personen er kendt for voldsparathed; Infohus skal vurdere en forebyggende indsats hurtigt."
OFFICER = {"category": "PARTNER_AUTHORITY", "authority": "POLICE", "name": "Betjent Hansen",
           "workplace": "Københavns Vestegns Politi", "email": "hansen@politi.dk"}


def entered(channel: str, reporter: dict[str, Any], subject: dict[str, Any], description: str) -> dict[str, Any]:
    return {"submission_id": f"e2e-{uuid.uuid4().hex}", "channel": channel, "reporter": reporter,
            "subjects": [subject], "description": description, "acuteness": "ROUTINE", "crime_suspicion": False,
            "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}


def client(system: InfohusSystem) -> httpx.AsyncClient:
    app = intake_app(system.intake, manage_runtime=False, auth=AUTH)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://intake.test")


async def concern_id_of(system: InfohusSystem, reference: str) -> UUID:
    async with system.intake.unit_of_work() as uow:
        row = (await uow.session.execute(select(concerns).where(concerns.c.reference == reference))).mappings().one()
    return UUID(row["concern_id"])


async def records(system: InfohusSystem, concern_id: UUID, kinds: set[str]) -> list[dict[str, Any]]:
    """The concern's disclosure records once every kind in ``kinds`` is there."""
    async def fetch() -> list[dict[str, Any]] | None:
        async with system.audit.unit_of_work() as uow:
            rows = await uow.log.by_concern(concern_id)
        return rows if kinds <= {r["kind"] for r in rows} else None
    found: list[dict[str, Any]] = await eventually(fetch, within=60)
    return found


Routed = tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]


async def routed(system: InfohusSystem, concern_id: UUID) -> Routed:
    """The concern's cases, underretninger and tasks once routing has opened them."""
    async def fetch() -> Routed | None:
        async with system.routing.unit_of_work() as uow:
            cases = await uow.cases.rows_for_concern(concern_id)
            underretninger = await uow.underretninger.rows_for_concern(concern_id)
            tasks = await uow.tasks.for_concern(concern_id)
        return (cases, underretninger, tasks) if cases else None
    found: Routed = await eventually(fetch, within=60)
    return found


@pytest.fixture
async def system(databases, kafka, mailbox, unique, tmp_path):  # type: ignore[no-untyped-def]
    running = build_system(databases, kafka.bootstrap_servers, unique, mailbox,
                           municipality_config=office_always_open(tmp_path))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_partner_reports_are_receipts_and_a_childs_is_a_section_133_underretning(system) -> None:  # type: ignore[no-untyped-def]
    partner = dev_headers_for(AUTH, Role.PARTNER)
    about_child = entered("PARTNER", OFFICER, {"stated_age": 15, "municipality": "Ishøj"},
                          "Drengen på 15 deler voldsforherligende videoer i en gruppe.")
    about_adult = entered("PARTNER", {**OFFICER, "cooperation_form": "SSP", "necessity_assessment": NECESSITY},
                          {"stated_age": 34, "municipality": "Ishøj"}, "Manden på 34 har truet en imam.")
    by_phone = entered("PHONE", {"category": "PARTNER_AUTHORITY", "authority": "KRIMINALFORSORGEN",
                                 "workplace": "Kriminalforsorgen Vestegnen", "phone": "72 55 00 00"},
                       {"stated_age": 41, "municipality": "Ishøj"}, "En prøveløsladt taler om at hverve unge.")
    async with client(system) as http:
        child = await http.post(API, json=about_child, headers=partner)
        adult = await http.post(API, json=about_adult, headers=partner)
        phoned = await http.post(API, json=by_phone, headers=dev_headers_for(AUTH, Role.INTAKE))
        # The partner channel is the partner's own: intake staff cannot borrow it, nor partners staff's.
        borrowed = await http.post(API, json={**about_child, "submission_id": "e2e-borrowed-1"},
                                   headers=dev_headers_for(AUTH, Role.INTAKE))
        staff_channel = await http.post(API, json={**by_phone, "submission_id": "e2e-borrowed-2"}, headers=partner)
    assert [child.status_code, adult.status_code, phoned.status_code] == [201, 201, 201], (child.text, phoned.text)
    assert borrowed.status_code == 403 and staff_channel.status_code == 403
    assert "M_UND_PROF" in {m["id"] for m in child.json()["messages"]}

    # A child: a § 133 underretning with the professional's receipt and orientation, and a § 133 receipt.
    child_id = await concern_id_of(system, child.json()["reference"])
    [case], [underretning], tasks = await routed(system, child_id)
    assert underretning["legal_type"] == "BL_133" and underretning["professional_orientation_required"]
    assert {"RECEIPT_CONFIRMATION", "PROFESSIONAL_ORIENTATION"} <= {t.kind.value for t in tasks}
    logged = await records(system, child_id, {"RECEIPT", "INTERNAL_TRANSFER"})
    [receipt] = [r for r in logged if r["kind"] == "RECEIPT"]
    assert (receipt["legal_basis"], receipt["discloser_authority"], receipt["recipient_authority"]) == (
        "BL133_UNDERRETNING", "KBHV_POLITI_INFOHUS", "ISHOEJ_KOMMUNE")
    assert receipt["channel"] == "SYSTEM_SHARE" and receipt["source_of_data"] == "OTHER_AUTHORITY"
    assert receipt["executed_by"] == "udvikler-samarbejdspartner (partner)"
    assert receipt["infohus_case_id"] == case["case_id"] and receipt["purpose"] == "CHILD_WELFARE_ASSESSMENT"
    to_straxen = [r for r in logged if r["kind"] == "INTERNAL_TRANSFER" and r["recipient_unit"] == "CBF_STRAXEN"]
    assert [r["legal_basis"] for r in to_straxen] == ["BL133_UNDERRETNING"]

    # An adult, from the police in SSP with their necessity assessment: retsplejeloven § 115, stk. 1, nr. 1.
    adult_id = await concern_id_of(system, adult.json()["reference"])
    [receipt] = [r for r in await records(system, adult_id, {"RECEIPT"}) if r["kind"] == "RECEIPT"]
    assert (receipt["legal_basis"], receipt["cooperation_form"]) == ("RPL115_1_1_SSP", "SSP")
    assert receipt["not_for_investigation"] and receipt["recipient_is_cooperation_participant"]
    assert receipt["decided_by"] == "Betjent Hansen" and receipt["necessity_assessment"] == NECESSITY

    # Registered by intake staff from a call, naming no § 115 cooperation: recorded, its basis left to review.
    phoned_id = await concern_id_of(system, phoned.json()["reference"])
    [receipt] = [r for r in await records(system, phoned_id, {"RECEIPT"}) if r["kind"] == "RECEIPT"]
    assert (receipt["legal_basis"], receipt["discloser_authority"], receipt["channel"]) == (
        "OTHER_REVIEWED", "KRIMINALFORSORGEN", "PHONE")
    assert receipt["executed_by"] == "udvikler-modtagelse (intake)"


async def test_an_anonymous_self_referral_is_recognised_on_the_form_the_case_and_the_log(system) -> None:  # type: ignore[no-untyped-def]
    async with client(system) as http:
        form = await http.get("/henvendelse")
        token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
        assert token is not None
        page = await http.post("/henvendelse", data={
            "csrf_token": token.group(1), "submission_id": f"web-{uuid.uuid4().hex}", "subject_count": "1",
            "child_count": "0", "handling": "send", "subjects-0-stated_age": "29",
            "description": "Jeg er blevet trukket ind i en gruppe, og jeg vil gerne ud igen.",
            "acuteness": "ROUTINE", "reporter-category": "SELF"})
    assert page.status_code == 200, page.text
    assert "M_12B" in re.findall(r'data-message-id="([A-Z_0-9]+)"', page.text)
    assert 'id="self-referral-guidance"' in page.text and "Du har valgt at være anonym" in page.text
    reference = re.search(r'id="reference">([^<]+)<', page.text)
    assert reference is not None
    concern_id = await concern_id_of(system, reference.group(1))
    async with system.intake.unit_of_work() as uow:
        row = (await uow.session.execute(select(concerns).where(concerns.c.concern_id == str(concern_id))
                                         )).mappings().one()
    assert row["anonymous"]

    [case], underretninger, tasks = await routed(system, concern_id)
    assert "SELF_REFERRAL_SEL_12B" in case["flags"] and not underretninger and not tasks
    logged = await records(system, concern_id, {"INTERNAL_TRANSFER"})
    assert {r["kind"] for r in logged} == {"INTERNAL_TRANSFER"}  # a citizen's own words: no partner receipt

    async def anonymity() -> list[dict[str, Any]] | None:
        async with system.audit.unit_of_work() as uow:
            rows = await uow.facts.cases_about(concern_id=str(concern_id), infohus_case_id=None)
        return rows or None
    [facts] = await eventually(anonymity, within=60)
    assert facts["reporter_anonymous"]  # audit applies invariant I10 to every record about it


async def test_an_anonymous_child_asking_for_help_gets_its_own_underretning_and_no_receipt_date(system) -> None:  # type: ignore[no-untyped-def]
    body = {"submission_id": f"api-{uuid.uuid4().hex}", "channel": "WEB", "reporter": {"category": "SELF"},
            "subjects": [{"stated_age": 14}], "description": "Jeg bliver presset til at være med i noget farligt."}
    async with client(system) as http:
        response = await http.post(API, json=body)
    assert response.status_code == 201, response.text
    assert "M_UND_SELF" in {m["id"] for m in response.json()["messages"]}
    concern_id = await concern_id_of(system, response.json()["reference"])
    _, [underretning], tasks = await routed(system, concern_id)
    assert underretning["legal_type"] == "CHILD_SELF_CONTACT" and underretning["receipt_confirmation_due_date"] is None
    assert not underretning["professional_orientation_required"] and not tasks  # nobody to send a receipt to
    logged = await records(system, concern_id, {"INTERNAL_TRANSFER"})
    assert "RECEIPT" not in {r["kind"] for r in logged}


async def test_a_partners_report_about_a_person_with_an_open_case_is_received_on_that_case(system) -> None:  # type: ignore[no-untyped-def]
    person = {"name": "Jonas Berg", "date_of_birth": "1990-03-04", "municipality": "Ishøj"}
    first = {"submission_id": f"api-{uuid.uuid4().hex}", "channel": "WEB", "reporter": {"category": "ANONYMOUS"},
             "subjects": [person], "description": "Han deler opfordringer til vold mod en moské."}
    later = entered("PARTNER", {**OFFICER, "cooperation_form": "SSP", "necessity_assessment": NECESSITY},
                    {**person, "name": " jonas  BERG "}, "Politiet har set ham ved en ekstremistisk demonstration.")
    async with client(system) as http:
        opened = await http.post(API, json=first)
        [case], _, _ = await routed(system, await concern_id_of(system, opened.json()["reference"]))
        joined = await http.post(API, json=later, headers=dev_headers_for(AUTH, Role.PARTNER))
    assert (opened.status_code, joined.status_code) == (201, 201), joined.text
    joined_id = await concern_id_of(system, joined.json()["reference"])
    [receipt] = [r for r in await records(system, joined_id, {"RECEIPT"}) if r["kind"] == "RECEIPT"]
    assert receipt["infohus_case_id"] == case["case_id"]  # the person's case: the concern opened none of its own
