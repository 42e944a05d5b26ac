"""The checks of each disclosure's conditions: § 115's necessity assessment, purpose and participants
(Q3-Q5), § 115 a's age limit (Q6), sensitive data (Q7) and the onward chain of § 115 data (Q8)."""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from services.audit.adapters.orm import disclosure_log as lg
from services.audit.adapters.orm import disclosure_payloads as p
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.service_layer.queries.catalogue import QueryContext, QuerySpec
from services.audit.service_layer.queries.filters import NOT_REJECTED, Filters, apply_filters
from services.audit.service_layer.queries.paging import (
    RECORD_COLUMNS,
    QueryResult,
    columns_named,
    page_of,
    payloads_with_log,
    records_where,
)

# "RPL115_*": the § 115 bases proper. The underscore is a LIKE wildcard, so it is escaped; this
# leaves out RPL115A_FAMILY (§ 115 a), which Q6 covers.
RPL115 = p.c.legal_basis.like("RPL115\\_%", escape="\\")


async def q3_rpl115_without_assessment(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters,
                                       _ctx: QueryContext) -> QueryResult:
    weak = or_(p.c.necessity_assessment.is_(None), func.length(func.trim(p.c.necessity_assessment)) < 30,
               p.c.decided_by.is_(None))
    return await records_where(uow, spec, filters, RPL115, NOT_REJECTED, weak, extra=("necessity_assessment",))


async def q4_rpl115_investigation(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters,
                                  _ctx: QueryContext) -> QueryResult:
    investigation = or_(p.c.purpose == "CRIMINAL_REPORT", p.c.not_for_investigation.is_(False))
    return await records_where(uow, spec, filters, RPL115, NOT_REJECTED, investigation,
                               extra=("not_for_investigation",))


async def q5_rpl115_outside_cooperation(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters,
                                        ctx: QueryContext) -> QueryResult:
    """Declared non-participants, and (with a register) every counterpart the register does not list for
    the record's cooperation form, whatever the record declared: a record kept from before audit derived
    participation is found too."""
    outside: ColumnElement[bool] = p.c.recipient_is_cooperation_participant.is_(False)
    if ctx.register is not None:
        who = case((p.c.kind == "RECEIPT", p.c.discloser_authority), else_=p.c.recipient_authority)
        listed = [and_(who == code, p.c.cooperation_form.in_(sorted(forms)))
                  for code, forms in ctx.register.forms_by_authority.items()]
        outside = or_(outside, ~or_(*listed)) if listed else literal(True)
    return await records_where(uow, spec, filters, RPL115, NOT_REJECTED, outside,
                               extra=("recipient_is_cooperation_participant", "fact_provenance"))


async def q6_rpl115a_minors(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    minor = or_(p.c.subject_age_at_occurrence.is_(None), p.c.subject_age_at_occurrence < 18)
    return await records_where(uow, spec, filters, p.c.legal_basis == "RPL115A_FAMILY", NOT_REJECTED, minor,
                               extra=("subject_age_at_occurrence", "fact_provenance"))


async def q7_sensitive_data(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    sensitive = or_(p.c.contains_special_categories.is_(True), p.c.contains_criminal_data.is_(True),
                    p.c.contains_gang_info.is_(True))
    names = (*RECORD_COLUMNS, "contains_special_categories", "contains_criminal_data", "contains_gang_info")
    query = apply_filters(select(*columns_named(*names)).select_from(payloads_with_log())
                          .where(NOT_REJECTED, sensitive), filters)
    result = await page_of(uow, spec, filters, query, list(names),
                           order=[p.c.legal_basis, p.c.recipient_authority, p.c.seq_no])
    groups = await uow.session.execute(
        apply_filters(select(p.c.legal_basis, p.c.recipient_authority, func.count().label("count"))
                      .where(NOT_REJECTED, sensitive).group_by(p.c.legal_basis, p.c.recipient_authority), filters)
        .order_by(p.c.legal_basis, p.c.recipient_authority))
    result.extra["groups"] = [dict(g) for g in groups.mappings()]
    return result


async def q8_onward_chain(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    src_log, src = aliased(lg), aliased(p)
    query = apply_filters(
        select(p.c.seq_no, lg.c.record_id, p.c.occurred_at, p.c.recipient_authority,
               p.c.legal_basis.label("onward_legal_basis"), p.c.purpose, p.c.source_record_id,
               src.c.seq_no.label("source_seq_no"), src.c.legal_basis.label("source_legal_basis"),
               src.c.discloser_authority.label("source_authority"), src.c.occurred_at.label("source_occurred_at"))
        .select_from(payloads_with_log().outerjoin(src_log, src_log.c.record_id == p.c.source_record_id)
                     .outerjoin(src, src.c.seq_no == src_log.c.seq_no))
        .where(p.c.kind == "DISCLOSURE", p.c.source_of_data == "RECEIVED_UNDER_RPL115"), filters)
    result = await page_of(uow, spec, filters, query,
                           ["seq_no", "record_id", "occurred_at", "recipient_authority", "onward_legal_basis",
                            "purpose", "source_record_id", "source_seq_no", "source_legal_basis",
                            "source_authority", "source_occurred_at", "source_missing"])
    for row in result.rows:
        row["source_missing"] = row["source_seq_no"] is None
    return result
