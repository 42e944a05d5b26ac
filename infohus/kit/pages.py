"""One way to render pages: Jinja2 templates, autoescaped, on the design system's (DKFDS) base layout.

Every page extends ``pages/layout.html``: the header with the municipality, who is signed in and "Log ud",
the service's name and menu; the main landmark with the error summary first; the footer. Forms are built
with the macros of ``pages/forms.html`` (Danish errors tied to their fields), tables with
``pages/tables.html``, and times are shown with the ``local`` filter (Danish time, to the minute).

A service keeps its own page templates in its own directory: ``page_templates`` looks there first and finds
the shared ones under the ``pages/`` prefix (``infohus/kit/templates``). ``mount_assets`` serves the
service's own static files, the shared stylesheet and Det Fælles Designsystem, all from our own origin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from infohus.kit.display import day, local
from infohus.kit.security_headers import csrf_template_globals

log = logging.getLogger(__name__)

SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
SHARED_STATIC = Path(__file__).resolve().parent / "static"
SHARED_STATIC_PATH = "/static/pages"
DESIGN_SYSTEM_PATH = "/static/dkfds"
DESIGN_SYSTEM_CSS = f"{DESIGN_SYSTEM_PATH}/css/dkfds.min.css"
DESIGN_SYSTEM_JS = f"{DESIGN_SYSTEM_PATH}/js/dkfds.min.js"
SHARED_CSS = f"{SHARED_STATIC_PATH}/pages.css"


@dataclass(frozen=True)
class Assets:
    """The files a page loads, all from our own origin."""

    stylesheets: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    favicon: str | None = None

    @classmethod
    def of_service(cls, name: str, *scripts: str) -> Assets:
        """DKFDS, the shared stylesheet and the service's own (``/static/<name>/<name>.css``, ``favicon.svg``)."""
        return cls(stylesheets=(DESIGN_SYSTEM_CSS, SHARED_CSS, f"/static/{name}/{name}.css"),
                   scripts=(DESIGN_SYSTEM_JS, *scripts), favicon=f"/static/{name}/favicon.svg")

    @classmethod
    def served_by(cls, app: FastAPI) -> Assets:
        """The stylesheets ``app`` serves (none on a service without pages): for pages any service may show,
        such as the sign-in pages. No script: those pages need none."""
        mounted = {getattr(route, "path", None) for route in app.routes}
        wanted = ((DESIGN_SYSTEM_PATH, DESIGN_SYSTEM_CSS), (SHARED_STATIC_PATH, SHARED_CSS))
        return cls(stylesheets=tuple(css for path, css in wanted if path in mounted))


@dataclass(frozen=True)
class Layout:
    """What the base layout shows around a page: the header, the footer and the files the page loads."""

    service_name: str  # the header's heading, a link to home_href
    home_href: str = "/"
    portal_name: str = "Infohus"  # above the heading: the municipality
    title_suffix: str = "Infohus"  # the browser's tab: "<page title> – <suffix>"
    footer: tuple[str, ...] = ()
    signed_in_as: str | None = None  # "Logget ind som <this>"
    sign_out_href: str | None = None
    nav: tuple[tuple[str, str], ...] = ()  # (href, text); the page's ``current`` href is marked
    assets: Assets = field(default_factory=Assets)


def page_templates(*directories: Path, filters: Mapping[str, Callable[..., Any]] | None = None,
                   strings: Mapping[str, str] | None = None) -> Jinja2Templates:
    """Templates from ``directories`` (the service's own; or ``strings``, name -> source) and the shared ones
    as ``pages/...``; autoescaped, with ``csrf_input(request)``, the ``local`` and ``day`` filters and the
    service's ``filters``."""
    loader = ChoiceLoader([FileSystemLoader(list(directories)), DictLoader(dict(strings or {})),
                           PrefixLoader({"pages": FileSystemLoader(SHARED_TEMPLATES)})])
    environment = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True))
    environment.globals.update(csrf_template_globals())
    environment.filters.update({"local": local, "day": day, **(filters or {})})
    return Jinja2Templates(env=environment)


def render(templates: Jinja2Templates, request: Request, name: str, context: Mapping[str, Any], layout: Layout,
           status_code: int = 200) -> Response:
    """A page, never cached (pages carry personal data). ``summary`` (the error summary) defaults to the
    ``problems`` (field id -> Danish text), each linked to its field."""
    page: dict[str, Any] = {"layout": layout, "values": {}, "problems": {}, **context}
    page.setdefault("summary", error_summary(page["problems"]))
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_summary(problems: Mapping[str, str], target: Callable[[str], str] | None = None) -> list[dict[str, str]]:
    """The error summary's lines: each problem's text, linked to the element ``target(field)`` (the field)."""
    return [{"id": target(field) if target else field, "text": text} for field, text in problems.items()]


def message_context(title: str, paragraphs: Iterable[str], link: tuple[str, str] | None = None) -> dict[str, Any]:
    """The context of ``pages/message.html``: a heading, paragraphs and perhaps a link on."""
    return {"title": title, "paragraphs": list(paragraphs), "link_href": link[0] if link else None,
            "link_text": link[1] if link else None}


def static_paths(name: str) -> frozenset[str]:
    """Where ``mount_assets`` serves files: public, no access rule."""
    return frozenset({f"/static/{name}", SHARED_STATIC_PATH, DESIGN_SYSTEM_PATH})


def mount_assets(app: FastAPI, *, name: str, static_dir: Path, node_modules: Path) -> None:
    """Serves the service's own files at ``/static/<name>``, the shared stylesheet at ``/static/pages`` and
    DKFDS (installed by ``npm ci`` into ``node_modules``) at ``/static/dkfds``."""
    app.mount(f"/static/{name}", StaticFiles(directory=static_dir), name=f"{name}-static")
    mount_shared_assets(app, node_modules)


def mount_shared_assets(app: FastAPI, node_modules: Path) -> bool:
    """The shared stylesheet and, when installed, DKFDS; False (and a warning) when DKFDS is missing: the
    pages work without it, unstyled."""
    app.mount(SHARED_STATIC_PATH, StaticFiles(directory=SHARED_STATIC), name="pages-static")
    dkfds = node_modules / "dkfds" / "dist"
    if (dkfds / "css" / "dkfds.min.css").is_file():
        app.mount(DESIGN_SYSTEM_PATH, StaticFiles(directory=dkfds), name="dkfds")
        return True
    log.warning("Det Fælles Designsystem is not installed at %s; the pages are served without it "
                "(run: npm ci --prefix %s)", dkfds, node_modules.parent)
    return False

