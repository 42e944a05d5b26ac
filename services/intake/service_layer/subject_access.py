"""A data subject's access request (GDPR art. 15): the concerns that name the person, found by CPR number,
with their own entries and what was said; every concern exported is logged as read for the request first.

Left out, as third parties' data (art. 15(4)): the other persons a concern names (only how many) and the
reporter's identity and contact data (only the category, and whether they were anonymous). Left out as
staff identity (CJEU C-579/21): who entered a concern (only that staff did).
"""

from __future__ import annotations

from contracts.subject_access import ConcernAboutPerson, IntakePart, PersonEntry, SubjectAccessRequest
from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger
from infohus.kit.auth.subject_access import consultations, log_export
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.lookup import Criterion, CriterionKind, NamedPerson, persons_of
from services.intake.domain.model import SYSTEM, Concern

MAX_CONCERNS = 10_000
EXPORTED_PARTS = ("criterion:cpr", "persons.self", "description", "warning_signs", "acuteness",
                  "crime_suspicion", "reporter.category")


async def export_concerns(uow: IntakeUnitOfWork, log: ReadAccessLogger, principal: Principal,
                          request: SubjectAccessRequest) -> IntakePart:
    async with uow:
        found = await uow.concerns.search(Criterion(CriterionKind.CPR, value=request.cpr), MAX_CONCERNS)
        concern_ids = [concern.concern_id for concern in found]
        earlier = await consultations(log, uow.session, concern_ids)
        await log_export(log, uow.session, principal, case_kind=CaseKind.CONCERN, case_ids=concern_ids,
                         request_id=request.request_id, parts=EXPORTED_PARTS)
        await uow.commit()
    chronological = sorted(found, key=lambda concern: (concern.received_at, str(concern.concern_id)))
    return IntakePart(concerns=[about_person(concern, request.cpr) for concern in chronological],
                      consultations=earlier)


def about_person(concern: Concern, cpr: str) -> ConcernAboutPerson:
    named = list(persons_of(concern.body))
    own = [person for person in named if person.person.cpr == cpr]
    body = concern.body
    return ConcernAboutPerson(
        concern_id=concern.concern_id, reference=concern.reference, channel=body.channel.value,
        received_at=concern.received_at, recorded_at=concern.recorded_at,
        entered_by_staff=concern.recorded_by != SYSTEM, persons=[_entry(person) for person in own],
        description=body.description, warning_signs=[sign.value for sign in body.warning_signs],
        acuteness=body.acuteness.value, crime_suspicion=body.crime_suspicion,
        reporter_category=body.reporter.category.value,
        reporter_anonymous=body.reporter.anonymous,
        other_persons=len(named) - len(own))


def _entry(named: NamedPerson) -> PersonEntry:
    person = named.person
    return PersonEntry(path=named.path, role=named.role, name=person.name, cpr=person.cpr,
                       date_of_birth=person.date_of_birth, stated_age=person.stated_age,
                       municipality=person.municipality, address=person.address,
                       school_or_workplace=person.school_or_workplace)
