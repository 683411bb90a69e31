"""Before infra contacts any device: a lab province only while its lab is up, and every secret.

A lab province (`province.lab: true` in group_vars/all/province.yml) uses addresses that exist
only in this machine's lab namespaces. `infra lab up` installs an `unreachable` route for the
province's whole address space (`address_pools.lab_space`) in the root namespace, so nothing
meant for the lab can leave the machine; after `infra lab down` that route is gone and a packet
to a lab address would follow the host's default route out. `require_lab_route` refuses such a
province unless the route is in place. A real province's inventory (no lab flag) is never
checked.

`ready_to_contact(inv)` is the one call every command that contacts devices makes first (the
CLI through `infra.cli.common.contacts_devices`, orchestration entry points directly); the
Netmiko drivers check the route again at each connection (`DeviceTarget.lab_space`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from infra.inventory import Inventory

PROC_ROUTES = Path("/proc/net/route")  # the main table of this process's network namespace
_RTF_GATEWAY = 0x0002


class LabNotUp(Exception):
    """A lab province's devices were about to be contacted while its lab is down."""


@dataclass(frozen=True)
class Route:
    network: IPv4Network
    device: str  # "" for a route that discards (unreachable, prohibit, blackhole)
    gateway: IPv4Address | None = None

    @property
    def discards(self) -> bool:
        return not self.device


RouteReader = Callable[[], Iterable[Route]]


def _ip(hex_le: str) -> IPv4Address:
    return IPv4Address(int.from_bytes(bytes.fromhex(hex_le), "little"))


def read_routes(path: Path = PROC_ROUTES) -> list[Route]:
    """IPv4 routes of the main table, as the kernel lists them in /proc/net/route (no `ip`
    process per check: the drivers check at every connection)."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return []
    routes = []
    for line in lines:
        f = line.split()
        if len(f) < 8:
            continue
        flags = int(f[3], 16)
        network = IPv4Network((int(_ip(f[1])), str(_ip(f[7]))), strict=False)
        gateway = _ip(f[2]) if flags & _RTF_GATEWAY else None
        routes.append(Route(network, "" if f[0] == "*" else f[0], gateway))
    return routes


def leak(space: IPv4Network, routes: Iterable[Route]) -> str | None:
    """Why packets to `space` could leave this machine, or None when they cannot.

    The space itself must be discarded (the route `infra lab up` installs), and no more
    specific route inside it may lead to a gateway (the lab's own management bridge is an
    on-link route and is fine).
    """
    routes = list(routes)
    exact = [r for r in routes if r.network == space]
    if not any(r.discards for r in exact):
        if exact:
            return f"{space} is routed {_way(exact[0])}"
        default = next((r for r in routes if r.network.prefixlen == 0), None)
        follows = f": it would follow the default route {_way(default)}" if default else ""
        return f"{space} has no unreachable route{follows}"
    for r in routes:
        if r.network != space and r.network.subnet_of(space) and r.gateway is not None:
            return f"{r.network} (inside {space}) is routed via {r.gateway} on {r.device}"
    return None


def _way(r: Route) -> str:
    return f"through {r.device}" + (f" via {r.gateway}" if r.gateway else "")


def require_blackholed(space: IPv4Network, routes: RouteReader | None = None) -> None:
    """Raise LabNotUp unless nothing sent to `space` can leave this machine (`routes`: the
    kernel's main table unless a test passes another reader)."""
    why = leak(space, (routes or read_routes)())
    if why is not None:
        raise LabNotUp(
            f"the lab is not up: {why}. This inventory is a lab province, so infra refuses to contact "
            "its devices: run `sudo infra lab up` first (a real province's inventory has no "
            "`province.lab: true`)"
        )


def require_lab_route(inv: Inventory, routes: RouteReader | None = None) -> None:
    """A lab province may be contacted only while the lab's unreachable route is in place."""
    if inv.province.lab:
        require_blackholed(inv.pools.lab_space, routes)


def ready_to_contact(inv: Inventory, routes: RouteReader | None = None) -> tuple[str, ...]:
    """Call before contacting any device of `inv`. Refuses a lab province whose lab is down
    (LabNotUp), resolves every secret (SecretUnavailable names each one that cannot be) and
    returns the secret values to keep out of logs, journal and backups."""
    require_lab_route(inv, routes)
    return inv.secrets.resolve_all()
