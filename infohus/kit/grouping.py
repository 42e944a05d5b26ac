"""Group commit: requests that arrive while a group is being written are written together in the next one.

A caller awaits its own answer as if it ran alone. A request never waits for a timer: the first runs at
once, and only what arrives meanwhile is grouped, so a quiet system sees no added latency while a busy one
commits once per group instead of once per request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Grouped(Generic[T, R]):
    """Calls ``run`` with every request waiting (at most ``max_group``); it returns one answer per request,
    in order. If it raises, every request of that group gets the error; the next group runs as usual. A
    request whose caller was cancelled before its group started is left out."""

    def __init__(self, run: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, max_group: int) -> None:
        if max_group < 1:
            raise ValueError("max_group must be at least 1")
        self._run = run
        self._max_group = max_group
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self, request: T) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, answer))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._drain())
        return await answer

    async def aclose(self) -> None:
        """Stop the group being written, if any (its callers get ``CancelledError``)."""
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def _drain(self) -> None:
        while self._waiting:
            group = [(request, answer) for request, answer in self._waiting[:self._max_group] if not answer.done()]
            del self._waiting[:self._max_group]
            if group:
                await self._answer(group)

    async def _answer(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            answers = await self._run([request for request, _ in group])
            if len(answers) != len(group):
                raise RuntimeError(f"{len(answers)} answers for {len(group)} requests")
        except asyncio.CancelledError:
            for _, answer in [*group, *self._waiting]:
                answer.cancel()
            self._waiting = []
            raise
        except Exception as error:
            for _, answer in group:
                if not answer.done():
                    answer.set_exception(error)
            return
        for (_, answer), value in zip(group, answers, strict=True):
            if not answer.done():
                answer.set_result(value)
