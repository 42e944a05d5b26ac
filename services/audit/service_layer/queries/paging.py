"""A query's result page: the record columns most queries show, and one page (with the total) of a
query or of the union of several."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, cast, func, null, select, union_all
from sqlalchemy.sql import ColumnElement

from services.audit.adapters.orm import disclosure_log as lg
from services.audit.adapters.orm import disclosure_payloads as p
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.service_layer.queries.catalogue import QuerySpec
from services.audit.service_layer.queries.filters import Filters, apply_filters
from services.audit.service_layer.queries.labels import FINDINGS_DA


@dataclass
class QueryResult:
    query: str
    title_da: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    zero_is_compliant: bool
    note_da: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def compliant(self) -> bool | None:
        return (self.total == 0) if self.zero_is_compliant else None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "title_da": self.title_da, "columns": self.columns, "rows": self.rows,
                "total": self.total, "limit": self.limit, "offset": self.offset,
                "zero_is_compliant": self.zero_is_compliant, "compliant": self.compliant,
                "note_da": self.note_da, **self.extra}


RECORD_COLUMNS = ("seq_no", "record_id", "kind", "occurred_at", "recorded_at", "discloser_authority",
                  "discloser_unit", "recipient_authority", "recipient_unit", "legal_basis", "cooperation_form",
                  "purpose", "data_categories", "channel", "delivery_status", "executed_by", "decided_by")


def columns_named(*names: str) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for name in names:
        if name == "record_id":
            out.append(lg.c.record_id)
        elif name == "seq_no":
            out.append(p.c.seq_no)
        else:
            out.append(p.c[name])
    return out


def payloads_with_log() -> Any:
    return p.join(lg, lg.c.seq_no == p.c.seq_no)


async def page_of(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, query: Select[Any],
                  columns: list[str], *, order: list[Any] | None = None) -> QueryResult:
    total = int((await uow.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one())
    ordered = query.order_by(*(order or [p.c.seq_no])).limit(filters.limit).offset(filters.offset)
    rows = [dict(r) for r in (await uow.session.execute(ordered)).mappings()]
    return QueryResult(spec.id, spec.title_da, columns, rows, total, filters.limit, filters.offset,
                       spec.zero_is_compliant, spec.note_da)


async def records_where(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, *conditions: Any,
                        extra: tuple[str, ...] = ()) -> QueryResult:
    names = (*RECORD_COLUMNS, *extra)
    query = apply_filters(select(*columns_named(*names)).select_from(payloads_with_log()).where(*conditions), filters)
    return await page_of(uow, spec, filters, query, list(names))


async def union_page(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, parts: list[Select[Any]],
                     columns: list[str], order: tuple[str, ...]) -> QueryResult:
    """One page over the union of ``parts`` (each selecting ``columns``, by label); adds ``finding_da``."""
    rows_of = union_all(*parts).subquery()
    total = int((await uow.session.execute(select(func.count()).select_from(rows_of))).scalar_one())
    page = select(rows_of).order_by(*(rows_of.c[name] for name in order)).limit(filters.limit).offset(filters.offset)
    rows = [dict(r) for r in (await uow.session.execute(page)).mappings()]
    for row in rows:
        row["finding_da"] = FINDINGS_DA.get(row["finding"], row["finding"])
    return QueryResult(spec.id, spec.title_da, [*columns, "finding_da"], rows, total, filters.limit, filters.offset,
                       spec.zero_is_compliant, spec.note_da)


def as_text(value: Any) -> Any:
    return cast(value, String) if value is not None else cast(null(), String)
