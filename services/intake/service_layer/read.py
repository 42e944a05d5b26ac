"""Serving a concern back to the staff who act on it, each read written to the read-access log first.

Every answer with personal data has its log rows committed in the reading transaction before it is returned
(no read without its row); a refused or failed read writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from contracts.concern import (
    Acuteness,
    Channel,
    PartnerAuthority,
    PartnerCooperationForm,
    ReporterCategory,
    WarningSign,
)
from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.lookup import Criterion, NamedPerson, Reader, Scope, persons_of
from services.intake.domain.model import Concern

# Every part of a concern view other than the persons, as the read-access log names them.
VIEW_PARTS = ("description", "warning_signs", "acuteness", "crime_suspicion", "reporter")
SEARCH_PARTS = ("reference", "received_at", "persons.name")


class PersonView(BaseModel):
    path: str = Field(description="Where the person stands in the concern", examples=["subjects[0]"])
    role: Literal["subject", "child_at_risk"]
    name: str | None
    cpr: str | None = Field(description="10 digits, without the dash")
    date_of_birth: str | None = Field(description="YYYY-MM-DD")
    stated_age: int | None
    municipality: str | None
    address: str | None
    school_or_workplace: str | None

    @classmethod
    def of(cls, named: NamedPerson) -> PersonView:
        person = named.person
        born = person.date_of_birth.isoformat() if person.date_of_birth else None
        return cls(path=named.path, role=named.role, name=person.name, cpr=person.cpr, date_of_birth=born,
                   stated_age=person.stated_age, municipality=person.municipality, address=person.address,
                   school_or_workplace=person.school_or_workplace)


class ReporterView(BaseModel):
    category: ReporterCategory
    anonymous: bool
    claims_professional: bool
    authority: PartnerAuthority | None = Field(default=None, description="A partner authority's report: which")
    cooperation_form: PartnerCooperationForm | None = None
    name: str | None
    role: str | None
    workplace: str | None
    phone: str | None
    email: str | None


class ConcernView(BaseModel):
    """A concern as its reader may see it: StraXen gets one person in ``persons``, others every one."""

    concern_id: UUID
    reference: str = Field(examples=["IH-2026-7K3M-Q9PX"])
    channel: Channel
    received_at: AwareDatetime
    recorded_at: AwareDatetime
    recorded_by: str = Field(description='"system" for the reporter\'s own submission, else the staff user id')
    description: str
    warning_signs: list[WarningSign]
    acuteness: Acuteness
    crime_suspicion: bool
    persons: list[PersonView]
    reporter: ReporterView


class PersonName(BaseModel):
    path: str = Field(examples=["children_at_risk[0]"])
    name: str | None


class ConcernMatch(BaseModel):
    concern_id: UUID
    reference: str
    received_at: AwareDatetime
    persons: list[PersonName]


class NotFound(Exception):
    """No such concern for this reader (also when it exists but is not theirs to see)."""


class PersonNotFound(Exception):
    """The concern has no person at the path asked for."""


class PersonRequired(Exception):
    """This reader sees one person at a time and named none."""


class PurposeNotAllowed(Exception):
    """``search`` is the purpose of a search only, ``subject_access`` of an export only: not of reading a concern."""


@dataclass(frozen=True)
class ReadRequest:
    principal: Principal
    reader: Reader
    person: str | None = None
    purpose: ReadPurpose | None = None


Finder = Callable[[IntakeUnitOfWork], Awaitable[Concern | None]]


async def read_concern(uow: IntakeUnitOfWork, log: ReadAccessLogger, request: ReadRequest,
                       find: Finder) -> ConcernView:
    """The concern ``find`` finds, as ``request.reader`` may see it, logged as read (committed) first."""
    if request.purpose in (ReadPurpose.SEARCH, ReadPurpose.SUBJECT_ACCESS):
        raise PurposeNotAllowed
    if request.reader.scope is Scope.ONE_PERSON and request.person is None:
        raise PersonRequired
    async with uow:
        concern = await find(uow)
        if concern is None or not request.reader.may_see(concern.recorded_by):
            raise NotFound
        persons = list(persons_of(concern.body))
        if request.person is not None:
            persons = [named for named in persons if named.path == request.person]
            if not persons:
                raise PersonNotFound
        await log.record(uow.session, request.principal, case_kind=CaseKind.CONCERN, case_id=concern.concern_id,
                         purpose=request.purpose or request.reader.default_purpose,
                         fields=[named.path for named in persons] + list(VIEW_PARTS))
        await uow.commit()
    return _view(concern, persons)


async def search_concerns(uow: IntakeUnitOfWork, log: ReadAccessLogger, principal: Principal,
                          criterion: Criterion, limit: int) -> list[ConcernMatch]:
    """Concerns matching ``criterion`` (newest first); each one returned is logged as read for ``search``."""
    async with uow:
        found = await uow.concerns.search(criterion, limit)
        await log.record_many(uow.session, principal, case_kind=CaseKind.CONCERN,
                              case_ids=[c.concern_id for c in found], purpose=ReadPurpose.SEARCH,
                              fields=(f"criterion:{criterion.kind.value}", *SEARCH_PARTS))
        await uow.commit()
    return [ConcernMatch(concern_id=c.concern_id, reference=c.reference, received_at=c.received_at,
                         persons=[PersonName(path=p.path, name=p.person.name) for p in persons_of(c.body)])
            for c in found]


def _view(concern: Concern, persons: list[NamedPerson]) -> ConcernView:
    body, reporter = concern.body, concern.body.reporter
    anonymous = reporter.anonymous
    return ConcernView(
        concern_id=concern.concern_id, reference=concern.reference, channel=body.channel,
        received_at=concern.received_at, recorded_at=concern.recorded_at, recorded_by=concern.recorded_by,
        description=body.description, warning_signs=list(body.warning_signs), acuteness=body.acuteness,
        crime_suspicion=body.crime_suspicion, persons=[PersonView.of(named) for named in persons],
        reporter=ReporterView(
            category=reporter.category, anonymous=anonymous, claims_professional=reporter.claims_professional,
            authority=reporter.authority, cooperation_form=reporter.cooperation_form,
            name=None if anonymous else reporter.name, role=None if anonymous else reporter.role,
            workplace=None if anonymous else reporter.workplace, phone=None if anonymous else reporter.phone,
            email=None if anonymous else reporter.email))
