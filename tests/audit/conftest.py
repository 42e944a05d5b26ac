"""Audit wired to a real database (SQLite file or a PostgreSQL schema of its own), no broker started."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import Role
from services.audit.bootstrap import AuditContainer, bootstrap
from services.audit.entrypoints.http import create_app
from services.audit.settings import AuditSettings
from tests.conftest import Databases, common_settings


def signing_key_pem() -> str:
    """A fresh Ed25519 key per test run: no key ever lives in the repository."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def audit_settings(databases: Databases, unique: str, **overrides: Any) -> AuditSettings:
    values: dict[str, Any] = {**common_settings("127.0.0.1:1", unique), **databases.for_service("audit"),
                              "checkpoint_signing_key": signing_key_pem(), "checkpoint_interval_s": 0}
    values.update(overrides)
    return AuditSettings(**values)


@pytest.fixture
async def audit(databases: Databases, unique: str) -> AsyncIterator[AuditContainer]:
    """A migrated audit service on SQLite and on PostgreSQL (``databases`` is parametrised)."""
    container = bootstrap(audit_settings(databases, unique))
    await container.runtime.migrate()
    yield container
    await container.runtime.engine.dispose()


@pytest.fixture
def sqlite_databases(tmp_path: Any) -> Databases:
    services = ("intake", "routing", "notify", "audit")
    return Databases("sqlite", {s: f"sqlite+aiosqlite:///{tmp_path}/{s}.db" for s in services},
                     dict.fromkeys(services))


@pytest.fixture
async def audit_sqlite(sqlite_databases: Databases, unique: str) -> AsyncIterator[AuditContainer]:
    """SQLite only: for the HTTP and query tests, whose SQL is the same on both databases."""
    container = bootstrap(audit_settings(sqlite_databases, unique))
    await container.runtime.migrate()
    yield container
    await container.runtime.engine.dispose()


@pytest.fixture
async def audit_postgres(postgres_url: str, unique: str) -> AsyncIterator[AuditContainer]:
    """PostgreSQL only: for the role tests."""
    databases = Databases("postgres", {"audit": postgres_url}, {"audit": f"{unique}_audit"})
    container = bootstrap(audit_settings(databases, unique))
    await container.runtime.migrate()
    yield container
    await container.runtime.engine.dispose()


class Credentials:
    """Bearer tokens of an in-process identity provider, one per role (and per user where it matters)."""

    def __init__(self) -> None:
        self.idp = FakeIdentityProvider()

    def of(self, role: Role, user: str | None = None) -> dict[str, str]:
        token = self.idp.token(roles=[role.value], subject=user or f"test-{role.value}")
        return {"authorization": f"Bearer {token}"}

    @property
    def auditor(self) -> dict[str, str]:
        return self.of(Role.AUDITOR)

    @property
    def tovholder(self) -> dict[str, str]:
        return self.of(Role.TOVHOLDER_MUNICIPAL)


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    return Credentials()


def audit_app(container: AuditContainer, credentials: Credentials) -> FastAPI:
    return create_app(container, manage_runtime=False, auth=credentials.idp.settings(),
                      jwks_fetcher=credentials.idp.fetch)


@pytest.fixture
async def client(audit_sqlite: AuditContainer, credentials: Credentials) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=audit_app(audit_sqlite, credentials))
    async with httpx.AsyncClient(transport=transport, base_url="https://audit.test") as http:
        yield http


def public_key_b64(container: AuditContainer) -> str:
    key = container.settings.public_key()
    assert key is not None
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


@pytest.fixture
async def audit_on_broker(kafka: Any, sqlite_databases: Databases, unique: str) -> AsyncIterator[AuditContainer]:
    """The audit service with its consumers running on the session broker (SQLite, unique topics)."""
    settings = audit_settings(sqlite_databases, unique)
    settings.kafka.bootstrap_servers = kafka.bootstrap_servers
    audit = bootstrap(settings)
    await audit.runtime.migrate()
    await audit.runtime.start()
    try:
        await asyncio.wait_for(audit.runtime.broker_connected.wait(), 60)
        yield audit
    finally:
        await audit.runtime.stop()
