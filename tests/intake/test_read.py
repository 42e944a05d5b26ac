"""Reading concerns back over HTTP, by need-to-know, each read in the read-access log (both databases)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from infohus.kit.auth import Role
from services.intake.adapters.orm import concern_persons, read_access_log
from tests.intake.builders import anonymous_body, concern_body
from tests.intake.conftest import IntakeUnderTest

API = "/api/v1/concerns"
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
PHONE = "+45 21 43 65 87"
EMAIL = "birgitte.haugaard@skole.example.org"

TOVHOLDER, STRAXEN, INTAKE = Role.TOVHOLDER_MUNICIPAL, Role.STRAXEN, Role.INTAKE


def family_body(**overrides: Any) -> dict[str, Any]:
    """Two subjects and a child, from a professional who gave contact details."""
    return concern_body(
        reporter={"category": "PROF_PUBLIC", "name": "Birgitte Haugaard", "role": "Klasselærer",
                  "workplace": "Strandgårdskolen", "phone": PHONE, "email": EMAIL},
        subjects=[{"name": "Ali Hassan", "cpr": "150310-4321", "date_of_birth": "2010-03-15",
                   "municipality": "Ishøj", "address": "Vejlebrovej 1", "school_or_workplace": "Strandgårdskolen"},
                  {"name": "Søren Østergård", "stated_age": 19}],
        children_at_risk=[{"name": "Freja Hassan", "cpr": "0207154562", "date_of_birth": "2015-07-02"}],
        acuteness="URGENT", crime_suspicion=True, **overrides)


async def submit(intake: IntakeUnderTest, body: dict[str, Any], *, at: datetime = START,
                 role: Role | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Submits ``body`` received at ``at`` (web, or phone as ``role``/``headers``); the stored concern's ids."""
    intake.container.clock = lambda: at
    if role is not None or headers is not None:
        body = body | {"channel": "PHONE", "received_at": at.isoformat()}
    async with intake.client() as client:
        response = await client.post(API, json=body, headers=headers or intake.headers_for(role))
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    [row] = [r for r in await intake.rows() if r["reference"] == reference]
    return {"concern_id": row["concern_id"], "reference": reference}


async def get(intake: IntakeUnderTest, path: str, role: Role | None, headers: dict[str, str] | None = None,
              **params: Any) -> httpx.Response:
    async with intake.client() as client:
        return await client.get(path, params=params, headers=headers or intake.headers_for(role))


async def log_rows(intake: IntakeUnderTest) -> list[dict[str, Any]]:
    rows = await intake.rows(read_access_log)
    return [row | {"fields": json.loads(row["fields"])} for row in sorted(rows, key=lambda r: r["id"])]


