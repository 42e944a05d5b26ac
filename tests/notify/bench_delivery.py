"""Notify's delivery throughput on this machine: N notification requests recorded as the consumer would,
sent by the worker to a local SMTP server in another process. Not a test; nothing here asserts a number.

    .venv/bin/python -m tests.notify.bench_delivery [--mails 2000] [--preload]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test --schema bench_notify]

Prints how fast the requests were recorded, how fast they were mailed (accepted by the SMTP server) and
notify's CPU time a mail (which other load on the machine disturbs less than the wall time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select, text

from contracts.envelope import Envelope
from contracts.events import Destination
from infohus.kit.settings import Environment, KafkaSettings, TelemetrySettings
from services.notify.adapters.orm import deliveries
from services.notify.bootstrap import bootstrap
from services.notify.settings import NotifySettings
from tests.notify.builders import notification
from tests.waiting import eventually

MAILBOX = """
import asyncio, sys
from devtools.devstack.mailbox import LocalMailbox
async def main():
    box = LocalMailbox(sys.argv[1], smtp_port=0, web_port=0)
    await box.start()
    print(box.smtp_port, flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


async def run(mails: int, database_url: str | None, schema: str | None, overrides: dict[str, Any], *,
              preload: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        box = await asyncio.create_subprocess_exec(sys.executable, "-c", MAILBOX, str(Path(folder) / "mail"),
                                                   stdout=asyncio.subprocess.PIPE)
        assert box.stdout is not None
        port = int((await box.stdout.readline()).decode())
        settings = NotifySettings(
            environment=Environment.TEST, telemetry=TelemetrySettings(exporter="none"),
            kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix=f"bench{uuid4().hex[:6]}."),
            database_url=database_url or f"sqlite+aiosqlite:///{folder}/notify.db", db_schema=schema,
            smtp_host="127.0.0.1", smtp_port=port, smtp_starttls="off", mailbox_ops="drift@ishoj.dk", **overrides)
        container = bootstrap(settings)
        await container.runtime.migrate()
        worker: asyncio.Task[None] | None = None
        try:
            requests = [Envelope.wrap(notification(Destination.INFOHUS_TK if i % 2 else Destination.UNDERRETNING),
                                      producer="routing", correlation_id=uuid4()) for i in range(mails)]
            if not preload:
                worker = asyncio.create_task(container.worker.run())
            started = time.perf_counter()
            for request in requests:
                await container.on_notification_requested(request)
            recorded = time.perf_counter() - started
            cpu = time.process_time()
            if preload:  # all recorded first: the worker's sending alone is timed
                started = time.perf_counter()
                worker = asyncio.create_task(container.worker.run())
            sent = await eventually(lambda: _all_sent(container, mails), within=3600)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            print(f"{mails} mails: recorded in {recorded:.2f} s ({mails / recorded:.0f}/s); all accepted by SMTP "
                  f"{elapsed:.2f} s after the {'worker started' if preload else 'first request'} "
                  f"({sent / elapsed:.0f} mails/s); notify's CPU while sending: {cpu:.2f} s "
                  f"({cpu / mails * 1000:.2f} ms a mail)")
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            if schema:
                async with container.runtime.engine.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await container.runtime.engine.dispose()
            box.terminate()
            await box.wait()


async def _all_sent(container: Any, mails: int) -> int:
    """How many are sent, once all are; else 0."""
    async with container.unit_of_work() as uow:
        sent = int((await uow.session.execute(
            select(func.count()).select_from(deliveries).where(deliveries.c.state == "SENT"))).scalar_one())
    return sent if sent >= mails else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema (dropped afterwards)")
    parser.add_argument("--preload", action="store_true", help="record every request first, then time the sending")
    parser.add_argument("--concurrency", type=int, default=None, help="INFOHUS_NOTIFY_WORKER_CONCURRENCY")
    args = parser.parse_args()
    overrides = {"worker_concurrency": args.concurrency} if args.concurrency else {}
    asyncio.run(run(args.mails, args.database_url, args.schema, overrides, preload=args.preload))


if __name__ == "__main__":
    main()
