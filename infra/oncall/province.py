"""Province page: every site as a tile coloured by its worst active alert, the WAN-VPN as hub and
spokes with each tunnel's state, and the data centre's power and cooling.

`province_view` is pure (inventory + alert snapshot + Prometheus samples -> view) and linear in
sites, tunnels, alerts and samples, so the page stays fast for a 3,000-device province with 500
alerts. The handler asks Alertmanager (through the shared snapshot) and Prometheus (one query per
metric family) concurrently; whatever does not answer becomes a banner and grey, never a blank.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.inventory import Inventory
from infra.inventory.models import SiteKind
from infra.oncall.board import Snapshot, board_of
from infra.oncall.facilities import ENVIRONMENT_QUERY, PDU_QUERY, UPS_QUERY, Facilities, facilities_view
from infra.oncall.severity import UNKNOWN, worst
from infra.oncall.sources import Alert, Sample, SourceDown, Sources
from infra.oncall.wan_svg import Spoke, draw

# The series InfraWanLinkDown fires on (`infra:wan_link_up == 0`), one per end of each tunnel,
# labelled with the tunnel's link_id and the spoke's site. Recorded, so the global Prometheus of a
# sharded stack federates it too. Only the three labels the drawing reads are asked for: at 2,400
# tunnels the full label sets are most of the answer's bytes and of the page's time (bench/oncall.py).
TUNNEL_QUERY = 'min by (link_id, host, ifName) (infra:wan_link_up{link_kind="tunnel"})'
PROM_DOWN = "Prometheus is not answering"
QUERIES = (TUNNEL_QUERY, UPS_QUERY, PDU_QUERY, ENVIRONMENT_QUERY)  # asked concurrently, once each

KIND_WORDS = {
    SiteKind.DATA_CENTRE: "data centre",
    SiteKind.CAMPUS: "administrative centre campus",
    SiteKind.CARRIER: "carrier gateway",
    SiteKind.DEPARTMENT: "department",
    SiteKind.COMMUNE: "commune",
    SiteKind.LEGACY_DISTRICT: "district (legacy)",
}
KIND_ORDER = {k: n for n, k in enumerate(KIND_WORDS)}
KIND_HEADINGS = {
    "data centre": "Data centre",
    "administrative centre campus": "Administrative centre",
    "carrier gateway": "Carrier gateway",
    "department": "Departments",
    "commune": "Communes",
    "district (legacy)": "Districts (legacy)",
}


@dataclass(frozen=True)
class SiteTile:
    site: str
    title: str  # the agency's name, else the site's
    kind: str  # the site kind in words
    state: str  # ok | warning | critical | info | unknown
    alerts: int  # active alerts (not inhibited, not silenced)


@dataclass(frozen=True)
class Tunnel:
    link_id: str
    spoke_host: str
    site: str
    title: str
    state: str  # up | down | unknown
    detail: str  # which end sees it down, or why unknown


@dataclass
class ProvinceView:
    tiles: list[SiteTile]
    hub: str  # the hub site's name in words ("" without a WAN-VPN)
    hub_site: str
    tunnels: list[Tunnel]
    facilities: Facilities
    problems: list[str] = field(default_factory=list)

    def tile_groups(self) -> list[tuple[str, list[SiteTile]]]:
        """The tiles under one heading per site kind (the tiles are sorted by kind already)."""
        groups: dict[str, list[SiteTile]] = {}
        for t in self.tiles:
            groups.setdefault(KIND_HEADINGS.get(t.kind, t.kind), []).append(t)
        return list(groups.items())

    @property
    def tunnels_down(self) -> list[Tunnel]:
        return [t for t in self.tunnels if t.state == "down"]

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "sites": [asdict(t) for t in self.tiles],
            "wan": {"hub": self.hub, "hub_site": self.hub_site, "tunnels": [asdict(t) for t in self.tunnels]},
            "power": {
                "ups": [asdict(u) for u in self.facilities.ups],
                "pdu_phases": [asdict(p) for p in self.facilities.phases],
            },
            "cooling": [asdict(c) for c in self.facilities.climate],
        }


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts "Commune 2" before "Commune 10"."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.split(r"(\d+)", text) if p)


def site_title(inv: Inventory, site: str) -> str:
    s = inv.sites.get(site)
    return (s.agency or s.name or site) if s is not None else site


def site_tiles(inv: Inventory, snap: Snapshot) -> list[SiteTile]:
    by_site: dict[str, list[Alert]] = defaultdict(list)
    for a in snap.alerts:
        by_site[a.site].append(a)
    tiles = []
    for name, site in inv.sites.items():
        mine = by_site.get(name, [])
        tiles.append(
            SiteTile(
                site=name,
                title=site.agency or site.name or name,
                kind=KIND_WORDS.get(site.kind, str(site.kind)),
                state=worst(mine) if snap.alerts_known else UNKNOWN,
                alerts=sum(1 for a in mine if a.active),
            )
        )
    tiles.sort(key=lambda t: (KIND_ORDER.get(inv.sites[t.site].kind, 99), natural(t.title), t.site))
    return tiles


def tunnel_states(inv: Inventory, samples: list[Sample] | None) -> list[Tunnel]:
    """Each tunnel of the inventory with its state: down when either end sees its interface down
    (as InfraWanLinkDown does), up when every end reporting sees it up, unknown otherwise."""
    if inv.wan_vpn is None:
        return []
    ends: dict[str, list[Sample]] = defaultdict(list)
    for s in samples or ():
        if math.isfinite(s.value):  # NaN: that end is not reporting
            ends[s.labels.get("link_id", "")].append(s)
    out = []
    for t in inv.wan_vpn.tunnels:
        spoke = inv.hosts.get(t.spoke)
        site = spoke.site if spoke is not None else ""
        seen = ends.get(t.id, [])
        if samples is None:
            state, detail = "unknown", "Prometheus is not answering"
        elif not seen:
            state, detail = "unknown", "no end of the tunnel is reporting"
        else:
            downs = [s for s in seen if s.value != 1]
            state = "down" if downs else "up"
            detail = ", ".join(
                f"down at {s.labels.get('host', '?')} {s.labels.get('ifName', '')}".rstrip() for s in downs
            )
        out.append(Tunnel(t.id, t.spoke, site, site_title(inv, site), state, detail))
    return out


def province_view(
    inv: Inventory,
    snap: Snapshot,
    tunnels: list[Sample] | None,
    ups: list[Sample] | None,
    pdu: list[Sample] | None,
    environment: list[Sample] | None,
    problems: list[str] | None = None,
) -> ProvinceView:
    """The page's data. A None sample list means Prometheus did not answer that query."""
    hub_host = inv.hosts.get(inv.wan_vpn.hub) if inv.wan_vpn is not None else None
    hub_site = hub_host.site if hub_host is not None else ""
    return ProvinceView(
        tiles=site_tiles(inv, snap),
        hub=site_title(inv, hub_site) if hub_site else "",
        hub_site=hub_site,
        tunnels=tunnel_states(inv, tunnels),
        facilities=facilities_view(inv, ups, pdu, environment),
        problems=[*snap.problems, *(problems or [])],
    )