async def test_a_tovholder_sees_the_whole_concern_and_the_read_is_logged(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    response = await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["reference"] == stored["reference"] and view["channel"] == "WEB"
    assert view["recorded_by"] == "system" and view["received_at"].startswith("2026-03-03T09:00:00")
    assert view["acuteness"] == "URGENT" and view["crime_suspicion"] is True
    assert view["warning_signs"] == ["IND_CONTEMPT_INTOLERANCE", "SOC_ISOLATION"]
    assert [(p["path"], p["role"], p["name"]) for p in view["persons"]] == [
        ("subjects[0]", "subject", "Ali Hassan"), ("subjects[1]", "subject", "Søren Østergård"),
        ("children_at_risk[0]", "child_at_risk", "Freja Hassan")]
    assert view["persons"][0] | {} == {
        "path": "subjects[0]", "role": "subject", "name": "Ali Hassan", "cpr": "1503104321",
        "date_of_birth": "2010-03-15", "stated_age": None, "municipality": "Ishøj", "address": "Vejlebrovej 1",
        "school_or_workplace": "Strandgårdskolen"}
    assert view["reporter"] == {"category": "PROF_PUBLIC", "anonymous": False, "claims_professional": False,
                                "authority": None, "cooperation_form": None,
                                "name": "Birgitte Haugaard", "role": "Klasselærer", "workplace": "Strandgårdskolen",
                                "phone": PHONE, "email": EMAIL}
    [entry] = await log_rows(intake)
    assert entry["user_id"] == "test-tovholder_municipal" and entry["roles"] == "tovholder_municipal"
    assert entry["case_kind"] == "concern" and entry["case_id"] == stored["concern_id"]
    assert entry["purpose"] == "case_handling" and entry["service"] == "intake"
    assert entry["fields"][:3] == ["subjects[0]", "subjects[1]", "children_at_risk[0]"]
    assert "reporter" in entry["fields"] and "description" in entry["fields"]


async def test_the_reference_finds_the_same_view_and_the_purpose_given_is_logged(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    by_id = await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER)
    by_reference = await get(intake, f"{API}/by-reference/{stored['reference'].lower()}", Role.TOVHOLDER_POLICE,
                             purpose="triage")
    assert by_reference.status_code == 200, by_reference.text
    assert by_reference.json() == by_id.json()
    entries = await log_rows(intake)
    assert [(e["user_id"], e["purpose"]) for e in entries] == [
        ("test-tovholder_municipal", "case_handling"), ("test-tovholder_police", "triage")]


async def test_straxen_sees_only_the_person_asked_for(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    path = f"{API}/{stored['concern_id']}"
    response = await get(intake, path, STRAXEN, person="children_at_risk[0]")
    assert response.status_code == 200, response.text
    view = response.json()
    assert [p["path"] for p in view["persons"]] == ["children_at_risk[0]"]
    assert view["persons"][0]["name"] == "Freja Hassan" and view["persons"][0]["cpr"] == "0207154562"
    assert "Ali Hassan" not in response.text and "Østergård" not in response.text and "1503104321" not in response.text
    assert view["description"] and view["warning_signs"] and view["reporter"]["name"] == "Birgitte Haugaard"
    [entry] = await log_rows(intake)
    assert entry["user_id"] == "test-straxen" and entry["purpose"] == "underretning_assessment"
    assert "children_at_risk[0]" in entry["fields"]
    assert not any(field.startswith("subjects") for field in entry["fields"])


async def test_straxen_must_name_a_person_that_exists(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    path = f"{API}/{stored['concern_id']}"
    without = await get(intake, path, STRAXEN)
    by_reference = await get(intake, f"{API}/by-reference/{stored['reference']}", STRAXEN)
    malformed = await get(intake, path, STRAXEN, person="subjects[0].name")
    missing = await get(intake, path, STRAXEN, person="children_at_risk[4]")
    assert without.status_code == by_reference.status_code == 422
    assert without.json()["detail"][0]["code"] == "person_required"
    assert "person" in without.json()["detail"][0]["message_da"]
    assert malformed.status_code == 422 and missing.status_code == 404
    assert missing.json()["detail"][0]["code"] == "person_not_found"
    assert await log_rows(intake) == []


async def test_a_tovholder_may_narrow_to_one_person_and_only_that_is_logged(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    response = await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER, person="subjects[1]")
    assert [p["path"] for p in response.json()["persons"]] == ["subjects[1]"]
    [entry] = await log_rows(intake)
    assert [f for f in entry["fields"] if "[" in f] == ["subjects[1]"]


async def test_intake_staff_see_only_the_concerns_they_entered(intake: IntakeUnderTest) -> None:
    own = await submit(intake, family_body(), role=INTAKE)
    colleague = await submit(intake, family_body(), headers={
        "authorization": f"Bearer {intake.idp.token(roles=['intake'], subject='kollega')}"})
    from_the_web = await submit(intake, family_body())
    mine = await get(intake, f"{API}/{own['concern_id']}", INTAKE)
    assert mine.status_code == 200, mine.text
    assert mine.json()["recorded_by"] == "test-intake" and len(mine.json()["persons"]) == 3
    unknown = await get(intake, f"{API}/00000000-0000-4000-8000-000000000009", INTAKE)
    for other in (colleague, from_the_web):
        by_id = await get(intake, f"{API}/{other['concern_id']}", INTAKE)
        by_reference = await get(intake, f"{API}/by-reference/{other['reference']}", INTAKE)
        for refused in (by_id, by_reference):
            assert refused.status_code == 404
            assert refused.json() == unknown.json()  # existence is not revealed
    [entry] = await log_rows(intake)
    assert entry["user_id"] == "test-intake" and entry["case_id"] == own["concern_id"]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMINISTRATOR, None])
async def test_auditors_administrators_and_strangers_read_nothing(intake: IntakeUnderTest, role: Role | None) -> None:
    stored = await submit(intake, family_body())
    expected = 401 if role is None else 403
    for path, params in ((f"{API}/{stored['concern_id']}", {}), (f"{API}/by-reference/{stored['reference']}", {}),
                         (API, {"q": stored["reference"]})):
        response = await get(intake, path, role, **params)
        assert response.status_code == expected, (path, response.text)
        assert "Haugaard" not in response.text
    assert await log_rows(intake) == []


async def test_only_tovholdere_search(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    for role in (STRAXEN, INTAKE):
        assert (await get(intake, API, role, q=stored["reference"])).status_code == 403
    assert await log_rows(intake) == []


async def test_an_unknown_concern_is_404_and_not_logged(intake: IntakeUnderTest) -> None:
    by_id = await get(intake, f"{API}/00000000-0000-4000-8000-000000000009", TOVHOLDER)
    by_reference = await get(intake, f"{API}/by-reference/IH-2026-0000-0000", TOVHOLDER)
    malformed = await get(intake, f"{API}/by-reference/not-a-reference", TOVHOLDER)
    assert by_id.status_code == by_reference.status_code == 404
    assert by_id.json()["detail"][0]["message_da"] and malformed.status_code == 422
    assert await log_rows(intake) == []


async def test_an_anonymous_reporter_is_shown_as_anonymous(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, anonymous_body())
    view = (await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER)).json()
    assert view["reporter"] == {"category": "ANONYMOUS", "anonymous": True, "claims_professional": False,
                                "authority": None, "cooperation_form": None,
                                "name": None, "role": None, "workplace": None, "phone": None, "email": None}


async def test_a_partner_authoritys_report_names_the_authority(intake: IntakeUnderTest) -> None:
    reporter = {"category": "PARTNER_AUTHORITY", "authority": "KRIMINALFORSORGEN", "workplace": "Kriminalforsorgen",
                "phone": PHONE}
    stored = await submit(intake, concern_body(reporter=reporter), role=INTAKE)
    view = (await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER)).json()
    assert (view["reporter"]["authority"], view["reporter"]["cooperation_form"]) == ("KRIMINALFORSORGEN", None)


