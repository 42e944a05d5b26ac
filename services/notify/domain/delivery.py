"""The life of one delivery, and what to do after a failed SMTP attempt. Pure: no I/O, no clock.

States of a delivery row::

    PENDING ──claim──▶ SENDING ──accepted──▶ SENT
       ▲                  │ 4xx / connection / interrupted before DATA
       └──── backoff ─────┤
                          ├── 5xx, or retries exhausted ──▶ DEAD_LETTERED
                          └── interrupted after DATA began ──▶ acceptance check ──▶ SENT | PENDING | UNCERTAIN

``smtp_phase`` says how far the claimed attempt got: ``SESSION`` (connect, TLS, AUTH, MAIL, RCPT: nothing
can have been delivered yet) or ``DATA`` (the message went over the wire: the server may have accepted it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    DEAD_LETTERED = "DEAD_LETTERED"
    UNCERTAIN = "UNCERTAIN"


class Phase(StrEnum):
    SESSION = "SESSION"
    DATA = "DATA"


class Origin(StrEnum):
    REQUEST = "REQUEST"  # a NotificationRequested from routing
    DEADLINE = "DEADLINE"  # a DeadlineReached from routing
    ALERT = "ALERT"  # notify's own alert to the ops mailbox
    WATCHDOG = "WATCHDOG"  # a request routing made that notify never received, found by the watchdog


class Stage(StrEnum):
    """Where in the SMTP conversation an attempt failed."""

    CONNECT = "CONNECT"
    TLS = "TLS"
    AUTH = "AUTH"
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"


@dataclass(eq=False)  # not frozen: raising sets __cause__, __traceback__ and __context__ on it
class SendFailure(Exception):
    """A failed attempt. ``code`` is the server's reply code, or None when it gave none.

    ``ambiguous``: the message was (maybe entirely) transmitted and no reply came back, so the server
    may have accepted it. Its text holds no addresses and no mail content.
    """

    stage: Stage
    code: int | None = None
    ambiguous: bool = False
    note: str = ""

    @property
    def permanent(self) -> bool:
        """5xx to MAIL, RCPT or DATA is about this mail: retrying cannot help.

        A 5xx to AUTH or EHLO is about our configuration (a wrong password, a relay that refuses us),
        which a person fixes; those are retried until the attempts run out.
        """
        return self.code is not None and 500 <= self.code < 600 and self.stage in (Stage.MAIL, Stage.RCPT, Stage.DATA)

    def describe(self) -> str:
        if self.code is not None:
            return f"SMTP {self.code} ved {self.stage.value}"
        return f"{self.stage.value}: {self.note or 'ingen forbindelse'}"[:200]

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Retry:
    at: datetime


@dataclass(frozen=True)
class GiveUp:
    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    initial_backoff_s: float
    max_backoff_s: float

    def delay(self, attempt: int, rand: Callable[[], float]) -> float:
        """Exponential backoff with jitter: a uniform draw from the upper half of the ceiling."""
        ceiling = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** max(0, attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2

    def after_failure(self, failure: SendFailure, *, attempts: int, now: datetime, rand: Callable[[], float],
                      retry_permanent: bool = False) -> Retry | GiveUp:
        """``retry_permanent``: for ops alerts, the last line of defence, a 5xx is retried like a 4xx."""
        if failure.permanent and not retry_permanent:
            return GiveUp(f"permanent: {failure.describe()}")
        if attempts >= self.max_attempts:
            return GiveUp(f"retries exhausted after {attempts} attempts: {failure.describe()}")
        return Retry(now + timedelta(seconds=self.delay(attempts, rand)))
