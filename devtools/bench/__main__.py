"""``make bench``: throughput, latency, memory and efficiency of the whole pipeline on this machine.

    python -m devtools.bench [--rate 50] [--comparison-rate 10] [--fixed-seconds 20] [--max-concerns 2000]
        [--skip-audit] [--real-calendar]

End to end means: accepted by intake → case opened → both mails accepted by SMTP → disclosures appended.
Every concern takes the office-hours route (the office is open round the clock for the bench), so the
workload does not depend on the hour or the weekday the bench runs; ``--real-calendar`` routes by Ishøj's
real opening hours.
Targets (2 cores) are printed beside the measurements; nothing here asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.events import NotificationSent
from contracts.topics import all_topics, topic_name
from devtools.bench.hop import raw_hop_rate, records_in
from devtools.bench.stack import Stack, machine_busy_seconds
from devtools.devstack.mailbox import MailFolderTail
from devtools.devstack.municipality import office_always_open

CORES = os.cpu_count() or 1
REFERENCE = re.compile(r"IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
MAILS_PER_CONCERN = 2
CASE_MAILBOXES = {"tk@ishoj.dk", "Underretninger@ishoj.dk"}
DISCLOSURES_PER_CONCERN = 2


def concern(i: int) -> dict[str, Any]:
    return {"submission_id": f"bench-{uuid.uuid4().hex}", "channel": "WEB",
            "reporter": {"category": "CITIZEN", "email": f"bench{i}@example.org"},
            "subjects": [{"stated_age": 16, "municipality": "Ishøj"}],
            # distinct texts, as real concerns have: routing compares every concern with the originals that
            # share its description hash (near-duplicates), so one text for all would measure that scan instead
            "description": f"Benchmark-henvendelse nr. {i} uden personoplysninger.", "acuteness": "ROUTINE",
            "crime_suspicion": False}


@dataclass
class Run:
    name: str
    accepted: dict[str, float]
    started: float
    finished_submitting: float
    lost: int = 0  # submissions whose connection broke: never counted, whether intake kept them or not


@dataclass
class PerConcern:
    """What one concern of the max run cost."""

    cpu_ms: dict[str, float]  # per service
    infrastructure_cpu_ms: dict[str, float]  # PostgreSQL, the broker, the SMTP server
    machine_cpu_ms: float  # every process on the machine
    driver_cpu_ms: float  # this process
    kafka_messages: float
    database_transactions: float
    mails: float  # accepted by the SMTP server (NotificationSent)

    @property
    def unaccounted_cpu_ms(self) -> float:
        """The machine's CPU that is neither a service's, nor PostgreSQL's, the broker's, the SMTP server's or
        the driver's: the kernel's own threads and whatever else runs on the machine."""
        return (self.machine_cpu_ms - sum(self.cpu_ms.values()) - sum(self.infrastructure_cpu_ms.values())
                - self.driver_cpu_ms)

    def infrastructure_ceiling(self, cores: int = CORES) -> float:
        """Concerns/s the cores allow PostgreSQL, the broker and the SMTP server alone: the rate if the services
        cost nothing."""
        return 1000 * cores / sum(self.infrastructure_cpu_ms.values())

    def as_json(self) -> dict[str, Any]:
        return {"cpu_ms_per_concern": self.cpu_ms, "infrastructure_cpu_ms_per_concern": self.infrastructure_cpu_ms,
                "machine_cpu_ms_per_concern": self.machine_cpu_ms, "driver_cpu_ms_per_concern": self.driver_cpu_ms,
                "kafka_messages_per_concern": self.kafka_messages,
                "database_transactions_per_concern": self.database_transactions, "mails_per_concern": self.mails}


async def submit(client: aiohttp.ClientSession, i: int, accepted: dict[str, float]) -> bool:
    """Submit concern ``i``; False if the connection broke before an answer came (it is not retried: a
    second submission could be a second concern)."""
    try:
        async with client.post("/api/v1/concerns", json=concern(i)) as response:
            response.raise_for_status()
            reference = (await response.json())["reference"]
    except (aiohttp.ClientConnectionError, TimeoutError):
        return False
    accepted[reference] = time.time()
    return True


def client_session(stack: Stack, connections: int, timeout: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=stack.url("intake"), timeout=aiohttp.ClientTimeout(total=timeout),
                                 connector=aiohttp.TCPConnector(limit=connections))


async def fixed_rate(stack: Stack, rate: float, seconds: float) -> Run:
    accepted: dict[str, float] = {}
    async with client_session(stack, 100, 30) as client:
        started = time.time()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.time()))
            tasks.append(asyncio.create_task(submit(client, i, accepted)))
        answered = await asyncio.gather(*tasks)
    return Run(f"fixed {rate:g}/s", accepted, started, time.time(), lost=answered.count(False))


async def max_rate(stack: Stack, count: int, concurrency: int) -> Run:
    accepted: dict[str, float] = {}
    queue = iter(range(count))
    async with client_session(stack, concurrency, 60) as client:
        async def worker() -> int:
            return [await submit(client, i, accepted) for i in queue].count(False)

        started = time.time()
        lost = await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(f"max ({count} concerns)", accepted, started, time.time(), lost=sum(lost))


class CaseMails:
    """Arrival times of the case mails per reference, read from the local mailbox as they arrive.

    Each mail file is parsed once: parsing them all every second cost the benchmark more CPU per concern
    than intake used, on the same two cores as the pipeline it measures."""

    def __init__(self, folder: Path) -> None:
        self._tail = MailFolderTail(folder)
        self._times: dict[str, list[float]] = {}

    def times(self) -> dict[str, list[float]]:
        for mail in self._tail.new_summaries():
            match = REFERENCE.search(mail.subject or "")
            if match and set(mail.rcpt_tos) & CASE_MAILBOXES:
                self._times.setdefault(match.group(0), []).append(mail.received_at.timestamp())
        return self._times


async def wait_until_done(stack: Stack, mails: CaseMails, run: Run, timeout: float) -> dict[str, float]:
    """Last mail time per reference, once every concern has its mails and disclosures."""
    deadline = time.time() + timeout
    while True:
        arrived = await asyncio.to_thread(mails.times)
        last_mail = {ref: max(arrived[ref]) for ref in run.accepted
                     if len(arrived.get(ref, ())) >= MAILS_PER_CONCERN}
        disclosures = await audit_count(stack)
        if len(last_mail) >= len(run.accepted) and disclosures >= DISCLOSURES_PER_CONCERN * len(run.accepted):
            return last_mail
        if time.time() > deadline:
            raise RuntimeError(f"{run.name}: only {len(last_mail)}/{len(run.accepted)} concerns mailed and "
                               f"{disclosures} disclosures after {timeout}s")
        await asyncio.sleep(1.0)


async def audit_count(stack: Stack) -> int:
    return await _scalar(stack, "SELECT count(*) FROM audit.disclosure_log")


async def database_transactions(stack: Stack) -> int:
    """Transactions the services' database has ended so far (committed or rolled back). A backend reports
    its counts when it goes idle, at most once a second, so the figure is a few transactions behind."""
    return await _scalar(stack, "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                "WHERE datname = current_database()")


async def _scalar(stack: Stack, query: str) -> int:
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(query))).scalar_one())
    finally:
        await engine.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(run: Run, last_mail: dict[str, float]) -> dict[str, Any]:
    latencies = [(last_mail[ref] - accepted) * 1000 for ref, accepted in run.accepted.items()]
    end_to_end_s = max(last_mail.values()) - run.started
    return {"run": run.name, "concerns": len(run.accepted), "lost": run.lost,
            "accepted_per_s": len(run.accepted) / (run.finished_submitting - run.started),
            "end_to_end_per_s": len(run.accepted) / end_to_end_s,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "mean_ms": statistics.fmean(latencies)}


def print_table(rows: list[dict[str, Any]], rss: dict[str, float], warm_rss: dict[str, float], cost: PerConcern,
                hop: float, efficiency: float) -> None:
    print("\n| run | concerns | accepted/s | end-to-end concerns/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['run']} | {r['concerns']} | {r['accepted_per_s']:.0f} | {r['end_to_end_per_s']:.0f} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} |")
    for r in rows:
        if r["lost"]:
            print(f"{r['run']}: {r['lost']} submissions lost their connection before an answer (not counted)")
    print("\n| service | RSS MB after warm-up | peak RSS MB (target ≤ 150) | CPU ms per concern (max run) |\n"
          "|---|---:|---:|---:|")
    for name, mb in rss.items():
        print(f"| {name} | {warm_rss.get(name, float('nan')):.0f} | {mb:.0f} | "
              f"{cost.cpu_ms.get(name, float('nan')):.1f} |")
    total = sum(cost.cpu_ms.values())
    print(f"| all four | | | {total:.1f} (≈ {1000 * CORES / total:.0f} concerns/s if {CORES} cores did nothing else) |")
    print(f"| whole machine (also PostgreSQL, broker, SMTP server, this driver) | | | {cost.machine_cpu_ms:.1f} "
          f"(≈ {1000 * CORES / cost.machine_cpu_ms:.0f} concerns/s on {CORES} cores) |")
    for part, used in cost.infrastructure_cpu_ms.items():
        print(f"| of which {part} | | | {used:.1f} |")
    print(f"| of which this load driver (HTTP client, mail and audit counting) | | | {cost.driver_cpu_ms:.1f} |")
    print(f"| of which the rest (the kernel's threads, other processes) | | | {cost.unaccounted_cpu_ms:.1f} |")
    print(f"\nRaw FastStream hop (consume one, publish one) on the same broker: {hop:.0f} msg/s (one message at a "
          f"time, each publish awaited: a latency, not the broker's capacity)")
    print(f"Mails per concern: {cost.mails:.1f} (2 in opening hours: the infohus mailbox and Underretninger; 4 outside "
          f"them, with the out-of-hours notice and the 24-hour deadline at risk)")
    print(f"Kafka messages per concern (counted on the event topics during the max run): {cost.kafka_messages:.1f}")
    print(f"PostgreSQL transactions per concern (all four services, pg_stat_database): "
          f"{cost.database_transactions:.1f}")
    print(f"Pipeline efficiency = concerns/s × {cost.kafka_messages:.1f} messages ÷ hop rate = "
          f"{efficiency:.0%} (target ≥ 50 %)")
    infrastructure = sum(cost.infrastructure_cpu_ms.values())
    print(f"Ceiling if the four services cost nothing = {1000 * CORES:,} ms of CPU per second ÷ "
          f"{infrastructure:.1f} ms (PostgreSQL, broker and SMTP server per concern) = "
          f"{cost.infrastructure_ceiling():.0f} concerns/s; "
          f"1,000 concerns/s leaves {CORES} ms per concern for all of it")
    print("Targets: ≥ 1,000 concerns/s end to end; p99 ≤ 150 ms accepted → mail at 50 concerns/s.")


async def max_run(stack: Stack, mails: CaseMails, args: argparse.Namespace) -> tuple[dict[str, Any], PerConcern]:
    """The max-rate run, and what each of its concerns cost the services and the machine."""
    cpu_before, machine_before, driver_before = stack.cpu_seconds(), machine_busy_seconds(), time.process_time()
    infrastructure_before = stack.infrastructure_cpu_seconds()
    messages_before = await records_in(stack.broker.bootstrap_servers, all_topics(consumers_dlt=False))
    mails_before = await records_in(stack.broker.bootstrap_servers, [topic_name(NotificationSent)])
    transactions_before = await database_transactions(stack)
    burst = await max_rate(stack, args.max_concerns, args.concurrency)
    row = summarise(burst, await wait_until_done(stack, mails, burst, 600))
    concerns = len(burst.accepted)
    messages = await records_in(stack.broker.bootstrap_servers, all_topics(consumers_dlt=False))
    cost = PerConcern(
        cpu_ms={name: (used - cpu_before[name]) * 1000 / concerns for name, used in stack.cpu_seconds().items()},
        infrastructure_cpu_ms={part: (used - infrastructure_before[part]) * 1000 / concerns
                               for part, used in stack.infrastructure_cpu_seconds().items()},
        machine_cpu_ms=(machine_busy_seconds() - machine_before) * 1000 / concerns,
        driver_cpu_ms=(time.process_time() - driver_before) * 1000 / concerns,
        kafka_messages=(messages - messages_before) / concerns,
        database_transactions=(await database_transactions(stack) - transactions_before) / concerns,
        mails=(await records_in(stack.broker.bootstrap_servers, [topic_name(NotificationSent)]) - mails_before)
        / concerns)
    return row, cost


async def main(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) / f"bench-{uuid.uuid4().hex[:6]}"
    data_dir.mkdir(parents=True)
    stack = Stack(data_dir, profile_dir=Path(args.profile_dir) if args.profile_dir else None,
                  municipality_config=None if args.real_calendar else office_always_open(data_dir))
    await stack.start()
    mails = CaseMails(stack.mail_folder)
    rows = []
    try:
        warm = await fixed_rate(stack, 10, 1)
        await wait_until_done(stack, mails, warm, 60)
        warm_rss = stack.rss_mb()  # beside the peak: how much the runs added
        for rate in (r for r in (args.rate, args.comparison_rate) if r):  # a comparison rate of 0: no second run
            fixed = await fixed_rate(stack, rate, args.fixed_seconds)
            rows.append(summarise(fixed, await wait_until_done(stack, mails, fixed, 120)))
        row, cost = await max_run(stack, mails, args)
        rows.append(row)
        rss = stack.peak_rss_mb()
        hop = await raw_hop_rate(stack.broker.bootstrap_servers, args.hop_messages)
    finally:
        await stack.stop()
    efficiency = rows[-1]["end_to_end_per_s"] * cost.kafka_messages / hop
    print_table(rows, rss, warm_rss, cost, hop, efficiency)
    (stack.data_dir / "bench-results.json").write_text(json.dumps(
        {"runs": rows, "rss_after_warm_up_mb": warm_rss, "peak_rss_mb": rss, **cost.as_json(),
         "hop_msgs_per_s": hop, "efficiency": efficiency,
         "infrastructure_ceiling_concerns_per_s": cost.infrastructure_ceiling()},
        indent=2))
    if not args.skip_audit:
        from devtools.bench.audit import run_audit_benchmark

        await run_audit_benchmark(args.audit_records)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--fixed-seconds", type=float, default=20)
    parser.add_argument("--comparison-rate", type=float, default=10,
                        help="a second fixed-rate run at this rate, below the pipeline's capacity, for the latency "
                             "of the hops themselves without a queue (0: none)")
    parser.add_argument("--max-concerns", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--hop-messages", type=int, default=5000)
    parser.add_argument("--audit-records", type=int, default=1_000_000)
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument("--real-calendar", action="store_true",
                        help="route by Ishøj's real opening hours, so the workload depends on when the bench runs "
                             "(default: the office is open round the clock, every concern takes the office-hours "
                             "route)")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--profile-dir", help="run every service under cProfile and write <service>.prof here "
                                              "(the whole run, start-up included; CPU figures then include the "
                                              "profiler's overhead)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
