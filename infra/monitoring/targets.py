"""file_sd target groups from the inventory: what each job scrapes or probes, with inventory labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.inventory import Host, Inventory, Role
from infra.monitoring.dependencies import CUTS_OFF_SITE, host_cuts_off_site, link_cuts_off_site, sites_behind
from infra.monitoring.labels import host_labels
from infra.monitoring.options import RenderOptions
from infra.monitoring.snmp_modules import snmp_auth, snmp_modules
from infra.monitoring.vc import vc_targets

# Blackbox exporter modules (see blackbox.yml): one per service protocol.
SERVICE_MODULES = {
    "http": "http_2xx",
    "https": "https_2xx",
    "smtp": "smtp_banner",
    "imaps": "tls_connect",
    "tcp": "tcp_connect",
}

TargetGroup = dict[str, Any]


@dataclass(frozen=True)
class TargetFiles:
    """file name (under targets/) -> target groups, per job."""

    snmp: dict[str, list[TargetGroup]]
    icmp: list[TargetGroup]
    wan: list[TargetGroup]
    services: list[TargetGroup]
    node: list[TargetGroup]
    vc: dict[str, list[TargetGroup]] = field(default_factory=dict)  # vc-*.json (monitoring/vc.py)

    def files(self) -> dict[str, list[TargetGroup]]:
        out = {f"snmp-{role}.json": groups for role, groups in self.snmp.items()}
        out |= {
            "icmp.json": self.icmp,
            "wan.json": self.wan,
            "services.json": self.services,
            "node.json": self.node,
        }
        return out | self.vc


def _group(target: str, labels: dict[str, str]) -> TargetGroup:
    return {"targets": [target], "labels": labels}


def snmp_targets(inv: Inventory) -> dict[str, list[TargetGroup]]:
    by_role: dict[str, list[TargetGroup]] = {}
    for h in inv.hosts.values():
        modules = snmp_modules(inv, h)
        if not modules:
            continue
        labels = host_labels(inv, h) | {"__param_module": ",".join(modules), "__param_auth": snmp_auth(h)}
        by_role.setdefault(str(h.role), []).append(_group(str(h.mgmt_address), labels))
    return dict(sorted(by_role.items()))


def icmp_targets(inv: Inventory) -> list[TargetGroup]:
    """Device reachability: every device but servers (servers answer through the node exporter).
    A spoke site's CPE carries `cuts_off="site"`: its `InfraDeviceUnreachable` explains its site's."""
    behind = sites_behind(inv)
    return [
        _group(
            str(h.mgmt_address),
            host_labels(inv, h) | (CUTS_OFF_SITE if host_cuts_off_site(behind, h) else {}),
        )
        for h in inv.hosts.values()
        if h.role != Role.SERVER
    ]


def wan_targets(inv: Inventory) -> list[TargetGroup]:
    """The spoke end of every WAN-VPN tunnel (each agency's VPN endpoint), probed from the hub side;
    `cuts_off="site"`: the endpoint unreachable explains its site's alerts, like its link down."""
    groups: list[TargetGroup] = []
    if inv.wan_vpn is None or inv.wan_vpn.hub not in inv.hosts:
        return groups
    hub = inv.hosts[inv.wan_vpn.hub]
    behind = sites_behind(inv)
    for i in inv.interfaces[hub.name]:
        if i.kind != "tunnel" or not i.peer_host or i.peer_address is None or i.peer_host not in inv.hosts:
            continue
        spoke = inv.hosts[i.peer_host]
        labels = host_labels(inv, spoke) | {"link_id": i.link_id or "", "hub": hub.name}
        if link_cuts_off_site(behind, i.link_id or "", spoke.site):
            labels |= CUTS_OFF_SITE
        groups.append(_group(str(i.peer_address), labels))
    return groups


def _service_address(inv: Inventory, h: Host) -> str:
    # In a lab province only management addresses are reachable from the monitoring host.
    if h.service_address is None or inv.province.lab:
        return str(h.mgmt_address)
    return str(h.service_address.ip)


def service_targets(inv: Inventory) -> list[TargetGroup]:
    groups: list[TargetGroup] = []
    for h in inv.hosts.values():
        for s in h.services:
            addr = _service_address(inv, h)
            if s.protocol in ("http", "https"):
                target = f"{s.protocol}://{addr}:{s.port}{s.path}"
            else:
                target = f"{addr}:{s.port}"
            labels = host_labels(inv, h) | {"service": s.name, "__param_module": SERVICE_MODULES[s.protocol]}
            groups.append(_group(target, labels))
    return groups


def node_targets(inv: Inventory, opts: RenderOptions) -> list[TargetGroup]:
    return [
        _group(f"{h.mgmt_address}:{opts.node_exporter_port}", host_labels(inv, h))
        for h in inv.hosts.values()
        if h.role == Role.SERVER
    ]


def build_targets(inv: Inventory, opts: RenderOptions) -> TargetFiles:
    return TargetFiles(
        snmp=snmp_targets(inv),
        icmp=icmp_targets(inv),
        wan=wan_targets(inv),
        services=service_targets(inv),
        node=node_targets(inv, opts),
        vc=vc_targets(inv),
    )
