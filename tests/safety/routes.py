"""A fake kernel route table for infra.safety, written the way `ip route` prints it."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from infra import safety
from infra.safety import Route

LAB_UP = ("default via 192.0.2.1 dev eth0", "unreachable 10.64.0.0/10", "10.127.0.0/16 dev infra-mgmt")
LAB_DOWN = ("default via 192.0.2.1 dev eth0", "192.0.2.0/24 dev eth0")


def route(text: str) -> Route:
    """`unreachable NET`, `blackhole NET`, `NET dev X`, `NET via GW dev X`, `default via GW dev X`."""
    words = text.split()
    if words[0] in ("unreachable", "blackhole", "prohibit"):
        return Route(IPv4Network(words[1]), "")
    net = IPv4Network("0.0.0.0/0" if words[0] == "default" else words[0])
    opts = dict(zip(words[1::2], words[2::2], strict=False))
    return Route(net, opts.get("dev", ""), IPv4Address(opts["via"]) if "via" in opts else None)


def table(*lines: str) -> list[Route]:
    return [route(line) for line in lines]


def fake_routes(monkeypatch: pytest.MonkeyPatch, *lines: str) -> list[int]:
    """Make every guard see this route table; returns a list that counts the reads."""
    reads: list[int] = []

    def read() -> list[Route]:
        reads.append(1)
        return table(*lines)

    monkeypatch.setattr(safety, "read_routes", read)
    return reads
