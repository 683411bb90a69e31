"""Derived topology: every host's interfaces, BGP sessions and OSPF areas, from one entry each.

A link's two ends take the first and second usable address of its subnet; a tunnel's hub end
takes the first and its spoke the second. Interface names follow the platform; `lab_name` is
the Linux name the same interface has when FRR plays the device in the lab. One function per
kind of interface (`host_interfaces`, `link_interfaces`, ...) yields each with its host's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from infra.inventory.models import Host, Link, Platform, Vlan, WanVpn

_SHORT = {
    "TenGigabitEthernet": "te",
    "GigabitEthernet": "ge",
    "FastEthernet": "fe",
    "Ethernet": "eth",
    "XGigabitEthernet": "xge",
    "GE": "ge",
    "XGE": "xge",
    "Eth-Trunk": "trunk",
    "Tunnel": "tun",
    "Port-channel": "po",
    "Vlanif": "vlan",
    "Vlan": "vlan",
    "Loopback": "lo",
    "LoopBack": "lo",
}
_NAME = re.compile(r"^([A-Za-z][A-Za-z-]*?)(\d+(?:[/.:]\d+)*)$")
_KERNEL_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,14}$")

# What an interface name looks like on each platform (an unknown shape is an error).
INTERFACE_PATTERNS: dict[Platform, re.Pattern[str]] = {
    Platform.CISCO_IOS: re.compile(
        r"^(GigabitEthernet|TenGigabitEthernet|FastEthernet|Ethernet|Port-channel)\d+(/\d+)*$"
    ),
    Platform.HUAWEI_VRP: re.compile(r"^(GigabitEthernet|XGigabitEthernet|Eth-Trunk)\d+(/\d+)*$"),
    Platform.FRR: _KERNEL_NAME,
    Platform.LINUX: _KERNEL_NAME,
}
EXAMPLE_INTERFACE = {
    Platform.CISCO_IOS: "GigabitEthernet0/0/1",
    Platform.HUAWEI_VRP: "GigabitEthernet0/0/1",
    Platform.FRR: "eth1",
    Platform.LINUX: "eth1",
}


@cache  # the same few dozen names repeat on thousands of devices
def lab_ifname(name: str) -> str:
    """The Linux interface name (<= 15 chars) that stands for a device interface in the lab."""
    if _KERNEL_NAME.match(name):
        return name
    m = _NAME.match(name)
    if not m:
        return re.sub(r"[^a-z0-9]", "", name.lower())[:15]
    prefix = _SHORT.get(m.group(1), m.group(1).lower()[:4])
    return (prefix + re.sub(r"[/.:]", "-", m.group(2)))[:15]


def mgmt_ifname(platform: Platform) -> str:
    return {Platform.CISCO_IOS: "GigabitEthernet0/0", Platform.HUAWEI_VRP: "MEth0/0/1"}.get(platform, "mgmt0")


def loopback_ifname(platform: Platform) -> str:
    return {Platform.CISCO_IOS: "Loopback0", Platform.HUAWEI_VRP: "LoopBack0"}.get(platform, "lo")


def tunnel_ifname(platform: Platform, number: int) -> str:
    return {Platform.CISCO_IOS: f"Tunnel{number}", Platform.HUAWEI_VRP: f"Tunnel0/0/{number}"}.get(
        platform, f"wg{number}"
    )


def svi_ifname(platform: Platform, vlan: int) -> str:
    return {Platform.CISCO_IOS: f"Vlan{vlan}", Platform.HUAWEI_VRP: f"Vlanif{vlan}"}.get(
        platform, f"vlan{vlan}"
    )


def end_addresses(subnet: IPv4Network) -> tuple[IPv4Interface, IPv4Interface]:
    """Addresses of the a-end and b-end: the two addresses of a /31, else the first two hosts."""
    base = int(subnet.network_address)
    first = base if subnet.prefixlen == 31 else base + 1
    return IPv4Interface((first, subnet.prefixlen)), IPv4Interface((first + 1, subnet.prefixlen))


def gateway_address(subnet: IPv4Network) -> IPv4Interface:
    return IPv4Interface((int(subnet.network_address) + 1, subnet.prefixlen))


@dataclass(frozen=True, kw_only=True)
class Interface:
    """One interface of a host, derived from a link, a tunnel, a VLAN, or the host itself."""

    name: str
    lab_name: str
    kind: str  # mgmt | loopback | p2p | carrier_access | campus_uplink | tunnel | svi | service | lan
    address: IPv4Interface | None
    peer_host: str | None = None
    peer_interface: str | None = None
    peer_address: IPv4Address | None = None
    link_id: str | None = None
    ospf_area: int | None = None
    bgp: bool = False
    bandwidth_mbps: int | None = None
    vlan: int | None = None
    description: str = ""


Placed = tuple[str, Interface]  # an interface and the name of the host that has it


def host_interfaces(hosts: Iterable[Host], mgmt_prefixlen: int) -> Iterator[Placed]:
    """Every host's management interface, and its loopback when it has one."""
    for h in hosts:
        yield (
            h.name,
            Interface(
                name=mgmt_ifname(h.platform),
                lab_name="mgmt0",
                kind="mgmt",
                address=IPv4Interface((int(h.mgmt_address), mgmt_prefixlen)),
                description="out-of-band management",
            ),
        )
        if h.loopback:
            yield (
                h.name,
                Interface(
                    name=loopback_ifname(h.platform),
                    lab_name="lo",
                    kind="loopback",
                    address=h.loopback,
                    description="router id, tunnel and BGP source",
                ),
            )


