"""The Device page through a real Prometheus (scraping counters the test makes grow), a real
journal and a real backup repository: charts drawn from range queries as well-formed SVG,
neighbours' OSPF/BGP state, journal entries, the last backup, the compliance score, a codec's VC
readiness, a server's node facts; bad ranges refused; no secret and no configuration text served."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.inventory import Inventory
from infra.journal.db import Journal
from infra.render.engine import render_host
from infra.results import Result
from infra.state.backups import BackupRepo
from tests.conftest import LAB_SECRETS
from tests.monitoring.alertmanager_testlib import post_alerts
from tests.oncall.conftest import Exposition, board_client, wait_for
from tests.ports import free_port

SVG = "{http://www.w3.org/2000/svg}"
ROUTER = "wan-hub-1"  # lab province: its GigabitEthernet0/0/1 reports ifName ge0-0-1
IFNAME = "ge0-0-1"
CODEC = "vc-so-noi-vu"
SERVER = "srv-infra-1"


def exposition_text(octets: int, errors: int) -> str:
    r = f'host="{ROUTER}"'
    lines = [
        f'ifHCInOctets{{{r},ifName="{IFNAME}"}} {octets}',
        f'ifHCOutOctets{{{r},ifName="{IFNAME}"}} {octets // 2}',
        f'ifInErrors{{{r},ifName="{IFNAME}"}} {errors}',
        f'ifOutErrors{{{r},ifName="{IFNAME}"}} 0',
        f'ifOperStatus{{{r},ifName="{IFNAME}"}} 1',
        f'ifOperStatus{{{r},ifName="ge0-0-2"}} 2',
        f'ospfNbrState{{{r},ospfNbrIpAddr="10.124.0.2"}} 8',
        f'ospfNbrState{{{r},ospfNbrIpAddr="10.124.0.12"}} 2',
        f'bgpPeerState{{{r},bgpPeerRemoteAddr="10.124.0.23"}} 6',
        f'snmp_scrape_error{{{r},module="ospf"}} 0',  # walked cleanly: a missing neighbour is down
        f'snmp_scrape_error{{{r},module="bgp4"}} 0',
        f'up{{{r},job="snmp",instance="{ROUTER}"}} 1',
        f'infra_vc_registered{{endpoint="{CODEC}",aor="sip:x@example"}} 1',
        f'infra_vc_ready{{endpoint="{CODEC}",site="so-noi-vu",meeting="giao-ban"}} 0',
        f'infra_vc_check_failed{{endpoint="{CODEC}",check="call",meeting="giao-ban"}} 1',
        f'infra_vc_check_failed{{endpoint="{CODEC}",check="registered",meeting="giao-ban"}} 0',
        f'infra_vc_call_mos{{endpoint="{CODEC}",site="so-noi-vu",meeting="giao-ban"}} 3.1',
        f'infra_vc_call_loss_ratio{{endpoint="{CODEC}",site="so-noi-vu",meeting="giao-ban"}} 0.02',
        f'infra_vc_call_jitter_seconds{{endpoint="{CODEC}",site="so-noi-vu",meeting="giao-ban"}} 0.012',
        'infra_vc_check_timestamp_seconds{meeting="giao-ban"} 1700000000',
        f'node_load1{{host="{SERVER}"}} 0.5',
        f'node_cpu_seconds_total{{host="{SERVER}",cpu="0",mode="idle"}} 100',
        f'node_memory_MemAvailable_bytes{{host="{SERVER}"}} 2000000000',
        f'node_memory_MemTotal_bytes{{host="{SERVER}"}} 4000000000',
        f'node_filesystem_avail_bytes{{host="{SERVER}",mountpoint="/",fstype="ext4"}} 5000000000',
        f'node_filesystem_size_bytes{{host="{SERVER}",mountpoint="/",fstype="ext4"}} 10000000000',
    ]
    return "\n".join(lines) + "\n"


def prometheus_value(url: str, promql: str) -> float | None:
    query = urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as answer:
        result = json.load(answer)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


@pytest.fixture(scope="module")
def growing(exposition: tuple[Exposition, str], prometheus: str) -> Iterator[str]:
    """Prometheus has scraped the router's counters at two values (they grew)."""
    metrics, _ = exposition
    metrics.set(exposition_text(octets=1_000_000, errors=3))
    wait_for("the first counters", lambda: prometheus_value(prometheus, f"ifHCInOctets{{host='{ROUTER}'}}"))
    metrics.set(exposition_text(octets=91_000_000, errors=30))
    wait_for(
        "the grown counters",
        lambda: prometheus_value(prometheus, f"ifHCInOctets{{host='{ROUTER}'}}") == 91_000_000,
    )
    yield prometheus


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def chart_points(svg: ET.Element) -> list[int]:
    """How many points each drawn line of a chart has."""
    return [len(p.attrib["points"].split()) for p in svg.iter(f"{SVG}polyline")]


