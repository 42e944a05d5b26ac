"""The tasks under /api/v1/cases/tasks: the open tasks of the caller's kinds (a read, logged), and their
completion: StraXen's § 138 receipt and orientation, the tovholder's disclosure decision and forwarding."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import AwareDatetime, EmailStr, model_validator

from rules.codes import DisclosureChannel
from services.routing.bootstrap import RoutingContainer
from services.routing.domain.disclosures import PoliceDisclosureBasis, PoliceDisclosureDecision
from services.routing.domain.tasks import OrientationOutcome
from services.routing.entrypoints.callers import DisclosureDecider, Forwarder, TaskHandler, UnderretningAssessor
from services.routing.entrypoints.fields import Body, LongText, Text
from services.routing.service_layer.commands.disclosures import confirm_forwarding, decide_police_disclosure
from services.routing.service_layer.commands.results import (
    DisclosureDecisionResult,
    ForwardingResult,
    OrientationResult,
    ReceiptResult,
)
from services.routing.service_layer.commands.underretninger import confirm_receipt, record_orientation
from services.routing.service_layer.read_side import tasks
from services.routing.service_layer.read_side.views import TaskView


class ReceiptBody(Body):
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


class OrientationBody(Body):
    outcome: OrientationOutcome
    withheld_reason: LongText | None = None


class DisclosureDecisionBody(Body):
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


class ForwardingBody(Body):
    recipient_municipality: Text
    channel: DisclosureChannel = DisclosureChannel.SECURE_EMAIL
    occurred_at: AwareDatetime | None = None
    transport_ref: Text | None = None
    complete: bool = True


def task_router(container: RoutingContainer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/cases/tasks", tags=["cases"])
    deps = container.deps

    @router.get("")
    async def open_tasks(reader: TaskHandler) -> list[TaskView]:
        """Open tasks of the kinds the caller's role handles (each case listed is logged as read)."""
        return await tasks.open_tasks(container.unit_of_work(), reader.actor, reader.read_log(container.read_log))

    @router.post("/{task_id}/receipt")
    async def receipt(task_id: UUID, body: ReceiptBody, actor: UnderretningAssessor) -> ReceiptResult:
        """Barnets lov § 138, stk. 1: record how the receipt went to the reporter (``method``, ``sent_at``: the
        task completes), or have Infohus mail it to the professional's work address (``send_to``: the task
        completes when the mail is sent)."""
        return await confirm_receipt(container.unit_of_work(), task_id, actor, sent_at=body.sent_at,
                                     method=body.method, send_to=body.send_to, now=container.clock(), deps=deps)

    @router.post("/{task_id}/orientation")
    async def orientation(task_id: UUID, body: OrientationBody, actor: UnderretningAssessor) -> OrientationResult:
        """Barnets lov § 138, stk. 2: the professional reporter was told the outcome (or why not)."""
        return await record_orientation(container.unit_of_work(), task_id, actor, outcome=body.outcome,
                                        withheld_reason=body.withheld_reason, now=container.clock())

    @router.post("/{task_id}/disclosure-decision")
    async def disclosure_decision(task_id: UUID, body: DisclosureDecisionBody,
                                  actor: DisclosureDecider) -> DisclosureDecisionResult:
        """Record the tovholder's decision on passing an acute concern to the police (never automatic)."""
        decision = PoliceDisclosureDecision(
            approved=body.approved, legal_basis=body.legal_basis, necessity_assessment=body.necessity_assessment,
            cooperation_form=body.cooperation_form, channel=body.channel, legal_basis_note=body.legal_basis_note,
            recipient_persons=tuple(body.recipient_persons), transport_ref=body.transport_ref)
        return await decide_police_disclosure(container.unit_of_work(), task_id, actor, decision,
                                              decided_at=body.decided_at, occurred_at=body.occurred_at,
                                              now=container.clock(), deps=deps)

    @router.post("/{task_id}/forwarding")
    async def forward(task_id: UUID, body: ForwardingBody, actor: Forwarder) -> ForwardingResult:
        """Confirm a forwarding to the competent municipality; logs it as a disclosure."""
        return await confirm_forwarding(
            container.unit_of_work(), task_id, actor, recipient_municipality=body.recipient_municipality,
            channel=body.channel, occurred_at=body.occurred_at, transport_ref=body.transport_ref,
            complete=body.complete, now=container.clock(), deps=deps)

    return router
