"""Verification after a push: no drift left, and no routing adjacency lost or missing.

Two kinds of adjacency must be up once the change has settled:

- **kept**: every adjacency that was up *before* the push, unless the intent deliberately
  removes it (its neighbour is no longer a neighbour of this device on that interface). It is
  matched by the neighbour's identity (inventory host, found from its router id, hostname or
  address), not by address: a readdressed link must come back, and a one-sided change that
  breaks it fails verification even though the intent never mentions the old address.
- **intended**: every adjacency the inventory implies (`inv.interfaces` with an OSPF area and a
  routing peer; `inv.bgp_sessions`) whose far end is configured by this run (same batch, or
  deployed earlier in it). A deploy never demands an adjacency whose far end it has not
  configured and that was not up before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from infra.drivers.neighbours import Adjacencies, Adjacency
from infra.inventory import Inventory
from infra.inventory.models import ROUTING_ROLES


@dataclass(frozen=True)
class Neighbour:
    """An adjacency the inventory implies for a device."""

    protocol: str  # "ospf" | "bgp"
    peer_host: str
    address: str  # the neighbour's address on the shared link
    interface: str  # the local interface (production name)
    lab_interface: str = ""  # the same interface's name on the lab's FRR stand-in
    router_id: str = ""  # the neighbour's router id (its loopback)

    def __str__(self) -> str:
        return f"{self.protocol.upper()} neighbour {self.peer_host} ({self.address} on {self.interface})"

    def on(self, interface: str) -> bool:
        """True for this neighbour's interface, by either name, or when none is known."""
        return not interface or interface in (self.interface, self.lab_interface)

    def seen_in(self, up: Iterable[Adjacency], who: PeerNames) -> bool:
        for a in up:
            if a.protocol != self.protocol:
                continue
            if a.address == self.address:
                return True
            if self.protocol == "ospf" and not a.address and self.on(a.interface):
                return True  # VRP's brief view: interface and router id, no address
        return False


@dataclass(frozen=True)
class Kept:
    """An adjacency that was up before the push and that the intent keeps."""

    before: Adjacency
    peer_host: str  # the inventory host behind it ("" when it is not in the inventory)

    @property
    def protocol(self) -> str:
        return self.before.protocol

    def __str__(self) -> str:
        who = self.peer_host or self.before.router_id or self.before.hostname or self.before.address
        where = f" on {self.before.interface}" if self.before.interface else ""
        return f"{self.protocol.upper()} neighbour {who} (up before the push{where})"

    def seen_in(self, up: Iterable[Adjacency], who: PeerNames) -> bool:
        mine = who.identity(self.before)
        for a in up:
            if a.protocol != self.protocol or who.identity(a) != mine:
                continue
            if self.protocol == "ospf" and self.before.interface and a.interface != self.before.interface:
                continue
            return True
        return False


Requirement = Neighbour | Kept


class PeerNames:
    """Who an adjacency is: the inventory host it leads to, found from what the device shows."""

    def __init__(self, inv: Inventory, host: str, intended: list[Neighbour]) -> None:
        self._by_router_id = {
            str(h.loopback.ip) if h.loopback else str(h.mgmt_address): h.name for h in inv.hosts.values()
        }
        self._by_address = {(n.protocol, n.address): n.peer_host for n in intended}
        self._hosts = inv.hosts

    def host_of(self, a: Adjacency) -> str:
        if a.hostname in self._hosts:
            return a.hostname
        if a.router_id:  # the device says who it is: an unknown router id is a stranger
            return self._by_router_id.get(a.router_id, "")
        return self._by_address.get((a.protocol, a.address), "")

    def identity(self, a: Adjacency) -> str:
        return self.host_of(a) or a.router_id or a.hostname or a.address


def intended_neighbours(inv: Inventory, host: str) -> list[Neighbour]:
    out: list[Neighbour] = []

    def router_id(name: str) -> str:
        h = inv.hosts[name]
        return str(h.loopback.ip) if h.loopback else str(h.mgmt_address)

    for i in inv.interfaces[host]:
        if i.ospf_area is None or not i.peer_host or i.peer_address is None:
            continue
        peer = inv.hosts.get(i.peer_host)
        if peer and peer.role in ROUTING_ROLES and peer.is_network_device:
            out.append(
                Neighbour(
                    "ospf", i.peer_host, str(i.peer_address), i.name, i.lab_name, router_id(i.peer_host)
                )
            )
    lab_names = {i.name: i.lab_name for i in inv.interfaces[host]}
    for s in inv.bgp_sessions[host]:
        peer = inv.hosts.get(s.peer_host)
        if peer and peer.is_network_device:
            out.append(
                Neighbour(
                    "bgp",
                    s.peer_host,
                    str(s.peer_address),
                    s.interface,
                    lab_names.get(s.interface, ""),
                    router_id(s.peer_host),
                )
            )
    return out


