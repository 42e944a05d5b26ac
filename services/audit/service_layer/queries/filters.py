"""The auditor's filters (period, person, recipient, legal basis, kind, employee, paging) and the
conditions they add to a query over the disclosure records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, or_
from sqlalchemy.sql import ColumnElement

from services.audit.adapters.orm import disclosure_payloads as p

NOT_REJECTED = p.c.kind != "DECISION_REJECTED"
MAX_PAGE = 1000
MAX_EXPORT = 100_000


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: date | None = None
    date_to: date | None = None
    subject: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=64)
    recipient: str | None = Field(default=None, max_length=80)
    legal_basis: str | None = Field(default=None, max_length=40)
    kind: str | None = Field(default=None, max_length=32)
    employee: str | None = Field(default=None, max_length=200)
    from_seq_no: int | None = Field(default=None, ge=1)
    to_seq_no: int | None = Field(default=None, ge=1)
    include_staff: bool = False
    limit: int = Field(default=100, ge=1, le=MAX_EXPORT)
    offset: int = Field(default=0, ge=0)

    def logged(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def _instant(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000000Z"


def apply_filters(query: Select[Any], filters: Filters, *, basis: bool = True, recipient: bool = True,
                  kind: bool = True) -> Select[Any]:
    if filters.date_from:
        query = query.where(p.c.occurred_at >= _instant(filters.date_from))
    if filters.date_to:
        query = query.where(p.c.occurred_at < _instant(filters.date_to + timedelta(days=1)))
    if recipient and filters.recipient:
        query = query.where(p.c.recipient_authority == filters.recipient)
    if basis and filters.legal_basis:
        query = query.where(p.c.legal_basis == filters.legal_basis)
    if kind and filters.kind:
        query = query.where(p.c.kind == filters.kind)
    if filters.employee:
        query = query.where(or_(p.c.executed_by == filters.employee, p.c.decided_by == filters.employee))
    return query


def dates_between(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The date filters on an instant column other than ``occurred_at``."""
    conditions: list[ColumnElement[bool]] = []
    if filters.date_from:
        conditions.append(column >= _instant(filters.date_from))
    if filters.date_to:
        conditions.append(column < _instant(filters.date_to + timedelta(days=1)))
    return conditions
