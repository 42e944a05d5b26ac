"""The RECEIPT record of a concern from a partner authority (docs/legal.md §B1 Reporter, §D1, §D2).

When a partner authority (the police, another municipality, the region, Kriminalforsorgen) tells the infohus
about a person, the municipality *receives* personal data from another authority, and the disclosure log
records that receipt: kind RECEIPT, the authority as discloser (the source), the municipality's infohus as
recipient, and the legal basis of the authority's own duty or power to pass the data on:

- a possible minor named in the concern: barnets lov § 133 (BL133_UNDERRETNING). The authority's employees
  are public employees with the personal duty to notify, whichever channel they report through;
- otherwise, an exchange in the § 115 cooperation the authority names, when it takes part in that
  cooperation by the municipality's register (``cooperation_participants``): the police under § 115, stk. 1
  (RPL115_1_1_SSP, _1_2_PSP, _1_3A/B/C_KSP), another participant under § 115, stk. 2 (RPL115_2), with the
  authority's necessity assessment and the reporter (or the signed-in partner user) as who assessed it;
- otherwise the basis is not established by what the authority stated: OTHER_REVIEWED with a note saying so,
  for the municipality's legal function to review (Q-queries list OTHER_REVIEWED records). The receipt is
  still recorded: it happened.

It is made for every concern whose reporter is PARTNER_AUTHORITY, whether the authority submitted it
through the partner channel or intake staff registered it from a call, mail, letter or visit. Built from the
concern as submitted (routing keeps no reporter details) at the moment routing first handles it.
"""

from __future__ import annotations

from uuid import UUID

from contracts.concern import Channel, PartnerAuthority, PartnerCooperationForm, Reporter, ReporterCategory
from contracts.events import DisclosureRecorded
from rules.codes import (
    CooperationForm,
    DisclosureChannel,
    DisclosureKind,
    LegalBasis,
    Purpose,
    SourceOfData,
    SubjectInformationStatus,
)
from rules.config import MunicipalityConfig
from services.routing.domain.disclosures import DISCLOSER_AUTHORITY, SystemInfo, record_id_for, years_after
from services.routing.domain.facts import ConcernFacts

_FIXED_CODES = {
    PartnerAuthority.MUNICIPALITY: "OTHER_MUNICIPALITY",
    PartnerAuthority.REGION: "REGION",
    PartnerAuthority.KRIMINALFORSORGEN: "KRIMINALFORSORGEN",
}
POLICE_FALLBACK_CODE = "POLITI"
AUTHORITY_DA = {
    PartnerAuthority.POLICE: "politiet",
    PartnerAuthority.MUNICIPALITY: "en anden kommune",
    PartnerAuthority.REGION: "regionen",
    PartnerAuthority.KRIMINALFORSORGEN: "Kriminalforsorgen",
}
POLICE_BASES = {
    PartnerCooperationForm.SSP: LegalBasis.RPL115_1_1_SSP,
    PartnerCooperationForm.PSP: LegalBasis.RPL115_1_2_PSP,
    PartnerCooperationForm.KSP_A: LegalBasis.RPL115_1_3A_KSP,
    PartnerCooperationForm.KSP_B: LegalBasis.RPL115_1_3B_KSP,
    PartnerCooperationForm.KSP_C: LegalBasis.RPL115_1_3C_KSP,
}
CHANNELS = {
    Channel.PARTNER: DisclosureChannel.SYSTEM_SHARE,
    Channel.WEB: DisclosureChannel.SYSTEM_SHARE,
    Channel.PHONE: DisclosureChannel.PHONE,
    Channel.IN_PERSON: DisclosureChannel.MEETING_ORAL,
    Channel.LETTER: DisclosureChannel.LETTER,
    Channel.EMAIL: DisclosureChannel.SECURE_EMAIL,
}
UNSTATED_BASIS_NOTE = ("Samarbejdsmyndigheden har ikke angivet et § 115-samarbejde, den deltager i, med en "
                       "nødvendighedsvurdering. Hjemlen for modtagelsen skal vurderes af den juridiske funktion.")


