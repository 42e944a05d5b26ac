"""The auditor pages at ``/revision`` (Danish, Det Fælles Designsystem from our own origin, the staff
workspace's look): the index with the log's integrity, one page per query, and Q1 searched by CPR number.

A CPR number is posted (never put in a URL), hashed with the key routing uses, and the browser is sent on
to the result page with the hash (a pseudonym) as the subject: the number reaches neither the query log nor
an access log. Every query run from here is logged as the API's are (``run_query``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.cpr import cpr_hmac, normalise_cpr
from infohus.kit import pages
from infohus.kit.auth import ANONYMOUS, Permission, Principal, require
from infohus.kit.security_headers import verify_csrf
from services.audit.bootstrap import AuditContainer
from services.audit.domain import labels as L
from services.audit.entrypoints.querying import PAGE_ONLY, run
from services.audit.service_layer.queries.catalogue import BY_ID, SPECS, QueryError, QuerySpec
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.integrity import integrity_status
from services.audit.service_layer.queries.labels import LABELS_DA
from services.audit.service_layer.queries.paging import QueryResult
from services.audit.settings import TEMPLATES_DIR, WEB_DIR, AuditSettings

log = logging.getLogger(__name__)
READ = require(Permission.AUDIT_READ)
LOGIN = "/auth/login"
LOGOUT = "/auth/logout"
NAV = (("/revision", "Oversigt"), ("/revision/Q1", "Søg på person"), ("/revision/Q11", "Integritet"))
STATIC_PATHS = pages.static_paths("audit")
MAX_COLUMNS = 7
# Shown in a row's details, not as a column of their own (the tables fit 1,280 px).
SECONDARY = frozenset({
    "record_id", "recorded_at", "discloser_authority", "discloser_unit", "recipient_unit", "cooperation_form",
    "data_categories", "channel", "delivery_status", "executed_by", "decided_by", "transport_ref", "finding",
    "infohus_case_id", "underretning_id", "concern_id", "necessity_assessment", "source_record_id",
})
# Q1: "Art" (videregivelse/modtagelse) already says which way the data went.
PRIMARY = {"Q1": ["occurred_at", "kind", "counterpart", "legal_basis", "purpose", "data_categories"]}
NO_MATCH_CPR = ("Der er ingen poster om dette CPR-nummer i perioden. Tjek nummeret. Poster fra før CPR-nummeret "
                "blev registreret i sagen kendes kun under personens person-id: søg på henvendelsens "
                "referencenummer i stedet.")
NO_MATCH_REFERENCE = ("Der er ingen poster om dette referencenummer i perioden. Tjek nummeret (fx IH-2026-AB12-CD34). "
                      "Revisionen kender kun referencenumre på henvendelser, der er blevet til en sag eller en "
                      "underretning.")

templates = pages.page_templates(TEMPLATES_DIR, filters={"cell": L.cell})


def install_pages(app: FastAPI, container: AuditContainer) -> None:
    _mount_assets(app, container.settings)
    _routes(app, container)
    _errors(app)


def _mount_assets(app: FastAPI, settings: AuditSettings) -> None:
    pages.mount_assets(app, name="audit", static_dir=WEB_DIR / "static", node_modules=settings.web_assets_dir)


def _routes(app: FastAPI, container: AuditContainer) -> None:
    settings = container.settings

    @app.get("/revision", response_class=Response, dependencies=[READ])
    async def revision_index(request: Request) -> Response:
        status = await integrity_status(container.unit_of_work)
        return render(request, "index.html", {"title": "Revision", "specs": SPECS, "integrity": status,
                                              "current": "/revision"})

    @app.get("/revision/{query_id}", response_class=Response)
    async def revision_query(query_id: str, request: Request, auditor: Annotated[Principal, READ]) -> Response:
        spec = BY_ID.get(query_id.upper())
        if spec is None:
            raise StarletteHTTPException(404)
        values = {k: v for k, v in request.query_params.items() if v}
        asked = any(k not in ("limit", "run") for k in values) or (not spec.needs and not spec.needs_one_of)
        if not asked:
            return _query_page(request, spec, values)
        try:
            filters = Filters.model_validate({k: v for k, v in values.items() if k not in (*PAGE_ONLY, "run")})
        except ValidationError as error:
            return _query_page(request, spec, values, problems=_problems(error), status_code=422)
        if filters.limit > 1000:
            return _query_page(request, spec, values, status_code=422,
                               problems={"limit": "Højst 1.000 rækker pr. side; hent CSV for at få flere."})
        try:
            result = await run(container, spec.id, filters, actor=auditor, output="html")
        except QueryError:
            return _query_page(request, spec, values, status_code=422, problems=_missing(spec))
        return _query_page(request, spec, values, result=result, filters=filters)

    @app.post("/revision/Q1", response_class=Response, dependencies=[READ, Depends(verify_csrf)])
    async def search_person(request: Request, cpr: Annotated[str, Form(max_length=40)] = "",
                            reference: Annotated[str, Form(max_length=64)] = "",
                            date_from: Annotated[str, Form(max_length=10)] = "",
                            date_to: Annotated[str, Form(max_length=10)] = "") -> Response:
        """Q1 by CPR number or reference: on to the result page with the CPR number's keyed hash."""
        spec = BY_ID["Q1"]
        values = {"cpr": cpr, "reference": reference, "date_from": date_from, "date_to": date_to}
        problems = _search_problems(values)
        if problems:
            return _query_page(request, spec, values, problems=problems, status_code=422)
        params = {"date_from": date_from, "date_to": date_to}
        number = normalise_cpr(cpr) if cpr.strip() else None
        if number is not None:
            params |= {"subject": cpr_hmac(settings.cpr_hmac_key.get_secret_value().encode(), number),
                       "searched": "cpr"}
        else:
            params |= {"reference": reference.strip().upper(), "searched": "reference"}
        query = urlencode({k: v for k, v in params.items() if v})
        return RedirectResponse(f"/revision/Q1?{query}", status_code=303)


