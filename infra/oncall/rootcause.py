"""Alerts grouped by root cause: the alert that explains the others on top, the rest folded beneath.

Two sources of "A explains B", in this order:

1. Alertmanager's own word: B's `inhibitedBy` names A's fingerprint (the province's inhibition
   rules, infra/monitoring/alertmanager.py). A fingerprint that is not in the snapshot (the
   inhibiting alert just resolved) is ignored: B then stands on its own.
2. The inventory's topology, for alerts that depend on a root cause without being inhibited
   (a warning at a cut-off site, a VC endpoint while the call controller is down): the same
   relations as the inhibition rules, looked up in indexes built once per snapshot, so grouping
   stays O(alerts + sites behind the devices that are down).

Chains resolve to the top (a spoke's alerts under its WAN link, the link under the hub's carrier
access); a cycle (two alerts inhibiting each other) is cut where it closes.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from infra.inventory import Inventory
from infra.monitoring.alertmanager import (
    POWER_EXPLAINS,
    VC_CONTROLLER_EXPLAINS,
    VC_RELAY_EXPLAINS,
    WAN_EXPLAINS,
    WAN_ROOT_CAUSES,
)
from infra.monitoring.dependencies import Behind, hub_site, sites_behind
from infra.oncall.severity import ORDER
from infra.oncall.sources import Alert

WAN_ROOTS = frozenset(WAN_ROOT_CAUSES.split("|"))
WAN_FOLLOWERS = frozenset(WAN_EXPLAINS.split("|"))
POWER_FOLLOWERS = frozenset(POWER_EXPLAINS.split("|"))
VC_CONTROLLER_FOLLOWERS = frozenset(VC_CONTROLLER_EXPLAINS.split("|"))
VC_RELAY_FOLLOWERS = frozenset(VC_RELAY_EXPLAINS.split("|"))
SAME_HOST_AS_SERVER_DOWN = frozenset(
    [
        "InfraServiceProbeFailing",
        "InfraServerDiskFilling",
        "InfraServerClockDrift",
        "InfraVcCallControllerDown",
        "InfraVcMediaRelayDown",
        "InfraVcRegistrationProbeFailing",
    ]
)


@dataclass(frozen=True)
class LinkEnd:
    host: str
    interface: str


@dataclass
class Topology:
    """What grouping and the operator's words need from the inventory, built once per inventory."""

    site_of_host: dict[str, str]
    hosts_at_site: dict[str, list[str]]
    behind: Behind
    link_ends: dict[str, list[LinkEnd]]
    link_kind: dict[str, str]  # tunnel | carrier_access | p2p | campus_uplink
    hub_site: str | None

    @classmethod
    def of(cls, inv: Inventory) -> Topology:
        cached = _TOPOLOGIES.get(inv)
        if cached is None:
            cached = _TOPOLOGIES[inv] = cls.build(inv)
        return cached

    @classmethod
    def build(cls, inv: Inventory) -> Topology:
        at_site: dict[str, list[str]] = defaultdict(list)
        for name, host in inv.hosts.items():
            at_site[host.site].append(name)
        ends: dict[str, list[LinkEnd]] = defaultdict(list)
        kinds: dict[str, str] = {}
        for name, interfaces in inv.interfaces.items():
            for i in interfaces:
                if i.link_id:
                    ends[i.link_id].append(LinkEnd(name, i.name))
                    kinds[i.link_id] = i.kind
        return cls(
            site_of_host={n: h.site for n, h in inv.hosts.items()},
            hosts_at_site=dict(at_site),
            behind=sites_behind(inv),
            link_ends=dict(ends),
            link_kind=kinds,
            hub_site=hub_site(inv),
        )

    def sites_of(self, alert: Alert) -> set[str]:
        """The site the alert is about (its label) and the site of its device."""
        sites = {alert.site} if alert.site else set()
        device_site = self.site_of_host.get(alert.host)
        if device_site:
            sites.add(device_site)
        return sites


_TOPOLOGIES: weakref.WeakKeyDictionary[Inventory, Topology] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Folded:
    alert: Alert
    reason: str  # why it sits under the root, in the operator's words


@dataclass
class Group:
    root: Alert
    folded: list[Folded] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.root.fingerprint

    @property
    def alerts(self) -> list[Alert]:
        return [self.root, *(f.alert for f in self.folded)]

    @property
    def silenced(self) -> bool:
        return bool(self.root.silenced_by)


