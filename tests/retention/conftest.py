"""The four services on the real broker and databases (SQLite and PostgreSQL), with their HTTP APIs reached
in process as signed-in staff, and the clocks of intake and routing set in the past: a concern received
then, its cases closed a little later and the retention runs years on. The database triggers compare with
the real clock, which is later than every instant here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from devtools.auth_testing import FakeIdentityProvider
from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import LocalMailbox
from devtools.devstack.municipality import office_always_open
from infohus.kit.auth import Role
from services.audit.entrypoints.http import create_app as audit_app
from services.intake.adapters.orm import concerns
from services.intake.entrypoints.http import create_app as intake_app
from services.routing.entrypoints.http import create_app as routing_app
from tests.conftest import Databases
from tests.system import InfohusSystem, build_system
from tests.waiting import consumed_by, eventually

RECEIVED = datetime(2015, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, long ago


@dataclass
class Clocks:
    now: datetime = RECEIVED


@dataclass
class RetentionSystem:
    system: InfohusSystem
    idp: FakeIdentityProvider
    clocks: Clocks
    apps: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, role: Role, user: str | None = None) -> httpx.AsyncClient:
        token = self.idp.token(roles=[role.value], subject=user or f"test-{role.value}")
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps[service]),
                                 base_url=f"https://{service}.test", headers={"authorization": f"Bearer {token}"})

    async def submit(self, **fields: Any) -> tuple[str, str]:
        """A concern through intake's API at the clock's time: (concern id, reference)."""
        body = {"submission_id": f"web-{uuid.uuid4().hex}", "channel": "WEB", "acuteness": "ROUTINE",
                "crime_suspicion": False, "reporter": {"category": "CITIZEN", "name": "Anna Jensen",
                                                       "email": "anna.jensen@example.org"}, **fields}
        async with self.system.http() as api:
            response = await api.post("/api/v1/concerns", json=body)
        assert response.status_code == 201, response.text
        reference = response.json()["reference"]
        async with self.system.intake.unit_of_work() as uow:
            concern_id = (await uow.session.execute(
                select(concerns.c.concern_id).where(concerns.c.reference == reference))).scalar_one()
        return str(concern_id), reference

    async def consumed(self) -> None:
        """Every consumer has handled what was published so far (routing's retention events above all)."""
        for runtime in self.system.runtimes:
            await eventually(lambda r=runtime: consumed_by(r), within=60, interval=0.2)


@pytest.fixture
async def retention_system(databases: Databases, kafka: LocalBroker, unique: str, tmp_path: Path,
                           mailbox: LocalMailbox) -> AsyncIterator[RetentionSystem]:
    system = build_system(databases, kafka.bootstrap_servers, unique, mailbox,
                          municipality_config=office_always_open(tmp_path))
    clocks = Clocks()
    system.intake.clock = lambda: clocks.now
    system.routing.clock = lambda: clocks.now
    idp = FakeIdentityProvider()
    await system.start()
    under_test = RetentionSystem(system, idp, clocks)
    options = {"manage_runtime": False, "auth": idp.settings(), "jwks_fetcher": idp.fetch}
    under_test.apps = {"routing": routing_app(system.routing, **options),
                       "intake": intake_app(system.intake, **options), "audit": audit_app(system.audit, **options)}
    try:
        yield under_test
    finally:
        await system.stop()
