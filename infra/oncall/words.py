"""An alert's labels in the operator's words: the agency, the link and its two ends, the device's
role and site, and how long ago it started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from infra.inventory import Inventory
from infra.oncall.rootcause import Topology
from infra.oncall.sources import Alert

ROLE_WORDS = {
    "core_router": "core router",
    "dc_switch": "data-centre switch",
    "firewall": "firewall",
    "wan_hub": "WAN-VPN hub",
    "carrier_pe": "carrier PE router",
    "cpe": "CPE router",
    "campus_core": "campus core switch",
    "access_switch": "access switch",
    "server": "server",
    "vc_endpoint": "video-conference endpoint",
    "ups": "UPS",
    "pdu": "PDU",
    "env_sensor": "temperature/humidity sensor",
}
LINK_WORDS = {
    "tunnel": "WAN-VPN tunnel",
    "carrier_access": "carrier access link",
    "p2p": "point-to-point link",
    "campus_uplink": "campus uplink",
}
# Labels the facts already say in words (or that say nothing to a person).
SAID = frozenset(
    [
        "alertname",
        "severity",
        "host",
        "site",
        "agency",
        "role",
        "platform",
        "link_id",
        "link_kind",
        "peer_host",
        "peer_site",
        "hub_site",
        "cuts_off",  # inhibition machinery (docs/monitoring.md, "Alertmanager")
        "ifName",
        "instance",
        "job",
        "__name__",
    ]
)


@dataclass(frozen=True)
class Fact:
    label: str  # what it is: Agency, Device, Link, ...
    text: str
    href: str = ""  # a board page about it, when there is one


def site_title(inv: Inventory, site: str) -> str:
    """`Sở Nội vụ (so-noi-vu)`: the agency when the site belongs to one, always the site's name."""
    known = inv.sites.get(site)
    if known is not None and known.agency:
        return f"{known.agency} ({site})"
    return site


def device_words(inv: Inventory, host: str, site_said: str = "") -> str:
    """`cpe-so-y-te, CPE router` (at its site, unless that site was just said)."""
    known = inv.hosts.get(host)
    if known is None:
        return host
    role = ROLE_WORDS.get(str(known.role), str(known.role))
    return (
        f"{host}, {role}" if known.site == site_said else f"{host}, {role} at {site_title(inv, known.site)}"
    )


def device_link(inv: Inventory, host: str) -> str:
    return f"/device/{quote(host, safe='')}" if host in inv.hosts else ""


def facts(alert: Alert, inv: Inventory, topo: Topology, site_known: str = "") -> list[Fact]:
    """What the alert is about, most telling first; the site is left out when it is `site_known`
    (a folded alert at its root's site)."""
    labels = alert.labels
    said: list[Fact] = []
    if alert.site and alert.site != site_known:
        said.append(
            Fact(
                "Agency" if site_title(inv, alert.site) != alert.site else "Site",
                site_title(inv, alert.site),
                f"/alerts?site={quote(alert.site, safe='')}" if alert.site in inv.sites else "",
            )
        )
    link = labels.get("link_id", "")
    if link:
        kind = labels.get("link_kind") or topo.link_kind.get(link, "")
        ends = topo.link_ends.get(link) or []
        between = " ↔ ".join(f"{e.host} {e.interface}" for e in ends[:2]) or " ↔ ".join(
            h for h in (alert.host, labels.get("peer_host", "")) if h
        )
        said.append(Fact("Link", f"{LINK_WORDS.get(kind, kind or 'link')} {link}: {between}"))
    if alert.host:
        said.append(Fact("Device", device_words(inv, alert.host, alert.site), device_link(inv, alert.host)))
    if labels.get("ifName"):
        said.append(Fact("Interface", labels["ifName"]))
    peer = labels.get("peer_host", "")
    if peer:
        said.append(Fact("Far end", device_words(inv, peer, alert.site), device_link(inv, peer)))
    rest = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in SAID)
    if rest:
        said.append(Fact("Labels", rest))
    return said


def age(since: datetime, now: datetime) -> str:
    """`40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: how long the alert has been firing."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
