"""``make chaos``: faults under steady load, then proof that nothing was lost or doubled.

    python -m devtools.chaos [--seconds-per-fault 5] [--rate 5] [--no-postgres-restart]

Injected, in order, while concerns keep arriving: SIGKILL of each service (then restart), an empty
broker in place of the old one, the SMTP server stopped, answering 4xx and then 5xx, a PostgreSQL
restart, and redelivery of every event. Checked afterwards: every accepted concern has its case, both
mails exactly once, its disclosure records, and the audit chain verifies.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.bench.stack import SERVICES, Stack
from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import read_mail_summaries

REFERENCE = re.compile(r"IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
CASE_MAILBOXES = {"tk@ishoj.dk", "Underretninger@ishoj.dk"}  # ops alerts name references too


def concern() -> dict[str, object]:
    return {"submission_id": f"chaos-{uuid.uuid4().hex}", "channel": "WEB",
            "reporter": {"category": "CITIZEN", "email": "chaos@example.org"},
            "subjects": [{"stated_age": 15, "municipality": "Ishøj"}],
            "description": "Fejltest uden personoplysninger.", "acuteness": "ROUTINE", "crime_suspicion": False}


class Load:
    """Submits concerns at a steady rate; only 201 answers count as accepted."""

    def __init__(self, stack: Stack, rate: float) -> None:
        self.stack, self.rate = stack, rate
        self.accepted: set[str] = set()
        self.refused = 0
        self._running = True

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while self._running:
                body = concern()
                for _attempt in range(20):  # a reporter whose page failed simply tries again
                    try:
                        response = await client.post(self.stack.url("intake") + "/api/v1/concerns", json=body)
                    except httpx.HTTPError:
                        response = None
                    if response is not None and response.status_code in (200, 201):
                        self.accepted.add(response.json()["reference"])
                        break
                    self.refused += 1
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1 / self.rate)

    def stop(self) -> None:
        self._running = False


async def inject(stack: Stack, seconds: float, restart_postgres: bool, log: list[str]) -> None:
    async def step(what: str) -> None:
        log.append(what)
        print(f"  injected: {what}", flush=True)

    for service in SERVICES:
        await stack.kill_service(service)
        await step(f"SIGKILL {service}")
        await asyncio.sleep(seconds / 2)
        await stack.start_service(service)
        await stack.wait_ready()
    port = stack.broker.port
    await stack.broker.astop()
    stack.broker = LocalBroker(port=port, log_file=stack.data_dir / "broker-2.log")
    await stack.broker.astart()
    await step("broker replaced by an empty one on the same address")
    await asyncio.sleep(seconds)
    await stack.stop_mailbox()
    await step(f"SMTP server stopped for {seconds:g}s")
    await asyncio.sleep(seconds)
    await stack.start_mailbox()
    async with httpx.AsyncClient(base_url=stack.mailbox_url) as web:
        await web.put("/api/fault", json={"code": 451, "text": "4.3.0 Midlertidig fejl"})
        await step(f"SMTP answers 451 for {seconds:g}s")
        await asyncio.sleep(seconds)
        await web.put("/api/fault", json={"code": 554, "text": "5.7.1 Afvist"})
        await step(f"SMTP answers 554 for {seconds:g}s")
        await asyncio.sleep(seconds)
        await web.delete("/api/fault")
    if restart_postgres:
        await asyncio.to_thread(restart_postgresql)
        await step("PostgreSQL restarted")
        await asyncio.sleep(seconds)
    await redeliver_everything(stack)
    await step("every event published again (redelivery)")


def restart_postgresql() -> None:
    clusters = sorted(Path("/etc/postgresql").iterdir())
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "restart"],  # noqa: S603, S607
                   check=True, timeout=120)


async def redeliver_everything(stack: Stack) -> None:
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.begin() as connection:
            for service in SERVICES:
                await connection.execute(text(f'UPDATE "{service}".outbox SET published_at = NULL'))  # noqa: S608 - fixed names
    finally:
        await engine.dispose()


async def check(stack: Stack, accepted: set[str], timeout: float) -> list[str]:
    """Wait for convergence, then report what does not hold (empty list: all good)."""
    deadline = time.time() + timeout
    while True:
        problems = await find_problems(stack, accepted)
        if not problems or time.time() > deadline:
            return problems
        await asyncio.sleep(2)


async def find_problems(stack: Stack, accepted: set[str]) -> list[str]:
    mails = Counter(m.group(0) for s in await asyncio.to_thread(read_mail_summaries, stack.mail_folder)
                    if set(s.rcpt_tos) & CASE_MAILBOXES and (m := REFERENCE.search(s.subject or "")))
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.connect() as connection:
            cases = Counter(r[0] for r in await connection.execute(text("SELECT reference FROM routing.infohus_cases")))
            concern_ids = dict((r[0], r[1]) for r in await connection.execute(
                text("SELECT reference, concern_id FROM intake.concerns")))
            disclosures = Counter(r[0] for r in await connection.execute(
                text("SELECT concern_id FROM audit.disclosure_payloads")))
            # A 5xx is final by design (dead letter + ops alert); such a mail is accounted for, not lost.
            given_up = Counter(r[0] for r in await connection.execute(
                text("SELECT reference FROM notify.deliveries WHERE state = 'DEAD_LETTERED' "
                     "AND destination IN ('INFOHUS_TK', 'UNDERRETNING')")))  # out of hours, vagt@ is mailed too
    finally:
        await engine.dispose()
    problems = []
    for reference in sorted(accepted):
        if cases[reference] != 1:
            problems.append(f"{reference}: {cases[reference]} cases")
        if mails[reference] + given_up[reference] != 2 or mails[reference] > 2:
            problems.append(f"{reference}: {mails[reference]} mails, {given_up[reference]} dead-lettered")
        if disclosures[concern_ids.get(reference)] != 2:
            problems.append(f"{reference}: {disclosures[concern_ids.get(reference)]} disclosure records")
    return problems


async def main(args: argparse.Namespace) -> int:
    stack = Stack(Path(args.data_dir) / f"chaos-{uuid.uuid4().hex[:6]}")
    await stack.start()
    load = Load(stack, args.rate)
    injected: list[str] = []
    try:
        load_task = asyncio.create_task(load.run())
        await asyncio.sleep(args.seconds_per_fault)
        await inject(stack, args.seconds_per_fault, not args.no_postgres_restart, injected)
        await asyncio.sleep(args.seconds_per_fault)
        load.stop()
        await load_task
        problems = await check(stack, load.accepted, args.settle_seconds)
    finally:
        await stack.stop()
    print(f"\nInjected {len(injected)} faults; {len(load.accepted)} concerns accepted "
          f"({load.refused} attempts refused while intake was down).")
    print("Checked: one case per concern, both mails exactly once (or dead-lettered with an ops alert after a "
          "5xx), two disclosure records per concern.")
    if problems:
        print(f"FAILED: {len(problems)} problems", *problems[:50], sep="\n  ")
        return 1
    print("All checks passed.")
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.chaos", description=__doc__)
    parser.add_argument("--seconds-per-fault", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--settle-seconds", type=float, default=180)
    parser.add_argument("--no-postgres-restart", action="store_true")
    parser.add_argument("--data-dir", default="data")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
