"""The staff workspace's lists: the inbox of infohus cases (and the cases of a reference), and StraXen's
list of underretninger; each case or underretning listed is logged as read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from infohus.kit.auth import CaseKind, ReadPurpose
from infohus.kit.auth.roles import Permission, Role
from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from services.routing.adapters.keyset import InvalidCursor
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.adapters.worklists import CaseFilter, CaseRow, UnderretningRow
from services.routing.domain.actors import Actor
from services.routing.domain.case import CaseState, TriageOutcome, awaited_signoffs
from services.routing.domain.errors import InvalidCommand, NotFound
from services.routing.domain.facts import cpr_hmac
from services.routing.service_layer.common import require
from services.routing.service_layer.read_side.read_log import ReadLog, case_read_purpose
from services.routing.service_layer.read_side.views import (
    CaseList,
    CaseSummary,
    Signoff,
    TriageSignoffs,
    UnderretningList,
    UnderretningSummary,
    task_summary,
)


def _bad_cursor() -> InvalidCommand:
    return InvalidCommand("Ugyldig cursor: brug next_cursor fra forrige side / invalid cursor")


# --- the inbox ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters as the caller gave them (the CPR in clear, only to be hashed here)."""

    include_closed: bool = False
    states: tuple[CaseState, ...] = ()
    priorities: tuple[str, ...] = ()
    overdue: bool | None = None
    mine: bool = False
    reference: str | None = None
    cpr: str | None = None
    concern_ids: tuple[UUID, ...] = ()
    limit: int = 50
    cursor: str | None = None


def _signoffs(stored: dict[str, dict[str, str]]) -> TriageSignoffs:
    return TriageSignoffs(**{role: Signoff(user_id=s["user_id"], outcome=TriageOutcome(s["outcome"]),
                                           at=datetime.fromisoformat(s["at"])) for role, s in stored.items()})


def _case_summary(row: CaseRow, now: datetime) -> CaseSummary:
    complete = row.triage_completed_at is not None
    awaiting = [] if complete else awaited_signoffs(
        {Role(role): TriageOutcome(s["outcome"]) for role, s in row.triage_signoffs.items()})
    state = CaseState(row.state)
    return CaseSummary(
        case_id=row.case_id, concern_id=row.concern_id, reference=row.reference, subject_index=row.subject_index,
        subject_path=f"subjects[{row.subject_index}]", state=state, priority=row.priority, flags=row.flags,
        triage_due_at=row.triage_due_at, opened_at=row.opened_at,
        overdue=not complete and state is not CaseState.CLOSED and row.triage_due_at < now,
        triage_complete=complete, triage_signoffs=_signoffs(row.triage_signoffs),
        awaiting=[r.value for r in awaiting], open_tasks=[task_summary(t) for t in row.open_tasks])


async def inbox(uow: RoutingUnitOfWork, query: InboxQuery, actor: Actor, read_log: ReadLog, *, now: datetime,
                hmac_key: bytes) -> CaseList:
    """Open infohus cases, most urgent first; each case listed is logged as read."""
    require(actor, Permission.CASE_READ)
    async with uow:
        f = CaseFilter(
            include_closed=query.include_closed, states=tuple(s.value for s in query.states),
            priorities=query.priorities, overdue=query.overdue, actor=actor.user_id if query.mine else None,
            case_ids=await _found_cases(uow, query),
            cpr_hmac=None if query.cpr is None else cpr_hmac(query.cpr.replace("-", ""), hmac_key),
            municipalities=tuple(sorted(actor.municipalities)))
        try:
            page = await uow.worklists.inbox(f, now=now, cursor=query.cursor, limit=query.limit)
        except InvalidCursor as error:
            raise _bad_cursor() from error
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, r.case_id, case_read_purpose(CaseState(r.state)))
                                    for r in page.rows])
        await uow.commit()
    return CaseList(items=[_case_summary(r, now) for r in page.rows], next_cursor=page.next_cursor, total=page.total)


async def _found_cases(uow: RoutingUnitOfWork, query: InboxQuery) -> tuple[str, ...] | None:
    """The cases a reference or a list of concerns finds (None: no such filter): a concern's reference finds the
    case it opened or joined, and a near duplicate's the case of the concern it was linked to."""
    found: set[str] | None = None
    if query.reference is not None:
        found = set(await uow.person_links.cases_for_concerns(
            await uow.person_links.concerns_by_reference(query.reference)))
    if query.concern_ids:
        by_concern = set(await uow.person_links.cases_for_concerns(str(c) for c in query.concern_ids))
        found = by_concern if found is None else found & by_concern
    return None if found is None else tuple(sorted(found))


async def cases_by_reference(uow: RoutingUnitOfWork, reference: str, actor: Actor, read_log: ReadLog, *,
                             now: datetime, purpose: ReadPurpose | None = None) -> list[CaseSummary]:
    """The cases of a reference (one per subject): the cases its concern opened or joined, or for a near duplicate
    those of the concern it supplements; each read is logged."""
    require(actor, Permission.CASE_READ)
    async with uow:
        found = await uow.person_links.cases_for_concerns(await uow.person_links.concerns_by_reference(reference))
        rows = await uow.worklists.by_case_ids(found, municipalities=actor.municipalities)
        if not rows:
            raise NotFound("Ingen sag med den reference / no case with that reference")
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, r.case_id, purpose or case_read_purpose(CaseState(r.state)))
                                    for r in rows])
        await uow.commit()
    return [_case_summary(r, now) for r in rows]


# --- StraXen's list -----------------------------------------------------------------------------------


def _underretning_summary(row: UnderretningRow, now: datetime, config: MunicipalityConfig) -> UnderretningSummary:
    u = row.underretning
    due = u.receipt_confirmation_due_date
    return UnderretningSummary(
        underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id, reference=row.reference,
        subject=u.subject, legal_type=u.legal_type, state=u.state, received_at=u.received_at,
        assessment_due_at=u.assessment_due_at, assessed_at=u.assessed_at,
        acute_measures_needed=u.acute_measures_needed,
        assessment_overdue=u.assessed_at is None and now > u.assessment_due_at,
        receipt_confirmation_due_date=due, receipt_confirmed_at=u.receipt_confirmed_at,
        receipt_overdue=(u.receipt_confirmed_at is None and due is not None
                         and OfficeCalendar(config).local_date(now) > due),
        professional_orientation_required=u.professional_orientation_required, oriented_at=u.oriented_at,
        open_tasks=[task_summary(t) for t in row.open_tasks])


async def underretning_list(uow: RoutingUnitOfWork, actor: Actor, read_log: ReadLog, *, include_closed: bool,
                            limit: int, cursor: str | None, now: datetime,
                            config: MunicipalityConfig) -> UnderretningList:
    """StraXen's open underretninger, most urgent first; each one listed is logged as read."""
    require(actor, Permission.UNDERRETNING_READ)
    async with uow:
        try:
            rows, next_cursor = await uow.worklists.underretninger(
                include_closed=include_closed, cursor=cursor, limit=limit, municipalities=actor.municipalities)
        except InvalidCursor as error:
            raise _bad_cursor() from error
        await read_log.record(uow, [
            (CaseKind.UNDERRETNING, r.underretning.underretning_id,
             ReadPurpose.UNDERRETNING_ASSESSMENT if r.underretning.assessed_at is None else ReadPurpose.FOLLOW_UP)
            for r in rows])
        await uow.commit()
    return UnderretningList(items=[_underretning_summary(r, now, config) for r in rows], next_cursor=next_cursor)