def authority_code(authority: PartnerAuthority, config: MunicipalityConfig) -> str:
    """The log's code for the authority: the police participant of the municipality's register for the police."""
    if authority is PartnerAuthority.POLICE:
        return next((p.code for p in config.cooperation_participants if p.police), POLICE_FALLBACK_CODE)
    return _FIXED_CODES[authority]


def takes_part(code: str, form: PartnerCooperationForm, config: MunicipalityConfig) -> bool:
    return any(p.code == code and form.value in p.forms for p in config.cooperation_participants)


def partner_receipt(facts: ConcernFacts, reporter: Reporter, *, channel: Channel, recorded_by: str | None,
                    case_id: UUID | None, config: MunicipalityConfig, system: SystemInfo) -> DisclosureRecorded | None:
    """The RECEIPT record of a partner authority's concern; None for any other reporter."""
    if reporter.category is not ReporterCategory.PARTNER_AUTHORITY or reporter.authority is None:
        return None
    code = authority_code(reporter.authority, config)
    received = facts.received_at
    entered_by = recorded_by or "system:intake"
    executed_by = f"{entered_by} ({'partner' if channel is Channel.PARTNER else 'intake'})"
    subjects = [p.person_id for p in facts.persons if p.path.startswith("subjects")]
    others = [p.person_id for p in facts.persons if not p.path.startswith("subjects")]
    fields: dict[str, object] = {}
    form = reporter.cooperation_form
    who = AUTHORITY_DA[reporter.authority]
    if facts.minor_possible:
        fields = {"legal_basis": LegalBasis.BL133_UNDERRETNING, "purpose": Purpose.CHILD_WELFARE_ASSESSMENT,
                  "purpose_description": f"Underretning efter barnets lov § 133 modtaget fra {who}"}
    elif form is not None and reporter.necessity_assessment and takes_part(code, form, config):
        police = reporter.authority is PartnerAuthority.POLICE
        fields = {"legal_basis": POLICE_BASES[form] if police else LegalBasis.RPL115_2,
                  "cooperation_form": CooperationForm(form.value), "purpose": Purpose.INFOHUS_TRIAGE,
                  "purpose_description": f"Oplysninger modtaget fra {who} i {form.value}-samarbejdet til "
                                         "Infohus' triage",
                  "not_for_investigation": True, "necessity_assessment": reporter.necessity_assessment,
                  "decided_by": (reporter.name or entered_by)[:200], "decision_at": received,
                  "recipient_is_cooperation_participant": True}
    else:
        fields = {"legal_basis": LegalBasis.OTHER_REVIEWED, "legal_basis_note": UNSTATED_BASIS_NOTE,
                  "purpose": Purpose.INFOHUS_TRIAGE,
                  "purpose_description": f"Bekymringshenvendelse modtaget fra {who} til Infohus' triage"}
    return DisclosureRecorded.model_validate({
        "record_id": record_id_for(facts.concern_id, "partner-receipt"),
        "kind": DisclosureKind.RECEIPT,
        "occurred_at": received,
        "concern_id": facts.concern_id,
        "infohus_case_id": case_id,
        "subject_person_ids": subjects,
        "subject_cpr_hmacs": facts.cpr_hmacs(subjects),
        "other_person_ids": others,
        "discloser_authority": code,
        "discloser_unit": "PARTNER_REPORTER",
        "executed_by": executed_by[:200],
        "recipient_authority": DISCLOSER_AUTHORITY,
        "recipient_unit": "CBF_TK",
        "channel": CHANNELS[channel],
        "content_hash": facts.content_hash,
        "content_manifest": [f"concern:{facts.concern_id}"],
        "data_categories": list(facts.data_categories),
        "source_of_data": SourceOfData.OTHER_AUTHORITY,
        "subject_information_status": SubjectInformationStatus.PENDING,
        "reporter_anonymous": facts.reporter_anonymous,
        "retention_until": years_after(received.date(), system.retention_years),
        "routing_table_version": facts.config_version,
        "system_version": system.system_version,
        **fields,
    })
