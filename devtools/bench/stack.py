"""The whole system as separate processes on loopback, for benchmarks and fault runs.

Broker (tansu) and services run as child processes, PostgreSQL is the machine's server unless the caller
names another (a fresh database per run), and the SMTP server runs in its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.devstack.broker import LocalBroker
from devtools.devstack.ports import free_port
from devtools.devstack.supervisor import service_environment

SERVICES = ("intake", "routing", "notify", "audit")
POSTGRES_ADMIN_URL = os.environ.get("INFOHUS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@dataclass
class Stack:
    data_dir: Path
    broker: LocalBroker = field(init=False)
    smtp_port: int = field(init=False)
    mailbox_port: int = field(init=False)
    database_url: str = field(init=False)
    ports: dict[str, int] = field(init=False)
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    profile_dir: Path | None = None
    """If set, every service runs under cProfile and writes ``<service>.prof`` here when it stops."""
    municipality_config: Path | None = None
    """The municipality's rules for intake, routing and notify; None: Ishøj's own file."""
    postgres_admin_url: str = POSTGRES_ADMIN_URL
    """The server the run's database is made on (the chaos run brings a server of its own)."""
    extra_environment: dict[str, str] = field(default_factory=dict)
    """Settings for every service process on top of the stack's own (``INFOHUS_<SERVICE>_...``)."""
    _database: str = field(init=False)

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.broker = LocalBroker(log_file=self.data_dir / "broker.log")
        await self.broker.astart()
        try:
            await self.start_mailbox()
            self._database = f"infohus_bench_{uuid.uuid4().hex[:10]}"
            await _admin(self.postgres_admin_url, f'CREATE DATABASE "{self._database}"')
            self.database_url = self.postgres_admin_url.rsplit("/", 1)[0] + f"/{self._database}"
            self.ports = {s: free_port() for s in SERVICES}
            for service in SERVICES:
                await self.start_service(service)
            await self.wait_ready()
        except BaseException:
            await self.stop()  # a service that never became ready must not outlive the run
            raise

    @property
    def mailbox_url(self) -> str:
        return f"http://127.0.0.1:{self.mailbox_port}"

    @property
    def mail_folder(self) -> Path:
        return self.data_dir / "mail"

    async def start_mailbox(self) -> None:
        """In its own process, so the load generator never starves the SMTP server."""
        if not hasattr(self, "smtp_port"):
            self.smtp_port, self.mailbox_port = free_port(), free_port()
        self.processes["mailbox"] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "devtools.devstack.mailbox", "--folder", str(self.mail_folder),
            "--smtp-port", str(self.smtp_port), "--web-port", str(self.mailbox_port),
            stdout=(self.data_dir / "mailbox.log").open("ab"), stderr=asyncio.subprocess.STDOUT)
        await _wait_tcp(self.smtp_port, 30)
        await _wait_tcp(self.mailbox_port, 30)

    async def stop_mailbox(self) -> None:
        process = self.processes.pop("mailbox")
        process.send_signal(signal.SIGTERM)
        await process.wait()

    def environment(self, service: str) -> dict[str, str]:
        prefix = f"INFOHUS_{service.upper()}_"
        env = service_environment(service, self.data_dir, self.broker.bootstrap_servers)
        env |= {prefix + "DATABASE_URL": self.database_url, prefix + "DB_SCHEMA": service,
                prefix + "HTTP_PORT": str(self.ports[service]), "INFOHUS_ENVIRONMENT": "test"}
        if service == "notify":  # short leases and watchdog rounds, so what a fault interrupts is resumed in seconds
            env |= {prefix + "SMTP_PORT": str(self.smtp_port), prefix + "SMTP_SEND_DEADLINE_S": "10",
                    prefix + "DELIVERY_LEASE_S": "15", prefix + "WATCHDOG_INTERVAL_S": "10",
                    prefix + "WATCHDOG_MISSING_AFTER_S": "30",
                    prefix + "ROUTING_URL": f"http://127.0.0.1:{self.ports['routing']}"}
        if self.municipality_config is not None and service != "audit":
            env[prefix + "MUNICIPALITY_CONFIG"] = str(self.municipality_config)
        if service == "intake":  # the load comes from one loopback client: lift the per-client limit
            env |= {prefix + "RATE_LIMIT_PER_MINUTE": "10000000", prefix + "RATE_LIMIT_BURST": "100000"}
        return env | {k: v for k, v in self.extra_environment.items() if k.startswith(prefix) or
                      not any(k.startswith(f"INFOHUS_{other.upper()}_") for other in SERVICES)}

    async def start_service(self, service: str) -> None:
        log = (self.data_dir / f"{service}.log").open("ab")
        profile: list[str] = []
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "devtools.bench.profiled", str(self.profile_dir / f"{service}.prof")]
        self.processes[service] = await asyncio.create_subprocess_exec(
            sys.executable, *(profile or ["-m", "infohus.cli"]), "serve", service,
            env={**os.environ, **self.environment(service)}, stdout=log, stderr=asyncio.subprocess.STDOUT)

    async def kill_service(self, service: str) -> None:
        process = self.processes[service]
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()

    async def wait_ready(self, timeout: float = 90.0) -> None:
        async with httpx.AsyncClient() as client:
            for service, port in self.ports.items():
                await _wait_http(client, f"http://127.0.0.1:{port}/health/ready", timeout, service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def peak_rss_mb(self) -> dict[str, float]:
        """The most each service has held so far (VmHWM)."""
        return self._rss_mb("VmHWM")

    def rss_mb(self) -> dict[str, float]:
        """What each service holds now (VmRSS)."""
        return self._rss_mb("VmRSS")

    def _rss_mb(self, field: str) -> dict[str, float]:
        return {name: _rss_mb(proc.pid, field) for name, proc in self.processes.items()
                if proc.returncode is None and name in SERVICES}

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU time each service process has used so far."""
        return {name: _cpu_seconds(proc.pid) for name, proc in self.processes.items()
                if proc.returncode is None and name in SERVICES}

    def infrastructure_cpu_seconds(self) -> dict[str, float]:
        """CPU time the parts around the services have used so far: PostgreSQL (the machine's server, all of
        its processes), the broker and the SMTP server."""
        mailbox = self.processes.get("mailbox")
        return {"PostgreSQL": postgres_cpu_seconds(),
                "broker": _cpu_seconds(self.broker.pid) if self.broker.pid is not None else float("nan"),
                "SMTP server": _cpu_seconds(mailbox.pid) if mailbox is not None else float("nan")}

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await self.broker.astop()
        if hasattr(self, "_database"):
            await _admin(self.postgres_admin_url, f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _wait_tcp(port: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


async def _wait_http(client: httpx.AsyncClient, url: str, timeout: float, name: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(url)).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{name} did not become ready within {timeout}s")


def _rss_mb(pid: int, field: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine_busy_seconds() -> float:
    """CPU time every process on this machine has used (all cores, not idle or waiting for I/O).

    Steal, the time a virtual CPU waited while the host ran something else, is not counted: no process here
    used it.
    """
    with contextlib.suppress(OSError):
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
        user, nice, system, _idle, _iowait, irq, softirq = fields
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def postgres_cpu_seconds() -> float:
    """CPU time of every process named ``postgres`` and of those its server has already reaped (a backend
    that ended), as counted in the server's own children's time."""
    total_ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            if text.split("(", 1)[1].rsplit(")", 1)[0] != "postgres":
                continue
            fields = text.rsplit(")", 1)[1].split()
            total_ticks += int(fields[11]) + int(fields[12])  # utime, stime
            if _process_name(int(fields[1])) != "postgres":  # the server itself: add its reaped children's
                total_ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total_ticks / os.sysconf("SC_CLK_TCK")


def _process_name(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


def _cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return float("nan")