@pytest.mark.parametrize("purpose", ["search", "subject_access"])
async def test_search_and_export_are_not_purposes_for_reading_a_concern(intake: IntakeUnderTest, purpose: str) -> None:
    stored = await submit(intake, family_body())
    response = await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER, purpose=purpose)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "purpose"
    assert await log_rows(intake) == []


async def search(intake: IntakeUnderTest, q: str, **params: Any) -> list[dict[str, Any]]:
    response = await get(intake, API, TOVHOLDER, q=q, **params)
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_search_by_reference_cpr_and_name(intake: IntakeUnderTest) -> None:
    family = await submit(intake, family_body(), at=START)
    other = await submit(intake, concern_body(subjects=[{"name": "Alina Hassanein", "cpr": "0101901234"}]),
                         at=START + timedelta(hours=1))
    unrelated = await submit(intake, concern_body(subjects=[{"name": "Mads Nielsen"}]), at=START + timedelta(hours=2))

    [by_reference] = await search(intake, family["reference"].lower())
    assert by_reference == {"concern_id": family["concern_id"], "reference": family["reference"],
                            "received_at": by_reference["received_at"],
                            "persons": [{"path": "subjects[0]", "name": "Ali Hassan"},
                                        {"path": "subjects[1]", "name": "Søren Østergård"},
                                        {"path": "children_at_risk[0]", "name": "Freja Hassan"}]}
    assert by_reference["received_at"].startswith("2026-03-03T09:00:00")
    for cpr in ("0207154562", "020715-4562", "150310-4321"):  # a child's CPR number finds the concern too
        assert [m["concern_id"] for m in await search(intake, cpr)] == [family["concern_id"]]
    assert await search(intake, "1111111111") == []
    # Every word must occur, in any case; newest first.
    assert [m["concern_id"] for m in await search(intake, "ali hassan")] == [other["concern_id"],
                                                                           family["concern_id"]]
    assert [m["concern_id"] for m in await search(intake, "HASSAN freja")] == [family["concern_id"]]
    assert [m["concern_id"] for m in await search(intake, "soren ostergard")] == [family["concern_id"]]
    assert [m["concern_id"] for m in await search(intake, "Søren Østergård")] == [family["concern_id"]]
    assert await search(intake, "ali nielsen") == []  # the words must occur in one person's name
    assert [m["concern_id"] for m in await search(intake, "hassan", limit=1)] == [other["concern_id"]]
    assert await search(intake, "100%") == []  # LIKE wildcards are searched for as themselves
    assert unrelated["concern_id"] not in {m["concern_id"] for m in await search(intake, "has")}


