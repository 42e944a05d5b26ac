"""Malformed and hostile inputs against the JSON API, the public form and the staff phone form.

For each input: no 5xx; 2xx only for really valid inputs, 4xx otherwise; nothing stored for a rejected
input; no personal value of the input in a log record, a span or an API answer; no markup unescaped on a
page. ``INFOHUS_FUZZ_EXAMPLES`` sets the total (``make fuzz``: 10,000); ``make test`` runs a few hundred,
the same ones every time.
"""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from opentelemetry import trace
from starlette.types import Message, Receive, Scope, Send

from tests.fuzz.harness import TALLY, Harness, Tally, _leaks, run_in
from tests.fuzz.inputs import SID, Expect, FuzzInput, Target
from tests.fuzz.strategies import NOT_TIMES, explicit_inputs, inputs_for, is_time_of_day
from tests.intake.builders import concern_body

SHARES = {Target.API: 0.5, Target.PUBLIC_FORM: 0.25, Target.STAFF_FORM: 0.25}
DATABASES = 2  # each target runs on SQLite and on PostgreSQL
FULL_RUN = "INFOHUS_FUZZ_EXAMPLES" in os.environ


def examples(target: Target) -> int:
    total = int(os.environ.get("INFOHUS_FUZZ_EXAMPLES", "300"))
    return max(1, round(total * SHARES[target] / DATABASES))


@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
async def test_hostile_inputs_get_no_5xx_store_nothing_and_leak_nothing(target: Target, fuzzed: Harness) -> None:
    loop = asyncio.get_running_loop()
    found_before = len(TALLY.violations)

    @given(item=inputs_for(target))
    @settings(max_examples=examples(target), deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=not FULL_RUN, database=None, phases=[Phase.explicit, Phase.generate])
    def check(item: FuzzInput) -> None:
        run_in(loop, fuzzed, item)

    for item in explicit_inputs(target):
        check = example(item=item)(check)

    with fuzzed.logs:
        await asyncio.to_thread(check)
    found = TALLY.violations[found_before:]
    assert not found, f"{len(found)} violations:\n" + "\n".join(found[:30])


def test_the_time_oracle() -> None:
    """What the fuzzer expects of the staff form's time of receipt (the form's own tests are in tests/intake)."""
    assert [is_time_of_day(t) for t in ("14:30", "14.30", "9:05", "09.05", "0:00", "23:59", " 7:15 ")] == [True] * 7
    assert not any(is_time_of_day(text) for text in NOT_TIMES)
    assert {"25:00", "12:60", "noon", "12", "1205", "-1:00", "²:00", "١٢:٠٠"} <= set(NOT_TIMES)


def test_the_short_run_sends_every_invalid_time_to_the_staff_form() -> None:
    sent = [dict(item.form or []).get("received_at-time") for item in explicit_inputs(Target.STAFF_FORM)
            if item.expect is Expect.REJECT]
    assert set(NOT_TIMES) <= set(sent)


# The checks above can fail: each planted defect below is found.

def _planted(fuzzed: Harness, tally: Tally) -> Harness:
    """The same intake behind a middleware that logs each body, puts it on the span, and fails on a marker."""
    app = fuzzed.app.app
    log = logging.getLogger("services.intake.planted")

    async def leaky(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        message = await receive()
        body = message.get("body", b"")
        log.debug("received %s", body[:2000].decode("utf-8", "replace"))
        trace.get_current_span().set_attribute("body", body[:2000].decode("utf-8", "replace"))
        if b"Zqxkaboom" in body:
            raise RuntimeError("planted")
        replayed = False

        async def again() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return message

        await app(scope, again, send)

    fuzzed.app.app = leaky
    fuzzed.tally = tally
    return fuzzed


def _api(expect: Expect, body: dict[str, object], personal: list[str]) -> FuzzInput:
    import json
    return FuzzInput(Target.API, "planted", expect, body=json.dumps(body).encode(), personal=personal)


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
async def test_the_checks_find_planted_defects(fuzzed: Harness) -> None:
    tally = Tally()
    harness = _planted(fuzzed, tally)
    with harness.logs:
        await harness.run(_api(Expect.ACCEPT, concern_body(submission_id=SID), ["Anna Jensen"]))
        leaked = list(tally.violations)
        await harness.run(_api(Expect.REJECT, concern_body(submission_id=SID), []))
        stored = tally.violations[len(leaked):]
        await harness.run(_api(Expect.REJECT, concern_body(submission_id=SID, description="Zqxkaboom"), []))
        failed = tally.violations[len(leaked) + len(stored):]
    assert any("personal values in logs or spans" in v and "Anna Jensen" in v for v in leaked), leaked
    assert any("left (1, 1)" in v for v in stored) and any("answered 201, not 4xx" in v for v in stored), stored
    assert any("status 500" in v for v in failed) and any("raised RuntimeError" in v for v in failed), failed
    assert tally.inputs == 3 and 500 in {status for (_, _, status) in tally.statuses}


def test_personal_values_are_found_however_they_are_written() -> None:
    assert _leaks(["Zqxbcdfghj"], ["name=zqxBCDFGHJ"]) == ["Zqxbcdfghj"]
    assert _leaks(["0101101234"], ["cpr 0101101234."]) == ["0101101234"]
    assert _leaks(["0101101234"], ["trace 90101101234f"]) == []  # part of a longer number or hex id
    assert _leaks(["91234567"], ["phone: 91234567"]) == ["91234567"]
