"""Routing's metrics (contracts.metrics): cases opened, and clocks that reached a warning or a breach.

Counted from the committed CaseOpened and DeadlineReached events, so each clock's warning and breach is
counted once, however often the scanner runs. Priority and deadline kind only: never a reference.
"""

from __future__ import annotations

from opentelemetry import metrics

from contracts.events import CaseOpened, DeadlineReached
from contracts.metrics import (
    CASES_OPENED,
    CLOCK_BREACHES,
    CLOCK_BREACHES_REACHED,
    CLOCK_WARNINGS,
    CLOCK_WARNINGS_REACHED,
    DEADLINE_KIND,
    PRIORITY,
)
from infohus.kit.metrics import count_committed, counter

_meter = metrics.get_meter("infohus.routing")
_cases_opened = counter(_meter, CASES_OPENED)
_warnings = counter(_meter, CLOCK_WARNINGS_REACHED)
_breaches = counter(_meter, CLOCK_BREACHES_REACHED)


def register_metrics() -> None:
    count_committed(CaseOpened, lambda event: _cases_opened.add(1, {PRIORITY: event.priority.value}))
    count_committed(DeadlineReached, _deadline_reached)
    # Zero first, so that a process's first breach is an increase too (the alert looks for increases).
    for kind in CLOCK_WARNINGS:
        _warnings.add(0, {DEADLINE_KIND: kind.value})
    for kind in CLOCK_BREACHES:
        _breaches.add(0, {DEADLINE_KIND: kind.value})


def _deadline_reached(event: DeadlineReached) -> None:
    (_breaches if event.kind in CLOCK_BREACHES else _warnings).add(1, {DEADLINE_KIND: event.kind.value})
