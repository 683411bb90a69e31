"""Grafana dashboards as JSON (schemaVersion 39, Grafana 10/11): province overview, device
interfaces, exporter health. Queries use the recording rules and inventory labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
Json = dict[str, Any]


@dataclass
class Board:
    uid: str
    title: str
    tags: list[str]
    variables: list[Json] = field(default_factory=list)
    panels: list[Json] = field(default_factory=list)
    _y: int = 0
    _x: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y},
                "panels": [],
            }
        )
        self._y += 1

    def _newline(self) -> None:
        if self._x:
            self._y += 8
            self._x = 0

    def add(
        self,
        kind: str,
        title: str,
        exprs: list[tuple[str, str]],
        width: int = 12,
        unit: str | None = None,
        options: Json | None = None,
        description: str = "",
    ) -> None:
        if self._x + width > 24:
            self._newline()
        panel: Json = {
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": width, "x": self._x, "y": self._y},
            "targets": [
                {"refId": chr(ord("A") + n), "datasource": DATASOURCE, "expr": e, "legendFormat": legend}
                for n, (e, legend) in enumerate(exprs)
            ],
            "fieldConfig": {"defaults": {"unit": unit} if unit else {}, "overrides": []},
            "options": options or {},
        }
        self.panels.append(panel)
        self._x += width

    def json(self) -> Json:
        return {
            "uid": self.uid,
            "title": self.title,
            "tags": self.tags,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "editable": True,
            "time": {"from": "now-6h", "to": "now"},
            "refresh": "30s",
            "timezone": "browser",
            "templating": {"list": [_datasource_variable(), *self.variables]},
            "annotations": {"list": []},
            "panels": self.panels,
        }


def _datasource_variable() -> Json:
    return {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus"}


def _query_variable(name: str, query: str, multi: bool = False) -> Json:
    return {
        "type": "query",
        "name": name,
        "label": name,
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"var-{name}"},
        "definition": query,
        "refresh": 2,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
    }


def province_overview(province: str) -> Json:
    b = Board("infra-province", f"{province}: province overview", ["infra", "province"])
    b.row("Sites and WAN")
    b.add(
        "stat",
        "Sites",
        [
            ("count(infra:site_devices_up:ratio == 1)", "every device up"),
            ("count(infra:wan_site_reachable == 0) or vector(0)", "cut off"),
        ],
        6,
    )
    b.add(
        "stat",
        "WAN links up",
        [("sum(infra:wan_link_up)", "up"), ("count(infra:wan_link_up == 0)", "down")],
        6,
    )
    b.add(
        "stat", "Critical alerts firing", [('count(ALERTS{alertstate="firing", severity="critical"})', "")], 6
    )
    b.add("stat", "Devices unreachable", [('count(probe_success{job="icmp"} == 0)', "")], 6)
    b.add(
        "state-timeline",
        "WAN links",
        # a link is up when both its ends say so; `site` is the site it serves
        [("min by (link_id, site) (infra:wan_link_up)", "{{link_id}} ({{site}})")],
        24,
        options={"showValue": "never", "mergeValues": True},
    )
    b.add(
        "bargauge",
        "WAN availability, last 24 h",
        [("max by (link_id) (infra:wan_link_availability:ratio_1d)", "{{link_id}}")],
        12,
        "percentunit",
    )
    b.add("bargauge", "Devices up per site", [("infra:site_devices_up:ratio", "{{site}}")], 12, "percentunit")
    b.row("Data-centre environment and power")
    b.add(
        "timeseries",
        "Inlet temperature (°C, ASHRAE 18-27)",
        [("infra:dc_temperature_celsius", "{{host}} {{sensorProbeTempDescription}}")],
        8,
        "celsius",
    )
    b.add(
        "timeseries",
        "Relative humidity (%)",
        [("infra:dc_humidity_percent", "{{host}} {{sensorProbeHumidityDescription}}")],
        8,
        "percent",
    )
    b.add(
        "stat",
        "UPS on battery",
        [
            (
                'upsBasicOutputStatus{upsBasicOutputStatus="onBattery"} == 1 '
                'or upsOutputSource{upsOutputSource="battery"} == 1',
                "{{host}}",
            )
        ],
        8,
        description="Any series here means a UPS runs on battery.",
    )
    b.add(
        "timeseries",
        "UPS runtime left (min)",
        [("upsAdvBatteryRunTimeRemaining / 6000", "{{host}}"), ("upsEstimatedMinutesRemaining", "{{host}}")],
        8,
        "m",
    )
    b.add(
        "timeseries",
        "UPS load (%)",
        [("upsAdvOutputLoad", "{{host}}"), ("upsOutputPercentLoad", "{{host}}")],
        8,
    )
    b.add(
        "timeseries",
        "PDU load per phase (A)",
        [
            ("rPDULoadStatusLoad", "{{host}} phase {{rPDULoadStatusPhaseNumber}}"),
            ("rPDU2PhaseStatusCurrent", "{{host}} phase {{rPDU2PhaseStatusNumber}}"),
        ],
        8,
        "amp",
    )
    _video_conference(b)
    return b.json()


def _video_conference(b: Board) -> None:
    """The VC system (docs/monitoring.md, "Video conference"): registrations, readiness, media."""
    b.row("Video conference")
    b.add(
        "stat",
        "VC endpoints",
        [
            ("sum(infra:vc_endpoint_registered)", "registered"),
            ("count(infra:vc_endpoint_registered == 0) or vector(0)", "not registered"),
            ("count(infra:vc_endpoint_not_ready) or vector(0)", "not ready (last check)"),
        ],
        8,
    )
    b.add(
        "timeseries",
        "Call controller",
        [
            ("kamailio_usrloc_registered_users", "registered users"),
            ("rate(kamailio_registrar_accepted_regs[5m])", "REGISTER accepted/s"),
            ("rate(kamailio_registrar_rejected_regs[5m])", "REGISTER rejected/s"),
        ],
        8,
    )
    b.add(
        "timeseries",
        "Media: relay mean MOS, test calls' MOS",
        [
            ("infra:vc_relay_mos:avg15m", "relay (15 min)"),
            ("min by (endpoint) (infra_vc_call_mos)", "{{endpoint}}"),
        ],
        8,
    )


def device_interfaces() -> Json:
    b = Board("infra-device", "Device interfaces", ["infra", "device"])
    b.variables.append(_query_variable("host", 'label_values(ifOperStatus{job="snmp"}, host)'))
    b.add(
        "table",
        "Interface status",
        [('ifOperStatus{host="$host"}', "")],
        24,
        options={"showHeader": True},
        description="1 = up, 2 = down (IF-MIB ifOperStatus).",
    )
    b.add("timeseries", "Inbound", [('infra:interface_in_bps:rate5m{host="$host"}', "{{ifName}}")], 12, "bps")
    b.add(
        "timeseries", "Outbound", [('infra:interface_out_bps:rate5m{host="$host"}', "{{ifName}}")], 12, "bps"
    )
    b.add(
        "timeseries",
        "Utilisation",
        [
            ('infra:interface_in_utilisation:ratio{host="$host"}', "{{ifName}} in"),
            ('infra:interface_out_utilisation:ratio{host="$host"}', "{{ifName}} out"),
        ],
        12,
        "percentunit",
    )
    b.add(
        "timeseries",
        "Errors per second",
        [('rate(ifInErrors{host="$host"}[5m]) + rate(ifOutErrors{host="$host"}[5m])', "{{ifName}}")],
        12,
    )
    b.add("table", "BGP peers (6 = established)", [('bgpPeerState{host="$host"}', "")], 12)
    b.add("table", "OSPF neighbours (8 = full)", [('ospfNbrState{host="$host"}', "")], 12)
    return b.json()


def exporter_health() -> Json:
    b = Board("infra-exporters", "Exporter health", ["infra", "monitoring"])
    b.add("stat", "Targets down per job", [("count by (job) (up == 0)", "{{job}}")], 12)
    b.add("stat", "Exporters up", [('up{job="exporters"}', "{{exporter}}")], 12)
    b.add(
        "timeseries",
        "Scrape duration per job (p95)",
        [("quantile by (job) (0.95, scrape_duration_seconds)", "{{job}}")],
        12,
        "s",
    )
    b.add(
        "timeseries",
        "SNMP walk time per module",
        [("max by (module) (snmp_scrape_duration_seconds)", "{{module}}")],
        12,
        "s",
    )
    b.add("timeseries", "SNMP module errors", [("sum by (module) (snmp_scrape_error)", "{{module}}")], 12)
    b.add(
        "timeseries",
        "SNMP exporter collection duration (p95)",
        [
            (
                "histogram_quantile(0.95, sum by (le, module) "
                "(rate(snmp_collection_duration_seconds_bucket[5m])))",
                "{{module}}",
            )
        ],
        12,
        "s",
    )
    b.add(
        "timeseries",
        "Probe duration (blackbox)",
        [("max by (job) (probe_duration_seconds)", "{{job}}")],
        12,
        "s",
    )
    b.add("timeseries", "Samples scraped per job", [("sum by (job) (scrape_samples_scraped)", "{{job}}")], 12)
    return b.json()


def dashboards(province: str) -> dict[str, Json]:
    return {
        "province-overview.json": province_overview(province),
        "device-interfaces.json": device_interfaces(),
        "exporter-health.json": exporter_health(),
    }
