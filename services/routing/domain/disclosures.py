"""The disclosure records routing emits (docs/legal.md §D1), built from stored facts only.

- INTERNAL_TRANSFER: the concern goes to the infohus (TK) and, for children, to StraXen; same controller.
- DISCLOSURE to another municipality: when a tovholder confirms a forwarding (R10), never automatically.
  Basis: barnets lov § 132 (mellemkommunal) when children are concerned, else forvaltningsloven § 7, stk. 2.
- DISCLOSURE / DECISION_REJECTED to the police: the tovholder's decision on a DISCLOSURE_PROPOSED task.

Every record carries ``reporter_anonymous`` from the concern's reporter category (invariant I10).
``review_at`` and ``request_ref`` stay empty: routing records subject information only as PENDING (it never
defers it, so there is no review date), and none of its disclosures answers a request (PETL4_ON_REQUEST).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid5

from contracts.events import DisclosureRecorded
from rules.codes import (
    ORAL_CHANNELS,
    CooperationForm,
    DisclosureChannel,
    DisclosureKind,
    LegalBasis,
    OnwardCondition,
    Purpose,
    SourceOfData,
    SubjectInformationStatus,
)
from services.routing.domain.actors import Actor
from services.routing.domain.errors import InvalidCommand
from services.routing.domain.facts import ConcernFacts

DISCLOSER_AUTHORITY = "ISHOEJ_KOMMUNE"
POLICE_INFOHUS = "KBHV_POLITI_INFOHUS"
MIN_NECESSITY_LENGTH = 30
MAX_FREE_TEXT_LENGTH = 2000
COOPERATION_FORMS = frozenset(CooperationForm) - {CooperationForm.NONE}
STANDARD_ONWARD_CONDITIONS = [OnwardCondition.CONFIDENTIALITY, OnwardCondition.NO_ONWARD_DISCLOSURE_WITHOUT_BASIS]


class PoliceDisclosureBasis(StrEnum):
    """The bases a tovholder may choose for passing an acute concern to the police."""

    RPL115_2 = "RPL115_2"
    GDPR_VITAL_INTEREST = "GDPR_VITAL_INTEREST"
    DBL8_2_3_NECESSARY_FOR_AUTHORITY = "DBL8_2_3_NECESSARY_FOR_AUTHORITY"
    OTHER_REVIEWED = "OTHER_REVIEWED"


@dataclass(frozen=True)
class SystemInfo:
    retention_years: int
    system_version: str


def internal_transfer(facts: ConcernFacts, *, to_child_welfare: bool, record_id: UUID, case_id: UUID,
                      underretning_id: UUID | None, person_ids: list[str], occurred_at: datetime,
                      config_version: str, system: SystemInfo, supplement: bool = False) -> DisclosureRecorded:
    what = "Supplerende oplysninger" if supplement else "Bekymringshenvendelse"
    return DisclosureRecorded(
        record_id=record_id,
        kind=DisclosureKind.INTERNAL_TRANSFER,
        occurred_at=occurred_at,
        concern_id=facts.concern_id,
        infohus_case_id=case_id,
        underretning_id=underretning_id,
        subject_person_ids=person_ids,
        subject_cpr_hmacs=facts.cpr_hmacs(person_ids),
        discloser_authority=DISCLOSER_AUTHORITY,
        discloser_unit="INFOHUS_INTAKE",
        executed_by="system:routing",
        recipient_authority=DISCLOSER_AUTHORITY,
        recipient_unit="CBF_STRAXEN" if to_child_welfare else "CBF_TK",
        channel=DisclosureChannel.SYSTEM_SHARE,
        content_hash=facts.content_hash,
        content_manifest=[f"concern:{facts.concern_id}"],
        legal_basis=facts.underretning_basis if to_child_welfare else LegalBasis.INTERNAL_SAME_CONTROLLER,
        purpose=Purpose.CHILD_WELFARE_ASSESSMENT if to_child_welfare else Purpose.INFOHUS_TRIAGE,
        purpose_description=(f"{what} videregivet til børne- og ungeområdet til vurdering inden 24 timer"
                             if to_child_welfare else f"{what} videregivet til Infohus til triage"),
        data_categories=list(facts.data_categories),
        source_of_data=SourceOfData.REPORTER,
        subject_information_status=SubjectInformationStatus.PENDING,
        reporter_anonymous=facts.reporter_anonymous,
        retention_until=years_after(occurred_at.date(), system.retention_years),
        routing_table_version=config_version,
        system_version=system.system_version,
    )


def forwarding(facts: ConcernFacts, *, record_id: UUID, actor: Actor, case_id: UUID | None,
               underretning_id: UUID | None, person_ids: list[str], recipient_municipality: str,
               channel: DisclosureChannel, occurred_at: datetime, decided_at: datetime,
               transport_ref: str | None, system: SystemInfo) -> DisclosureRecorded:
    children = facts.minor_possible
    return DisclosureRecorded(
        record_id=record_id,
        kind=DisclosureKind.DISCLOSURE,
        occurred_at=occurred_at,
        decision_at=decided_at,
        concern_id=facts.concern_id,
        infohus_case_id=case_id,
        underretning_id=underretning_id,
        subject_person_ids=person_ids,
        subject_cpr_hmacs=facts.cpr_hmacs(person_ids),
        discloser_authority=DISCLOSER_AUTHORITY,
        discloser_unit="CBF_TK",
        executed_by=f"{actor.user_id} ({actor.role_name})",
        decided_by=f"{actor.user_id} ({actor.role_name})",
        recipient_authority=f"OTHER_MUNICIPALITY:{recipient_municipality}",
        channel=channel,
        transport_ref=transport_ref,
        content_hash=None if channel in ORAL_CHANNELS else facts.content_hash,
        content_manifest=[f"concern:{facts.concern_id}"],
        legal_basis=LegalBasis.BL132_MELLEMKOMMUNAL if children else LegalBasis.FVL7_2_VIDERESENDELSE,
        purpose=Purpose.REFERRAL_TO_COMPETENT_AUTHORITY,
        purpose_description=("Underretning videresendt til barnets bopælskommune" if children
                             else "Henvendelse videresendt til rette myndighed (forvaltningsloven § 7, stk. 2)"),
        data_categories=list(facts.data_categories),
        source_of_data=SourceOfData.REPORTER,
        onward_conditions_communicated=list(STANDARD_ONWARD_CONDITIONS),
        subject_information_status=SubjectInformationStatus.PENDING,
        reporter_anonymous=facts.reporter_anonymous,
        retention_until=years_after(occurred_at.date(), system.retention_years),
        routing_table_version=facts.config_version,
        system_version=system.system_version,
    )


@dataclass(frozen=True)
class PoliceDisclosureDecision:
    approved: bool
    legal_basis: PoliceDisclosureBasis
    necessity_assessment: str
    cooperation_form: str = "NONE"
    channel: DisclosureChannel = DisclosureChannel.PHONE
    legal_basis_note: str | None = None
    recipient_persons: tuple[str, ...] = ()
    transport_ref: str | None = None

    def validate(self) -> None:
        text = self.necessity_assessment.strip()
        if not MIN_NECESSITY_LENGTH <= len(text) <= MAX_FREE_TEXT_LENGTH:
            raise InvalidCommand(f"the necessity assessment needs {MIN_NECESSITY_LENGTH} to "
                                 f"{MAX_FREE_TEXT_LENGTH} characters")
        if self.legal_basis is PoliceDisclosureBasis.RPL115_2 and self.cooperation_form not in COOPERATION_FORMS:
            raise InvalidCommand("a disclosure under retsplejeloven § 115, stk. 2 names its cooperation form "
                                 "(SSP, PSP or KSP_A/B/C)")
        if self.legal_basis is PoliceDisclosureBasis.OTHER_REVIEWED and not self.legal_basis_note:
            raise InvalidCommand("OTHER_REVIEWED needs a note with the basis and the lawyer's sign-off")


def police_disclosure(facts: ConcernFacts, decision: PoliceDisclosureDecision, *, record_id: UUID, actor: Actor,
                      case_id: UUID, person_ids: list[str], decided_at: datetime, occurred_at: datetime,
                      system: SystemInfo) -> DisclosureRecorded:
    decision.validate()
    section_115 = decision.legal_basis is PoliceDisclosureBasis.RPL115_2
    conditions = [*STANDARD_ONWARD_CONDITIONS, *([OnwardCondition.NO_INVESTIGATION_USE] if section_115 else [])]
    who = f"{actor.user_id} ({actor.role_name})"
    return DisclosureRecorded(
        record_id=record_id,
        kind=DisclosureKind.DISCLOSURE if decision.approved else DisclosureKind.DECISION_REJECTED,
        occurred_at=occurred_at,
        decision_at=decided_at,
        concern_id=facts.concern_id,
        infohus_case_id=case_id,
        subject_person_ids=person_ids,
        subject_cpr_hmacs=facts.cpr_hmacs(person_ids),
        discloser_authority=DISCLOSER_AUTHORITY,
        discloser_unit="CBF_TK",
        executed_by=who,
        decided_by=who,
        recipient_authority=POLICE_INFOHUS,
        recipient_persons=list(decision.recipient_persons),
        recipient_is_cooperation_participant=section_115,
        channel=decision.channel,
        transport_ref=decision.transport_ref,
        content_hash=None if decision.channel in ORAL_CHANNELS else facts.content_hash,
        content_manifest=[f"concern:{facts.concern_id}"],
        legal_basis=LegalBasis(decision.legal_basis),
        cooperation_form=CooperationForm(decision.cooperation_form) if section_115 else CooperationForm.NONE,
        legal_basis_note=decision.legal_basis_note,
        purpose=Purpose.ACUTE_DANGER_AVERSION,
        purpose_description=("Akut bekymring videregivet til politiets infohustovholder" if decision.approved
                             else "Forslag om videregivelse til politiet afvist af tovholderen"),
        not_for_investigation=section_115,
        necessity_assessment=decision.necessity_assessment.strip(),
        data_categories=list(facts.data_categories),
        source_of_data=SourceOfData.REPORTER,
        onward_conditions_communicated=conditions if decision.approved else [],
        subject_information_status=SubjectInformationStatus.PENDING,
        reporter_anonymous=facts.reporter_anonymous,
        retention_until=years_after(occurred_at.date(), system.retention_years),
        routing_table_version=facts.config_version,
        system_version=system.system_version,
    )


def record_id_for(owner: UUID, label: str) -> UUID:
    return uuid5(owner, f"disclosure:{label}")


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
