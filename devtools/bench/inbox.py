"""Benchmark (not a test): the staff inbox and the case view on PostgreSQL with many cases.

Seeds N cases (default 100,000) straight into the tables of a fresh PostgreSQL schema, then times, through
the real HTTP app in-process (httpx ASGITransport, signed-in bearer tokens), the inbox's first page, a
filtered page, a CPR search, StraXen's list and the case view, and prints p50/p95 per request kind.

    .venv/bin/python -m devtools.bench.inbox --cases 100000   (make bench-inbox)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.concern import ConcernIn
from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.settings import Environment, TelemetrySettings
from rules.decision_table import decide
from services.routing.adapters.orm import (
    case_timeline,
    clocks,
    decisions,
    infohus_cases,
    person_cpr,
    tasks,
    underretninger,
)
from services.routing.bootstrap import RoutingContainer, bootstrap
from services.routing.domain.facts import cpr_hmac
from services.routing.entrypoints.http import create_app
from services.routing.settings import RoutingSettings

NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)
STATES = ["RECEIVED"] * 30 + ["IN_SCOPE"] * 10 + ["SCREENING"] * 10 + ["FOLLOW_UP"] * 10 + ["CLOSED"] * 40
PRIORITIES = ["P0"] * 5 + ["P1"] * 35 + ["P2"] * 60
CHUNK = 5000


def cpr_of(n: int) -> str:
    return f"0101{n % 100:02d}{n % 10000:04d}"


def _sample_decision(container: RoutingContainer) -> str:
    concern = ConcernIn.model_validate({
        "submission_id": "bench-0000000001", "channel": "WEB", "reporter": {"category": "CITIZEN", "name": "B"},
        "subjects": [{"date_of_birth": "2012-05-05", "municipality": "Ishøj"}], "children_at_risk": [],
        "description": "Bekymring.", "acuteness": "ROUTINE", "crime_suspicion": False})
    return decide(concern, NOW, container.config).model_dump_json()


MUNICIPALITY = "183"  # Ishøj: the bench's readers belong to it (the default municipality of test settings)


def _rows(n: int, key: bytes, decision: str, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    case_id, concern_id = str(uuid.UUID(int=n + 1)), str(uuid.UUID(int=10**9 + n))
    person_id = str(uuid.UUID(int=2 * 10**9 + n))
    opened = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
    state, priority = rng.choice(STATES), rng.choice(PRIORITIES)
    triaged = state not in ("RECEIVED", "CLOSED")
    user = f"user-{rng.randrange(50)}"
    out: dict[str, list[dict[str, Any]]] = {
        "cases": [dict(case_id=case_id, concern_id=concern_id, reference=f"ISH-{n:08d}", subject_index=0,
                       person_id=person_id, group_id=concern_id, state=state, priority=priority,
                       triage_due_at=opened + timedelta(days=rng.choice([0.05, 1, 3])), flags="[]", opened_at=opened,
                       version=1, triage_signoffs=json.dumps({"tovholder_municipal": {
                           "user_id": user, "outcome": "IN_SCOPE", "at": opened.isoformat()}}),
                       record="{}", closed_at=opened + timedelta(days=5) if state == "CLOSED" else None,
                       triage_completed_at=opened + timedelta(hours=2) if triaged else None,
                       municipality=MUNICIPALITY)],
        "timeline": [dict(case_id=case_id, at=opened, actor="system:routing", actor_role="system", action="OPENED",
                          from_state="RECEIVED", to_state="RECEIVED", details="{}"),
                     dict(case_id=case_id, at=opened + timedelta(minutes=30), actor=user,
                          actor_role="tovholder_municipal", action="TRIAGE_SIGNED", from_state="RECEIVED",
                          to_state="RECEIVED", details='{"outcome": "IN_SCOPE"}')],
        "decisions": [dict(decision_id=str(uuid.uuid5(uuid.UUID(concern_id), "decision")), concern_id=concern_id,
                           reference=f"ISH-{n:08d}", received_at=opened, decided_at=opened, config_version="bench",
                           decision=decision, trace_id=None)],
        "people": [dict(person_id=person_id, concern_id=concern_id, cpr_hmac=cpr_hmac(cpr_of(n), key))],
        "clocks": [dict(clock_id=str(uuid.uuid5(uuid.UUID(case_id), "clock")), kind="TRIAGE", concern_id=concern_id,
                        case_id=case_id, underretning_id=None, started_at=opened,
                        due_at=opened + timedelta(days=1), warn_at=None, stopped_at=None, stop_reason=None)],
        "tasks": [], "underretninger": [],
    }
    if n % 5 == 0:  # a possible minor: an underretning with its receipt task
        u_id = str(uuid.uuid5(uuid.UUID(case_id), "underretning"))
        assessed = rng.random() < 0.7
        out["underretninger"].append(dict(
            underretning_id=u_id, concern_id=concern_id, case_id=case_id, subject="subjects[0]", person_id=person_id,
            legal_type="BL_135", state="ASSESSED" if assessed else "REGISTERED", received_at=opened,
            assessment_due_at=opened + timedelta(hours=24), receipt_confirmation_due_date=(opened + timedelta(days=8))
            .date(), professional_orientation_required=False, origin="ROUTING",
            assessed_at=opened + timedelta(hours=5) if assessed else None, municipality=MUNICIPALITY))
        out["tasks"].append(dict(task_id=str(uuid.uuid5(uuid.UUID(u_id), "task")), kind="RECEIPT_CONFIRMATION",
                                 concern_id=concern_id, case_id=case_id, underretning_id=u_id, state="OPEN",
                                 created_at=opened, due_at=None, due_date=(opened + timedelta(days=8)).date(),
                                 details="{}"))
    return out


async def seed(container: RoutingContainer, count: int) -> None:
    rng, key = random.Random(7), container.deps.hmac_key  # noqa: S311 - synthetic data, reproducible
    decision = _sample_decision(container)
    targets = {"cases": infohus_cases, "timeline": case_timeline, "decisions": decisions, "people": person_cpr,
               "clocks": clocks, "tasks": tasks, "underretninger": underretninger}
    for start in range(0, count, CHUNK):
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for n in range(start, min(start + CHUNK, count)):
            for name, rows in _rows(n, key, decision, rng).items():
                batch[name] += rows
        async with container.runtime.engine.begin() as connection:
            for name in ("cases", "timeline", "decisions", "people", "clocks", "underretninger", "tasks"):
                if batch[name]:
                    await connection.execute(targets[name].insert(), batch[name])
    async with container.runtime.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))


async def timed(label: str, requests: int, call: Callable[[int], Awaitable[httpx.Response]]) -> tuple[str, float,
                                                                                                       float]:
    for i in range(5):  # warm-up
        (await call(i)).raise_for_status()
    durations = []
    for i in range(requests):
        begin = time.perf_counter()
        response = await call(i)
        durations.append((time.perf_counter() - begin) * 1000)
        response.raise_for_status()
    quantiles = statistics.quantiles(durations, n=100)
    return label, statistics.median(durations), quantiles[94]


async def run(args: argparse.Namespace) -> None:
    schema = args.schema or f"bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(args.url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    settings = RoutingSettings(database_url=args.url, db_schema=schema, environment=Environment.TEST,
                               telemetry=TelemetrySettings(exporter="none"))
    container = bootstrap(settings)
    container.clock = lambda: NOW
    try:
        await container.runtime.migrate()
        begin = time.perf_counter()
        await seed(container, args.cases)
        print(f"seeded {args.cases} cases into schema {schema} in {time.perf_counter() - begin:.1f} s")
        idp = FakeIdentityProvider()
        app = create_app(container, manage_runtime=False, auth=idp.settings(), jwks_fetcher=idp.fetch)

        def client(role: str) -> httpx.AsyncClient:
            token = idp.token(roles=[role], subject="bench-user")
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://routing.bench",
                                     headers={"authorization": f"Bearer {token}"})

        rng = random.Random(11)  # noqa: S311 - which case to read next
        async with client("tovholder_municipal") as staff, client("straxen") as straxen:
            results = [
                await timed("inbox, first page (50)", args.requests, lambda _: staff.get("/api/v1/cases")),
                await timed("inbox, P1 + overdue", args.requests, lambda _: staff.get(
                    "/api/v1/cases", params={"priority": "P1", "overdue": "true"})),
                await timed("inbox, mine", args.requests, lambda _: staff.get(
                    "/api/v1/cases", params={"mine": "true"})),
                await timed("inbox, CPR search", args.requests, lambda _: staff.get(
                    "/api/v1/cases", params={"cpr": cpr_of(rng.randrange(args.cases)), "include_closed": "true"})),
                await timed("underretninger, first page", args.requests,
                            lambda _: straxen.get("/api/v1/underretninger")),
                await timed("case view", args.requests, lambda _: staff.get(
                    f"/api/v1/cases/{uuid.UUID(int=rng.randrange(args.cases) + 1)}")),
            ]
            page = (await staff.get("/api/v1/cases")).json()
            deep = page["next_cursor"]
            results.append(await timed("inbox, next page (cursor)", args.requests, lambda _: staff.get(
                "/api/v1/cases", params={"cursor": deep})))
        print(f"\n{'request':34} {'p50 ms':>8} {'p95 ms':>8}   ({args.requests} requests each, {args.cases} cases,"
              f" {page['total']} open)")
        for label, p50, p95 in results:
            print(f"{label:34} {p50:8.1f} {p95:8.1f}")
    finally:
        await container.runtime.engine.dispose()
        if not args.keep:
            admin = create_async_engine(args.url)
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", help="a new schema to create (default: a random name), dropped afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
