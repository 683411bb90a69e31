"""Prometheus rule files: inventory info series, recording rules and the alerts of `alerts.py`.

The inventory info series (`infra_interface_info` for DC/campus links, `infra_wan_link_info` for
WAN links, `infra_ospf_neighbour_info`, `infra_bgp_peer_info`, `infra_interface_bandwidth_bps`)
are recording rules over `vector(1)` whose labels come from the inventory: they tell the alert
rules which interface is which link and which site a WAN link serves, and which OSPF/BGP
neighbours must exist, without typing anything twice.
"""

from __future__ import annotations

from typing import Any

from infra.inventory import Inventory
from infra.monitoring.alerts import ALERTS, Alert
from infra.monitoring.dependencies import (
    CUTS_OFF_SITE,
    hub_site,
    link_cuts_off_site,
    served_site,
    sites_behind,
)
from infra.monitoring.labels import host_labels, interface_name_on_device, site_agency
from infra.monitoring.options import RenderOptions
from infra.monitoring.snmp_modules import ospf_neighbours, snmp_modules
from infra.monitoring.vc import VC_RECORDING_RULES, vc_info_rules

Rule = dict[str, Any]
INVENTORY_GROUP_SIZE = 5000


def fast_for(for_: str) -> str:
    """`for:` in fast mode (lab tests, demos): seconds instead of minutes, keeping the order, so a
    cause (WAN link down: 1m) still fires before its consequences (endpoint unreachable: 2m).
    The consequences get 30 s, not less: they must outlast the time it takes to *see* the link
    down (a 2 s scrape of the hub, its SNMP walk, an evaluation), measured at 4-8 s and once
    perhaps ~15 s in the lab on a busy 2-core machine (docs/monitoring.md, "Root cause first")."""
    minutes = int(for_[:-1]) * {"s": 1 / 60, "m": 1, "h": 60}[for_[-1]]
    return "5s" if minutes <= 1 else "30s" if minutes <= 5 else "60s"


def spoken_duration(for_: str) -> str:
    """`2m` -> `2 minutes`: how a description states its rule's `for:`."""
    n, unit = int(for_[:-1]), {"s": "second", "m": "minute", "h": "hour"}[for_[-1]]
    return f"{n} {unit}" + ("" if n == 1 else "s")


RECORDING_RULES: tuple[tuple[str, str], ...] = (
    ("infra:interface_in_bps:rate5m", "rate(ifHCInOctets[5m]) * 8"),
    ("infra:interface_out_bps:rate5m", "rate(ifHCOutOctets[5m]) * 8"),
    (
        "infra:interface_speed_bps",
        "max by (host, ifName) (infra_interface_bandwidth_bps) "
        "or max by (host, ifName) (ifHighSpeed > 0) * 1000000",
    ),
    (
        "infra:interface_in_utilisation:ratio",
        "infra:interface_in_bps:rate5m / on (host, ifName) group_left () infra:interface_speed_bps",
    ),
    (
        "infra:interface_out_utilisation:ratio",
        "infra:interface_out_bps:rate5m / on (host, ifName) group_left () infra:interface_speed_bps",
    ),
    # One series per end of each WAN link, labelled with the site the link serves (the spoke's,
    # for a tunnel seen from the hub), that site's agency, the hub's site, and `cuts_off="site"`
    # when the link down cuts off exactly that site (what Alertmanager's inhibition keys on).
    (
        "infra:wan_link_up",
        "(ifOperStatus == bool 1) * on (host, ifName) group_left "
        "(site, agency, hub_site, cuts_off, link_id, link_kind, peer_host, peer_site) infra_wan_link_info",
    ),
    ("infra:wan_link_availability:ratio_1d", "avg_over_time(infra:wan_link_up[1d])"),
    # AKCP probes report unconnected sensor ports as 0: only online sensors count.
    (
        "infra:dc_temperature_celsius",
        "sensorProbeTempDegree * on (host, sensorProbeTempIndex) group_left () "
        '(sensorProbeTempOnline{sensorProbeTempOnline="online"} == 1)',
    ),
    (
        "infra:dc_humidity_percent",
        "sensorProbeHumidityPercent * on (host, sensorProbeHumidityIndex) group_left () "
        '(sensorProbeHumidityOnline{sensorProbeHumidityOnline="online"} == 1)',
    ),
    ("infra:site_devices_up:ratio", 'avg by (site) (probe_success{job="icmp"})'),
)


def site_reachable_rule(inv: Inventory) -> tuple[str, str] | None:
    """`infra:wan_site_reachable{site}`: 0 when a site other than the hub's is cut off, i.e. every
    one of its tunnels, or every one of its carrier accesses, is down at one end or the other.
    The alerts a cut explains leave such sites out (alerts.py). None without a WAN-VPN hub."""
    hub = hub_site(inv)
    if hub is None:
        return None
    links = f'infra:wan_link_up{{site!="{hub}"}}'
    return (
        "infra:wan_site_reachable",
        f"min by (site) (max by (site, link_kind) (min by (site, link_kind, link_id) ({links})))",
    )