def wan_drawing(view: ProvinceView) -> Markup:
    states = {t.site: t.state for t in view.tiles}
    hub_state = states.get(view.hub_site, UNKNOWN)
    return draw(
        f"{view.hub} (hub)" if view.hub else "hub",
        hub_state,
        [
            Spoke(t.link_id, t.site, t.title, t.state, states.get(t.site, UNKNOWN), t.detail)
            for t in view.tunnels
        ],
    )


async def _ask(sources: Sources, promql: str) -> list[Sample] | str:
    try:
        return await sources.query(promql)
    except SourceDown as exc:
        return f"{PROM_DOWN} ({exc}): tunnels and power/cooling readings are grey"
    except ValueError as exc:  # Prometheus refused the query: a bug here, shown, not hidden
        return f"Prometheus refused a query of this page ({exc})"


async def build(request: Request) -> ProvinceView:
    board = board_of(request)
    snap, answers = await asyncio.gather(
        board.snapshot(),
        asyncio.gather(
            *(_ask(board.sources, q) for q in (TUNNEL_QUERY, UPS_QUERY, PDU_QUERY, ENVIRONMENT_QUERY))
        ),
    )
    said = [a for a in answers if isinstance(a, str)]
    down = [a for a in said if a.startswith(PROM_DOWN)]
    problems = down[:1] + sorted(set(said) - set(down))  # Prometheus down: one banner, not four
    tunnels, ups, pdu, environment = (None if isinstance(a, str) else a for a in answers)
    return province_view(board.inventory, snap, tunnels, ups, pdu, environment, problems)


async def province_page(request: Request) -> Response:
    view = await build(request)
    return board_of(request).render(request, "province.html.j2", view=view, wan=wan_drawing(view))


async def province_api(request: Request) -> Response:
    return JSONResponse((await build(request)).as_json())


ROUTES = [Route("/province", province_page), Route("/api/province", province_api)]