async def test_each_concern_a_search_returns_is_logged_without_the_criterion(intake: IntakeUnderTest) -> None:
    first = await submit(intake, family_body(), at=START)
    second = await submit(intake, family_body(), at=START + timedelta(minutes=5))
    await search(intake, "Ali Hassan")
    await search(intake, "150310-4321")
    await search(intake, "Nobody Here")
    entries = await log_rows(intake)
    assert [(e["case_id"], e["purpose"], e["fields"][0]) for e in entries] == [
        (second["concern_id"], "search", "criterion:name"), (first["concern_id"], "search", "criterion:name"),
        (second["concern_id"], "search", "criterion:cpr"), (first["concern_id"], "search", "criterion:cpr")]
    assert all(e["user_id"] == "test-tovholder_municipal" and e["case_kind"] == "concern" for e in entries)
    stored = json.dumps([list(e.values()) for e in entries], default=str).lower()
    assert "hassan" not in stored and "4321" not in stored


async def test_bad_searches_are_422_in_danish_and_english(intake: IntakeUnderTest) -> None:
    for params in ({"q": "a"}, {"q": " ."}, {}, {"q": "ali", "limit": 0}, {"q": "ali", "limit": 51},
                   {"q": "x" * 201}):
        response = await get(intake, API, TOVHOLDER, **params)
        assert response.status_code == 422, (params, response.text)
        [problem] = response.json()["detail"]
        assert problem["message_da"] and problem["message_en"], params
    short = await get(intake, API, TOVHOLDER, q="a")
    assert short.json()["detail"][0] == {
        "field": "q", "code": "query_too_short", "message_da": "Skriv mindst 2 tegn at søge efter.",
        "message_en": "Give at least 2 characters to search for."}


async def test_the_search_rows_are_written_with_the_concern(intake: IntakeUnderTest) -> None:
    stored = await submit(intake, family_body())
    rows = sorted((r["path"], r["name_folded"], r["cpr"]) for r in await intake.rows(concern_persons)
                  if r["concern_id"] == stored["concern_id"])
    assert rows == [("children_at_risk[0]", "freja hassan", "0207154562"),
                    ("subjects[0]", "ali hassan", "1503104321"), ("subjects[1]", "soren ostergard", None)]


async def test_reading_logs_no_personal_data(intake: IntakeUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    stored = await submit(intake, family_body())
    with caplog.at_level(logging.INFO):
        await get(intake, f"{API}/{stored['concern_id']}", TOVHOLDER)
        await get(intake, f"{API}/{stored['concern_id']}", STRAXEN)
        await search(intake, "Ali Hassan")
        await search(intake, "150310-4321")
    # httpx logs the test client's own request lines (the query too): that is this test, not the service.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx")).lower()
    for value in (PHONE, EMAIL, "haugaard", "hassan", "4321"):
        assert value.lower() not in text


async def test_no_data_leaves_when_the_read_cannot_be_logged(sqlite_intake: IntakeUnderTest) -> None:
    stored = await submit(sqlite_intake, family_body())
    async with sqlite_intake.container.runtime.engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TRIGGER refuse_reads BEFORE INSERT ON read_access_log "
                                         "BEGIN SELECT RAISE(ABORT, 'log unavailable'); END")
    transport = httpx.ASGITransport(app=sqlite_intake.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://intake.test") as client:
        responses = [await client.get(f"{API}/{stored['concern_id']}", headers=sqlite_intake.headers_for(TOVHOLDER)),
                     await client.get(API, params={"q": "Ali Hassan"}, headers=sqlite_intake.headers_for(TOVHOLDER))]
    for response in responses:
        assert response.status_code == 500
        assert "Hassan" not in response.text and "Haugaard" not in response.text
    assert await log_rows(sqlite_intake) == []
