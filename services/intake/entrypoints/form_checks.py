"""Every problem of a form submission in one answer, not in rounds.

Pydantic runs a model's cross-field rules (``model_validator(mode="after")``) only once its fields are
valid, and intake's clock rules (``problems_at``) only run on a valid concern. A person who fixes the
fields the form named should not then meet a new set of problems. So a concern that fails is checked a
second time with each faulty field replaced by a valid stand-in of the same presence: the rules that run
then, and the clock rules, report what else is wrong, and only those rule findings are added.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from contracts.concern import ENTERED_CHANNELS, ConcernIn
from services.intake.domain.rules import problems_at
from services.intake.entrypoints.forms import ParsedForm
from services.intake.entrypoints.problems import FieldProblem, problems_from_errors, problems_from_rules

# A valid value for each leaf a form can get wrong; it keeps the field present, which is what the
# cross-field rules look at.
_STAND_INS: dict[str, Any] = {
    "name": "x", "role": "x", "workplace": "x", "municipality": "x", "address": "x",
    "school_or_workplace": "x", "phone": "12345678", "email": "x@example.org", "cpr": "0101101234",
    "date_of_birth": "2000-01-01", "stated_age": 0, "description": "x", "submission_id": "stand-in-id",
    "acuteness": "ROUTINE", "crime_suspicion": False, "claims_professional": False,
}

# A rule that stops the rules after it (a partner authority that names no authority is not checked for its
# workplace): the value that lets them run. Location, field, stand-in.
_RULE_STAND_INS: dict[str, tuple[tuple[str, ...], str, Any]] = {
    "authority_required": (("reporter",), "authority", "POLICE"),
}

Errors = Sequence[Mapping[str, Any]]


def _validate(data: Mapping[str, Any]) -> tuple[ConcernIn | None, Errors]:
    try:
        return ConcernIn.model_validate(data), []
    except ValidationError as error:
        return None, error.errors(include_url=False)


def _is_rule(error: Mapping[str, Any]) -> bool:
    """One of the contract's own rules (``rule_error``), which names its fields, rather than a field check."""
    return isinstance((error.get("ctx") or {}).get("da"), str)


def _with_stand_ins(data: Mapping[str, Any], errors: Errors) -> dict[str, Any] | None:
    """``data`` with every faulty field replaced by a valid stand-in; None where no stand-in fits."""
    patched = copy.deepcopy(dict(data))
    category_unknown = False
    for error in errors:
        if _is_rule(error):
            stand_in = _RULE_STAND_INS.get(str(error.get("type")))
            if stand_in is not None and tuple(error.get("loc", ())) == stand_in[0]:
                patched[stand_in[0][0]][stand_in[1]] = stand_in[2]
            continue
        location = tuple(error.get("loc", ()))
        if location == ("reporter", "category"):
            category_unknown = True  # no category: no identity rule can be checked
        elif location[:1] == ("warning_signs",):
            patched["warning_signs"] = []
        elif location and isinstance(location[-1], str) and location[-1] in _STAND_INS:
            try:
                container: Any = patched
                for part in location[:-1]:
                    container = container[part]
                container[location[-1]] = _STAND_INS[location[-1]]
            except (KeyError, IndexError, TypeError):
                return None
        else:
            return None
    if category_unknown:
        patched["reporter"] = {"category": "ANONYMOUS"}
    return patched


def all_problems(parsed: ParsedForm, now: datetime, max_backdate: timedelta) -> tuple[ConcernIn | None,
                                                                                      list[FieldProblem]]:
    """The concern (None if it has problems) and every problem with it: the form's own (dates, times,
    channel), the contract's field checks and cross-field rules, and the rules that need the clock.

    A concern without any of the first three goes to the service as it is: its clock rules are the
    service's (which answers a repeated submission with its receipt even after they changed)."""
    concern, errors = _validate(parsed.data)
    time_unreadable = any(problem.field.startswith("received_at-") for problem in parsed.problems)
    if concern is not None and not parsed.problems:
        return concern, []
    problems = problems_from_errors(errors)
    patched = _with_stand_ins(parsed.data, errors)
    if patched is not None:
        if time_unreadable and patched.get("channel") in ENTERED_CHANNELS:
            patched["received_at"] = now.isoformat()  # its problem is the form's, said in the form's words
        _, more = _validate(patched)
        problems += problems_from_errors([error for error in more if _is_rule(error)])
        # The clock rules look at dates and times only: a reporter that breaks a rule must not hide them.
        stand_in, _ = _validate(patched | {"reporter": {"category": "ANONYMOUS"}})
        if stand_in is not None:
            problems += problems_from_rules(problems_at(stand_in, now, max_backdate=max_backdate))
    if time_unreadable:
        problems = [problem for problem in problems if problem.field != "received_at"]
    return None, _unique(parsed.problems + problems)


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    first: dict[tuple[str, str], FieldProblem] = {}
    for problem in problems:
        first.setdefault((problem.field, problem.code), problem)
    return list(first.values())
