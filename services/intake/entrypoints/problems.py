"""Validation errors as "what to fix", in Danish and English, never echoing what was typed.

Used by the API (422 bodies) and by the web forms (messages next to each field). A location is a dotted
path into the concern (``reporter.name``, ``subjects.0.stated_age``); the forms name their inputs by the
same path with ``-`` (``reporter-name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import PydanticCustomError

_FIELD_NAMES_DA = {
    "submission_id": "indsendelses-id", "channel": "kanal", "reporter": "anmelder", "category": "hvem du er",
    "claims_professional": "fagperson", "name": "navn", "role": "stilling", "workplace": "arbejdssted",
    "phone": "telefonnummer", "email": "e-mail", "subjects": "personer", "children_at_risk": "børn",
    "cpr": "CPR-nummer", "date_of_birth": "fødselsdato", "stated_age": "alder", "municipality": "kommune",
    "address": "adresse", "school_or_workplace": "skole eller arbejdsplads",
    "description": "beskrivelse", "warning_signs": "bekymringstegn", "acuteness": "hvor akut",
    "crime_suspicion": "mistanke om kriminalitet", "received_at": "modtagelsestidspunkt",
    "authority": "myndighed", "cooperation_form": "samarbejdsform", "necessity_assessment": "nødvendighedsvurdering",
}


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field to fix, e.g. reporter.name; 'body' for the whole")
    code: str
    message_da: str
    message_en: str


class ErrorOut(BaseModel):
    detail: list[FieldError]


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message_da: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_da": self.message_da,
                "message_en": self.message_en}


def _leaf(location: str) -> str:
    parts = [part for part in location.split(".") if not part.isdigit()]
    return parts[-1] if parts else ""


# Per field: what a well-formed value looks like (for pattern and format errors).
_FORMAT_HINTS: dict[str, tuple[str, str]] = {
    "submission_id": ("Brug 8-64 tegn: bogstaver a-z, tal og . _ : -.",
                      "Use 8-64 characters: letters a-z, digits and . _ : -."),
    "phone": ("Skriv telefonnummeret med 6-20 cifre, fx 43 57 75 55 eller +45 43 57 75 55.",
              "Give the phone number as 6-20 digits, e.g. 43 57 75 55 or +45 43 57 75 55."),
    "email": ("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk.",
              "Give a valid e-mail address, e.g. name@example.org."),
    "cpr": ("Skriv CPR-nummeret som ddmmåå-xxxx.", "Give the CPR number as ddmmyy-xxxx."),
    "date_of_birth": ("Skriv fødselsdatoen som dd.mm.åååå eller ÅÅÅÅ-MM-DD.",
                      "Give the date of birth as YYYY-MM-DD."),
    "received_at": ("Skriv tidspunktet som dato og klokkeslæt, fx 2026-11-22T14:05:00+01:00.",
                    "Give a date and time, e.g. 2026-11-22T14:05:00+01:00 (ISO 8601)."),
    "stated_age": ("Skriv alderen som et helt tal.", "Give the age as a whole number."),
}


def _translate(kind: str, location: str, ctx: Mapping[str, Any], english: str) -> tuple[str, str]:
    """(Danish, English) for one pydantic error type; ``ctx`` holds limits, never the input."""
    leaf = _leaf(location)
    if not location and kind in ("model_attributes_type", "model_type", "dict_type", "json_type"):
        return ("Send henvendelsen som et JSON-objekt med Content-Type: application/json.",
                "Send the concern as a JSON object with Content-Type: application/json.")
    if leaf in _FORMAT_HINTS and kind in ("string_pattern_mismatch", "value_error", "date_parsing",
                                          "date_from_datetime_parsing", "date_from_datetime_inexact",
                                          "datetime_parsing", "datetime_from_date_parsing", "datetime_type",
                                          "date_type", "int_parsing", "int_from_float", "int_type"):
        return _FORMAT_HINTS[leaf]
    match kind:
        case "missing":
            return "Feltet skal udfyldes.", "This field is required."
        case "extra_forbidden":
            return ("Feltet kendes ikke. Fjern det.", "This field is not part of a concern: leave it out.")
        case "string_too_short" | "too_short":
            minimum = ctx.get("min_length", 1)
            if minimum == 1:
                return ("Feltet må ikke være tomt." if kind == "string_too_short" else "Angiv mindst én.",
                        "This must not be empty." if kind == "string_too_short" else "Give at least one.")
            return f"Skriv mindst {minimum} tegn.", f"Give at least {minimum} characters."
        case "string_too_long":
            maximum = ctx.get("max_length")
            return f"Teksten er for lang. Højst {maximum} tegn.", f"Too long: at most {maximum} characters."
        case "too_long":
            maximum = ctx.get("max_length")
            return f"Der er for mange. Højst {maximum}.", f"Too many: at most {maximum}."
        case "greater_than_equal" | "greater_than":
            return (f"Værdien skal være mindst {ctx.get('ge', ctx.get('gt'))}.",
                    f"The value must be at least {ctx.get('ge', ctx.get('gt'))}.")
        case "less_than_equal" | "less_than":
            return (f"Værdien må højst være {ctx.get('le', ctx.get('lt'))}.",
                    f"The value must be at most {ctx.get('le', ctx.get('lt'))}.")
        case "enum" | "literal_error":
            expected = ctx.get("expected", "")
            return (f"Vælg en af de mulige værdier: {expected}.", f"Choose one of: {expected}.")
        case "bool_parsing" | "bool_type":
            return "Skal være sand eller falsk (true/false).", "Must be true or false."
        case "int_parsing" | "int_type" | "int_from_float":
            return "Skal være et helt tal.", "Must be a whole number."
        case "date_parsing" | "date_type" | "date_from_datetime_parsing" | "date_from_datetime_inexact":
            return "Skal være en dato (ÅÅÅÅ-MM-DD).", "Must be a date (YYYY-MM-DD)."
        case "datetime_parsing" | "datetime_type" | "datetime_from_date_parsing":
            return _FORMAT_HINTS["received_at"]
        case "string_type":
            return "Skal være en tekst.", "Must be a string."
        case "list_type":
            return "Skal være en liste.", "Must be a list."
        case "model_type" | "model_attributes_type" | "dict_type":
            return "Skal være et objekt.", "Must be an object."
        case "json_invalid":
            return ("Indholdet er ikke gyldig JSON i UTF-8. Tjek kommaer, anførselstegn og klammer.",
                    "The body is not valid JSON in UTF-8: check commas, quotes and brackets.")
        case "json_type":
            return "Indholdet skal være JSON (application/json).", "The body must be JSON (application/json)."
        case "string_pattern_mismatch":
            return "Værdien har ikke det rigtige format.", "The value does not have the required format."
    return "Værdien er ugyldig.", "The value is not valid."


def _location(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts if part != "body")


def problems_from_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """Pydantic (or FastAPI request) errors as field problems, in order, without duplicates."""
    out: dict[tuple[str, str], FieldProblem] = {}
    for error in errors:
        kind = str(error.get("type", "value_error"))
        location = "" if kind == "json_invalid" else _location(error.get("loc", ()))
        ctx: Mapping[str, Any] = error.get("ctx") or {}
        danish = ctx.get("da")
        if isinstance(danish, str):  # one of our rules (contracts.concern.rule_error): it names its fields
            fields = [field for field in str(ctx.get("fields", "")).split(",") if field]
            english = str(error.get("msg", ""))
            for field in fields or [""]:
                path = ".".join(part for part in (location, field) if part) or "body"
                out.setdefault((path, kind), FieldProblem(path, kind, danish, english))
            continue
        danish, english = _translate(kind, location, ctx, str(error.get("msg", "")))
        path = location or "body"
        out.setdefault((path, kind), FieldProblem(path, kind, danish, english))
    return list(out.values())


def problems_from_rules(problems: Iterable[tuple[str, PydanticCustomError]]) -> list[FieldProblem]:
    """Problems the service layer found (``ConcernRejected``) in the same shape."""
    return problems_from_errors(
        {"loc": tuple(location.split(".")), "type": error.type, "msg": error.message(), "ctx": error.context}
        for location, error in problems)


def field_label_da(location: str) -> str:
    return _FIELD_NAMES_DA.get(_leaf(location), _leaf(location))
