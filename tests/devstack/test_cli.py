"""The standalone entry points, run as real processes and stopped with SIGTERM."""

import asyncio
import re
import signal
import socket
import sys
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped, unused-ignore]


async def list_topics(bootstrap_servers: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def read_until(proc: asyncio.subprocess.Process, pattern: str) -> re.Match[str]:
    assert proc.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(20):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                stderr = await proc.stderr.read() if proc.stderr else b""
                raise AssertionError(f"process ended; stdout={seen!r} stderr={stderr.decode()!r}")
            seen.append(line)
            if match := re.search(pattern, line):
                return match


async def terminate(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        return await proc.wait()


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_broker_cli(tmp_path: Path) -> None:
    proc = await start("devtools.devstack.broker", "--port", "0", "--topic", "cli.topic")
    try:
        match = await read_until(proc, r"bootstrap servers (127\.0\.0\.1:(\d+))")
        assert "cli.topic" in await list_topics(match.group(1))
    finally:
        code = await terminate(proc)
    assert code == 0
    assert refused(int(match.group(2)))  # tansu stopped with the CLI


async def test_mailbox_cli(tmp_path: Path) -> None:
    folder = tmp_path / "cli-mails"
    proc = await start(
        "devtools.devstack.mailbox", "--folder", str(folder), "--smtp-port", "0", "--web-port", "0"
    )
    try:
        smtp_port = int((await read_until(proc, r"SMTP: 127\.0\.0\.1:(\d+)")).group(1))
        web_url = (await read_until(proc, r"Web:\s+(http://\S+)")).group(1)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@example.org", "Fra CLI"
        msg.set_content("x")
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_port, timeout=10)
        async with httpx.AsyncClient(timeout=10) as client:
            listing = (await client.get(web_url + "api/messages")).json()
        assert [m["subject"] for m in listing] == ["Fra CLI"]
    finally:
        code = await terminate(proc)
    assert code == 0
    assert len(list(folder.glob("*.eml"))) == 1
    assert refused(smtp_port)


async def test_infohus_serve_workspace_answers_on_its_port(tmp_path: Path) -> None:
    """`make run` starts the workspace as `infohus serve workspace` (its settings are no service's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"INFOHUS_ENVIRONMENT": "development", "INFOHUS_AUTH_MODE": "development",
           "INFOHUS_AUTH_COOKIE_SECURE": "false", "INFOHUS_WORKSPACE_HTTP_PORT": str(port),
           "INFOHUS_WORKSPACE_TRUSTED_PROXIES": "127.0.0.1"}
    import os
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infohus.cli", "serve", "workspace", env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                if process.returncode is not None:
                    output = (await process.stdout.read()).decode() if process.stdout else ""
                    raise AssertionError(f"infohus serve workspace exited {process.returncode}: {output[-2000:]}")
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/health/live")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the workspace never answered")
        assert response.status_code == 200 and "server" not in response.headers
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
