"""Intake's own checks that need a clock (the contract's rules do not read one)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic_core import PydanticCustomError

from contracts.concern import LOCAL_TIME_ZONE, ConcernIn, rule_error

MAX_CLOCK_SKEW = timedelta(minutes=5)


def problems_at(concern: ConcernIn, now: datetime, *, max_backdate: timedelta) -> list[tuple[str, PydanticCustomError]]:
    """(location, error) for everything in ``concern`` that cannot be true at ``now``."""
    problems: list[tuple[str, PydanticCustomError]] = []
    if concern.received_at is not None:
        if concern.received_at > now + MAX_CLOCK_SKEW:
            problems.append(("received_at", rule_error(
                "received_at_in_future", "received_at lies in the future: give the time the concern was received.",
                "Tidspunktet ligger ude i fremtiden. Angiv, hvornår henvendelsen blev modtaget.")))
        elif concern.received_at < now - max_backdate:
            days = max_backdate.days
            problems.append(("received_at", rule_error(
                "received_at_too_old", f"received_at is more than {days} days ago: check the date.",
                f"Tidspunktet ligger mere end {days} dage tilbage. Tjek datoen.")))
    today = now.astimezone(LOCAL_TIME_ZONE).date()
    for kind, people in (("subjects", concern.subjects), ("children_at_risk", concern.children_at_risk)):
        for index, person in enumerate(people):
            if person.date_of_birth is not None and person.date_of_birth > today:
                problems.append((f"{kind}.{index}.date_of_birth", _born_in_future()))
    return problems


def _born_in_future() -> PydanticCustomError:
    return rule_error("date_of_birth_in_future", "The date of birth lies in the future.",
                      "Fødselsdatoen ligger ude i fremtiden.")
