"""``infohus notify redrive``: send dead-lettered notifications again once the fault is fixed.

    infohus notify redrive --notification-id ID [--notification-id ID ...] [--dry-run]
    infohus notify redrive --since 2026-11-24T08:00:00+01:00 [--dry-run]
    infohus notify redrive --all [--dry-run]

Reads notify's settings from the environment (``INFOHUS_NOTIFY_*``) and works on its database; a running
notify picks the re-driven rows up at its next poll. ``--dry-run`` lists what would be sent again (ids,
references, destinations, reasons; never an address) and changes nothing.

Exit codes: 0 every selected delivery was re-driven (or would be); 1 at least one was refused (not
found, already sent, not dead-lettered, still no mailbox); 2 nothing was selected.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from infohus.kit.db import create_engine, session_factory
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.bootstrap import notify_unit_of_work
from services.notify.service_layer.redrive import RedriveResult, dead_lettered_ids, redrive_many
from services.notify.settings import NotifySettings


def _aware(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its offset, e.g. 2026-11-24T08:00:00+01:00")
    return parsed.astimezone(UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="notify_command", required=True)
    redrive = sub.add_parser("redrive", help="send dead-lettered notifications again (after the fault is fixed)")
    which = redrive.add_mutually_exclusive_group(required=True)
    which.add_argument("--notification-id", dest="ids", type=UUID, action="append",
                       help="a dead-lettered notification's id (repeatable)")
    which.add_argument("--since", type=_aware, help="every delivery dead-lettered at or after this ISO 8601 time")
    which.add_argument("--all", action="store_true", help="every dead-lettered delivery")
    redrive.add_argument("--dry-run", action="store_true", help="list what would be sent again; change nothing")
    redrive.add_argument("--by", default=None,
                         help="your user id, recorded with the re-drive (default: cli:<login name>)")
    redrive.add_argument("--json", action="store_true", help="print the results as JSON")


def notify_main(argv: list[str], settings: NotifySettings | None = None) -> int:
    parser = argparse.ArgumentParser(prog="infohus notify", description="Notify's delivery queue.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return asyncio.run(run_async(args, settings or NotifySettings()))


async def run_async(args: argparse.Namespace, settings: NotifySettings, out: Any = None) -> int:
    out = out or sys.stdout
    engine = create_engine(settings.database_url, settings.db_schema)
    sessions = session_factory(engine)

    def uow() -> NotifyUnitOfWork:
        return notify_unit_of_work(sessions, settings)

    try:
        ids: list[UUID] = args.ids or await dead_lettered_ids(uow, since=args.since)
        if not ids:
            print("no dead-lettered deliveries selected", file=out)
            return 2
        results = await redrive_many(uow, ids, by=args.by or f"cli:{getpass.getuser()}", via="CLI",
                                     settings=settings, now=datetime.now(UTC), dry_run=args.dry_run)
    finally:
        await engine.dispose()
    _print(results, args, out)
    return 0 if all(r.ok for r in results) else 1


def _print(results: list[RedriveResult], args: argparse.Namespace, out: Any) -> None:
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2), file=out)
        return
    for r in results:
        d = r.delivery
        what = f"{d.reference} {d.destination} {d.purpose} attempts={d.attempts} reason={d.last_error!r}" if d else ""
        print(f"{r.outcome.value:<17} {r.notification_id} {what}".rstrip(), file=out)
        if not r.ok:
            print(f"  {r.messages()[1]}", file=out)
    done = sum(r.ok for r in results)
    verb = "would be re-driven (dry run, nothing changed)" if args.dry_run else "re-driven"
    print(f"{done} of {len(results)} {verb}", file=out)
