"""Shutdown steps end even when what they wait for refuses to be cancelled."""

from __future__ import annotations

import asyncio

from infohus.kit.aio import cancel_within, finish_within


async def _refuses_cancellation(release: asyncio.Event) -> None:
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue  # as a client library that shields its cleanup would


async def test_finish_within_gives_up_on_an_awaitable_that_ignores_cancellation() -> None:
    release = asyncio.Event()
    task = asyncio.ensure_future(_refuses_cancellation(release))
    assert await finish_within(task, 0.05, "a stuck step") is False
    assert not task.done()  # abandoned, not awaited for ever
    release.set()
    await task


async def test_finish_within_reports_a_step_that_ends() -> None:
    assert await finish_within(asyncio.sleep(0), 5, "a quick step") is True


async def test_finish_within_swallows_a_failing_step() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    assert await finish_within(fails(), 5, "a failing step") is True


async def test_cancel_within_cancels_cooperative_tasks_and_leaves_stubborn_ones() -> None:
    release = asyncio.Event()
    cooperative = asyncio.ensure_future(asyncio.sleep(3600))
    stubborn = asyncio.ensure_future(_refuses_cancellation(release))
    await asyncio.sleep(0)  # both are running
    await cancel_within([cooperative, stubborn], grace=0.05)
    assert cooperative.cancelled() and not stubborn.done()
    release.set()
    await stubborn
