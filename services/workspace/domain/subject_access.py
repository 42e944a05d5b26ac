"""A data subject's access request (GDPR art. 15) on the administration pages: the form (CPR number and
reason) as a request or Danish problems beside the fields, what the bundle says about itself, and the bundle
as one JSON file or a ZIP with one JSON file per service. Pure: no I/O."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from contracts.cpr import normalise_cpr
from contracts.subject_access import SubjectAccessBundle, SubjectAccessRequest, holds_cpr

CPR_FIELD = "indsigt-cpr"
REASON_FIELD = "indsigt-reason"
MIN_REASON, MAX_REASON = 10, 500

NOTES_DA = (
    "Udtrækket samler, hvad Infohus har registreret om personen (databeskyttelsesforordningens artikel 15), "
    "fundet på CPR-nummeret: henvendelser (modtagelsen), infohussager og underretninger (sagsstyringen), "
    "videregivelser og modtagelser (videregivelsesloggen) og mails (mailudsendelsen).",
    "Medarbejderes identitet er udeladt (EU-Domstolens dom C-579/21): hvem der har læst, besluttet eller "
    "udført noget, står som rolle eller myndighed.",
    "Andre personer i en henvendelse og anmelderens identitet og kontaktoplysninger er udeladt (andres "
    "oplysninger, artikel 15, stk. 4); kun antallet af andre personer og anmelderens kategori er med.",
    "Nødvendighedsvurderinger i videregivelsesloggen (medarbejdernes egne begrundelser) er udeladt; "
    "videregivelsernes modtager, tidspunkt, hjemmel, formål og kategorier af oplysninger er med.",
    "Anmeldere registreres uden CPR-nummer og findes derfor ikke ved denne søgning.",
    "Gennemgå udtrækket før udlevering: beskrivelser og noter kan nævne andre personer, og oplysninger kan "
    "undtages efter databeskyttelseslovens § 22 (fx hensynet til forebyggelse af strafbare forhold). "
    "Oplysninger, der stammer fra politiet, udleveres først efter høring af politiet.",
)

READ_PURPOSES_DA = {
    "case_handling": "Sagsbehandling", "triage": "Visitation", "underretning_assessment": "Vurdering af underretning",
    "disclosure": "Forberedelse af videregivelse", "follow_up": "Opfølgning", "search": "Søgning",
    "audit": "Revision af videregivelser", "subject_access": "Udtræk til indsigt",
    "rules_replay": "Genafspilning af routingafgørelse",
}
SERVICES_DA = {"intake": "Modtagelsen", "routing": "Sagsstyringen", "audit": "Videregivelsesloggen",
               "notify": "Mailudsendelsen"}

Form = Mapping[str, Sequence[str]]


@dataclass
class ParsedRequest:
    """The request for the services, or the problems that stop it (field id -> Danish message)."""

    request: SubjectAccessRequest | None = None
    problems: dict[str, str] = field(default_factory=dict)


def _first(form: Form, name: str) -> str:
    values = form.get(name) or []
    return values[0].strip() if values else ""


def parse_request(form: Form, request_id: UUID) -> ParsedRequest:
    cpr, reason = _first(form, "cpr"), _first(form, "reason")
    number = normalise_cpr(cpr)
    found = {CPR_FIELD: _cpr_problem(cpr, number), REASON_FIELD: _reason_problem(reason)}
    problems = {field_id: problem for field_id, problem in found.items() if problem}
    if problems or number is None:
        return ParsedRequest(problems=problems)
    try:
        return ParsedRequest(SubjectAccessRequest(request_id=request_id, cpr=number, reason=reason))
    except ValidationError:  # the checks above mirror the contract: a gap between them is said plainly
        return ParsedRequest(problems={"indsigt-form": "Udtrækket kunne ikke laves. Tjek felterne og prøv igen."})


def _cpr_problem(cpr: str, number: str | None) -> str | None:
    if not cpr:
        return "Skriv personens CPR-nummer."
    if number is None:
        return "Skriv CPR-nummeret som 10 cifre, fx 010203-1234."
    return None


def _reason_problem(reason: str) -> str | None:
    if not reason:
        return "Skriv begrundelsen for udtrækket, fx anmodningens journalnummer."
    if len(reason) < MIN_REASON:
        return f"Skriv en begrundelse på mindst {MIN_REASON} tegn."
    if len(reason) > MAX_REASON:
        return f"Begrundelsen må højst være {MAX_REASON} tegn."
    if holds_cpr(reason):
        return "Skriv ikke CPR-numre i begrundelsen."
    return None


def formatted_cpr(cpr: str) -> str:
    return f"{cpr[:6]}-{cpr[6:]}"


def file_name(bundle: SubjectAccessBundle, extension: str) -> str:
    """Named by the request, never by the person: file names end up in download lists and logs."""
    return f"indsigt-{bundle.request_id}.{extension}"


def as_json(bundle: SubjectAccessBundle) -> bytes:
    return bundle.model_dump_json(indent=2).encode()


def as_zip(bundle: SubjectAccessBundle) -> bytes:
    """``oversigt.json`` (the request and the notes) and one file per service, as each answered."""
    overview = bundle.model_dump_json(indent=2, include={"format", "request_id", "created_at", "cpr", "reason",
                                                         "notes_da"})
    files = {"oversigt.json": overview, **{f"{part.service}.json": part.model_dump_json(indent=2)
                                           for part in (bundle.intake, bundle.routing, bundle.audit, bundle.notify)}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_zip_time(bundle.created_at)), text,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
