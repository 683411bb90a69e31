"""Semantic checks of a typed inventory: what YAML and types cannot see.

One function per topic, run in `TOPICS` order: names, hosts, addresses, subnets, links,
WAN-VPN, VLANs, service addresses, then the video-conference system and its credentials
(`checks_vc.py`). Routing parameters that neighbours disagree on are checked per link and
tunnel (`_routing`). Each problem names the host and the field, and points at the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network

from infra.inventory.checks_vc import check_codec_credentials, check_vc_endpoints, check_vc_system
from infra.inventory.errors import Add, Problem
from infra.inventory.inventory import Inventory
from infra.inventory.models import FACILITY_ROLES, ROUTING_ROLES, Platform, Role, Vlan
from infra.inventory.topology import EXAMPLE_INTERFACE, INTERFACE_PATTERNS

RESERVED_VLANS = range(1002, 1006)  # Cisco's legacy FDDI/Token Ring VLANs
_ENTRY = re.compile(r"^(?:links|wan_vpn\.tunnels)\[([^\]]+)\]")  # a link's or tunnel's field


def check(inv: Inventory) -> list[Problem]:
    found = _Found(inv)
    for topic in TOPICS:
        topic(inv, found.add)
    return found.problems


class _Found:
    """The problems found so far, each placed at the file and line its field was written on."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.problems: list[Problem] = []

    def add(self, msg: str, host: str | None, fld: str, key: str | None = None) -> None:
        f, line = self._where(host, key or fld.split(".")[0].split("[")[0], fld)
        self.problems.append(Problem(msg, f, line, host, fld))

    def _where(self, host: str | None, key: str, fld: str) -> tuple[str | None, int | None]:
        o = (self.inv.host_origins.get(host, {}) if host else self.inv.all_origins).get(key)
        if o is None:
            return None, None
        entry = _ENTRY.match(fld)  # a link or tunnel: point at its `id:` line, not at `links:`
        line = o.entry(entry.group(1)).line if entry else 0
        return o.file, line or o.line


def _names(inv: Inventory, add: Add) -> None:
    """Hostnames that differ only by case collide in DNS, backups and lab namespaces."""
    seen_names: dict[str, str] = {}
    for name in inv.hosts:
        low = name.lower()
        if low in seen_names:
            add(f"hostname duplicates {seen_names[low]!r} (names are case-insensitive)", name, "name")
        seen_names[low] = name
        if len(name) > 40 or not all(c.isalnum() or c in "-_." for c in name):
            add("hostname must be <= 40 letters, digits, '-', '_' or '.'", name, "name")


def _hosts(inv: Inventory, add: Add) -> None:
    """What a host's role asks of it: a known site, a loopback, a recording in the lab."""
    for name, h in inv.hosts.items():
        if h.site not in inv.sites:
            add(f"site {h.site!r} is not defined under sites", name, "site")
        if h.role in ROUTING_ROLES and h.loopback is None:
            add(f"a {h.role} needs a loopback (router id)", name, "loopback")
        if h.role in FACILITY_ROLES and not h.snmp_recording and inv.province.lab:
            add("a facility device of a lab province needs snmp_recording", name, "snmp_recording")


def _addresses(inv: Inventory, add: Add) -> None:
    """Every address used once (compared as integers: 40,000 of them at 5,000 hosts)."""
    owners: dict[int, str] = {}
    management = inv.pools.management
    for name, ifaces in inv.interfaces.items():
        for i in ifaces:
            if i.address is None or i.kind == "lan":
                continue
            ip, owner = int(i.address), f"{name} {i.name}"
            seen = owners.setdefault(ip, owner)
            if seen != owner:
                add(
                    f"address {i.address.ip} ({i.kind} {i.name}) is already used by {seen}",
                    name,
                    "ansible_host" if i.kind == "mgmt" else i.kind,
                )
        mgmt = inv.hosts[name].mgmt_address
        if mgmt not in management:
            add(
                f"management address {mgmt} is outside the management pool {management}", name, "ansible_host"
            )


