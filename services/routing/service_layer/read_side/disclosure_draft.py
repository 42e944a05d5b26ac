"""What a tovholder's hand-recorded disclosure takes from the case rather than from the person: the
subject's pseudonym and CPR HMAC, the reporter's anonymity, the categories of data the concern holds, the
rules version, and the register of cooperation participants. The workspace sends the record to audit,
which checks the invariants before it appends anything."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from infohus.kit.auth import CaseKind, ReadPurpose
from infohus.kit.auth.roles import Permission, Role
from rules.config import MunicipalityConfig
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.disclosures import DISCLOSER_AUTHORITY, POLICE_INFOHUS, SystemInfo, years_after
from services.routing.domain.errors import NotFound, NotPermitted
from services.routing.service_layer.common import case_for
from services.routing.service_layer.read_side.read_log import ReadLog

# Who discloses when a tovholder records: the municipality's infohus unit, or the police's infohus.
DISCLOSER: dict[Role, tuple[str, str]] = {
    Role.TOVHOLDER_MUNICIPAL: (DISCLOSER_AUTHORITY, "CBF_TK"),
    Role.TOVHOLDER_POLICE: (POLICE_INFOHUS, "INFOHUS"),
}


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Participant(_View):
    code: str
    name: str
    forms: list[str]
    police: bool


class DisclosureDraft(_View):
    concern_id: UUID
    infohus_case_id: UUID
    reference: str
    subject_person_ids: list[str]
    subject_cpr_hmacs: list[str]
    reporter_anonymous: bool
    data_categories: list[str]
    content_manifest: list[str]
    content_hash: str
    discloser_authority: str
    discloser_unit: str
    retention_years: int
    retention_until_if_today: date
    routing_table_version: str
    system_version: str
    cooperation_participants: list[Participant]


async def disclosure_draft(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, read_log: ReadLog, *,
                           config: MunicipalityConfig, system: SystemInfo, today: date) -> DisclosureDraft:
    if not actor.can(Permission.CASE_TRANSITION) or actor.role not in DISCLOSER:
        raise NotPermitted(f"role {actor.role_name} records no disclosures of infohus cases")
    async with uow:
        case = await case_for(uow, case_id, actor)
        facts = await uow.facts.get(case.concern_id)
        if facts is None:  # pragma: no cover - facts are written with the case
            raise NotFound("no facts for the case's concern")
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, case_id, ReadPurpose.DISCLOSURE)])
        await uow.commit()
    authority, unit = DISCLOSER[actor.role]
    return DisclosureDraft(
        concern_id=case.concern_id, infohus_case_id=case_id, reference=case.reference,
        subject_person_ids=[case.person_id], subject_cpr_hmacs=facts.cpr_hmacs([case.person_id]),
        reporter_anonymous=facts.reporter_anonymous, data_categories=list(facts.data_categories),
        content_manifest=[f"concern:{case.concern_id}"], content_hash=facts.content_hash,
        discloser_authority=authority, discloser_unit=unit, retention_years=system.retention_years,
        retention_until_if_today=years_after(today, system.retention_years),
        routing_table_version=facts.config_version, system_version=system.system_version,
        cooperation_participants=[Participant(code=p.code, name=p.name, forms=list(p.forms), police=p.police)
                                  for p in config.cooperation_participants])
