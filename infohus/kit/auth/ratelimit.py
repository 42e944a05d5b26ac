"""In-memory token buckets for sign-in attempts, one per (user name, client address).

Per user name alone, five wrong passwords from anyone would lock the owner out too; per client alone, one
client could try every account. Together, an attacker spends only their own bucket. Neither the user name
nor the client address is kept or logged in clear: the bucket key is an HMAC under a per-process random
key, so even a memory dump does not list who tried to sign in from where.
One process, one set of buckets: behind several replicas the effective limit is per replica.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LoginRateLimiter:
    def __init__(self, *, rate_per_minute: float, burst: int, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError("rate_per_minute must be positive and burst at least 1")
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._pepper = secrets.token_bytes(32)
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()

    def key(self, username: str, client: str = "") -> bytes:
        normalised = username.strip().casefold().encode("utf-8") + b"\x00" + client.encode("utf-8")
        return hmac.new(self._pepper, normalised, hashlib.sha256).digest()[:16]

    def attempt(self, username: str, client: str = "") -> float | None:
        """Take one attempt for ``username`` from ``client``: None when allowed, else the seconds to wait."""
        key = self.key(username, client)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
            self._buckets[key] = bucket
            self._evict()
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
            bucket.updated = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1.0, math.ceil((1.0 - bucket.tokens) / self.rate_per_s))

    def __len__(self) -> int:
        return len(self._buckets)

    def _evict(self) -> None:
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