def _subnets(inv: Inventory, add: Add) -> None:
    """No overlaps between links, tunnels, VLANs and LANs; all inside the province's space."""
    subnets: list[_Subnet] = []
    for link in inv.links:
        subnets.append(_Subnet.of(link.subnet, f"link {link.id}", None, "links"))
    for t in inv.wan_vpn.tunnels if inv.wan_vpn else ():
        subnets.append(_Subnet.of(t.subnet, f"tunnel {t.id}", None, "wan_vpn"))
    for v in inv.vlans:
        subnets.append(_Subnet.of(v.subnet, f"VLAN {v.id} at {v.site}", None, "vlans"))
    for name, h in inv.hosts.items():
        if h.lan:
            subnets.append(_Subnet.of(h.lan, f"LAN of {name}", name, "lan"))
        if h.loopback:
            subnets.append(_Subnet.of(h.loopback.network, f"loopback of {name}", name, "loopback"))
    subnets.append(_Subnet.of(inv.pools.management, "management pool", None, "address_pools"))
    subnets.sort(key=lambda s: (s.first, -s.net.prefixlen))
    for one, other in _overlaps(subnets):
        add(f"{one.what} {one.net} overlaps {other.what} {other.net}", one.host, one.key)
    space = _Subnet.of(inv.pools.lab_space, "", None, "")
    for sub in subnets:
        if not (space.first <= sub.first and sub.last <= space.last):
            add(
                f"{sub.what} {sub.net} is outside the province's address space {space.net}", sub.host, sub.key
            )


def _links(inv: Inventory, add: Add) -> None:
    """Links: known hosts, valid interface names, each interface once, routing that agrees."""
    used: dict[tuple[str, str], str] = {}
    link_ids: set[str] = set()
    for link in inv.links:
        if link.id in link_ids:
            add(f"link id {link.id!r} is used twice", None, f"links[{link.id}].id", "links")
        link_ids.add(link.id)
        if link.subnet.num_addresses < 2 or link.subnet.prefixlen > 31:
            add(
                f"link subnet {link.subnet} has no room for two ends",
                None,
                f"links[{link.id}].subnet",
                "links",
            )
        for side, end in (("a", link.a), ("b", link.b)):
            fld = f"links[{link.id}].{side}"
            host = inv.hosts.get(end.host)
            if host is None:
                add(f"link {link.id} names unknown host {end.host!r}", None, fld, "links")
                continue
            pattern = INTERFACE_PATTERNS.get(host.platform)
            if pattern and not pattern.match(end.interface):
                add(
                    f"link {link.id}: {end.interface!r} is not an interface of a {host.platform} device "
                    f"(e.g. {EXAMPLE_INTERFACE[host.platform]})",
                    end.host,
                    fld,
                    "links",
                )
            if host.platform in (Platform.SNMP, Platform.CISCO_TP):
                add(f"link {link.id}: a {host.platform} device has no routed links", end.host, fld, "links")
            key = (end.host, end.interface)
            if key in used:
                add(
                    f"interface {end.interface} of {end.host} is used by link {used[key]} and link {link.id}",
                    end.host,
                    fld,
                    "links",
                )
            used[key] = link.id
        if link.a.host == link.b.host:
            add(f"link {link.id} connects {link.a.host} to itself", link.a.host, f"links[{link.id}]", "links")
        _routing(inv, link.id, link.a.host, link.b.host, link.ospf_area, link.bgp, add)


def _wan_vpn(inv: Inventory, add: Add) -> None:
    """WAN-VPN: a known hub, known spokes, one tunnel per spoke, each number once, routing that agrees."""
    if not inv.wan_vpn:
        return
    hub = inv.hosts.get(inv.wan_vpn.hub)
    if hub is None:
        add(
            f"WAN-VPN hub {inv.wan_vpn.hub!r} is not a host of the inventory",
            None,
            "wan_vpn.hub",
            "wan_vpn",
        )
    numbers: dict[int, str] = {}
    spokes: dict[str, str] = {}
    for t in inv.wan_vpn.tunnels:
        fld = f"wan_vpn.tunnels[{t.id}]"
        if t.spoke not in inv.hosts:
            add(f"tunnel {t.id} names unknown spoke {t.spoke!r}", None, fld, "wan_vpn")
        if t.number in numbers:
            add(
                f"tunnel {t.id} reuses number {t.number} of tunnel {numbers[t.number]}",
                None,
                fld,
                "wan_vpn",
            )
        if t.spoke in spokes:
            add(f"spoke {t.spoke} already has tunnel {spokes[t.spoke]}", t.spoke, fld, "wan_vpn")
        numbers[t.number] = t.id
        spokes[t.spoke] = t.id
        if hub and t.spoke in inv.hosts:
            _routing(inv, t.id, hub.name, t.spoke, t.ospf_area, False, add)


