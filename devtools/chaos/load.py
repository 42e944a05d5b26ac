"""The chaos run's steady load: concerns at a fixed rate, through intake's public API."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from devtools.bench.stack import Stack


def concern() -> dict[str, object]:
    return {"submission_id": f"chaos-{uuid.uuid4().hex}", "channel": "WEB",
            "reporter": {"category": "CITIZEN", "email": "chaos@example.org"},
            "subjects": [{"stated_age": 15, "municipality": "Ishøj"}],
            "description": "Fejltest uden personoplysninger.", "acuteness": "ROUTINE", "crime_suspicion": False}


class Load:
    """Submits concerns at a steady rate; only 201 answers count as accepted (in the order they were)."""

    def __init__(self, stack: Stack, rate: float) -> None:
        self.stack, self.rate = stack, rate
        self.accepted: list[str] = []
        self.refused = 0
        self._running = True
        self._accepted_one = asyncio.Event()

    async def next_accepted(self) -> None:
        """Until the load has had one more concern accepted."""
        self._accepted_one.clear()
        await self._accepted_one.wait()

    def snapshot(self) -> set[str]:
        return set(self.accepted)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while self._running:
                body = concern()
                for _attempt in range(20):  # a reporter whose page failed simply tries again
                    try:
                        response = await client.post(self.stack.url("intake") + "/api/v1/concerns", json=body)
                    except httpx.HTTPError:
                        response = None
                    if response is not None and response.status_code in (200, 201):
                        self.accepted.append(response.json()["reference"])
                        self._accepted_one.set()
                        break
                    self.refused += 1
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1 / self.rate)

    def stop(self) -> None:
        self._running = False
