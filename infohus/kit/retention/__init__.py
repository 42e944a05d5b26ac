"""Retention shared by every service (docs/legal.md §A3, docs/legal.md §A3): the statutory minimums a
configured period may not undercut, what a run reports (categories, counts and ids, never the data), the
schedule, and the deletions every service makes alike (published outbox rows, old read-access-log rows,
the concerns routing released or holds).

Routing owns the cases and the legal holds. It tells the other services, per concern, what they may delete
(``contracts.events.ConcernRetentionChanged``): a concern under a legal hold keeps everything in every
service; a concern routing erased (its cases closed and their period over) is erased by the others too.
"""

from __future__ import annotations

ACCESS_LOG_MIN_DAYS = 183
"""The read-access log is kept at least 6 months (the old sikkerhedsbekendtgørelse § 19, A3 (iii))."""
ACCESS_LOG_MAX_DAYS = 1827
"""... and at most 5 years ("myndigheder med et særligt behov", same rule)."""
DISCLOSURE_MIN_YEARS = 5
"""A disclosure record is kept at least 5 years after the disclosure (A3 (ii), the PNR model) [P]."""


def refuse_below(variable: str, value: float, minimum: float, unit: str, why: str) -> None:
    """Raise a settings error naming the variable, the minimum and the rule behind it."""
    if value < minimum:
        raise ValueError(f"{variable}={value:g} is shorter than the minimum of {minimum:g} {unit} ({why})")


def refuse_above(variable: str, value: float, maximum: float, unit: str, why: str) -> None:
    if value > maximum:
        raise ValueError(f"{variable}={value:g} is longer than the maximum of {maximum:g} {unit} ({why})")
