"""The one way to render pages (infohus.kit.pages): autoescaped, on the shared base layout, the service's own
templates first, and the design system linked only where it is served."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response

from infohus.kit import pages
from infohus.kit.display import day, local

PAGE = """{% extends "pages/layout.html" %}
{% from "pages/forms.html" import text_input %}
{% block main %}<h1>{{ title }}</h1>{{ text_input('name', 'Navn', values, problems) }}{% endblock %}"""


def app_with(templates_dir: Path | None = None, *, node_modules: Path | None = None) -> FastAPI:
    templates = pages.page_templates(*([templates_dir] if templates_dir else []), strings={"page.html": PAGE})
    app = FastAPI()
    if node_modules is not None:
        pages.mount_shared_assets(app, node_modules)

    @app.get("/")
    async def page(request: Request) -> Response:
        layout = pages.Layout(service_name="Prøve <tjeneste>", signed_in_as="Jens <b>", footer=("Fod & note",),
                              assets=pages.Assets.served_by(request.app))
        return pages.render(templates, request, "page.html", {
            "title": "<script>alert(1)</script>", "values": {"name": '"><b>'},
            "problems": {"name": "Skriv et <navn>."}}, layout)

    return app


async def get(app: FastAPI) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get("/")


async def test_everything_a_page_shows_is_escaped() -> None:
    page = await get(app_with())
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Jens &lt;b&gt;" in page.text and "Prøve &lt;tjeneste&gt;" in page.text and "Fod &amp; note" in page.text
    assert 'value="&#34;&gt;&lt;b&gt;"' in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_problem_is_summarised_first_and_shown_at_its_field() -> None:
    page = await get(app_with())
    main = page.text[page.text.index('id="main-content"'):]
    assert main.index('id="error-summary"') < main.index("<h1>")
    assert '<a href="#name">Skriv et &lt;navn&gt;.</a>' in main
    assert 'id="name-error"' in main and 'aria-invalid="true" aria-describedby="name-error"' in main
    assert "<title>Fejl: " in page.text


async def test_the_design_system_is_linked_only_where_it_is_served(tmp_path: Path) -> None:
    bare = await get(app_with())
    assert "<link rel=\"stylesheet\"" not in bare.text and "<script" not in bare.text
    dkfds = tmp_path / "node_modules" / "dkfds" / "dist" / "css"
    dkfds.mkdir(parents=True)
    (dkfds / "dkfds.min.css").write_text("body {}")
    styled = await get(app_with(node_modules=tmp_path / "node_modules"))
    assert f'href="{pages.DESIGN_SYSTEM_CSS}"' in styled.text and f'href="{pages.SHARED_CSS}"' in styled.text


async def test_a_service_template_comes_before_the_shared_strings(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text('{% extends "pages/layout.html" %}{% block main %}Egen side{% endblock %}')
    page = await get(app_with(tmp_path))
    assert "Egen side" in page.text and "infohus-main" in page.text


def test_times_are_danish_to_the_minute_and_days_are_day_month_year() -> None:
    assert local(datetime(2026, 1, 5, 23, 30, 59, tzinfo=UTC)) == "6.1.2026 kl. 00.30"
    assert local("2026-07-01T10:05:00Z") == "1.7.2026 kl. 12.05"
    assert local(None) == day("") == ""
    assert day(date(2026, 3, 2)) == day("2026-03-02") == "2.3.2026"
