"""``/administration/indsigt``: an administrator exports everything Infohus holds about one person for
their access request (GDPR art. 15), with a reason, and downloads it as one JSON file or a ZIP.

Audit is asked first, so the request and its reason are logged before any service gathers data; then
intake, routing and notify (with the concerns the others found). Each service logs its own part. Nothing is
kept here: a download is a new export, logged as such. The CPR number travels in POST bodies only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from contracts.envelope import new_uuid7
from contracts.subject_access import MailsRequest, SubjectAccessBundle, SubjectAccessRequest
from infohus.kit.auth import Permission, Principal, require
from services.workspace.adapters.subject_access import SubjectAccessApi
from services.workspace.domain.subject_access import (
    CPR_FIELD,
    NOTES_DA,
    READ_PURPOSES_DA,
    REASON_FIELD,
    SERVICES_DA,
    as_json,
    as_zip,
    file_name,
    formatted_cpr,
    parse_request,
)
from services.workspace.entrypoints.common import form_of, token_of
from services.workspace.entrypoints.rendering import now_of, render, templates

router = APIRouter(tags=["administration"])
Exporter = Annotated[Principal, require(Permission.SUBJECT_ACCESS)]
PAGE = "/administration/indsigt"
CURRENT = "/administration"
TITLE = "Indsigt: udtræk om en person"
DOWNLOADS = {"json": ("application/json", as_json), "zip": ("application/zip", as_zip)}

templates.env.filters["read_purpose"] = lambda code: READ_PURPOSES_DA.get(code, code)
templates.env.filters["service_name"] = lambda code: SERVICES_DA.get(code, code)


def _form(request: Request, values: dict[str, str], problems: dict[str, str], status_code: int) -> Response:
    return render(request, "administration_subject_access.html", {
        "title": TITLE, "current": CURRENT, "values": values, "problems": problems,
        "error_heading": "Udtrækket blev ikke lavet"}, status_code)


@router.get(PAGE)
async def subject_access_form(request: Request, _principal: Exporter) -> Response:
    return _form(request, {}, {}, 200)


@router.post(PAGE)
async def subject_access(request: Request, _principal: Exporter) -> Response:
    form = await form_of(request)
    parsed = parse_request(form, new_uuid7())
    if parsed.request is None:
        values = {CPR_FIELD: (form.get("cpr") or [""])[0], REASON_FIELD: (form.get("reason") or [""])[0]}
        return _form(request, values, parsed.problems, 422)
    bundle = await _export(request, parsed.request)
    download = DOWNLOADS.get((form.get("format") or [""])[0])
    if download is not None:
        media_type, encode = download
        extension = media_type.rsplit("/", 1)[1]
        return Response(encode(bundle), media_type=media_type, headers={
            "content-disposition": f'attachment; filename="{file_name(bundle, extension)}"',
            "cache-control": "no-store"})
    return render(request, "administration_subject_access_result.html", {
        "title": TITLE, "current": CURRENT, "bundle": bundle, "cpr": formatted_cpr(bundle.cpr),
        "participants": request.app.state.participants})


async def _export(request: Request, asked: SubjectAccessRequest) -> SubjectAccessBundle:
    token = await token_of(request)
    api = SubjectAccessApi.of(request.app)
    audit = await api.audit(token, asked)  # first: the request and its reason are on record before any export
    intake = await api.intake(token, asked)
    routing = await api.routing(token, asked)
    concern_ids = sorted({c.concern_id for c in intake.concerns} | {c.concern_id for c in routing.cases}
                         | {u.concern_id for u in routing.underretninger} | {p.concern_id for p in routing.persons}
                         | {d.concern_id for d in audit.disclosures if d.concern_id is not None}, key=str)
    notify = await api.notify(token, MailsRequest(request_id=asked.request_id, concern_ids=concern_ids))
    return SubjectAccessBundle(request_id=asked.request_id, created_at=now_of(request), cpr=asked.cpr,
                               reason=asked.reason, notes_da=list(NOTES_DA), intake=intake, routing=routing,
                               audit=audit, notify=notify)
