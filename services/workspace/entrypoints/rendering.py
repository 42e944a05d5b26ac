"""The workspace's pages: the kit's templates and base layout (``infohus.kit.pages``) with the Danish labels
as filters, the workspace's menu and the signed-in user in every page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import Request, Response

from contracts.concern import WARNING_SIGN_CODES
from infohus.kit import pages
from infohus.kit.auth import ANONYMOUS, Permission, Principal
from services.workspace.adapters.views import PersonView, TimelineEntry
from services.workspace.domain import labels as L
from services.workspace.settings import TEMPLATES_DIR, WorkspaceSettings

LOGOUT = "/auth/logout"

_AGE_SOURCE = {"cpr": "CPR-nummer", "date_of_birth": "fødselsdato", "stated_age": "oplyst alder"}


def _age_text(person: PersonView) -> str:
    if person.cpr:
        return f"{_cpr_birth(person.cpr)} ({_AGE_SOURCE['cpr']})"
    if person.date_of_birth:
        return f"Født {person.date_of_birth.day}.{person.date_of_birth.month}.{person.date_of_birth.year} " \
               f"({_AGE_SOURCE['date_of_birth']})"
    if person.stated_age is not None:
        return f"{person.stated_age} år ({_AGE_SOURCE['stated_age']})"
    return "Ikke oplyst"


def _cpr_birth(cpr: str) -> str:
    return f"Født {int(cpr[0:2])}.{int(cpr[2:4])}.{cpr[4:6]}"


def _cpr(value: str | None) -> str:
    return f"{value[:6]}-{value[6:]}" if value and len(value) == 10 else (value or "Ikke oplyst")


def _person_role(person: PersonView) -> str:
    number = int(person.path.rsplit("[", 1)[1].rstrip("]")) + 1
    return f"Barn nævnt i henvendelsen {number}" if person.role == "child_at_risk" else f"Person {number}"


def _timeline_text(entry: TimelineEntry) -> str:
    details = entry.details
    if "text" in details:
        return str(details["text"])
    text = L.label(L.TIMELINE_ACTIONS, entry.action)
    extra = [L.label(L.TRIAGE_OUTCOMES, details["outcome"])] if "outcome" in details else []
    if "reason" in details:
        extra.append(L.label(L.CLOSE_REASONS | L.CORRECTION_REASONS, details["reason"]))
    if "to_band" in details:  # an age corrected
        extra.append(f"{L.label(L.AGE_BANDS, details.get('from_band'))} → {L.label(L.AGE_BANDS, details['to_band'])}")
    if entry.action == "PRIORITY_RAISED":
        extra.append(f"{details.get('from')} → {details.get('to')}")
    if "to_flags" in details:  # reclassified after a correction
        flags = details["to_flags"] if isinstance(details["to_flags"], list) else []
        extra.append("markeringer nu: " + (", ".join(L.label(L.FLAGS, f) for f in flags) or "ingen"))
    if "to_authorities" in details:
        extra.append(", ".join(map(str, details["to_authorities"])))
    if "note" in details:
        extra.append(str(details["note"]))
    return text + (": " + "; ".join(extra) if extra else "")


def _actor(user_id: str | None, role: str | None = None) -> str:
    """A person's user id (with their role, when given); Infohus's own steps (``system:<service>``) in words."""
    if user_id and user_id.startswith("system:"):
        return "Infohus (automatisk)"
    return f"{user_id or ''} ({L.label(L.ROLES, role)})" if role else user_id or ""


templates = pages.page_templates(TEMPLATES_DIR, filters={
    "deadline": L.deadline, "cpr": _cpr, "age_text": _age_text,
    "person_role": _person_role, "actor": _actor,
    "timeline_text": _timeline_text,
    "priority": lambda c: L.label(L.PRIORITIES, c), "case_state": lambda c: L.label(L.CASE_STATES, c),
    "age_band": lambda c: L.label(L.AGE_BANDS, c) if c else "Ikke kendt",
    "flag": lambda c: L.label(L.FLAGS, c), "task_kind": lambda c: L.label(L.TASK_KINDS, c),
    "role": lambda c: L.label(L.ROLES, c), "triage_outcome": lambda c: L.label(L.TRIAGE_OUTCOMES, c),
    "close_reason": lambda c: L.label(L.CLOSE_REASONS, c), "clock_kind": lambda c: L.label(L.CLOCK_KINDS, c),
    "deadline_event": lambda c: L.label(L.DEADLINE_EVENTS, c),
    "underretning_state": lambda c: L.label(L.UNDERRETNING_STATES, c),
    "legal_type": lambda c: L.label(L.LEGAL_TYPES, c), "channel": lambda c: L.label(L.CHANNELS, c),
    "acuteness": lambda c: L.label(L.ACUTENESS, c),
    "reporter_category": lambda c: L.label(L.REPORTER_CATEGORIES, c),
    "partner_authority": lambda c: L.label(L.PARTNER_AUTHORITIES, c),
    "warning_sign": lambda c: WARNING_SIGN_CODES.get(c, c),
    "disclosure_kind": lambda c: L.label(L.DISCLOSURE_KINDS, c), "purpose": lambda c: L.label(L.PURPOSES, c),
    "legal_basis": lambda c: L.label(L.LEGAL_BASES_DISCLOSURE | L.LEGAL_BASES_RECEIPT, c),
    "counterpart": lambda c, names: names.get(c) or L.label(L.OTHER_RECIPIENTS, c).replace(
        "OTHER_MUNICIPALITY:", "Kommune: "),
    "destination": lambda c: L.label(L.DESTINATIONS, c), "delivery_state": lambda c: L.label(L.DELIVERY_STATES, c),
})


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def navigation(principal: Principal) -> list[tuple[str, str]]:
    items = []
    if principal.can(Permission.CASE_READ):
        items.append(("/sager", "Sager"))
    if principal.can(Permission.UNDERRETNING_READ):
        items.append(("/underretninger", "Underretninger"))
    if principal.can(Permission.NOTIFICATION_REDRIVE) or principal.can(Permission.CONFIG_MANAGE):
        items.append(("/administration", "Administration"))
    return items


def layout(settings: WorkspaceSettings) -> pages.Layout:
    """The workspace's header and footer, before anyone signs in."""
    return pages.Layout(
        service_name="Infohus – sagsbehandling", home_href="/", portal_name=settings.municipality_name,
        title_suffix="Infohus", assets=pages.Assets.of_service("workspace"),
        footer=(f"{settings.infohus_name} · Al visning af personoplysninger logges med hvem, hvornår og hvorfor.",))