def interface(view: dict[str, Any], if_name: str) -> dict[str, Any]:
    return next(i for i in view["interfaces"] if i["if_name"] == if_name)


def finite_points(series: list[list[float]] | None) -> int:
    return sum(1 for _, v in series or () if v is not None)


def test_traffic_and_error_charts_from_prometheus_range_queries(
    example_inventory: Inventory, growing: str, tmp_path: Path
) -> None:
    with board_client(example_inventory, growing, dead_url(), tmp_path) as client:

        def two_points() -> dict[str, Any] | None:
            view = client.get(f"/api/device/{ROUTER}").json()
            row = interface(view, IFNAME)
            return view if finite_points(row["traffic"].get("in")) >= 2 else None

        view = wait_for("two points of traffic on the chart", two_points, timeout=90)
        row = interface(view, IFNAME)
        assert row["oper"] == "up" and row["in_bps"] > 0 and row["out_bps"] > 0
        assert finite_points(row["errors"].get("in errors")) >= 2
        assert max(v for _, v in row["errors"]["in errors"]) > 0  # the errors grew
        assert interface(view, "ge0-0-2")["oper"] == "down"
        assert interface(view, "ge0-0-3")["oper"] == "unknown"  # no series for it
        assert {"job": "snmp", "instance": ROUTER, "up": True} in view["targets"]
        assert view["metrics_known"] and not any("Prometheus" in p for p in view["problems"])

        page = client.get(f"/device/{ROUTER}")
        assert page.status_code == 200
        charts = {svg.attrib["aria-label"]: svg for svg in svgs(page.text)}  # parses: well-formed
        traffic, errors = charts["GigabitEthernet0/0/1 traffic"], charts["GigabitEthernet0/0/1 errors"]
        assert chart_points(traffic) and max(chart_points(traffic)) >= 2
        assert {p.attrib["data-series"] for p in traffic.iter(f"{SVG}polyline")} == {"in", "out"}
        assert "in errors" in {p.attrib["data-series"] for p in errors.iter(f"{SVG}polyline")}
        assert "bit/s" in "".join(traffic.itertext())
        # the range changes the charts' time span, and stays on the live part's links
        assert client.get(f"/device/{ROUTER}", params={"range": "24h", "part": "live"}).status_code == 200


def test_neighbours_carry_ospf_and_bgp_state(
    example_inventory: Inventory, growing: str, tmp_path: Path
) -> None:
    with board_client(example_inventory, growing, dead_url(), tmp_path) as client:
        view = client.get(f"/api/device/{ROUTER}").json()
    by = {(n["kind"], n["address"]): n for n in view["neighbours"]}
    assert by[("OSPF", "10.124.0.2")]["state"] == "full" and by[("OSPF", "10.124.0.2")]["ok"] is True
    assert by[("OSPF", "10.124.0.12")]["state"] == "attempt" and by[("OSPF", "10.124.0.12")]["ok"] is False
    gone = by[("OSPF", "10.122.0.1")]  # the tunnel to cpe-so-noi-vu: no row in the walk
    assert (gone["peer_host"], gone["state"], gone["ok"]) == ("cpe-so-noi-vu", "absent (down)", False)
    bgp = next(n for n in view["neighbours"] if n["kind"].startswith("BGP"))
    assert (bgp["peer_host"], bgp["state"], bgp["ok"]) == ("tslcd-pe-1", "established", True)
    tunnels = [n for n in view["neighbours"] if n["kind"] == "WAN-VPN tunnel"]
    assert len(tunnels) == len(example_inventory.wan_vpn.tunnels)  # type: ignore[union-attr]
    assert all(n["ok"] is None for n in tunnels)  # no ifOperStatus for them: unknown, not green


def test_a_codec_shows_its_vc_readiness(example_inventory: Inventory, growing: str, tmp_path: Path) -> None:
    with board_client(example_inventory, growing, dead_url(), tmp_path) as client:
        view = client.get(f"/api/device/{CODEC}").json()
        page = client.get(f"/device/{CODEC}").text
    vc = view["vc"]
    assert vc["registered"] is True and vc["sip_uri"] == example_inventory.hosts[CODEC].sip_uri
    (meeting,) = vc["meetings"]
    assert meeting["meeting"] == "giao-ban" and meeting["ready"] is False
    assert meeting["failed_check"] == "call"
    assert meeting["mos"] == pytest.approx(3.1) and meeting["jitter_ms"] == pytest.approx(12)
    assert vc["thresholds"]["min_mos"] == example_inventory.vc.readiness.min_mos  # type: ignore[union-attr]
    assert "NOT READY" in page and 'data-meeting="giao-ban"' in page


