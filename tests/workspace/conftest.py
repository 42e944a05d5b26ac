"""The staff workspace against the real system: the four services in this process on the real broker,
databases and SMTP server; routing, intake and the workspace served by uvicorn on loopback ports, so the
workspace reaches the services over real HTTP with the signed-in user's credential."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import LocalMailbox
from devtools.devstack.municipality import office_always_open
from infohus.kit.auth import AuthMode, AuthSettings
from infohus.kit.settings import Environment
from services.audit.entrypoints.http import create_app as audit_app
from services.intake.entrypoints.http import create_app as intake_app
from services.notify.entrypoints.http import create_app as notify_app
from services.routing.entrypoints.http import create_app as routing_app
from services.workspace.entrypoints.http import create_app as workspace_app
from services.workspace.settings import WorkspaceSettings
from tests.conftest import Databases
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "infohus-udvikling"


def dev_auth() -> AuthSettings:
    """The development login as ``make run`` has it (plain http on loopback)."""
    return AuthSettings(environment=Environment.TEST, mode=AuthMode.DEVELOPMENT, cookie_secure=False)


class Served:
    """An ASGI app served by uvicorn on a free loopback port, in this event loop."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Served:
        task = self.task = asyncio.create_task(self.server.serve(sockets=[self.socket]))

        def started() -> bool:
            if task.done():
                task.result()  # a server that could not start raises its error here
            return bool(self.server.started)

        await eventually(started, within=30, interval=0.01)
        return self

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.socket.close()


@dataclass
class WorkspaceUnderTest:
    system: InfohusSystem
    mailbox: LocalMailbox
    workspace: Served
    intake: Served
    routing: Served
    audit: Served
    notify: Served

    @property
    def url(self) -> str:
        return self.workspace.url

    def browser(self) -> httpx.AsyncClient:
        """A client that keeps cookies like a browser (redirects are followed by hand in the tests)."""
        return httpx.AsyncClient(base_url=self.url, timeout=30)

    async def sign_in(self, client: httpx.AsyncClient, username: str, next_path: str = "/") -> httpx.Response:
        page = await client.get("/auth/login", params={"next": next_path})
        token = CSRF.search(page.text)
        assert token, "the login form carries a CSRF token"
        return await client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": token.group(1), "next": next_path})


def csrf_of(page: httpx.Response) -> str:
    token = CSRF.search(page.text)
    assert token, "the page's forms carry a CSRF token"
    return token.group(1)


@contextlib.asynccontextmanager
async def running_workspace(databases: Databases, kafka: LocalBroker, unique: str, tmp_path: Path,
                            mailbox: LocalMailbox, *, services_auth: AuthSettings, workspace_auth: AuthSettings,
                            ) -> AsyncIterator[tuple[WorkspaceUnderTest, FastAPI]]:
    """The system, routing and intake on loopback ports with ``services_auth``, and the workspace app
    (served too) with ``workspace_auth``."""
    rules = office_always_open(tmp_path)  # the office-hours route, whatever the hour of the run
    system = build_system(databases, kafka.bootstrap_servers, unique, mailbox, municipality_config=rules)
    await system.start()
    intake = await Served(intake_app(system.intake, manage_runtime=False, auth=services_auth)).start()
    routing = await Served(routing_app(system.routing, manage_runtime=False, auth=services_auth)).start()
    audit = await Served(audit_app(system.audit, manage_runtime=False, auth=services_auth)).start()
    notify = await Served(notify_app(system.notify, manage_runtime=False, auth=services_auth)).start()
    settings = WorkspaceSettings(environment=Environment.TEST, routing_url=routing.url, intake_url=intake.url,
                                 audit_url=audit.url, notify_url=notify.url)
    app = workspace_app(settings, auth=workspace_auth)
    served = await Served(app).start()
    try:
        yield WorkspaceUnderTest(system, mailbox, served, intake, routing, audit, notify), app
    finally:
        for server in (served, notify, audit, routing, intake):
            await server.stop()
        await system.stop()


@pytest.fixture
async def workspace(databases: Databases, kafka: LocalBroker, unique: str, tmp_path: Path,
                    mailbox: LocalMailbox) -> AsyncIterator[WorkspaceUnderTest]:
    auth = dev_auth()
    async with running_workspace(databases, kafka, unique, tmp_path, mailbox, services_auth=auth,
                                 workspace_auth=auth) as (under_test, _app):
        yield under_test