@dataclass(frozen=True)
class Grouping:
    groups: list[Group]  # root not silenced: what needs someone, worst first
    silenced: list[Group]  # root silenced: shown apart


def _rank(a: Alert) -> tuple[int, str, str]:
    return (-ORDER.get(a.severity, 0), a.starts_at.isoformat(), a.fingerprint)


def _best(candidates: Iterable[Alert]) -> Alert | None:
    """The most fundamental of several alerts explaining the same thing: a link down before its
    endpoint unreachable, carrier access before a tunnel (the tunnel rides on it), then the worst,
    the oldest."""
    return min(
        candidates,
        key=lambda a: (
            a.name != "InfraWanLinkDown",
            a.labels.get("link_kind") != "carrier_access",
            *_rank(a),
        ),
        default=None,
    )


class _Explainers:
    """Indexes of the alerts present that may explain others, by what they explain."""

    def __init__(self, alerts: list[Alert], topo: Topology) -> None:
        wan_at_site: dict[str, list[Alert]] = defaultdict(list)
        upstream: dict[str, list[tuple[Alert, str]]] = defaultdict(list)  # site -> (alert, why)
        by_name: dict[str, list[Alert]] = defaultdict(list)
        self.unreachable: dict[str, Alert] = {}
        self.server_down: dict[str, Alert] = {}
        self.link_down: dict[str, Alert] = {}
        self.on_battery: dict[str, Alert] = {}
        self.gateway_down: dict[str, tuple[Alert, str]] = {}  # a spoke site's CPE does not answer
        for a in alerts:
            by_name[a.name].append(a)
            link = a.labels.get("link_id", "")
            if a.name in WAN_ROOTS:
                behind = topo.behind.links.get(link, set())
                if len(behind) > 1:  # a link every spoke rides on: the sites behind it are cut off
                    for site in behind:
                        upstream[site].append((a, f"behind WAN link {link}"))
                elif a.site:
                    wan_at_site[a.site].append(a)
            if a.name == "InfraWanLinkDown" and link:
                self.link_down[link] = _pick(self.link_down.get(link), a)
            elif a.name == "InfraDeviceUnreachable" and a.host:
                self.unreachable[a.host] = _pick(self.unreachable.get(a.host), a)
                for site in topo.behind.hosts.get(a.host, ()):
                    if site != topo.site_of_host.get(a.host):
                        upstream[site].append((a, f"behind {a.host}, which does not answer"))
                    else:
                        self.gateway_down[site] = (a, f"the site's gateway {a.host} does not answer")
            elif a.name == "InfraServerDown" and a.host:
                self.server_down[a.host] = _pick(self.server_down.get(a.host), a)
            elif a.name == "InfraUpsOnBattery" and a.site:
                self.on_battery[a.site] = _pick(self.on_battery.get(a.site), a)
        self.wan_at_site = {s: _best(c) for s, c in wan_at_site.items()}
        self.upstream = {s: min(c, key=lambda p: _rank(p[0])) for s, c in upstream.items()}
        self.by_name = {n: _best(c) for n, c in by_name.items()}

    def parent(self, a: Alert, topo: Topology) -> tuple[Alert, str] | None:
        """The alert present that explains `a` by the topology, most fundamental first."""
        for candidate in self._candidates(a, topo):
            if candidate is not None and candidate[0].fingerprint != a.fingerprint:
                return candidate
        return None

    def _candidates(self, a: Alert, topo: Topology) -> Iterable[tuple[Alert, str] | None]:
        site = a.site or topo.site_of_host.get(a.host, "")
        yield self.upstream.get(site)
        wan = self.wan_at_site.get(site)
        if wan is not None:
            yield wan, f"site {site} is cut off"
        link = a.labels.get("link_id", "")
        if a.name in WAN_FOLLOWERS and link in self.link_down:
            yield self.link_down[link], f"WAN link {link} is down"
        if a.name not in WAN_ROOTS:
            # Seen from the data centre a cut link is the first fact: the CPE's management runs
            # over it, so the CPE unreachable never explains its own site's link.
            yield self.gateway_down.get(site)
            host_down = self.unreachable.get(a.host)
            if host_down is not None:
                yield host_down, f"{a.host} does not answer"
        if a.name in POWER_FOLLOWERS and site in self.on_battery:
            yield self.on_battery[site], f"site {site} is on battery"
        if a.name in SAME_HOST_AS_SERVER_DOWN and a.host in self.server_down:
            yield self.server_down[a.host], f"server {a.host} is down"
        yield from self._by_name(a)

    def _by_name(self, a: Alert) -> Iterable[tuple[Alert, str] | None]:
        def named(name: str, why: str) -> tuple[Alert, str] | None:
            found = self.by_name.get(name)
            return (found, why) if found is not None else None

        if a.name in VC_CONTROLLER_FOLLOWERS:
            yield named("InfraVcCallControllerDown", "the call controller is down")
        if a.name in VC_RELAY_FOLLOWERS:
            yield named("InfraVcMediaRelayDown", "the media relay is down")
        if a.name in ("InfraVcEndpointNotRegistered", "InfraVcReadinessFailing"):
            yield named("InfraVcRegistrationsDropping", "registrations drop province-wide")
        if a.name == "InfraSnmpScrapeFailing":
            exporter = self.by_name.get("InfraExporterDown")
            if exporter is not None and exporter.labels.get("exporter") == "snmp":
                yield exporter, "the SNMP exporter is down"
        for kind in ("Temperature", "Humidity"):
            if a.name == f"InfraDc{kind}OutsideRecommended":
                found = self.by_name.get(f"InfraDc{kind}OutsideAllowable")
                if found is not None and found.host == a.host:
                    yield found, f"outside the allowable {kind.lower()} band"


