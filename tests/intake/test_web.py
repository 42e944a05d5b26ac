"""The public web form and the staff form, over HTTP without a browser (form-encoded, no JavaScript)."""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.concern import WARNING_SIGN_CODES
from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import AuthMode, Role
from infohus.kit.municipality import DEFAULT_CONFIG_PATH
from infohus.kit.settings import Environment
from services.intake.adapters.orm import concerns
from services.intake.bootstrap import bootstrap
from services.intake.entrypoints.http import create_app
from services.intake.settings import IntakeSettings
from tests.intake.conftest import DEV_PASSWORD, IntakeUnderTest, intake_settings, make_intake

FORM = "/henvendelse"
STAFF = "/personale/henvendelse"
PHONE = "/personale/telefon"  # the staff form's old address
LOGIN = "/auth/login"  # the kit's development login


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden input {name}"
    return html.unescape(match.group(1))


class Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "formaction") and value is not None:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.append(value)


def citizen_form(page: str, **fields: str) -> dict[str, str]:
    data = {"csrf_token": hidden(page, "csrf_token"), "submission_id": hidden(page, "submission_id"),
            "subject_count": "1", "child_count": "0", "handling": "send",
            "subjects-0-name": "Mads", "subjects-0-stated_age": "16", "subjects-0-municipality": "Ishøj",
            "description": "Mads har fået nye venner og taler om, at vold er nødvendig.",
            "acuteness": "ROUTINE", "reporter-category": "CITIZEN", "reporter-name": "Anna Jensen",
            "reporter-email": "anna@example.org"}
    data.update(fields)
    return data


@pytest.fixture
async def configured_intake(tmp_path: Path) -> Any:
    """Intake whose municipality configuration has contact lines of its own, to see where they come from."""
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    for old, new in (("43 57 75 78", "11 11 11 78"), ("43 57 75 55", "22 22 22 55"), ("41 74 90 90", "33 33 33 90")):
        text = text.replace(old, new)
    config = tmp_path / "kommune.toml"
    config.write_text(text, encoding="utf-8")
    under_test = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, municipality_config=str(config))
    yield under_test
    await under_test.container.runtime.engine.dispose()


async def test_the_form_starts_with_112_and_the_configured_contact_lines(configured_intake: IntakeUnderTest) -> None:
    async with configured_intake.client() as client:
        page = (await client.get(FORM)).text
    assert '<html lang="da">' in page
    acute = page.index("Er nogen i akut fare, så ring 112")
    assert acute < page.index("<h1>") < page.index("<form")
    for number in ("11 11 11 78", "22 22 22 55", "33 33 33 90", "114", "112"):
        assert number in page
    for original in ("43 57 75 78", "43 57 75 55", "41 74 90 90"):
        assert original not in page


