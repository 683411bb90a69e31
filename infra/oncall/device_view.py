"""The Device page's content, built without I/O from the inventory, the alert snapshot, what
Prometheus answered (device_metrics) and infra's own state (device_facts).

The page and `/api/device/{host}` show the same `DeviceView`; `as_json()` leaves out only the
drawn charts (the JSON carries their points). Nothing here holds configuration text or a secret:
the inventory facts shown are names, roles and addresses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from infra.inventory import Host, Inventory, Role
from infra.monitoring.labels import interface_name_on_device
from infra.monitoring.snmp_modules import ospf_neighbours
from infra.oncall.board import Snapshot
from infra.oncall.charts import Line, line_chart, si
from infra.oncall.device_facts import Compliance, JournalLine, LastBackup
from infra.oncall.device_metrics import DeviceMetrics
from infra.oncall.device_pick import chart_note
from infra.oncall.severity import UNKNOWN, worst
from infra.oncall.sources import Sample

Points = tuple[tuple[float, float], ...]

OSPF_STATES = {1: "down", 2: "attempt", 3: "init", 4: "two-way", 5: "exchange start", 6: "exchange",
               7: "loading", 8: "full"}  # fmt: skip
BGP_STATES = {1: "idle", 2: "connect", 3: "active", 4: "open sent", 5: "open confirm", 6: "established"}
LINK_WORDS = {
    "p2p": "point-to-point link",
    "carrier_access": "carrier access",
    "campus_uplink": "campus uplink",
    "tunnel": "WAN-VPN tunnel",
}


@dataclass(frozen=True)
class AlertLine:
    name: str
    severity: str
    summary: str
    starts_at: str
    active: bool  # False: inhibited or silenced


@dataclass(frozen=True)
class Target:
    job: str
    instance: str
    up: bool


@dataclass
class InterfaceRow:
    name: str
    if_name: str  # as the device reports it (ifName)
    kind: str
    address: str
    description: str
    peer_host: str
    peer_interface: str
    link_id: str
    bandwidth_mbps: int | None
    oper: str  # up | down | unknown
    in_bps: float | None
    out_bps: float | None
    charted: str = ""  # why it is charted (device_pick: all, down, errors, busiest, asked), or ""
    traffic: dict[str, Points] = field(default_factory=dict)
    errors: dict[str, Points] = field(default_factory=dict)


@dataclass(frozen=True)
class Neighbour:
    kind: str  # the operator's word: WAN-VPN tunnel, OSPF, BGP, ...
    peer_host: str
    via: str  # the link id, or the interface
    address: str
    state: str
    ok: bool | None  # None: unknown (Prometheus silent, or no metric for it)


@dataclass(frozen=True)
class MeetingReadiness:
    meeting: str  # "" for a check run without --meeting
    ready: bool
    failed_check: str
    mos: float | None
    loss_ratio: float | None
    jitter_ms: float | None
    checked_at: str


@dataclass(frozen=True)
class VcReadiness:
    sip_uri: str
    registered: bool | None  # at the call controller, per infra-sip-probe
    meetings: list[MeetingReadiness]
    thresholds: dict[str, float]


@dataclass(frozen=True)
class ServerFacts:
    load1: float | None
    cpus: int | None
    memory_available_ratio: float | None
    disks: list[tuple[str, float]]  # (mount point, free ratio)


@dataclass
class DeviceView:
    host: str
    role: str
    site: str
    agency: str
    platform: str
    mgmt_address: str
    model: str
    description: str
    state: str  # worst active alert: ok | info | warning | critical | unknown
    range: str
    alerts: list[AlertLine]
    targets: list[Target]
    interfaces: list[InterfaceRow]
    neighbours: list[Neighbour]
    journal: list[JournalLine]
    last_backup: LastBackup | None
    compliance: Compliance
    vc: VcReadiness | None
    server: ServerFacts | None
    problems: list[str]
    metrics_known: bool
    chart_note: str = ""  # how many interfaces are charted and why, when not all are
    asked_interface: str = ""  # ?if=: the one interface charted on demand (its ifName)
    charts: dict[str, tuple[Markup, Markup]] = field(default_factory=dict)  # if_name -> (traffic, errors)

    def as_json(self) -> dict[str, Any]:
        # asdict() deep-copies every value: for a hub's 2,400 interfaces and 4,800 neighbours that
        # is half a second, so the long lists are copied one level (their values are plain).
        long = {"interfaces", "neighbours", "charts"}
        out = asdict(replace(self, interfaces=[], neighbours=[], charts={}))
        for key in long:
            out.pop(key)
        out["interfaces"] = [vars(r).copy() for r in self.interfaces]
        out["neighbours"] = [vars(n).copy() for n in self.neighbours]
        finite: dict[str, Any] = _finite(out)
        return finite


def _finite(value: Any) -> Any:
    """JSON has no NaN: an unknown number is null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _last(points: Points | None) -> float | None:
    for _, v in reversed(points or ()):
        if math.isfinite(v):
            return v
    return None