def link_interfaces(hosts: Mapping[str, Host], links: Iterable[Link]) -> Iterator[Placed]:
    """Both ends of every link (an end on a host the inventory lacks is left out)."""
    for link in links:
        a_addr, b_addr = end_addresses(link.subnet)
        for end, addr, other, other_addr in (
            (link.a, a_addr, link.b, b_addr),
            (link.b, b_addr, link.a, a_addr),
        ):
            if end.host not in hosts:
                continue
            yield (
                end.host,
                Interface(
                    name=end.interface,
                    lab_name=lab_ifname(end.interface),
                    kind=link.kind,
                    address=addr,
                    peer_host=other.host,
                    peer_interface=other.interface,
                    peer_address=other_addr.ip,
                    link_id=link.id,
                    ospf_area=link.ospf_area,
                    bgp=link.bgp,
                    bandwidth_mbps=link.bandwidth_mbps,
                    description=link.description or f"{link.kind} to {other.host} {other.interface}",
                ),
            )


def tunnel_interfaces(
    hosts: Mapping[str, Host], wan_vpn: WanVpn | None, numbers: Mapping[str, int]
) -> Iterator[Placed]:
    """The hub's end and the spoke's end of every WAN-VPN tunnel whose hub and spoke are hosts.
    The hub's interface is numbered after the tunnel (`numbers`: tunnel id -> number); a spoke has one."""
    if wan_vpn is None:
        return
    hub = hosts.get(wan_vpn.hub)
    for t in wan_vpn.tunnels:
        spoke = hosts.get(t.spoke)
        if not hub or not spoke:
            continue
        n = numbers[t.id]
        hub_addr, spoke_addr = end_addresses(t.subnet)
        hub_if = tunnel_ifname(hub.platform, n)
        spoke_if = tunnel_ifname(spoke.platform, 0)
        end = partial(
            Interface, kind="tunnel", link_id=t.id, ospf_area=t.ospf_area, bandwidth_mbps=t.bandwidth_mbps
        )
        yield (
            hub.name,
            end(
                name=hub_if,
                lab_name=f"wg{n}",
                address=hub_addr,
                peer_host=spoke.name,
                peer_interface=spoke_if,
                peer_address=spoke_addr.ip,
                description=f"WAN-VPN to {spoke.name}",
            ),
        )
        yield (
            spoke.name,
            end(
                name=spoke_if,
                lab_name="wg0",
                address=spoke_addr,
                peer_host=hub.name,
                peer_interface=hub_if,
                peer_address=hub_addr.ip,
                description=f"WAN-VPN to hub {hub.name}",
            ),
        )


def svi_interfaces(hosts: Mapping[str, Host], vlans: Iterable[Vlan]) -> Iterator[Placed]:
    """The SVI of every VLAN on its gateway, holding the subnet's first address."""
    for v in vlans:
        gw = hosts.get(v.gateway)
        if gw:
            yield (
                gw.name,
                Interface(
                    name=svi_ifname(gw.platform, v.id),
                    lab_name=f"vlan{v.id}",
                    kind="svi",
                    address=gateway_address(v.subnet),
                    link_id=f"vlan{v.id}@{v.site}",
                    ospf_area=v.ospf_area,
                    vlan=v.id,
                    description=f"{v.name} ({v.unit or v.site})",
                ),
            )


def network_interfaces(hosts: Iterable[Host]) -> Iterator[Placed]:
    """A host's interface on its service network, and a router's gateway on the LAN behind it."""
    for h in hosts:
        if h.service_address is not None:
            yield (
                h.name,
                Interface(
                    name="eth1",
                    lab_name="eth1",
                    kind="service",
                    address=h.service_address,
                    vlan=h.service_vlan,
                    description="service network",
                ),
            )
        if h.lan is not None:
            yield (
                h.name,
                Interface(
                    name="lan",
                    lab_name="lan0",
                    kind="lan",
                    address=gateway_address(h.lan),
                    description=f"{h.site} LAN",
                ),
            )


@dataclass(frozen=True)
class BgpSession:
    """A BGP session seen from one side."""

    peer_host: str
    peer_address: IPv4Address
    local_address: IPv4Address
    remote_as: int
    link_id: str
    interface: str
