"""What the lab builds for a province, derived from the inventory alone (pure, no I/O).

Every router and switch becomes a `router` node (FRR), every Linux server a `server` node
(overlay root + sshd), every VC endpoint a `vc` node (sshd with the codec shell, baresip, snmpd)
on its agency's LAN behind the site's CPE, every UPS/PDU/sensor a `facility` node (snmpd
serving a recording), and every campus VLAN gets two `unit` hosts (user PCs) behind its access
switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface

from infra.inventory import Host, Interface, Inventory, Platform
from infra.inventory.models import Role, Vlan
from infra.lab.paths import netns_name, root_ifname

ROUTER = "router"
SERVER = "server"
VC = "vc"
FACILITY = "facility"
UNIT = "unit"

CABLE_KINDS = ("p2p", "carrier_access", "campus_uplink")
VC_DAEMONS = ("sshd", "baresip", "snmpd")
UNITS_PER_VLAN = 2


@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # router | server | vc | facility | unit
    mgmt: IPv4Interface | None  # address on mgmt0 (None for unit hosts)
    daemons: tuple[str, ...] = ()
    site: str = ""
    host: Host | None = None
    # unit hosts, servers and VC endpoints: the address on eth1 and the default gateway
    access: IPv4Interface | None = None
    gateway: IPv4Address | None = None

    @property
    def netns(self) -> str:
        return netns_name(self.name)

    @property
    def own_mounts(self) -> bool:
        return self.kind in (ROUTER, SERVER, VC)


@dataclass(frozen=True)
class Cable:
    """A veth pair between two nodes (a p2p link or a carrier circuit)."""

    link_id: str
    a: str
    a_if: str
    b: str
    b_if: str


@dataclass(frozen=True)
class Port:
    """A veth from a node into an Open vSwitch bridge: an access port with a VLAN tag."""

    node: str
    ifname: str  # inside the node
    bridge: str  # the OVS bridge's key (site or access switch)
    vlan: int

    @property
    def root_if(self) -> str:
        return root_ifname("p", self.node, self.ifname)


@dataclass(frozen=True)
class Bridge:
    key: str  # site name, or access switch host name
    site: str
    uplink_to: str | None = None  # access switches: the site bridge they are trunked to

    @property
    def name(self) -> str:
        return root_ifname("b", self.key)


@dataclass(frozen=True)
class Lan:
    """An agency LAN behind a CPE: a Linux bridge in the root namespace (no address: layer 2
    only) joining the CPE's LAN interface and the site's VC endpoints."""

    cpe: str
    gateway: IPv4Interface  # the CPE's LAN address (the endpoints' default gateway)

    @property
    def name(self) -> str:
        return root_ifname("l", self.cpe)


@dataclass(frozen=True)
class LanPort:
    """A veth from a node into its LAN's bridge (the CPE's `lan0`, an endpoint's `eth1`)."""

    node: str
    ifname: str  # inside the node
    lan: str  # the CPE's name (key of LabPlan.lans)

    @property
    def root_if(self) -> str:
        return root_ifname("e", self.node, self.ifname)


@dataclass(frozen=True)
class WgTunnel:
    tunnel_id: str
    number: int
    hub: str
    hub_if: str
    hub_addr: IPv4Interface
    hub_endpoint: IPv4Address | None  # the hub's carrier_access address
    spoke: str
    spoke_if: str
    spoke_addr: IPv4Interface
    spoke_endpoint: IPv4Address | None
    hub_port: int
    spoke_port: int


@dataclass
class LabPlan:
    nodes: dict[str, Node] = field(default_factory=dict)
    cables: list[Cable] = field(default_factory=list)
    bridges: dict[str, Bridge] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    tunnels: list[WgTunnel] = field(default_factory=list)
    lans: dict[str, Lan] = field(default_factory=dict)
    lan_ports: list[LanPort] = field(default_factory=list)
    mgmt_gateway: IPv4Interface | None = None

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]


def router_daemons(inv: Inventory, host: Host) -> tuple[str, ...]:
    daemons = ["zebra", "staticd"]
    if inv.ospf_areas(host.name) or host.role in (Role.CORE_ROUTER, Role.WAN_HUB, Role.CPE):
        daemons.append("ospfd")
    if host.bgp_asn is not None:
        daemons.append("bgpd")
    return tuple(daemons)


def lan_of_endpoint(inv: Inventory, host: Host) -> tuple[str, IPv4Interface] | None:
    """The CPE whose LAN holds the endpoint's service address, and that CPE's LAN address (the
    endpoint's gateway: `Inventory.endpoint_gateway`)."""
    if host.service_address is None:
        return None
    for cpe in inv.hosts.values():
        if cpe.site != host.site or cpe.name == host.name:
            continue
        for i in inv.interfaces[cpe.name]:
            if i.kind == "lan" and i.address and host.service_address.ip in i.address.network:
                return cpe.name, i.address
    return None


def node_kind(inv: Inventory, host: Host) -> str:
    if inv.stand_in_platform(host) == Platform.FRR:
        return ROUTER
    return {Platform.LINUX: SERVER, Platform.CISCO_TP: VC, Platform.SNMP: FACILITY}.get(
        host.platform, FACILITY
    )


def _carrier_address(ifaces: tuple[Interface, ...]) -> IPv4Address | None:
    return next((i.address.ip for i in ifaces if i.kind == "carrier_access" and i.address), None)


def unit_name(vlan: Vlan, n: int) -> str:
    return f"unit-{vlan.id}-{n}"


