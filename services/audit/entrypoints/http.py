"""Audit's HTTP side: recording disclosures, the auditor API and page (Danish), Merkle proofs, checkpoints.

Every route states its rule (``infohus.kit.auth``): tovholdere and StraXen record disclosures
(``DISCLOSURE_RECORD``); auditors read the log and run the queries (``AUDIT_READ``), each query logged
with the signed-in auditor's user id; auditors and administrators check integrity (``AUDIT_VERIFY``:
checkpoints and proofs, which carry no personal data).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from contracts.envelope import new_uuid7
from contracts.events import DisclosureRecorded
from infohus.kit.auth import AuthSettings, CaseKind, Permission, Principal, ReadPurpose, install_auth, require
from infohus.kit.auth.oidc import JwksFetcher
from infohus.kit.http import field_errors, service_app
from infohus.kit.retention.http import retention_router
from infohus.kit.telemetry import current_trace_id
from services.audit.bootstrap import AuditContainer, bootstrap
from services.audit.domain.invariant_types import InvariantContext
from services.audit.domain.values import format_utc
from services.audit.entrypoints.case_disclosures import case_disclosures_router
from services.audit.entrypoints.pages import STATIC_PATHS, install_pages
from services.audit.entrypoints.querying import filters_from, run
from services.audit.entrypoints.subject_access import subject_access_router
from services.audit.service_layer.append import (
    AppendResult,
    DisclosureRefused,
    InvalidDisclosure,
    RecordIdConflict,
    append_disclosure,
    attributed,
)
from services.audit.service_layer.queries.catalogue import SPECS, QueryError
from services.audit.service_layer.queries.paging import QueryResult
from services.audit.service_layer.tree import consistency, inclusion

__all__ = ["STATIC_PATHS", "build", "create_app"]

READ = require(Permission.AUDIT_READ)
VERIFY = require(Permission.AUDIT_VERIFY)
RECORD = require(Permission.DISCLOSURE_RECORD)


class DisclosureSubmission(DisclosureRecorded):
    """A disclosure a tovholder records by hand (meeting, phone, mail): ``DisclosureRecorded`` (whose
    ``reporter_anonymous`` I10 honours and the log does not store) plus the reporter markers I10 looks for.
    ``executed_by`` is the signed-in person, set by the service (see ``append.attributed``)."""

    executed_by: str | None = None  # type: ignore[assignment]
    reporter_markers: list[str] = []

    def fields(self) -> dict[str, Any]:
        # Only what the caller sent: a fact left out is not declared (``derivation.declared_anonymity``).
        return self.model_dump(exclude={"reporter_markers"}, exclude_unset=True)


def create_app(container: AuditContainer, *, manage_runtime: bool = True, auth: AuthSettings | None = None,
               jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    app = service_app("Infohus audit", container.runtime, manage_runtime=manage_runtime)
    app.state.audit_settings = container.settings
    install_auth(app, auth if auth is not None else AuthSettings(), jwks_fetcher=jwks_fetcher)
    app.include_router(case_disclosures_router(container))
    app.include_router(subject_access_router(container))
    app.include_router(retention_router(container.retention))
    install_pages(app, container)

    @app.get("/api/v1/disclosures/by-concern/{concern_id}")
    async def by_concern(concern_id: UUID, auditor: Annotated[Principal, READ]) -> list[dict[str, Any]]:
        """The records about a concern (without who executed or decided); the read is logged first."""
        async with container.unit_of_work() as uow:
            rows = await uow.log.by_concern(concern_id)
            await container.read_log.record(uow.session, auditor, case_kind=CaseKind.CONCERN, case_id=concern_id,
                                            purpose=ReadPurpose.AUDIT, fields=["disclosure_records"])
            await uow.commit()
        return [{k: v for k, v in row.items() if k not in ("executed_by", "decided_by", "necessity_assessment")}
                for row in rows]

    @app.post("/api/v1/disclosures", status_code=201, responses={
        200: {"description": "Already recorded (same record_id, same content)"},
        409: {"description": "record_id exists with other content"},
        422: {"description": "Refused: names the broken invariants"}})
    async def record_disclosure(submission: DisclosureSubmission,
                                principal: Annotated[Principal, RECORD]) -> JSONResponse:
        """Record a disclosure made by hand. ``executed_by`` is the signed-in person (user id and role): a body
        naming anyone else there is refused (422, D1); another person may be named as ``decided_by``."""
        base = container.context
        try:
            context = InvariantContext(
                reporter_anonymous=submission.reporter_anonymous,
                reporter_markers=frozenset(submission.reporter_markers),
                police_authorities=base.police_authorities, social_authority_units=base.social_authority_units)
        except ValueError as error:
            return _refusal([{"field": "reporter_markers", "code": "value_error",
                              "message_da": "Markører skal være mindst 4 tegn.", "message_en": str(error)}])
        try:
            event = attributed(submission.fields(), principal)
            result = await append_disclosure(event, uow=container.unit_of_work(), now=datetime.now(UTC),
                                             context=context, register=container.register, log_rejection=True)
        except InvalidDisclosure as error:
            return _refusal(field_errors(error.errors))
        except DisclosureRefused as error:
            detail = [{"field": v.field, "code": v.code, "invariant": v.code, "message_da": v.message_da,
                       "message_en": v.message_en} for v in error.violations]
            return _refusal(detail, rejected=error.rejected)
        except RecordIdConflict:
            return JSONResponse(status_code=409, content={"detail": [{
                "field": "record_id", "code": "conflict",
                "message_da": "Der findes allerede en post med dette record_id og andet indhold. Poster "
                              "ændres aldrig; registrér en rettelse (kind=CORRECTION).",
                "message_en": "A record with this record_id exists with other content; record a CORRECTION."}]})
        assert result is not None
        return JSONResponse(status_code=201 if result.created else 200, content=_appended(result))

    @app.get("/api/v1/audit/queries", dependencies=[READ])
    async def list_queries() -> list[dict[str, Any]]:
        return [{"id": s.id, "title_da": s.title_da, "description_da": s.description_da,
                 "zero_is_compliant": s.zero_is_compliant, "needs": list(s.needs),
                 "needs_one_of": list(s.needs_one_of), "note_da": s.note_da}
                for s in SPECS]

    @app.get("/api/v1/audit/queries/{query_id}")
    async def auditor_query(query_id: str, request: Request, auditor: Annotated[Principal, READ]) -> Response:
        output = request.query_params.get("format", "json")
        if output not in ("json", "csv"):
            raise HTTPException(422, "format must be json or csv")
        filters = filters_from(request.query_params, export=output == "csv")
        try:
            result = await run(container, query_id, filters, actor=auditor, output=output)
        except QueryError as error:
            raise HTTPException(404 if "unknown" in str(error) else 422, str(error)) from None
        if output == "csv":
            return Response(_csv(result), media_type="text/csv; charset=utf-8", headers={
                "content-disposition": f'attachment; filename="{result.query.lower()}.csv"'})
        return JSONResponse(_jsonable(result.as_dict()))

    @app.get("/api/v1/audit/query-log")
    async def query_log(auditor: Annotated[Principal, READ], limit: int = 100) -> list[dict[str, Any]]:
        """The auditor query log, newest first; reading it is logged as well."""
        limit = min(max(limit, 1), 1000)
        async with container.unit_of_work() as uow:
            entries = await uow.query_log.entries(limit=limit)
            await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(datetime.now(UTC)),
                                    actor=_actor(auditor), query="QUERY_LOG",
                                    parameters={"limit": limit}, result_rows=len(entries), output_format="json",
                                    trace_id=current_trace_id())
            await uow.commit()
        return entries

    @app.get("/api/v1/checkpoints/latest", dependencies=[VERIFY])
    async def latest_checkpoint() -> dict[str, Any]:
        async with container.unit_of_work() as uow:
            checkpoint = await uow.checkpoints.latest()
        if checkpoint is None:
            raise HTTPException(404, "Der er endnu ingen signeret checkpoint / no checkpoint yet")
        return checkpoint.model_dump(mode="json")

    @app.post("/api/v1/checkpoints", status_code=201, dependencies=[VERIFY])
    async def new_checkpoint() -> dict[str, Any]:
        checkpoint = await container.sign_checkpoint()
        if checkpoint is None:
            raise HTTPException(503, "INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY is not set")
        return checkpoint.model_dump(mode="json")

    @app.get("/api/v1/proofs/inclusion/{seq_no}", dependencies=[VERIFY])
    async def inclusion_proof(seq_no: int, tree_size: int | None = None) -> dict[str, Any]:
        try:
            return (await inclusion(container.tree, seq_no, tree_size)).as_dict()
        except ValueError as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/api/v1/proofs/consistency", dependencies=[VERIFY])
    async def consistency_proof(old_size: int, new_size: int | None = None) -> dict[str, Any]:
        try:
            return await consistency(container.tree, old_size, new_size)
        except ValueError as error:
            raise HTTPException(404, str(error)) from None

    return app


def _actor(principal: Principal) -> str:
    return principal.user_id[:200]


def _refusal(detail: list[dict[str, Any]], rejected: AppendResult | None = None) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": detail, "decision_rejected_record": None if rejected is None else _appended(rejected)})


def _appended(result: AppendResult) -> dict[str, Any]:
    return {"seq_no": result.seq_no, "record_id": str(result.record_id), "record_hash": result.record_hash,
            "kind": result.kind, "created": result.created}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | UUID):
        return str(value)
    return value


def _csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([csv_cell(row.get(c)) for c in result.columns])
    return buffer.getvalue()


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def build() -> tuple[AuditContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
