"""Small line charts drawn on the server as SVG: no JavaScript library, nothing to download, and
the CSP (no inline script or style) holds because colours are SVG presentation attributes.

A chart is a fixed-size `viewBox` the browser scales; time runs left to right over the asked range
(not over the data, so a device that answered for only the last ten minutes shows a short line
at the right, which is the truth). A missing point (NaN, a gap in Prometheus's answer longer than
two steps) breaks the line instead of drawing a slope across the gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

WIDTH, HEIGHT = 600, 170
LEFT, RIGHT, TOP, BOTTOM = 62, 8, 8, 40  # margins: the value axis left, time and legend below
# Distinguishable on the board's dark background, and by colour-blind people in pairs (in/out).
PALETTE = ("#4ea1ff", "#f0b429", "#e5534b", "#57ab5a", "#b083f0", "#8ddbe0")

Point = tuple[float, float]  # (unix time, value)


@dataclass(frozen=True)
class Line:
    label: str  # the legend: "in", "out", "in errors"
    points: tuple[Point, ...]


def si(value: float, unit: str) -> str:
    """1234567 -> '1.23 M' + unit: what a value axis and a table cell show."""
    if math.isnan(value):
        return "-"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def nice_ceiling(value: float) -> float:
    """The value axis's top: the next 1, 2 or 5 times a power of ten (1 for an all-zero chart)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _segments(points: Sequence[Point], gap: float) -> list[list[Point]]:
    """Runs of finite points no further apart than `gap` seconds."""
    runs: list[list[Point]] = []
    last_t = -math.inf
    for t, v in points:
        if not math.isfinite(v):
            last_t = -math.inf
            continue
        if t - last_t > gap or not runs:
            runs.append([])
        runs[-1].append((t, v))
        last_t = t
    return [r for r in runs if r]


def _thin(xy: list[tuple[float, float]]) -> list[str]:
    """Pixel coordinates with the middle of flat stretches left out (an error chart at zero for an
    hour is two points, not 240): the drawing is the same, the page much lighter."""
    out: list[str] = []
    coords = [(f"{px:.1f}", f"{py:.1f}") for px, py in xy]
    for n, (px, py) in enumerate(coords):
        if 0 < n < len(coords) - 1 and coords[n - 1][1] == py == coords[n + 1][1]:
            continue
        out.append(f"{px},{py}")
    return out


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M")


def line_chart(title: str, lines: Sequence[Line], start: float, end: float, step: float, unit: str) -> Markup:
    """An SVG line chart of `lines` from `start` to `end` (unix seconds), values in `unit`."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    finite = [v for line in lines for _, v in line.points if math.isfinite(v)]
    top = nice_ceiling(max(finite, default=0.0))
    span = max(end - start, 1.0)

    def x(t: float) -> float:
        return LEFT + (t - start) / span * plot_w

    def y(v: float) -> float:
        return TOP + plot_h - max(v, 0.0) / top * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0.0, 0.5, 1.0):  # grid and value axis
        gy = TOP + plot_h * (1 - frac)
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{gy:.1f}" x2="{WIDTH - RIGHT}" y2="{gy:.1f}" '
            'stroke="#2c323c" stroke-width="1"/>'
        )
        out.append(
            f'<text class="axis" x="{LEFT - 4}" y="{gy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#9aa3ae">{escape(si(top * frac, unit))}</text>'
        )
    axis_y = TOP + plot_h + 14
    for t, anchor in ((start, "start"), ((start + end) / 2, "middle"), (end, "end")):
        out.append(
            f'<text class="axis" x="{x(t):.1f}" y="{axis_y}" text-anchor="{anchor}" font-size="11" '
            f'fill="#9aa3ae">{_clock(t)}</text>'
        )
    legend_x = LEFT
    for n, line in enumerate(lines):
        colour = PALETTE[n % len(PALETTE)]
        for run in _segments(line.points, gap=2.5 * step):
            if len(run) == 1:  # one lone sample: a dot, so it is not invisible
                t, v = run[0]
                out.append(
                    f'<circle class="point" cx="{x(t):.1f}" cy="{y(v):.1f}" r="2" fill="{colour}" '
                    f"data-series={quoteattr(line.label)}/>"
                )
                continue
            coords = " ".join(_thin([(x(t), y(v)) for t, v in run]))
            out.append(
                f'<polyline class="line" points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5" data-series={quoteattr(line.label)}/>'
            )
        out.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 12}" width="10" height="3" fill="{colour}"/>'
            f'<text class="legend" x="{legend_x + 14}" y="{HEIGHT - 7}" font-size="11" '
            f'fill="#e6e8eb">{escape(line.label)}</text>'
        )
        legend_x += 24 + 7 * len(line.label)
    if not finite:
        out.append(
            f'<text class="nodata" x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" '
            'text-anchor="middle" font-size="12" fill="#9aa3ae">no data in this range</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
