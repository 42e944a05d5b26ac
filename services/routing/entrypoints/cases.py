"""The infohus cases under /api/v1/cases: the inbox, a case and its disclosure draft (reads, each logged),
and the tovholdere's triage, lifecycle steps and age corrections (commands)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, Field, StringConstraints

from contracts.concern import CprNumber
from contracts.events import Priority
from services.routing.bootstrap import RoutingContainer
from services.routing.domain.case import CaseState, CloseReason, Recommendation, TriageOutcome
from services.routing.entrypoints.callers import CaseMover, CaseMoverReader, CaseReader, Triager
from services.routing.entrypoints.fields import Body, Cursor, Limit, LongText, PersonPath, Purpose, Text
from services.routing.service_layer.commands import age_correction
from services.routing.service_layer.commands.age_correction import AgeCorrection
from services.routing.service_layer.commands.case_lifecycle import CaseAction, act_on_case, sign_triage
from services.routing.service_layer.commands.results import ActionResult, AgeCorrectionResult, TriageResult
from services.routing.service_layer.read_side import worklists
from services.routing.service_layer.read_side.case_view import case_view
from services.routing.service_layer.read_side.disclosure_draft import DisclosureDraft, disclosure_draft
from services.routing.service_layer.read_side.views import CaseList, CaseSummary, CaseView
from services.routing.service_layer.read_side.worklists import InboxQuery


class TriageBody(Body):
    outcome: TriageOutcome


class RecommendationBody(Body):
    measure: Text
    responsible_authority: Text
    proposed_legal_basis: Text | None = None


class CaseActionBody(Body):
    action: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{3,40}$")]
    expected_version: int | None = None
    analysis_needed: bool = False
    sources_consulted: list[Text] = []
    meeting_at: AwareDatetime | None = None
    tool_version: Text = "CDE 2021"
    dimensions_assessed: list[Text] = []
    participants: list[Text] = []
    at_risk: bool = False
    summary_ref: Text | None = None
    recommendations: list[RecommendationBody] = []
    to_authorities: list[Text] = []
    follow_up_due: date | None = None
    note_ref: Text | None = None
    reason: CloseReason | None = None
    hold_reason: Text = "Afventer oplysninger"
    note: LongText | None = None


class AgeCorrectionBody(Body):
    reason: LongText
    person: PersonPath | None = None
    cpr: CprNumber | None = None
    date_of_birth: date | None = None
    stated_age: Annotated[int, Field(ge=0, le=130)] | None = None


def case_router(container: RoutingContainer) -> APIRouter:
    """Registered after the task and underretning routes under /api/v1/cases: ``/{case_id}`` would take
    their paths."""
    router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
    deps = container.deps

    @router.get("")
    async def inbox(reader: CaseReader,
                    state: Annotated[list[CaseState], Query(description="Only these states")] = [],  # noqa: B006
                    priority: Annotated[list[Priority], Query()] = [],  # noqa: B006
                    overdue: Annotated[bool | None, Query(description="Triage not complete and past due")] = None,
                    mine: Annotated[bool, Query(description="Cases I signed or acted on")] = False,
                    reference: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
                    cpr: Annotated[str | None, Query(pattern=r"^[0-9]{6}-?[0-9]{4}$")] = None,
                    concern_id: Annotated[list[UUID], Query(max_length=100)] = [],  # noqa: B006
                    include_closed: bool = False, limit: Limit = 50, cursor: Cursor = None) -> CaseList:
        """The inbox: infohus cases, most urgent first (P0, P1, P2, then triage due, then opened); every case
        listed is logged as read."""
        query = InboxQuery(
            include_closed=include_closed, states=tuple(state), priorities=tuple(p.value for p in priority),
            overdue=overdue, mine=mine, reference=reference, cpr=cpr, concern_ids=tuple(concern_id), limit=limit,
            cursor=cursor)
        return await worklists.inbox(container.unit_of_work(), query, reader.actor,
                                     reader.read_log(container.read_log), now=container.clock(),
                                     hmac_key=deps.hmac_key)

    @router.get("/by-reference/{reference}")
    async def cases_by_reference(reference: str, reader: CaseReader, purpose: Purpose = None) -> list[CaseSummary]:
        """The cases of a reference (one per subject); each is logged as read."""
        return await worklists.cases_by_reference(container.unit_of_work(), reference, reader.actor,
                                                  reader.read_log(container.read_log), now=container.clock(),
                                                  purpose=purpose)

    @router.get("/{case_id}")
    async def case(case_id: UUID, reader: CaseReader, purpose: Purpose = None) -> CaseView:
        """An infohus case with its timeline, tasks, clocks, deliveries and the decision explained; logged as
        read."""
        return await case_view(container.unit_of_work(), case_id, reader.actor, reader.read_log(container.read_log),
                               purpose=purpose)

    @router.get("/{case_id}/disclosure-draft")
    async def draft(case_id: UUID, reader: CaseMoverReader) -> DisclosureDraft:
        """What a hand-recorded disclosure about the case takes from the case (pseudonyms, CPR HMACs, the
        reporter's anonymity, the rules version) and the register of cooperation participants; logged as read
        for a disclosure."""
        return await disclosure_draft(container.unit_of_work(), case_id, reader.actor,
                                      reader.read_log(container.read_log), config=deps.config, system=deps.system,
                                      today=container.clock().date())

    @router.post("/{case_id}/triage")
    async def triage(case_id: UUID, body: TriageBody, actor: Triager) -> TriageResult:
        """One tovholder's triage sign-off; the triage completes when both sign the same outcome."""
        return await sign_triage(container.unit_of_work(), case_id, actor, body.outcome, now=container.clock(),
                                 deps=deps)

    @router.post("/{case_id}/actions")
    async def act(case_id: UUID, body: CaseActionBody, actor: CaseMover) -> ActionResult:
        """A lifecycle step after triage: START_SCREENING, COMPLETE_SCREENING, RECORD_ANALYSIS,
        ISSUE_ASSESSMENT, ISSUE_RECOMMENDATIONS, HAND_OVER, START_FOLLOW_UP, RECORD_FOLLOW_UP, CLOSE,
        PUT_ON_HOLD, RESUME or ADD_NOTE (an internal note on the timeline)."""
        action = CaseAction(
            action=body.action, analysis_needed=body.analysis_needed, sources_consulted=tuple(body.sources_consulted),
            meeting_at=body.meeting_at, tool_version=body.tool_version,
            dimensions_assessed=tuple(body.dimensions_assessed), participants=tuple(body.participants),
            at_risk=body.at_risk, summary_ref=body.summary_ref,
            recommendations=tuple(Recommendation(r.measure, r.responsible_authority, r.proposed_legal_basis)
                                  for r in body.recommendations),
            to_authorities=tuple(body.to_authorities), follow_up_due=body.follow_up_due, note_ref=body.note_ref,
            reason=body.reason, hold_reason=body.hold_reason, note=body.note or "")
        return await act_on_case(container.unit_of_work(), case_id, actor, action, now=container.clock(), deps=deps,
                                 expected_version=body.expected_version)

    @router.post("/{case_id}/age-corrections")
    async def correct_age(case_id: UUID, body: AgeCorrectionBody, actor: CaseMover) -> AgeCorrectionResult:
        """Correct a person's age; opens the missing underretning with the original receipt time."""
        correction = AgeCorrection(reason=body.reason, person=body.person, cpr=body.cpr,
                                   date_of_birth=body.date_of_birth, stated_age=body.stated_age)
        return await age_correction.correct_age(container.unit_of_work(), case_id, actor, correction,
                                                now=container.clock(), deps=deps)

    return router
