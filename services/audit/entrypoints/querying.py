"""Running an auditor query from an HTTP request: the filters from the query string, the verifier Q11
needs, the signed-in auditor as the logged actor. Shared by the API and the auditor pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from infohus.kit.auth import Principal
from infohus.kit.http import field_errors
from services.audit.bootstrap import AuditContainer
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.paging import QueryResult
from services.audit.service_layer.queries.running import run_query
from services.audit.service_layer.verify import VerifyReport, verify_log

# Query-string parameters of the pages that are not filters.
PAGE_ONLY = frozenset({"format", "searched"})


def actor_of(principal: Principal) -> str:
    return principal.user_id[:200]


async def run(container: AuditContainer, query_id: str, filters: Filters, *, actor: Principal,
              output: str) -> QueryResult:
    async def verifier(f: Filters) -> VerifyReport:
        return await verify_log(container.unit_of_work, public_key=container.settings.public_key(),
                                today=date.today(), from_seq_no=f.from_seq_no or 1, to_seq_no=f.to_seq_no)

    return await run_query(query_id, filters, uow_factory=container.unit_of_work,
                           actor=actor_of(actor), output_format=output, verifier=verifier,
                           internal_mail_domains=tuple(container.settings.internal_mail_domains),
                           register=container.register)


def filters_from(params: QueryParams, *, export: bool) -> Filters:
    raw: dict[str, Any] = {k: v for k, v in params.items() if k not in PAGE_ONLY and v != ""}
    if export and "limit" not in raw:
        raw["limit"] = 100_000
    try:
        filters = Filters.model_validate(raw)
    except ValidationError as error:
        raise HTTPException(422, field_errors(error.errors())) from None
    if not export and filters.limit > 1000:
        raise HTTPException(422, "limit must be at most 1000 (use format=csv to export more)")
    return filters
