"""The WAN-VPN as hub and spokes, drawn server-side as SVG (no script, no inline style: colours
come from classes in board.css, geometry from presentation attributes).

The hub sits at the centre; the spokes go round it on concentric rings, each ring holding as many
as fit at a legible spacing, so 20 spokes make one labelled ring and 300 make six rings of dots
whose names are in their tooltips (<title>) and in the site tiles below; past BULK_ABOVE
spokes only those with something to say are drawn one by one (see `draw`). Each tunnel is a line
from the hub to its spoke, coloured by the tunnel's state; the lines that are down are drawn last,
on top, and thicker, so a red one is never hidden under green ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

LABELLED_MAX = 40  # above this many spokes, names go to tooltips only
BULK_ABOVE = 400  # above this many, spokes with nothing to say are drawn in bulk (see `draw`)
FIRST_RING = 120.0
LABELLED_FIRST_RING = 170.0
RING_GAP = 44.0
SPACING = 22.0  # least distance between two spokes on a ring
LABELLED_SPACING = 34.0
LABEL_ROOM = 210.0  # room for a spoke's name outside the last ring, left and right
LABEL_ROOM_Y = 30.0  # above and below


@dataclass(frozen=True)
class Spoke:
    link_id: str
    site: str
    title: str  # the agency's name, else the site's
    tunnel_state: str  # up | down | unknown
    site_state: str  # the site's tile state: ok | warning | critical | info | unknown
    detail: str = ""  # e.g. "down at wan-hub-1 wg4"


def rings(n: int, labelled: bool) -> list[tuple[float, int]]:
    """(radius, how many spokes) of each ring, innermost first."""
    spacing = LABELLED_SPACING if labelled else SPACING
    out: list[tuple[float, int]] = []
    radius, left = (LABELLED_FIRST_RING if labelled else FIRST_RING), n
    while left > 0:
        take = min(max(1, int(2 * math.pi * radius / spacing)), left)
        out.append((radius, take))
        left -= take
        radius += RING_GAP
    return out


def positions(n: int, labelled: bool) -> list[tuple[float, float, float]]:
    """(x, y, angle) of each spoke around a hub at (0, 0); the first at twelve o'clock, clockwise;
    every other ring turned by half a step so the lines to the outer ring pass between the inner
    spokes."""
    out = []
    for k, (radius, count) in enumerate(rings(n, labelled)):
        step = 2 * math.pi / count
        for i in range(count):
            angle = -math.pi / 2 + step * (i + (0.5 if k % 2 else 0.0))
            out.append((radius * math.cos(angle), radius * math.sin(angle), angle))
    return out


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _plain(spoke: Spoke) -> bool:
    """Nothing to say about this spoke's dot but its colour: tunnel not down, site without alerts."""
    return spoke.tunnel_state != "down" and spoke.site_state in ("ok", "unknown")


def draw(hub_title: str, hub_state: str, spokes: Sequence[Spoke]) -> Markup:
    """The SVG element (as markup safe to put in a page) for the hub and its spokes.

    Up to LABELLED_MAX spokes: named and drawn one by one. Up to BULK_ABOVE: dots and lines one
    by one, each with its tooltip and link. Above (a 1,400-spoke synthetic province): the plain
    tunnels (not down) and dots (site without alerts) are drawn as one path per colour, and only
    what has something to say gets its own element, tooltip and link: a down tunnel's line, the
    dot of a site with alerts. The site tiles below still name every site. The page stays light:
    one element per problem, not per spoke."""
    n = len(spokes)
    labelled, bulk = n <= LABELLED_MAX, n > BULK_ABOVE
    places = positions(n, labelled)
    outer = max((r for r, _ in rings(n, labelled)), default=FIRST_RING)
    half_x = outer + (LABEL_ROOM if labelled else 20.0)
    half_y = outer + (LABEL_ROOM_Y if labelled else 20.0)
    radius = 7 if labelled else 5
    num = _n if labelled else (lambda v: str(round(v)))
    lines: list[str] = []
    down: list[str] = []
    nodes: list[str] = []
    bulk_lines: dict[str, list[str]] = {}
    bulk_dots: dict[str, list[str]] = {}
    for spoke, (x, y, angle) in zip(spokes, places, strict=True):
        px, py = num(x), num(y)
        detail = f" ({spoke.detail})" if spoke.detail else ""
        title = escape(f"{spoke.link_id}: tunnel {spoke.tunnel_state}{detail}")
        if bulk and spoke.tunnel_state != "down":
            bulk_lines.setdefault(spoke.tunnel_state, []).append(f"M0 0L{px} {py}")
        else:
            line = (
                f'<line class="tunnel {escape(spoke.tunnel_state)}" x2="{px}" y2="{py}" '
                f'data-link="{escape(spoke.link_id)}"><title>{title}</title></line>'
            )
            (down if spoke.tunnel_state == "down" else lines).append(line)
        if bulk and _plain(spoke):
            bulk_dots.setdefault(spoke.site_state, []).append(f"M{px} {py}h0")
            continue
        node = (
            f'<a href="/alerts?site={escape(quote(spoke.site))}" data-site="{escape(spoke.site)}">'
            f'<circle class="spoke {escape(spoke.site_state)}" cx="{px}" cy="{py}" r="{radius}"><title>'
            f"{escape(spoke.title)} ({escape(spoke.site)}): {escape(spoke.site_state)}; {title}</title>"
            "</circle>"
        )
        if labelled:
            cos = math.cos(angle)  # names to the right, left, or (near the poles) centred
            anchor = "start" if cos > 0.25 else "end" if cos < -0.25 else "middle"
            lx, ly = x + cos * 12, y + math.sin(angle) * (12 if anchor != "middle" else 16)
            node += (
                f'<text class="spoke-name" x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" '
                f'dominant-baseline="middle">{escape(spoke.title)}</text>'
            )
        nodes.append(node + "</a>")
    paths = "".join(
        f'<path class="tunnel {escape(state)}" d="{"".join(d)}">'
        f"<title>{len(d)} tunnels {escape(state)}</title></path>"
        for state, d in sorted(bulk_lines.items())
    )
    dots = "".join(
        f'<path class="spoke-dots {escape(state)}" d="{"".join(d)}">'
        f"<title>{len(d)} sites without alerts (named in the tiles)</title></path>"
        for state, d in sorted(bulk_dots.items())
    )
    hub = (  # named in the heading above the drawing and in its tooltip: a label would cross the lines
        f'<circle class="hub {escape(hub_state)}" cx="0" cy="0" r="16">'
        f"<title>WAN-VPN hub: {escape(hub_title)}</title></circle>"
    )
    downs = len(down)
    return Markup(
        f'<svg class="wan{"" if labelled else " dense"}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{_n(-half_x)} {_n(-half_y)} {_n(2 * half_x)} {_n(2 * half_y)}" role="img" '
        f'aria-label="WAN-VPN: {n} tunnels from the hub, {downs} down">'
        f'<g class="tunnels">{paths}{"".join(lines)}{"".join(down)}</g>{hub}'
        f'<g class="spokes">{dots}{"".join(nodes)}</g></svg>'
    )
