"""Verification after a push: no drift left, the adjacencies the intent implies are up.

Expected OSPF neighbours come from `inv.interfaces` (every interface with an OSPF area and a
routing peer), expected BGP sessions from `inv.bgp_sessions`. A deploy never demands an
adjacency whose far end it has not configured: a neighbour is required when its peer is
deployed in the same batch, was deployed earlier in this run, or was already up before the push.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from infra.drivers import neighbours
from infra.inventory import Inventory
from infra.inventory.models import ROUTING_ROLES


@dataclass(frozen=True)
class Neighbour:
    protocol: str  # "ospf" | "bgp"
    peer_host: str
    address: str  # the neighbour's address on the shared link
    interface: str

    def __str__(self) -> str:
        return f"{self.protocol.upper()} neighbour {self.peer_host} ({self.address} on {self.interface})"


def intended_neighbours(inv: Inventory, host: str) -> list[Neighbour]:
    out: list[Neighbour] = []
    for i in inv.interfaces[host]:
        if i.ospf_area is None or not i.peer_host or i.peer_address is None:
            continue
        peer = inv.hosts.get(i.peer_host)
        if peer and peer.role in ROUTING_ROLES and peer.is_network_device:
            out.append(Neighbour("ospf", i.peer_host, str(i.peer_address), i.name))
    for s in inv.bgp_sessions[host]:
        peer = inv.hosts.get(s.peer_host)
        if peer and peer.is_network_device:
            out.append(Neighbour("bgp", s.peer_host, str(s.peer_address), s.interface))
    return out


def up_addresses(show: Callable[[str], str]) -> dict[str, set[str]]:
    """FRR's view (kept for callers holding only a `show`); drivers answer `neighbours_up()`."""
    return neighbours.frr(show)


def is_up(n: Neighbour, up: dict[str, set[str]]) -> bool:
    return n.address in up[n.protocol] or (n.protocol == "ospf" and n.interface in up["ospf"])


def settle_time(inv: Inventory, host: str, remediation: tuple[str, ...]) -> float:
    """How long a change must be given before adjacencies are judged: an OSPF change (keys,
    timers, addresses) can break an adjacency that stays Full until the dead interval runs out."""
    touches = any("ospf" in line or "ip address" in line for line in remediation)
    return float(inv.hosts[host].ospf.dead_interval) if touches and intended_neighbours(inv, host) else 0.0


def _never(n: Neighbour) -> bool:
    return False


def missing_neighbours(
    state: Callable[[], dict[str, set[str]]],
    expected: list[Neighbour],
    wait_s: float,
    poll_s: float = 0.5,
    settle_s: float = 0.0,
    excused: Callable[[Neighbour], bool] = _never,
    pending: Callable[[Neighbour], bool] = _never,
    deadline: float = float("inf"),
) -> list[Neighbour]:
    """The expected neighbours not up once `settle_s` has passed, after waiting up to `wait_s`.

    A neighbour whose far end failed in this run is `excused` (not this device's fault). While
    the far end is still being deployed (`pending`: queued behind --forks, or pushing), waiting
    goes on up to twice `wait_s`, never past `deadline` (the revert timer must not fire during
    verification). If the far end is still pending then, the adjacency is left to the far end's
    own verification, which expects this device (it is in the same batch): every adjacency is
    still checked by one of its ends, and a hub is not rolled back for its last spoke's delay.
    """
    if settle_s > 0:
        time.sleep(settle_s)
    start = time.monotonic()
    while True:
        up = state()
        missing = [n for n in expected if not is_up(n, up) and not excused(n)]
        waited = time.monotonic() - start
        if not missing or (waited >= wait_s and not any(map(pending, missing))):
            return missing
        if waited >= 2 * wait_s or time.monotonic() >= deadline:
            return [n for n in missing if not pending(n)]
        time.sleep(poll_s)
