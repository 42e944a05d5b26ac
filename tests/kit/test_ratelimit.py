"""The kit's token buckets: the table stays bounded by forgetting the bucket used least recently."""

from __future__ import annotations

from infohus.kit.ratelimit import TokenBucketLimiter, Verdict


def test_past_the_bound_the_bucket_used_least_recently_is_forgotten() -> None:
    limiter = TokenBucketLimiter(per_minute=1, burst=1, max_keys=2, clock=lambda: 0.0)
    assert limiter.take("busy") == Verdict(True, 0)
    assert limiter.take("idle") == Verdict(True, 0)
    assert limiter.take("busy") == Verdict(False, 60)  # now the most recently used
    limiter.take("new")
    assert limiter.keys() == ["busy", "new"]
    assert limiter.take("busy") == Verdict(False, 60), "a busy client is not let off by newcomers"
