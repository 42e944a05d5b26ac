"""Real components for the whole suite: one tansu broker per session, PostgreSQL and SQLite, SMTP on loopback.

Every test gets its own topic prefix, consumer groups and database schemas, so tests never see each
other's messages or rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import LocalMailbox
from infohus.kit.settings import Environment, KafkaSettings, TelemetrySettings

os.environ.setdefault("INFOHUS_ENVIRONMENT", "test")

SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)

POSTGRES_ADMIN_URL = os.environ.get("INFOHUS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    return SPANS


@pytest.fixture(scope="session")
async def kafka() -> AsyncIterator[LocalBroker]:
    broker = LocalBroker()
    await broker.astart()
    yield broker
    await broker.astop()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database of our own for this run, dropped at the end."""
    name = f"infohus_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")  # the server may have restarted
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def unique() -> str:
    return "t" + uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Databases:
    backend: str
    urls: dict[str, str]
    schemas: dict[str, str | None]

    def for_service(self, service: str) -> dict[str, str | None]:
        return {"database_url": self.urls[service], "db_schema": self.schemas[service]}


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[Databases]:
    services = ("intake", "routing", "notify", "audit")
    if request.param == "sqlite":
        yield Databases("sqlite", {s: f"sqlite+aiosqlite:///{tmp_path}/{s}.db" for s in services},
                        dict.fromkeys(services))
        return
    url = request.getfixturevalue("postgres_url")
    yield Databases("postgres", dict.fromkeys(services, url), {s: f"{unique}_{s}" for s in services})


def kafka_test_settings(bootstrap_servers: str, prefix: str) -> KafkaSettings:
    """Dev/test values for tansu: no idempotent producer, short group timeouts, short fetch waits."""
    return KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=f"{prefix}.", acks="all",
                         enable_idempotence=False, session_timeout_ms=3000, heartbeat_interval_ms=1000,
                         fetch_max_wait_ms=50, topic_check_interval_s=1.0, handler_max_attempts=3,
                         retry_backoff_initial_s=0.05, retry_backoff_max_s=0.5, outbox_poll_interval_s=0.2)


def common_settings(bootstrap_servers: str, prefix: str) -> dict[str, object]:
    return {"environment": Environment.TEST, "kafka": kafka_test_settings(bootstrap_servers, prefix),
            "telemetry": TelemetrySettings(exporter="none")}


@pytest.fixture
async def mailbox(tmp_path: Path) -> AsyncIterator[LocalMailbox]:
    box = LocalMailbox(tmp_path / "mail")
    await box.start()
    yield box
    await box.stop()
