"""The disclosure form: what a tovholder states about a disclosure or a receipt, plus what the case says
(``DisclosureDraft``), becomes one record for the disclosure log. Audit checks the invariants; this module
only checks that the form is complete and says so in Danish beside the field. Pure: no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.workspace.adapters.views import DisclosureDraft
from services.workspace.domain import labels as L
from services.workspace.domain.forms import DISCLOSURE_CHANNELS, Form, Parsed, chosen, first, local_moment

ORAL = frozenset({"MEETING_ORAL", "PHONE"})
MAX_TEXT = 2000

# Where audit's refusal of a field is shown on the form.
FIELD_OF = {
    "legal_basis": "d-basis", "legal_basis_note": "d-note", "cooperation_form": "d-form", "purpose": "d-purpose",
    "purpose_description": "d-description", "not_for_investigation": "d-purpose",
    "necessity_assessment": "d-necessity", "decided_by": "d-decided", "recipient_authority": "d-counterpart",
    "recipient_is_cooperation_participant": "d-counterpart", "discloser_authority": "d-counterpart",
    "data_categories": "d-categories", "occurred_at": "d-occurred", "decision_at": "d-decision",
    "channel": "d-channel", "subject_age_at_occurrence": "d-basis",
}


def counterparts(draft: DisclosureDraft) -> dict[str, str]:
    return {p.code: p.name for p in draft.cooperation_participants} | L.OTHER_RECIPIENTS


def parse_disclosure(form: Form, draft: DisclosureDraft, *, user: str, now: datetime, record_id: UUID) -> Parsed:
    out = Parsed()
    kind = first(form, "kind")
    if kind not in ("DISCLOSURE", "RECEIPT"):
        out.problems["d-kind"] = "Vælg om oplysningerne videregives eller modtages."
    bases = L.LEGAL_BASES_RECEIPT if kind == "RECEIPT" else L.LEGAL_BASES_DISCLOSURE
    basis = first(form, "legal_basis")
    if basis not in bases:
        out.problems["d-basis"] = ("Vælg en hjemmel, der passer til en modtagelse." if kind == "RECEIPT"
                                   else "Vælg en hjemmel, der passer til en videregivelse.")
    counterpart = _counterpart(form, draft, out)
    purpose = first(form, "purpose")
    if purpose not in L.PURPOSES:
        out.problems["d-purpose"] = "Vælg formålet."
    description = first(form, "purpose_description")
    if not description:
        out.problems["d-description"] = "Beskriv kort, hvad oplysningerne bruges til."
    form_code = first(form, "cooperation_form") or "NONE"
    if form_code not in L.COOPERATION_FORMS:
        out.problems["d-form"] = "Vælg samarbejdsformen."
    channel = first(form, "channel")
    if channel not in DISCLOSURE_CHANNELS:
        out.problems["d-channel"] = "Vælg hvordan."
    categories = chosen(form, "data_categories", L.DATA_CATEGORIES)
    if not categories:
        out.problems["d-categories"] = "Vælg mindst én kategori af oplysninger."
    necessity = first(form, "necessity_assessment")
    if len(necessity) > MAX_TEXT:
        out.problems["d-necessity"] = "Nødvendighedsvurderingen må højst være 2.000 tegn."
    occurred = _moment(form, "occurred", now, out, "d-occurred")
    decided = _moment(form, "decision", now, out, "d-decision")
    if out.problems or occurred is None or decided is None:
        return out
    out.body = _record(draft, kind=kind, basis=basis, counterpart=counterpart, purpose=purpose,
                       description=description, form_code=form_code, channel=channel, categories=categories,
                       necessity=necessity, decided_by=first(form, "decided_by") or user, user=user,
                       note=first(form, "legal_basis_note") or None, occurred=occurred, decided=decided,
                       record_id=record_id)
    return out


def _counterpart(form: Form, draft: DisclosureDraft, out: Parsed) -> str:
    code = first(form, "counterpart")
    if code not in counterparts(draft):
        out.problems["d-counterpart"] = "Vælg modtager eller afsender."
        return code
    if code == "OTHER_MUNICIPALITY":
        name = first(form, "counterpart_name")
        if not name:
            out.problems["d-counterpart"] = "Skriv hvilken kommune."
        return f"OTHER_MUNICIPALITY:{name}"
    return code


def _moment(form: Form, prefix: str, now: datetime, out: Parsed, field_id: str) -> datetime | None:
    moment = local_moment(first(form, f"{prefix}_date"), first(form, f"{prefix}_time"), now=now)
    if isinstance(moment, str):
        out.problems[field_id] = moment
        return None
    return moment


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _record(draft: DisclosureDraft, *, kind: str, basis: str, counterpart: str, purpose: str, description: str,
            form_code: str, channel: str, categories: list[str], necessity: str, decided_by: str, user: str,
            note: str | None, occurred: datetime, decided: datetime, record_id: UUID) -> dict[str, Any]:
    """The record audit appends. Audit records the signed-in person as the one who executed it; whether the
    counterpart takes part in the cooperation is derived from the municipality's register, never stated by
    the person."""
    participant = counterpart in {p.code for p in draft.cooperation_participants}
    receipt = kind == "RECEIPT"
    section_115 = basis.startswith("RPL115_")
    discloser, unit = (counterpart, "UNKNOWN") if receipt else (draft.discloser_authority, draft.discloser_unit)
    recipient = draft.discloser_authority if receipt else counterpart
    conditions = [] if receipt else ["CONFIDENTIALITY", "NO_ONWARD_DISCLOSURE_WITHOUT_BASIS",
                                     *(["NO_INVESTIGATION_USE"] if section_115 else [])]
    return {
        "record_id": str(record_id), "kind": kind, "occurred_at": occurred.isoformat(),
        "decision_at": min(decided, occurred).isoformat() if not receipt else None,
        "concern_id": str(draft.concern_id), "infohus_case_id": str(draft.infohus_case_id),
        "subject_person_ids": draft.subject_person_ids, "subject_cpr_hmacs": draft.subject_cpr_hmacs,
        "discloser_authority": discloser, "discloser_unit": unit,
        "decided_by": None if receipt else decided_by, "recipient_authority": recipient,
        "recipient_is_cooperation_participant": participant or receipt, "channel": channel,
        "content_hash": None if channel in ORAL else draft.content_hash,
        "content_manifest": draft.content_manifest, "legal_basis": basis, "cooperation_form": form_code,
        "legal_basis_note": note, "purpose": purpose, "purpose_description": description,
        "not_for_investigation": purpose != "CRIMINAL_REPORT", "necessity_assessment": necessity or None,
        "data_categories": categories, "source_of_data": "OTHER_AUTHORITY" if receipt else "REPORTER",
        "onward_conditions_communicated": conditions, "subject_information_status": "PENDING",
        "reporter_anonymous": draft.reporter_anonymous,
        "retention_until": _years_after(occurred.date(), draft.retention_years).isoformat(),
        "routing_table_version": draft.routing_table_version, "system_version": draft.system_version,
    }

