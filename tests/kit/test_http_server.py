"""The HTTP listener every service runs (``infohus serve``): how long it keeps an idle connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from devtools.devstack.ports import free_port
from infohus.cli import server_config
from infohus.kit.settings import ServiceSettings
from tests.waiting import eventually

REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def _started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return server.started

    return check


def _app() -> Starlette:
    return Starlette(routes=[Route("/", lambda _request: PlainTextResponse("ok"))])


def test_idle_connections_outlive_the_usual_proxy_and_client_timeouts() -> None:
    # httpx and uvicorn both default to 5 s: a client reusing a connection at 4.99 s races the server's close
    # and gets a reset instead of an answer (seen in the benchmark as lost submissions).
    assert ServiceSettings(environment="test").http_keep_alive_s > 60


async def test_the_listener_closes_a_connection_idle_for_longer_than_the_setting() -> None:
    settings = ServiceSettings(environment="test", http_port=free_port(), http_keep_alive_s=1)
    server = uvicorn.Server(server_config(settings, _app()))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(_started(server), within=10, interval=0.01)
        reader, writer = await asyncio.open_connection(settings.http_host, settings.http_port)
        writer.write(REQUEST)
        assert b"ok" in await reader.readuntil(b"ok")
        await asyncio.sleep(0.5)
        writer.write(REQUEST)  # within the setting: the same connection still answers
        assert b"ok" in await reader.readuntil(b"ok")
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed after ≈ 1 s of silence
        writer.close()
    finally:
        server.should_exit = True
        await serving


def test_services_run_on_uvloop_and_the_httptools_parser() -> None:
    config = server_config(ServiceSettings(environment="test"), _app())
    loop_factory = config.get_loop_factory()
    assert loop_factory is not None
    loop = loop_factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"


@pytest.mark.parametrize("value", [0, -1])
def test_a_keep_alive_that_is_not_positive_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="http_keep_alive_s"):
        ServiceSettings(environment="test", http_keep_alive_s=value)


def _echo_client() -> Starlette:
    async def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "")

    return Starlette(routes=[Route("/", whoami)])


async def _serve_and_ask(settings: ServiceSettings, forwarded: str) -> httpx.Response:
    server = uvicorn.Server(server_config(settings, _echo_client()))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(_started(server), within=10, interval=0.01)
        async with httpx.AsyncClient(base_url=f"http://{settings.http_host}:{settings.http_port}") as client:
            return await client.get("/", headers={"x-forwarded-for": forwarded})
    finally:
        server.should_exit = True
        await serving


async def test_forwarded_addresses_are_ignored_unless_the_peer_is_a_configured_proxy() -> None:
    # uvicorn on its own believes X-Forwarded-For from 127.0.0.1: the listener must not.
    response = await _serve_and_ask(ServiceSettings(environment="test", http_port=free_port()), "203.0.113.9")
    assert response.text == "127.0.0.1"
    assert "server" not in response.headers  # no "Server: uvicorn"


async def test_a_configured_proxy_names_the_right_most_address_it_does_not_trust() -> None:
    settings = ServiceSettings(environment="test", http_port=free_port(), trusted_proxies=["127.0.0.0/8"])
    response = await _serve_and_ask(settings, "198.51.100.66, 203.0.113.9, 127.0.0.5")
    assert response.text == "203.0.113.9"  # 198.51.100.66 is only the client's word
    assert "server" not in response.headers


def test_trusted_proxies_come_from_the_service_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.routing.settings import Settings

    monkeypatch.setenv("INFOHUS_ROUTING_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert Settings(environment="test").trusted_proxies == ["10.0.0.0/8", "192.0.2.1/32"]
    monkeypatch.setenv("INFOHUS_ROUTING_TRUSTED_PROXIES", '["fd00::/8"]')
    assert Settings(environment="test").trusted_proxies == ["fd00::/8"]
    monkeypatch.delenv("INFOHUS_ROUTING_TRUSTED_PROXIES")
    assert Settings(environment="test").trusted_proxies == []


@pytest.mark.parametrize("value", ["*", "ingress.local", "10.0.0.0/33"])
def test_a_trusted_proxy_must_be_an_address_or_network(value: str) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        ServiceSettings(environment="test", trusted_proxies=[value])
