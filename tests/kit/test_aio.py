"""Shutdown steps end even when what they wait for refuses to be cancelled."""

from __future__ import annotations

import asyncio

import pytest

from infohus.kit.aio import cancel_within, finish_within, wait_for_wake


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


@pytest.mark.parametrize("ticks_between_wake_and_cancel", range(5))
async def test_a_polling_loop_ends_when_cancelled_as_it_is_woken(ticks_between_wake_and_cancel: int) -> None:
    """The race asyncio.wait_for loses on Python 3.11: the cancellation must not be swallowed."""
    wake = asyncio.Event()

    async def poll_for_ever() -> None:
        while True:
            await wait_for_wake(wake, 10)

    task = asyncio.create_task(poll_for_ever())
    for _ in range(3):
        await asyncio.sleep(0)
    wake.set()
    for _ in range(ticks_between_wake_and_cancel):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done == {task} and task.cancelled()


async def test_a_polling_pause_ends_at_its_time_and_clears_the_wake() -> None:
    wake = asyncio.Event()
    await wait_for_wake(wake, 0.01)
    wake.set()
    await wait_for_wake(wake, 10)
    assert not wake.is_set()
