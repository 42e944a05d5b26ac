"""The overviews: Q1 per registered person, Q2 per recipient, Q15 per employee and Q18 the rejected
proposals."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import exists, func, literal, or_, select, union_all
from sqlalchemy.sql import ColumnElement

from services.audit.adapters.orm import case_facts as cf
from services.audit.adapters.orm import disclosure_payloads as p
from services.audit.adapters.orm import disclosure_subjects
from services.audit.adapters.orm import underretning_facts as uf
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.service_layer.queries.catalogue import QueryContext, QuerySpec
from services.audit.service_layer.queries.filters import NOT_REJECTED, Filters, apply_filters
from services.audit.service_layer.queries.paging import (
    QueryResult,
    columns_named,
    page_of,
)

MOVING_KINDS = ("DISCLOSURE", "RECEIPT", "INTERNAL_TRANSFER")
STAFF_COLUMNS = ("executed_by", "decided_by")


async def q1_per_person(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    names = ["occurred_at", "kind", "recipient_authority", "recipient_unit", "discloser_authority",
             "discloser_unit", "legal_basis", "purpose", "data_categories", "channel"]
    if filters.include_staff:
        names += list(STAFF_COLUMNS)
    query = apply_filters(select(*columns_named(*names)).where(*_about(filters), p.c.kind.in_(MOVING_KINDS)), filters)
    result = await page_of(uow, spec, filters, query, names, order=[p.c.occurred_at, p.c.seq_no])
    for row in result.rows:
        outgoing = row["kind"] != "RECEIPT"
        row["counterpart"] = row["recipient_authority"] if outgoing else row["discloser_authority"]
        row["direction"] = "videregivet til" if outgoing else "modtaget fra"
    result.columns = ["occurred_at", "kind", "direction", "counterpart", *names[2:]]
    result.extra["staff_hidden"] = not filters.include_staff
    return result


def _about(filters: Filters) -> list[ColumnElement[bool]]:
    """Q1's records: those whose subjects include ``subject`` (a person id or CPR HMAC) and/or those about
    the concern, case or underretning with ``reference`` (looked up in the case and underretning facts)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.subject:
        conditions.append(exists(select(literal(1)).select_from(disclosure_subjects).where(
            disclosure_subjects.c.seq_no == p.c.seq_no, disclosure_subjects.c.subject_key == filters.subject)))
    if filters.reference:
        reference = filters.reference.strip().upper()
        concerns = union_all(select(cf.c.concern_id).where(cf.c.reference == reference, cf.c.concern_id.is_not(None)),
                             select(uf.c.concern_id).where(uf.c.reference == reference))
        cases = union_all(select(cf.c.infohus_case_id).where(cf.c.reference == reference),
                          select(uf.c.infohus_case_id).where(uf.c.reference == reference,
                                                             uf.c.infohus_case_id.is_not(None)))
        conditions.append(or_(p.c.concern_id.in_(concerns), p.c.infohus_case_id.in_(cases)))
    return conditions


async def q2_per_recipient(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    count = func.count().label("count")
    query = apply_filters(select(p.c.legal_basis, p.c.cooperation_form, p.c.purpose, count).where(NOT_REJECTED)
                          .group_by(p.c.legal_basis, p.c.cooperation_form, p.c.purpose), filters)
    return await page_of(uow, spec, filters, query, ["legal_basis", "cooperation_form", "purpose", "count"],
                         order=[p.c.legal_basis, p.c.cooperation_form, p.c.purpose])


async def q15_per_employee(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    rows: list[dict[str, Any]] = []
    for role, column in (("executed", p.c.executed_by), ("decided", p.c.decided_by)):
        query = apply_filters(select(column.label("employee"), p.c.occurred_month.label("month"),
                                     func.count().label("count")).where(column.is_not(None), NOT_REJECTED)
                              .group_by(column, p.c.occurred_month), filters)
        rows += [{**dict(r), "role": role} for r in (await uow.session.execute(query)).mappings()]
    by_month: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        by_month.setdefault((row["month"], row["role"]), []).append(row["count"])
    for row in rows:
        median = statistics.median(by_month[(row["month"], row["role"])])
        row["month_median"] = median
        row["outlier"] = row["count"] >= 10 and row["count"] > 3 * median
    rows.sort(key=lambda r: (r["month"], r["role"], -r["count"], r["employee"]))
    page = rows[filters.offset:filters.offset + filters.limit]
    return QueryResult(spec.id, spec.title_da, ["month", "employee", "role", "count", "month_median", "outlier"],
                       page, len(rows), filters.limit, filters.offset, False, spec.note_da)


async def q18_rejected(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    query = apply_filters(select(p.c.legal_basis, func.count().label("count"))
                          .where(p.c.kind == "DECISION_REJECTED").group_by(p.c.legal_basis), filters, kind=False)
    return await page_of(uow, spec, filters, query, ["legal_basis", "count"], order=[p.c.legal_basis])
