"""Append a disclosure to the log: validate, check the invariants, chain it to the head, commit.

Nothing is written for a record that breaks an invariant. Where §D makes a refused proposal itself a
loggable fact (the rules about what may lawfully *leave*, which ``DECISION_REJECTED`` records are
exempt from, see ``invariant_types.moves_data``), a tovholder's refused proposal is logged as a
``DECISION_REJECTED`` record instead, so that Q18 shows the necessity assessments are real.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from contracts.envelope import Envelope
from contracts.events import DisclosureRecorded
from infohus.kit.auth import Permission, Principal, Role, permits
from infohus.kit.messaging import PermanentError
from infohus.kit.telemetry import current_trace_id
from rules.codes import DisclosureChannel, DisclosureDeliveryStatus, DisclosureKind
from services.audit.adapters.unit_of_work import AuditUnitOfWork, appending
from services.audit.domain.derived import CooperationRegister, reconcile
from services.audit.domain.hashing import GENESIS_PREV_HASH, canonical_json
from services.audit.domain.invariant_types import InvariantContext, InvariantViolation, moves_data, violation
from services.audit.domain.invariants import check_invariants as check_record_invariants
from services.audit.domain.record import DisclosureDraft, from_event, seal_v2
from services.audit.service_layer.derivation import declared_anonymity, known_facts, participation_declared

APPEND_ATTEMPTS = 3
REJECTION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:infohus:audit:decision-rejected")
# Fields that differ between two submissions of the same record without it being another record.
_VOLATILE = frozenset({"recorded_at", "seq_no", "prev_hash"})


class InvalidDisclosure(PermanentError):
    """The event cannot be represented as a record at all (unknown code, instant without offset, ...).

    The message names the fields and error types only, never the values: it travels in dead-letter
    headers and logs.
    """

    def __init__(self, error: ValidationError) -> None:
        self.errors = error.errors(include_input=False, include_url=False)
        problems = sorted({f"{'.'.join(str(p) for p in e['loc']) or 'record'}:{e['type']}" for e in self.errors})
        super().__init__(f"invalid disclosure record: {', '.join(problems)}")


class DisclosureRefused(PermanentError):
    """The record breaks §D1–§D3 rules. The message names rule codes and fields only (no personal data)."""

    def __init__(self, violations: Sequence[InvariantViolation],
                 rejected: AppendResult | None = None) -> None:
        self.violations = list(violations)
        self.rejected = rejected
        found = sorted({f"{v.code}({v.field})" for v in self.violations})
        super().__init__("refused by invariants " + ", ".join(found))


class RecordIdConflict(Exception):
    """A record with this record_id exists with other content: a record is never replaced."""


@dataclass(frozen=True)
class AppendResult:
    seq_no: int
    record_id: UUID
    record_hash: str
    kind: str
    created: bool


def completeness_violations(draft: DisclosureDraft) -> list[InvariantViolation]:
    """I7, the part a single record can show: a secure e-mail that left (not a RECEIPT) must carry the transport
    reference (SMTP Message-ID) by which the mail-gateway log confirms it. The reconciliation against
    that log is Q12's."""
    # A RECEIPT came in by another authority's mail: the gateway log confirms only mails that left.
    if moves_data(draft) and draft.kind is not DisclosureKind.RECEIPT \
            and draft.channel is DisclosureChannel.SECURE_EMAIL and draft.transport_ref is None \
            and draft.delivery_status is not DisclosureDeliveryStatus.FAILED:
        return [violation(
            "I7", "transport_ref",
            da="En videregivelse med sikker mail skal have mailens Message-ID (transport_ref), så "
               "mail-gatewayens log kan bekræfte den.",
            en="A secure e-mail disclosure needs its Message-ID (transport_ref) so the mail-gateway log can "
               "confirm it.")]
    return []


def executor(principal: Principal) -> str:
    """§D1's ``executed_by`` for the signed-in person: the user id and the role they record disclosures in,
    written as routing writes it (``"mette (tovholder_municipal)"``)."""
    role = next((r for r in Role if r in principal.roles and permits({r}, Permission.DISCLOSURE_RECORD)), None)
    return f"{principal.user_id} ({role.value if role is not None else 'ingen rolle'})"[:200]


