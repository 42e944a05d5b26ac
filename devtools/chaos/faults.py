"""The faults the chaos run injects, each healed before the run waits for the system to converge."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.bench.stack import SERVICES, Stack
from devtools.chaos.postgres import OwnPostgres
from devtools.devstack.broker import LocalBroker


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[], Awaitable[None]]  # injects the fault, keeps it up for its time, and heals it


def recoverable_faults(stack: Stack, seconds: float, postgres: OwnPostgres | None) -> list[Fault]:
    """Phase 1: what the system must recover from by itself (process crashes, a broker that lost everything,
    SMTP away or refusing, the database restarted)."""
    faults = [Fault(f"SIGKILL {service}, restarted after {seconds / 2:g}s", _kill(stack, service, seconds / 2))
              for service in SERVICES]
    faults.append(Fault("broker replaced by an empty one on the same address (all topics, messages and "
                        f"offsets lost), load on it for {seconds:g}s", _empty_broker(stack, seconds)))
    faults.append(Fault(f"SMTP server stopped for {seconds:g}s", _smtp_stopped(stack, seconds)))
    faults.append(Fault(f"SMTP answers 451 for {seconds:g}s", _smtp_fault(stack, 451, "4.3.0 Midlertidig fejl",
                                                                        seconds)))
    faults.append(Fault(f"SMTP answers 554 for {seconds:g}s", _smtp_fault(stack, 554, "5.7.1 Afvist", seconds)))
    if postgres is not None:
        faults.append(Fault("PostgreSQL (the run's own server) restarted", postgres.restart))
    return faults


def _kill(stack: Stack, service: str, down_s: float) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        await stack.kill_service(service)
        await asyncio.sleep(down_s)
        await stack.start_service(service)
        await stack.wait_ready()
    return inject


def _empty_broker(stack: Stack, seconds: float) -> Callable[[], Awaitable[None]]:
    """Concerns accepted in the ``seconds`` after count towards this fault: some reach the empty broker before
    the services noticed the loss (the events in flight at the moment of the loss are lost with it)."""
    async def inject() -> None:
        port = stack.broker.port
        await stack.broker.astop()
        stack.broker = LocalBroker(port=port, log_file=stack.data_dir / "broker-2.log")
        await stack.broker.astart()
        await asyncio.sleep(seconds)
    return inject


def _smtp_stopped(stack: Stack, seconds: float) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        await stack.stop_mailbox()
        await asyncio.sleep(seconds)
        await stack.start_mailbox()
    return inject


def _smtp_fault(stack: Stack, code: int, reply: str, seconds: float) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        async with httpx.AsyncClient(base_url=stack.mailbox_url) as web:
            await web.put("/api/fault", json={"code": code, "text": reply})
            await asyncio.sleep(seconds)
            await web.delete("/api/fault")
    return inject


async def redeliver_everything(stack: Stack) -> int:
    """Phase 2, a fault of its own: every event every service ever published is sent again. Returns how many."""
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.begin() as connection:
            total = 0
            for service in SERVICES:
                result = await connection.execute(
                    text(f'UPDATE "{service}".outbox SET published_at = NULL'))  # noqa: S608 - fixed names
                total += result.rowcount
        return total
    finally:
        await engine.dispose()


async def outboxes_sent(stack: Stack) -> bool:
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.connect() as connection:
            for service in SERVICES:
                waiting = (await connection.execute(text(
                    f'SELECT count(*) FROM "{service}".outbox WHERE published_at IS NULL'))).scalar_one()  # noqa: S608
                if waiting:
                    return False
        return True
    finally:
        await engine.dispose()
