"""The benchmark's load driver: an answered submission is timed under its reference, a dropped one is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest

from devtools.bench.__main__ import submit

Answer = Callable[[asyncio.StreamWriter], None]


def created(writer: asyncio.StreamWriter) -> None:
    body = b'{"reference": "IH-2026-AB12-CD34"}'
    writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def refused(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 2\r\n\r\n{}")


def hang_up(writer: asyncio.StreamWriter) -> None:
    writer.close()


@asynccontextmanager
async def intake_answering(answer: Answer) -> AsyncIterator[aiohttp.ClientSession]:
    """A loopback HTTP server that reads one request and answers it with ``answer``."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        answer(writer)
        await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as client:
        yield client


async def test_an_answered_submission_is_timed_under_its_reference() -> None:
    accepted: dict[str, float] = {}
    async with intake_answering(created) as client:
        assert await submit(client, 1, accepted) is True
    assert list(accepted) == ["IH-2026-AB12-CD34"]


async def test_a_connection_that_breaks_before_the_answer_is_lost_not_counted() -> None:
    accepted: dict[str, float] = {}
    async with intake_answering(hang_up) as client:
        assert await submit(client, 1, accepted) is False
    assert accepted == {}


async def test_a_refused_submission_stops_the_benchmark() -> None:
    accepted: dict[str, float] = {}
    async with intake_answering(refused) as client:
        with pytest.raises(aiohttp.ClientResponseError):
            await submit(client, 1, accepted)
    assert accepted == {}