async def test_questions_come_in_the_order_a_worried_person_thinks(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        page = (await client.get(FORM)).text
    order = ["Hvem er du bekymret for?", "Hvad er du bekymret for?", "Hjælp til at beskrive bekymringen",
             "Hvor meget haster det?", "Er der børn, der kan være i fare?", "Om dig", "Send bekymringen"]
    positions = [page.index(heading) for heading in order]
    assert positions == sorted(positions)
    details = page[page.index('<details'):page.index('</details>')]
    assert "ikke en tjekliste" in details
    for text in WARNING_SIGN_CODES.values():
        assert html.escape(text, quote=False) in details
    assert " checked" not in details and "required" not in details


async def test_pages_request_nothing_from_third_parties(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        receipt = await client.post(FORM, data=citizen_form(form.text))
        phone = await client.get(STAFF, headers=sqlite_intake.headers_for(Role.INTAKE))
    for response in (form, receipt, phone):
        assert response.status_code == 200
        parser = Attributes()
        parser.feed(response.text)
        assert parser.urls
        for url in parser.urls:
            assert url.startswith(("/", "#", "tel:")) and not url.startswith("//"), url
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert response.headers["cache-control"] == "no-store"
        assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"


async def test_submitting_the_form_gives_a_receipt_with_reference_and_messages(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        data = citizen_form(form.text)
        fields = data | {"warning_signs": ["SOC_ISOLATION", "IND_FIXATION"], "subjects-0-address": "Vejlebrovej 1",
                         "subjects-0-school_or_workplace": "Strandgårdskolen"}
        receipt = await client.post(FORM, data=fields)
        again = await client.post(FORM, data=fields)
    assert receipt.status_code == 200, receipt.text
    reference = re.search(r'id="reference">([^<]+)<', receipt.text)
    assert reference and reference.group(1).startswith("IH-")
    ids = re.findall(r'data-message-id="([A-Z_0-9]+)"', receipt.text)
    assert ids[0] == "M_ACK" and "M_UND_CITIZEN" in ids and ids[-1] == "M_112_LINE"
    assert reference.group(1) in again.text  # sent twice (reload, double click): the same receipt
    [row] = await sqlite_intake.rows(concerns)
    body = json.loads(row["body"])
    assert row["channel"] == "WEB" and row["reference"] == reference.group(1)
    assert body["warning_signs"] == ["SOC_ISOLATION", "IND_FIXATION"]
    assert body["subjects"] == [{"name": "Mads", "cpr": None, "date_of_birth": None, "stated_age": 16,
                                 "municipality": "Ishøj", "address": "Vejlebrovej 1",
                                 "school_or_workplace": "Strandgårdskolen"}]


async def test_a_post_without_a_valid_csrf_token_is_refused_and_the_answers_kept(
        sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        data = citizen_form(form.text)
        forged = await client.post(FORM, data={**data, "csrf_token": "forged"})
        cross_site = await client.post(FORM, data=data, headers={"Origin": "https://evil.example"})
    async with sqlite_intake.client() as stranger:  # a different browser: no CSRF cookie
        no_cookie = await stranger.post(FORM, data=data)
    for response in (forged, cross_site, no_cookie):
        assert response.status_code == 403
        assert "Af sikkerhedshensyn skal du sende formularen igen" in response.text
        assert "taler om, at vold er nødvendig" in response.text
    assert await sqlite_intake.counts() == (0, 0)


async def test_errors_are_shown_in_danish_next_to_each_field(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        response = await client.post(FORM, data=citizen_form(
            form.text, description="", **{"reporter-category": "PROF_PUBLIC", "reporter-name": "",
                                          "subjects-0-stated_age": "seksten"}))
    assert response.status_code == 422
    page = response.text
    assert page.index("Der mangler noget") < page.index("<form")
    for field in ("description", "reporter-name", "reporter-workplace", "subjects-0-stated_age"):
        assert f'href="#{field}"' in page
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
        assert f'id="{field}-error"' in page
    assert "Skriv alderen som et helt tal." in page and "Feltet må ikke være tomt." in page
    links = [page.index(f'href="#{field}"') for field in ("subjects-0-stated_age", "description", "reporter-name")]
    assert links == sorted(links), "the error summary follows the order of the form"
    assert 'value="seksten"' in page and 'value="anna@example.org"' in page  # answers are kept
    assert await sqlite_intake.counts() == (0, 0)


async def test_more_people_can_be_added_without_javascript(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        more = await client.post(FORM, data=citizen_form(form.text, handling="tilfoej-person"))
        child = await client.post(FORM, data=citizen_form(more.text, handling="tilfoej-barn", subject_count="2",
                                                          **{"subjects-1-name": "Ali"}))
        data = citizen_form(child.text, subject_count="2", child_count="1",
                            **{"subjects-1-name": "Ali", "children_at_risk-0-stated_age": "4"})
        receipt = await client.post(FORM, data=data)
    assert more.status_code == 200 and 'name="subjects-1-name"' in more.text
    assert child.status_code == 200 and 'name="children_at_risk-0-name"' in child.text
    assert 'value="Ali"' in child.text
    assert receipt.status_code == 200, receipt.text
    [row] = await sqlite_intake.rows(concerns)
    body = json.loads(row["body"])
    assert [s["name"] for s in body["subjects"]] == ["Mads", "Ali"]
    assert body["children_at_risk"][0]["stated_age"] == 4


async def test_the_staff_form_needs_a_signed_in_intake_staff_member(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        page = await client.get(STAFF)
        post = await client.post(STAFF, data={"description": "x"})
        old_page = await client.get(PHONE)
        old_post = await client.post(PHONE, data={"description": "x"})
        staff_root = await client.get("/personale")
        forged = await client.get(STAFF, headers={"authorization": "Bearer forged"})
        wrong_role = await client.get(STAFF, headers=sqlite_intake.headers_for(Role.TOVHOLDER_MUNICIPAL))
        wrong_role_post = await client.post(STAFF, data={"description": "x"},
                                            headers=sqlite_intake.headers_for(Role.AUDITOR))
        staff = await client.get(STAFF, headers=sqlite_intake.headers_for(Role.INTAKE))
        old_address = await client.get(PHONE, headers=sqlite_intake.headers_for(Role.INTAKE))
    for response in (page, post, old_page, old_post, staff_root, forged):
        assert response.status_code == 401, response.text
        assert "Log ind som medarbejder" in response.text and "kommunens log-ind" in response.text
        assert LOGIN not in response.text  # no development login outside development mode
    for response in (wrong_role, wrong_role_post):
        assert response.status_code == 403 and "Din rolle giver ikke adgang" in response.text
    assert staff.status_code == 200 and "Hvornår blev den modtaget?" in staff.text
    assert old_address.status_code == 303 and old_address.headers["location"] == STAFF
    assert await sqlite_intake.counts() == (0, 0)


async def test_without_sign_in_the_staff_form_points_to_the_development_login(dev_intake: IntakeUnderTest) -> None:
    async with dev_intake.client() as client:
        page = await client.get(STAFF)
        old = await client.get(PHONE)
    assert page.status_code == old.status_code == 401
    assert f'href="{LOGIN}?next=/personale/henvendelse"' in page.text
    assert f'href="{LOGIN}?next=/personale/telefon"' in old.text


async def _sign_in(client: httpx.AsyncClient, username: str = "udvikler-modtagelse") -> httpx.Response:
    """Signs in through the kit's development login form, as a person would."""
    login = await client.get(LOGIN, params={"next": STAFF})
    assert "Udviklingslogin" in login.text
    return await client.post(LOGIN, data={"csrf_token": hidden(login.text, "csrf_token"), "username": username,
                                          "password": DEV_PASSWORD, "next": STAFF})


def phone_form(page: str, **fields: str) -> dict[str, str]:
    data = citizen_form(page, **{"received_at-date": "03.03.2026", "received_at-time": "14:05",
                                 "subjects-0-cpr": "010110-1234", "channel": "PHONE"})
    data.pop("subjects-0-stated_age")
    data.update(fields)
    return data


@pytest.mark.parametrize("channel", ["PHONE", "EMAIL", "LETTER", "IN_PERSON"])
async def test_staff_register_a_concern_with_its_channel_and_time(dev_intake: IntakeUnderTest, channel: str) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        signed_in = await _sign_in(client)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == STAFF
        page = await client.get(STAFF)
        assert page.status_code == 200 and "Hvornår blev den modtaget?" in page.text
        assert "Logget ind som Udvikler Modtagelse" in page.text and 'action="/auth/logout"' in page.text
        assert 'name="subjects-0-cpr"' in page.text
        assert 'name="subjects-0-address"' in page.text and 'name="subjects-0-school_or_workplace"' in page.text
        forged = await client.post(STAFF, data=phone_form(page.text, csrf_token="forged"))
        receipt = await client.post(STAFF, data=phone_form(page.text, channel=channel,
                                                           **{"subjects-0-address": "Vejlebrovej 1"}))
    assert forged.status_code == 403 and "Formularen er udløbet" in forged.text
    assert receipt.status_code == 200, receipt.text
    reference = re.search(r'id="reference">([^<]+)<', receipt.text)
    assert reference and "Giv referencenummeret videre til den, der henvendte sig:" in receipt.text
    box = receipt.text[receipt.text.index('class="infohus-reference"'):receipt.text.index('id="messages"')]
    assert "Dit referencenummer" not in box  # it speaks to staff; the messages are what to pass on
    assert "Det skal den, der henvendte sig, have at vide" in box
    [row] = await dev_intake.rows(concerns)
    assert row["channel"] == channel and row["recorded_by"] == "udvikler-modtagelse"
    assert row["received_at"].replace(tzinfo=UTC) == datetime(2026, 3, 3, 13, 5, tzinfo=UTC)  # 14:05 in Ishøj
    subject = json.loads(row["body"])["subjects"][0]
    assert subject["cpr"] == "0101101234" and subject["address"] == "Vejlebrovej 1"


async def test_staff_register_a_partner_authoritys_call_with_its_section_115_exchange(
        dev_intake: IntakeUnderTest) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    necessity = "Personen samler våben, og Infohus skal vurdere en indsats med det samme."
    partner = {"reporter-category": "PARTNER_AUTHORITY", "reporter-name": "Betjent Hansen",
               "reporter-workplace": "Københavns Vestegns Politi", "reporter-email": ""}
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = await client.get(STAFF)
        assert 'name="reporter-authority"' in page.text and 'name="reporter-necessity_assessment"' in page.text
        unnamed = await client.post(STAFF, data=phone_form(page.text, **partner))
        half = await client.post(STAFF, data=phone_form(page.text, **partner, **{
            "reporter-authority": "POLICE", "reporter-cooperation_form": "SSP"}))
        receipt = await client.post(STAFF, data=phone_form(page.text, **partner, **{
            "reporter-authority": "POLICE", "reporter-cooperation_form": "SSP",
            "reporter-necessity_assessment": necessity}))
    assert unnamed.status_code == 422 and 'href="#reporter-authority-1"' in unnamed.text
    assert half.status_code == 422 and 'href="#reporter-necessity_assessment"' in half.text
    assert receipt.status_code == 200, receipt.text
    [row] = await dev_intake.rows(concerns)
    reporter = json.loads(row["body"])["reporter"]
    assert (reporter["authority"], reporter["cooperation_form"], reporter["necessity_assessment"]) == (
        "POLICE", "SSP", necessity)


async def test_the_staff_form_starts_with_now_in_danish_time_and_the_phone(dev_intake: IntakeUnderTest) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 July in Ishøj
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = (await client.get(STAFF)).text
    assert 'name="received_at-date" class="form-input input-width-s" value="02.07.2026"' in page
    assert 'name="received_at-time" class="form-input input-width-xs" value="00:30"' in page
    assert re.search(r'name="channel"[^>]*value="PHONE" checked', page)
    for label in ("Telefon", "E-mail", "Brev", "Personligt fremmøde"):
        assert f">{label}</label>" in page
    assert "(frivilligt)" not in page[page.index('id="received_at-hint"'):page.index("Hvem drejer")]


async def test_the_old_phone_address_registers_a_phone_call_and_an_unknown_channel_is_refused(
        dev_intake: IntakeUnderTest) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = await client.get(STAFF)
        fields = phone_form(page.text)
        del fields["channel"]
        unknown = await client.post(STAFF, data=phone_form(page.text, channel="TELEPATHY"))
        missing = await client.post(STAFF, data=fields)
        old = await client.post(PHONE, data=fields)
    for response in (unknown, missing):
        assert response.status_code == 422 and 'href="#channel-1"' in response.text
        assert "Vælg, hvordan henvendelsen kom ind." in response.text
    assert old.status_code == 200, old.text
    [row] = await dev_intake.rows(concerns)
    assert row["channel"] == "PHONE"


@pytest.mark.parametrize("moment", ["25:00", "12:60", "noon", "12", "1205", "-1:00", "²:00", "١٢:٠٠", "24:00",
                                    "14:3", "14,30", "14:30:00"])
async def test_a_time_that_is_not_a_time_of_day_is_refused(dev_intake: IntakeUnderTest, moment: str) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = await client.get(STAFF)
        response = await client.post(STAFF, data=phone_form(page.text, **{"received_at-time": moment}))
    assert response.status_code == 422, response.text
    assert 'href="#received_at-time"' in response.text and "Skriv klokkeslættet som tt:mm eller tt.mm" in response.text
    assert await dev_intake.counts() == (0, 0)


@pytest.mark.parametrize(("moment", "utc"), [("14:05", (13, 5)), ("14.05", (13, 5)), ("9:05", (8, 5)),
                                              ("09.05", (8, 5)), ("0:00", (23, 0))])
async def test_staff_write_times_as_danes_do(dev_intake: IntakeUnderTest, moment: str, utc: tuple[int, int]) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = await client.get(STAFF)
        response = await client.post(STAFF, data=phone_form(page.text, **{"received_at-time": moment}))
    assert response.status_code == 200, response.text
    [row] = await dev_intake.rows(concerns)
    day = 2 if utc == (23, 0) else 3
    assert row["received_at"].replace(tzinfo=UTC) == datetime(2026, 3, day, *utc, tzinfo=UTC)


async def test_an_impossible_date_is_called_impossible(dev_intake: IntakeUnderTest) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        form = await client.get(FORM)
        public = await client.post(FORM, data=citizen_form(form.text, **{"subjects-0-date_of_birth": "31.02.2010"}))
        await _sign_in(client)
        page = await client.get(STAFF)
        staff = await client.post(STAFF, data=phone_form(page.text, **{"received_at-date": "30.02.2026"}))
    assert public.status_code == staff.status_code == 422
    assert re.search(r'id="subjects-0-date_of_birth-error">.*Datoen findes ikke', public.text)
    assert re.search(r'id="received_at-date-error">.*Datoen findes ikke', staff.text)
    for response in (public, staff):
        assert "dd.mm.åååå, fx" not in response.text.split("<form")[0]  # not called badly formatted
    assert await dev_intake.counts() == (0, 0)


async def test_the_public_form_shows_the_guidance_before_the_first_input(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        page = (await client.get(FORM)).text
    first_input = page.index('<input type="text"')
    guidance = page[page.index('id="main-content"'):first_input]
    for text in ("ring 112", "politiet på 114", "Infohus Ishøj", "43 57 75 55",
                 "mandag-onsdag kl. 8-15, torsdag kl. 8-17 og fredag kl. 8-13", "41 74 90 90",
                 "dagligt kl. 8-22"):
        assert text in html.unescape(re.sub(r"<[^>]+>", "", guidance)), text


async def test_fields_required_in_some_situations_are_not_called_optional(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        page = (await client.get(FORM)).text
    for name in ("reporter-name", "reporter-workplace", "reporter-phone", "reporter-email"):
        label = re.search(rf'<label class="form-label" for="{name}">(.*?)</label>', page)
        assert label and "frivilligt" not in label.group(1), name
    assert re.search(r'for="reporter-role">Stilling<span class="weight-normal"> \(frivilligt\)', page)


async def test_every_problem_of_a_submission_comes_at_once(sqlite_intake: IntakeUnderTest) -> None:
    # A professional without workplace (a rule of the reporter) with a bad e-mail (a field check), a date of
    # birth in the future (a rule that needs the clock) and an empty description: all in the first answer.
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        response = await client.post(FORM, data=citizen_form(form.text, description="", **{
            "reporter-category": "PROF_PUBLIC", "reporter-email": "ikke-en-adresse",
            "subjects-0-date_of_birth": "01.01.2999"}))
    assert response.status_code == 422
    summary = response.text[:response.text.index("<form")]
    for field in ("subjects-0-date_of_birth", "description", "reporter-workplace", "reporter-email"):
        assert f'href="#{field}"' in summary, field
    assert "Fødselsdatoen ligger ude i fremtiden" in summary and "underretningspligten er personlig" in summary
    assert await sqlite_intake.counts() == (0, 0)


async def test_the_error_summary_comes_first_and_takes_the_focus(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        form = await client.get(FORM)
        response = await client.post(FORM, data=citizen_form(form.text, description=""))
    main = response.text[response.text.index('id="main-content"'):]
    first = re.search(r"<(div|h1|h2|p|form)\b[^>]*>", main[main.index(">") + 1:])
    assert first and "infohus-error-summary" in first.group(0)
    assert 'tabindex="-1"' in first.group(0) and "autofocus" in first.group(0)
    assert '<title>Fejl: ' in response.text


async def test_a_signed_in_user_without_the_intake_role_gets_no_phone_form(dev_intake: IntakeUnderTest) -> None:
    async with dev_intake.client() as client:
        await _sign_in(client, "udvikler-straxen")
        page = await client.get(PHONE)
        public = await client.get(FORM)
    assert page.status_code == 403 and "Din rolle giver ikke adgang" in page.text
    assert public.status_code == 200


@pytest.mark.parametrize(("fields", "status", "shown"), [
    ({"received_at-date": "29.03.2026", "received_at-time": "02:30"}, 422, "findes ikke i dansk tid"),
    ({"received_at-date": "25.10.2026", "received_at-time": "02:30"}, 422, "forekommer to gange"),
    ({"received_at-date": "25.10.2026", "received_at-time": "02:30", "received_at-offset": "+01:00"}, 200,
     "referencenummer"),
    ({"received_at-date": "", "received_at-time": "25:00"}, 422, "Skriv datoen for modtagelsen"),
])
async def test_call_times_at_a_dst_change_need_an_offset(
        dev_intake: IntakeUnderTest, fields: dict[str, str], status: int, shown: str) -> None:
    dev_intake.container.clock = lambda: datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    async with dev_intake.client() as client:
        await _sign_in(client)
        page = await client.get(STAFF)
        response = await client.post(STAFF, data=phone_form(page.text, **fields))
    assert response.status_code == status, response.text
    assert shown in response.text
    assert await dev_intake.count() == (1 if status == 200 else 0)


async def test_there_is_no_development_login_in_production(tmp_path: Path) -> None:
    idp = FakeIdentityProvider()
    settings = IntakeSettings(environment="production", database_url="postgresql+asyncpg://infohus@127.0.0.1:9/x",
                              auth=idp.settings(environment=Environment.PRODUCTION))
    container = bootstrap(settings)
    app = create_app(container, manage_runtime=False, jwks_fetcher=idp.fetch)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://intake.test") as client:
        login = await client.get(LOGIN)
        old_login = await client.get("/personale/udviklingslogin")
        phone = await client.get(PHONE)
    assert login.status_code == old_login.status_code == 404
    assert phone.status_code == 401 and "kommunens log-ind" in phone.text and LOGIN not in phone.text
    assert phone.headers["strict-transport-security"]
    await container.runtime.engine.dispose()
    with pytest.raises(ValueError, match="development login"):
        idp.settings(environment=Environment.PRODUCTION, mode=AuthMode.DEVELOPMENT)


async def test_intake_starts_without_the_design_system_assets(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    settings = intake_settings(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, web_assets_dir=tmp_path / "none")
    container = bootstrap(settings)
    await container.runtime.migrate()
    app = create_app(container, manage_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://intake.test") as client:
        page = await client.get(FORM)
        css = await client.get("/static/dkfds/css/dkfds.min.css")
    assert page.status_code == 200 and "Er nogen i akut fare" in page.text
    assert css.status_code == 404
    assert "Det Fælles Designsystem is not installed" in caplog.text
    await container.runtime.engine.dispose()


async def test_the_design_system_is_served_from_our_own_origin(sqlite_intake: IntakeUnderTest) -> None:
    async with sqlite_intake.client() as client:
        css = await client.get("/static/dkfds/css/dkfds.min.css")
        js = await client.get("/static/dkfds/js/dkfds.min.js")
        font = await client.get("/static/dkfds/fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2")
    if css.status_code == 404:
        pytest.fail("DKFDS is not installed: run `npm ci --prefix services/intake/web`")
    assert css.status_code == js.status_code == font.status_code == 200
    assert "http://" not in css.text and "https://" not in css.text.replace("https://designsystem.dk", "")


async def test_with_the_database_down_the_form_keeps_the_answers_and_says_so() -> None:
    down = bootstrap(intake_settings("postgresql+asyncpg://postgres@127.0.0.1:9/none", "intake"))
    app = create_app(down, manage_runtime=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://intake.test") as client:
            form = await client.get(FORM)
            response = await client.post(FORM, data=citizen_form(form.text))
    finally:
        await down.runtime.engine.dispose()
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "Vi kan ikke tage imod henvendelser lige nu" in response.text and "ring 112" in response.text
    assert "taler om, at vold er nødvendig" in response.text
