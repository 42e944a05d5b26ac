"""A PostgreSQL server of the chaos run's own, so that its "PostgreSQL restarted" fault never touches the
machine's shared server (other runs, other people's tests).

``initdb`` and ``pg_ctl`` from the PATH or ``/usr/lib/postgresql/<version>/bin``; the cluster lives in a
temporary directory, listens on a free loopback port with trust authentication, and is removed at the end.
PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user (``runuser``).
Without the binaries (or that user) there is no server of its own: the run then leaves the restart out.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from devtools.devstack.ports import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    root = Path("/usr/lib/postgresql")
    candidates = sorted(root.glob(f"*/bin/{name}")) if root.is_dir() else []
    return str(candidates[-1]) if candidates else None


class OwnPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="infohus-chaos-pg-"))
        self._data = self._dir / "data"
        self._as: list[str] = []

    @staticmethod
    def available() -> bool:
        if _binary("initdb") is None or _binary("pg_ctl") is None:
            return False
        if os.geteuid() != 0:
            return True
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
        return shutil.which("runuser") is not None

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, timeout=120, capture_output=True)  # noqa: S603

    async def start(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self._dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        await asyncio.to_thread(self._run, str(_binary("initdb")), "-D", str(self._data), "-U", "postgres",
                                "--auth=trust", "--no-sync", "-E", "UTF8")
        await self._ctl("start")

    async def _ctl(self, action: str) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._dir} -c fsync=off "
                   "-c max_connections=200")
        await asyncio.to_thread(self._run, str(_binary("pg_ctl")), "-D", str(self._data), "-l",
                                str(self._dir / "server.log"), "-o", options, "-w", "-m", "fast", action)

    async def restart(self) -> None:
        await self._ctl("restart")

    async def stop(self) -> None:
        try:
            await self._ctl("stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
