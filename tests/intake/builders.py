"""Concern bodies for the intake tests."""

from __future__ import annotations

import uuid
from typing import Any


def submission_id(prefix: str = "web") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def concern_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submission_id": submission_id(),
        "channel": "WEB",
        "reporter": {"category": "CITIZEN", "name": "Anna Jensen", "email": "anna.jensen@example.org"},
        "subjects": [{"stated_age": 16, "municipality": "Ishøj", "name": "Mads Nielsen"}],
        "description": "Min nabos søn på 16 taler om vold mod anderledes tænkende.",
        "warning_signs": ["IND_CONTEMPT_INTOLERANCE", "SOC_ISOLATION"],
        "acuteness": "ROUTINE",
        "crime_suspicion": False,
    }
    body.update(overrides)
    return body


def anonymous_body(**overrides: Any) -> dict[str, Any]:
    return concern_body(reporter={"category": "ANONYMOUS"}, **overrides)
