"""``make chaos``: faults under steady load; the system recovers by its own means, then proves it.

    python -m devtools.chaos [--seconds-per-fault 60] [--rate 5] [--settle-seconds 180] [--no-postgres-restart]

Phase 1, while concerns keep arriving, one fault after another, each healed and then waited for: SIGKILL of
each service (then restart), an empty broker in place of the old one (tansu keeps everything in memory: all
topics, messages and consumer offsets are gone), the SMTP server stopped, answering 4xx, then 5xx, and a
restart of the run's own PostgreSQL server (never the machine's shared one; left out where no server of its
own can be started). After each fault the run measures how long it took until every concern accepted so far
was decided (one case), mailed (both case mails exactly once, or dead-lettered with an ops alert after a
5xx) and audited (two disclosure records): the convergence time, and the catch-up rate (the concerns still
undecided when the fault was healed, per second). Nothing in this phase helps the system: the outbox relays,
the topic check's replay, the consumers' rewind, notify's watchdog and intake's reconciliation with routing
must do it. Phase 1 is checked before anything is redelivered.

Phase 2, a fault of its own: every event every service ever published is published again. Checked: every
consumer has read past it all, and still nothing is doubled. Then the load stops and the last catch-up is
measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

from devtools.bench.stack import POSTGRES_ADMIN_URL, Stack
from devtools.chaos.checks import Convergence, converge
from devtools.chaos.faults import outboxes_sent, recoverable_faults, redeliver_everything
from devtools.chaos.load import Load
from devtools.chaos.postgres import OwnPostgres

# Shorter rounds than production's, so a run of minutes shows each mechanism at work: intake asks routing
# again about a concern unacknowledged for 30 s (production: 120 s); notify takes over a send whose process
# died after 45 s (production: 300 s; the stack's 15 s made live sends on a loaded machine look dead).
ENVIRONMENT = {"INFOHUS_INTAKE_RECONCILE_INTERVAL_S": "5", "INFOHUS_INTAKE_RECONCILE_AFTER_S": "30",
               "INFOHUS_NOTIFY_DELIVERY_LEASE_S": "45", "INFOHUS_NOTIFY_SMTP_SEND_DEADLINE_S": "20"}


def describe(c: Convergence) -> str:
    if c.problems:
        return f"NOT converged after {c.seconds:.0f}s: {len(c.problems)} problems"
    rate = f", all decided after {c.decided_seconds:.1f}s: {c.rate:.1f} concerns/s" if c.backlog else ""
    return f"converged in {c.seconds:.1f}s (backlog {c.backlog} concerns undecided{rate})"


def load_average() -> str:
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores"


async def main(args: argparse.Namespace) -> int:
    postgres = OwnPostgres() if not args.no_postgres_restart and OwnPostgres.available() else None
    if postgres is not None:
        await postgres.start()
    stack = Stack(Path(args.data_dir) / f"chaos-{uuid.uuid4().hex[:6]}", extra_environment=ENVIRONMENT,
                  postgres_admin_url=postgres.admin_url if postgres is not None else POSTGRES_ADMIN_URL)
    print(f"Chaos run: {args.rate:g} concerns/s, {args.seconds_per_fault:g}s per fault; {load_average()}.",
          flush=True)
    if postgres is None:
        print("  (no PostgreSQL server of its own: the restart fault is left out; the machine's server is "
              "never restarted)", flush=True)
    try:
        await stack.start()
        return await run(stack, postgres, args)
    finally:
        await stack.stop()
        if postgres is not None:
            await postgres.stop()


async def run(stack: Stack, postgres: OwnPostgres | None, args: argparse.Namespace) -> int:
    seconds, settle = args.seconds_per_fault, args.settle_seconds
    load = Load(stack, args.rate)
    load_task = asyncio.create_task(load.run())
    results: list[tuple[str, Convergence]] = []
    failed: list[str] = []
    try:
        await asyncio.sleep(seconds)
        print("Phase 1: faults the system recovers from by itself", flush=True)
        for fault in recoverable_faults(stack, seconds, postgres):
            print(f"  injected: {fault.name}", flush=True)
            await fault.inject()
            result = await converge(stack, load.snapshot(), settle)
            results.append((fault.name, result))
            print(f"    {describe(result)}", flush=True)
            if result.problems:
                failed = result.problems
                break
        if not failed:
            phase1 = await converge(stack, load.snapshot(), settle)
            failed = phase1.problems
            print(f"Phase 1 checked before any redelivery: {len(load.accepted)} concerns accepted so far, "
                  + ("each decided once, both mails exactly once, audit complete." if not failed else
                     f"{len(failed)} problems."), flush=True)
        if not failed:
            failed = await redelivery(stack, load, settle, results)
    finally:
        load.stop()
        await load_task
    final = await converge(stack, load.snapshot(), settle) if not failed else None
    print(f"\n{len(load.accepted)} concerns accepted, {load.achieved_rate:.1f}/s on average ({load.refused} "
          f"attempts refused while intake was down); {load_average()}.")
    print("Convergence after each fault (load continuing):")
    for name, result in results:
        print(f"  {name}: {describe(result)}")
    if final is not None:
        print(f"Catch-up after the load stopped: {describe(final)}")
        failed = final.problems
        decided = [r for r in [*(r for _, r in results), final] if r.backlog and r.decided_seconds > 0]
        if decided:
            print(f"Catch-up rate: {sum(r.backlog for r in decided) / sum(r.decided_seconds for r in decided):.1f} "
                  f"concerns/s (all backlogs together); best {max(r.rate for r in decided):.1f}")
    print("Checked: one case per concern, both mails exactly once (or dead-lettered with an ops alert after a "
          "5xx), two disclosure records per concern.")
    if failed:
        print(f"FAILED: {len(failed)} problems", *failed[:50], sep="\n  ")
        return 1
    print("All checks passed.")
    return 0


async def redelivery(stack: Stack, load: Load, settle: float, results: list[tuple[str, Convergence]]) -> list[str]:
    print("Phase 2: redelivery", flush=True)
    count = await redeliver_everything(stack)
    name = f"every event published again ({count} events)"
    print(f"  injected: {name}", flush=True)
    started = time.monotonic()
    while not await outboxes_sent(stack):
        if time.monotonic() - started > settle:
            return ["the outboxes were not sent again"]
        await asyncio.sleep(1)
    # The concerns accepted from now on follow the redelivered events on every topic they touch (one partition
    # per topic on the local broker: in order), so once they are decided, mailed and audited, every consumer
    # has read past the redelivered events, and anything those doubled would show.
    await load.next_accepted()
    print(f"    all sent again after {time.monotonic() - started:.1f}s; waiting for the concerns accepted since",
          flush=True)
    result = await converge(stack, load.snapshot(), settle)
    results.append((name, result))
    print(f"    {describe(result)}", flush=True)
    return result.problems


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds-per-fault", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--settle-seconds", type=float, default=180,
                        help="how long to wait for convergence after each fault before failing")
    parser.add_argument("--no-postgres-restart", action="store_true",
                        help="leave out the restart of the run's own PostgreSQL server")
    parser.add_argument("--data-dir", default="data")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
