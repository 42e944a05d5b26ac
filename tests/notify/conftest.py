"""Notify under test: the real service in this process on the real broker, database and SMTP server.

Settings are short (timeouts, backoffs, leases) so faults play out in seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import select

from contracts.envelope import Envelope
from contracts.events import DeadlineReached
from contracts.topics import all_topics, topic_name
from devtools.auth_testing import FakeIdentityProvider
from devtools.devstack.mailbox import LocalMailbox
from infohus.kit.aio import cancel_within
from infohus.kit.auth import Role
from infohus.kit.messaging import ensure_topics
from infohus.kit.settings import Environment, KafkaSettings, TelemetrySettings
from services.notify.adapters.orm import deliveries, tables
from services.notify.adapters.repository import Delivery
from services.notify.bootstrap import NotifyContainer, bootstrap
from services.notify.domain.delivery import State
from services.notify.entrypoints.http import create_app
from services.notify.settings import NotifySettings
from tests.conftest import kafka_test_settings
from tests.notify.builders import deadline_event, notification, wrap
from tests.waiting import consumed_by

__all__ = ["deadline_event", "notification", "wrap"]  # where the tests have always imported them from

OOH = "vagt@ishoj.dk"
OPS = "drift@ishoj.dk"
UND = "Underretninger@ishoj.dk"
TK = "tk@ishoj.dk"


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["To"]).casefold() == address.casefold()]


# --- settings and the service -----------------------------------------------------------------------


def notify_settings(*, database: dict[str, str | None], kafka: KafkaSettings, smtp_port: int,
                    **overrides: Any) -> NotifySettings:
    values: dict[str, Any] = {
        "environment": Environment.TEST, "telemetry": TelemetrySettings(exporter="none"), "kafka": kafka,
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": "off", "smtp_timeout_s": 2.0,
        "smtp_send_deadline_s": 3.0, "delivery_lease_s": 4.0, "retry_max_attempts": 40,
        "retry_initial_backoff_s": 0.05, "retry_max_backoff_s": 0.4, "worker_poll_interval_s": 0.05,
        "watchdog_interval_s": 60.0, "mailbox_ooh": OOH, "mailbox_ops": OPS,
        "workspace_url": "https://infohus.test", **database}
    values.update(overrides)
    return NotifySettings(**values)


@dataclass
class NotifyUnderTest:
    container: NotifyContainer
    kafka: KafkaSettings
    bootstrap_servers: str
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _with_broker: bool = False

    @property
    def settings(self) -> NotifySettings:
        return self.container.settings

    async def start(self, *, broker: bool = True) -> NotifyUnderTest:
        """With the broker: the whole runtime (consumers, relay, worker, watchdog). Without: worker and watchdog."""
        await self.container.runtime.migrate()
        self._with_broker = broker
        if broker:
            await self.container.runtime.start()
            await asyncio.wait_for(self.container.runtime.broker_connected.wait(), 30)
        else:
            self._tasks += [asyncio.create_task(self.container.worker.run()),
                            asyncio.create_task(self.container.watchdog.run())]
        return self

    async def stop(self) -> None:
        await cancel_within(self._tasks, grace=5.0)
        if self._with_broker:
            await self.container.runtime.stop()
        else:
            await self.container.runtime.engine.dispose()

    async def publish(self, envelope: Envelope[Any]) -> None:
        """Publish as routing would, to the real topic (a separate producer, not notify's own)."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(topic_name(type(envelope.payload), self.kafka.topic_prefix),
                                         envelope.model_dump_json().encode(), key=str(envelope.correlation_id).encode(),
                                         headers=[("event_id", str(envelope.event_id).encode()),
                                                  ("event_type", envelope.type.encode())])
        finally:
            await producer.stop()

    async def deliver_directly(self, envelope: Envelope[Any]) -> None:
        """Hand the message to notify's handler as the consumer would (no broker)."""
        if isinstance(envelope.payload, DeadlineReached):
            await self.container.on_deadline_reached(envelope)
        else:
            await self.container.on_notification_requested(envelope)

    async def delivery(self, notification_id: UUID) -> Delivery | None:
        async with self.container.unit_of_work() as uow:
            return await uow.deliveries.get(notification_id)

    async def all_deliveries(self) -> list[Delivery]:
        async with self.container.unit_of_work() as uow:
            rows = (await uow.session.execute(select(deliveries))).mappings().all()
        return [Delivery.from_row(r) for r in rows]

    async def settled(self) -> bool:
        """No delivery is waiting to be sent or being sent: the worker has nothing left that could mail."""
        return all(d.state not in (State.PENDING, State.SENDING) for d in await self.all_deliveries())

    async def consumed(self) -> bool:
        """Notify's consumer has handled everything published so far to the topics it reads."""
        return await consumed_by(self.container.runtime)

    async def state_is(self, notification_id: UUID, *states: str) -> Delivery | None:
        found = await self.delivery(notification_id)
        return found if found is not None and found.state in states else None

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        """Events notify emitted (committed with its state changes), payloads only, in order."""
        async with self.container.unit_of_work() as uow:
            rows = (await uow.session.execute(
                select(tables.outbox.c.payload).where(tables.outbox.c.event_type == event_type)
                .order_by(tables.outbox.c.created_at))).scalars().all()
        return [json.loads(r)["payload"] for r in rows]