def _finite_or(value: float | None, other: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else other


def _when(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds")


def interface_rows(inv: Inventory, host: Host, m: DeviceMetrics) -> list[InterfaceRow]:
    rows = []
    for i in inv.interfaces[host.name]:
        if i.kind == "loopback":
            continue
        ifname = interface_name_on_device(inv, i.name, i.lab_name)
        oper = m.oper.get(ifname)
        traffic, errors = m.traffic.get(ifname, {}), m.errors.get(ifname, {})
        now = m.rates.get(ifname, {})
        rows.append(
            InterfaceRow(
                i.name,
                ifname,
                i.kind,
                str(i.address) if i.address else "",
                i.description,
                i.peer_host or "",
                i.peer_interface or "",
                i.link_id or "",
                i.bandwidth_mbps,
                "unknown" if oper is None else "up" if oper == 1 else "down",
                _finite_or(now.get("in"), _last(traffic.get("in"))),
                _finite_or(now.get("out"), _last(traffic.get("out"))),
                m.charted.get(ifname, ""),
                traffic,
                errors,
            )
        )
    return rows


def neighbours(inv: Inventory, host: Host, rows: list[InterfaceRow], m: DeviceMetrics) -> list[Neighbour]:
    out = [
        Neighbour(
            LINK_WORDS.get(r.kind, r.kind),
            r.peer_host,
            r.link_id or r.name,
            f"{r.name} → {r.peer_interface}" if r.peer_interface else r.name,
            f"interface {r.oper}",
            None if r.oper == "unknown" else r.oper == "up",
        )
        for r in rows
        if r.peer_host
    ]
    for address, peer, link_id, _kind in ospf_neighbours(inv, host.name):
        text, ok = _state(m.ospf.get(address), OSPF_STATES, 8, m.scrape_errors.get("ospf"))
        out.append(Neighbour("OSPF", peer, link_id, address, text, ok))
    for s in inv.bgp_sessions.get(host.name, ()):
        text, ok = _state(m.bgp.get(str(s.peer_address)), BGP_STATES, 6, m.scrape_errors.get("bgp4"))
        kind = f"BGP (AS {s.remote_as})"
        out.append(Neighbour(kind, s.peer_host, s.link_id, str(s.peer_address), text, ok))
    return out


def _state(
    value: float | None, names: dict[int, str], good: int, scrape_error: float | None
) -> tuple[str, bool | None]:
    """(state in words, ok): a neighbour missing from a module that walked cleanly is down."""
    if value is None or not math.isfinite(value):
        if scrape_error == 0:
            return "absent (down)", False
        return "unknown", None
    return names.get(int(value), f"state {value:g}"), int(value) == good


def vc_readiness(inv: Inventory, host: Host, m: DeviceMetrics) -> VcReadiness | None:
    if host.role != Role.VC_ENDPOINT:
        return None
    vc = m.vc
    registered = vc.get("registered") or []
    by_meeting: dict[str, dict[str, float]] = {}
    for key in ("ready", "mos", "loss", "jitter"):
        for s in vc.get(key, []):
            by_meeting.setdefault(s.labels.get("meeting", ""), {})[key] = s.value
    failed = {s.labels.get("meeting", ""): s.labels.get("check", "") for s in vc.get("failed", [])}
    checked = {s.labels.get("meeting", ""): s.value for s in vc.get("checked", [])}
    meetings = [
        MeetingReadiness(
            meeting,
            values.get("ready") == 1,
            failed.get(meeting, ""),
            values.get("mos"),
            values.get("loss"),
            values["jitter"] * 1000 if "jitter" in values else None,
            _when(checked[meeting]) if meeting in checked else "",
        )
        for meeting, values in sorted(by_meeting.items())
        if "ready" in values
    ]
    r = inv.vc.readiness if inv.vc else None
    thresholds = (
        {"min_mos": r.min_mos, "max_loss_pct": r.max_loss_pct, "max_jitter_ms": r.max_jitter_ms} if r else {}
    )
    return VcReadiness(
        host.sip_uri or "",
        registered[0].value == 1 if registered else None,
        meetings,
        thresholds,
    )


def server_facts(host: Host, m: DeviceMetrics) -> ServerFacts | None:
    if host.role != Role.SERVER:
        return None

    def one(key: str) -> float | None:
        samples: list[Sample] = m.node.get(key, [])
        return samples[0].value if samples else None

    cpus = one("cpus")
    disks = sorted((s.labels.get("mountpoint", "?"), s.value) for s in m.node.get("disk_free", []))
    return ServerFacts(one("load1"), int(cpus) if cpus is not None else None, one("memory_available"), disks)


def charts(rows: list[InterfaceRow], m: DeviceMetrics) -> dict[str, tuple[Markup, Markup]]:
    """A traffic chart (bit/s in and out) and an error chart (errors/s) per interface with data."""
    out = {}
    for r in rows:
        if not r.charted or (not r.traffic and not r.errors):
            continue
        traffic = [Line(n, r.traffic[n]) for n in ("in", "out") if n in r.traffic]
        errors = [Line(n, r.errors[n]) for n in ("in errors", "out errors") if n in r.errors]
        out[r.if_name] = (
            line_chart(f"{r.name} traffic", traffic, m.start, m.end, m.step, "bit/s"),
            line_chart(f"{r.name} errors", errors, m.start, m.end, m.step, "/s"),
        )
    return out


def device_view(
    inv: Inventory,
    host: Host,
    snap: Snapshot,
    m: DeviceMetrics,
    problems: list[str],
    range_name: str,
    journal: list[JournalLine],
    backup: LastBackup | None,
    compliance: Compliance,
    chosen: str | None = None,
) -> DeviceView:
    mine = [a for a in snap.alerts if a.host == host.name]
    site = inv.sites.get(host.site)
    rows = interface_rows(inv, host, m)
    note = chart_note(m.picked, len(rows)) if m.picked else ""
    if chosen is not None:
        name = next((r.name for r in rows if r.if_name == chosen), chosen)
        note = f"Charted: {name} only, as asked; every interface is in the table."
    return DeviceView(
        host=host.name,
        role=str(host.role),
        site=host.site,
        agency=site.agency or "" if site else "",
        platform=str(host.platform),
        mgmt_address=str(host.mgmt_address),
        model=host.model or "",
        description=host.description or "",
        state=worst(mine) if snap.alerts_known else UNKNOWN,
        range=range_name,
        alerts=[
            AlertLine(
                a.name, a.severity, a.annotations.get("summary", ""), _when(a.starts_at.timestamp()), a.active
            )
            for a in sorted(mine, key=lambda a: (not a.active, a.starts_at))
        ],
        targets=sorted(
            (Target(s.labels.get("job", ""), s.labels.get("instance", ""), s.value == 1) for s in m.up),
            key=lambda t: (t.job, t.instance),
        ),
        interfaces=rows,
        neighbours=neighbours(inv, host, rows, m),
        journal=journal,
        last_backup=backup,
        compliance=compliance,
        vc=vc_readiness(inv, host, m),
        server=server_facts(host, m),
        problems=[*snap.problems, *problems],
        metrics_known=m.answered,
        chart_note=note,
        asked_interface=chosen or "",
        charts=charts(rows, m),
    )


__all__ = ["DeviceView", "device_view", "si"]
