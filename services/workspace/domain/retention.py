"""The page of legal holds and retention: Danish words, and the set and lift forms as API bodies or Danish
problems beside their fields. Pure."""

from __future__ import annotations

from services.workspace.domain.forms import Form, Parsed, first

SCOPES_DA = {"CASE": "En infohussag", "CONCERN": "En henvendelse", "PERSON": "En person"}
SCOPE_NOUNS_DA = {"CASE": "Sag", "CONCERN": "Henvendelse", "PERSON": "Person"}
SERVICES_DA = {"routing": "Sager (fordeling)", "intake": "Henvendelser (modtagelse)", "notify": "Mails",
               "audit": "Videregivelsesloggen"}
CATEGORIES_DA = {
    "concerns": "Henvendelser", "cases": "Infohussager", "underretninger": "Underretninger",
    "read_access_log": "Rækker i loggen over adgang til personoplysninger",
    "outbox": "Afsendte hændelser", "lifted_legal_holds": "Ophævede sletteforbud (efter 5 år)",
    "deliveries": "Sendte mails", "disclosure_payloads": "Indholdet af videregivelser (kæden bevares)",
}
REASON_MIN, REASON_MAX = 5, 500

# Routing's refusals (English, no personal data) as Danish problems beside the field they concern.
_REFUSALS = (
    ("CPR number", "hold-target", "Skriv personens CPR-nummer med 10 cifre."),
    ("case is held by its id", "hold-target", "Skriv sagens id, som det står på sagens side."),
    ("no infohus case", "hold-target", "Der findes ingen sag med det id. Den kan være slettet."),
    ("no concern", "hold-target", "Der findes ingen henvendelse med det id eller den reference. Den kan være slettet."),
    ("reason", "hold-reason", f"Skriv en begrundelse på {REASON_MIN} til {REASON_MAX} tegn."),
    ("lifted already", "holds-form", "Sletteforbuddet er allerede ophævet."),
    ("no legal hold", "holds-form", "Sletteforbuddet findes ikke."),
)


def _reason_problem(reason: str) -> str | None:
    if REASON_MIN <= len(reason) <= REASON_MAX:
        return None
    return f"Skriv en begrundelse på {REASON_MIN} til {REASON_MAX} tegn."


def parse_hold(form: Form) -> Parsed:
    scope, target, reason = first(form, "scope"), first(form, "target"), first(form, "reason")
    parsed = Parsed(body={"scope": scope, "target": target, "reason": reason})
    if scope not in SCOPES_DA:
        parsed.problems["hold-scope"] = "Vælg, hvad sletteforbuddet gælder."
    if not target:
        parsed.problems["hold-target"] = "Skriv sagens id, henvendelsens reference eller personens CPR-nummer."
    if (problem := _reason_problem(reason)) is not None:
        parsed.problems["hold-reason"] = problem
    return parsed


def parse_lift(form: Form, field_id: str) -> Parsed:
    reason = first(form, "reason")
    parsed = Parsed(body={"reason": reason})
    if (problem := _reason_problem(reason)) is not None:
        parsed.problems[field_id] = problem
    return parsed


def refusal_problems(status: int, detail: object, *, reason_field: str = "hold-reason") -> dict[str, str]:
    text = str(detail or "")
    for fragment, field_id, danish in _REFUSALS:
        if fragment in text:
            return {reason_field if field_id == "hold-reason" else field_id: danish}
    if status == 403:
        return {"holds-form": "Din rolle giver ikke adgang til at sætte eller ophæve sletteforbud."}
    return {"holds-form": "Handlingen kunne ikke gennemføres. Prøv igen."}
