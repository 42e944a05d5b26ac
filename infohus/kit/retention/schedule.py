"""Retention on a schedule: a background task of the service's runtime that runs every interval."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_on_schedule(service: str, interval_s: float, run_once: Callable[[], Awaitable[object]], *,
                          what: str = "retention") -> None:
    """Run ``run_once`` every ``interval_s`` seconds, the first time one interval after start; a failed run
    (the database away) is logged by its kind only and tried again at the next interval."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_once()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("%s: %s run failed (%s); trying again in %.0f s", service, what, type(error).__name__,
                        interval_s)
