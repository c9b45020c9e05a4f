"""Where a webhook may go: http(s) URLs whose host resolves to public addresses only.

A photographer types the URL, so without this guard an endpoint could make the server
call its own network (the database, a cloud metadata service at 169.254.169.254, admin
ports on localhost). The host is resolved when each delivery is sent, every address it
resolves to must be public (not private, loopback, link-local, shared, reserved or
multicast; IPv4-mapped IPv6 judged as IPv4), and the request then goes to that checked
address (the Host header and TLS name stay the URL's), so a DNS answer that changes
between the check and the connection can't slip past it. ``MINIS_WEBHOOKS_ALLOW_PRIVATE``
lifts the address rule for deployments that send to their own network (and tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class AddressRefused(Exception):
    """The URL may not be called; the message says why, for the delivery log."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as in the URL (Host header, TLS name)
    port: int
    address: str  # the checked IP address to connect to
    target: str  # path and query


def check_url(url: str) -> str | None:
    """Why ``url`` can't be an endpoint (its form only), or None."""
    if len(url) > 2000:
        return "Use a URL of at most 2,000 characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "That isn't a valid URL."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Use an http:// or https:// URL."
    if parts.username or parts.password:
        return "Leave the user name and password out of the URL."
    if port == 0:
        return "That port can't be used."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "A URL has no spaces or control characters."
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Destination:
    """The URL's destination with a checked address; AddressRefused when it may not be called."""
    problem = check_url(url)
    if problem:
        raise AddressRefused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"{host} could not be resolved ({exc})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise AddressRefused(f"{host} has no address")
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise AddressRefused(
                f"{host} resolves to {refused[0]}, a private or local address: webhooks only "
                "go to public addresses (MINIS_WEBHOOKS_ALLOW_PRIVATE allows others)"
            )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(parts.scheme, host, port, addresses[0], target)
