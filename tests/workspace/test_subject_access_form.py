"""The subject-access form, pure: a CPR number and a reason become the request the services get, or a
Danish problem beside the field; the bundle downloads as one JSON file or a ZIP with one file per service."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from contracts.subject_access import (
    AuditPart,
    IntakePart,
    NotifyPart,
    RoutingPart,
    SubjectAccessBundle,
    SubjectAccessRequest,
)
from services.workspace.domain.subject_access import (
    CPR_FIELD,
    NOTES_DA,
    REASON_FIELD,
    as_json,
    as_zip,
    file_name,
    parse_request,
)

ID = UUID("01a24e9c-2066-72b2-b8e4-817dafd7d66a")
REASON = "Anmodning om indsigt, j.nr. 2026-4711"


@pytest.mark.parametrize("typed", ["010110-4234", "0101104234", " 010110-4234 ", "010110 4234"])
def test_a_cpr_number_with_or_without_the_dash_becomes_ten_digits(typed: str) -> None:
    parsed = parse_request({"cpr": [typed], "reason": [REASON]}, ID)
    assert parsed.problems == {}
    assert parsed.request == SubjectAccessRequest(request_id=ID, cpr="0101104234", reason=REASON)


@pytest.mark.parametrize(("cpr", "reason", "field", "problem"), [
    ("", REASON, CPR_FIELD, "Skriv personens CPR-nummer."),
    ("12345", REASON, CPR_FIELD, "Skriv CPR-nummeret som 10 cifre, fx 010203-1234."),
    ("0101-104234", REASON, CPR_FIELD, "Skriv CPR-nummeret som 10 cifre, fx 010203-1234."),
    ("01011O4234", REASON, CPR_FIELD, "Skriv CPR-nummeret som 10 cifre, fx 010203-1234."),
    ("010110-4234", "", REASON_FIELD, "Skriv begrundelsen for udtrækket, fx anmodningens journalnummer."),
    ("010110-4234", "kort", REASON_FIELD, "Skriv en begrundelse på mindst 10 tegn."),
    ("010110-4234", "x" * 501, REASON_FIELD, "Begrundelsen må højst være 500 tegn."),
    ("010110-4234", "Indsigt for 010110-4234", REASON_FIELD, "Skriv ikke CPR-numre i begrundelsen."),
])
def test_a_malformed_field_is_refused_beside_it_in_danish(cpr: str, reason: str, field: str, problem: str) -> None:
    parsed = parse_request({"cpr": [cpr], "reason": [reason]}, ID)
    assert parsed.request is None
    assert parsed.problems == {field: problem}


def test_the_services_refuse_a_reason_with_a_cpr_number_too() -> None:
    with pytest.raises(ValidationError):
        SubjectAccessRequest(request_id=ID, cpr="0101104234", reason="Indsigt for 0101104234, j.nr. 1")


def empty_bundle() -> SubjectAccessBundle:
    return SubjectAccessBundle(
        request_id=ID, created_at=datetime(2026, 12, 7, 13, 0, tzinfo=UTC), cpr="0101104234", reason=REASON,
        notes_da=list(NOTES_DA), intake=IntakePart(concerns=[], consultations=[]),
        routing=RoutingPart(persons=[], cases=[], underretninger=[], consultations=[]),
        audit=AuditPart(disclosures=[], consultations=[]),
        notify=NotifyPart(holds_personal_data=False, statement_da="Ingen.", mails=[]))


def test_the_bundle_is_named_by_its_request_and_reads_back() -> None:
    bundle = empty_bundle()
    assert file_name(bundle, "json") == f"indsigt-{ID}.json"
    assert SubjectAccessBundle.model_validate_json(as_json(bundle)) == bundle
    archive = zipfile.ZipFile(io.BytesIO(as_zip(bundle)))
    assert sorted(archive.namelist()) == ["audit.json", "intake.json", "notify.json", "oversigt.json", "routing.json"]
    assert json.loads(archive.read("oversigt.json"))["reason"] == REASON
    assert RoutingPart.model_validate_json(archive.read("routing.json")) == bundle.routing
