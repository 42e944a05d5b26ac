""""Samme person" on the case page: the forms that link a concern to the case (by its reference) and unlink
one that joined it, each with a reason. Pure: what was submitted becomes routing's body, or Danish problems."""

from __future__ import annotations

import re

from services.workspace.domain.forms import Form, Parsed, first

REFERENCE = re.compile(r"^[A-Za-z]{2,4}-[0-9A-Za-z-]{4,28}$")
REASON_LENGTH = (5, 500)
MATCHES = {"OPENED": "Oprettede sagen", "CPR": "Samme CPR-nummer", "NAME_DOB": "Samme navn og fødselsdato",
           "MANUAL": "Knyttet af en tovholder"}


def _reason(form: Form, out: Parsed, field_id: str) -> None:
    reason = " ".join(first(form, "reason").split())
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high:
        out.problems[field_id] = f"Skriv en begrundelse på {low} til {high} tegn."
    out.body["reason"] = reason


def parse_link(form: Form) -> Parsed:
    out = Parsed()
    reference = first(form, "reference").upper()
    if not REFERENCE.match(reference):
        out.problems["link-reference"] = "Skriv henvendelsens reference, fx IH-2026-AB12-CD34."
    out.body["reference"] = reference
    subject = first(form, "subject") or "1"
    if not subject.isdigit() or not 1 <= int(subject) <= 99:
        out.problems["link-subject"] = "Skriv personens nummer i henvendelsen (1 for den første)."
    else:
        out.body["subject_index"] = int(subject) - 1
    _reason(form, out, "link-reason")
    return out


def parse_unlink(form: Form, concern_id: str) -> Parsed:
    out = Parsed()
    subject = first(form, "subject_index") or "0"
    out.body["subject_index"] = int(subject) if subject.isdigit() else 0
    _reason(form, out, f"unlink-reason-{concern_id}")
    return out
