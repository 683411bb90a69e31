"""What each site depends on, seen from the data centre: the topology behind inhibition.

A spoke site (a department or commune) is reached over its WAN-VPN tunnel, which rides on the
spoke CPE's carrier-access link, the carrier PE(s), the hub's carrier-access link and the hub.
If any of those is down, every alert at the spoke site is a consequence, not a cause.
Within a spoke site, the CPE is the gateway: the CPE down explains its neighbours' alerts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from infra.inventory import Host, Inventory, Role

# The label an alert carries when its source, down, cuts off exactly the site in its own `site`
# label: a spoke site's CPE unreachable, a spoke's tunnel or its CPE's carrier access down (either
# end). Alertmanager's inhibition then needs one rule per kind of cause, `equal: [site]`, instead
# of one per device or link (docs/monitoring.md, "Alertmanager").
CUTS_OFF_SITE = {"cuts_off": "site"}


@dataclass
class Behind:
    """Sites behind each upstream device and each upstream link."""

    hosts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    links: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _carrier_links(inv: Inventory, host: str) -> list[tuple[str, str]]:
    """(link_id, carrier PE) of the host's carrier-access links."""
    return [
        (i.link_id, i.peer_host)
        for i in inv.interfaces.get(host, ())
        if i.kind == "carrier_access" and i.link_id and i.peer_host
    ]


def sites_behind(inv: Inventory) -> Behind:
    """Sites cut off when each upstream device or link fails (an over-approximation where the
    hub has several carrier links: good enough for inhibition, which only silences)."""
    behind = Behind()
    if inv.wan_vpn is None or inv.wan_vpn.hub not in inv.hosts:
        return behind
    hub = inv.wan_vpn.hub
    hub_path = _carrier_links(inv, hub)
    for t in inv.wan_vpn.tunnels:
        spoke = inv.hosts.get(t.spoke)
        if spoke is None:
            continue
        site = spoke.site
        behind.hosts[hub].add(site)
        behind.links[t.id].add(site)
        for link_id, pe in hub_path + _carrier_links(inv, spoke.name):
            behind.links[link_id].add(site)
            behind.hosts[pe].add(site)
        if spoke.role == Role.CPE:
            behind.hosts[spoke.name].add(site)
    return behind


def hub_site(inv: Inventory) -> str | None:
    if inv.wan_vpn is None or inv.wan_vpn.hub not in inv.hosts:
        return None
    return inv.hosts[inv.wan_vpn.hub].site


def served_site(inv: Inventory, behind: Behind, link_id: str, own_site: str) -> str:
    """The site a WAN link serves, which its alerts carry as `site`: the one spoke site behind it
    (a spoke's tunnel, seen from either end, or its CPE's carrier access); the hub's site for a
    link every spoke rides on (the hub's carrier access); else the device's own site."""
    sites = behind.links.get(link_id, set())
    if len(sites) == 1:
        return next(iter(sites))
    return (hub_site(inv) or own_site) if sites else own_site


def host_cuts_off_site(behind: Behind, host: Host) -> bool:
    """The device unreachable cuts off exactly its own site (a spoke site's CPE)."""
    return behind.hosts.get(host.name) == {host.site}


def link_cuts_off_site(behind: Behind, link_id: str, site: str) -> bool:
    """The link down cuts off exactly SITE, the site its alerts carry (a spoke's tunnel, seen from
    either end, or its CPE's carrier access: `served_site` is then that one site)."""
    return behind.links.get(link_id) == {site}
