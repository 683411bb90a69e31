"""Which sections a section check examines: the path's sections, filtered by their children,
by the inventory's interface kinds, by names listed elsewhere (passive interfaces) and by the
networks of `network` statements their addresses fall in."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from infra.audit.compliance.catalogue import ChildMustHave, ChildMustNotHave, ChildValue
from infra.audit.compliance.parse import DeviceConfig
from infra.audit.compliance.tree import rx, walk
from infra.drivers.configtree import Node


@dataclass(frozen=True)
class Facts:
    """What the inventory knows about the device: interface name -> kind (p2p, carrier_access...)."""

    interface_kinds: dict[str, str] = field(default_factory=dict)


def _listed(device: DeviceConfig, path: list[str]) -> set[str]:
    """The names a path's last pattern lists with its (?P<name>) group (passive interfaces)."""
    if not path:
        return set()
    last = rx(path[-1])
    names = set()
    for n in walk(device, path):
        m = last.search(n.text)
        if m and "name" in m.groupdict():
            names.add(m["name"])
    return names


def select_sections(
    device: DeviceConfig, check: ChildMustHave | ChildMustNotHave | ChildValue, facts: Facts
) -> list[Node]:
    out = []
    where = [rx(w) for w in check.where]
    where_not = [rx(w) for w in check.where_not]
    keep_where = [rx(w) for w in check.keep_where]
    skipped = _listed(device, check.skip_listed)
    kept = (
        _listed(device, check.keep_listed) if check.skip_all_if and walk(device, check.skip_all_if) else None
    )
    networks = _networks(device, check.covered_by) if check.covered_by else None
    if networks == []:
        return []
    for node in walk(device, check.section):
        name = node.text.split(None, 1)[-1]
        if skipped and name in skipped:
            continue
        if networks is not None and not _covered(node, networks):
            continue
        children = [c.text for c in node.children]
        if kept is not None and name not in kept and not any(w.any_text(children) for w in keep_where):
            continue
        if any(not w.any_text(children) for w in where):
            continue
        if any(w.any_text(children) for w in where_not):
            continue
        if check.interface_kinds:
            name = node.text.split(None, 1)[1] if " " in node.text else ""
            if facts.interface_kinds.get(name) not in check.interface_kinds:
                continue
        out.append(node)
    return out


Network = tuple[int, int]  # (address, wildcard bits) as integers


def _networks(device: DeviceConfig, path: list[str]) -> list[Network]:
    """The IPv4 networks named by the last pattern of `path` (OSPF `network` statements: IOS and
    VRP write an address and a wildcard, FRR a prefix)."""
    last = rx(path[-1])
    out: list[Network] = []
    for node in walk(device, path):
        m = last.search(node.text)
        if not m:
            continue
        groups = m.groupdict()
        try:
            if "/" in groups["network"]:
                net = ipaddress.IPv4Network(groups["network"], strict=False)
                out.append((int(net.network_address), int(net.hostmask)))
            else:
                wildcard = groups.get("wildcard") or "0.0.0.0"
                out.append(
                    (int(ipaddress.IPv4Address(groups["network"])), int(ipaddress.IPv4Address(wildcard)))
                )
        except ValueError:
            continue
    return out


_IP_ADDRESS = re.compile(r"^ip address (\d+\.\d+\.\d+\.\d+)")


def _covered(section: Node, networks: list[Network]) -> bool:
    for child in section.children:
        m = _IP_ADDRESS.match(child.text)
        if m:
            try:
                address = int(ipaddress.IPv4Address(m[1]))
            except ValueError:
                continue
            if any(address & ~wild == net & ~wild for net, wild in networks):
                return True
    return False
