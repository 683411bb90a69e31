"""alertmanager.yml: routes by severity and site, receivers, and inhibition from the topology."""

from __future__ import annotations

import copy
import re
from typing import Any

from infra.inventory import Inventory
from infra.inventory.models import SiteKind
from infra.monitoring.dependencies import host_cuts_off_site, sites_behind
from infra.monitoring.options import RenderOptions

Config = dict[str, Any]
CENTRAL_SITE_KINDS = (SiteKind.DATA_CENTRE, SiteKind.CAMPUS, SiteKind.CARRIER)
# Alerts a site's power event explains (the power alerts themselves still page).
POWER_EXPLAINS = (
    "InfraDeviceUnreachable|InfraServerDown|InfraServiceProbeFailing|InfraSnmpScrapeFailing|InfraLinkDown"
)
# Alerts a WAN link down explains on the hub side of the same link.
WAN_EXPLAINS = "InfraWanEndpointUnreachable|InfraWanLinkFlapping|InfraOspfNeighbourDown|InfraBgpPeerDown"
# What pages for a spoke site cut off (they carry the spoke's site); everything else there is silenced.
WAN_ROOT_CAUSES = "InfraWanLinkDown|InfraWanEndpointUnreachable"
# Video conference: what the call controller (or the media relay) down explains, province-wide.
VC_CONTROLLER_EXPLAINS = (
    "InfraVcEndpointNotRegistered|InfraVcRegistrationsDropping|InfraVcRegistrationProbeFailing"
    "|InfraVcReadinessFailing|InfraVcMediaQualityLow"
)
VC_RELAY_EXPLAINS = "InfraVcReadinessFailing|InfraVcMediaQualityLow"
# The VC alerts about the servers themselves, which their server down explains.
VC_SERVER_ALERTS = "InfraVcCallControllerDown|InfraVcMediaRelayDown|InfraVcRegistrationProbeFailing"


SLUG = re.compile(r"^[\w-]+$")


def _any_of(values: set[str] | frozenset[str] | list[str]) -> str:
    """An RE2 alternation; inventory names are slugs, anything else is escaped."""
    return "|".join(v if SLUG.match(v) else re.escape(v) for v in sorted(values))


def receivers(inv: Inventory, opts: RenderOptions) -> list[Config]:
    email_to = opts.email_to or f"noc@{inv.province.domain}"
    webhook = [{"url": opts.webhook_url, "send_resolved": True}]

    def email(to: str) -> list[Config]:
        return [{"to": to, "send_resolved": True}]

    return [
        {"name": "oncall-dc", "webhook_configs": webhook, "email_configs": email(email_to)},
        {"name": "oncall-wan", "webhook_configs": webhook, "email_configs": email(email_to)},
        {"name": "tickets", "webhook_configs": webhook, "email_configs": email(email_to)},
        {"name": "blackhole"},
    ]