def _info(record: str, labels: dict[str, str], value: str = "1") -> Rule:
    return {"record": record, "expr": f"vector({value})", "labels": {k: v for k, v in labels.items() if v}}


def inventory_rules(inv: Inventory) -> list[Rule]:
    rules: list[Rule] = []
    behind = sites_behind(inv)
    hub = hub_site(inv) or ""
    for h in inv.hosts.values():
        modules = snmp_modules(inv, h)
        if "if_mib" not in modules:
            continue
        base = host_labels(inv, h)
        for i in inv.interfaces[h.name]:
            if not i.link_id or i.kind in ("mgmt", "loopback", "lan", "service"):
                continue
            ifname = interface_name_on_device(inv, i.name, i.lab_name)
            peer_site = inv.hosts[i.peer_host].site if i.peer_host in inv.hosts else ""
            if i.kind not in ("tunnel", "carrier_access"):
                rules.append(
                    _info(
                        "infra_interface_info",
                        base
                        | {
                            "ifName": ifname,
                            "link_id": i.link_id,
                            "link_kind": i.kind,
                            "peer_host": i.peer_host or "",
                            "peer_site": peer_site,
                        },
                    )
                )
            else:  # a WAN link: labelled with the site it serves, for its alerts
                served = served_site(inv, behind, i.link_id, h.site)
                cuts_off = CUTS_OFF_SITE if link_cuts_off_site(behind, i.link_id, served) else {}
                rules.append(
                    _info(
                        "infra_wan_link_info",
                        {
                            "host": h.name,
                            "ifName": ifname,
                            "site": served,
                            "agency": site_agency(inv, served) or "",
                            "hub_site": hub,
                            **cuts_off,
                            "link_id": i.link_id,
                            "link_kind": i.kind,
                            "peer_host": i.peer_host or "",
                            "peer_site": peer_site,
                        },
                    )
                )
            if i.bandwidth_mbps and i.kind != "svi":
                rules.append(
                    _info(
                        "infra_interface_bandwidth_bps",
                        {"host": h.name, "ifName": ifname},
                        str(i.bandwidth_mbps * 1_000_000),
                    )
                )
        if "ospf" in modules:
            for address, peer, link_id, _kind in ospf_neighbours(inv, h.name):
                rules.append(
                    _info(
                        "infra_ospf_neighbour_info",
                        base
                        | {
                            "ospfNbrIpAddr": address,
                            "peer_host": peer,
                            "peer_site": inv.hosts[peer].site,
                            "link_id": link_id,
                        },
                    )
                )
        if "bgp4" in modules:
            for s in inv.bgp_sessions[h.name]:
                rules.append(
                    _info(
                        "infra_bgp_peer_info",
                        base
                        | {
                            "bgpPeerRemoteAddr": str(s.peer_address),
                            "peer_host": s.peer_host,
                            "peer_site": inv.hosts[s.peer_host].site,
                            "link_id": s.link_id,
                        },
                    )
                )
    return rules


def alert_rule(alert: Alert, opts: RenderOptions) -> Rule:
    for_ = fast_for(alert.for_) if opts.fast_alerts else alert.for_
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": for_,
        "labels": {"severity": alert.severity},
        "annotations": {
            "summary": alert.summary,
            "description": alert.description.replace("{for}", spoken_duration(for_)),
            "runbook_url": f"{opts.runbook_base.rstrip('/')}/{alert.name}.md",
        },
    }


def alert_groups(opts: RenderOptions) -> list[Rule]:
    groups: dict[str, list[Rule]] = {}
    for a in ALERTS:
        groups.setdefault(a.group, []).append(alert_rule(a, opts))
    return [{"name": name, "rules": rules} for name, rules in groups.items()]


def rule_files(inv: Inventory, opts: RenderOptions) -> dict[str, dict[str, Any]]:
    """rules/<file>.yml -> content."""
    # Groups of at most INVENTORY_GROUP_SIZE rules: Prometheus evaluates groups concurrently,
    # so a 5,000-device province's ~48,000 info series use both cores.
    info = inventory_rules(inv) + vc_info_rules(inv)
    site_reachable = site_reachable_rule(inv)
    recording = [
        *RECORDING_RULES,
        *([site_reachable] if site_reachable else []),
        *(VC_RECORDING_RULES if inv.vc is not None else ()),
    ]
    inventory_groups: list[Rule] = []
    for n, start in enumerate(range(0, max(len(info), 1), INVENTORY_GROUP_SIZE)):
        group: Rule = {
            "name": "infra-inventory" + (f"-{n + 1}" if n else ""),
            "rules": info[start:][:INVENTORY_GROUP_SIZE],
        }
        if not opts.fast_alerts:
            group["interval"] = "1m"
        inventory_groups.append(group)
    return {
        "inventory.yml": {"groups": inventory_groups},
        "recording.yml": {
            "groups": [
                {
                    "name": "infra-recording",
                    "rules": [{"record": r, "expr": e} for r, e in recording],
                }
            ]
        },
        "alerts.yml": {"groups": alert_groups(opts)},
    }
