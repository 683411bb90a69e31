"""Derived topology: every host's interfaces, BGP sessions and OSPF areas, from one entry each.

A link's two ends take the first and second usable address of its subnet; a tunnel's hub end
takes the first and its spoke the second. Interface names follow the platform; `lab_name` is
the Linux name the same interface has when FRR plays the device in the lab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from infra.inventory.models import Platform

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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class BgpSession:
    """A BGP session seen from one side."""

    peer_host: str
    peer_address: IPv4Address
    local_address: IPv4Address
    remote_as: int
    link_id: str
    interface: str
