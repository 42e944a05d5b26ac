"""What one retention run deletes: per category, the ids of the rows (pseudonymous ids, never their
content). A dry run computes the plan and stops; a run computes the same plan and deletes exactly it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

IDS_LOGGED = 50
"""A run's log line names at most this many ids per category (the plan has them all)."""


@dataclass
class RetentionPlan:
    service: str
    now: datetime
    items: dict[str, list[str]] = field(default_factory=dict)
    id_categories: frozenset[str] = frozenset()
    """Categories whose ids the log line names (cases, concerns, deliveries); the others only count."""

    def add(self, category: str, ids: Iterable[str]) -> None:
        self.items.setdefault(category, []).extend(ids)

    def counts(self) -> dict[str, int]:
        return {category: len(ids) for category, ids in self.items.items()}

    @property
    def empty(self) -> bool:
        return not any(self.items.values())

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "now": self.now.isoformat(), "counts": self.counts(),
                "items": {category: list(ids) for category, ids in self.items.items()}}


def log_run(log: logging.Logger, plan: RetentionPlan, *, dry_run: bool) -> None:
    """One line: what was (or would be) deleted, by category, with counts and the ids of the main rows.
    Never the deleted data: the ids are pseudonymous keys, and read-log and outbox rows are only counted."""
    counts = ", ".join(f"{category}={count}" for category, count in plan.counts().items()) or "nothing"
    named = "; ".join(f"{category}: {' '.join(ids[:IDS_LOGGED])}{' …' if len(ids) > IDS_LOGGED else ''}"
                      for category, ids in plan.items.items() if category in plan.id_categories and ids)
    verb = "would delete" if dry_run else "deleted"
    log.info("retention (%s): %s %s%s", plan.service, verb, counts, f" ({named})" if named else "")
