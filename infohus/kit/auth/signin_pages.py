"""The sign-in pages the kit serves on every service (the development login, and "go on" after the identity
provider): the kit's templates and base layout, styled with whatever the service serves of the design system
(a service without pages serves none: the page is plain HTML then)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request, Response

from infohus.kit import pages

templates = pages.page_templates(Path(__file__).resolve().parent / "templates")


def render(request: Request, name: str, context: Mapping[str, Any], *, heading: str,
           status_code: int = 200) -> Response:
    layout = pages.Layout(service_name=heading, home_href="/auth/login", assets=pages.Assets.served_by(request.app))
    return pages.render(templates, request, name, context, layout, status_code)
