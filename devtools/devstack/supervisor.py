"""``make run``: the whole system on one machine with the embedded defaults.

Starts tansu, the local mailbox (SMTP + web page), and the four services as child processes with
SQLite databases in the data folder; prints the URLs; stops everything cleanly on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from devtools.devstack.broker import LocalBroker
from devtools.devstack.mailbox import LocalMailbox
from services.audit.development import development_environment

SERVICE_PORTS = {"intake": 8000, "routing": 8001, "notify": 8002, "audit": 8003, "workspace": 8004}
BROKER_PORT = 19092
SMTP_PORT = 2525
MAIL_WEB_PORT = 8025


# How every service process runs, here as in the image (deploy/docker/Dockerfile sets the same):
# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and memory freed in one
# arena is not reused by another. A service is one asyncio thread plus a few helper threads (thread
# pool, telemetry export), so two arenas are plenty and keep the resident size from creeping up.
SERVICE_PROCESS_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


def service_environment(service: str, data_dir: Path, bootstrap: str) -> dict[str, str]:
    prefix = f"INFOHUS_{service.upper()}_"
    env = {
        **SERVICE_PROCESS_ENVIRONMENT,
        "INFOHUS_ENVIRONMENT": "development",
        "INFOHUS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "INFOHUS_KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu accepts no idempotent producers
        "INFOHUS_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "INFOHUS_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
        "INFOHUS_KAFKA_FETCH_MAX_WAIT_MS": "50",
        "INFOHUS_KAFKA_OUTBOX_POLL_INTERVAL_S": "0.2",
        "INFOHUS_AUTH_MODE": "development",  # built-in login with seeded users; refused in production
        "INFOHUS_AUTH_COOKIE_SECURE": "false",  # plain http on loopback
        prefix + "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir.resolve()}/{service}.db",
        prefix + "HTTP_PORT": str(SERVICE_PORTS[service]),
    }
    if service == "workspace":
        env |= {prefix + "ROUTING_URL": f"http://127.0.0.1:{SERVICE_PORTS['routing']}",
                prefix + "INTAKE_URL": f"http://127.0.0.1:{SERVICE_PORTS['intake']}",
                prefix + "AUDIT_URL": f"http://127.0.0.1:{SERVICE_PORTS['audit']}",
                prefix + "NOTIFY_URL": f"http://127.0.0.1:{SERVICE_PORTS['notify']}"}
    if service == "audit":  # a development signing key, and checkpoints every minute
        env |= development_environment(data_dir)
    if service == "notify":
        env |= {prefix + "SMTP_HOST": "127.0.0.1", prefix + "SMTP_PORT": str(SMTP_PORT),
                prefix + "SMTP_STARTTLS": "off", prefix + "MAILBOX_OOH": "vagt@ishoj.dk",
                prefix + "MAILBOX_OPS": "drift@ishoj.dk",
                # The local mailbox folder tells notify exactly whether a mail was accepted after a crash.
                prefix + "ACCEPTANCE_FOLDER": str((data_dir / "mail").resolve()),
                prefix + "WORKSPACE_URL": "http://127.0.0.1:8004",
                # the watchdog compares what routing requested with what notify holds (lost messages)
                prefix + "ROUTING_URL": f"http://127.0.0.1:{SERVICE_PORTS['routing']}"}
    return env


async def run_local(data_dir: str | Path = "data") -> int:
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    broker = LocalBroker(port=BROKER_PORT, log_file=data / "broker.log")
    await broker.astart()
    mailbox = LocalMailbox(data / "mail", smtp_port=SMTP_PORT, web_port=MAIL_WEB_PORT)
    await mailbox.start()
    children: dict[str, asyncio.subprocess.Process] = {}
    try:
        for service in SERVICE_PORTS:
            children[service] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "infohus.cli", "serve", service,
                env={**os.environ, **service_environment(service, data, broker.bootstrap_servers)},
                stdout=(data / f"{service}.log").open("ab"), stderr=asyncio.subprocess.STDOUT)
        _print_urls(data, broker, mailbox)
        watchers = [asyncio.create_task(_exit_of(name, proc, stop)) for name, proc in children.items()]
        await stop.wait()
        for watcher in watchers:
            watcher.cancel()
    finally:
        print("\nStopper Infohus …", flush=True)
        await _stop_children(children)
        await mailbox.stop()
        await broker.astop()
    return 0


def _print_urls(data: Path, broker: LocalBroker, mailbox: LocalMailbox) -> None:
    print(f"Sagsbehandling (tovholdere, StraXen): http://127.0.0.1:{SERVICE_PORTS['workspace']}  "
          "(log ind som udvikler-tovholder-kommune, -politi eller udvikler-straxen; adgangskode infohus-udvikling)")
    print(f"Intake:   http://127.0.0.1:{SERVICE_PORTS['intake']}  (GET /health, POST /api/v1/concerns)")
    print(f"Routing:  http://127.0.0.1:{SERVICE_PORTS['routing']}/health/ready")
    print(f"Notify:   http://127.0.0.1:{SERVICE_PORTS['notify']}/health/ready")
    print(f"Audit:    http://127.0.0.1:{SERVICE_PORTS['audit']}/health/ready")
    print(f"Postkasse (lokal mail): {mailbox.web_url}  — .eml-filer i {(data / 'mail').resolve()}")
    print(f"Kafka (tansu): {broker.bootstrap_servers}   Logfiler: {data.resolve()}/*.log")
    print("Stop med Ctrl-C.", flush=True)


async def _exit_of(name: str, process: asyncio.subprocess.Process, stop: asyncio.Event) -> None:
    code = await process.wait()
    print(f"{name} stopped unexpectedly (exit {code}); see its log file. Stopping everything.", flush=True)
    stop.set()


async def _stop_children(children: dict[str, asyncio.subprocess.Process]) -> None:
    for process in children.values():
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in children.values():
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
