"""A token bucket per client, in memory only.

The client key is whatever the caller derives (intake passes a keyed hash of the client address, never
the address itself); nothing here is stored, logged or traced. Full buckets are forgotten when the table
grows past its bound, so memory stays bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int  # whole seconds until one token is back (0 when allowed)


class TokenBucketLimiter:
    def __init__(self, *, per_minute: float, burst: int, max_clients: int = 100_000,
                 clock: Callable[[], float] = monotonic) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def keys(self) -> list[str]:
        return list(self._buckets)

    def take(self, key: str) -> Verdict:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        else:
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(True, 0)
        return Verdict(False, max(1, math.ceil((1.0 - bucket.tokens) / self._rate)))

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self._max_clients:
            return
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst:
                del self._buckets[key]
        if len(self._buckets) >= self._max_clients:  # all busy: forget the longest idle half
            for key, _bucket in sorted(self._buckets.items(), key=lambda item: item[1].updated)[
                    : len(self._buckets) // 2 + 1]:
                del self._buckets[key]
