"""Grafana dashboards: valid for current Grafana (schemaVersion, unique ids, datasource, queries)."""

from __future__ import annotations

import json

from infra.monitoring.dashboards import SCHEMA_VERSION
from infra.monitoring.render import Rendered


def boards(rendered: Rendered) -> dict[str, dict]:  # type: ignore[type-arg]
    return {p: json.loads(t) for p, t in rendered.files.items() if p.startswith("dashboards/")}


def test_three_dashboards_with_unique_uids(rendered: Rendered) -> None:
    b = boards(rendered)
    assert set(b) == {
        "dashboards/province-overview.json",
        "dashboards/device-interfaces.json",
        "dashboards/exporter-health.json",
    }
    assert len({d["uid"] for d in b.values()}) == 3


def test_panels_are_well_formed(rendered: Rendered) -> None:
    assert SCHEMA_VERSION >= 39  # Grafana 10.x/11.x
    for path, d in boards(rendered).items():
        assert d["schemaVersion"] == SCHEMA_VERSION, path
        assert d["templating"]["list"][0] == {
            "type": "datasource",
            "name": "datasource",
            "label": "Data source",
            "query": "prometheus",
        }
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), f"{path}: duplicate panel ids"
        cells: set[tuple[int, int]] = set()
        for p in d["panels"]:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["x"] + g["w"] <= 24, f"{path}: {p['title']} overflows the grid"
            for dx in range(g["w"]):
                for dy in range(g["h"]):
                    cell = (g["x"] + dx, g["y"] + dy)
                    assert cell not in cells, f"{path}: {p['title']} overlaps another panel"
                    cells.add(cell)
            if p["type"] == "row":
                continue
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert p["targets"], f"{path}: {p['title']} has no query"
            refs = [t["refId"] for t in p["targets"]]
            assert len(refs) == len(set(refs))
            assert all(t["expr"].strip() for t in p["targets"])


def test_overview_shows_wan_sites_environment_and_power(rendered: Rendered) -> None:
    d = boards(rendered)["dashboards/province-overview.json"]
    exprs = " ".join(t["expr"] for p in d["panels"] for t in p.get("targets", []))
    for needle in (
        "infra:wan_link_up",
        "infra:wan_site_reachable",
        "min by (link_id, site) (infra:wan_link_up)",
        "infra:site_devices_up:ratio",
        "infra:dc_temperature_celsius",
        "upsBasicOutputStatus",
        "rPDULoadStatusLoad",
    ):
        assert needle in exprs
