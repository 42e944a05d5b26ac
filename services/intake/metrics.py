"""Intake's metrics (contracts.metrics): concerns accepted, by channel, and refused, by reason code.

Accepted concerns are counted from the committed ConcernSubmitted events, so a repeated submission_id is
not counted twice. Refusals are counted from the status of the answer to a submission, API or form: the
status is the reason code, and nothing of what was sent is looked at.
"""

from __future__ import annotations

from collections.abc import Collection

from opentelemetry import metrics
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.events import ConcernSubmitted
from contracts.metrics import CHANNEL, CONCERNS_ACCEPTED, CONCERNS_REFUSED, REASON, Refusal
from infohus.kit.metrics import count_committed, counter

_meter = metrics.get_meter("infohus.intake")
_accepted = counter(_meter, CONCERNS_ACCEPTED)
_refused = counter(_meter, CONCERNS_REFUSED)

REFUSAL_BY_STATUS = {422: Refusal.INVALID, 413: Refusal.TOO_LARGE, 429: Refusal.RATE_LIMITED,
                     401: Refusal.NOT_AUTHENTICATED, 403: Refusal.FORBIDDEN, 503: Refusal.UNAVAILABLE}


def register_metrics() -> None:
    count_committed(ConcernSubmitted, lambda event: _accepted.add(1, {CHANNEL: event.concern.channel.value}))


def refusal_for(status: int) -> Refusal | None:
    """None for an answer that stored (or had stored) the concern, or sent the form's next page."""
    if status < 400:
        return None
    return REFUSAL_BY_STATUS.get(status, Refusal.ERROR)


class RefusalCounter:
    """Counts the refused submissions to ``paths`` (POST). Outside the rate limiter, so its 429s count."""

    def __init__(self, app: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if (refusal := refusal_for(status)) is not None:
                _refused.add(1, {REASON: refusal.value})
