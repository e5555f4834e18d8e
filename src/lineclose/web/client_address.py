"""Who is calling: the client address and scheme, believing forwarding headers only from trusted proxies.

Rate limits and the audit key on the client address, so a header any caller can write must not
choose it. `X-Forwarded-For` and `X-Forwarded-Proto` are read only when the connection comes from
an address in the `trusted_proxies` setting (default: none), and the `X-Forwarded-For` chain is
walked from the right: each hop is believed only while the hop after it is a trusted proxy. The
first untrusted hop is the client; the left of it is whatever the client chose to send.

`lineclose serve` turns uvicorn's own proxy-header handling off, so this is the only place the
headers are read (uvicorn would otherwise trust them from loopback).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 10.1.0.0/16, ::1` -> networks; a bad entry is a configuration error, raised."""
    networks: list[Network] = []
    for chunk in text.split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            networks.append(ipaddress.ip_network(chunk, strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted_proxies: {chunk!r} is not an address or network") from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: str | None, trusted: Iterable[Network]) -> bool:
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    """The caller's address: the peer itself unless it is a trusted proxy, then the rightmost
    `X-Forwarded-For` hop that is not a trusted proxy (or the leftmost hop if all are)."""
    if peer is None:
        return "unknown"
    if not forwarded_for or not is_trusted(peer, trusted):
        return peer
    current = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        parsed = _address(hop)
        if parsed is None:
            # A hop that is not an address was written by someone we do not trust: stop at
            # the last hop a trusted proxy vouched for.
            return current
        current = str(parsed)
        if not is_trusted(current, trusted):
            return current
    return current


def client_scheme(
    peer: str | None, scheme: str, forwarded_proto: str | None, trusted: tuple[Network, ...]
) -> str:
    """`https` when a trusted proxy says the client used TLS; the connection's own scheme otherwise."""
    if forwarded_proto and is_trusted(peer, trusted):
        said = forwarded_proto.split(",")[-1].strip().lower()
        if said in ("http", "https"):
            return said
    return scheme


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == name]
    return ",".join(values) if values else None


class TrustedProxyMiddleware:
    """Rewrites the ASGI scope's client and scheme once, so every route, page and limit reads
    `request.client.host` and `request.url.scheme` already resolved."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client: Any = scope.get("client")
            peer = client[0] if client else None
            if is_trusted(peer, self.trusted):
                scope = dict(scope)
                scope["client"] = (
                    client_address(peer, _header(scope, b"x-forwarded-for"), self.trusted),
                    0,
                )
                scope["scheme"] = client_scheme(
                    peer, scope["scheme"], _header(scope, b"x-forwarded-proto"), self.trusted
                )
        await self.app(scope, receive, send)
