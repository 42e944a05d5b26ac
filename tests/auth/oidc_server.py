"""A real OpenID Connect provider for the tests: panva/oidc-provider on Node, in tests/auth/oidc_provider/.

``npm ci`` runs once (when node_modules is missing or older than package-lock.json), under a file lock so
parallel test processes do not race. The provider listens on a free loopback port and prints its issuer
when ready; the fixture waits for that line (no sleeping).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "infohus-workspace"
CLIENT_SECRET = "workspace-test-secret-" + "x" * 20
APP_BASE = "https://workspace.test"
REDIRECT_URI = f"{APP_BASE}/auth/callback"
POST_LOGOUT_URI = f"{APP_BASE}/"
API_AUDIENCE = "infohus-api"
USERS: dict[str, list[str]] = {
    "kommune-1": ["infohus-tovholder-kommune", "offline_access"],
    "revisor-1": ["infohus-revisor"],
}


@dataclass(frozen=True)
class OidcServer:
    issuer: str

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"


def ensure_installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("the OIDC provider tests need Node.js 20+ and npm")
    lock_path = PROVIDER_DIR / ".npm-ci.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = PROVIDER_DIR / "node_modules" / ".package-lock.json"
        lockfile = PROVIDER_DIR / "package-lock.json"
        if marker.exists() and marker.stat().st_mtime >= lockfile.stat().st_mtime:
            return
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=PROVIDER_DIR, check=True, timeout=300)


@contextlib.contextmanager
def running_provider(log_path: Path) -> Iterator[OidcServer]:
    ensure_installed()
    env = os.environ | {
        "TEST_CLIENT_ID": CLIENT_ID, "TEST_CLIENT_SECRET": CLIENT_SECRET, "TEST_REDIRECT_URI": REDIRECT_URI,
        "TEST_POST_LOGOUT_URI": POST_LOGOUT_URI, "TEST_API_AUDIENCE": API_AUDIENCE, "TEST_ROLES": json.dumps(USERS),
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(["node", "provider.mjs"], cwd=PROVIDER_DIR, env=env,
                                   stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert process.stdout is not None
            with ThreadPoolExecutor(1) as pool:
                line = pool.submit(process.stdout.readline).result(timeout=60)
            if not line:
                raise RuntimeError(f"the OIDC provider did not start: {log_path.read_text()}")
            yield OidcServer(issuer=json.loads(line)["issuer"])
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
