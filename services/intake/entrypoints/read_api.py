"""Reading concerns back (``GET /api/v1/concerns…``) for the staff who act on them, by need-to-know.

The route admits tovholdere, StraXen and intake staff (``require``); what each may see is decided in
``services.intake.domain.lookup``. Every answer with personal data is logged as read (committed) before it
leaves; nothing a reader typed (a name, a CPR number) is logged or echoed in an error.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, status

from infohus.kit.auth import Permission as P
from infohus.kit.auth import Principal, ReadPurpose, require
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.bootstrap import IntakeContainer
from services.intake.domain.lookup import MIN_QUERY_LENGTH, PERSON_PATH_PATTERN, Reader, parse_search
from services.intake.domain.model import Concern
from services.intake.entrypoints.problems import ErrorOut, FieldProblem
from services.intake.service_layer.read import (
    ConcernMatch,
    ConcernView,
    Finder,
    NotFound,
    PersonNotFound,
    PersonRequired,
    PurposeNotAllowed,
    ReadRequest,
    read_concern,
    search_concerns,
)

READ_PATH = "/api/v1/concerns/{concern_id}"
BY_REFERENCE_PATH = "/api/v1/concerns/by-reference/{reference}"
SEARCH_PATH = "/api/v1/concerns"
READERS = (P.CASE_READ, P.UNDERRETNING_READ, P.CONCERN_CREATE_PHONE)

PersonPath = Annotated[str | None, Query(
    pattern=PERSON_PATH_PATTERN, examples=["subjects[0]"],
    description="The one person to show, e.g. subjects[0] or children_at_risk[1]. Required for StraXen, "
                "who see only that person; others see only that person when they give it.")]
Purpose = Annotated[ReadPurpose | None, Query(
    description="Why the concern is read (the read-access log). By default underretning_assessment for "
                "StraXen, case_handling for others; search is for searches only.")]
Reference = Annotated[str, Path(pattern=r"^[Ii][Hh]-\d{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$",
                                examples=["IH-2026-7K3M-Q9PX"])]

_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in, or the sign-in is invalid"},
    403: {"model": ErrorOut, "description": "A role that reads no concerns"},
    404: {"model": ErrorOut, "description": "No such concern, not of the reader's municipalities, not one this "
                                            "reader may see (intake staff: their own entries only), or no such "
                                            "person in it"},
    422: {"model": ErrorOut, "description": "Invalid parameters, or StraXen without person"},
}
_SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _READ_RESPONSES[401],
    403: {"model": ErrorOut, "description": "Only tovholdere search"},
    422: {"model": ErrorOut, "description": "q too short, or limit outside 1-50"},
}


def _problem(status_code: int, field: str, code: str, da: str, en: str) -> HTTPException:
    return HTTPException(status_code, detail=[FieldProblem(field, code, da, en).as_dict()])


_NOT_FOUND = (status.HTTP_404_NOT_FOUND, "path", "not_found",
              "Henvendelsen findes ikke, eller du har ikke adgang til den.",
              "No such concern, or not one you may see.")
_REFUSALS: dict[type[Exception], tuple[int, str, str, str, str]] = {
    NotFound: _NOT_FOUND,
    PersonNotFound: (status.HTTP_404_NOT_FOUND, "person", "person_not_found",
                     "Henvendelsen har ingen person på den plads. Tjek parameteren person.",
                     "The concern has no person at that path: check the person parameter."),
    PersonRequired: (status.HTTP_422_UNPROCESSABLE_CONTENT, "person", "person_required",
                     "Angiv den person, din underretning handler om (person=subjects[0] eller "
                     "person=children_at_risk[0]). Du kan kun se én person ad gangen.",
                     "Name the person your underretning is about (person=subjects[0] or "
                     "person=children_at_risk[0]): you see one person at a time."),
    PurposeNotAllowed: (status.HTTP_422_UNPROCESSABLE_CONTENT, "purpose", "purpose_not_allowed",
                        "Formålet search bruges kun ved søgning og subject_access kun ved udtræk til indsigt. "
                        "Vælg et andet formål.",
                        "The purpose search is for searches only, subject_access for exports only: choose another."),
}


def concern_router(container: IntakeContainer) -> APIRouter:
    router = APIRouter(tags=["concerns (staff)"])

    async def serve(principal: Principal, person: str | None, purpose: ReadPurpose | None,
                    find: Finder) -> ConcernView:
        reader = Reader.of(principal)
        if reader is None:  # the route's rule admits only readers: a matrix change must not open this
            raise _problem(status.HTTP_403_FORBIDDEN, "authorization", "forbidden",
                           "Din rolle giver ikke adgang til dette.", "Your role does not give access to this.")
        if not principal.belongs_to(container.config.municipality_code):
            # Every concern here is of the installation's municipality: answered as if it did not exist.
            raise _problem(*_NOT_FOUND)
        request = ReadRequest(principal=principal, reader=reader, person=person, purpose=purpose)
        try:
            return await read_concern(container.unit_of_work(), container.read_log, request, find)
        except tuple(_REFUSALS) as refused:
            raise _problem(*_REFUSALS[type(refused)]) from None

    @router.get(READ_PATH, response_model=ConcernView, responses=_READ_RESPONSES, summary="Read a concern")
    async def concern(concern_id: UUID, principal: Annotated[Principal, require(*READERS)],
                      person: PersonPath = None, purpose: Purpose = None) -> ConcernView:
        """What the concern says, as the caller may see it: tovholdere everything; StraXen the one ``person``
        asked for; intake staff only concerns they entered themself. Logged as read."""
        async def find(uow: IntakeUnitOfWork) -> Concern | None:
            return await uow.concerns.get(concern_id)

        return await serve(principal, person, purpose, find)

    @router.get(BY_REFERENCE_PATH, response_model=ConcernView, responses=_READ_RESPONSES,
                summary="Read a concern by its reference")
    async def concern_by_reference(reference: Reference, principal: Annotated[Principal, require(*READERS)],
                                   person: PersonPath = None, purpose: Purpose = None) -> ConcernView:
        """As ``GET /api/v1/concerns/{concern_id}``, for when only the reference is known."""
        async def find(uow: IntakeUnitOfWork) -> Concern | None:
            return await uow.concerns.get_by_reference(reference)

        return await serve(principal, person, purpose, find)

    @router.get(SEARCH_PATH, response_model=list[ConcernMatch], responses=_SEARCH_RESPONSES,
                summary="Search concerns (tovholdere)")
    async def search(principal: Annotated[Principal, require(P.CASE_READ)],
                     q: Annotated[str, Query(max_length=200, description=(
                         "A reference (IH-YYYY-XXXX-XXXX), a CPR number (with or without the dash), or words "
                         "of a name (each must occur; case and accents do not matter)"))],
                     limit: Annotated[int, Query(ge=1, le=50)] = 20) -> list[ConcernMatch]:
        """Concerns matching ``q``, most recently received first; each one listed is logged as read (purpose
        search, with the kind of criterion, never its value)."""
        criterion = parse_search(q)
        if criterion is None:
            raise _problem(status.HTTP_422_UNPROCESSABLE_CONTENT, "q", "query_too_short",
                           f"Skriv mindst {MIN_QUERY_LENGTH} tegn at søge efter.",
                           f"Give at least {MIN_QUERY_LENGTH} characters to search for.")
        if not principal.belongs_to(container.config.municipality_code):
            return []
        return await search_concerns(container.unit_of_work(), container.read_log, principal, criterion, limit)

    return router
