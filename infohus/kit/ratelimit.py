"""Token buckets in memory: the one rate limiter, for intake's public forms and the development sign-in.

A bucket holds up to ``burst`` tokens and refills at ``per_minute``; each request takes one. Keys are
whatever the caller derives (always a keyed hash, never an address or a user name: nothing here is stored,
logged or traced). The table is bounded: past ``max_keys`` the bucket used least recently, which has
refilled the most, is forgotten. One process, one table: behind several replicas the limit is per replica.
"""

from __future__ import annotations

import math
from collections import OrderedDict
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
    def __init__(self, *, per_minute: float, burst: int, max_keys: int = 100_000,
                 clock: Callable[[], float] = monotonic) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def keys(self) -> list[str]:
        return list(self._buckets)

    def take(self, key: str) -> Verdict:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(True, 0)
        return Verdict(False, max(1, math.ceil((1.0 - bucket.tokens) / self._rate)))
