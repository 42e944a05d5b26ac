"""Accept a concern: store it with its ConcernSubmitted event in one transaction, answer at once."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic_core import PydanticCustomError

from contracts.concern import LOCAL_TIME_ZONE, ConcernIn
from contracts.envelope import Envelope, new_uuid7
from contracts.events import ConcernSubmitted
from rules.config import MunicipalityConfig
from rules.decision_table import decide
from rules.messages import ReporterMessage, render_reporter_messages
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.model import SYSTEM, Concern, make_reference
from services.intake.domain.rules import problems_at

DEFAULT_MAX_BACKDATE = timedelta(days=31)


@dataclass(frozen=True)
class Receipt:
    reference: str
    received_at: datetime
    messages: list[ReporterMessage]
    created: bool


class ConcernRejected(Exception):
    """The concern is well-formed but cannot be true now (e.g. a call time in the future). Nothing is stored."""

    def __init__(self, problems: list[tuple[str, PydanticCustomError]]) -> None:
        super().__init__(", ".join(f"{location}: {error.type}" for location, error in problems))
        self.problems = problems


def reporter_messages(concern: Concern, config: MunicipalityConfig) -> list[ReporterMessage]:
    """The same rules implementation routing uses decides what the reporter is told."""
    decision = decide(concern.body, concern.received_at, config)
    return render_reporter_messages(decision, reference=concern.reference, received_at=concern.received_at,
                                    config=config, contactable=concern.body.reporter.contactable)


async def submit_concern(body: ConcernIn, *, uow: IntakeUnitOfWork, now: datetime,
                         config: MunicipalityConfig, random_bits: Callable[[], int] = lambda: secrets.randbits(40),
                         recorded_by: str = SYSTEM, max_backdate: timedelta = DEFAULT_MAX_BACKDATE,
                         ) -> Receipt:
    """Store ``body`` and its event in one transaction, committed before this returns.

    The same ``submission_id`` again returns the original receipt and stores nothing (R0a), also when the body
    would no longer be accepted now (a receipt time past the backdating limit, say).
    """
    async with uow:
        if problems := problems_at(body, now, max_backdate=max_backdate):
            if (existing := await uow.concerns.get_by_submission_id(body.submission_id)) is not None:
                return _again(existing, config)
            raise ConcernRejected(problems)
        received_at = (body.received_at or now).astimezone(UTC)  # stored as UTC on every backend
        year = received_at.astimezone(LOCAL_TIME_ZONE).year
        while True:
            concern = Concern(concern_id=new_uuid7(), reference=make_reference(year, random_bits()),
                              received_at=received_at, recorded_at=now, body=body, recorded_by=recorded_by)
            if await uow.concerns.add_if_new(concern):
                break
            if (existing := await uow.concerns.get_by_submission_id(body.submission_id)) is not None:
                return _again(existing, config)
            # Otherwise the reference had been drawn before: draw another.
        await uow.outbox.add(Envelope.wrap(
            ConcernSubmitted(concern_id=concern.concern_id, reference=concern.reference,
                             received_at=concern.received_at, concern=body, recorded_by=recorded_by),
            producer="intake", correlation_id=concern.concern_id))
        messages = reporter_messages(concern, config)
        await uow.commit()
    return Receipt(concern.reference, concern.received_at, messages, True)


def _again(existing: Concern, config: MunicipalityConfig) -> Receipt:
    return Receipt(existing.reference, existing.received_at, reporter_messages(existing, config), False)
