"""What the chaos run checks, and how long the system took to get there.

For every accepted concern (its reference): exactly one case (routing decided it), both case mails exactly
once (or dead-lettered after a 5xx, with an ops alert), and two disclosure records (audit complete).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.bench.stack import Stack
from devtools.devstack.mailbox import read_mail_summaries

REFERENCE = re.compile(r"IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
CASE_MAILBOXES = {"tk@ishoj.dk", "Underretninger@ishoj.dk"}  # ops alerts name references too


@dataclass(frozen=True)
class Status:
    undecided: int  # accepted concerns routing holds no case for yet
    problems: list[str]  # everything that does not hold (undecided concerns included)


@dataclass(frozen=True)
class Convergence:
    seconds: float  # until everything held: decided, mailed, audited
    backlog: int  # concerns not yet decided when the wait began
    decided_seconds: float  # until the last of them was decided
    problems: list[str]  # what still did not hold at the deadline (empty: converged)

    @property
    def rate(self) -> float:
        """Concerns decided per second while the backlog was worked off (new ones kept arriving meanwhile)."""
        return self.backlog / self.decided_seconds if self.decided_seconds > 0 else float("nan")


async def observe(stack: Stack, accepted: Collection[str]) -> Status:
    mails = Counter(m.group(0) for s in await asyncio.to_thread(read_mail_summaries, stack.mail_folder)
                    if set(s.rcpt_tos) & CASE_MAILBOXES and (m := REFERENCE.search(s.subject or "")))
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.connect() as connection:
            cases = Counter(r[0] for r in await connection.execute(text("SELECT reference FROM routing.infohus_cases")))
            concern_ids = dict((r[0], r[1]) for r in await connection.execute(
                text("SELECT reference, concern_id FROM intake.concerns")))
            disclosures = Counter(r[0] for r in await connection.execute(
                text("SELECT concern_id FROM audit.disclosure_payloads")))
            # A 5xx is final by design (dead letter + ops alert); such a mail is accounted for, not lost.
            given_up = Counter(r[0] for r in await connection.execute(
                text("SELECT reference FROM notify.deliveries WHERE state = 'DEAD_LETTERED' "
                     "AND destination IN ('INFOHUS_TK', 'UNDERRETNING')")))  # out of hours, vagt@ is mailed too
    finally:
        await engine.dispose()
    problems, undecided = [], 0
    for reference in sorted(accepted):
        if cases[reference] != 1:
            undecided += cases[reference] == 0
            problems.append(f"{reference}: {cases[reference]} cases")
        if mails[reference] + given_up[reference] != 2 or mails[reference] > 2:
            problems.append(f"{reference}: {mails[reference]} mails, {given_up[reference]} dead-lettered")
        if disclosures[concern_ids.get(reference)] != 2:
            problems.append(f"{reference}: {disclosures[concern_ids.get(reference)]} disclosure records")
    return Status(undecided, problems)


async def converge(stack: Stack, accepted: Collection[str], timeout: float, poll_s: float = 1.0) -> Convergence:
    """Wait until everything holds for ``accepted`` (or ``timeout``); how long it took, from what backlog."""
    started = time.monotonic()
    status = await observe(stack, accepted)
    backlog, decided = status.undecided, 0.0
    while status.problems and time.monotonic() - started < timeout:
        await asyncio.sleep(poll_s)
        status = await observe(stack, accepted)
        if status.undecided == 0 and not decided:
            decided = time.monotonic() - started
    return Convergence(time.monotonic() - started, backlog, decided, status.problems)

