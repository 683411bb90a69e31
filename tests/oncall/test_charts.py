"""The server-side SVG line charts: well-formed, gaps break the line, flat stretches stay light,
labels are escaped, an empty chart says so."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from infra.oncall.charts import Line, line_chart, si

SVG = "{http://www.w3.org/2000/svg}"


def polylines(svg: str) -> list[list[tuple[float, float]]]:
    root = ET.fromstring(svg)
    return [
        [(float(x), float(y)) for x, y in (p.split(",") for p in line.attrib["points"].split())]
        for line in root.iter(f"{SVG}polyline")
    ]


def test_a_gap_breaks_the_line_and_time_runs_left_to_right() -> None:
    points = ((0.0, 1.0), (10.0, 2.0), (20.0, math.nan), (30.0, 3.0), (40.0, 4.0))
    svg = line_chart("eth0 traffic", [Line("in", points)], 0.0, 40.0, 10.0, "bit/s")
    first, second = polylines(svg)
    assert len(first) == 2 and len(second) == 2
    assert first[0][0] < first[1][0] < second[0][0] < second[1][0]
    assert second[1][1] < first[0][1]  # the higher value is drawn higher (smaller y)


def test_a_flat_stretch_is_drawn_with_its_two_ends() -> None:
    points = tuple((float(t), 0.0) for t in range(0, 2400, 10))
    svg = line_chart("eth0 errors", [Line("in errors", points)], 0, 2390, 10, "/s")
    (line,) = polylines(svg)
    assert len(line) == 2
    assert "1 /s" in "".join(ET.fromstring(svg).itertext())  # an all-zero chart tops at 1


def test_the_value_axis_tops_at_a_round_number() -> None:
    points = ((0.0, 3_300_000.0), (60.0, 100.0))
    text = "".join(ET.fromstring(line_chart("t", [Line("in", points)], 0, 60, 15, "bit/s")).itertext())
    assert "5 Mbit/s" in text and "2.5 Mbit/s" in text


def test_labels_are_escaped_and_an_empty_chart_says_so() -> None:
    svg = line_chart('a<b & "c"', [Line("<in>", ())], 0, 60, 15, "bit/s")
    root = ET.fromstring(svg)  # would not parse if the label were not escaped
    assert root.attrib["aria-label"] == 'a<b & "c"'
    assert "no data in this range" in "".join(root.itertext())
    assert "<in>" in "".join(root.itertext())


def test_si_units() -> None:
    assert si(1_234_567, "bit/s") == "1.23 Mbit/s"
    assert si(12, "/s") == "12 /s"
    assert si(math.nan, "bit/s") == "-"
