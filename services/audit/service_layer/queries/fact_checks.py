"""The checks against the case, underretning and mail facts audit keeps from routing's and notify's
events (``case_facts``, ``underretning_facts``, ``mail_gateway_log``; see ``domain/facts.py``): Q9 the
underretninger, Q12 completeness against the mail gateway's log, Q17 disclosures after a case closed.
Instants are compared as the fixed-width UTC text both databases sort alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, literal, null, or_, select

from services.audit.adapters.columns import parse_instant
from services.audit.adapters.orm import case_facts as cf
from services.audit.adapters.orm import disclosure_log as lg
from services.audit.adapters.orm import disclosure_payloads as p
from services.audit.adapters.orm import mail_gateway_log as mg
from services.audit.adapters.orm import underretning_facts as uf
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.facts import DEAD_LETTERED, OUT_OF_SCOPE, SENT
from services.audit.domain.values import format_utc
from services.audit.service_layer.queries.catalogue import QueryContext, QuerySpec
from services.audit.service_layer.queries.filters import NOT_REJECTED, Filters, apply_filters, dates_between
from services.audit.service_layer.queries.labels import FINDINGS_DA
from services.audit.service_layer.queries.paging import (
    RECORD_COLUMNS,
    QueryResult,
    as_text,
    columns_named,
    page_of,
    payloads_with_log,
    union_page,
)

LEAVING_KINDS = ("DISCLOSURE", "INTERNAL_TRANSFER")


Q9_COLUMNS = ["finding", "reference", "infohus_case_id", "underretning_id", "legal_type", "state", "at",
              "due_at", "done_at"]


async def q9_underretninger(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    """(a) from the case facts; (b)-(d) from the latest state of each underretning. ``at`` is when the
    case was opened or the underretning received (what the date filters select on)."""
    now = format_utc(ctx.now)
    has_underretning = exists(select(literal(1)).select_from(uf).where(uf.c.infohus_case_id == cf.c.infohus_case_id))
    missing = select(
        literal("MISSING_UNDERRETNING").label("finding"), cf.c.reference.label("reference"),
        cf.c.infohus_case_id.label("infohus_case_id"), as_text(None).label("underretning_id"),
        as_text(None).label("legal_type"), as_text(None).label("state"), cf.c.opened_at.label("at"),
        as_text(None).label("due_at"), as_text(None).label("done_at"),
    ).where(cf.c.minor_possible.is_(True), func.coalesce(cf.c.underretning_count, 0) == 0, ~has_underretning,
            *dates_between(cf.c.opened_at, filters))
    not_forwarded = uf.c.forwarded_at.is_(None)

    def part(finding: str, due: Any, done: Any, *conditions: Any) -> Select[Any]:
        return select(
            literal(finding).label("finding"), uf.c.reference.label("reference"),
            uf.c.infohus_case_id.label("infohus_case_id"), uf.c.underretning_id.label("underretning_id"),
            uf.c.legal_type.label("legal_type"), uf.c.state.label("state"), uf.c.received_at.label("at"),
            as_text(due).label("due_at"), as_text(done).label("done_at"),
        ).where(*conditions, *dates_between(uf.c.received_at, filters))

    parts = [
        missing,
        part("ASSESSED_LATE", uf.c.assessment_due_at, uf.c.assessed_at, uf.c.assessed_at > uf.c.assessment_due_at),
        part("NOT_ASSESSED_PAST_DUE", uf.c.assessment_due_at, None, uf.c.assessed_at.is_(None),
             uf.c.assessment_due_at < now, not_forwarded),
        part("RECEIPT_CONFIRMED_LATE", uf.c.receipt_confirmation_due_end, uf.c.receipt_confirmed_at,
             uf.c.receipt_confirmed_at > uf.c.receipt_confirmation_due_end),
        part("RECEIPT_NOT_CONFIRMED_PAST_DUE", uf.c.receipt_confirmation_due_end, None,
             uf.c.receipt_confirmed_at.is_(None), uf.c.receipt_confirmation_due_end < now, not_forwarded),
        part("PROFESSIONAL_NOT_ORIENTED", None, None, uf.c.professional_orientation_required.is_(True),
             uf.c.oriented_at.is_(None), not_forwarded),
    ]
    result = await union_page(uow, spec, filters, parts, Q9_COLUMNS, order=("at", "finding", "underretning_id"))
    for row in result.rows:
        row["age_days"] = None if row["at"] is None else (ctx.now - parse_instant(row["at"])).days
    result.columns.insert(result.columns.index("done_at") + 1, "age_days")
    return result


Q12_COLUMNS = ["finding", "source", "at", "reference", "concern_id", "seq_no", "record_id", "recipient",
               "transport_ref", "delivery_status", "reason"]


async def q12_completeness(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    """Three sources in one list: the gateway's external mails without a record for their concern (or
    with their Message-ID), the gateway's dead-lettered notifications, and the log's own failed or
    unreferenced secure mails. ``recipient`` is an authority code (log) or a mail domain (gateway)."""
    internal = or_(*(or_(mg.c.recipient_domain == d.lower(), mg.c.recipient_domain.endswith("." + d.lower(),
                                                                                            autoescape=True))
                     for d in ctx.internal_mail_domains)) if ctx.internal_mail_domains else literal(False)
    recorded = exists(select(literal(1)).select_from(p).where(
        p.c.kind.in_(LEAVING_KINDS), or_(p.c.transport_ref == mg.c.message_id, p.c.concern_id == mg.c.concern_id)))
    reference = func.coalesce(
        mg.c.reference,
        select(func.max(cf.c.reference)).where(cf.c.concern_id == mg.c.concern_id).scalar_subquery(),
        select(func.max(uf.c.reference)).where(uf.c.concern_id == mg.c.concern_id).scalar_subquery())
    recipient_filter = [mg.c.recipient_domain == filters.recipient.lower()] if filters.recipient else []

    def gateway(finding: str, *conditions: Any) -> Select[Any]:
        return select(
            literal(finding).label("finding"), literal("mail-gateway").label("source"), mg.c.at.label("at"),
            reference.label("reference"), mg.c.concern_id.label("concern_id"),
            cast(null(), p.c.seq_no.type).label("seq_no"), as_text(None).label("record_id"),
            mg.c.recipient_domain.label("recipient"), mg.c.message_id.label("transport_ref"),
            literal(None, String).label("delivery_status"), mg.c.reason.label("reason"),
        ).where(*conditions, *dates_between(mg.c.at, filters), *recipient_filter)

    def in_log(finding: str, *conditions: Any) -> Select[Any]:
        return apply_filters(select(
            literal(finding).label("finding"), literal("log").label("source"), p.c.occurred_at.label("at"),
            as_text(None).label("reference"), p.c.concern_id.label("concern_id"), p.c.seq_no.label("seq_no"),
            lg.c.record_id.label("record_id"), p.c.recipient_authority.label("recipient"),
            p.c.transport_ref.label("transport_ref"), p.c.delivery_status.label("delivery_status"),
            as_text(None).label("reason"),
        ).select_from(payloads_with_log()).where(*conditions), filters)

    parts = [
        gateway("EXTERNAL_MAIL_WITHOUT_RECORD", mg.c.outcome == SENT,
                or_(mg.c.recipient_domain.is_(None), ~internal), ~recorded),
        gateway("DELIVERY_DEAD_LETTERED", mg.c.outcome == DEAD_LETTERED),
        in_log("RECORD_DELIVERY_FAILED", p.c.delivery_status == "FAILED"),
        in_log("SECURE_EMAIL_WITHOUT_TRANSPORT_REF", p.c.delivery_status != "FAILED", p.c.channel == "SECURE_EMAIL",
               p.c.transport_ref.is_(None), NOT_REJECTED),
    ]
    return await union_page(uow, spec, filters, parts, Q12_COLUMNS, order=("at", "finding", "transport_ref"))


async def q17_after_close(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    """Records that moved data after their case was closed, or after its triage found it OUT_OF_SCOPE."""
    after_close = and_(cf.c.closed_at.is_not(None), p.c.occurred_at > cf.c.closed_at)
    after_out_of_scope = and_(cf.c.triage_outcome == OUT_OF_SCOPE, p.c.occurred_at > cf.c.triage_completed_at)
    names = (*RECORD_COLUMNS, "infohus_case_id")
    query = apply_filters(
        select(*columns_named(*names), cf.c.reference, cf.c.closed_at, cf.c.triage_outcome, cf.c.triage_completed_at)
        .select_from(payloads_with_log().join(cf, cf.c.infohus_case_id == p.c.infohus_case_id))
        .where(p.c.kind.in_(LEAVING_KINDS), or_(after_close, after_out_of_scope)), filters)
    result = await page_of(uow, spec, filters, query,
                           [*names, "reference", "closed_at", "triage_outcome", "triage_completed_at"])
    for row in result.rows:
        closed = row["closed_at"] is not None and row["occurred_at"] > row["closed_at"]
        row["finding"] = "AFTER_CLOSE" if closed else "AFTER_OUT_OF_SCOPE"
        row["finding_da"] = FINDINGS_DA[row["finding"]]
    result.columns += ["finding", "finding_da"]
    return result
