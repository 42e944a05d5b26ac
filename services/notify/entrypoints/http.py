from __future__ import annotations

from fastapi import FastAPI

from infohus.kit.http import service_app
from services.notify.bootstrap import NotifyContainer, bootstrap


def create_app(container: NotifyContainer, *, manage_runtime: bool = True) -> FastAPI:
    return service_app("Infohus notify", container.runtime, manage_runtime=manage_runtime)


def build() -> tuple[NotifyContainer, FastAPI]:
    container = bootstrap()
    return container, create_app(container)
