"""The auditor pages over HTTP (SQLite and PostgreSQL): sign-in first, Q1 by CPR number (the number never
reaches a URL or the query log) or by reference, Danish labels and local times, CSV with the codes, the
log's integrity on the index."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID

import httpx
import pytest

from contracts.cpr import cpr_hmac, normalise_cpr
from devtools.auth_testing import csrf_credentials
from infohus.kit.auth import Role
from infohus.kit.settings import Environment
from services.audit.bootstrap import AuditContainer
from services.audit.domain.labels import cell, local
from services.audit.settings import DEVELOPMENT_HMAC_KEY, AuditSettings
from services.routing.domain import facts as routing_facts
from tests.audit.builders import seed_unchecked
from tests.audit.conftest import Credentials, audit_app, signing_key_pem
from tests.audit.domain.builders import OCCURRED_AT
from tests.audit.facts_builders import case_opened
from tests.audit.test_facts import deliver

CPR = "0102031234"
OTHER_CPR = "311299-9999"
HTML = {"accept": "text/html,application/xhtml+xml"}


def key_of(cpr: str) -> str:
    return cpr_hmac(DEVELOPMENT_HMAC_KEY.encode(), cpr)


@pytest.fixture
async def pages(audit: AuditContainer, credentials: Credentials) -> AsyncIterator[httpx.AsyncClient]:
    app = audit_app(audit, credentials)
    cookies, csrf = csrf_credentials(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://audit.test",
                                 cookies=cookies, headers=csrf) as client:
        yield client


async def seed_person(audit: AuditContainer) -> None:
    """Two records about the person with CPR (a § 115 disclosure and routing's internal transfer), one about
    someone else, all in case 200 / concern 100."""
    await seed_unchecked(audit, 1, subject_cpr_hmacs=[key_of(CPR)])
    await seed_unchecked(audit, 2, kind="INTERNAL_TRANSFER", legal_basis="INTERNAL_SAME_CONTROLLER",
                         cooperation_form="NONE", recipient_authority="ISHOEJ_KOMMUNE", recipient_unit="CBF_TK",
                         discloser_unit="INFOHUS_INTAKE", purpose="INFOHUS_TRIAGE", channel="SYSTEM_SHARE",
                         not_for_investigation=False, occurred_at=OCCURRED_AT - timedelta(hours=2),
                         decision_at=None, subject_cpr_hmacs=[key_of(CPR)])
    await seed_unchecked(audit, 3, subject_person_ids=["person-other"], subject_cpr_hmacs=[key_of("0505051111")],
                         concern_id=UUID(int=101), infohus_case_id=UUID(int=201))


def test_the_shared_hash_is_routings() -> None:
    key = DEVELOPMENT_HMAC_KEY.encode()
    assert cpr_hmac(key, CPR) == routing_facts.cpr_hmac(CPR, key)
    assert normalise_cpr(" 010203-1234 ") == CPR and normalise_cpr("01020312345") is None
    assert normalise_cpr("Jens Hansen") is None


def test_production_refuses_the_development_cpr_key() -> None:
    """``production_problems`` is what ServiceSettings refuses production with (tested in the kit)."""
    signed = {"environment": Environment.TEST, "checkpoint_signing_key": signing_key_pem()}
    assert [p for p in AuditSettings(**signed).production_problems() if "INFOHUS_AUDIT_CPR_HMAC_KEY" in p]
    assert AuditSettings(**signed, cpr_hmac_key="a-secret-shared-with-routing").production_problems() == []


def test_codes_read_as_words_and_times_as_danish_local_time() -> None:
    assert cell("legal_basis", "RPL115_2") == \
        "Retsplejelovens § 115, stk. 2 (videregivelse til politi/samarbejdsparter)"
    assert cell("kind", "INTERNAL_TRANSFER") == "Intern overførsel"
    assert cell("discloser_unit", "CBF_TK") == "Tryghed og Kriminalitetsforebyggelse (TK)"
    assert cell("recipient_authority", "OTHER_MUNICIPALITY:0169") == "Anden kommune (0169)"
    assert cell("data_categories", "IDENTITY,CPR") == "Identitet, CPR-nummer"
    assert cell("occurred_at", "2026-12-06T13:05:59.123456Z") == "6.12.2026 kl. 14.05"
    assert local("2026-07-01T22:30:00.000000Z") == "2.7.2026 kl. 00.30"  # summer time
    assert cell("purpose", "SOMETHING_NEW") == "SOMETHING_NEW"  # an unknown code shows as itself


async def test_a_browser_is_sent_to_sign_in_and_an_api_client_gets_401(pages, credentials) -> None:
    page = await pages.get("/revision/Q3", params={"limit": 5}, headers=HTML)
    assert page.status_code == 303 and page.headers["location"] == "/auth/login?next=/revision/Q3%3Flimit%3D5"
    assert (await pages.get("/revision")).status_code == 401
    refused = await pages.get("/revision", headers=HTML | credentials.of(Role.TOVHOLDER_MUNICIPAL))
    assert refused.status_code == 403 and "Ingen adgang" in refused.text and 'lang="da"' in refused.text


async def test_q1_by_cpr_number_shows_danish_words_and_exports_codes(audit, pages, credentials) -> None:
    await seed_person(audit)
    auditor = credentials.of(Role.AUDITOR, "revisor-4")
    searched = await pages.post("/revision/Q1", data={"cpr": "010203-1234"}, headers=HTML | auditor)
    assert searched.status_code == 303
    location = searched.headers["location"]
    assert CPR not in location and "010203" not in location and key_of(CPR) in location
    page = await pages.get(location, headers=HTML | auditor)
    text = page.text
    assert page.status_code == 200 and "Resultat: 2 rækker" in text and "Søgt på CPR-nummer" in text
    assert "Retsplejelovens § 115, stk. 2 (videregivelse til politi/samarbejdsparter)" in text
    assert "Intern overførsel" in text and "Tryghed og Kriminalitetsforebyggelse (TK)" in text
    assert "Københavns Vestegns Politi (infohus)" in text
    assert "2.3.2026 kl. 11.00" in text and "2.3.2026 kl. 09.00" in text  # 10:00 and 08:00 UTC
    assert ">INTERNAL_TRANSFER<" not in text and "RPL115_2<" not in text and "T10:00:00" not in text
    assert "Logget ind som" in text and 'action="/auth/logout"' in text
    assert "person-other" not in text and "user-17" not in text

    csv_url = re.search(r'href="(/api/v1/audit/queries/Q1\?[^"]+)"', text)
    assert csv_url
    exported = await pages.get(csv_url.group(1).replace("&amp;", "&"), headers=auditor)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], r["legal_basis"]) for r in rows] == [
        ("INTERNAL_TRANSFER", "INTERNAL_SAME_CONTROLLER"), ("DISCLOSURE", "RPL115_2")]
    log = (await pages.get("/api/v1/audit/query-log", headers=auditor)).json()
    assert CPR not in str(log) and "010203" not in str(log)
    assert [(e["query"], e["output_format"]) for e in log] == [("Q1", "csv"), ("Q1", "html")]


async def test_a_cpr_number_without_records_says_so_and_a_wrong_one_is_refused(audit, pages, credentials) -> None:
    await seed_person(audit)
    auditor = credentials.auditor
    searched = await pages.post("/revision/Q1", data={"cpr": OTHER_CPR}, headers=HTML | auditor)
    page = await pages.get(searched.headers["location"], headers=HTML | auditor)
    assert "Resultat: 0 rækker" in page.text and "Der er ingen poster om dette CPR-nummer" in page.text
    assert "referencenummer" in page.text
    wrong = await pages.post("/revision/Q1", data={"cpr": "01020312"}, headers=HTML | auditor)
    assert wrong.status_code == 422 and "Skriv CPR-nummeret som 10 cifre" in wrong.text
    assert 'id="error-summary"' in wrong.text and 'aria-invalid="true"' in wrong.text
    nothing = await pages.post("/revision/Q1", data={}, headers=HTML | auditor)
    assert nothing.status_code == 422 and "Skriv et CPR-nummer eller et referencenummer" in nothing.text
    forged = await pages.post("/revision/Q1", data={"cpr": CPR}, headers=HTML | auditor | {"x-csrf-token": "x"})
    assert forged.status_code == 403 and "Formularen er udløbet" in forged.text


async def test_q1_by_reference_finds_the_records_of_its_concern(audit, pages, credentials) -> None:
    await seed_person(audit)
    await deliver(audit, case_opened(200, concern=100))  # reference REF-100
    auditor = credentials.auditor
    searched = await pages.post("/revision/Q1", data={"reference": "ref-100"}, headers=HTML | auditor)
    assert searched.headers["location"] == "/revision/Q1?reference=REF-100&searched=reference"
    page = await pages.get(searched.headers["location"], headers=HTML | auditor)
    assert "Resultat: 2 rækker" in page.text and "Søgt på referencenummer REF-100" in page.text
    unknown = await pages.get("/revision/Q1", params={"reference": "REF-999"}, headers=HTML | auditor)
    assert "Der er ingen poster om dette referencenummer" in unknown.text
    api = (await pages.get("/api/v1/audit/queries/Q1", params={"reference": "REF-100"}, headers=auditor)).json()
    assert api["total"] == 2


async def test_the_index_shows_the_last_checkpoint_and_the_last_check(audit, pages, credentials) -> None:
    await seed_person(audit)
    auditor = credentials.auditor
    before = (await pages.get("/revision", headers=HTML | auditor)).text
    assert "Der er endnu ikke signeret et checkpoint" in before and "Ingen kontrol er registreret" in before
    assert "infohus audit verify" in before
    checkpoint = await audit.sign_checkpoint()
    assert checkpoint is not None
    await seed_unchecked(audit, 4)
    check = await pages.get("/revision/Q11", params={"run": 1}, headers=HTML | auditor)
    assert "Overholdt (0 rækker)" in check.text
    after = (await pages.get("/revision", headers=HTML | auditor)).text
    assert f"{local(checkpoint.issued_at)} – omfatter 3 poster (1 nyere poster er endnu ikke omfattet)" in after
    assert "ingen brud eller huller fundet" in after
