"""The checks of how the log's records were kept: late recording (Q10), corrections and error notices
(Q13), the data subject's information (Q14) and retention (Q16)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from rules.calendar import ADMINISTRATION_OFFICE_DAYS, COPENHAGEN
from services.audit.adapters.columns import parse_instant
from services.audit.adapters.orm import disclosure_log as lg
from services.audit.adapters.orm import disclosure_payloads as p
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.values import format_utc
from services.audit.service_layer.queries.catalogue import QueryContext, QuerySpec
from services.audit.service_layer.queries.filters import NOT_REJECTED, Filters, apply_filters
from services.audit.service_layer.queries.labels import FINDINGS_DA
from services.audit.service_layer.queries.paging import (
    QueryResult,
    page_of,
    payloads_with_log,
    records_where,
)


async def q10_late_recording(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters,
                             _ctx: QueryContext) -> QueryResult:
    result = await records_where(uow, spec, filters, p.c.recording_lag_s > 24 * 3600, extra=("recording_lag_s",))
    for row in result.rows:
        row["lag_hours"] = round(row["recording_lag_s"] / 3600, 1)
        oral = row["channel"] == "MEETING_ORAL"
        row["oral_over_2_office_days"] = oral and ADMINISTRATION_OFFICE_DAYS.office_days_between(
            parse_instant(row["occurred_at"]), parse_instant(row["recorded_at"])) > 2
    result.columns += ["lag_hours", "oral_over_2_office_days"]
    return result


async def q13_corrections(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    orig_log, orig = aliased(lg), aliased(p)
    notice = aliased(p)
    notice_log = aliased(lg)
    notice_exists = exists(select(literal(1)).select_from(notice).where(
        notice.c.kind == "RECIPIENT_ERROR_NOTICE",
        or_(notice.c.corrects_record_id == orig_log.c.record_id, notice.c.corrects_record_id == lg.c.record_id)))
    first_notice = (select(func.min(notice_log.c.record_id)).select_from(
        notice.join(notice_log, notice_log.c.seq_no == notice.c.seq_no)).where(
        notice.c.kind == "RECIPIENT_ERROR_NOTICE",
        or_(notice.c.corrects_record_id == orig_log.c.record_id, notice.c.corrects_record_id == lg.c.record_id))
        .scalar_subquery())
    query = apply_filters(
        select(orig_log.c.seq_no.label("original_seq_no"), orig_log.c.record_id.label("original_record_id"),
               orig.c.recipient_authority.label("original_recipient"), p.c.seq_no.label("correction_seq_no"),
               lg.c.record_id.label("correction_record_id"), p.c.recorded_at.label("corrected_at"),
               notice_exists.label("recipient_notified"), first_notice.label("notice_record_id"))
        .select_from(payloads_with_log().join(orig_log, orig_log.c.record_id == p.c.corrects_record_id)
                     .outerjoin(orig, orig.c.seq_no == orig_log.c.seq_no))
        .where(p.c.kind == "CORRECTION"), filters, recipient=False, kind=False)
    return await page_of(uow, spec, filters, query,
                         ["original_seq_no", "original_record_id", "original_recipient", "correction_seq_no",
                          "correction_record_id", "corrected_at", "recipient_notified", "notice_record_id"])


async def q14_subject_information(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters,
                                  ctx: QueryContext) -> QueryResult:
    corrector = aliased(p)
    corrected = exists(select(literal(1)).select_from(corrector).where(
        corrector.c.kind == "CORRECTION", corrector.c.corrects_record_id == lg.c.record_id))
    month_ago = format_utc(ctx.now - timedelta(days=30))
    today = ctx.now.astimezone(COPENHAGEN).date().isoformat()
    deferred = p.c.subject_information_status.like("DEFERRED\\_%", escape="\\")
    open_status = or_(and_(deferred, or_(p.c.review_at.is_(None), p.c.review_at < today)),
                      and_(p.c.subject_information_status == "PENDING", p.c.recorded_at < month_ago))
    result = await records_where(uow, spec, filters, open_status, ~corrected, NOT_REJECTED,
                                 extra=("subject_information_status", "review_at"))
    for row in result.rows:
        finding = "PENDING_OVER_1_MONTH" if row["subject_information_status"] == "PENDING" else (
            "NO_REVIEW_DATE" if row["review_at"] is None else "REVIEW_OVERDUE")
        row["finding"], row["finding_da"] = finding, FINDINGS_DA[finding]
    result.columns += ["finding", "finding_da"]
    return result


async def q16_retention(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    return await records_where(uow, spec, filters, p.c.retention_until < ctx.now.date().isoformat(),
                               extra=("retention_until",))