def _search_problems(values: Mapping[str, str]) -> dict[str, str]:
    cpr, reference = values["cpr"].strip(), values["reference"].strip()
    problems: dict[str, str] = {}
    if not cpr and not reference:
        problems["cpr"] = "Skriv et CPR-nummer eller et referencenummer."
    elif cpr and reference:
        problems["cpr"] = "Søg på enten CPR-nummer eller referencenummer, ikke begge."
    elif cpr and normalise_cpr(cpr) is None:
        problems["cpr"] = "Skriv CPR-nummeret som 10 cifre, fx 010203-1234."
    try:
        Filters.model_validate({k: values[k] for k in ("date_from", "date_to") if values[k]})
    except ValidationError as error:
        problems |= _problems(error)
    return problems


def _problems(error: ValidationError) -> dict[str, str]:
    texts = {"date_from": "Skriv fra-datoen som en dato, fx 1.3.2026.",
             "date_to": "Skriv til-datoen som en dato, fx 31.3.2026.",
             "from_seq_no": "Fra løbenr. skal være et helt tal på mindst 1.",
             "to_seq_no": "Til løbenr. skal være et helt tal på mindst 1.",
             "limit": "Rækker pr. side skal være et helt tal fra 1 til 1.000."}
    problems: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "search"
        problems.setdefault(field, texts.get(field, f"Ugyldig værdi: {LABELS_DA.get(field, field)}."))
    return problems


def _missing(spec: QuerySpec) -> dict[str, str]:
    if spec.id == "Q1":
        return {"cpr": "Skriv et CPR-nummer eller et referencenummer."}
    if spec.id == "Q2":
        return {"recipient": "Skriv modtagerens kode, fx KBHV_POLITI_INFOHUS."}
    return {"search": "Udfyld de påkrævede felter."}


def _query_page(request: Request, spec: QuerySpec, values: Mapping[str, str], *, result: QueryResult | None = None,
                filters: Filters | None = None, problems: Mapping[str, str] | None = None,
                status_code: int = 200) -> Response:
    context: dict[str, Any] = {
        "title": f"{spec.id} – {spec.title_da}", "spec": spec, "values": dict(values), "problems": problems or {},
        "legal_bases": list(L.LEGAL_BASES.items()), "headings": LABELS_DA, "result": result,
        "time_columns": L.INSTANT_COLUMNS,
        "current": "/revision/Q1" if spec.id == "Q1" else ("/revision/Q11" if spec.id == "Q11" else None),
    }
    if result is not None and filters is not None:
        params = {k: v for k, v in values.items() if k not in ("offset", "format", "run")}
        shown, details = _columns(spec, result)
        context |= {"shown": shown, "details": details, "searched": _searched(values),
                    "no_match": _no_match(values) if result.total == 0 else None,
                    "csv_url": f"/api/v1/audit/queries/{spec.id}?" + urlencode(
                        {k: v for k, v in params.items() if k != "searched"} | {"format": "csv"}),
                    **_page_links(spec.id, params, filters, result)}
    return render(request, "query.html", context, status_code)


