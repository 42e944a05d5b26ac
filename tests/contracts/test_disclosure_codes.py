"""The disclosure log's code lists are the contract's field types; the wire format stays their names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.asyncapi import asyncapi_document
from contracts.envelope import Envelope
from contracts.events import DisclosureRecorded
from contracts.topics import CATALOGUE
from rules.codes import CooperationForm, DataCategory, DisclosureChannel, LegalBasis, SubjectInformationStatus
from tests.audit.domain.builders import event_fields

CODE_FIELDS = ("kind", "channel", "legal_basis", "cooperation_form", "purpose", "source_of_data",
               "subject_information_status", "delivery_status")


def test_codes_travel_as_the_plain_strings_they_always_were() -> None:
    fields = event_fields()
    wire = json.loads(DisclosureRecorded(**fields).model_dump_json())
    assert {name: wire[name] for name in CODE_FIELDS} == {name: str(fields[name]) for name in CODE_FIELDS}
    assert wire["data_categories"] == fields["data_categories"]
    assert wire["onward_conditions_communicated"] == fields["onward_conditions_communicated"]


def test_the_strings_come_back_as_the_code_lists() -> None:
    event = DisclosureRecorded.model_validate_json(DisclosureRecorded(**event_fields()).model_dump_json())
    assert event.channel is DisclosureChannel.SECURE_EMAIL and event.legal_basis is LegalBasis.RPL115_2
    assert event.cooperation_form is CooperationForm.SSP
    assert event.data_categories[0] is DataCategory.IDENTITY


def test_the_defaults_are_codes_too() -> None:
    fields = {k: v for k, v in event_fields().items() if k not in {"cooperation_form", "subject_information_status"}}
    event = DisclosureRecorded(**fields)
    assert event.cooperation_form is CooperationForm.NONE
    assert event.subject_information_status is SubjectInformationStatus.PENDING


@pytest.mark.parametrize(("field", "value"), [("legal_basis", "ANNA_JENSEN_BASIS"), ("channel", "CARRIER_PIGEON"),
                                              ("data_categories", ["IDENTITY", "GOSSIP"])])
def test_an_unknown_code_is_refused_by_the_contract(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        DisclosureRecorded(**event_fields(**{field: value}))
    assert [(error["loc"][0], error["type"]) for error in raised.value.errors()] == [(field, "enum")]


def test_the_asyncapi_document_keeps_every_definition_under_a_name_of_its_own() -> None:
    """The document merges every message's definitions by name: two types of one name would overwrite."""
    seen: dict[str, Any] = {}
    for spec in CATALOGUE:
        envelope = Envelope[spec.payload]  # type: ignore[name-defined]
        definitions = envelope.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"]
        for name, schema in definitions.items():
            assert seen.setdefault(name, schema) == schema, name
    schemas = asyncapi_document()["components"]["schemas"]
    assert [name for name, schema in seen.items() if schemas.get(name) != schema] == []
    assert schemas["DisclosureRecorded"]["properties"]["legal_basis"] == {"$ref": "#/components/schemas/LegalBasis"}