def attributed(fields: dict[str, Any], principal: Principal) -> DisclosureRecorded:
    """The submitted record with the signed-in person as ``executed_by``.

    Who executed a disclosure is who is signed in, never what the body says: a body may leave
    ``executed_by`` out, or name the signed-in person (user id, or user id and role); naming anyone else is
    refused (D1), nothing is written. Another person may be named as ``decided_by`` only, and the signed-in
    person is then recorded beside them.
    """
    named = fields.get("executed_by")
    signed_in = executor(principal)
    if named is not None and str(named).strip() not in {principal.user_id, signed_in}:
        raise DisclosureRefused([violation(
            "D1", "executed_by",
            da="Udført af (executed_by) er altid den, der er logget ind. Udelad feltet, eller angiv en anden "
               "person som den, der besluttede (decided_by).",
            en="executed_by is always the signed-in person: leave it out, or name another person as decided_by.")])
    try:
        return DisclosureRecorded.model_validate({**fields, "executed_by": signed_in})
    except ValidationError as error:
        raise InvalidDisclosure(error) from None


def check_invariants(draft: DisclosureDraft, *, context: InvariantContext) -> list[InvariantViolation]:
    """The domain's §D1–§D3 rules (I3–I6, I8–I10) plus I7's per-record part."""
    return [*check_record_invariants(draft, context=context), *completeness_violations(draft)]


def draft_from_event(event: DisclosureRecorded, *, now: datetime) -> DisclosureDraft:
    try:
        return from_event(event, recorded_at=now)
    except ValidationError as error:
        raise InvalidDisclosure(error) from None


def event_context(event: DisclosureRecorded, base: InvariantContext) -> InvariantContext:
    """The I10 context an event carries: ``reporter_anonymous`` (the concern came from an ANONYMOUS
    reporter). It is checked, never stored."""
    return InvariantContext(reporter_anonymous=event.reporter_anonymous, reporter_markers=base.reporter_markers,
                            police_authorities=base.police_authorities,
                            social_authority_units=base.social_authority_units)


async def append_disclosure(event: DisclosureRecorded, *, uow: AuditUnitOfWork, now: datetime,
                            context: InvariantContext | None = None, register: CooperationRegister | None = None,
                            source_event_id: UUID | None = None, log_rejection: bool = False) -> AppendResult | None:
    """Check and append one record. Returns None when the source event was processed before.

    The facts audit can derive (``domain/derived.py``: participation from ``register``, the reporter's
    anonymity and the subject's age from the case facts) are checked first: a declaration that contradicts
    one is refused, and the record carries which facts were derived and which only declared.

    Raises ``InvalidDisclosure`` or ``DisclosureRefused`` (both ``PermanentError``s) before writing
    anything; with ``log_rejection`` a proposal refused on lawfulness grounds only is appended as a
    ``DECISION_REJECTED`` record, which the exception carries.
    """
    context = context or InvariantContext()
    draft = draft_from_event(event, now=now)
    reconciled = reconcile(draft, declared_anonymous=declared_anonymity(event),
                           participation_declared=participation_declared(event),
                           known=await known_facts(uow, draft, register))
    draft, context = reconciled.draft, replace(context, reporter_anonymous=reconciled.reporter_anonymous)
    violations = [*reconciled.violations, *check_invariants(draft, context=context)]
    if violations:
        rejected = None
        # A declaration contradicting a derived fact alone is a wrong record, not a decision not to disclose.
        if log_rejection and len(violations) > len(reconciled.violations):
            rejection = rejection_draft(draft, violations)
            if rejection is not None and not check_invariants(rejection, context=context):
                rejected = await append_draft(rejection, uow=uow)
        raise DisclosureRefused(violations, rejected)
    return await append_draft(draft, uow=uow, source_event_id=source_event_id)


