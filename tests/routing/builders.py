"""Concise builders for concerns and instants used by the routing tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.concern import ConcernIn
from infohus.kit.municipality import load_municipality_config
from rules.config import MunicipalityConfig

CONFIG: MunicipalityConfig = load_municipality_config()

# Reference instants in March 2026 (CET, +01:00). 2026-03-03 is a Tuesday.
OPEN_TUESDAY = "2026-03-03T10:00:00+01:00"
HOTLINE_TUESDAY = "2026-03-03T16:00:00+01:00"  # 24 h clock ends Wed 16:00, after Wed 08:00 opening
HOTLINE_FRIDAY = "2026-03-06T14:00:00+01:00"  # 24 h clock ends Sat 14:00, before Mon 08:00 opening
CLOSED_TUESDAY_NIGHT = "2026-03-03T23:00:00+01:00"  # 24 h clock ends Wed 23:00, after Wed 08:00 opening
CLOSED_SATURDAY_NIGHT = "2026-03-07T02:00:00+01:00"  # 24 h clock ends Sun 02:00, before Mon 08:00 opening

# People, as seen on a receipt date in March 2026.
MINOR = {"date_of_birth": "2012-05-05"}
NEAR_18 = {"date_of_birth": "2008-03-20"}  # 18 on 2026-03-20
ADULT = {"date_of_birth": "1990-01-01"}
UNKNOWN_AGE: dict[str, Any] = {}

REPORTERS: dict[str, dict[str, Any]] = {
    "PROF_PUBLIC": {
        "category": "PROF_PUBLIC",
        "name": "Lærer A",
        "workplace": "Skolen",
        "email": "a@ishoj.dk",
    },
    "PROF_PUBLIC_NO_CONTACT": {"category": "PROF_PUBLIC", "name": "Lærer A", "workplace": "Skolen"},
    "PROF_BEK1602": {
        "category": "PROF_BEK1602",
        "name": "Læge B",
        "workplace": "Klinik",
        "phone": "12345678",
    },
    "CITIZEN": {"category": "CITIZEN", "name": "Borger C", "phone": "+45 12 34 56 78"},
    "CITIZEN_NO_CONTACT": {"category": "CITIZEN", "name": "Borger C"},
    "SELF": {"category": "SELF", "email": "self@example.com"},
    "SELF_ANONYMOUS": {"category": "SELF"},
    "PARTNER_AUTHORITY": {"category": "PARTNER_AUTHORITY", "authority": "POLICE", "workplace": "Politiet",
                          "email": "p@politi.dk"},
    "ANONYMOUS": {"category": "ANONYMOUS"},
    "ANONYMOUS_PROFESSIONAL": {"category": "ANONYMOUS", "claims_professional": True},
}


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    return moment


def person(age: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"municipality": "Ishøj", **(age or {}), **fields}


def concern_body(
    *,
    reporter: str = "CITIZEN",
    subjects: list[dict[str, Any]] | None = None,
    children: list[dict[str, Any]] | None = None,
    acuteness: str = "ROUTINE",
    crime: bool = False,
) -> dict[str, Any]:
    return {
        "submission_id": "test-submission-0001",
        "channel": "WEB",
        "reporter": REPORTERS[reporter],
        "subjects": subjects if subjects is not None else [person(ADULT)],
        "children_at_risk": children or [],
        "description": "Bekymring for radikalisering.",
        "acuteness": acuteness,
        "crime_suspicion": crime,
    }


def concern(**kwargs: Any) -> ConcernIn:
    return ConcernIn.model_validate(concern_body(**kwargs))


def days(*isodates: str) -> list[date]:
    return [date.fromisoformat(text) for text in isodates]
