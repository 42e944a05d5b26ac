"""Which reverse proxies may tell a service the client's address (``X-Forwarded-For``).

Every service trusts forwarded headers only from the addresses in ``INFOHUS_<SERVICE>_TRUSTED_PROXIES``
(addresses or CIDR blocks; empty, the default, trusts none). ``infohus serve`` hands the list to uvicorn,
and :func:`client_address` applies the same rule where a service keys something on the client, so a
header sent by anyone else is ignored and a client cannot pick its own address by prepending values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR blocks; a malformed entry (or ``*``) is a ``ValueError``."""
    networks = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise ValueError(f"not an IP address or CIDR block: {text!r}") from error
    return tuple(networks)


class TrustedProxies:
    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks = parse_networks(entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.strip().removeprefix("[").removesuffix("]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded: Iterable[str]) -> str:
        """The client's address: the TCP peer unless it is a trusted proxy; then the right-most address
        in the forwarded chain that is not itself a trusted proxy (those left of it are the client's word)."""
        if not self.trusts(peer):
            return peer
        chain = [part.strip() for value in forwarded for part in value.split(",") if part.strip()]
        for hop in reversed(chain):
            if not self.trusts(hop):
                return hop
        return chain[0] if chain else peer


FORWARDED_FOR = b"x-forwarded-for"


def client_address(scope: Scope, proxies: TrustedProxies, header: bytes = FORWARDED_FOR) -> str:
    """The client address of an ASGI request under ``proxies`` (empty when the server gives none)."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if not proxies:
        return peer
    forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == header.lower()]
    return proxies.client(peer, forwarded)
