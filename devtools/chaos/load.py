"""The chaos run's steady load: concerns at a fixed rate, through intake's public API."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from devtools.bench.stack import Stack


def concern() -> dict[str, object]:
    return {"submission_id": f"chaos-{uuid.uuid4().hex}", "channel": "WEB",
            "reporter": {"category": "CITIZEN", "email": "chaos@example.org"},
            "subjects": [{"stated_age": 15, "municipality": "Ishøj"}],
            "description": "Fejltest uden personoplysninger.", "acuteness": "ROUTINE", "crime_suspicion": False}


MAX_IN_FLIGHT = 32


class Load:
    """Submits concerns at a steady rate; only 201 answers count as accepted (in the order they were)."""

    def __init__(self, stack: Stack, rate: float) -> None:
        self.stack, self.rate = stack, rate
        self.accepted: list[str] = []
        self.refused = 0
        self._running = True
        self._accepted_one = asyncio.Event()
        self._started = self._stopped = 0.0

    @property
    def achieved_rate(self) -> float:
        """Concerns accepted per second over the load's run (below ``rate`` when answers are slow)."""
        seconds = (self._stopped or time.monotonic()) - self._started
        return len(self.accepted) / seconds if seconds > 0 else 0.0

    async def next_accepted(self) -> None:
        """Until the load has had one more concern accepted."""
        self._accepted_one.clear()
        await self._accepted_one.wait()

    def snapshot(self) -> set[str]:
        return set(self.accepted)

    async def run(self) -> None:
        """Open loop: a submission starts every ``1 / rate`` seconds, however long the ones before take (at
        most ``MAX_IN_FLIGHT`` at once: beyond that the rate drops, and ``achieved_rate`` says by how much)."""
        self._started = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=MAX_IN_FLIGHT)) as client:
            next_at = time.monotonic()
            while self._running:
                await slots.acquire()
                task = asyncio.create_task(self._submit(client, slots))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                next_at = max(next_at + 1 / self.rate, time.monotonic() - 1)  # no burst after a stall
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.gather(*in_flight)

    async def _submit(self, client: httpx.AsyncClient, slots: asyncio.Semaphore) -> None:
        try:
            body = concern()
            for _attempt in range(20):  # a reporter whose page failed simply tries again
                try:
                    response = await client.post(self.stack.url("intake") + "/api/v1/concerns", json=body)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code in (200, 201):
                    self.accepted.append(response.json()["reference"])
                    self._accepted_one.set()
                    return
                self.refused += 1
                await asyncio.sleep(0.5)
        finally:
            slots.release()

    def stop(self) -> None:
        self._running = False
        self._stopped = time.monotonic()
