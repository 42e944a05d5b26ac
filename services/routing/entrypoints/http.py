"""Routing's HTTP side: health, and the case API for tovholdere and StraXen under /api/v1/cases.

Every route states its rule with the kit's ``require(...)`` (``infohus.kit.auth``), and the one
permission matrix (``infohus.kit.auth.roles.MATRIX``) decides who passes; the signed-in ``Principal`` is
mapped here to the domain's ``Actor`` (user id and the role the rule admitted), and the domain consults
the same matrix for its finer checks. Every write commits its state change, timeline entries and outbox
events in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from contracts.concern import CprNumber
from contracts.events import Priority
from infohus.kit.auth import (
    AuthSettings,
    CaseKind,
    Principal,
    ReadPurpose,
    Role,
    install_auth,
    read_log_router,
    require,
    roles_for,
)
from infohus.kit.auth import Permission as P
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import service_app
from services.routing.adapters.case_queries import InvalidCursor
from services.routing.adapters.requested_notifications import requested_between
from services.routing.bootstrap import RoutingContainer, bootstrap
from services.routing.domain.actors import Actor
from services.routing.domain.case import CaseState, CloseReason, Recommendation, TriageOutcome
from services.routing.domain.disclosures import DisclosureChannel, PoliceDisclosureBasis, PoliceDisclosureDecision
from services.routing.domain.errors import (
    ConcurrentModification,
    DomainError,
    InvalidCommand,
    NotFound,
    NotPermitted,
)
from services.routing.domain.tasks import OrientationOutcome
from services.routing.entrypoints.holds import holds_router
from services.routing.entrypoints.rules import rules_router
from services.routing.service_layer import commands
from services.routing.service_layer import reading as reading_
from services.routing.service_layer.common import ReadLog
from services.routing.service_layer.disclosure_draft import DisclosureDraft, disclosure_draft
from services.routing.service_layer.views import (
    ActionResult,
    AgeCorrectionResult,
    AssessmentResult,
    CaseList,
    CaseSummary,
    CaseView,
    DisclosureDecisionResult,
    ForwardingResult,
    OrientationResult,
    ReceiptResult,
    TaskView,
    TriageResult,
    UnderretningList,
    UnderretningView,
)


def actor_of(principal: Principal, *permissions: P) -> Actor:
    """The domain's actor for a signed-in principal: the user, in the first of their roles (in the kit's
    order) that holds one of ``permissions`` (``require`` has already checked that one does)."""
    admitted = roles_for(*permissions)
    for role in Role:
        if role in principal.roles and role in admitted:
            return Actor(user_id=principal.user_id, role=role, municipalities=principal.municipalities)
    raise HTTPException(403, "Din rolle giver ikke adgang til dette / your role does not give access to this")


def acting(*permissions: P) -> Any:
    """``require(*permissions)`` and the caller as the domain's :class:`Actor`."""
    # The rule as a default (not inside Annotated): annotations are strings here and could not see it.
    async def actor(principal: Principal = require(*permissions)) -> Actor:  # noqa: B008
        return actor_of(principal, *permissions)

    return Depends(actor)


@dataclass(frozen=True)
class Reader:
    """A caller reading personal data: the domain's actor, and the principal the read-access log names."""

    actor: Actor
    principal: Principal


def reading(*permissions: P) -> Any:
    """``require(*permissions)`` and the caller as a :class:`Reader`."""
    async def reader(principal: Principal = require(*permissions)) -> Reader:  # noqa: B008
        return Reader(actor_of(principal, *permissions), principal)

    return Depends(reader)


