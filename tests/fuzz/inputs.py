"""What the fuzzer sends, and what the answer must be.

An input names its target (the JSON API, the public form, the staff phone form), how it was made (``kind``,
used in the counts), the outcome it must have (``Expect``) and the personal values it carries, which must
never appear in a log record, a span or an API error answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

SID = "fuzzsid-PLACEHOLDER"
"""Stands for a fresh submission id, put in when the input is sent (so that a replayed example is new)."""


class Target(StrEnum):
    API = "api"
    PUBLIC_FORM = "public_form"
    STAFF_FORM = "staff_form"


class Expect(StrEnum):
    ACCEPT = "accept"
    """Really valid: 2xx, exactly one concern and one outbox row stored (sent twice: the same receipt, nothing
    more stored)."""
    NOOP = "noop"
    """A valid request that stores nothing (a form's "add a person"): 2xx, nothing stored."""
    REJECT = "reject"
    """Invalid or not allowed: 4xx, nothing stored."""
    CONSISTENT = "consistent"
    """Validity depends on a parser's leniency (form encodings, Unicode digits): never 5xx, and stored
    exactly when the answer is a receipt."""


class Auth(StrEnum):
    NONE = "none"
    INTAKE = "intake"
    """API: an intake staff member's bearer token; forms: the development login's session cookie."""
    OTHER_ROLE = "other_role"
    GARBAGE = "garbage"
    PARTNER = "partner"
    """API: a partner authority's bearer token (the partner channel)."""


class Csrf(StrEnum):
    VALID = "valid"
    MISSING = "missing"
    FORGED = "forged"
    OTHER_NONCE = "other_nonce"
    CROSS_SITE = "cross_site"
    NO_COOKIE = "no_cookie"


@dataclass
class FuzzInput:
    target: Target
    kind: str
    expect: Expect
    body: bytes = b""
    content_type: str | None = "application/json"
    form: list[tuple[str, str]] | None = None
    """Form fields, encoded at send time (urlencoded or, with ``multipart``, multipart/form-data)."""
    multipart: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    auth: Auth = Auth.NONE
    csrf: Csrf = Csrf.VALID
    stream: bool = False
    """Send the body in chunks without a Content-Length."""
    repeat: bool = False
    """Send twice: the second answer must be the same receipt, with nothing more stored."""
    personal: list[str] = field(default_factory=list)
    markup: list[str] = field(default_factory=list)
    """HTML/JS payloads in the input that a page must never show unescaped."""
    stored_text: dict[str, str] = field(default_factory=dict)
    """For accepted API inputs: dotted path -> the text that must be stored exactly (injection strings)."""
    never_stored: list[str] = field(default_factory=list)
    """Values the target must ignore (a CPR number on the public form)."""

    def with_submission_id(self) -> tuple[bytes, list[tuple[str, str]] | None, str]:
        """The body and form with a fresh submission id in place of ``SID``."""
        fresh = f"fuzz-{uuid.uuid4().hex}"
        body = self.body.replace(SID.encode(), fresh.encode())
        form = None if self.form is None else [(k, v.replace(SID, fresh)) for k, v in self.form]
        return body, form, fresh
