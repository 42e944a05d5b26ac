"""Sign-in attempts limited per (user name, client address), on the kit's token buckets.

Per user name alone, five wrong passwords from anyone would lock the owner out too; per client alone, one
client could try every account. Together, an attacker spends only their own bucket. Neither the user name
nor the client address is kept or logged in clear: the bucket key is an HMAC under a per-process random
key, so even a memory dump does not list who tried to sign in from where.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from infohus.kit.ratelimit import TokenBucketLimiter


class LoginRateLimiter:
    def __init__(self, *, rate_per_minute: float, burst: int, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets = TokenBucketLimiter(per_minute=rate_per_minute, burst=burst, max_keys=max_keys, clock=clock)
        self._pepper = secrets.token_bytes(32)

    def key(self, username: str, client: str = "") -> str:
        normalised = username.strip().casefold().encode("utf-8") + b"\x00" + client.encode("utf-8")
        return hmac.new(self._pepper, normalised, hashlib.sha256).hexdigest()[:32]

    def attempt(self, username: str, client: str = "") -> int | None:
        """Take one attempt for ``username`` from ``client``: None when allowed, else the seconds to wait."""
        verdict = self._buckets.take(self.key(username, client))
        return None if verdict.allowed else verdict.retry_after_s

    def keys(self) -> list[str]:
        return self._buckets.keys()

    def __len__(self) -> int:
        return len(self._buckets)
