"""POST /api/v1/concerns: 201 with reference and §C.3 messages, 200 for the same submission_id, 422/413/429."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.concern import WARNING_SIGN_CODES, ConcernIn, WarningSign
from infohus.kit.auth import Role
from rules.decision_table import decide
from rules.messages import render_reporter_messages
from services.intake.adapters.orm import concerns, tables
from services.intake.domain.model import make_reference
from services.intake.service_layer.submit import submit_concern
from tests.conftest import Databases
from tests.intake.builders import concern_body
from tests.intake.conftest import IntakeUnderTest, make_intake
from tests.statements import recorded_statements

API = "/api/v1/concerns"
REFERENCE = re.compile(r"^IH-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")

# Tuesday 3 March 2026: 10:00 the office is open; 16:00 only the hotline; 23:00 everything is closed.
OPEN = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
HOTLINE_ONLY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
ALL_CLOSED = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)


def at(moment: datetime) -> Any:
    return lambda: moment


async def test_created_concern_and_its_event_are_stored_together(intake: IntakeUnderTest) -> None:
    intake.container.clock = at(OPEN)
    body = concern_body()
    async with intake.client() as client:
        response = await client.post(API, json=body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert REFERENCE.match(receipt["reference"])
    assert datetime.fromisoformat(receipt["received_at"]) == OPEN
    [row] = await intake.rows(concerns)
    assert row["reference"] == receipt["reference"] and row["channel"] == "WEB" and row["recorded_by"] == "system"
    [event] = await intake.rows(tables.outbox)
    assert event["published_at"] is None and event["event_type"] == "ConcernSubmitted"
    payload = json.loads(event["payload"])["payload"]
    assert payload["reference"] == receipt["reference"] and payload["concern_id"] == row["concern_id"]
    assert payload["concern"]["warning_signs"] == body["warning_signs"]


@pytest.mark.parametrize(("moment", "body", "expected"), [
    # docs/legal.md §C.4, rows for a minor and an adult, at the three time contexts.
    (OPEN, concern_body(), ["M_ACK", "M_UND_CITIZEN", "M_OPEN", "M_112_LINE"]),
    (HOTLINE_ONLY, concern_body(), ["M_ACK", "M_UND_CITIZEN", "M_CLOSED_NEXT", "M_HOTLINE", "M_112_LINE"]),
    (ALL_CLOSED, concern_body(subjects=[{"date_of_birth": "1990-01-01", "municipality": "Ishøj"}],
                              acuteness="ACUTE", crime_suspicion=True),
     ["M_112_FIRST", "M_ACK", "M_CLOSED_NEXT"]),
    (OPEN, concern_body(reporter={"category": "ANONYMOUS", "claims_professional": True},
                        subjects=[{"municipality": "Ishøj"}]),
     ["M_ACK", "M_UND_CITIZEN", "M_AGE_UNKNOWN", "M_PROF_ANON_WARNING", "M_OPEN", "M_112_LINE"]),
    (OPEN, concern_body(reporter={"category": "SELF", "phone": "+45 12 34 56 78"},
                        subjects=[{"stated_age": 30, "municipality": "Brøndby"}]),
     ["M_ACK", "M_OPEN", "M_12B", "M_JURISDICTION", "M_112_LINE"]),
])
async def test_messages_are_the_routing_rules_message_blocks_in_order(
        sqlite_intake: IntakeUnderTest, moment: datetime, body: dict[str, Any], expected: list[str]) -> None:
    sqlite_intake.container.clock = at(moment)
    async with sqlite_intake.client() as client:
        response = await client.post(API, json=body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert [m["id"] for m in receipt["messages"]] == expected
    config = sqlite_intake.container.config
    decision = decide(ConcernIn.model_validate(body), moment, config)
    rendered = render_reporter_messages(decision, reference=receipt["reference"], received_at=moment, config=config,
                                        contactable=ConcernIn.model_validate(body).reporter.contactable)
    assert receipt["messages"] == [{"id": m.id, "text": m.text} for m in rendered]
    ack = receipt["messages"][expected.index("M_ACK")]["text"]
    assert ack.startswith("Tak for din henvendelse.") and receipt["reference"] in ack
    assert moment.astimezone(config.zone).strftime("%d.%m.%Y kl. %H:%M") in ack


async def test_same_submission_id_again_is_200_with_the_same_reference_and_nothing_new(
        intake: IntakeUnderTest) -> None:
    body = concern_body()
    async with intake.client() as client:
        first = await client.post(API, json=body)
        intake.container.clock = at(datetime.now(UTC) + timedelta(hours=5))
        again = await client.post(API, json={**body, "description": "Sendt igen fra en anden fane."})
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["received_at"] == first.json()["received_at"]
    assert again.json()["messages"] == first.json()["messages"]
    assert await intake.counts() == (1, 1)


async def test_parallel_duplicates_store_one_concern(intake: IntakeUnderTest) -> None:
    body = concern_body()
    async with intake.client() as client:
        responses = await asyncio.gather(*(client.post(API, json=body) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 200, 201]
    assert len({r.json()["reference"] for r in responses}) == 1
    assert await intake.counts() == (1, 1)


async def test_a_new_concern_is_stored_without_reading_first(intake: IntakeUnderTest) -> None:
    """No lookup of the submission id or the reference before the insert: the insert itself says if either
    is taken."""
    with recorded_statements(intake.container.runtime.engine, "") as statements:
        async with intake.client() as client:
            response = await client.post(API, json=concern_body())
    assert response.status_code == 201, response.text
    assert [s.split("(")[0].split()[:3] for s in statements] == [["INSERT", "INTO", "concerns"],
                                                                ["INSERT", "INTO", "concern_persons"],
                                                                ["INSERT", "INTO", "outbox"]]


async def test_a_reference_drawn_before_is_drawn_again(intake: IntakeUnderTest) -> None:
    """References are random: one already given out is not an error, the next draw is used."""
    draws = iter([7, 7, 8])
    receipts = [await submit_concern(ConcernIn.model_validate(concern_body()), uow=intake.container.unit_of_work(),
                                     now=OPEN, config=intake.container.config, random_bits=lambda: next(draws))
                for _ in range(2)]
    assert [r.created for r in receipts] == [True, True]
    assert receipts[0].reference == make_reference(2026, 7) and receipts[1].reference == make_reference(2026, 8)
    assert await intake.counts() == (2, 2)


async def test_the_same_submission_after_the_backdating_limit_still_gets_its_receipt(
        sqlite_intake: IntakeUnderTest) -> None:
    """A phone entry accepted as received 30 days ago, sent again two days later: the receipt, not a 422."""
    body = concern_body(channel="PHONE", received_at=(OPEN - timedelta(days=30)).isoformat())
    headers = sqlite_intake.headers_for(Role.INTAKE)
    async with sqlite_intake.client() as client:
        sqlite_intake.container.clock = at(OPEN)
        first = await client.post(API, json=body, headers=headers)
        sqlite_intake.container.clock = at(OPEN + timedelta(days=2))
        again = await client.post(API, json=body, headers=headers)
        other = await client.post(API, json={**body, "submission_id": "phone-another-one"}, headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422), again.text
    assert again.json()["reference"] == first.json()["reference"]
    assert await sqlite_intake.counts() == (1, 1)


SECRET = "Hemmelig-Værdi-7731"  # typed into invalid fields; must never come back in an error


@pytest.mark.parametrize(("change", "fields"), [
    ({"submission_id": "kort"}, {"submission_id": "string_too_short"}),
    ({"channel": SECRET}, {"channel": "enum"}),
    ({"description": "   "}, {"description": "string_too_short"}),
    ({"subjects": []}, {"subjects": "too_short"}),
    ({"subjects": [{"stated_age": SECRET}]}, {"subjects.0.stated_age": "int_parsing"}),
    ({"subjects": [{"stated_age": 131}]}, {"subjects.0.stated_age": "less_than_equal"}),
    ({"subjects": [{"cpr": SECRET}]}, {"subjects.0.cpr": "string_pattern_mismatch"}),
    ({"subjects": [{"date_of_birth": "2999-01-01"}]}, {"subjects.0.date_of_birth": "date_of_birth_in_future"}),
    ({"warning_signs": ["IND_CHANGED_APPEARANCE"]}, {"warning_signs.0": "enum"}),
    ({"acuteness": "SOON"}, {"acuteness": "enum"}),
    ({"unknown": SECRET}, {"unknown": "extra_forbidden"}),
    ({"reporter": {"category": "CITIZEN", "email": SECRET}}, {"reporter.email": "value_error"}),
    ({"reporter": {"category": "CITIZEN", "phone": SECRET}}, {"reporter.phone": "string_pattern_mismatch"}),
    ({"reporter": {"category": "CITIZEN"}},
     {"reporter.name": "identity_required", "reporter.phone": "identity_required",
      "reporter.email": "identity_required"}),
    ({"reporter": {"category": "ANONYMOUS", "name": SECRET, "phone": "12345678"}},
     {"reporter.name": "anonymous_with_identity", "reporter.phone": "anonymous_with_identity"}),
    ({"reporter": {"category": "PROF_PUBLIC", "role": "Lærer"}},
     {"reporter.name": "identity_required", "reporter.workplace": "identity_required"}),
    ({"reporter": {"category": "PROF_BEK1602", "name": "Læge B"}}, {"reporter.workplace": "identity_required"}),
    ({"reporter": {"category": "PARTNER_AUTHORITY", "authority": "POLICE", "name": "Betjent C"}},
     {"reporter.workplace": "identity_required"}),
    ({"reporter": {"category": "PARTNER_AUTHORITY", "workplace": "Politiet"}},
     {"reporter.authority": "authority_required"}),
    ({"reporter": {"category": "CITIZEN", "name": "Borger", "authority": "POLICE"}},
     {"reporter.authority": "partner_fields_not_allowed"}),
    ({"reporter": {"category": "PARTNER_AUTHORITY", "authority": "POLICE", "workplace": "Politiet",
                   "cooperation_form": "SSP"}}, {"reporter.necessity_assessment": "section_115_incomplete"}),
    ({"reporter": {"category": "PARTNER_AUTHORITY", "authority": "POLICE", "workplace": "Politiet",
                   "cooperation_form": "SSP", "necessity_assessment": "Nødvendigt for triage af 010203-1234, se"}},
     {"reporter.necessity_assessment": "cpr_in_necessity_assessment"}),
    ({"received_at": "2026-03-03T10:00:00+01:00"}, {"received_at": "received_at_not_allowed"}),
    ({"channel": "PHONE"}, {"received_at": "received_at_required"}),
    ({"channel": "PARTNER", "reporter": {"category": "PARTNER_AUTHORITY", "authority": "POLICE",
                                         "workplace": "Politiet"}}, {"received_at": "received_at_required"}),
    ({"channel": "PARTNER", "received_at": "2026-03-03T10:00:00+01:00"},
     {"reporter.category": "partner_channel_category"}),
    ({"channel": "PHONE", "received_at": "2026-03-29T02:30:00"}, {"received_at": "local_time_nonexistent"}),
    ({"channel": "PHONE", "received_at": "2025-10-26T02:30:00"}, {"received_at": "local_time_ambiguous"}),
    ({"channel": "PHONE", "received_at": SECRET}, {"received_at": "datetime_from_date_parsing"}),
    ({"channel": "PHONE", "received_at": "2099-01-01T10:00:00+01:00"}, {"received_at": "received_at_in_future"}),
    ({"channel": "PHONE", "received_at": "2020-01-01T10:00:00+01:00"}, {"received_at": "received_at_too_old"}),
])
async def test_invalid_concerns_are_422_with_each_field_in_danish_and_english_and_nothing_stored(
        sqlite_intake: IntakeUnderTest, change: dict[str, Any], fields: dict[str, str]) -> None:
    async with sqlite_intake.client(headers=sqlite_intake.headers_for(Role.INTAKE)) as client:  # PHONE is staff's
        response = await client.post(API, json=concern_body(**change))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert {(e["field"], e["code"]) for e in detail} == set(fields.items())
    for error in detail:
        assert error["message_da"] and error["message_en"] and error["message_da"] != error["message_en"]
    assert SECRET not in response.text
    assert await sqlite_intake.counts() == (0, 0)


async def test_422_for_a_body_that_is_no_json_object(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        broken = await client.post(API, content=b'{"submission_id": ', headers={"content-type": "application/json"})
        text = await client.post(API, content=b"Min bekymring", headers={"content-type": "text/plain"})
        latin1 = await client.post(API, content='{"description": "Bekymring for Søren"}'.encode("latin-1"),
                                   headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["detail"][0]["code"] == "json_invalid"
    assert latin1.status_code == 422 and latin1.json()["detail"][0]["code"] == "json_invalid"
    assert "Søren" not in latin1.text
    assert text.status_code == 422 and "application/json" in text.json()["detail"][0]["message_da"]
    assert await sqlite_intake.counts() == (0, 0)


@pytest.mark.parametrize(("received_at", "stored"), [
    ("2026-03-03T14:05:00+01:00", datetime(2026, 3, 3, 13, 5, tzinfo=UTC)),
    ("2026-03-03T14:05:00", datetime(2026, 3, 3, 13, 5, tzinfo=UTC)),  # Danish winter time
    ("2026-06-03T14:05:00", datetime(2026, 6, 3, 12, 5, tzinfo=UTC)),  # Danish summer time
    ("2025-10-26T02:30:00+01:00", datetime(2025, 10, 26, 1, 30, tzinfo=UTC)),  # the second 02:30, made explicit
])
async def test_phone_entries_keep_the_stated_receipt_time(
        sqlite_intake: IntakeUnderTest, received_at: str, stored: datetime) -> None:
    sqlite_intake.container.clock = at(stored + timedelta(hours=1))
    body = concern_body(channel="PHONE", received_at=received_at)
    async with sqlite_intake.client() as client:
        response = await client.post(API, json=body, headers=sqlite_intake.headers_for(Role.INTAKE))
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["received_at"]) == stored
    [row] = await sqlite_intake.rows(concerns)
    assert row["received_at"].replace(tzinfo=UTC) == stored and row["channel"] == "PHONE"
    assert row["recorded_by"] == "test-intake"  # the signed-in staff member's user id


def staff_entry(channel: str) -> dict[str, Any]:
    """A staff-entered concern, back-dated a week (what an anonymous caller must not be able to do)."""
    body = concern_body(channel=channel, received_at=(OPEN - timedelta(days=7)).isoformat())
    if channel == "PARTNER":
        body["reporter"] = {"category": "PARTNER_AUTHORITY", "authority": "POLICE",
                            "workplace": "Københavns Vestegns Politi", "phone": "43 86 14 48"}
    return body


# The partner channel has its own role; intake staff register a partner's call on the staff channels.
ENTERING_ROLE = {"PHONE": (Role.INTAKE, "intake"), "PARTNER": (Role.PARTNER, "partner")}


@pytest.mark.parametrize("channel", ["PHONE", "PARTNER"])
async def test_staff_channels_need_a_signed_in_intake_staff_member(
        intake: IntakeUnderTest, channel: str) -> None:
    entering, role_name = ENTERING_ROLE[channel]
    intake.container.clock = at(OPEN)
    async with intake.client() as client:
        anonymous = await client.post(API, json=staff_entry(channel))
        invalid = await client.post(API, json=staff_entry(channel), headers={"authorization": "Bearer forged"})
        expired = await client.post(API, json=staff_entry(channel), headers={
            "authorization": f"Bearer {intake.idp.token(roles=[role_name], now=1_000_000_000)}"})
        wrong = {role: await client.post(API, json=staff_entry(channel), headers=intake.headers_for(role))
                 for role in Role if role is not entering}
        assert await intake.counts() == (0, 0)
        staff = await client.post(API, json=staff_entry(channel), headers=intake.headers_for(entering))
    for refused in (anonymous, invalid, expired):
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
        [problem] = refused.json()["detail"]
        assert problem["field"] == "authorization"
        assert channel in problem["message_da"] and channel in problem["message_en"]
        assert "log" in problem["message_da"].lower() and "sign" in problem["message_en"].lower()
    assert anonymous.json()["detail"][0]["code"] == "not_authenticated"
    assert invalid.json()["detail"][0]["code"] == expired.json()["detail"][0]["code"] == "invalid_credentials"
    for role, refused in wrong.items():
        assert refused.status_code == 403, (role, refused.text)
        [problem] = refused.json()["detail"]
        assert problem["code"] == "forbidden" and role_name in problem["message_da"] and role_name in problem[
            "message_en"]
    assert staff.status_code == 201, staff.text
    [row] = await intake.rows(concerns)
    assert row["channel"] == channel and row["recorded_by"] == f"test-{role_name}"
    assert row["received_at"].replace(tzinfo=UTC) == OPEN - timedelta(days=7)


async def test_web_stays_public_whoever_sends_it(sqlite_intake: IntakeUnderTest) -> None:
    sqlite_intake.container.clock = at(OPEN)
    async with sqlite_intake.client() as client:
        anonymous = await client.post(API, json=concern_body())
        staff = await client.post(API, json=concern_body(), headers=sqlite_intake.headers_for(Role.AUDITOR))
        bad_token = await client.post(API, json=concern_body(), headers={"authorization": "Bearer forged"})
    assert anonymous.status_code == staff.status_code == bad_token.status_code == 201
    assert {row["recorded_by"] for row in await sqlite_intake.rows(concerns)} == {"system"}


async def test_a_browser_session_needs_a_csrf_token_for_staff_channels(dev_intake: IntakeUnderTest) -> None:
    """The development login's session cookie is not enough on its own: a cross-site page could send it."""
    dev_intake.container.clock = at(OPEN)
    async with dev_intake.client() as client:
        login = await client.get("/auth/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token
        signed_in = await client.post("/auth/login", data={
            "csrf_token": token.group(1), "username": "udvikler-modtagelse", "password": "infohus-udvikling"})
        assert signed_in.status_code == 303
        refused = await client.post(API, json=staff_entry("PHONE"))
    assert refused.status_code == 403 and refused.json()["detail"][0]["code"] == "csrf_failed"
    assert await dev_intake.counts() == (0, 0)


async def test_the_development_login_tokens_work_for_the_api(dev_intake: IntakeUnderTest) -> None:
    dev_intake.container.clock = at(OPEN)
    async with dev_intake.client() as client:
        staff = await client.post(API, json=staff_entry("PHONE"), headers=dev_intake.headers_for(Role.INTAKE))
        other = await client.post(API, json=staff_entry("PHONE"), headers=dev_intake.headers_for(Role.STRAXEN))
    assert staff.status_code == 201 and other.status_code == 403
    [row] = await dev_intake.rows(concerns)
    assert row["recorded_by"] == "udvikler-modtagelse"


async def test_each_warning_sign_once_whatever_the_order(sqlite_intake: IntakeUnderTest) -> None:
    signs = ["SOC_ISOLATION", "IND_FIXATION", "SOC_ISOLATION"]
    async with sqlite_intake.client() as client:
        response = await client.post(API, json=concern_body(warning_signs=signs))
    assert response.status_code == 201
    [row] = await sqlite_intake.rows(concerns)
    assert json.loads(row["body"])["warning_signs"] == ["SOC_ISOLATION", "IND_FIXATION"]


def _seed_plan() -> str | None:
    here = Path(__file__).resolve()
    for parent in here.parents:
        for candidate in (parent / "shared" / "seeds", parent.parent / "shared" / "seeds"):
            found = sorted(candidate.glob("001_*.txt")) if candidate.is_dir() else []
            if found:
                return found[0].read_text(encoding="utf-8")
    return None


def test_warning_signs_are_the_ishoj_plans_individual_and_social_signs() -> None:
    plan = _seed_plan()
    if plan is None:
        pytest.skip("shared/seeds (the Ishøj preparedness plan) is not beside the repository")
    # Join the PDF's hyphenated line breaks and tabs, then cut out the two lists of signs.
    text = re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "", plan))
    individual = text.split("Individuelle opmærksomhedspunkter:")[1].split("Opmærksomhedspunkter om sociale")[0]
    social = text.split("personens netværk:")[1].split("3 stopekstremisme.dk")[0]

    def bullets(section: str) -> list[str]:
        return [b.strip().rstrip(".").rstrip("3").strip() for b in section.split("•") if b.strip()]

    plan_individual, plan_social = bullets(individual), bullets(social)
    ours_individual = [WARNING_SIGN_CODES[s] for s in WarningSign if s.individual]
    ours_social = [WARNING_SIGN_CODES[s] for s in WarningSign if not s.individual]
    assert ours_individual == plan_individual
    assert ours_social == plan_social
    assert len(WarningSign) == len(WARNING_SIGN_CODES) == 15