def route(inv: Inventory, opts: RenderOptions) -> Config:
    central = [n for n, s in inv.sites.items() if s.kind in CENTRAL_SITE_KINDS]
    fast = opts.fast_alerts
    timing = (
        {"group_wait": "3s", "group_interval": "3s", "repeat_interval": "1m"}
        if fast
        else {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
    )
    return {
        "receiver": "tickets",
        "group_by": ["alertname", "site"],
        **timing,
        "routes": [
            {
                "matchers": ['severity="critical"', f'site=~"{_any_of(central)}"'],
                "receiver": "oncall-dc",
                "group_by": ["alertname", "site", "host"],
            },
            # An agency site cut off is one page: its link alert carries the site (the spoke's,
            # even on the hub's end of the tunnel), and whatever else fires there joins it.
            {
                "matchers": ['severity="critical"'],
                "receiver": "oncall-wan",
                "group_by": ["site"],
            },
            {"matchers": ['severity="warning"'], "receiver": "tickets"},
            {"matchers": ['severity="info"'], "receiver": "blackhole"},
        ],
    }


GENERIC_RULES: tuple[Config, ...] = (
    # A device that does not answer at all explains every other alert about it.
    {
        "source_matchers": ['alertname="InfraDeviceUnreachable"'],
        "target_matchers": ['alertname!="InfraDeviceUnreachable"'],
        "equal": ["host"],
    },
    {
        "source_matchers": ['alertname="InfraServerDown"'],
        "target_matchers": [
            'alertname=~"InfraServiceProbeFailing|InfraServerDiskFilling|InfraServerClockDrift'
            f'|{VC_SERVER_ALERTS}"'
        ],
        "equal": ["host"],
    },
    # Video conference (docs/monitoring.md, "Video conference"): one call controller per
    # province, so its fault explains every endpoint's; a province-wide registration drop
    # explains each endpoint's; a failed readiness check for a meeting (the page) explains the
    # same endpoint's registration and media tickets. Endpoint alerts carry the endpoint's
    # `site` and `host`: the WAN rules below and InfraDeviceUnreachable silence them too.
    {
        "source_matchers": ['alertname="InfraVcCallControllerDown"'],
        "target_matchers": [f'alertname=~"{VC_CONTROLLER_EXPLAINS}"'],
    },
    {
        "source_matchers": ['alertname="InfraVcMediaRelayDown"'],
        "target_matchers": [f'alertname=~"{VC_RELAY_EXPLAINS}"'],
    },
    {
        "source_matchers": ['alertname="InfraVcRegistrationsDropping"'],
        "target_matchers": ['alertname=~"InfraVcEndpointNotRegistered|InfraVcReadinessFailing"'],
    },
    {
        "source_matchers": ['alertname="InfraVcReadinessFailing"'],
        "target_matchers": ['alertname=~"InfraVcEndpointNotRegistered|InfraVcMediaQualityLow"'],
        "equal": ["host"],
    },
    # The SNMP exporter down explains every SNMP scrape failure.
    {
        "source_matchers": ['alertname="InfraExporterDown"', 'exporter="snmp"'],
        "target_matchers": ['alertname="InfraSnmpScrapeFailing"'],
    },
    # A WAN link down explains the other alerts about the same link.
    {
        "source_matchers": ['alertname="InfraWanLinkDown"'],
        "target_matchers": [f'alertname=~"{WAN_EXPLAINS}"'],
        "equal": ["link_id"],
    },
    # A site on battery does not page for each device there.
    {
        "source_matchers": ['alertname="InfraUpsOnBattery"'],
        "target_matchers": [f'alertname=~"{POWER_EXPLAINS}"'],
        "equal": ["site"],
    },
    # Allowable-band alerts explain the recommended-band warnings of the same sensor.
    {
        "source_matchers": ['alertname=~"InfraDc(Temperature|Humidity)OutsideAllowable"'],
        "target_matchers": ['alertname=~"InfraDc(Temperature|Humidity)OutsideRecommended"'],
        "equal": ["host"],
    },
)

# A spoke site's own causes, one rule per kind for the whole province: the alerts carry the
# spoke's site (a tunnel's link alert too, from the hub's end) and `cuts_off="site"` when the cause
# cuts off exactly that site (dependencies.py; set on the targets and infra_wan_link_info).
SPOKE_SITE_RULES: tuple[Config, ...] = (
    # A spoke's tunnel or its CPE's carrier access down (or its VPN endpoint unreachable)
    # explains every alert at that site. Its site's other link alerts are sources of this rule
    # too, so Alertmanager lets none of them silence another.
    {
        "source_matchers": [f'alertname=~"{WAN_ROOT_CAUSES}"', 'cuts_off="site"'],
        "target_matchers": [],
        "equal": ["site"],
    },
    # The site's CPE unreachable explains the rest of its site, but not the link alerts that carry
    # that site too: seen from the DC a cut link is the first fact (the CPE's management runs over
    # it). Without the exception, each would silence the other.
    {
        "source_matchers": ['alertname="InfraDeviceUnreachable"', 'cuts_off="site"'],
        "target_matchers": [f'alertname!~"{WAN_ROOT_CAUSES}"'],
        "equal": ["site"],
    },
)


def inhibit_rules(inv: Inventory) -> list[Config]:
    """A constant number of rules: the generic ones, the spoke sites' (`equal: [site]`), and one per
    group of upstream elements that cut off the same several sites (the hub and the carrier PE,
    the hub's carrier access): their count follows the carrier topology, not the province's size."""
    return copy.deepcopy([*GENERIC_RULES, *SPOKE_SITE_RULES]) + upstream_rules(inv)


def upstream_rules(inv: Inventory) -> list[Config]:
    """Devices and links whose failure cuts off sites other than (or besides) the one their alerts
    carry, which `equal` cannot reach: "this one down silences every alert at these sites"."""
    rules: list[Config] = []
    behind = sites_behind(inv)
    own_site_only = {n for n in behind.hosts if n in inv.hosts and host_cuts_off_site(behind, inv.hosts[n])}
    hosts = {n: s for n, s in behind.hosts.items() if n not in own_site_only}
    links = {n: s for n, s in behind.links.items() if len(s) > 1}
    # Upstream devices (and links) that cut off exactly the same sites share one rule.
    for label, sources, alertnames in (
        ("host", hosts, 'alertname="InfraDeviceUnreachable"'),
        ("link_id", links, f'alertname=~"{WAN_ROOT_CAUSES}"'),
    ):
        by_sites: dict[tuple[frozenset[str], bool], list[str]] = {}
        for name, behind_it in sources.items():
            by_sites.setdefault((frozenset(behind_it), _at_own_site(inv, label, name, behind_it)), []).append(
                name
            )
        for (sites, own), names in sorted(by_sites.items(), key=lambda kv: sorted(kv[1])):
            op = "=" if len(names) == 1 else "=~"
            targets = [f'site=~"{_any_of(sites)}"']
            if own:
                # A device at one of the sites behind it: as for a spoke's CPE above, it does not
                # silence the link alerts that carry its site (each would silence the other).
                targets.append(f'alertname!~"{WAN_ROOT_CAUSES}"')
            rules.append(
                {
                    "source_matchers": [alertnames, f'{label}{op}"{_any_of(names)}"'],
                    "target_matchers": targets,
                }
            )
    return rules


def _at_own_site(inv: Inventory, label: str, name: str, sites: set[str]) -> bool:
    """The source device sits at one of the sites behind it (a spoke site's CPE)."""
    return label == "host" and name in inv.hosts and inv.hosts[name].site in sites


def alertmanager_config(inv: Inventory, opts: RenderOptions) -> Config:
    return {
        "global": {
            "smtp_smarthost": opts.smarthost,
            "smtp_from": opts.email_from or f"alertmanager@{inv.province.domain}",
            "smtp_require_tls": False,
            "resolve_timeout": "5m",
        },
        "route": route(inv, opts),
        "receivers": receivers(inv, opts),
        "inhibit_rules": inhibit_rules(inv),
    }
