"""``infohus audit verify | checkpoint | purge``: the log's integrity, checkpoints and retention from a shell.

``verify`` exit codes: 0 the chain and every checkpoint verify; 1 something is broken (the first
broken seq_no is printed); 2 the checkpoints cannot be checked as asked (no checkpoint or no key with
``--require-checkpoint``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from infohus.kit.db import create_engine, session_factory
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.bootstrap import audit_unit_of_work
from services.audit.domain.checkpoint import load_public_key
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.tree import LogTree, issue_checkpoint
from services.audit.service_layer.verify import VerifyReport, verify_log
from services.audit.service_layer.verify_parallel import Parallelism, default_workers
from services.audit.settings import AuditSettings
from services.audit.verify_settings import VerifySettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser("verify", help="check the hash chain and the Merkle tree against the checkpoints")
    verify.add_argument("--from-seq", type=int, default=1, help="first seq_no to check (default 1)")
    verify.add_argument("--to-seq", type=int, default=None, help="last seq_no to check (default: the head)")
    verify.add_argument("--deep", action="store_true",
                        help="also re-canonicalise every record and compare the query columns (slow)")
    verify.add_argument("--public-key", type=Path, default=None,
                        help="file with the checkpoint public key (default: derived from the signing key)")
    verify.add_argument("--require-checkpoint", action="store_true",
                        help="fail (exit 2) when no checkpoint or no key is there to check")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--workers", type=int, default=None,
                        help="worker processes for a large log (default: INFOHUS_AUDIT_VERIFY_WORKERS, "
                             "else two per CPU; 1 checks in this process only)")
    sub.add_parser("checkpoint", help="sign a checkpoint over the log as it is now")
    sub.add_parser("purge", help="erase the payloads of records past retention_until (hashes stay)")


def audit_main(argv: list[str], settings: AuditSettings | None = None) -> int:
    """``infohus audit ...``: parse the arguments, read the settings from the environment, run.

    ``verify`` reads only what verification needs (``verify_settings``); ``checkpoint`` and ``purge`` act as
    the service and take its settings, whose refusal is printed as a message, not a traceback."""
    parser = argparse.ArgumentParser(prog="infohus audit", description="The § 115 disclosure log.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if settings is None:
        try:
            settings_of_command = VerifySettings() if args.audit_command == "verify" else AuditSettings()
        except ValidationError as error:
            print(settings_refused(error), file=sys.stderr)
            return 2
    return asyncio.run(run_async(args, settings or settings_of_command))


def settings_refused(error: ValidationError) -> str:
    problems = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in error.errors())
    return (f"infohus audit: the settings are refused: {problems}\n"
            "INFOHUS_ENVIRONMENT is production unless set. For the local stack (make run) run the command with "
            "INFOHUS_ENVIRONMENT=development; in production set the variables named above.")


async def run_async(args: argparse.Namespace, settings: AuditSettings | VerifySettings, out: Any = None) -> int:
    out = out or sys.stdout
    engine = create_engine(settings.database_url, settings.db_schema)
    try:
        factory = uow_factory(engine, settings)
        if args.audit_command == "verify":
            return await _verify(args, settings, factory, out)
        assert isinstance(settings, AuditSettings)
        if args.audit_command == "checkpoint":
            key = settings.private_key()
            if key is None:
                print("INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY is not set", file=out)
                return 2
            checkpoint = await issue_checkpoint(LogTree(factory), factory, key, now=datetime.now(UTC))
            print(json.dumps(checkpoint.model_dump(mode="json"), indent=2), file=out)
            return 0
        erased = await purge_expired(factory, today=date.today())
        print(f"erased the payloads of {erased} records past retention_until", file=out)
        return 0
    finally:
        await engine.dispose()


def uow_factory(engine: AsyncEngine, settings: AuditSettings | VerifySettings) -> Callable[[], AuditUnitOfWork]:
    return partial(audit_unit_of_work, session_factory(engine), settings)


async def _verify(args: argparse.Namespace, settings: AuditSettings | VerifySettings,
                  factory: Callable[[], AuditUnitOfWork], out: Any) -> int:
    public_key: Ed25519PublicKey | None = (load_public_key(args.public_key.read_text()) if args.public_key
                                           else settings.public_key())
    local_key = None if args.public_key or isinstance(settings, AuditSettings) else settings.local_public_key_file()
    started = time.perf_counter()
    workers = args.workers or settings.verify_workers or default_workers()
    parallelism = Parallelism(settings.database_url, settings.db_schema, workers)
    report = await verify_log(factory, public_key=public_key, today=date.today(), from_seq_no=args.from_seq,
                              to_seq_no=args.to_seq, deep=args.deep, parallelism=parallelism)
    seconds = time.perf_counter() - started
    summary = report.as_dict()
    summary["seconds"] = round(seconds, 3)
    summary["records_per_second"] = round(report.checked / seconds) if seconds else None
    if local_key is not None:
        summary["public_key"] = f"the local stack's development key ({local_key})"
    if args.json:
        print(json.dumps(summary, indent=2, default=str), file=out)
    else:
        _print_report(report, summary, out)
    if not report.ok:
        return 1
    if args.require_checkpoint and (not report.checkpoints or public_key is None):
        return 2
    return 0


def _print_report(report: VerifyReport, summary: dict[str, Any], out: Any) -> None:
    print(f"checked {report.checked} records ({report.erased} erased after retention) "
          f"in {summary['seconds']} s", file=out)
    if "public_key" in summary:
        print(f"signatures checked with {summary['public_key']}", file=out)
    if report.first_broken_seq_no is not None:
        print(f"BROKEN: first broken seq_no {report.first_broken_seq_no}", file=out)
        for item in report.breaks[:20]:
            print(f"  seq_no {item.seq_no}: {', '.join(item.reasons)}", file=out)
        for gap in report.gaps[:20]:
            print(f"  missing seq_no {gap.first_missing}..{gap.last_missing}", file=out)
    failing = report.first_failing_checkpoint
    for check in report.checkpoints:
        state = "ok" if check.ok else f"FAILED: {check.problem}"
        print(f"checkpoint tree_size={check.tree_size} issued_at={check.issued_at}: {state}", file=out)
    if failing is not None:
        low, high = summary["rewritten_between"]
        print(f"BROKEN: the log differs from checkpoint {failing.tree_size}; "
              f"the change lies in seq_no {low}..{high}", file=out)
    for warning in report.warnings:
        print(f"warning: {warning}", file=out)
    if report.ok:
        print(f"OK: head seq_no {report.head_seq_no}, head hash {report.head_record_hash}", file=out)
