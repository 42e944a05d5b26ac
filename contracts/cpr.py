"""The keyed hash of a CPR number that routing stores and sends in events instead of the number itself.

Pure, shared by every service that must find a person by CPR number without keeping the number: routing
computes it when a concern arrives, audit when an auditor searches the log. Both must hold the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

CPR_PATTERN = re.compile(r"^[0-9]{6}-?[0-9]{4}$")


def normalise_cpr(text: str) -> str | None:
    """``"010203-1234"`` or ``" 0102031234 "`` as ten digits; None when it is not a CPR number."""
    value = text.strip().replace(" ", "")
    return value.replace("-", "") if CPR_PATTERN.match(value) else None


def cpr_hmac(key: bytes, cpr: str) -> str:
    """HMAC-SHA256 of the ten digits, hex: the same value as routing's ``cpr_hmac(cpr, key)``."""
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()