def _routing(inv: Inventory, ident: str, a: str, b: str, area: int | None, bgp: bool, add: Add) -> None:
    """Routing on one link or tunnel: both ends' OSPF timers agree; BGP joins two different ASes."""
    ha, hb = inv.hosts.get(a), inv.hosts.get(b)
    if not ha or not hb:
        return
    if area is not None and (ha.ospf.hello_interval, ha.ospf.dead_interval) != (
        hb.ospf.hello_interval,
        hb.ospf.dead_interval,
    ):
        add(
            f"OSPF timers differ on {ident}: "
            f"{a} hello/dead {ha.ospf.hello_interval}/{ha.ospf.dead_interval}, "
            f"{b} {hb.ospf.hello_interval}/{hb.ospf.dead_interval}: the adjacency would never form",
            b,
            "ospf",
        )
    if bgp:
        for h in (ha, hb):
            if h.bgp_asn is None:
                add(f"BGP on link {ident} but {h.name} has no bgp_asn", h.name, "bgp_asn")
        if ha.bgp_asn is not None and ha.bgp_asn == hb.bgp_asn:
            add(
                f"BGP on link {ident} joins {a} and {b} in the same AS {ha.bgp_asn}; iBGP over a "
                "point-to-point link is not part of this design",
                b,
                "bgp_asn",
            )


def _vlans(inv: Inventory, add: Add) -> None:
    """VLANs: range and uniqueness per site, gateways and access switches known."""
    per_site: dict[tuple[str, int], str] = {}
    for v in inv.vlans:
        fld = f"vlans[{v.id}@{v.site}]"
        if v.id in RESERVED_VLANS:
            add(f"VLAN {v.id} is reserved (1002-1005)", None, fld, "vlans")
        if v.id == 1:
            add("VLAN 1 must not carry hosts or management (STIG)", None, fld, "vlans")
        if (v.site, v.id) in per_site:
            add(
                f"VLAN {v.id} is defined twice at site {v.site} ({per_site[(v.site, v.id)]} and {v.name})",
                None,
                fld,
                "vlans",
            )
        per_site[(v.site, v.id)] = v.name
        if v.site not in inv.sites:
            add(f"VLAN {v.id} names unknown site {v.site!r}", None, fld, "vlans")
        for member in (v.gateway, *v.access_switches):
            if member not in inv.hosts:
                add(f"VLAN {v.id} names unknown host {member!r}", None, fld, "vlans")


def _service_addresses(inv: Inventory, add: Add) -> None:
    """A host's service address lies in its service VLAN at its site (endpoints: on their LAN)."""
    vlan_at: dict[tuple[str, int | None], Vlan] = {}
    for v in inv.vlans:
        vlan_at.setdefault((v.site, v.id), v)
    for name, h in inv.hosts.items():
        if h.service_address is not None and h.role != Role.VC_ENDPOINT:  # endpoints: on their LAN
            vlan = vlan_at.get((h.site, h.service_vlan))
            if vlan is None:
                add(f"service_vlan {h.service_vlan} is not a VLAN of site {h.site}", name, "service_vlan")
            elif h.service_address.ip not in vlan.subnet:
                add(
                    f"service address {h.service_address} is outside VLAN {h.service_vlan} ({vlan.subnet})",
                    name,
                    "service_address",
                )


# The topics in the order their problems are reported.
TOPICS: tuple[Callable[[Inventory, Add], None], ...] = (
    _names,
    _hosts,
    _addresses,
    _subnets,
    _links,
    _wan_vpn,
    _vlans,
    _service_addresses,
    check_vc_system,
    check_codec_credentials,
    check_vc_endpoints,
)


@dataclass(frozen=True, slots=True)
class _Subnet:
    net: IPv4Network
    first: int
    last: int
    what: str
    host: str | None
    key: str

    @classmethod
    def of(cls, net: IPv4Network, what: str, host: str | None, key: str) -> _Subnet:
        first = int(net.network_address)
        return cls(net, first, first + net.num_addresses - 1, what, host, key)


def _overlaps(items: list[_Subnet]) -> Iterator[tuple[_Subnet, _Subnet]]:
    """Pairs of overlapping subnets, in one pass over the list sorted by start address."""
    open_nets: list[_Subnet] = []
    for item in items:
        open_nets = [o for o in open_nets if o.last >= item.first]
        for o in open_nets:
            yield item, o
        open_nets.append(item)


__all__ = ["TOPICS", "check"]
