"""Benchmark of the disclosure log (issue item 7; measured, not asserted in tests).

    uv run python -m devtools.bench.audit --records 1000000 --path data/bench/audit.db
    uv run python -m devtools.bench.audit --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Builds a fresh log of N lawful records (a SQLite file, or a PostgreSQL schema) through the real schema
(migrations, triggers and all), then measures: the per-subject query Q1 (raw, and through ``run_query``
with its query-log write), the Merkle tree build, full verification against a signed checkpoint
(records/s, in worker processes and in one), and inclusion proofs. Targets: Q1 p99 ≤ 20 ms,
verify ≥ 250,000 records/s, inclusion proof ≤ 5 ms.

The records are generated without pydantic and rfc8785 (a few µs each instead of ~0.6 ms): the
canonical JSON of this ASCII-only payload is ``json.dumps(sort_keys=True, separators=(",", ":"))``,
which is checked against RFC 8785 for the first records, and the chain is built exactly as the
service builds it (``verify`` checks every hash afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infohus.kit import migrations
from infohus.kit.db import create_engine
from services.audit.adapters.chain_reader import connect_postgres
from services.audit.domain.checkpoint import load_private_key
from services.audit.domain.hashing import (
    GENESIS_PREV_HASH,
    canonical_json,
    hashed_content,
    header_v2,
    payload_digest,
    record_hash_v2,
)
from services.audit.domain.stored_columns import V2_COLUMNS, columns_text, query_columns, subject_keys
from services.audit.domain.values import format_utc
from services.audit.entrypoints.cli import uow_factory
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.running import run_query
from services.audit.service_layer.tree import LogTree, inclusion, issue_checkpoint
from services.audit.service_layer.verify import verify_log
from services.audit.service_layer.verify_parallel import Parallelism, default_workers
from services.audit.settings import AuditSettings

START = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
PAYLOAD_COLUMNS = V2_COLUMNS


def template() -> dict[str, Any]:
    return {
        "record_schema_version": 1, "kind": "DISCLOSURE", "decision_at": None, "concern_id": None,
        "infohus_case_id": None, "underretning_id": None, "subject_cpr_hmacs": [],
        "subject_age_at_occurrence": 16, "other_person_ids": [], "discloser_authority": "ISHOEJ_KOMMUNE",
        "discloser_unit": "CBF_TK", "executed_by": "user-17:kommunal infohustovholder",
        "decided_by": "user-17:kommunal infohustovholder", "recipient_authority": "KBHV_POLITI_INFOHUS",
        "recipient_unit": None, "recipient_persons": ["police-tovholder-3"],
        "recipient_is_cooperation_participant": True, "channel": "SECURE_EMAIL", "transport_ref": None,
        "content_hash": "ab" * 32, "content_manifest": ["concern.description", "subject[0].name"],
        "legal_basis": "RPL115_2", "cooperation_form": "SSP", "legal_basis_note": None,
        "purpose": "INFOHUS_SCREENING", "purpose_description": "Screening af bekymring i infohus kommune",
        "not_for_investigation": True,
        "necessity_assessment": "Politiets tovholder skal vurdere, om personen er kendt i miljoet.",
        "data_categories": ["CONCERN_NARRATIVE", "IDENTITY", "OBSERVED_SIGNS"],
        "contains_special_categories": False, "contains_criminal_data": False, "contains_cpr": False,
        "contains_gang_info": False, "source_of_data": "REPORTER", "source_record_id": None,
        "onward_conditions_communicated": ["CONFIDENTIALITY", "NO_INVESTIGATION_USE"],
        "subject_information_status": "PENDING", "consent_ref": None, "delivery_status": "DELIVERED",
        "corrects_record_id": None, "retention_until": "2031-01-01", "routing_table_version": "rt-2026.1",
        "system_version": "0.1.0",
    }


def fast_canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


LOG_COLUMNS = ("seq_no", "record_id", "prev_hash", "record_hash", "recorded_at", "retention_until", "hash_version",
               "payload_sha256")
RETENTION_UNTIL = date(2031, 1, 1)
Rows = tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[int, str]]]


def records(count: int, subjects: int) -> Iterator[Rows]:
    """The rows of ``count`` lawful records, chained exactly as the service chains them (hash version 2):
    the log row (instants as ``datetime``/``date``), the payload row and the subject rows."""
    base = template()
    prev = GENESIS_PREV_HASH
    for seq_no in range(1, count + 1):
        occurred = START + timedelta(minutes=seq_no)
        payload = {**base, "record_id": str(UUID(int=seq_no)), "occurred_at": format_utc(occurred),
                   "recorded_at": format_utc(occurred + timedelta(minutes=3)),
                   "decision_at": format_utc(occurred - timedelta(minutes=30)),
                   "concern_id": str(UUID(int=10**9 + seq_no // 3)),
                   "transport_ref": f"<{seq_no}@ishoj.dk>",
                   "subject_person_ids": [f"person-{seq_no % subjects}"]}
        content = fast_canonical({**payload, "seq_no": seq_no, "prev_hash": prev})
        if seq_no <= 50 and content != canonical_json(hashed_content(seq_no=seq_no, prev_hash=prev,
                                                                     payload=payload)):
            raise AssertionError("the fast canonical form differs from RFC 8785")
        columns = query_columns(payload)
        digest = payload_digest(content, columns_text(columns, subject_keys(payload)))
        record_hash = record_hash_v2(prev, header_v2(
            seq_no=seq_no, prev_hash=prev, record_id=payload["record_id"], recorded_at=payload["recorded_at"],
            retention_until=RETENTION_UNTIL.isoformat(), trace_id=None, payload_sha256=digest))
        yield ((seq_no, payload["record_id"], prev, record_hash, occurred + timedelta(minutes=3), RETENTION_UNTIL,
                2, digest),
               (seq_no, content.decode(), *(columns[c] for c in PAYLOAD_COLUMNS)),
               [(seq_no, key) for key in subject_keys(payload)])
        prev = record_hash


def _progress(seq_no: int, started: float) -> None:
    if seq_no % 100_000 == 0:
        print(f"  generated {seq_no} records ({time.perf_counter() - started:.0f} s)", flush=True)


def generate_sqlite(path: Path, count: int, subjects: int) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")  # bulk load only; the service runs with FULL
    log_sql = f"INSERT INTO disclosure_log ({', '.join(LOG_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
    payload_sql = (f"INSERT INTO disclosure_payloads (seq_no, content, {', '.join(PAYLOAD_COLUMNS)}) "  # noqa: S608
                   f"VALUES ({', '.join('?' * (len(PAYLOAD_COLUMNS) + 2))})")
    subject_sql = "INSERT INTO disclosure_subjects (seq_no, subject_key) VALUES (?, ?)"
    started = time.perf_counter()
    connection.execute("BEGIN")
    for log_row, payload_row, subject_rows in records(count, subjects):
        seq_no, record_id, prev, record_hash, recorded_at, retention, version, digest = log_row
        connection.execute(log_sql, (seq_no, record_id, prev, record_hash,
                                     recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f"), retention.isoformat(), version,
                                     digest))
        connection.execute(payload_sql, payload_row)
        connection.executemany(subject_sql, subject_rows)
        if seq_no % 100_000 == 0:
            connection.execute("COMMIT")
            connection.execute("BEGIN")
        _progress(seq_no, started)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return time.perf_counter() - started


async def generate_postgres(url: str, schema: str, count: int, subjects: int) -> float:
    """COPY in chunks, table by table. The triggers that want a record's rows added together and in
    seq_no order are off for this load (as the superuser's bulk load would have them); ``verify``
    afterwards checks every record as it checks the service's."""
    connection = await connect_postgres(url, schema)
    await connection.execute("SET session_replication_role = replica")
    started = time.perf_counter()
    chunk: list[Rows] = []
    try:
        for rows in records(count, subjects):
            chunk.append(rows)
            if len(chunk) == 20_000 or rows[0][0] == count:
                async with connection.transaction():
                    await connection.copy_records_to_table("disclosure_log", records=[r[0] for r in chunk],
                                                           columns=LOG_COLUMNS)
                    await connection.copy_records_to_table("disclosure_payloads", records=[r[1] for r in chunk],
                                                           columns=("seq_no", "content", *PAYLOAD_COLUMNS))
                    await connection.copy_records_to_table("disclosure_subjects",
                                                           records=[s for r in chunk for s in r[2]],
                                                           columns=("seq_no", "subject_key"))
                chunk = []
            _progress(rows[0][0], started)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _fresh_sqlite(path: Path, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrations.upgrade("audit", url)


async def _fresh_postgres(url: str, schema: str) -> None:
    connection = await connect_postgres(url, "public")
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()
    await asyncio.to_thread(migrations.upgrade, "audit", url, schema)


def _sqlite_count(path: Path) -> int | None:
    if not path.exists():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM disclosure_log").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        connection.close()


async def _postgres_count(url: str, schema: str) -> int | None:
    connection = await connect_postgres(url, schema)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM disclosure_log"))
    except Exception:
        return None
    finally:
        await connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(settings: AuditSettings, count: int, subjects: int, samples: int,
                  private_key: Ed25519PrivateKey) -> dict[str, Any]:
    engine = create_engine(settings.database_url, settings.db_schema)
    factory = uow_factory(engine, settings)
    results: dict[str, Any] = {}
    rng = random.Random(7)  # noqa: S311 - benchmark sampling
    try:
        raw, logged = [], []
        for _ in range(samples):
            subject = f"person-{rng.randrange(subjects)}"
            filters = Filters(subject=subject, limit=100)
            started = time.perf_counter()
            async with factory() as uow:
                from services.audit.service_layer.queries.catalogue import BY_ID, QueryContext
                from services.audit.service_layer.queries.running import RUNNERS
                result = await RUNNERS["Q1"](uow, BY_ID["Q1"], filters, QueryContext(datetime.now(UTC)))
            raw.append((time.perf_counter() - started) * 1000)
            assert result.total >= 1
            started = time.perf_counter()
            await run_query("Q1", filters, uow_factory=factory, actor="bench")
            logged.append((time.perf_counter() - started) * 1000)
        results["q1_ms"] = {"p50": statistics.median(raw), "p99": percentile(raw, 0.99), "max": max(raw)}
        results["q1_with_query_log_ms"] = {"p50": statistics.median(logged), "p99": percentile(logged, 0.99)}

        tree = LogTree(factory)
        started = time.perf_counter()
        await tree.sync()
        results["tree_build_s"] = round(time.perf_counter() - started, 2)
        await issue_checkpoint(tree, factory, private_key, now=datetime.now(UTC))

        workers = default_workers()
        for label, parallelism in (("verify", Parallelism(settings.database_url, settings.db_schema, workers)),
                                   ("verify_in_one_process", None)):
            started = time.perf_counter()
            report = await verify_log(factory, public_key=private_key.public_key(), today=date.today(),
                                      parallelism=parallelism)
            seconds = time.perf_counter() - started
            assert report.ok and report.checked == count and report.checkpoints, report.as_dict()
            results[label] = {"records": report.checked, "seconds": round(seconds, 2),
                              "records_per_second": round(report.checked / seconds),
                              "workers": workers if parallelism else 1,
                              "checkpoints_checked": len(report.checkpoints)}

        proofs = []
        for _ in range(samples):
            seq_no = rng.randrange(1, count + 1)
            started = time.perf_counter()
            proof = await inclusion(tree, seq_no)
            proofs.append((time.perf_counter() - started) * 1000)
            assert proof.tree_size == count
        results["inclusion_proof_ms"] = {"p50": statistics.median(proofs), "p99": percentile(proofs, 0.99)}
        pinned = []
        for _ in range(samples):  # against a known size (a signed checkpoint's): no database round trip
            seq_no = rng.randrange(1, count + 1)
            started = time.perf_counter()
            await inclusion(tree, seq_no, count)
            pinned.append((time.perf_counter() - started) * 1000)
        results["inclusion_proof_at_checkpoint_size_ms"] = {"p50": statistics.median(pinned),
                                                            "p99": percentile(pinned, 0.99)}
    finally:
        await engine.dispose()
    return results


async def run_audit_benchmark(records: int = 1_000_000, *, path: Path = Path("data/bench/audit.db"),
                              subjects: int = 100_000, samples: int = 1000, reuse: bool = False,
                              postgres_url: str | None = None, schema: str = "bench_audit") -> dict[str, Any]:
    """The whole benchmark from async code (``python -m devtools.bench`` calls it); prints and returns
    the results. On the SQLite file ``path``, or with ``postgres_url`` in that database's ``schema``
    (dropped and created again). ``reuse``: measure the log a previous run left if it has ``records``."""
    subjects = min(subjects, records)
    if postgres_url:
        settings = AuditSettings(environment="test", database_url=postgres_url, db_schema=schema)
        key_file = path.parent / f"audit-{schema}.checkpoint-key.pem"
        found = await _postgres_count(postgres_url, schema)
    else:
        settings = AuditSettings(environment="test", database_url=f"sqlite+aiosqlite:///{path}")
        key_file = path.with_suffix(".checkpoint-key.pem")  # a throwaway key for the benchmark's own log
        found = await asyncio.to_thread(_sqlite_count, path)
    generated = None
    if not (reuse and key_file.exists() and found == records):
        print(f"audit benchmark: generating {records} records ...", flush=True)
        if postgres_url:
            await _fresh_postgres(postgres_url, schema)
            generated = await generate_postgres(postgres_url, schema, records, subjects)
        else:
            await asyncio.to_thread(_fresh_sqlite, path, settings.database_url)
            generated = await asyncio.to_thread(generate_sqlite, path, records, subjects)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    private_key = load_private_key(key_file.read_text())
    results = {"records": records, "database": "postgresql" if postgres_url else "sqlite",
               "generate_s": None if generated is None else round(generated, 1),
               **await measure(settings, records, subjects, samples, private_key)}
    print(json.dumps(results, indent=2, default=str))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench.audit")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--path", type=Path, default=Path("data/bench/audit.db"))
    parser.add_argument("--reuse", action="store_true", help="measure the log a previous run left if it has --records")
    parser.add_argument("--postgres-url", default=None,
                        help="run on PostgreSQL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) instead")
    parser.add_argument("--schema", default="bench_audit", help="the PostgreSQL schema (dropped and created again)")
    args = parser.parse_args(argv)
    asyncio.run(run_audit_benchmark(args.records, path=args.path, subjects=args.subjects, samples=args.samples,
                                    reuse=args.reuse, postgres_url=args.postgres_url, schema=args.schema))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