@pytest.fixture
def kafka_settings(kafka: Any, unique: str) -> KafkaSettings:
    return kafka_test_settings(kafka.bootstrap_servers, unique)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> dict[str, str | None]:
    return {"database_url": f"sqlite+aiosqlite:///{tmp_path}/notify.db", "db_schema": None}


@pytest.fixture(params=["sqlite", "postgres"])
def notify_db(request: pytest.FixtureRequest, sqlite_db: dict[str, str | None], unique: str,
              ) -> dict[str, str | None]:
    """Notify's database on each backend (for the tests where the backend matters)."""
    if request.param == "sqlite":
        return sqlite_db
    return {"database_url": request.getfixturevalue("postgres_url"), "db_schema": f"{unique}_notify"}


@pytest.fixture
async def make_notify(kafka: Any, kafka_settings: KafkaSettings, sqlite_db: dict[str, str | None],
                      ) -> AsyncIterator[Callable[..., NotifyUnderTest]]:
    started: list[NotifyUnderTest] = []

    def make(*, smtp_port: int, database: dict[str, str | None] | None = None, mailer: Any = None,
             acceptance: Any = None, expected: Any = None, now: Callable[[], datetime] | None = None,
             **overrides: Any) -> NotifyUnderTest:
        settings = notify_settings(database=database or sqlite_db, kafka=kafka_settings, smtp_port=smtp_port,
                                   **overrides)
        extra: dict[str, Any] = {"now": now} if now else {}
        container = bootstrap(settings, mailer, acceptance=acceptance, expected=expected, **extra)
        under_test = NotifyUnderTest(container, kafka_settings, kafka.bootstrap_servers)
        started.append(under_test)
        return under_test

    yield make
    for under_test in started:
        await under_test.stop()


# --- reading topics ---------------------------------------------------------------------------------


async def read_topic(bootstrap_servers: str, topic: str, count: int, within: float = 15.0,
                     ) -> list[tuple[bytes, dict[str, str]]]:
    """The first ``count`` records of a topic: (value, headers)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest",
                                group_id=None, enable_auto_commit=False)
    await consumer.start()
    out: list[tuple[bytes, dict[str, str]]] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while len(out) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"{topic}: {len(out)} of {count} records within {within}s")
            batch = await consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
            for records in batch.values():
                out += [(r.value, {k: v.decode() for k, v in (r.headers or ())}) for r in records]
    finally:
        await consumer.stop()
    return out


async def create_topics(kafka_settings: KafkaSettings) -> None:
    await ensure_topics(kafka_settings, all_topics(kafka_settings.topic_prefix))


# --- SMTP servers with faults that LocalMailbox has no switch for ----------------------------------


class RecipientFaultMailbox(LocalMailbox):
    """A LocalMailbox that answers RCPT TO for chosen recipients with a fault, as a relay answers
    ``550 5.1.1 user unknown`` for one mailbox while it accepts others."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipient_faults: dict[str, tuple[int, str]] = {}

    def _smtp_factory(self) -> Any:
        session = super()._smtp_factory()

        async def rcpt(server: Any, smtp_session: Any, envelope: Any, address: str, options: list[str]) -> str:
            fault = self.recipient_faults.get(address.casefold())
            if fault is not None:
                return f"{fault[0]} {fault[1]}"
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"

        session._handle_hooks["RCPT"] = rcpt  # aiosmtpd resolves handler hooks once per session
        return session


class KillingMailbox(LocalMailbox):
    """A LocalMailbox that SIGKILLs a process the moment it has stored a mail, before the 250 reaches it:
    the client dies after the relay accepted the mail and before it could record that."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.victim: int | None = None

    async def _store(self, content: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        name = await super()._store(content, mail_from, rcpt_tos)
        victim, self.victim = self.victim, None
        if victim is not None:
            os.kill(victim, signal.SIGKILL)
            await asyncio.sleep(0.2)  # the reply would go to a dead process
        return name


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[RecipientFaultMailbox]:
    box = RecipientFaultMailbox(tmp_path / "mail")
    await box.start()
    yield box
    await box.stop()


# --- notify's HTTP API, signed in through an in-process identity provider ---------------------------

ADMIN_USER = "admin-7f3a"


@pytest.fixture(scope="session")
def idp() -> FakeIdentityProvider:
    return FakeIdentityProvider()


def signed_in(idp: FakeIdentityProvider, role: Role | None, user: str | None = None) -> dict[str, str]:
    if role is None:
        return {}
    return {"authorization": f"Bearer {idp.token(roles=[role.value], subject=user or f'test-{role.value}')}"}


@asynccontextmanager
async def http_client(notify: NotifyUnderTest, idp: FakeIdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(notify.container, manage_runtime=False, auth=idp.settings(), jwks_fetcher=idp.fetch)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://notify.test") as client:
        yield client


def utc(minutes_from_now: float = 0) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes_from_now)