async def test_body_over_the_configured_limit_is_413_and_nothing_stored(tmp_path: Path) -> None:
    small = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, max_body_bytes=4_000)
    try:
        async with small.client() as client:
            response = await client.post(API, json=concern_body(description="x" * 5_000))
            fits = await client.post(API, json=concern_body())
        assert response.status_code == 413
        [error] = response.json()["detail"]
        assert error["field"] == "body" and "4000" in error["message_da"] and "4000" in error["message_en"]
        assert fits.status_code == 201
        assert await small.count() == 1
    finally:
        await small.container.runtime.engine.dispose()


def test_the_default_body_limit_is_one_megabyte() -> None:
    from services.intake.settings import IntakeSettings

    assert IntakeSettings.model_fields["max_body_bytes"].default == 1_000_000


async def test_a_public_client_over_its_rate_gets_429_and_others_do_not(tmp_path: Path) -> None:
    limited = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None,
                                rate_limit_per_minute=1, rate_limit_burst=2)
    try:
        async with limited.client(("198.51.100.7", 4000)) as one, limited.client(("198.51.100.8", 4000)) as other:
            statuses = [(await one.post(API, json=concern_body())).status_code for _ in range(2)]
            refused = await one.post(API, json=concern_body())
            form_refused = await one.post("/henvendelse", data={"description": "x"})
            other_client = await other.post(API, json=concern_body())
        assert statuses == [201, 201]
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        [error] = refused.json()["detail"]
        assert error["code"] == "rate_limited" and "Vent" in error["message_da"] and "Wait" in error["message_en"]
        assert form_refused.status_code == 429 and "Vent lidt" in form_refused.text
        assert other_client.status_code == 201
        assert await limited.count() == 3
        assert all("198.51.100" not in key for key in limited.container.limiter.keys())  # noqa: SIM118
    finally:
        await limited.container.runtime.engine.dispose()


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
async def test_made_up_forwarded_addresses_from_an_untrusted_peer_share_one_bucket(
        databases: Databases, trusted: list[str]) -> None:
    limited = await make_intake(**databases.for_service("intake"), rate_limit_per_minute=1,  # type: ignore[arg-type]
                                rate_limit_burst=1, trusted_proxies=trusted, rate_limit_client_header="X-Forwarded-For")
    try:
        async with limited.client(("198.51.100.7", 4000)) as attacker:  # not a configured proxy
            statuses = [(await attacker.post(API, json=concern_body(),
                                             headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
                        for n in range(1, 11)]
        assert statuses == [201] + [429] * 9  # each made-up address does not get a bucket of its own
        assert await limited.count() == 1
    finally:
        await limited.container.runtime.engine.dispose()


async def test_behind_a_trusted_proxy_the_forwarded_client_address_is_the_key(databases: Databases) -> None:
    limited = await make_intake(**databases.for_service("intake"), rate_limit_per_minute=1,  # type: ignore[arg-type]
                                rate_limit_burst=1, trusted_proxies=["10.0.0.0/8"])
    try:
        async with limited.client(("10.0.0.1", 4000)) as proxy:  # every request arrives from the ingress
            async def post(forwarded: str) -> int:
                response = await proxy.post(API, json=concern_body(), headers={"X-Forwarded-For": forwarded})
                return response.status_code

            first = await post("192.0.2.1")
            spoofed = await post("192.0.2.9, 192.0.2.1")  # the client prepended an address: still 192.0.2.1
            second_client = await post("192.0.2.2")
            via_two_proxies = await post("192.0.2.3, 10.0.0.7")  # the right-most address no proxy of ours added
            again = await post("192.0.2.3")
        assert (first, spoofed, second_client, via_two_proxies, again) == (201, 429, 201, 201, 429)
    finally:
        await limited.container.runtime.engine.dispose()


async def test_a_configured_client_header_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    limited = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, rate_limit_per_minute=1,
                                rate_limit_burst=1, rate_limit_client_header="X-Real-IP",
                                trusted_proxies=["10.0.0.1"])
    try:
        async with limited.client(("10.0.0.1", 4000)) as proxy, limited.client(("198.51.100.7", 1)) as other:
            from_proxy = [(await proxy.post(API, json=concern_body(), headers={"X-Real-IP": f"192.0.2.{n}"}))
                          .status_code for n in (1, 2)]
            direct = [(await other.post(API, json=concern_body(), headers={"X-Real-IP": f"192.0.2.{n}"}))
                      .status_code for n in (3, 4)]
        assert from_proxy == [201, 201] and direct == [201, 429]
    finally:
        await limited.container.runtime.engine.dispose()


async def test_unknown_paths_and_methods_say_what_to_use(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        wrong_method = await client.delete(API)
        wrong_path = await client.post("/api/v1/concern", json=concern_body())
    assert wrong_method.status_code == 405 and "POST" in wrong_method.json()["detail"][0]["message_en"]
    assert wrong_path.status_code == 404 and API in wrong_path.json()["detail"][0]["message_da"]