def _columns(spec: QuerySpec, result: QueryResult) -> tuple[list[str], list[str]]:
    columns = [c for c in result.columns if not (c == "finding" and "finding_da" in result.columns)]
    preferred = PRIMARY.get(spec.id) or [c for c in columns if c not in SECONDARY]
    shown = [c for c in preferred if c in columns][:MAX_COLUMNS]
    return shown, [c for c in result.columns if c not in shown]


def _searched(values: Mapping[str, str]) -> str | None:
    if values.get("searched") == "cpr":
        return "CPR-nummer"
    if values.get("reference"):
        return f"referencenummer {values['reference']}"
    return None


def _no_match(values: Mapping[str, str]) -> str | None:
    if values.get("searched") == "cpr":
        return NO_MATCH_CPR
    if values.get("reference"):
        return NO_MATCH_REFERENCE
    return None


def _page_links(query_id: str, params: dict[str, str], filters: Filters, result: QueryResult
                ) -> dict[str, str | None]:
    base = f"/revision/{query_id}?"
    prev_url = next_url = None
    if filters.offset > 0:
        prev_url = base + urlencode({**params, "offset": max(0, filters.offset - filters.limit)})
    if filters.offset + filters.limit < result.total:
        next_url = base + urlencode({**params, "offset": filters.offset + filters.limit})
    return {"prev_url": prev_url, "next_url": next_url}


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def layout(settings: AuditSettings, principal: Principal) -> pages.Layout:
    """The auditor pages' header and footer: who is signed in, and the menu for an auditor."""
    base = pages.Layout(
        service_name="Infohus – revision af videregivelsesloggen", home_href="/revision",
        portal_name=settings.municipality_name, title_suffix="Infohus revision",
        assets=pages.Assets.of_service("audit"),
        footer=(f"{settings.infohus_name} · Alle opslag i loggen registreres med bruger, tidspunkt og søgekriterier.",))
    if not principal.authenticated:
        return base
    roles = ", ".join(L.label(L.ROLES, r) for r in sorted(principal.roles)) or "ingen rolle"
    nav = NAV if principal.can(Permission.AUDIT_READ) else ()
    return replace(base, signed_in_as=f"{principal.display_name} ({roles})", sign_out_href=LOGOUT, nav=nav)


def render(request: Request, name: str, context: Mapping[str, Any], status_code: int = 200) -> Response:
    settings: AuditSettings = request.app.state.audit_settings
    return pages.render(templates, request, name, {"error_heading": "Søgningen blev ikke gennemført", **context},
                        layout(settings, principal_of(request)), status_code)


def message(request: Request, title: str, paragraphs: list[str], status_code: int,
            link: tuple[str, str] | None = None) -> Response:
    return render(request, "pages/message.html", pages.message_context(title, paragraphs, link), status_code)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if not _is_page(request):
            return await http_exception_handler(request, error)
        if error.status_code == 401:
            target = request.url.path if request.method == "GET" else "/revision"
            if request.url.query and request.method == "GET":
                target += "?" + request.url.query
            return RedirectResponse(f"{LOGIN}?next={quote(target, safe='/')}", status_code=303)
        if error.status_code == 403 and "csrf_failed" in str(error.detail):
            return message(request, "Formularen er udløbet", ["Genindlæs siden og søg igen."], 403,
                           link=("/revision/Q1", "Til søgningen"))
        if error.status_code == 403:
            return message(request, "Ingen adgang", ["Din rolle giver ikke adgang til revisionssiderne. "
                                                     "De er for revisorer."], 403)
        if error.status_code == 404:
            return message(request, "Siden findes ikke", ["Tjek adressen, eller gå til oversigten."], 404,
                           link=("/revision", "Gå til oversigten"))
        return message(request, "Der skete en fejl", ["Prøv igen."], error.status_code,
                       link=("/revision", "Gå til oversigten"))


def _is_page(request: Request) -> bool:
    """A browser asking for an auditor page (an API client asking for JSON gets JSON, as before)."""
    return request.url.path.startswith("/revision") and "text/html" in request.headers.get("accept", "")
