"""Keep mail addresses out of free-text reasons (SMTP replies can quote the recipient)."""

from __future__ import annotations

import re

_MAIL_ADDRESS = re.compile(r"[^\s<>@\"'(),;:]+@[^\s<>@\"'(),;:]+")


def mask_mail_addresses(text: str, replacement: str) -> str:
    """``text`` with everything that looks like a mail address replaced."""
    return _MAIL_ADDRESS.sub(replacement, text)
