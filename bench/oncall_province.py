"""The synthetic province of bench/oncall.py: the 500 alerts of a bad night, the static exposition
that stands in for the exporters, and the monitoring configuration the bench runs with.

Run alone, it writes the province into a temporary directory and prints the mix (a few seconds):

    .venv/bin/python bench/oncall_province.py
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infra.inventory import Inventory, load_inventory
from infra.inventory.generate import Shape, generate
from infra.monitoring.labels import host_labels
from infra.monitoring.options import RenderOptions
from infra.monitoring.render import render_monitoring, write_monitoring
from infra.monitoring.rules import inventory_rules
from infra.monitoring.targets import icmp_targets, wan_targets

SHAPE = Shape(
    departments=900, communes=1500, access_switches=240, campus_units=240, vc_endpoints=340
)  # 3,004 hosts
ALERTS = 500
WAN_ROOTS = "InfraWanLinkDown|InfraWanEndpointUnreachable"
Labels = dict[str, str]


# ---- the 500 alerts -------------------------------------------------------------------------------


def alert_mix(inv: Inventory) -> tuple[list[Labels], set[str], set[str]]:
    """(alerts' labels, hosts seen down, WAN links seen down): a province having a bad night. The
    labels are those the real targets and inventory info series give each alert (`cuts_off` too,
    which the inhibition keys on)."""
    assert inv.wan_vpn is not None  # a generated province always has its WAN-VPN
    icmp = {g["labels"]["host"]: g["labels"] for g in icmp_targets(inv)}
    wan = {g["labels"]["link_id"]: g["labels"] for g in wan_targets(inv)}
    link_info = {
        (r["labels"]["host"], r["labels"]["link_id"]): r["labels"]
        for r in inventory_rules(inv)
        if r["record"] == "infra_wan_link_info"
    }
    hub, tunnels = inv.wan_vpn.hub, list(inv.wan_vpn.tunnels)
    vc_at: dict[str, list[str]] = {}
    for h in inv.hosts.values():
        if str(h.role) == "vc_endpoint":
            vc_at.setdefault(h.site, []).append(h.name)
    out: list[Labels] = []
    down_hosts: set[str] = set()
    down_links: set[str] = set()

    def add(name: str, severity: str, host: str, **extra: str) -> None:
        base = host_labels(inv, inv.hosts[host])
        if name == "InfraDeviceUnreachable":
            base = icmp[host]
        elif name == "InfraWanEndpointUnreachable":
            base = wan[extra["link_id"]]
        elif name == "InfraWanLinkDown":
            base = base | link_info[(host, extra["link_id"])]
        out.append(base | {"alertname": name, "severity": severity} | extra)

    for t in tunnels[::48]:  # 50 spoke sites cut off: the root cause and what it explains
        spoke = inv.hosts[t.spoke]
        down_links.add(t.id)
        down_hosts.add(spoke.name)
        site = spoke.site
        add("InfraWanLinkDown", "critical", hub, link_id=t.id, job="snmp", instance=hub)
        add("InfraWanEndpointUnreachable", "critical", spoke.name, link_id=t.id, hub=hub, job="wan")
        add("InfraDeviceUnreachable", "critical", spoke.name, job="icmp", instance=spoke.name)
        add("InfraBgpPeerDown", "critical", spoke.name, peer_host="tslcd-pe-1", peer_site="tslcd",
            link_id=f"{spoke.name}--tslcd-pe-1")  # fmt: skip
        for vc in vc_at.get(site, [])[:1]:
            add("InfraVcEndpointNotRegistered", "warning", vc, endpoint=vc, aor=f"sip:{vc}@vc")
    access = [h.name for h in inv.hosts.values() if str(h.role) == "access_switch"]
    cpes = [t.spoke for t in tunnels if t.spoke not in down_hosts]
    for name in access[::6] + cpes[7::60]:  # unreachable devices, each with its SNMP alert folded
        down_hosts.add(name)
        add("InfraDeviceUnreachable", "critical", name, job="icmp", instance=name)
        add("InfraSnmpScrapeFailing", "warning", name, job="snmp", instance=name, module="if_mib")
    add("InfraUpsOnBattery", "critical", "ups-dc-1", job="snmp", upsBasicOutputStatus="onBattery")
    add("InfraUpsLowRuntime", "critical", "ups-dc-1", job="snmp")
    add("InfraPduPhaseNearOverload", "warning", "pdu-dc-2", job="snmp", rPDU2PhaseStatusNumber="2")
    add("InfraDcTemperatureOutsideRecommended", "warning", "env-dc-1", job="snmp", sensorProbeTempIndex="1")
    vcs = [v for site, names in sorted(vc_at.items()) for v in names if site not in down_hosts]
    for vc in vcs[3::17]:
        add(
            "InfraVcMediaQualityLow",
            "warning",
            vc,
            endpoint=vc,
            measure="loss_ratio",
            meeting="giao-ban-ubnd",
        )
    spare = [t.spoke for t in tunnels if t.spoke not in down_hosts]
    i = 0
    while len(out) < ALERTS:  # the rest: interfaces counting errors or running hot
        host = spare[(i * 37) % len(spare)]
        iface = inv.interfaces[host][-1].name
        name = "InfraInterfaceErrors" if i % 3 else "InfraInterfaceUtilisationHigh"
        add(name, "warning", host, job="snmp", instance=host, ifName=iface)
        i += 1
    return out, down_hosts, down_links


def post_alerts(am: str, alerts: list[Labels]) -> None:
    now = datetime.now(UTC)
    body = []
    for n, labels in enumerate(alerts):
        age = timedelta(minutes=3 + (n * 7919) % (3 * 24 * 60))
        body.append(
            {
                "labels": labels,
                "annotations": {
                    "summary": f"{labels['alertname']} on {labels['host']}",
                    "description": f"{labels['host']} (site {labels['site']}) has a problem: synthetic.",
                    "runbook_url": f"docs/runbooks/{labels['alertname']}.md",
                },
                "startsAt": (now - age).isoformat(),
                "endsAt": (now + timedelta(hours=2)).isoformat(),
                "generatorURL": "http://127.0.0.1/bench",
            }
        )
    req = urllib.request.Request(
        am + "/api/v2/alerts", json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(req, timeout=30).read()


# ---- the exporters' stand-in: one static exposition with every device's series -------------------


def exposition(inv: Inventory, down_hosts: set[str], down_links: set[str]) -> list[tuple[str, float]]:
    """(series, per-second rate) lines; rate 0 means a gauge whose value is the number."""
    lines: list[tuple[str, float]] = []

    def series(metric: str, labels: Labels, value: float, rate: float = 0.0) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append((f"{metric}{{{text}}}", rate) if rate else (f"{metric}{{{text}}} {value:g}", 0.0))

    def seed(text: str) -> int:
        return int(hashlib.md5(text.encode()).hexdigest()[:6], 16)

    assert inv.wan_vpn is not None
    wan = inv.wan_vpn
    tunnel_if = {t.id: f"Tunnel{t.number}" for t in wan.tunnels}
    down_ifs = {tunnel_if[link] for link in down_links}
    for h in inv.hosts.values():
        base = host_labels(inv, h)
        up = 0.0 if h.name in down_hosts else 1.0
        series("probe_success", base | {"job": "icmp", "instance": h.name}, up)
        if str(h.role) == "server":
            series("up", base | {"job": "node", "instance": h.name}, 1)
            continue
        snmp = base | {"job": "snmp", "instance": h.name}
        series("up", snmp, up)
        series("snmp_scrape_error", snmp | {"module": "if_mib"}, 1 - up)
        for n, i in enumerate(inv.interfaces.get(h.name, ()), start=1):
            lab = snmp | {"ifName": i.name, "ifIndex": str(n)}
            down = h.name == wan.hub and i.name in down_ifs
            series("ifOperStatus", lab, 2 if down or not up else 1)
            series("ifHighSpeed", lab, i.bandwidth_mbps or 1000)
            s = seed(h.name + i.name)
            series("ifHCInOctets", lab, 0, 1e4 + s % 2_000_000)
            series("ifHCOutOctets", lab, 0, 1e4 + (s >> 3) % 2_000_000)
            series("ifInErrors", lab, 0, 0.001 + (s % 7 == 0) * 3)
            series("ifOutErrors", lab, 0, 0.001)
        if str(h.role) == "ups":
            status = "onBattery" if h.name == "ups-dc-1" else "onLine"
            for state in ("onLine", "onBattery"):
                series("upsBasicOutputStatus", snmp | {"upsBasicOutputStatus": state}, float(state == status))
            series("upsAdvBatteryRunTimeRemaining", snmp, 54000 if status == "onBattery" else 180000)
            series("upsAdvOutputLoad", snmp, 42)
            series("upsAdvBatteryCapacity", snmp, 97)
        if str(h.role) == "pdu":
            for phase in ("1", "2", "3"):
                series("rPDU2PhaseStatusLoad", snmp | {"rPDU2PhaseStatusNumber": phase}, 80 + int(phase) * 9)
        if str(h.role) == "env_sensor":
            for idx in ("1", "2"):
                series("sensorProbeTempDegree", snmp | {"sensorProbeTempIndex": idx}, 23 + int(idx) * 3)
                online = {"sensorProbeTempIndex": idx, "sensorProbeTempOnline": "online"}
                series("sensorProbeTempOnline", snmp | online, 1)
                series("sensorProbeHumidityPercent", snmp | {"sensorProbeHumidityIndex": idx}, 45)
                online = {"sensorProbeHumidityIndex": idx, "sensorProbeHumidityOnline": "online"}
                series("sensorProbeHumidityOnline", snmp | online, 1)
    for t in wan.tunnels:
        spoke = inv.hosts[t.spoke]
        labels = host_labels(inv, spoke) | {
            "job": "wan",
            "instance": t.id,
            "link_id": t.id,
            "hub": wan.hub,
        }
        series("probe_success", labels, 0 if t.id in down_links else 1)
    return lines


def serve_exposition(sock: socket.socket, lines: list[tuple[str, float]]) -> None:
    """Counters grow with time (rate x seconds), gauges are fixed: a province that is alive."""
    start = time.time() - 86400

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            now = time.time() - start
            body = "\n".join(s if not r else f"{s} {r * now:.0f}" for s, r in lines).encode() + b"\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.serve_forever()


def configure(inv: Inventory, mon: Path, expo: str) -> tuple[Path, Path, Path, tuple[int, int]]:
    """The rendered configuration, with Prometheus scraping the stand-in instead of the exporters and
    sending no alerts (the bench posts them), and Alertmanager notifying no one; and a what-if
    Alertmanager whose per-site inhibit rules (one per CPE and one per WAN link, each naming its
    site) are replaced by two rules matching on the site label the alerts carry."""
    write_monitoring(render_monitoring(inv, RenderOptions()), mon)
    prom = yaml.safe_load((mon / "prometheus.yml").read_text())
    prom.pop("alerting", None)
    prom["global"]["scrape_interval"] = "15s"
    prom["scrape_configs"] = [
        {"job_name": "exporters-stand-in", "honor_labels": True, "static_configs": [{"targets": [expo]}]}
    ]
    am = yaml.load((mon / "alertmanager.yml").read_text(), Loader=yaml.CSafeLoader)
    am["receivers"] = [{"name": r["name"]} for r in am["receivers"]]
    (mon / "prometheus-bench.yml").write_text(yaml.safe_dump(prom))
    (mon / "alertmanager-bench.yml").write_text(json.dumps(am))  # JSON is YAML, and quick to write
    per_site = re.compile(r"^(host|link_id)=")
    one_site = re.compile(r'^site=~"[^|]*"$')
    rendered = len(am["inhibit_rules"])
    am["inhibit_rules"] = [  # the generic rules, and those naming a link that serves many sites
        r
        for r in am["inhibit_rules"]
        if not any(per_site.match(m) for m in r["source_matchers"])
        or not any(one_site.match(m) for m in r["target_matchers"])
    ] + [  # the same dependencies, one rule each, by the site label the alerts carry
        {
            "source_matchers": ['alertname="InfraDeviceUnreachable"', 'role="cpe"'],
            "target_matchers": [f'alertname!~"{WAN_ROOTS}"'],
            "equal": ["site"],
        },
        {
            "source_matchers": [f'alertname=~"{WAN_ROOTS}"', 'agency=~".+"'],
            "target_matchers": [],
            "equal": ["site"],
        },
    ]
    rules = (rendered, len(am["inhibit_rules"]))
    (mon / "alertmanager-whatif.yml").write_text(json.dumps(am))
    return (
        mon / "prometheus-bench.yml",
        mon / "alertmanager-bench.yml",
        mon / "alertmanager-whatif.yml",
        rules,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="oncall-province-") as tmp:
        hosts = generate(Path(tmp), SHAPE, name="Synthetic 3,000-device province", lab=False)
        inv = load_inventory(Path(tmp))
        alerts, down_hosts, down_links = alert_mix(inv)
        lines = exposition(inv, down_hosts, down_links)
    print(f"{hosts} hosts, {len(inv.sites)} sites; {len(lines)} series in the exporters' stand-in")
    print(f"{len(alerts)} alerts: {len(down_links)} WAN links and {len(down_hosts)} devices down")
    for (name, severity), n in sorted(Counter((a["alertname"], a["severity"]) for a in alerts).items()):
        print(f"  {n:>4}  {name} ({severity})")


if __name__ == "__main__":
    main()
