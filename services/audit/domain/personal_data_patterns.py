"""Text patterns that must not appear in the log: CPR numbers (I9) and network/device data (I10)."""

from __future__ import annotations

import ipaddress
import re

# ddmmyy-xxxx, ddmmyy xxxx or ten digits in a row. Dates are not checked: anything shaped like a CPR
# number is refused, since a false alarm costs a rewrite and a miss puts a CPR number in the log forever.
_CPR = re.compile(r"(?<!\d)\d{6}[-\s]?\d{4}(?!\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_TOKEN_SEPARATORS = re.compile(r"[\s,;<>()\[\]{}\"'|]+")
_USER_AGENT = re.compile(r"\b(?:Mozilla|AppleWebKit|Gecko|Chrome|Safari|Firefox|Edg|Opera)/\d", re.IGNORECASE)


def contains_cpr_number(text: str) -> bool:
    return _CPR.search(text) is not None


def contains_ip_address(text: str) -> bool:
    return any(_is_ipv4(match) for match in _IPV4.findall(text)) or any(
        _is_ipv6(token) for token in _TOKEN_SEPARATORS.split(text) if token.count(":") >= 2
    )


def contains_user_agent(text: str) -> bool:
    return _USER_AGENT.search(text) is not None


def _is_ipv4(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True
