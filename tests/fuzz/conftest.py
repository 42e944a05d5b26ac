"""Intake under fuzz: in process on SQLite and PostgreSQL, with the development login, a fixed clock and a
rate limit out of the way; the counts are printed at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Databases
from tests.fuzz.harness import TALLY, Harness
from tests.fuzz.strategies import NOW
from tests.intake.conftest import make_intake


@pytest.fixture
async def fuzzed(databases: Databases) -> AsyncIterator[Harness]:
    intake = await make_intake(**databases.for_service("intake"), dev_login=True,  # type: ignore[arg-type]
                               rate_limit_per_minute=1e9, rate_limit_burst=10 ** 9)
    intake.container.clock = lambda: NOW
    yield Harness(intake, databases.backend)
    await intake.container.runtime.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.inputs:
        terminalreporter.section("fuzz")
        for line in TALLY.report():
            terminalreporter.write_line(line)
