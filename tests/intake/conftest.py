"""Intake under test: the real app on real SQLite/PostgreSQL, in process (ASGI) or on a real port (uvicorn).

In process, sign-in is OpenID Connect against an in-process FakeIdentityProvider (``intake.headers_for(role)``)
or, with ``dev_login=True``, the kit's development login. The live server uses the development login.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from devtools.auth_testing import FakeIdentityProvider, dev_headers_for
from devtools.devstack.ports import free_port
from infohus.kit.auth import AuthMode, AuthSettings, Role
from infohus.kit.settings import Environment
from services.intake.adapters.orm import concerns, tables
from services.intake.bootstrap import IntakeContainer, bootstrap
from services.intake.entrypoints.http import create_app
from services.intake.settings import IntakeSettings
from tests.conftest import Databases, common_settings

# Nothing listens here: intake's runtime is not started in the in-process tests, and where it is, it
# keeps retrying in the background, as it does in production while the broker is down.
NO_BROKER = "127.0.0.1:9"

DEV_PASSWORD = "infohus-udvikling"  # the development users' password (docs/auth.md)


def dev_auth(*, cookie_secure: bool = True) -> AuthSettings:
    """The kit's development login (``/auth/login``, seeded users ``udvikler-*``), as ``make run`` has it."""
    return AuthSettings(environment=Environment.TEST, mode=AuthMode.DEVELOPMENT, cookie_secure=cookie_secure)


def intake_settings(database_url: str, db_schema: str | None, *, bootstrap_servers: str = NO_BROKER,
                    prefix: str | None = None, **overrides: Any) -> IntakeSettings:
    common = common_settings(bootstrap_servers, prefix or "t" + uuid.uuid4().hex[:10])
    values: dict[str, Any] = {"rate_limit_per_minute": 6000, "rate_limit_burst": 1000, **overrides}
    return IntakeSettings(**common, database_url=database_url, db_schema=db_schema, **values)


@dataclass
class IntakeUnderTest:
    container: IntakeContainer
    app: FastAPI
    idp: FakeIdentityProvider
    auth: AuthSettings

    def client(self, address: tuple[str, int] = ("127.0.0.1", 50000), **kwargs: Any) -> httpx.AsyncClient:
        """https, as in production: the kit's cookies are Secure (``__Host-``)."""
        transport = httpx.ASGITransport(app=self.app, client=address)
        return httpx.AsyncClient(transport=transport, base_url="https://intake.test", **kwargs)

    def headers_for(self, role: Role | None) -> dict[str, str]:
        """Bearer credentials of a user with ``role`` (none for None), in whichever sign-in mode is on."""
        if self.auth.mode is AuthMode.DEVELOPMENT:
            return dev_headers_for(self.auth, role)
        return self.idp.headers_for(role)

    async def count(self, table: Any = concerns) -> int:
        async with self.container.runtime.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(table))).scalar_one())

    async def rows(self, table: Any = concerns) -> list[dict[str, Any]]:
        async with self.container.runtime.sessions() as session:
            return [dict(row) for row in (await session.execute(select(table))).mappings().all()]

    async def counts(self) -> tuple[int, int]:
        return await self.count(concerns), await self.count(tables.outbox)


async def make_intake(database_url: str, db_schema: str | None, *, dev_login: bool = False,
                      **overrides: Any) -> IntakeUnderTest:
    container = bootstrap(intake_settings(database_url, db_schema, **overrides))
    await container.runtime.migrate()
    idp = FakeIdentityProvider()
    auth = dev_auth() if dev_login else idp.settings()
    app = create_app(container, manage_runtime=False, auth=auth, jwks_fetcher=idp.fetch)
    return IntakeUnderTest(container, app, idp, auth)


@pytest.fixture
async def intake(databases: Databases) -> AsyncIterator[IntakeUnderTest]:
    """Intake on SQLite and on PostgreSQL (parametrised), its broker side not started."""
    under_test = await make_intake(**databases.for_service("intake"))  # type: ignore[arg-type]
    yield under_test
    await under_test.container.runtime.engine.dispose()


@pytest.fixture
async def sqlite_intake(tmp_path: Path) -> AsyncIterator[IntakeUnderTest]:
    under_test = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None)
    yield under_test
    await under_test.container.runtime.engine.dispose()


@pytest.fixture
async def dev_intake(tmp_path: Path) -> AsyncIterator[IntakeUnderTest]:
    """Intake with the kit's development login (``/auth/login``), on SQLite."""
    under_test = await make_intake(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, dev_login=True)
    yield under_test
    await under_test.container.runtime.engine.dispose()


class LiveIntake:
    """Intake served by uvicorn on a real port, in a thread with its own event loop (as ``infohus serve``)."""

    def __init__(self, settings: IntakeSettings) -> None:
        self.container = bootstrap(settings)
        self.app = create_app(self.container)
        self.port = free_port("127.0.0.1")
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, access_log=False, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="live-intake", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> LiveIntake:
        self._thread.start()
        for _ in range(2400):  # up to a minute: a loaded machine (2 cores, shared) starts it slowly
            if self.server.started:
                return self
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.025)
        raise RuntimeError("intake did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(20)


@contextlib.contextmanager
def live_intake(settings: IntakeSettings) -> Iterator[LiveIntake]:
    server = LiveIntake(settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, kafka: Any) -> Iterator[LiveIntake]:
    """One live intake per module on SQLite and the session's broker; generous rate limit."""
    path = tmp_path_factory.mktemp("live-intake") / "intake.db"
    settings = intake_settings(f"sqlite+aiosqlite:///{path}", None, bootstrap_servers=kafka.bootstrap_servers,
                               auth=dev_auth(cookie_secure=False))  # plain http on 127.0.0.1, as `make run`
    with live_intake(settings) as server:
        yield server