def kept_adjacencies(before: Adjacencies, intended: list[Neighbour], who: PeerNames) -> list[Kept]:
    """The adjacencies up before the push that the intent does not remove."""
    kept: list[Kept] = []
    for a in sorted(before, key=lambda a: (a.protocol, a.interface, a.address)):
        peer = who.host_of(a)
        same_protocol = [n for n in intended if n.protocol == a.protocol]
        if peer:
            still = any(
                n.peer_host == peer and (a.protocol == "bgp" or n.on(a.interface)) for n in same_protocol
            )
        elif a.protocol == "ospf":  # a router outside the inventory: kept while OSPF runs there
            still = any(n.on(a.interface) for n in same_protocol) or not a.interface
        else:
            still = any(n.address == a.address for n in same_protocol)
        if still:
            kept.append(Kept(a, peer))
    return kept


def required_after(
    before: Adjacencies,
    intended: list[Neighbour],
    who: PeerNames,
    configured_in_run: Callable[[str], bool],
) -> list[Requirement]:
    """Everything that must be up after the push: kept adjacencies, and the intended ones whose
    far end this run configures (an intended one replaces a kept one to the same neighbour:
    it is the stricter of the two, naming the address the intent wants)."""
    checked = [n for n in intended if configured_in_run(n.peer_host)]
    wanted: list[Requirement] = list(checked)
    for k in kept_adjacencies(before, intended, who):
        if not any(_same_peer(n, k) for n in checked):
            wanted.append(k)
    return wanted


def _same_peer(n: Neighbour, k: Kept) -> bool:
    if not k.peer_host or n.protocol != k.protocol or n.peer_host != k.peer_host:
        return False
    return n.protocol == "bgp" or n.on(k.before.interface)


def settle_time(inv: Inventory, host: str, remediation: tuple[str, ...], routing: bool) -> float:
    """How long a change must be given before adjacencies are judged: an OSPF change (keys,
    timers, addresses) can break an adjacency that stays Full until the dead interval runs out."""
    touches = any("ospf" in line or "ip address" in line for line in remediation)
    return float(inv.hosts[host].ospf.dead_interval) if touches and routing else 0.0


def _never(n: Requirement) -> bool:
    return False


def missing_neighbours(
    state: Callable[[], Adjacencies],
    expected: list[Requirement],
    wait_s: float,
    who: PeerNames | None = None,
    poll_s: float = 0.5,
    settle_s: float = 0.0,
    excused: Callable[[Requirement], bool] = _never,
    pending: Callable[[Requirement], bool] = _never,
    deadline: float = float("inf"),
) -> list[Requirement]:
    """The expected adjacencies not up once `settle_s` has passed, after waiting up to `wait_s`.

    One whose far end failed in this run is `excused` (not this device's fault). While the far
    end is still being deployed (`pending`: queued behind --forks, or pushing), waiting goes on
    up to twice `wait_s`, never past `deadline` (the revert timer must not fire during
    verification). If the far end is still pending then, the adjacency is left to the far end's
    own verification, which expects this device (it is in the same batch): every adjacency is
    still checked by one of its ends, and a hub is not rolled back for its last spoke's delay.
    """
    if settle_s > 0:
        time.sleep(settle_s)
    names = who if who is not None else _NO_NAMES
    start = time.monotonic()
    while True:
        up = state()
        missing = [n for n in expected if not n.seen_in(up, names) and not excused(n)]
        waited = time.monotonic() - start
        if not missing or (waited >= wait_s and not any(map(pending, missing))):
            return missing
        if waited >= 2 * wait_s or time.monotonic() >= deadline:
            return [n for n in missing if not pending(n)]
        time.sleep(poll_s)


class _NoNames(PeerNames):
    def __init__(self) -> None:
        self._by_router_id, self._by_address, self._hosts = {}, {}, {}  # type: ignore[assignment]


_NO_NAMES = _NoNames()