def _signed_in(base: pages.Layout, principal: Principal) -> pages.Layout:
    if not principal.authenticated:
        return base
    roles = ", ".join(L.label(L.ROLES, r) for r in sorted(principal.roles)) or "ingen rolle"
    return replace(base, signed_in_as=f"{principal.display_name} ({roles})", sign_out_href=LOGOUT,
                   nav=tuple(navigation(principal)))


def _summary_target(field: str) -> str:
    """A problem with a whole form (``<form>-form``) is shown in the form: the summary links to the actions."""
    return "actions-heading" if field.endswith("-form") else field


def render(request: Request, name: str, context: Mapping[str, Any], status_code: int = 200) -> Response:
    settings: WorkspaceSettings = request.app.state.settings
    page = {"infohus_name": settings.infohus_name,
            "summary": pages.error_summary(context.get("problems") or {}, _summary_target), **context}
    return pages.render(templates, request, name, page, _signed_in(layout(settings), principal_of(request)),
                        status_code)


def message(request: Request, title: str, paragraphs: list[str], status_code: int,
            link: tuple[str, str] | None = None) -> Response:
    return render(request, "pages/message.html", pages.message_context(title, paragraphs, link), status_code)


def options(table: Mapping[str, str]) -> list[tuple[str, str]]:
    return list(table.items())


def now_of(request: Request) -> datetime:
    clock = request.app.state.clock
    moment: datetime = clock()
    return moment
