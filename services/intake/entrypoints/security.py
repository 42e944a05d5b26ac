"""Keyed hashes of client addresses for the rate limiter.

Sign-in, CSRF tokens and the security headers come from the shared kit (``infohus.kit.auth``,
``infohus.kit.security_headers``); see docs/auth.md.
"""

from __future__ import annotations

import hashlib
import hmac


def client_key(salt: bytes, client_host: str) -> str:
    """A keyed hash of the client address, for the rate limiter only."""
    return hmac.new(salt, client_host.encode(), hashlib.sha256).hexdigest()[:32]
