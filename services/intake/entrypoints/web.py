"""The web forms: the public concern form and the staff form for concerns that arrive another way.

Server-rendered (Jinja2, Det Fælles Designsystem markup), form-encoded, and complete without JavaScript.
Both forms become a ``ConcernIn`` and go through the same service function as the API.

Every route states its access rule (``infohus.kit.auth``): the public form and its receipt are
``Permission.PUBLIC``; the staff form (phone, e-mail, letter, in person; ``/personale/henvendelse``, with
``/personale/telefon`` as its old address) needs ``Permission.CONCERN_CREATE_PHONE`` (the intake role).
Sign-in is the kit's (OpenID Connect; ``/auth/login`` in development), and so are the CSRF tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, time
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import DBAPIError

from contracts.concern import LOCAL_TIME_ZONE, WARNING_SIGN_CODES, Channel, ReporterCategory, WarningSign
from infohus.kit import pages
from infohus.kit.auth import ANONYMOUS, AuthMode, Permission, Principal, require
from infohus.kit.db import is_dependency_unavailable
from infohus.kit.security_headers import CSRF_FIELD, CSRF_HEADER, CsrfProtection
from rules.config import DailyHours, MunicipalityConfig, Weekday
from services.intake.bootstrap import IntakeContainer
from services.intake.domain.model import SYSTEM
from services.intake.entrypoints.form_checks import all_problems
from services.intake.entrypoints.form_mode import FormMode
from services.intake.entrypoints.forms import (
    ACUTENESS_LABELS,
    CATEGORY_LABELS_PUBLIC,
    CATEGORY_LABELS_STAFF,
    MAX_PERSONS,
    OFFSET_OPTIONS,
    PARTNER_OPTIONS,
    PARTNER_OPTIONS_IDS,
    STAFF_CHANNEL_LABELS,
    FormValues,
    ParsedForm,
    parse_concern_form,
    staff_channel,
)
from services.intake.entrypoints.problems import FieldProblem, field_label_da, problems_from_rules
from services.intake.service_layer.submit import ConcernRejected
from services.intake.settings import WEB_DIR

templates = pages.page_templates(WEB_DIR / "templates")
ASSETS = pages.Assets.of_service("intake", "/static/intake/intake.js")

PUBLIC_FORM = "/henvendelse"
STAFF_ROOT = "/personale"
STAFF_FORM = "/personale/henvendelse"
PHONE_FORM = "/personale/telefon"  # the staff form's first address (phone only): kept as an alias
DEV_LOGIN = "/auth/login"
DEV_LOGOUT = "/auth/logout"

PUBLIC = require(Permission.PUBLIC)
PHONE_STAFF = require(Permission.CONCERN_CREATE_PHONE)
PUBLIC_MODE = FormMode(PUBLIC_FORM, "Fortæl os om din bekymring", "Tak – vi har modtaget din bekymring",
                       categories=CATEGORY_LABELS_PUBLIC)
STAFF_MODE = FormMode(STAFF_FORM, "Registrér en henvendelse", "Henvendelsen er registreret",
                      "Infohus – personale", CATEGORY_LABELS_STAFF, staff=True, sign_in_title="Log ind som medarbejder",
                      who_for="Formularen til at registrere henvendelser er kun for modtagelsens personale.",
                      role_needed="Formularen til at registrere henvendelser kræver rollen som medarbejder i "
                                  "modtagelsen (intake).")

_UNAVAILABLE_PROBLEM = FieldProblem(
    "csrf_token", "temporarily_unavailable",
    "Vi kan ikke tage imod henvendelser lige nu. Dine svar er bevaret – prøv at sende igen om lidt. "
    "Er nogen i akut fare, så ring 112.",
    "We cannot receive concerns right now. Your answers have been kept; please try again in a moment.")

_CSRF_PROBLEM = FieldProblem(
    "csrf_token", "csrf",
    "Af sikkerhedshensyn skal du sende formularen igen. Dine svar er bevaret.",
    "For your security, please send the form again. Your answers have been kept.")


def _container(request: Request) -> IntakeContainer:
    container: IntakeContainer = request.app.state.container
    return container


def _hour(moment: time) -> str:
    return str(moment.hour) if moment.minute == 0 else f"{moment.hour}.{moment.minute:02d}"


_WEEKDAYS_DA = {Weekday.MONDAY: "mandag", Weekday.TUESDAY: "tirsdag", Weekday.WEDNESDAY: "onsdag",
                Weekday.THURSDAY: "torsdag", Weekday.FRIDAY: "fredag", Weekday.SATURDAY: "lørdag",
                Weekday.SUNDAY: "søndag"}


def _span(hours: DailyHours) -> str:
    return f"kl. {_hour(hours.opens)}-{_hour(hours.closes)}"


def office_hours_text(office_hours: Mapping[Weekday, DailyHours]) -> str:
    """E.g. "mandag-onsdag kl. 8-15, torsdag kl. 8-17 og fredag kl. 8-13": consecutive days with the same
    hours as one range."""
    runs: list[tuple[Weekday, Weekday, DailyHours]] = []
    previous: Weekday | None = None
    for day in Weekday:
        hours = office_hours.get(day)
        if hours is None:
            previous = None
            continue
        if runs and previous is not None and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], day, hours)
        else:
            runs.append((day, day, hours))
        previous = day
    parts = [(_WEEKDAYS_DA[first] if first == last else f"{_WEEKDAYS_DA[first]}-{_WEEKDAYS_DA[last]}")
             + f" {_span(hours)}" for first, last, hours in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]


def contact_context(config: MunicipalityConfig) -> dict[str, str]:
    """The action card's contact lines, from the municipality's configuration."""
    contacts = config.contacts
    return {
        "office_hours": office_hours_text(config.office_hours),
        "municipality_name": config.municipality_name, "infohus_name": config.infohus_name,
        "tk_phone": contacts.tk_phone, "straxen_phone": contacts.straxen_phone,
        "hotline_phone": contacts.hotline_phone,
        "hotline_hours": f"{_hour(config.hotline_hours.opens)}-{_hour(config.hotline_hours.closes)}",
        "police_non_emergency": contacts.police_non_emergency, "police_emergency": contacts.police_emergency,
    }


def _sign_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    individual = [(sign.value, WARNING_SIGN_CODES[sign]) for sign in WarningSign if sign.individual]
    social = [(sign.value, WARNING_SIGN_CODES[sign]) for sign in WarningSign if not sign.individual]
    return [("Personen selv", individual), ("Personens netværk og hverdag", social)]


class Page:
    """One HTML response on the kit's base layout: the municipality's contacts, and who is signed in. The
    forms' CSRF token is the kit's (``{{ csrf_input(request) }}``; its cookie is set by the kit's middleware)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.container = _container(request)
        self.principal = current_principal(request)

    def render(self, name: str, context: Mapping[str, Any], status_code: int = 200) -> Response:
        contacts = contact_context(self.container.config)
        signed_in = self.principal.authenticated
        layout = pages.Layout(
            service_name=context.get("solution_name") or "Bekymring om radikalisering og ekstremisme",
            home_href=context.get("home_href") or PUBLIC_FORM, portal_name=contacts["municipality_name"],
            title_suffix=contacts["municipality_name"], assets=ASSETS, footer=(
                f"{contacts['infohus_name']} · Tryghed og Kriminalitetsforebyggelse · Tlf. {contacts['tk_phone']}",
                f"Uden for åbningstid: den nationale hotline mod radikalisering, tlf. {contacts['hotline_phone']} "
                f"(dagligt kl. {contacts['hotline_hours']})."),
            signed_in_as=self.principal.display_name if signed_in else None,
            sign_out_href=DEV_LOGOUT if signed_in and development_login(self.request) else None)
        return pages.render(templates, self.request, name, {"contacts": contacts, **context}, layout, status_code)


def current_principal(request: Request) -> Principal:
    """Who the route's rule let in (``ANONYMOUS`` on public pages when nobody is signed in)."""
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def development_login(request: Request) -> bool:
    """Whether the kit's development login (``/auth/login``) is mounted; never in production."""
    authenticator = getattr(request.app.state, "infohus_auth", None)
    return authenticator is not None and authenticator.settings.mode is AuthMode.DEVELOPMENT


def _same_origin(request: Request) -> bool:
    """False only for a request that names another origin; "null" (privacy settings) leaves it to the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _csrf_passes(request: Request, values: FormValues) -> bool:
    """The kit's CSRF check (token in the form, or in the header as the kit allows), answered on the form
    itself so that the reporter's answers are kept."""
    protection: CsrfProtection = request.app.state.infohus_csrf
    submitted = request.headers.get(CSRF_HEADER) or values.text(CSRF_FIELD)
    return _same_origin(request) and protection.valid(request, submitted)


async def _form_values(request: Request) -> FormValues:
    form = await request.form()
    return FormValues([(name, value if isinstance(value, str) else "") for name, value in form.multi_items()])


def message_page(request: Request, *, title: str, paragraphs: list[str], status_code: int,
                 link: tuple[str, str] | None = None, show_acute: bool = False, show_contacts: bool = False,
                 headers: Mapping[str, str] | None = None) -> Response:
    page = Page(request)
    response = page.render("message.html", {
        "title": title, "paragraphs": paragraphs, "show_acute": show_acute, "show_contacts": show_contacts,
        "link_href": link[0] if link else None, "link_text": link[1] if link else None}, status_code)
    response.headers.update(headers or {})
    return response


# Where each input sits on the form, so the error summary lists problems in the order a person meets them.
_FORM_ORDER = ("csrf_token", "channel", "received_at", "subjects", "description", "warning_signs", "acuteness",
               "crime_suspicion", "children_at_risk", "reporter-category", "reporter-claims_professional",
               "reporter-name", "reporter-role", "reporter-workplace", "reporter-phone", "reporter-email",
               "reporter-authority", "reporter-cooperation_form", "reporter-necessity_assessment")
_RADIO_GROUPS = frozenset({"channel", "acuteness", "reporter-category", "received_at-offset", *PARTNER_OPTIONS_IDS})


def _form_position(input_id: str) -> tuple[int, str]:
    for position, prefix in enumerate(_FORM_ORDER):
        if input_id.startswith(prefix):
            return position, input_id
    return len(_FORM_ORDER), input_id


def _summary(problems: list[FieldProblem], parsed: ParsedForm | None) -> tuple[dict[str, FieldProblem], list[Any]]:
    by_input: dict[str, FieldProblem] = {}
    for problem in problems:
        input_id = parsed.input_id(problem.field) if parsed else problem.field.replace(".", "-")
        if input_id.startswith("warning_signs"):
            input_id = "warning_signs"
        by_input.setdefault(input_id, problem)
    summary = []
    for input_id in sorted(by_input, key=_form_position):
        problem = by_input[input_id]
        target = {"received_at": "received_at-date",
                  "warning_signs": f"warning_signs-{WarningSign.IND_VIOLENCE_READINESS.value}",
                  "csrf_token": "main-content"}.get(input_id, input_id)
        if target in _RADIO_GROUPS:
            target += "-1"
        label = "Formularen" if input_id == "csrf_token" else _label(input_id)
        summary.append({"id": target, "text": f"{label}: {problem.message_da}"})
    return by_input, summary


_LABELS = {"channel": "Kanal", "received_at": "Tidspunkt for modtagelsen", "received_at-date": "Dato for modtagelsen",
           "received_at-time": "Klokkeslæt for modtagelsen", "received_at-offset": "UTC-forskydning"}


def _label(input_id: str) -> str:
    """The summary's name for an input, numbered as on the form (``subjects-1-name``: "Person 2, navn")."""
    if input_id in _LABELS:
        return _LABELS[input_id]
    parts = input_id.split("-")
    label = field_label_da(".".join(parts))
    if len(parts) >= 2 and parts[0] in ("subjects", "children_at_risk") and parts[1].isdigit():
        who = "Person" if parts[0] == "subjects" else "Barn"
        return f"{who} {int(parts[1]) + 1}, {label}" if len(parts) > 2 else who
    return label[:1].upper() + label[1:]


def render_form(page: Page, values: FormValues | Mapping[str, str], *, mode: FormMode, subject_count: int,
                child_count: int, problems: list[FieldProblem] | None = None, parsed: ParsedForm | None = None,
                status_code: int = 200) -> Response:
    by_input, summary = _summary(problems or [], parsed)
    chosen_signs = values.all("warning_signs") if isinstance(values, FormValues) else []
    return page.render("concern_form.html", {
        "title": mode.title, "solution_name": mode.solution_name, "home_href": mode.href,
        "staff": mode.staff, "partner": mode.partner, "action": mode.href, "channel_options": STAFF_CHANNEL_LABELS,
        "values": values, "problems": {key: problem.message_da for key, problem in by_input.items()},
        "summary": summary, "error_heading": "Der mangler noget, før vi kan modtage din henvendelse",
        "subject_count": max(1, subject_count), "child_count": child_count, "max_persons": MAX_PERSONS,
        "categories": mode.categories,
        "acuteness_options": ACUTENESS_LABELS, "offset_options": OFFSET_OPTIONS, **PARTNER_OPTIONS,
        "sign_groups": _sign_groups(), "chosen_signs": chosen_signs,
    }, status_code)


async def handle_concern_form(request: Request, *, mode: FormMode, user: Principal | None,
                              default_channel: Channel | None = None) -> Response:
    """``user``: who signed in on the staff or partner form (stored as ``recorded_by``), None on the public
    form. ``default_channel``: the staff form's channel when none was chosen (PHONE on the old address)."""
    page = Page(request)
    values = await _form_values(request)
    subject_count = max(1, values.count("subject_count", 1))
    child_count = values.count("child_count", 0)
    action = values.text("handling")
    if action == "tilfoej-person":
        return render_form(page, values, mode=mode, subject_count=min(MAX_PERSONS, subject_count + 1),
                           child_count=child_count)
    if action == "tilfoej-barn":
        return render_form(page, values, mode=mode, subject_count=subject_count,
                           child_count=min(MAX_PERSONS, child_count + 1))
    if not _csrf_passes(request, values):
        return render_form(page, values, mode=mode, subject_count=subject_count, child_count=child_count,
                           problems=[_CSRF_PROBLEM], status_code=status.HTTP_403_FORBIDDEN)
    channel: Channel | None = Channel.PARTNER if mode.partner else Channel.WEB
    if mode.staff:
        chosen = values.text("channel")
        channel = staff_channel(chosen) if chosen else default_channel
    parsed = parse_concern_form(values, channel=channel, staff=mode.staff, partner_form=mode.partner)
    if mode.partner:  # the authority submits it itself: received now
        parsed.data["received_at"] = page.container.clock().isoformat()
    if not parsed.data["submission_id"]:
        parsed.data["submission_id"] = f"web-{uuid.uuid4().hex}"
    concern, problems = all_problems(parsed, page.container.clock(), page.container.max_backdate)
    if concern is not None and not problems:
        try:
            receipt = await page.container.submit(concern, user.user_id if user is not None else SYSTEM)
        except ConcernRejected as rejected:
            problems = problems_from_rules(rejected.problems)
        except (DBAPIError, OSError) as error:  # the database is down: nothing was stored
            if not is_dependency_unavailable(error):
                raise
            response = render_form(page, values, mode=mode, subject_count=subject_count,
                                   child_count=child_count, problems=[_UNAVAILABLE_PROBLEM],
                                   status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
            response.headers["Retry-After"] = "5"
            return response
        else:
            return page.render("receipt.html", {
                "title": mode.receipt_title, "reference": receipt.reference, "messages": receipt.messages,
                "staff": mode.staff, "partner": mode.partner, "anonymous": concern.reporter.anonymous,
                "self_referral": concern.reporter.category is ReporterCategory.SELF,
                "again_href": mode.href, "home_href": mode.href, "solution_name": mode.solution_name,
            })
    return render_form(page, values, mode=mode, subject_count=subject_count, child_count=child_count,
                       problems=problems, parsed=parsed, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def fresh_values() -> dict[str, str]:
    return {"submission_id": f"web-{uuid.uuid4().hex}"}


def _fresh_staff_values(now: datetime) -> dict[str, str]:
    """A new staff form: received now (Danish local time, to the minute), by phone; both can be changed."""
    local = now.astimezone(LOCAL_TIME_ZONE)
    return fresh_values() | {"channel": Channel.PHONE.value, "received_at-date": local.strftime("%d.%m.%Y"),
                              "received_at-time": local.strftime("%H:%M")}


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", dependencies=[PUBLIC])
    async def root() -> RedirectResponse:
        return RedirectResponse(PUBLIC_FORM, status_code=status.HTTP_303_SEE_OTHER)

    @router.get(PUBLIC_FORM, dependencies=[PUBLIC])
    async def public_form(request: Request) -> Response:
        return render_form(Page(request), fresh_values(), mode=PUBLIC_MODE, subject_count=1, child_count=0)

    @router.post(PUBLIC_FORM, dependencies=[PUBLIC])
    async def public_form_post(request: Request) -> Response:
        return await handle_concern_form(request, mode=PUBLIC_MODE, user=None)

    @router.get(STAFF_ROOT, dependencies=[PHONE_STAFF])
    async def staff_root() -> RedirectResponse:
        return RedirectResponse(STAFF_FORM, status_code=status.HTTP_303_SEE_OTHER)

    @router.get(STAFF_FORM)
    async def staff_form(request: Request, _staff: Annotated[Principal, PHONE_STAFF]) -> Response:
        page = Page(request)
        return render_form(page, _fresh_staff_values(page.container.clock()), mode=STAFF_MODE, subject_count=1,
                           child_count=0)

    @router.post(STAFF_FORM)
    async def staff_form_post(request: Request, staff: Annotated[Principal, PHONE_STAFF]) -> Response:
        return await handle_concern_form(request, mode=STAFF_MODE, user=staff)

    @router.get(PHONE_FORM, dependencies=[PHONE_STAFF])
    async def phone_form() -> RedirectResponse:
        return RedirectResponse(STAFF_FORM, status_code=status.HTTP_303_SEE_OTHER)

    @router.post(PHONE_FORM)
    async def phone_form_post(request: Request, staff: Annotated[Principal, PHONE_STAFF]) -> Response:
        return await handle_concern_form(request, mode=STAFF_MODE, user=staff, default_channel=Channel.PHONE)

    return router


def refusal_page(request: Request, status_code: int, headers: Mapping[str, str],
                 mode: FormMode = STAFF_MODE) -> Response:
    """The page for a 401 (not signed in) or 403 (wrong role) from the access rule of ``mode``'s form."""
    back = request.url.path if request.method == "GET" else mode.href
    if status_code == status.HTTP_401_UNAUTHORIZED:
        if development_login(request):
            return message_page(
                request, title=mode.sign_in_title, status_code=status_code, headers=headers,
                paragraphs=[f"{mode.who_for} Log ind for at fortsætte."],
                link=(f"{DEV_LOGIN}?next={quote(back, safe='/')}", "Log ind (udviklingslogin)"))
        return message_page(
            request, title=mode.sign_in_title, status_code=status_code, headers=headers,
            paragraphs=[f"{mode.who_for} Log ind med kommunens log-ind, og åbn siden igen.",
                        "Vil du selv fortælle os om en bekymring, så brug formularen."],
            link=(PUBLIC_FORM, "Gå til formularen"))
    return message_page(
        request, title="Din rolle giver ikke adgang", status_code=status_code, headers=headers,
        paragraphs=[f"{mode.role_needed} Bed din administrator om adgang, eller log ind med en anden bruger."],
        link=(PUBLIC_FORM, "Gå til den offentlige formular"))