def test_a_server_shows_node_facts(example_inventory: Inventory, growing: str, tmp_path: Path) -> None:
    with board_client(example_inventory, growing, dead_url(), tmp_path) as client:
        server = client.get(f"/api/device/{SERVER}").json()["server"]
        router = client.get(f"/api/device/{ROUTER}").json()
    assert server == {"load1": 0.5, "cpus": 1, "memory_available_ratio": 0.5, "disks": [["/", 0.5]]}
    assert router["server"] is None and router["vc"] is None


def test_journal_backup_and_compliance_from_the_state(example_inventory: Inventory, tmp_path: Path) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        state = client.app.state.board.settings.state  # type: ignore[attr-defined]
        # the configuration as it is on the device, secrets and all: the board must show none of it
        config = render_host(example_inventory, ROUTER)
        assert any(s in config for s in LAB_SECRETS)
        repo = BackupRepo(state.backups)
        repo.write(ROUTER, config)
        commit = repo.commit("deploy run-7: change 42")
        journal = Journal(state.journal)
        journal.start_run("run-7", "infra deploy --limit wan-hub-1", comment="change 42", user="an")
        journal.record_device(
            "run-7", Result(ROUTER, changed=True, diff=config, message="committed", duration_s=2.0)
        )
        journal.finish_run("run-7", "ok", {"ok": 1}, commit)

        view = client.get(f"/api/device/{ROUTER}").json()
        page = client.get(f"/device/{ROUTER}").text
    backup = view["last_backup"]
    assert backup["commit"] == commit and backup["subject"] == "deploy run-7: change 42"
    (entry,) = view["journal"]
    assert (entry["run_id"], entry["command"], entry["status"], entry["changed"]) == (
        "run-7",
        "infra deploy --limit wan-hub-1",
        "changed",
        True,
    )
    assert "diff" not in entry
    score = view["compliance"]["score"]
    assert isinstance(score, float) and 0 <= score <= 100
    assert f'data-score="{score}"' in page and str(commit)[:10] in page and 'data-run="run-7"' in page
    config_lines = {line.strip() for line in config.splitlines() if len(line.strip()) > 20}
    for text in (page, json.dumps(view)):
        assert not [s for s in LAB_SECRETS if s in text]
        assert not [line for line in config_lines if line in text]  # no configuration text


def test_prometheus_down_shows_a_banner_and_the_inventory(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        page = client.get(f"/device/{ROUTER}")
        view = client.get(f"/api/device/{ROUTER}").json()
        live = client.get(f"/device/{ROUTER}", params={"part": "live"}).text
    assert page.status_code == 200 and "Prometheus is not answering" in page.text
    assert "Prometheus is not answering" in live and "<html" not in live
    assert "GigabitEthernet0/0/1" in page.text and "dc-core-1" in page.text  # inventory facts stay
    assert view["metrics_known"] is False and view["state"] == "unknown"
    assert {n["ok"] for n in view["neighbours"]} == {None}
    assert view["compliance"]["score"] is None and view["compliance"]["note"]


def test_a_bad_range_is_400(example_inventory: Inventory, tmp_path: Path) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        for bad in ("2h", "1h;drop", ""):
            page = client.get(f"/device/{ROUTER}", params={"range": bad})
            assert page.status_code == 400 and "range must be one of 1h, 6h, 24h" in page.text
            api = client.get(f"/api/device/{ROUTER}", params={"range": bad})
            assert api.status_code == 400 and "range must be" in api.json()["error"]
        assert client.get(f"/api/device/{ROUTER}", params={"range": "6h"}).json()["range"] == "6h"


def test_the_device_takes_the_colour_of_its_worst_active_alert(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    host = "cpe-so-tai-chinh"
    labels = {"host": host, "site": example_inventory.hosts[host].site}
    post_alerts(
        alertmanager,
        [
            {"alertname": "InfraDeviceProbeWarning", "severity": "warning", **labels},
            {"alertname": "InfraDeviceProbeCritical", "severity": "critical", **labels},
        ],
    )
    with board_client(example_inventory, dead_url(), alertmanager, tmp_path) as client:
        view = wait_for(
            "both alerts on the device",
            lambda: (v := client.get(f"/api/device/{host}").json()) and len(v["alerts"]) == 2 and v,
        )
        page = client.get(f"/device/{host}").text
    assert view["state"] == "critical"
    assert {a["name"] for a in view["alerts"]} == {"InfraDeviceProbeWarning", "InfraDeviceProbeCritical"}
    assert f'href="/alerts?host={host}"' in page and 'data-state="critical"' in page
