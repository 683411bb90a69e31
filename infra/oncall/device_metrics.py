"""What the Device page asks Prometheus, in the metric and label names the exporters really write.

- Interfaces: the SNMP exporter's `if_mib` module (exporters/snmp/modules/if_mib.yml, the same
  names as prometheus/snmp_exporter's): `ifHCInOctets`/`ifHCOutOctets`, `ifInErrors`/`ifOutErrors`,
  `ifOperStatus` (1 up), every series labelled `host` (the target's inventory labels) and `ifName`
  (in a lab province the Linux name: labels.interface_name_on_device).
- Neighbours: `ospfNbrState{ospfNbrIpAddr}` (8 full) and `bgpPeerState{bgpPeerRemoteAddr}`
  (6 established), what InfraOspfNeighbourDown and InfraBgpPeerDown read.
- VC: `infra_vc_registered{endpoint}` (infra-sip-probe) and the `infra vc check` results
  (infra/vc/metrics.py) through node exporter's textfile collector.
- Servers: node exporter's load, memory and filesystems.

One range query per metric family for the whole device, not one per interface; every query of a
page runs concurrently, so a Prometheus that hangs costs one timeout, not one per query.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from infra.oncall.device_pick import (
    ALL,
    ASKED,
    CHART_AT_MOST,
    Picked,
    busiest_query,
    erroring_query,
    ifname_regex,
    oper_query,
    pick,
    rates_query,
)
from infra.oncall.sources import Sample, Series, SourceDown, Sources

T = TypeVar("T")

RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600}  # ?range=, the seconds each covers
POINTS = 240  # points per line: 15 s apart over an hour
NODE_FS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs"'  # alerts.py NON_VOLATILE_FS

# (label in the page, PromQL with {sel} for the device's selector and {w} for the rate window)
TRAFFIC = (("in", "rate(ifHCInOctets{sel}[{w}]) * 8"), ("out", "rate(ifHCOutOctets{sel}[{w}]) * 8"))
ERRORS = (("in errors", "rate(ifInErrors{sel}[{w}])"), ("out errors", "rate(ifOutErrors{sel}[{w}])"))


def label_value(text: str) -> str:
    """A PromQL string literal's inside."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def step_and_window(seconds: int) -> tuple[int, str]:
    """The step of a range, and a rate window that always holds several scrapes (5 min at least,
    two steps when the steps are longer)."""
    step = max(seconds // POINTS, 1)
    return step, f"{max(300, 2 * step)}s"


@dataclass
class Asked:
    """Answers of one page's queries, and the problems met (one banner per source)."""

    problems: list[str] = field(default_factory=list)

    async def get(self, call: Awaitable[T], empty: T) -> T:
        try:
            return await call
        except SourceDown as exc:
            text = f"Prometheus is not answering ({exc}): the device's state and charts are unknown"
            if text not in self.problems and not any(p.startswith("Prometheus") for p in self.problems):
                self.problems.append(text)
        except ValueError as exc:  # Prometheus refused the query: our bug, say so instead of a 500
            self.problems.append(f"Prometheus refused a query of this page: {exc}")
        return empty


@dataclass
class DeviceMetrics:
    """Everything the page reads from Prometheus for one device (empty when it did not answer)."""

    up: list[Sample] = field(default_factory=list)
    oper: dict[str, float] = field(default_factory=dict)  # ifName -> ifOperStatus
    rates: dict[str, dict[str, float]] = field(default_factory=dict)  # ifName -> in|out -> bit/s now
    # the charted interfaces: ifName -> why (device_pick); `picked` is None when all are charted
    charted: dict[str, str] = field(default_factory=dict)
    picked: Picked | None = None
    traffic: dict[str, dict[str, tuple[tuple[float, float], ...]]] = field(default_factory=dict)
    errors: dict[str, dict[str, tuple[tuple[float, float], ...]]] = field(default_factory=dict)
    ospf: dict[str, float] = field(default_factory=dict)  # neighbour address -> ospfNbrState
    bgp: dict[str, float] = field(default_factory=dict)  # peer address -> bgpPeerState
    # module -> snmp_scrape_error: a module that walked cleanly and lacks a neighbour's row means
    # the neighbour is gone (what InfraOspfNeighbourDown and InfraBgpPeerDown say too)
    scrape_errors: dict[str, float] = field(default_factory=dict)
    vc: dict[str, list[Sample]] = field(default_factory=dict)
    node: dict[str, list[Sample]] = field(default_factory=dict)
    start: float = 0.0
    end: float = 0.0
    step: int = 15
    answered: bool = False  # Prometheus answered at least the status query


def _by(samples: list[Sample], label: str) -> dict[str, float]:
    return {s.labels.get(label, ""): s.value for s in samples}


def _rates(samples: list[Sample]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for s in samples:
        out.setdefault(s.labels.get("ifName", ""), {})[s.labels.get("direction", "")] = s.value
    return out


def _lines(
    answers: list[list[Series]], names: tuple[tuple[str, str], ...]
) -> dict[str, dict[str, tuple[tuple[float, float], ...]]]:
    """ifName -> line name -> points, from one answer per line name."""
    out: dict[str, dict[str, tuple[tuple[float, float], ...]]] = {}
    for (name, _), series in zip(names, answers, strict=True):
        for s in series:
            ifname = s.labels.get("ifName", "")
            out.setdefault(ifname, {})[name] = s.points
    return out


VC_QUERIES = {
    "registered": "max by (endpoint) (infra_vc_registered{{endpoint={ep}}})",
    "ready": "max by (endpoint, meeting) (infra_vc_ready{{endpoint={ep}}})",
    "failed": "max by (endpoint, meeting, check) (infra_vc_check_failed{{endpoint={ep}}} == 1)",
    "mos": "max by (endpoint, meeting) (infra_vc_call_mos{{endpoint={ep}}})",
    "loss": "max by (endpoint, meeting) (infra_vc_call_loss_ratio{{endpoint={ep}}})",
    "jitter": "max by (endpoint, meeting) (infra_vc_call_jitter_seconds{{endpoint={ep}}})",
    "checked": "max by (meeting) (infra_vc_check_timestamp_seconds)",
}

NODE_QUERIES = {
    "load1": "node_load1{sel}",
    "cpus": "count by (host) (node_cpu_seconds_total{sel_mode})",
    "memory_available": "node_memory_MemAvailable_bytes{sel} / node_memory_MemTotal_bytes{sel}",
    "disk_free": "node_filesystem_avail_bytes{sel_fs} / node_filesystem_size_bytes{sel_fs}",
}


async def device_metrics(
    sources: Sources,
    host: str,
    now: float,
    seconds: int,
    *,
    interfaces: bool,
    ospf: bool,
    bgp: bool,
    vc: bool,
    server: bool,
    if_names: Sequence[str] = (),
    chosen: str | None = None,
    chart_at_most: int = CHART_AT_MOST,
) -> tuple[DeviceMetrics, list[str]]:
    """Ask Prometheus everything about `host` at once; (metrics, problems).

    `if_names` are the device's interfaces as it names them (inventory order). Up to
    `chart_at_most` of them every one is charted; past that, device_pick chooses which (a second
    round of range queries, for those only). `chosen` charts that one interface alone."""
    asked = Asked()
    h = f'"{label_value(host)}"'
    sel = "{host=" + h + "}"
    step, window = step_and_window(seconds)
    start = now - seconds

    def instant(promql: str) -> Awaitable[list[Sample]]:
        return asked.get(sources.query(promql, raw=True), [])

    def charts_of(names: Sequence[str] | None) -> dict[str, Awaitable[list[Series]]]:
        """The range queries of the charts: the whole device (None), or these interfaces."""
        only = sel
        if names is not None:
            only = "{host=" + h + ',ifName=~"' + label_value(ifname_regex(names)) + '"}'
        lines = (("traffic", TRAFFIC), ("errors", ERRORS))
        return {
            f"{kind}:{n}": asked.get(
                sources.query_range(q.format(sel=only, w=window), start, now, step, raw=True), []
            )
            for kind, family in lines
            for n, q in family
        }

    many = interfaces and chosen is None and len(if_names) > chart_at_most
    calls: dict[str, Awaitable[Any]] = {"up": asked.get(sources.query(f"up{sel}"), None)}
    if interfaces:
        calls["oper"] = instant(oper_query(sel))
        calls["rates"] = instant(rates_query(sel, window))
        if many:
            calls["erroring"] = instant(erroring_query(sel, seconds, chart_at_most))
            calls["busiest"] = instant(busiest_query(sel, seconds, chart_at_most))
        else:
            calls |= charts_of(None if chosen is None else [chosen])
    if ospf:
        calls["ospf"] = instant(f"ospfNbrState{sel}")
    if bgp:
        calls["bgp"] = instant(f"bgpPeerState{sel}")
    if ospf or bgp:
        calls["scrape_errors"] = instant(f"snmp_scrape_error{sel}")
    if vc:
        calls |= {f"vc:{k}": instant(q.format(ep=h)) for k, q in VC_QUERIES.items()}
    if server:
        fills = {
            "sel": sel,
            "sel_mode": "{host=" + h + ',mode="idle"}',
            "sel_fs": "{host=" + h + "," + NODE_FS + "}",
        }
        calls |= {f"node:{k}": instant(_fill(q, fills)) for k, q in NODE_QUERIES.items()}
    keys = list(calls)
    answers = dict(zip(keys, await asyncio.gather(*calls.values()), strict=True))
    up = answers.pop("up")
    oper = _by(answers.get("oper", []), "ifName")
    picked: Picked | None = None
    charted = dict.fromkeys([chosen] if chosen is not None else if_names, ASKED if chosen else ALL)
    if many:
        erroring = _by(answers.pop("erroring", []), "ifName")
        busiest = _by(answers.pop("busiest", []), "ifName")
        picked = pick(if_names, oper, erroring, busiest, chart_at_most)
        charted = picked.why
        if charted:  # the second round: only the picked interfaces' lines
            names = list(charted)
            more = charts_of(names)
            answers |= dict(zip(more, await asyncio.gather(*more.values()), strict=True))
    m = DeviceMetrics(
        up=up or [],
        oper=oper,
        rates=_rates(answers.get("rates", [])),
        charted=charted,
        picked=picked,
        traffic=_lines([answers.get(f"traffic:{n}", []) for n, _ in TRAFFIC], TRAFFIC),
        errors=_lines([answers.get(f"errors:{n}", []) for n, _ in ERRORS], ERRORS),
        ospf=_by(answers.get("ospf", []), "ospfNbrIpAddr"),
        bgp=_by(answers.get("bgp", []), "bgpPeerRemoteAddr"),
        scrape_errors=_by(answers.get("scrape_errors", []), "module"),
        vc={k[3:]: v for k, v in answers.items() if k.startswith("vc:")},
        node={k[5:]: v for k, v in answers.items() if k.startswith("node:")},
        start=start,
        end=now,
        step=step,
        answered=up is not None,
    )
    return m, asked.problems


def _fill(template: str, fills: Mapping[str, str]) -> str:
    for key in sorted(fills, key=len, reverse=True):
        template = template.replace("{" + key + "}", fills[key])
    return template


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