def rejection_draft(draft: DisclosureDraft, violations: Sequence[InvariantViolation]) -> DisclosureDraft | None:
    """The ``DECISION_REJECTED`` record of a refused proposal, or None if it was already a rejection."""
    if draft.kind is DisclosureKind.DECISION_REJECTED:
        return None
    codes = ", ".join(sorted({f"{v.code} ({v.field})" for v in violations}))
    note = f"Afvist af Infohus ved registrering: {codes}"
    if draft.legal_basis_note:
        note = f"{draft.legal_basis_note} | {note}"
    fields: dict[str, Any] = {
        **draft.model_dump(),
        "record_id": uuid5(REJECTION_NAMESPACE, str(draft.record_id)),
        "kind": DisclosureKind.DECISION_REJECTED,
        "legal_basis_note": note,
    }
    try:
        return DisclosureDraft.model_validate(fields)
    except ValidationError:
        return None


async def append_draft(draft: DisclosureDraft, *, uow: AuditUnitOfWork,
                       source_event_id: UUID | None = None) -> AppendResult | None:
    """Chain ``draft`` onto the head and commit. Idempotent by ``record_id`` (and by event id).

    Should another writer have taken the same seq_no or record_id after all (a second SQLite process),
    the database refuses the row and the append starts again from the new head.
    """
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            return await _append_once(draft, uow=uow, source_event_id=source_event_id)
        except IntegrityError:
            if attempt == APPEND_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _append_once(draft: DisclosureDraft, *, uow: AuditUnitOfWork,
                       source_event_id: UUID | None) -> AppendResult | None:
    async with uow:
        if not uow.is_postgres:
            await uow.hold(appending())
        await uow.lock_for_append()
        if source_event_id is not None and not await uow.inbox.claim(source_event_id):
            return None
        existing = await uow.log.find(draft.record_id)
        if existing is not None:
            _same_record_or_raise(existing, draft)
            if source_event_id is not None:  # commits the inbox claim
                await uow.commit()
            return AppendResult(int(existing["seq_no"]), draft.record_id, str(existing["record_hash"]),
                                str(draft.kind), created=False)
        if draft.corrects_record_id is not None and not await uow.log.contains(draft.corrects_record_id):
            raise DisclosureRefused([violation(
                "D1", "corrects_record_id",
                da="Den post, der rettes eller henvises til, findes ikke i loggen.",
                en="The record this one corrects or refers to is not in the log.")])
        head = await uow.log.head()
        seq_no, prev_hash = (1, GENESIS_PREV_HASH) if head is None else (head[0] + 1, head[1])
        trace_id = current_trace_id()
        sealed = seal_v2(draft, seq_no=seq_no, prev_hash=prev_hash, trace_id=trace_id)
        await uow.log.append(sealed.record, content=sealed.content, trace_id=trace_id,
                             payload_sha256=sealed.payload_sha256)
        await uow.commit()
        record = sealed.record
        return AppendResult(seq_no, record.record_id, record.record_hash, str(record.kind), created=True)


def _same_record_or_raise(existing: dict[str, Any], draft: DisclosureDraft) -> None:
    if existing.get("content") is None:
        return  # erased after retention: nothing left to compare
    stored = {k: v for k, v in json.loads(existing["content"]).items() if k not in _VOLATILE}
    offered = {k: v for k, v in json.loads(canonical_json(draft.payload())).items() if k not in _VOLATILE}
    if stored != offered:
        raise RecordIdConflict(f"record {draft.record_id} exists with other content")


async def handle_disclosure_recorded(envelope: Envelope[DisclosureRecorded], *, uow: AuditUnitOfWork,
                                     now: datetime, context: InvariantContext | None = None,
                                     register: CooperationRegister | None = None) -> None:
    """The consumer: a refused or invalid event raises a PermanentError, so it is dead-lettered with
    the reason; a record id reused with other content is permanent too."""
    base = context or InvariantContext()
    try:
        await append_disclosure(envelope.payload, uow=uow, now=now,
                                context=event_context(envelope.payload, base), register=register,
                                source_event_id=envelope.event_id)
    except RecordIdConflict as error:
        raise PermanentError(str(error)) from None
