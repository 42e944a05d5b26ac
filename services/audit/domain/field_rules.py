"""The "Req." column of §D1 (code "D1") and the requirements written into the §D2 code lists (code "D2").

Where a §D3 invariant already demands a field (I3 for the RPL115_* bases), the rule lives there only,
so one defect gives one violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rules.codes import (
    ORAL_CHANNELS,
    RPL115_POLICE_ONLY_BASES,
    DisclosureKind,
    LegalBasis,
    SourceOfData,
    is_rpl115,
    is_section_115,
    requires_necessity_assessment,
)
from services.audit.domain.invariant_types import (
    MIN_NECESSITY_LENGTH,
    InvariantContext,
    InvariantViolation,
    has_necessity_assessment,
    moves_data,
    violation,
)
from services.audit.domain.record import DisclosureDraft
from services.audit.domain.retention_rules import MIN_RETENTION_YEARS, statutory_minimum

Found = Iterator[InvariantViolation]
Rule = Callable[[DisclosureDraft, InvariantContext], Found]


def case_reference(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.concern_id is None and draft.infohus_case_id is None and draft.underretning_id is None:
        yield violation(
            "D1", "concern_id/infohus_case_id/underretning_id",
            da="Posten skal henvise til mindst én henvendelse, infohussag eller underretning.",
            en="The record must reference at least one concern, infohus case or underretning.",
        )


def section_115_decision(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if not is_section_115(draft.legal_basis):
        return
    if draft.decision_at is None:
        yield violation(
            "D1", "decision_at",
            da="Ved videregivelse efter retsplejelovens § 115 eller § 115 a skal tidspunktet for "
               "nødvendighedsvurderingen angives.",
            en="A disclosure under § 115 or § 115 a needs the time of the necessity decision.",
        )


def decision_maker_for_basis(draft: DisclosureDraft, _: InvariantContext) -> Found:
    """The bases that need a necessity assessment (§ 115 a, databeskyttelseslovens § 8) need the person who
    made it: who decided is derived from the basis, not left to the caller. For RPL115_* it is part of I3."""
    if is_rpl115(draft.legal_basis) or not requires_necessity_assessment(draft.legal_basis):
        return
    if draft.decided_by is None:
        yield violation(
            "D1", "decided_by",
            da=f"Ved videregivelse med hjemlen {draft.legal_basis} skal det angives, hvem der vurderede "
               "nødvendigheden og traf afgørelsen (decided_by).",
            en=f"A disclosure under {draft.legal_basis} needs the person who assessed its necessity and "
               "decided (decided_by).",
        )


def retention_not_before_minimum(draft: DisclosureDraft, _: InvariantContext) -> Found:
    minimum = statutory_minimum(draft.occurred_at)
    if draft.retention_until < minimum:
        yield violation(
            "D1", "retention_until",
            da=f"Posten skal opbevares mindst {MIN_RETENTION_YEARS} år efter videregivelsen, dvs. til og med "
               f"{minimum.isoformat()} eller senere.",
            en=f"The record must be kept at least {MIN_RETENTION_YEARS} years after the disclosure: "
               f"retention_until {minimum.isoformat()} or later.",
        )


def necessity_for_basis(draft: DisclosureDraft, _: InvariantContext) -> Found:
    # RPL115_* is covered by I3.
    if is_rpl115(draft.legal_basis) or not requires_necessity_assessment(draft.legal_basis):
        return
    if not has_necessity_assessment(draft):
        yield violation(
            "D1", "necessity_assessment",
            da=f"Hjemlen {draft.legal_basis} kræver en begrundet nødvendighedsvurdering på mindst "
               f"{MIN_NECESSITY_LENGTH} tegn.",
            en=f"Legal basis {draft.legal_basis} needs a necessity assessment of at least "
               f"{MIN_NECESSITY_LENGTH} characters.",
        )


def content_hash_unless_oral(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.content_hash is None and draft.channel not in ORAL_CHANNELS and moves_data(draft):
        yield violation(
            "D1", "content_hash",
            da="Ved skriftlig videregivelse skal SHA-256-hashen af det videregivne indhold angives.",
            en="A written disclosure needs the SHA-256 hash of exactly what was sent.",
        )


def note_for_reviewed_basis(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.legal_basis is LegalBasis.OTHER_REVIEWED and draft.legal_basis_note is None:
        yield violation(
            "D1", "legal_basis_note",
            da="Hjemlen OTHER_REVIEWED kræver en note med hjemlen og henvisning til den juridiske "
               "godkendelse.",
            en="Legal basis OTHER_REVIEWED needs a note giving the basis and the lawyer's sign-off "
               "reference.",
        )


def correction_reference(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.kind is not DisclosureKind.CORRECTION:
        return
    if draft.corrects_record_id is None:
        yield violation(
            "D1", "corrects_record_id",
            da="En rettelse skal henvise til den post, der rettes.",
            en="A correction must reference the record it corrects.",
        )
    elif draft.corrects_record_id == draft.record_id:
        yield violation(
            "D1", "corrects_record_id",
            da="En rettelse kan ikke rette sig selv.",
            en="A correction cannot correct itself.",
        )


def onward_conditions_for_disclosure(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.kind is DisclosureKind.DISCLOSURE and not draft.onward_conditions_communicated:
        yield violation(
            "D1", "onward_conditions_communicated",
            da="Ved videregivelse skal det angives, hvilke vilkår modtageren fik oplyst "
               "(fx tavshedspligt og forbud mod videregivelse).",
            en="A disclosure must state the conditions communicated to the recipient "
               "(e.g. confidentiality, no onward disclosure).",
        )


def source_record_for_onward_disclosure(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.source_of_data is SourceOfData.RECEIVED_UNDER_RPL115 and draft.source_record_id is None:
        yield violation(
            "D1", "source_record_id",
            da="Oplysninger modtaget efter § 115 skal henvise til posten for modtagelsen.",
            en="Data received under § 115 must reference the record of that receipt.",
        )


def police_only_bases(draft: DisclosureDraft, context: InvariantContext) -> Found:
    if draft.legal_basis in RPL115_POLICE_ONLY_BASES and moves_data(draft) \
            and not context.is_police(draft.discloser_authority):
        yield violation(
            "D2", "discloser_authority",
            da=f"Hjemlen {draft.legal_basis} (§ 115, stk. 1 eller stk. 5) kan kun bruges, når politiet "
               "videregiver.",
            en=f"Legal basis {draft.legal_basis} (§ 115, stk. 1 or 5) applies only when the police disclose.",
        )


def gang_basis_is_receipt_only(draft: DisclosureDraft, _: InvariantContext) -> Found:
    if draft.legal_basis is LegalBasis.RPL115_5_GANG and moves_data(draft) \
            and draft.kind is not DisclosureKind.RECEIPT:
        yield violation(
            "D2", "legal_basis",
            da="Hjemlen RPL115_5_GANG gælder kun modtagelse fra politiet; videregivelse kræver en "
               "selvstændig hjemmel.",
            en="Legal basis RPL115_5_GANG is for receipts from the police only; passing the data on needs a "
               "basis of its own.",
        )


def review_date_for_deferral(draft: DisclosureDraft, _: InvariantContext) -> Found:
    # §D1: DEFERRED_DBL22_2_4 "(+ review_at)": a deferral names when it is reviewed (Q14 lists the overdue).
    if draft.subject_information_status.startswith("DEFERRED_") and draft.review_at is None:
        yield violation(
            "D1", "review_at",
            da="Når underretningen af den registrerede udsættes, skal det angives, hvornår udsættelsen "
               "tages op igen (review_at).",
            en="A deferred subject information needs the date it is reviewed (review_at).",
        )


def request_reference_for_pet(draft: DisclosureDraft, _: InvariantContext) -> Found:
    # §D2: PETL4_ON_REQUEST needs the reference of PET's request (``request_ref``).
    if draft.legal_basis is LegalBasis.PETL4_ON_REQUEST and draft.request_ref is None:
        yield violation(
            "D2", "request_ref",
            da="Hjemlen PETL4_ON_REQUEST kræver en henvisning til PET's anmodning (request_ref).",
            en="Legal basis PETL4_ON_REQUEST needs the reference of PET's request (request_ref).",
        )


FIELD_RULES: tuple[Rule, ...] = (
    case_reference,
    section_115_decision,
    decision_maker_for_basis,
    retention_not_before_minimum,
    necessity_for_basis,
    content_hash_unless_oral,
    note_for_reviewed_basis,
    correction_reference,
    onward_conditions_for_disclosure,
    source_record_for_onward_disclosure,
    police_only_bases,
    gang_basis_is_receipt_only,
    review_date_for_deferral,
    request_reference_for_pet,
)
