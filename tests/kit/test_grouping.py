"""Group commit: what arrives while a group is being written goes together in the next group."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from infohus.kit.grouping import Grouped


class Recorder:
    """A run that records its groups and waits until ``release`` is set before answering."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = False

    async def __call__(self, requests: Sequence[int]) -> list[int]:
        self.groups.append(list(requests))
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database away")
        return [r * 10 for r in requests]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def arrive(grouped: Grouped[int, int], *requests: int) -> list[asyncio.Task[int]]:
    """The requests, made at once and left waiting for their answers."""
    waiting = [asyncio.create_task(grouped(r)) for r in requests]
    await settle()
    return waiting


async def writing_first(max_group: int) -> tuple[Recorder, Grouped[int, int], asyncio.Task[int]]:
    """A ``Grouped`` whose first request (1) is being written until ``release`` is set."""
    run = Recorder()
    run.release.clear()
    grouped: Grouped[int, int] = Grouped(run, max_group=max_group)
    [first] = await arrive(grouped, 1)
    return run, grouped, first


async def test_a_lone_request_runs_at_once_and_gets_its_own_answer() -> None:
    run = Recorder()
    grouped: Grouped[int, int] = Grouped(run, max_group=8)
    assert await grouped(3) == 30
    assert run.groups == [[3]]


async def test_requests_that_arrive_while_a_group_runs_are_written_together_next() -> None:
    run, grouped, first = await writing_first(max_group=3)
    later = await arrive(grouped, 2, 3, 4, 5)
    run.release.set()
    assert await asyncio.gather(first, *later) == [10, 20, 30, 40, 50]
    assert run.groups == [[1], [2, 3, 4], [5]]  # never more than max_group at once, in arrival order


async def test_a_failed_group_fails_its_own_requests_only() -> None:
    run, grouped, first = await writing_first(max_group=2)
    run.fail_next = True
    second, third = await arrive(grouped, 2, 3)
    run.release.set()
    with pytest.raises(ConnectionError):
        await first
    assert [*await asyncio.gather(second, third)] == [20, 30]


async def test_a_request_cancelled_before_its_group_ran_is_left_out() -> None:
    run, grouped, first = await writing_first(max_group=8)
    gone, kept = await arrive(grouped, 2, 3)
    gone.cancel()
    run.release.set()
    assert [*await asyncio.gather(first, kept)] == [10, 30]
    assert run.groups == [[1], [3]]


async def test_closing_cancels_the_running_group_and_what_waits() -> None:
    run, grouped, first = await writing_first(max_group=1)
    [second] = await arrive(grouped, 2)
    await grouped.aclose()
    for request in (first, second):
        with pytest.raises(asyncio.CancelledError):
            await request
    run.release.set()
    assert await grouped(4) == 40  # usable again afterwards


def test_a_group_must_hold_at_least_one_request() -> None:
    with pytest.raises(ValueError, match="max_group"):
        Grouped(Recorder(), max_group=0)