def unit_address(vlan: Vlan, n: int) -> IPv4Interface:
    """Unit hosts take addresses from the top of the VLAN (254, 253, ...): far from the gateway."""
    return IPv4Interface(f"{vlan.subnet.broadcast_address - n}/{vlan.subnet.prefixlen}")


def build_plan(inv: Inventory, limit: str | None = None) -> LabPlan:
    hosts = {h.name: h for h in inv.select(limit)}
    plan = LabPlan()
    mask = inv.pools.management.prefixlen
    plan.mgmt_gateway = IPv4Interface(f"{next(inv.pools.management.hosts())}/{mask}")
    vlans = {(v.site, v.id): v for v in inv.vlans}
    for h in hosts.values():
        kind = node_kind(inv, h)
        mgmt = IPv4Interface(f"{h.mgmt_address}/{mask}")
        if kind == SERVER:
            vlan = vlans.get((h.site, h.service_vlan)) if h.service_vlan is not None else None
            gw = next(vlan.subnet.hosts()) if vlan else None
            plan.nodes[h.name] = Node(h.name, kind, mgmt, ("sshd",), h.site, h, h.service_address, gw)
        elif kind == ROUTER:
            daemons = (*router_daemons(inv, h), "sshd", "snmpd")
            plan.nodes[h.name] = Node(h.name, kind, mgmt, daemons, h.site, h)
        elif kind == VC:
            lan = lan_of_endpoint(inv, h)
            gw = lan[1].ip if lan else None
            daemons = VC_DAEMONS if h.service_address else ("sshd", "snmpd")  # baresip needs its LAN
            plan.nodes[h.name] = Node(h.name, kind, mgmt, daemons, h.site, h, h.service_address, gw)
        else:
            plan.nodes[h.name] = Node(h.name, kind, mgmt, ("snmpd",), h.site, h)

    for name in hosts:
        for i in inv.interfaces[name]:
            if i.kind in CABLE_KINDS and i.peer_host in hosts and i.peer_interface and name < i.peer_host:
                peer_if = next(p.lab_name for p in inv.interfaces[i.peer_host] if p.link_id == i.link_id)
                plan.cables.append(Cable(i.link_id or "", name, i.lab_name, i.peer_host, peer_if))

    _plan_vlans(inv, hosts, plan)
    _plan_lans(inv, hosts, plan)

    wan = inv.wan_vpn
    if wan and wan.hub in hosts:
        hub_ifaces = inv.interfaces[wan.hub]
        for t in wan.tunnels:
            if t.spoke not in hosts:
                continue
            hub_i = next(i for i in hub_ifaces if i.kind == "tunnel" and i.link_id == t.id)
            spoke_i = next(i for i in inv.interfaces[t.spoke] if i.kind == "tunnel" and i.link_id == t.id)
            assert hub_i.address and spoke_i.address
            plan.tunnels.append(
                WgTunnel(
                    t.id,
                    t.number,
                    wan.hub,
                    hub_i.lab_name,
                    hub_i.address,
                    _carrier_address(hub_ifaces),
                    t.spoke,
                    spoke_i.lab_name,
                    spoke_i.address,
                    _carrier_address(inv.interfaces[t.spoke]),
                    wan.listen_port_base + t.number,
                    wan.listen_port_base,
                )
            )
    return plan


def _plan_vlans(inv: Inventory, hosts: dict[str, Host], plan: LabPlan) -> None:
    for v in inv.vlans:
        members: list[Port] = []
        if v.gateway in hosts:
            members.append(Port(v.gateway, f"vlan{v.id}", v.site, v.id))
        for h in hosts.values():
            if node_kind(inv, h) == SERVER and h.site == v.site and h.service_vlan == v.id:
                members.append(Port(h.name, "eth1", v.site, v.id))
        if inv.sites.get(v.site) is not None and inv.sites[v.site].kind == "campus":
            for n in range(1, UNITS_PER_VLAN + 1):
                unit = unit_name(v, n)
                acc = next((a for a in v.access_switches if a in hosts), None)
                if acc is None and v.gateway not in hosts:
                    continue
                plan.nodes[unit] = Node(
                    unit, UNIT, None, (), v.site, None, unit_address(v, n), next(v.subnet.hosts())
                )
                key = acc or v.site
                if acc:
                    plan.bridges.setdefault(acc, Bridge(acc, v.site, uplink_to=v.site))
                members.append(Port(unit, "eth1", key, v.id))
        if members:
            plan.bridges.setdefault(v.site, Bridge(v.site, v.site))
            plan.ports.extend(members)


def _plan_lans(inv: Inventory, hosts: dict[str, Host], plan: LabPlan) -> None:
    """Every selected CPE's LAN interface (its inventory `lab_name`, e.g. `lan0`) and every selected
    endpoint's `eth1` join the LAN's bridge; a LAN without endpoints is the CPE's port alone."""
    for name, h in hosts.items():
        if node_kind(inv, h) != ROUTER:
            continue
        for i in inv.interfaces[name]:
            if i.kind == "lan" and i.address is not None:
                plan.lans[name] = Lan(name, i.address)
                plan.lan_ports.append(LanPort(name, i.lab_name, name))
    for h in hosts.values():
        if node_kind(inv, h) != VC:
            continue
        lan = lan_of_endpoint(inv, h)
        if lan is None:
            continue
        plan.lans.setdefault(lan[0], Lan(lan[0], lan[1]))
        plan.lan_ports.append(LanPort(h.name, "eth1", lan[0]))
