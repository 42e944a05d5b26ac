"""Shutdown that cannot hang.

``asyncio.wait_for`` waits for the cancelled awaitable to finish cancelling; a client library that
shields its cleanup (a Kafka consumer leaving a rebalancing group, a server waiting for its
connections) can then hold a shutdown for ever. These helpers give up after the time limit instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from typing import Any

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 1.0


async def finish_within(awaitable: Awaitable[Any], timeout: float, what: str) -> bool:
    """Await ``awaitable`` for at most ``timeout`` seconds (plus a short grace to cancel it). True if it finished."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        _consume_outcome(task)
        return True
    log.warning("%s did not finish within %.0fs; abandoning it", what, timeout)
    await cancel_within([task], CANCEL_GRACE_S)
    return False


async def cancel_within(tasks: Iterable[asyncio.Future[Any]], grace: float = CANCEL_GRACE_S) -> None:
    """Cancel the tasks and wait at most ``grace`` seconds for them to end; stragglers are left behind."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=grace)
    for task in tasks:
        if task.done():
            _consume_outcome(task)


def _consume_outcome(task: asyncio.Future[Any]) -> None:
    """Retrieve the result so a failed shutdown step is logged once, not reported as 'never retrieved'."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.warning("a shutdown step failed: %s", type(error).__name__)


async def wait_for_wake(wake: asyncio.Event, seconds: float) -> None:
    """Wait until ``wake`` is set or ``seconds`` pass, then clear it: a polling loop's pause.

    Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancellation that arrives as the event is set, and
    the cancelled loop then polls for ever (found as zombie delivery workers under the test suite)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    wake.clear()
