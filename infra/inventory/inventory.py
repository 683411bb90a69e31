"""The loaded province: typed hosts and topology, plus the views derived from them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address
from itertools import chain
from pathlib import Path
from typing import Any

from infra.inventory.backup import Backup
from infra.inventory.models import (
    SECRET_FIELDS,
    AddressPools,
    Baseline,
    Carrier,
    Credentials,
    Host,
    Link,
    Platform,
    Province,
    Role,
    Site,
    Tunnel,
    Vc,
    Vlan,
    WanVpn,
)
from infra.inventory.oncall import Oncall
from infra.inventory.patterns import match_pattern
from infra.inventory.secrets import Secret, SecretRef, SecretStore
from infra.inventory.server_backup import ServerBackup
from infra.inventory.source import Origin
from infra.inventory.topology import (
    BgpSession,
    Interface,
    gateway_address,
    host_interfaces,
    link_interfaces,
    network_interfaces,
    svi_interfaces,
    tunnel_interfaces,
)


@dataclass(frozen=True, eq=False)
class Inventory:
    path: Path
    province: Province
    pools: AddressPools
    baseline: Baseline
    credentials: Credentials
    carrier: Carrier
    sites: dict[str, Site]
    hosts: dict[str, Host]
    groups: dict[str, tuple[str, ...]]
    group_children: dict[str, tuple[str, ...]]
    links: tuple[Link, ...]
    vlans: tuple[Vlan, ...]
    wan_vpn: WanVpn | None
    vc: Vc | None
    oncall: Oncall | None  # who may use the on-call board (group_vars/all/oncall.yml)
    server_backup: ServerBackup | None  # server data, 3-2-1 (group_vars/all/server_backup.yml)
    all_vars: dict[str, Any] = field(repr=False)
    host_origins: dict[str, dict[str, Origin]] = field(repr=False)
    all_origins: dict[str, Origin] = field(repr=False)
    backup: Backup | None = None  # off-site remote and schedule of the backups (group_vars/all/backup.yml)

    # ---- secrets -------------------------------------------------------------------------
    @cached_property
    def secrets(self) -> SecretStore:
        """Every credential, resolved on demand; `inv.secrets.resolve_all()` before contacting
        devices (it names the field and line of a secret that cannot be resolved)."""
        written = self.all_origins.get("credentials")
        named = {
            f"credentials.{name}": (
                getattr(self.credentials, name),
                Origin(written.file, name, written.path) if written else None,
            )
            for name in SECRET_FIELDS
            if getattr(self.credentials, name) is not None
        }
        if self.oncall is not None:
            named |= self.oncall.secrets(self.all_origins.get("oncall"))
        if self.server_backup is not None:
            named |= self.server_backup.secrets(self.all_origins.get("server_backup"))
        return SecretStore(self.all_vars.get, named)

    def secret(self, ref: SecretRef) -> Secret:
        return self.secrets.resolve(ref)

    # ---- selections ----------------------------------------------------------------------
    def by_role(self, *roles: Role) -> list[Host]:
        return [h for h in self.hosts.values() if h.role in roles]

    def select(self, pattern: str | None) -> list[Host]:
        """Hosts matching an Ansible `--limit` pattern (all hosts when None)."""
        if not pattern:
            return list(self.hosts.values())
        names = match_pattern(pattern, self.hosts, self.groups)
        return [self.hosts[n] for n in names]

    def stand_in_platform(self, host: Host) -> Platform:
        """The platform that really runs the device: in a lab province FRR plays every router and
        switch whose production platform (cisco_ios, huawei_vrp) cannot run on this machine."""
        if self.province.lab and host.is_network_device:
            return Platform.FRR
        return host.platform

    # ---- topology ------------------------------------------------------------------------
    @cached_property
    def tunnel_numbers(self) -> dict[str, int]:
        return {t.id: t.number for t in (self.wan_vpn.tunnels if self.wan_vpn else ())}

    @cached_property
    def interfaces(self) -> dict[str, tuple[Interface, ...]]:
        """Every host's interfaces, in this order: management, loopback, links, tunnels, SVIs,
        service network, LAN (one helper per kind in topology.py)."""
        out: dict[str, list[Interface]] = defaultdict(list)
        hosts = self.hosts
        for name, iface in chain(
            host_interfaces(hosts.values(), self.pools.management.prefixlen),
            link_interfaces(hosts, self.links),
            tunnel_interfaces(hosts, self.wan_vpn, self.tunnel_numbers),
            svi_interfaces(hosts, self.vlans),
            network_interfaces(hosts.values()),
        ):
            out[name].append(iface)
        return {name: tuple(out.get(name, ())) for name in hosts}

    @cached_property
    def bgp_sessions(self) -> dict[str, tuple[BgpSession, ...]]:
        out: dict[str, list[BgpSession]] = defaultdict(list)
        for name, ifaces in self.interfaces.items():
            for i in ifaces:
                if i.bgp and i.peer_host and i.peer_address and i.address:
                    peer = self.hosts[i.peer_host]
                    if peer.bgp_asn is not None:
                        out[name].append(
                            BgpSession(
                                i.peer_host,
                                i.peer_address,
                                i.address.ip,
                                peer.bgp_asn,
                                i.link_id or "",
                                i.name,
                            )
                        )
        return {n: tuple(out.get(n, ())) for n in self.hosts}

    def ospf_areas(self, host: str) -> list[int]:
        return sorted({i.ospf_area for i in self.interfaces[host] if i.ospf_area is not None})

    def tunnel(self, tunnel_id: str) -> Tunnel | None:
        return next((t for t in (self.wan_vpn.tunnels if self.wan_vpn else ()) if t.id == tunnel_id), None)

    def vlans_at(self, site: str) -> list[Vlan]:
        return [v for v in self.vlans if v.site == site]

    # ---- video conference ----------------------------------------------------------------
    @property
    def vc_endpoints(self) -> list[Host]:
        return self.by_role(Role.VC_ENDPOINT)

    @property
    def call_controller(self) -> Host | None:
        return self.hosts.get(self.vc.call_controller) if self.vc else None

    @property
    def registrar_address(self) -> IPv4Address | None:
        """Where endpoints register: the call controller's address on its service network."""
        cc = self.call_controller
        return cc.service_address.ip if cc and cc.service_address else None

    @property
    def test_room_uri(self) -> str | None:
        return f"sip:{self.vc.test_room}@{self.vc.domain}" if self.vc else None

    def lan_router(self, host: Host) -> Host | None:
        """The router at `host`'s site whose LAN holds the host's service address (an endpoint's CPE)."""
        if host.service_address is None:
            return None
        return next(
            (
                h
                for h in self.hosts.values()
                if h.site == host.site and h.lan is not None and host.service_address.ip in h.lan
            ),
            None,
        )

    def endpoint_gateway(self, host: Host) -> IPv4Address | None:
        router = self.lan_router(host)
        return gateway_address(router.lan).ip if router and router.lan else None

    def wan_link_of(self, site: str) -> str | None:
        """The WAN-VPN tunnel that carries `site` (its spoke is the site's router)."""
        for t in self.wan_vpn.tunnels if self.wan_vpn else ():
            spoke = self.hosts.get(t.spoke)
            if spoke is not None and spoke.site == site:
                return t.id
        return None
