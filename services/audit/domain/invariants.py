"""The §D3 invariants that a single record can be checked against, plus the §D1/§D2 field rules.

Enforced elsewhere:
- I1 append-only: the store (INSERT/SELECT-only role, a trigger refusing UPDATE/DELETE/TRUNCATE).
- I2 integrity: ``chain.verify_chain`` (gap-free ``seq_no``, recomputed hashes).
- I7 completeness: reconciliation against notifications and the mail-gateway log (service layer).

``DECISION_REJECTED`` records are exempt from the rules about what may lawfully leave (see
``invariant_types.moves_data``) but not from those about the decision: who decided, when, and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

from rules.codes import (
    CooperationForm,
    DisclosureKind,
    LegalBasis,
    OnwardCondition,
    Purpose,
    is_rpl115,
    requires_necessity_assessment,
)
from services.audit.domain.field_rules import FIELD_RULES, Found, Rule
from services.audit.domain.invariant_types import (
    MIN_NECESSITY_LENGTH,
    InvariantContext,
    InvariantViolation,
    has_necessity_assessment,
    moves_data,
    violation,
)
from services.audit.domain.personal_data_patterns import (
    contains_cpr_number,
    contains_ip_address,
    contains_user_agent,
)
from services.audit.domain.record import DisclosureDraft

__all__ = ["InvariantContext", "InvariantViolation", "check_invariants"]

MAX_FREE_TEXT_LENGTH = 2000
FAMILY_RECIPIENTS = frozenset({"PARENT", "RELATIVE"})
FREE_TEXT_FIELDS = ("necessity_assessment", "purpose_description", "legal_basis_note")
# Fields that could carry a person's identity or network data. Version strings and hashes are left out:
# "1.2.3.4" is a fine system_version, and a hex digest may hold ten digits in a row.
IDENTITY_BEARING_FIELDS = (
    "subject_person_ids", "other_person_ids", "executed_by", "decided_by", "recipient_unit",
    "recipient_persons", "transport_ref", "content_manifest", "consent_ref", *FREE_TEXT_FIELDS,
)
REPORTER_IDENTITY_ITEMS = frozenset({
    "name", "role", "workplace", "phone", "email", "work_email", "work_phone", "address",
    "ip", "ip_address", "user_agent", "device", "device_id", "session_id",
})


def check_invariants(
    draft: DisclosureDraft, *, context: InvariantContext | None = None
) -> list[InvariantViolation]:
    """Every rule ``draft`` breaks; an empty list means it may be appended to the log."""
    context = context or InvariantContext()
    return [found for rule in ALL_RULES for found in rule(draft, context)]


def i3_section_115_purpose(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if not is_rpl115(draft.legal_basis):
        return
    if not has_necessity_assessment(draft):
        yield violation(
            "I3", "necessity_assessment",
            da=f"Videregivelse efter § 115 kræver en konkret nødvendighedsvurdering på mindst "
               f"{MIN_NECESSITY_LENGTH} tegn.",
            en=f"A § 115 disclosure needs a necessity assessment of at least {MIN_NECESSITY_LENGTH} "
               "characters.",
        )
    if draft.decided_by is None:
        yield violation(
            "I3", "decided_by",
            da="Videregivelse efter § 115 kræver angivelse af, hvem der vurderede nødvendigheden.",
            en="A § 115 disclosure needs the person who assessed its necessity.",
        )
    if not moves_data(draft):
        return
    if draft.purpose is Purpose.CRIMINAL_REPORT:
        yield violation(
            "I3", "purpose",
            da="Oplysninger må ikke videregives efter § 115 med henblik på efterforskning af straffesager "
               "(stk. 2, 2. pkt.). Brug en anden hjemmel til en anmeldelse.",
            en="§ 115 may not be used for criminal investigation (stk. 2, 2nd sentence); a criminal report "
               "needs another basis.",
        )
    if not draft.not_for_investigation:
        yield violation(
            "I3", "not_for_investigation",
            da="Ved videregivelse efter § 115 skal det bekræftes, at oplysningerne ikke bruges til "
               "efterforskning.",
            en="A § 115 disclosure must assert that the data are not for criminal investigation.",
        )
    if not draft.recipient_is_cooperation_participant:
        yield violation(
            "I3", "recipient_is_cooperation_participant",
            da="Efter § 115 kan der kun videregives til myndigheder og institutioner, der deltager i "
               "samarbejdet.",
            en="Under § 115 only participants in the cooperation may receive the data.",
        )
    if draft.cooperation_form is CooperationForm.NONE:
        yield violation(
            "I3", "cooperation_form",
            da="Videregivelse efter § 115 skal knyttes til SSP-, PSP- eller KSP-samarbejdet.",
            en="A § 115 disclosure must name its cooperation form (SSP, PSP or KSP).",
        )


def i4_section_115a_family(draft: DisclosureDraft, context: InvariantContext) -> Found:
    if draft.legal_basis is not LegalBasis.RPL115A_FAMILY or not moves_data(draft):
        return
    age = draft.subject_age_at_occurrence
    if age is None or age < 18:
        yield violation(
            "I4", "subject_age_at_occurrence",
            da="§ 115 a gælder kun personer, der er fyldt 18 år; alderen skal være kendt.",
            en="§ 115 a applies only to persons aged 18 or over, and the age must be known.",
        )
    if draft.recipient_authority not in FAMILY_RECIPIENTS:
        yield violation(
            "I4", "recipient_authority",
            da="Efter § 115 a kan der kun videregives til forældre eller andre med en lignende tæt relation.",
            en="Under § 115 a the recipient must be a parent or a relative (PARENT or RELATIVE).",
        )
    police = context.is_police(draft.discloser_authority)
    if not (police or context.is_social_authority_unit(draft.discloser_unit)):
        yield violation(
            "I4", "discloser_unit",
            da="Efter § 115 a kan kun politiet og de sociale myndigheder videregive.",
            en="Under § 115 a only the police and the social authorities may disclose.",
        )


def i5_gang_information(draft: DisclosureDraft, context: InvariantContext) -> Found:
    """Gang information comes in from the police under SSP, or goes on with STK5_CONFIDENTIALITY.

    That an onward disclosure has a basis of its own (not RPL115_5_GANG) is the D2 rule
    ``gang_basis_is_receipt_only``.
    """
    if not draft.contains_gang_info or not moves_data(draft):
        return
    if draft.kind is DisclosureKind.RECEIPT:
        from_police = context.is_police(draft.discloser_authority)
        if not from_police or draft.cooperation_form is not CooperationForm.SSP:
            yield violation(
                "I5", "cooperation_form",
                da="Oplysninger om tilknytning til bandemiljøer kan kun modtages fra politiet i "
                   "SSP-samarbejdet (§ 115, stk. 5).",
                en="Gang information may be received only from the police within SSP (§ 115, stk. 5).",
            )
    elif OnwardCondition.STK5_CONFIDENTIALITY not in draft.onward_conditions_communicated:
        yield violation(
            "I5", "onward_conditions_communicated",
            da="Ved videregivelse af bandeoplysninger skal modtageren gøres bekendt med tavshedspligten "
               "efter § 115, stk. 5 (STK5_CONFIDENTIALITY).",
            en="Passing on gang information requires telling the recipient of the § 115, stk. 5 duty of "
               "confidentiality (STK5_CONFIDENTIALITY).",
        )


def i6_sensitive_data(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if not (draft.contains_special_categories or draft.contains_criminal_data):
        return
    external = draft.recipient_authority != draft.discloser_authority
    if external and draft.legal_basis is LegalBasis.INTERNAL_SAME_CONTROLLER and moves_data(draft):
        yield violation(
            "I6", "legal_basis",
            da="Følsomme oplysninger eller oplysninger om strafbare forhold kan ikke videregives til en "
               "ekstern modtager med hjemlen INTERNAL_SAME_CONTROLLER.",
            en="Special-category or criminal data cannot go to an external recipient under "
               "INTERNAL_SAME_CONTROLLER.",
        )
    # Where the basis demands an assessment anyway, that rule reports its absence.
    if not requires_necessity_assessment(draft.legal_basis) and not has_necessity_assessment(draft):
        yield violation(
            "I6", "necessity_assessment",
            da="Følsomme oplysninger eller oplysninger om strafbare forhold kræver en "
               f"nødvendighedsvurdering på mindst {MIN_NECESSITY_LENGTH} tegn.",
            en=f"Special-category or criminal data need a necessity assessment of at least "
               f"{MIN_NECESSITY_LENGTH} characters.",
        )


def i8_time_order(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.occurred_at > draft.recorded_at:
        yield violation(
            "I8", "recorded_at",
            da="En post kan ikke registreres, før videregivelsen fandt sted.",
            en="A record cannot be recorded before the disclosure occurred.",
        )
    # §D3 states this for the § 115 bases; a decision taken after the act is wrong for any basis.
    if draft.decision_at is not None and draft.decision_at > draft.occurred_at:
        yield violation(
            "I8", "decision_at",
            da="Afgørelsen om videregivelse skal være truffet, før videregivelsen fandt sted.",
            en="The decision to disclose must precede the disclosure.",
        )


def i9_minimisation(draft: DisclosureDraft, _: InvariantContext) -> Found:
    """§D3 names necessity_assessment; the same limits hold for every free-text field of the record."""
    for name in FREE_TEXT_FIELDS:
        text = getattr(draft, name)
        if text is None:
            continue
        if len(text) > MAX_FREE_TEXT_LENGTH:
            yield violation(
                "I9", name,
                da=f"Feltet må højst indeholde {MAX_FREE_TEXT_LENGTH} tegn; loggen gemmer ikke sagens "
                   "fortælling.",
                en=f"The field may hold at most {MAX_FREE_TEXT_LENGTH} characters; the log stores no "
                   "narrative.",
            )
        if contains_cpr_number(text):
            yield violation(
                "I9", name,
                da="Feltet indeholder noget, der ligner et CPR-nummer. Brug personens reference i stedet.",
                en="The field contains what looks like a CPR number. Use the person's reference instead.",
            )


def i10_reporter_anonymity(draft: DisclosureDraft, context: InvariantContext) -> Found:
    """For an anonymous reporter no field may identify the reporter or carry network or device data.

    A field is refused if it contains one of ``context.reporter_markers``, an IP address or a
    user-agent string, or (content_manifest) names a reporter identity item such as
    ``concern.reporter.email``.
    """
    if not context.reporter_anonymous:
        return
    markers = [marker.casefold() for marker in context.reporter_markers]
    for name in DisclosureDraft.model_fields:
        texts = list(_free_strings_of(getattr(draft, name)))
        if any(marker in text.casefold() for text in texts for marker in markers):
            yield _anonymity_violation(name, "en identifikator for den anonyme anmelder",
                                       "an identifier of the anonymous reporter")
        elif name in IDENTITY_BEARING_FIELDS and any(_carries_network_data(text) for text in texts):
            yield _anonymity_violation(name, "en IP-adresse eller enhedsdata", "an IP address or device data")
    if any(_names_reporter_identity(item) for item in draft.content_manifest):
        yield _anonymity_violation("content_manifest", "anmelderens identitetsoplysninger",
                                   "the reporter's identity data")


def _anonymity_violation(field: str, what_da: str, what_en: str) -> InvariantViolation:
    return violation(
        "I10", field,
        da=f"Anmelderen er anonym, men feltet indeholder {what_da}.",
        en=f"The reporter is anonymous, but the field contains {what_en}.",
    )


def _free_strings_of(value: object) -> Iterator[str]:
    """The strings a field holds, leaving out codes: a code list value cannot identify anyone."""
    items = value if isinstance(value, tuple) else (value,)
    yield from (item for item in items if isinstance(item, str) and not isinstance(item, Enum))


def _carries_network_data(text: str) -> bool:
    return contains_ip_address(text) or contains_user_agent(text)


def _names_reporter_identity(manifest_item: str) -> bool:
    segments = [segment for segment in _split_path(manifest_item.casefold()) if segment]
    return "reporter" in segments and not REPORTER_IDENTITY_ITEMS.isdisjoint(segments)


def _split_path(item: str) -> list[str]:
    for separator in "/:[]":
        item = item.replace(separator, ".")
    return item.split(".")


INVARIANT_RULES: tuple[Rule, ...] = (
    i3_section_115_purpose,
    i4_section_115a_family,
    i5_gang_information,
    i6_sensitive_data,
    i8_time_order,
    i9_minimisation,
    i10_reporter_anonymity,
)
ALL_RULES: tuple[Rule, ...] = (*FIELD_RULES, *INVARIANT_RULES)