CaseReader = Annotated[Reader, reading(P.CASE_READ)]
Triager = Annotated[Actor, acting(P.CASE_TRIAGE_MUNICIPAL, P.CASE_TRIAGE_POLICE)]
CaseMover = Annotated[Actor, acting(P.CASE_TRANSITION)]
CaseMoverReader = Annotated[Reader, reading(P.CASE_TRANSITION)]
UnderretningReader = Annotated[Reader, reading(P.UNDERRETNING_READ)]
UnderretningAssessor = Annotated[Actor, acting(P.UNDERRETNING_ASSESS)]
DisclosureDecider = Annotated[Actor, acting(P.CASE_DISCLOSURE_DECIDE)]
Forwarder = Annotated[Actor, acting(P.CASE_FORWARD)]
TaskHandler = Annotated[Reader, reading(P.CASE_DISCLOSURE_DECIDE, P.CASE_FORWARD, P.UNDERRETNING_ASSESS)]
"""Open tasks: each kind needs its permission (``domain.tasks.TASK_PERMISSION``); the domain filters."""
Purpose = Annotated[ReadPurpose | None, Query(description="Why the case is read (the read-access log); "
                                                            "by default derived from the case's state")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Limit = Annotated[int, Query(ge=1, le=100, description="Rows per page")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page (opaque)")]
PersonPath = Annotated[str, StringConstraints(pattern=r"^(subjects|children_at_risk)\[\d{1,2}\]$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriageBody(_Body):
    outcome: TriageOutcome


class RecommendationBody(_Body):
    measure: Text
    responsible_authority: Text
    proposed_legal_basis: Text | None = None


class CaseActionBody(_Body):
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


class AgeCorrectionBody(_Body):
    reason: LongText
    person: PersonPath | None = None
    cpr: CprNumber | None = None
    date_of_birth: date | None = None
    stated_age: Annotated[int, Field(ge=0, le=130)] | None = None


class AssessmentBody(_Body):
    acute_measures_needed: bool
    note: LongText | None = None


class ReceiptBody(_Body):
    """Either ``send_to`` (Infohus mails the receipt to the reporter's work address), or ``method`` with
    ``sent_at`` (how and when the receipt went when Infohus did not send it)."""

    send_to: EmailStr | None = None
    method: Text | None = None  # e.g. "telefon", "brev", "digital post"
    sent_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ReceiptBody:
        if self.send_to is not None and (self.method is not None or self.sent_at is not None):
            raise ValueError("Angiv enten send_to eller method med sent_at, ikke begge / give send_to, or method "
                             "with sent_at, not both")
        if self.send_to is None and (self.method is None or self.sent_at is None):
            raise ValueError("Angiv send_to, eller method med sent_at / give send_to, or method with sent_at")
        return self


class OrientationBody(_Body):
    outcome: OrientationOutcome
    withheld_reason: LongText | None = None


class DisclosureDecisionBody(_Body):
    approved: bool
    legal_basis: PoliceDisclosureBasis
    necessity_assessment: LongText
    cooperation_form: Text = "NONE"
    channel: DisclosureChannel = DisclosureChannel.PHONE
    legal_basis_note: LongText | None = None
    recipient_persons: list[Text] = []
    transport_ref: Text | None = None
    decided_at: AwareDatetime | None = None
    occurred_at: AwareDatetime | None = None


class ForwardingBody(_Body):
    recipient_municipality: Text
    channel: DisclosureChannel = DisclosureChannel.SECURE_EMAIL
    occurred_at: AwareDatetime | None = None
    transport_ref: Text | None = None
    complete: bool = True


_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404), (NotPermitted, 403), (InvalidCommand, 422), (ConcurrentModification, 409), (DomainError, 409)]


def case_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

    def uow() -> Any:
        return container.unit_of_work()

    def now() -> Any:
        return container.clock()

    deps = container.deps

    def read_log(reader: Reader) -> ReadLog:
        return ReadLog(container.read_log, reader.principal)

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
        query = reading_.InboxQuery(
            include_closed=include_closed, states=tuple(state), priorities=tuple(p.value for p in priority),
            overdue=overdue, mine=mine, reference=reference, cpr=cpr, concern_ids=tuple(concern_id), limit=limit,
            cursor=cursor)
        return await reading_.inbox(uow(), query, reader.actor, read_log(reader), now=now(),
                                    hmac_key=deps.hmac_key)

    @router.get("/tasks")
    async def open_tasks(reader: TaskHandler) -> list[TaskView]:
        """Open tasks of the kinds the caller's role handles (each case listed is logged as read)."""
        return await reading_.open_tasks(uow(), reader.actor, read_log(reader))

    @router.get("/by-reference/{reference}")
    async def cases_by_reference(reference: str, reader: CaseReader, purpose: Purpose = None) -> list[CaseSummary]:
        """The cases of a reference (one per subject); each is logged as read."""
        return await reading_.cases_by_reference(uow(), reference, reader.actor, read_log(reader), now=now(),
                                                 purpose=purpose)

    @router.get("/underretninger/{underretning_id}")
    async def underretning(underretning_id: UUID, reader: UnderretningReader,
                           purpose: Purpose = None) -> UnderretningView:
        """An underretning for StraXen; logged as read."""
        return await reading_.underretning_view(uow(), underretning_id, reader.actor, read_log(reader),
                                                purpose=purpose)

    @router.post("/underretninger/{underretning_id}/assessment")
    async def assess(underretning_id: UUID, body: AssessmentBody, actor: UnderretningAssessor) -> AssessmentResult:
        """Barnets lov § 136, stk. 2: record StraXen's assessment (stops the 24-hour clock)."""
        return await commands.assess_underretning(uow(), underretning_id, actor,
                                                  acute_measures_needed=body.acute_measures_needed, now=now(),
                                                  deps=deps, note=body.note)

    @router.post("/tasks/{task_id}/receipt")
    async def receipt(task_id: UUID, body: ReceiptBody, actor: UnderretningAssessor) -> ReceiptResult:
        """Barnets lov § 138, stk. 1: record how the receipt went to the reporter (``method``, ``sent_at``: the
        task completes), or have Infohus mail it to the professional's work address (``send_to``: the task
        completes when the mail is sent)."""
        return await commands.confirm_receipt(
            uow(), task_id, actor, sent_at=body.sent_at, method=body.method, send_to=body.send_to, now=now(),
            deps=deps)

    @router.post("/tasks/{task_id}/orientation")
    async def orientation(task_id: UUID, body: OrientationBody, actor: UnderretningAssessor) -> OrientationResult:
        """Barnets lov § 138, stk. 2: the professional reporter was told the outcome (or why not)."""
        return await commands.record_orientation(uow(), task_id, actor, outcome=body.outcome,
                                                 withheld_reason=body.withheld_reason, now=now())

    @router.post("/tasks/{task_id}/disclosure-decision")
    async def disclosure_decision(task_id: UUID, body: DisclosureDecisionBody,
                                  actor: DisclosureDecider) -> DisclosureDecisionResult:
        """Record the tovholder's decision on passing an acute concern to the police (never automatic)."""
        decision = PoliceDisclosureDecision(
            approved=body.approved, legal_basis=body.legal_basis, necessity_assessment=body.necessity_assessment,
            cooperation_form=body.cooperation_form, channel=body.channel, legal_basis_note=body.legal_basis_note,
            recipient_persons=tuple(body.recipient_persons), transport_ref=body.transport_ref)
        return await commands.decide_police_disclosure(uow(), task_id, actor, decision, decided_at=body.decided_at,
                                                       occurred_at=body.occurred_at, now=now(), deps=deps)

    @router.post("/tasks/{task_id}/forwarding")
    async def forward(task_id: UUID, body: ForwardingBody, actor: Forwarder) -> ForwardingResult:
        """Confirm a forwarding to the competent municipality; logs it as a disclosure."""
        return await commands.confirm_forwarding(
            uow(), task_id, actor, recipient_municipality=body.recipient_municipality, channel=body.channel,
            occurred_at=body.occurred_at, transport_ref=body.transport_ref, complete=body.complete, now=now(),
            deps=deps)

    @router.get("/{case_id}")
    async def case(case_id: UUID, reader: CaseReader, purpose: Purpose = None) -> CaseView:
        """An infohus case with its timeline, tasks, clocks, deliveries and the decision explained; logged as
        read."""
        return await reading_.case_view(uow(), case_id, reader.actor, read_log(reader), purpose=purpose)

    @router.get("/{case_id}/disclosure-draft")
    async def draft(case_id: UUID, reader: CaseMoverReader) -> DisclosureDraft:
        """What a hand-recorded disclosure about the case takes from the case (pseudonyms, CPR HMACs, the
        reporter's anonymity, the rules version) and the register of cooperation participants; logged as read
        for a disclosure."""
        return await disclosure_draft(uow(), case_id, reader.actor, read_log(reader), config=deps.config,
                                      system=deps.system, today=now().date())

    @router.post("/{case_id}/triage")
    async def triage(case_id: UUID, body: TriageBody, actor: Triager) -> TriageResult:
        """One tovholder's triage sign-off; the triage completes when both sign the same outcome."""
        return await commands.sign_triage(uow(), case_id, actor, body.outcome, now=now(), deps=deps)

    @router.post("/{case_id}/actions")
    async def act(case_id: UUID, body: CaseActionBody, actor: CaseMover) -> ActionResult:
        """A lifecycle step after triage: START_SCREENING, COMPLETE_SCREENING, RECORD_ANALYSIS,
        ISSUE_ASSESSMENT, ISSUE_RECOMMENDATIONS, HAND_OVER, START_FOLLOW_UP, RECORD_FOLLOW_UP, CLOSE,
        PUT_ON_HOLD, RESUME or ADD_NOTE (an internal note on the timeline)."""
        action = commands.CaseAction(
            action=body.action, analysis_needed=body.analysis_needed, sources_consulted=tuple(body.sources_consulted),
            meeting_at=body.meeting_at, tool_version=body.tool_version,
            dimensions_assessed=tuple(body.dimensions_assessed), participants=tuple(body.participants),
            at_risk=body.at_risk, summary_ref=body.summary_ref,
            recommendations=tuple(Recommendation(r.measure, r.responsible_authority, r.proposed_legal_basis)
                                  for r in body.recommendations),
            to_authorities=tuple(body.to_authorities), follow_up_due=body.follow_up_due, note_ref=body.note_ref,
            reason=body.reason, hold_reason=body.hold_reason, note=body.note or "")
        return await commands.act_on_case(uow(), case_id, actor, action, now=now(), deps=deps,
                                          expected_version=body.expected_version)

    @router.post("/{case_id}/age-corrections")
    async def correct_age(case_id: UUID, body: AgeCorrectionBody, actor: CaseMover) -> AgeCorrectionResult:
        """Correct a person's age; opens the missing underretning with the original receipt time."""
        correction = commands.AgeCorrection(reason=body.reason, person=body.person, cpr=body.cpr,
                                            date_of_birth=body.date_of_birth, stated_age=body.stated_age)
        return await commands.correct_age(uow(), case_id, actor, correction, now=now(), deps=deps)

    return router


def underretning_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/underretninger", tags=["underretninger"])

    @router.get("")
    async def underretninger(reader: UnderretningReader, include_closed: bool = False, limit: Limit = 50,
                             cursor: Cursor = None) -> UnderretningList:
        """StraXen's list: not yet assessed by the 24-hour deadline, then the rest by the receipt date; every
        underretning listed is logged as read."""
        return await reading_.underretning_list(
            container.unit_of_work(), reader.actor, ReadLog(container.read_log, reader.principal),
            include_closed=include_closed, limit=limit, cursor=cursor, now=container.clock(),
            config=container.deps.config)

    return router


class RequestedItem(BaseModel):
    requested_at: str
    notification: dict[str, JsonValue]


class RequestedPage(BaseModel):
    items: list[RequestedItem]
    next_cursor: str | None


def create_app(container: RoutingContainer, *, manage_runtime: bool = True, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    app = service_app("Infohus routing", container.runtime, manage_runtime=manage_runtime)
    app.state.environment = container.settings.environment
    install_auth(app, auth if auth is not None else AuthSettings(), jwks_fetcher=jwks_fetcher)
    app.include_router(case_router(container))
    app.include_router(underretning_router(container))
    app.include_router(rules_router(container))
    app.include_router(holds_router(container))
    # Auditors (READ_LOG_READ) list who read which case, when and why.
    app.include_router(read_log_router(container.read_log, container.runtime.sessions))

    # Internal: notify's delivery watchdog, signed in as a service principal (service_notify: OIDC client
    # credentials in production, a development service token locally); staff are refused.
    @app.get("/api/v1/notifications/requested", tags=["watchdog"])
    async def notifications_requested(
            service: Annotated[Principal, require(P.NOTIFICATIONS_REQUESTED_READ)],
            start: Annotated[AwareDatetime, Query(alias="from")], end: Annotated[AwareDatetime, Query(alias="to")],
            cursor: Cursor = None, limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> RequestedPage:
        """For notify's delivery watchdog: what routing asked to be mailed (references and codes; a § 138
        receipt request also carries the reporter's work address, and its read is logged). Times need their
        UTC offset."""
        async with container.unit_of_work() as uow:
            try:
                page = await requested_between(uow.session, start, end, cursor=cursor, limit=limit)
            except InvalidCursor as error:
                raise HTTPException(422, "Ugyldig cursor / invalid cursor") from error
            addressed = [UUID(str(item["notification"]["underretning_id"])) for item in page.items
                         if item["notification"].get("recipient_address") and
                         item["notification"].get("underretning_id")]
            if addressed:
                await container.read_log.record_many(
                    uow.session, service, case_kind=CaseKind.UNDERRETNING, case_ids=addressed,
                    purpose=ReadPurpose.FOLLOW_UP, fields=["recipient_address"])
                await uow.commit()
        return RequestedPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        status = next(code for kind, code in _STATUS if isinstance(error, kind))
        return JSONResponse(status_code=status, content={"detail": str(error), "code": type(error).__name__})

    return app


def build() -> tuple[RoutingContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