def _pick(current: Alert | None, new: Alert) -> Alert:
    return new if current is None or _rank(new) < _rank(current) else current


def _inhibitor(a: Alert, by_fp: dict[str, Alert]) -> Alert | None:
    """The alert present that Alertmanager says inhibits `a`: one not itself inhibited first."""
    present = [by_fp[fp] for fp in a.inhibited_by if fp in by_fp and fp != a.fingerprint]
    return min(present, key=lambda p: (bool(p.inhibited_by), *_rank(p)), default=None)


def group_alerts(alerts: Iterable[Alert], topo: Topology) -> Grouping:
    """Every alert exactly once: as a group's root or folded under one."""
    alerts = list(alerts)
    by_fp = {a.fingerprint: a for a in alerts}
    explainers = _Explainers(alerts, topo)
    # Alertmanager names one inhibiting alert per rule, whichever it finds first: a spoke CPE and
    # its VPN endpoint may each name the other. Where its word closes a cycle, the topology's
    # parent takes over (the site's WAN link), and only then is the alert a root.
    inhibited: dict[str, tuple[str, str]] = {}
    explained: dict[str, tuple[str, str]] = {}
    for a in alerts:
        inhibitor = _inhibitor(a, by_fp)
        if inhibitor is not None:
            inhibited[a.fingerprint] = (inhibitor.fingerprint, f"inhibited by {inhibitor.name}")
        found = explainers.parent(a, topo)
        if found is not None:
            explained[a.fingerprint] = (found[0].fingerprint, found[1])
    parent = explained | inhibited

    root_of: dict[str, str] = {}
    for a in alerts:
        path: list[str] = []
        on_path: set[str] = set()
        fp = a.fingerprint
        while fp not in root_of:
            path.append(fp)
            on_path.add(fp)
            up = parent.get(fp)
            if up is not None and up[0] in on_path:  # the edge that closes a cycle
                up = explained.get(fp)
                if up is not None and up[0] in on_path:
                    up = None
            if up is None:
                parent.pop(fp, None)
                root_of[fp] = fp
                break
            parent[fp] = up
            fp = up[0]
        top = root_of[fp]
        for p in path:
            root_of[p] = top

    groups: dict[str, Group] = {}
    for a in sorted(alerts, key=_rank):
        top = root_of[a.fingerprint]
        if top == a.fingerprint:
            groups.setdefault(top, Group(a)).root = a
    for a in sorted(alerts, key=_rank):
        top = root_of[a.fingerprint]
        if top != a.fingerprint:
            groups[top].folded.append(Folded(a, parent[a.fingerprint][1]))
    ordered = sorted(groups.values(), key=lambda g: (_rank(g.root)[0], -len(g.folded), _rank(g.root)[1:]))
    return Grouping(
        groups=[g for g in ordered if not g.silenced], silenced=[g for g in ordered if g.silenced]
    )
