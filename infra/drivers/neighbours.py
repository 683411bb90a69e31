"""Which routing neighbours are up, read per platform: OSPF in Full state, BGP Established.

Each reader returns a set of `Adjacency`: the neighbour's address, and whatever else the device
tells about who it is (its router id for OSPF, its hostname for FRR's BGP) and where (the local
interface for OSPF). Verification matches an adjacency by any of these, so an adjacency that
comes back at a new address after a readdressing is still recognised as the same neighbour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Show = Callable[[str], str]
IP = r"\d+\.\d+\.\d+\.\d+"


@dataclass(frozen=True)
class Adjacency:
    """One routing adjacency that is up, as the device shows it."""

    protocol: str  # "ospf" | "bgp"
    address: str  # the neighbour's address on the shared link ("" when the device hides it)
    interface: str = ""  # the local interface (OSPF)
    router_id: str = ""  # the neighbour's router id (OSPF neighbour id), when shown
    hostname: str = ""  # the neighbour's hostname (FRR's BGP hostname capability), when shown

    def __str__(self) -> str:
        who = self.hostname or self.router_id or self.address
        where = f" on {self.interface}" if self.interface else ""
        return f"{self.protocol.upper()} neighbour {who} ({self.address or '?'}{where})"


Adjacencies = frozenset[Adjacency]


def _json(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def frr(show: Show) -> Adjacencies:
    up: set[Adjacency] = set()
    data = _json(show("show ip ospf neighbor json"))
    neighbours = data.get("neighbors") if isinstance(data, dict) else None
    for router_id, entries in (neighbours or {}).items():
        for n in entries if isinstance(entries, list) else [entries]:
            if str(n.get("nbrState") or n.get("state") or "").startswith("Full"):
                address = str(n.get("ifaceAddress") or n.get("address") or "")
                interface = str(n.get("ifaceName") or "").split(":", 1)[0]
                up.add(Adjacency("ospf", address, interface, str(router_id)))
    data = _json(show("show bgp summary json"))
    for af in data.values() if isinstance(data, dict) else ():
        peers = af.get("peers") if isinstance(af, dict) else None
        for address, p in (peers or {}).items():
            if str(p.get("state", "")) == "Established":
                up.add(Adjacency("bgp", address, hostname=str(p.get("hostname") or "")))
    return frozenset(up)


def cisco_ios(show: Show) -> Adjacencies:
    up: set[Adjacency] = set()
    row = re.compile(rf"^({IP})\s+\d+\s+FULL/\s*\S+\s+\S+\s+({IP})\s+(\S+)\s*$", re.M)
    for m in row.finditer(show("show ip ospf neighbor")):
        up.add(Adjacency("ospf", m.group(2), m.group(3), m.group(1)))
    bgp_row = re.compile(rf"^({IP})\s+4\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+\d+\s*$", re.M)
    for m in bgp_row.finditer(show("show ip bgp summary")):
        up.add(Adjacency("bgp", m.group(1)))
    return frozenset(up)


def huawei_vrp(show: Show) -> Adjacencies:
    """VRP's brief view shows the local interface and the neighbour's router id, no address."""
    up: set[Adjacency] = set()
    for m in re.finditer(rf"^\s*\S+\s+(\S+)\s+({IP})\s+Full\s*$", show("display ospf peer brief"), re.M):
        up.add(Adjacency("ospf", "", m.group(1), m.group(2)))
    for m in re.finditer(rf"^\s*({IP})\s+4\s+\d+\s.*\bEstablished\b", show("display bgp peer"), re.M):
        up.add(Adjacency("bgp", m.group(1)))
    return frozenset(up)
