"""Who the client is behind a reverse proxy: RFC 7239 ``Forwarded`` from trusted peers.

``digest serve`` hands ``[web] trusted_proxies`` to uvicorn (``proxy_headers=True``,
``forwarded_allow_ips``), which takes the client from ``X-Forwarded-For`` when the
peer is one of them (addresses and CIDR ranges alike), and sets nothing otherwise.
Uvicorn does not read the standard ``Forwarded`` header, though, so
:class:`ForwardedClient` does that one, by the same rule and only when the request
has no ``X-Forwarded-For`` (uvicorn's answer stands then). ``X-Real-IP``,
``True-Client-IP`` and the like are read by nobody.

Why no library: Starlette has no proxy middleware, uvicorn's reads only
``X-Forwarded-For``, and the rule is short. It is written to be safe rather than
general: the value is read from the right, one hop at a time, and the first hop
that is not a trusted proxy is the client. The elements on the right are written
by our own proxies (addresses, ports and obfuscated names hold no comma, semicolon
or quote), so splitting on ``,`` and ``;`` is exact there; whatever a client wrote
on the left is reached only through a chain of trusted proxies, and a hop without
a usable ``for=`` (``unknown``, an obfuscated name) ends the walk with the peer's
own address kept.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(trusted: Sequence[str]) -> tuple[Network, ...]:
    """``[web] trusted_proxies`` (addresses or CIDR ranges) as networks."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _node_address(node: str) -> Address | None:
    """The address in a ``for=`` node: ``192.0.2.1``, ``"192.0.2.1:80"``, ``"[2001:db8::1]:80"``."""
    node = node.strip()
    if len(node) >= 2 and node[0] == node[-1] == '"':
        node = node[1:-1]
    if node.startswith("["):
        host, bracket, _port = node[1:].partition("]")
        return _address(host) if bracket else None
    if node.count(":") == 1:
        node = node.partition(":")[0]
    return _address(node)


def forwarded_client(value: str, networks: Sequence[Network]) -> str | None:
    """The client a ``Forwarded`` value names past our trusted proxies; None when it names none."""
    for element in reversed(value.split(",")):
        node = None
        for pair in element.split(";"):
            name, equals, raw = pair.partition("=")
            if equals and name.strip().lower() == "for":
                node = raw
                break
        address = _node_address(node) if node is not None else None
        if address is None:
            return None
        if not any(address in network for network in networks):
            return str(address)
    return None  # every hop is one of our proxies: the peer itself is the client


class ForwardedClient:
    """Sets the request's client from ``Forwarded`` when the peer is a trusted proxy."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str] = ()) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    def _trusted(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] in ("http", "websocket") else None
        if self.networks and client and self._trusted(client[0]):
            headers = scope.get("headers", [])
            if not any(name == b"x-forwarded-for" for name, _ in headers):
                values = [v.decode("latin-1") for name, v in headers if name == b"forwarded"]
                found = forwarded_client(",".join(values), self.networks) if values else None
                if found is not None:
                    scope = {**scope, "client": (found, 0)}
        await self.app(scope, receive, send)
