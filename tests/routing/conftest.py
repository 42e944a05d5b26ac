"""A routing service on a real database (SQLite and PostgreSQL), without a broker: handlers are called
directly, the case API through ASGI, and emitted events are read back from the outbox table."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from contracts.concern import ConcernIn
from contracts.envelope import Envelope
from contracts.events import ConcernSubmitted
from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import Role
from services.routing.adapters.orm import tables
from services.routing.bootstrap import RoutingContainer, bootstrap
from services.routing.entrypoints.http import create_app
from services.routing.settings import RoutingSettings
from tests.conftest import Databases, common_settings


@dataclass
class RoutingHarness:
    container: RoutingContainer
    idp: FakeIdentityProvider = field(default_factory=FakeIdentityProvider)
    """Signs the test users' bearer tokens; the app checks them against its JWKS (``idp.fetch``)."""
    now: datetime = field(default_factory=lambda: datetime.fromisoformat("2026-03-03T10:00:00+01:00"))

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    async def submit(self, body: dict[str, Any], received_at: datetime | str | None = None,
                     reference: str | None = None) -> UUID:
        moment = datetime.fromisoformat(received_at) if isinstance(received_at, str) else (received_at or self.now)
        concern_id = uuid.uuid4()
        event = ConcernSubmitted(concern_id=concern_id, reference=reference or f"ISH-{concern_id.hex[:8]}",
                                 received_at=moment, concern=ConcernIn.model_validate(body))
        await self.container.on_concern_submitted(Envelope.wrap(event, producer="intake", correlation_id=concern_id))
        return concern_id

    def app(self) -> FastAPI:
        return create_app(self.container, manage_runtime=False, auth=self.idp.settings(),
                          jwks_fetcher=self.idp.fetch)

    def headers(self, user: str = "", role: str | Role = "") -> dict[str, str]:
        """A bearer token for ``user`` in ``role`` (a role name the kit may not know is kept as sent: it
        signs in but is refused everywhere); none without a user."""
        if not user:
            return {}
        return {"authorization": f"Bearer {self.idp.token(roles=[str(role)], subject=user)}"}

    def client(self, user: str = "", role: str | Role = "") -> httpx.AsyncClient:
        """The case API as ``user`` in ``role`` (signed in through the fake identity provider), or anonymous."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app()), base_url="https://routing.test",
                                 headers=self.headers(user, role))

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Payloads in the outbox, oldest first (what the relay would publish)."""
        outbox = tables.outbox
        query = select(outbox.c.payload, outbox.c.event_type).order_by(outbox.c.created_at, outbox.c.event_id)
        async with self.container.unit_of_work() as uow:
            rows = (await uow.session.execute(query)).all()
        return [json.loads(payload)["payload"] for payload, kind in rows if event_type in (None, kind)]

    async def case_ids(self, concern_id: UUID) -> list[str]:
        async with self.container.unit_of_work() as uow:
            return [row["case_id"] for row in await uow.cases.rows_for_concern(concern_id)]

    async def underretninger(self, concern_id: UUID) -> list[dict[str, Any]]:
        async with self.container.unit_of_work() as uow:
            return await uow.underretninger.rows_for_concern(concern_id)


@pytest.fixture
async def routing(databases: Databases, unique: str) -> AsyncIterator[RoutingHarness]:
    settings = RoutingSettings(**common_settings("127.0.0.1:1", unique), **databases.for_service("routing"))
    container = bootstrap(settings)
    await container.runtime.migrate()
    harness = RoutingHarness(container)
    container.clock = lambda: harness.now
    yield harness
    await container.runtime.engine.dispose()
