"""``infohus retention [--dry-run] [--json] SERVICE``: one retention run of a service from a shell, or its dry
run (what the next run deletes, nothing changed). Prints categories, counts and ids, never the data.

Exit codes: 0 done; 2 the service's settings are refused (a period below its statutory minimum, say).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from typing import Any

from pydantic import ValidationError

from infohus.kit.retention.plan import RetentionPlan

SERVICES = ("intake", "routing", "notify", "audit")


def retention_main(argv: list[str], out: Any = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="infohus retention", description="Delete what the retention periods "
                                     "allow and no legal hold keeps; or list it (--dry-run).")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--dry-run", action="store_true", help="list what the next run deletes; delete nothing")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    args = parser.parse_args(argv)
    try:
        settings = importlib.import_module(f"services.{args.service}.settings").Settings()
    except ValidationError as error:
        problems = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in error.errors())
        print(f"infohus retention: the settings of {args.service} are refused: {problems}", file=sys.stderr)
        return 2
    plan = asyncio.run(run(args.service, settings, dry_run=args.dry_run))
    print(json.dumps({**plan.as_dict(), "dry_run": args.dry_run}, indent=2) if args.json
          else describe(plan, dry_run=args.dry_run), file=out)
    return 0


async def run(service: str, settings: Any, *, dry_run: bool) -> RetentionPlan:
    """One run (or dry run) of the service's retention, in this process; its own broker is not started (the
    events a run writes leave through the service's outbox relay)."""
    container = importlib.import_module(f"services.{service}.bootstrap").bootstrap(settings)
    try:
        plan: RetentionPlan = await container.retention.run(dry_run=dry_run)
        return plan
    finally:
        await container.runtime.engine.dispose()


def describe(plan: RetentionPlan, *, dry_run: bool) -> str:
    lines = [f"{plan.service}: {'the next run deletes' if dry_run else 'deleted'} (as of {plan.now.isoformat()})"]
    for category, ids in plan.items.items():
        lines.append(f"  {category}: {len(ids)}")
        if category in plan.id_categories:
            lines += [f"    {item}" for item in ids]
    return "\n".join(lines)
