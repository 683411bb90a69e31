"""The Province page: site tiles coloured by active alerts only, tunnels from the series
InfraWanLinkDown fires on, power and cooling against the alerts' thresholds; pure views first,
then through a real Prometheus (evaluating the province's rendered recording rules over metrics
labelled as our exporters label them) and a real Alertmanager (with the province's inhibitions)."""

from __future__ import annotations

import itertools
import json
import math
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.inventory import Inventory, Role
from infra.monitoring.alerts import ALERTS
from infra.monitoring.labels import host_labels, interface_name_on_device
from infra.monitoring.options import RenderOptions
from infra.monitoring.rules import rule_files
from infra.oncall import facilities as fac
from infra.oncall.board import Snapshot
from infra.oncall.province import province_view, wan_drawing
from infra.oncall.sources import Alert, Sample
from infra.oncall.wan_svg import Spoke, draw, positions
from tests.monitoring.alertmanager_testlib import post_alerts, run_alertmanager
from tests.oncall.conftest import Exposition, board_client, run_prometheus, wait_for
from tests.ports import free_port

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def alert(name: str, severity: str, site: str, **kw: Any) -> Alert:
    labels = {"alertname": name, "severity": severity, "site": site, **kw.pop("labels", {})}
    return Alert(name, labels, {}, NOW, kw.pop("state", "active"), f"fp-{name}-{site}", **kw)


def sample(name: str, value: float, **labels: str) -> Sample:
    return Sample({"__name__": name, **labels}, value)


def tunnel_ends(inv: Inventory) -> list[tuple[str, str, str]]:
    """(host, ifName as the device reports it, link_id) of both ends of every tunnel."""
    return [
        (h, interface_name_on_device(inv, i.name, i.lab_name), i.link_id or "")
        for h, ifaces in inv.interfaces.items()
        for i in ifaces
        if i.kind == "tunnel"
    ]


def up_samples(inv: Inventory, down: str = "") -> list[Sample]:
    return [
        sample("infra:wan_link_up", 0 if link == down else 1, host=h, ifName=ifname, link_id=link)
        for h, ifname, link in tunnel_ends(inv)
    ]


# ---- pure views ------------------------------------------------------------------------------


def test_tiles_take_the_worst_active_alert_and_count_only_active_ones(example_inventory: Inventory) -> None:
    inv = example_inventory
    snap = Snapshot(
        alerts=[
            alert("InfraWanLinkDown", "critical", "so-y-te"),
            alert(
                "InfraDeviceUnreachable", "critical", "xa-lam-ha", inhibited_by=("fp-x",), state="suppressed"
            ),
            alert("InfraInterfaceErrors", "warning", "xa-lam-ha"),
            alert("InfraServerDown", "critical", "campus", silenced_by=("s-1",), state="suppressed"),
        ]
    )
    view = province_view(inv, snap, [], [], [], [])
    tiles = {t.site: t for t in view.tiles}
    assert set(tiles) == set(inv.sites)
    assert (tiles["so-y-te"].state, tiles["so-y-te"].alerts) == ("critical", 1)
    assert (tiles["xa-lam-ha"].state, tiles["xa-lam-ha"].alerts) == (
        "warning",
        1,
    )  # inhibited critical ignored
    assert (tiles["campus"].state, tiles["campus"].alerts) == ("ok", 0)  # silenced
    assert tiles["so-y-te"].title == "Sở Y tế" and tiles["so-y-te"].kind == "department"
    assert tiles["dc"].title.startswith("Trung tâm dữ liệu") and tiles["dc"].kind == "data centre"
    assert view.tiles[0].site == "dc"  # the data centre first, then campus, ..., communes last
    assert view.tiles[-1].kind == "commune"
    groups = dict(view.tile_groups())
    assert [t.site for t in groups["Data centre"]] == ["dc"] and len(groups["Communes"]) == 10


def test_without_alertmanager_every_tile_is_unknown(example_inventory: Inventory) -> None:
    snap = Snapshot(alerts=[], problems=["Alertmanager is not answering"], alerts_known=False)
    view = province_view(example_inventory, snap, None, None, None, None, ["Prometheus is not answering"])
    assert {t.state for t in view.tiles} == {"unknown"}
    assert view.problems == ["Alertmanager is not answering", "Prometheus is not answering"]
    assert {t.state for t in view.tunnels} == {"unknown"}
    assert {u.state for u in view.facilities.ups} == {"unknown"}
    assert len(view.facilities.ups) == len(example_inventory.by_role(Role.UPS))


def test_a_tunnel_down_at_either_end_is_down_and_says_where(example_inventory: Inventory) -> None:
    inv = example_inventory
    assert inv.wan_vpn is not None
    link = inv.wan_vpn.tunnels[3].id
    samples = [s for s in up_samples(inv) if s.labels["link_id"] != "vpn-so-noi-vu"]  # not reporting
    samples = [
        Sample(s.labels, 0) if s.labels["link_id"] == link and s.labels["host"] != inv.wan_vpn.hub else s
        for s in samples
    ]
    tunnels = {t.link_id: t for t in province_view(inv, Snapshot([]), samples, [], [], []).tunnels}
    assert len(tunnels) == len(inv.wan_vpn.tunnels)
    spoke = inv.wan_vpn.tunnels[3].spoke
    assert tunnels[link].state == "down" and tunnels[link].detail.startswith(f"down at {spoke} ")
    assert tunnels["vpn-so-noi-vu"].state == "unknown"
    assert {t.state for k, t in tunnels.items() if k not in (link, "vpn-so-noi-vu")} == {"up"}
    assert tunnels[link].site == inv.hosts[spoke].site


def test_ups_on_battery_with_little_runtime_and_a_ups_mib_ups_on_mains() -> None:
    apc = [
        sample("upsBasicOutputStatus", 1, host="ups-dc-1", upsBasicOutputStatus="onBattery"),
        sample("upsAdvBatteryRunTimeRemaining", 48000, host="ups-dc-1"),  # hundredths of a second
        sample("upsAdvOutputLoad", 40, host="ups-dc-1"),
    ]
    u = fac.ups_reading("ups-dc-1", "dc", apc)
    assert (u.source, u.state, u.runtime_minutes, u.load_percent) == ("battery", "critical", 8.0, 40)
    assert "on battery" in u.notes and "runtime under 10 minutes" in u.notes
    rfc = [
        sample("upsOutputSource", 1, host="ups-dc-2", upsOutputSource="normal"),
        sample("upsEstimatedMinutesRemaining", 45, host="ups-dc-2"),
        sample("upsOutputPercentLoad", 30, host="ups-dc-2", upsOutputLineIndex="1"),
        sample("upsOutputPercentLoad", 95, host="ups-dc-2", upsOutputLineIndex="2"),
    ]
    u2 = fac.ups_reading("ups-dc-2", "dc", rfc)
    assert (u2.source, u2.runtime_minutes, u2.load_percent, u2.state) == ("mains", 45, 95, "critical")
    assert fac.ups_reading("ups-dc-3", "dc", None).state == "unknown"
    fine = fac.ups_reading(
        "ups-dc-4", "dc", [sample("upsBasicOutputStatus", 1, upsBasicOutputStatus="onLine")]
    )
    assert (fine.source, fine.state, fine.notes) == ("mains", "ok", ())


def test_nan_readings_are_no_readings_and_the_api_still_answers(example_inventory: Inventory) -> None:
    nan = math.nan
    view = province_view(
        example_inventory,
        Snapshot([]),
        [sample("infra:wan_link_up", nan, host="wan-hub-1", ifName="wg1", link_id="vpn-so-noi-vu")],
        [sample("upsAdvOutputLoad", nan, host="ups-dc-1")],
        [sample("rPDU2PhaseStatusCurrent", math.inf, host="pdu-dc-1", rPDU2PhaseStatusIndex="1")],
        [sample("infra:dc_temperature_celsius", nan, host="env-dc-1", sensorProbeTempIndex="7")],
    )
    text = json.dumps(view.as_json(), allow_nan=False)  # what JSONResponse does: NaN would be a 500
    assert "NaN" not in text and "Infinity" not in text
    assert next(t for t in view.tunnels if t.link_id == "vpn-so-noi-vu").state == "unknown"
    assert view.facilities.ups[0].state == "unknown"
    assert {c.band for c in view.facilities.climate} == {"unknown"}


def test_pdu_phases_from_the_rpdu2_table_else_the_older_load_table() -> None:
    both = [
        sample("rPDU2PhaseStatusCurrent", 4.9, rPDU2PhaseStatusIndex="1", rPDU2PhaseStatusNumber="1"),
        sample(
            "rPDU2PhaseStatusLoadState",
            1,
            rPDU2PhaseStatusIndex="1",
            rPDU2PhaseStatusNumber="1",
            rPDU2PhaseStatusLoadState="nearOverload",
        ),
        sample("rPDULoadStatusLoad", 4.9, rPDULoadStatusIndex="1", rPDULoadStatusPhaseNumber="1"),
    ]
    (phase,) = fac.pdu_phases("pdu-dc-1", "dc", both)
    assert (phase.phase, phase.current_amps, phase.load_state, phase.state) == (
        "phase 1",
        4.9,
        "near overload",
        "warning",
    )
    old = [
        sample("rPDULoadStatusLoad", 31.0, rPDULoadStatusIndex="1", rPDULoadStatusPhaseNumber="1"),
        sample(
            "rPDULoadStatusLoadState",
            1,
            rPDULoadStatusIndex="1",
            rPDULoadStatusPhaseNumber="1",
            rPDULoadStatusLoadState="phaseLoadOverload",
        ),
        sample(
            "rPDULoadStatusLoad",
            2.0,
            rPDULoadStatusIndex="2",
            rPDULoadStatusPhaseNumber="0",
            rPDULoadStatusBankNumber="1",
        ),
    ]
    rows = fac.pdu_phases("pdu-dc-2", "dc", old)
    assert [(r.phase, r.state) for r in rows] == [("phase 1", "critical"), ("bank 1", "unknown")]


@pytest.mark.parametrize(
    ("celsius", "band"),
    [
        (22, "recommended"),
        (18, "recommended"),
        (27.5, "allowable"),
        (15, "allowable"),
        (32.1, "outside"),
        (10, "outside"),
    ],
)
def test_temperature_bands(celsius: float, band: str) -> None:
    assert fac.temperature_band(celsius) == band


@pytest.mark.parametrize(
    ("rh", "band"), [(42, "recommended"), (70, "allowable"), (85, "outside"), (15, "outside")]
)
def test_humidity_bands(rh: float, band: str) -> None:
    assert fac.humidity_band(rh) == band


def test_the_bands_and_limits_are_the_alerts_thresholds() -> None:
    """If an alert's threshold changes, the page must change with it."""
    expr = {a.name: a.expr for a in ALERTS}
    t, h = "infra:dc_temperature_celsius", "infra:dc_humidity_percent"
    lo, hi = fac.TEMPERATURE_ALLOWABLE
    assert f"{t} < {lo:g} or {t} > {hi:g}" == expr["InfraDcTemperatureOutsideAllowable"]
    rlo, rhi = fac.TEMPERATURE_RECOMMENDED
    assert f"{t} < {rlo:g}" in expr["InfraDcTemperatureOutsideRecommended"]
    assert f"{t} > {rhi:g}" in expr["InfraDcTemperatureOutsideRecommended"]
    hlo, hhi = fac.HUMIDITY_ALLOWABLE
    assert f"{h} < {hlo:g} or {h} > {hhi:g}" == expr["InfraDcHumidityOutsideAllowable"]
    assert f"{h} > {fac.HUMIDITY_RECOMMENDED[1]:g}" in expr["InfraDcHumidityOutsideRecommended"]
    assert f"< {fac.UPS_MIN_RUNTIME_MINUTES:g}" in expr["InfraUpsLowRuntime"]
    assert f"> {fac.UPS_MAX_LOAD_PERCENT:g}" in expr["InfraUpsOverload"]
    for state in ("onBattery", "battery"):
        assert state in expr["InfraUpsOnBattery"] and fac.UPS_SOURCE[state] == "battery"
    for name in ("InfraPduPhaseNearOverload", "InfraPduPhaseOverload"):
        for state in re.findall(r'LoadState="(\w+)"', expr[name]):
            assert fac.PDU_LOAD_STATE[state][1] == ("warning" if "Near" in name else "critical")


def test_the_drawing_scales_to_300_spokes_without_overlaps() -> None:
    for n in (1, 20, 41, 300):
        labelled = n <= 40
        places = positions(n, labelled)
        assert len(places) == n
        closest = min((math.dist(a[:2], b[:2]) for a, b in itertools.combinations(places, 2)), default=99.0)
        assert closest >= (30 if labelled else 18), n  # dots never touch
    spokes = [Spoke(f"vpn-{i}", f"site-{i}", f"Xã {i}", "down" if i == 7 else "up", "ok") for i in range(300)]
    svg = str(draw("Trung tâm dữ liệu (hub)", "ok", spokes))
    assert svg.count("<line ") == 300 and svg.count("<circle ") == 301
    assert 'class="tunnel down"' in svg and "<title>vpn-7: tunnel down</title>" in svg
    assert svg.index('data-link="vpn-7"') > svg.index('data-link="vpn-299"')  # the down line on top
    assert '<text class="spoke-name"' not in svg  # 300 names go to tooltips
    assert " style=" not in svg and "<script" not in svg
    assert len(svg) < 150_000  # page weight: the page must stay under 300 KB


def test_past_400_spokes_only_the_problems_are_drawn_one_by_one() -> None:
    """A 1,400-spoke province (the synthetic 3,000-device one): plain spokes in bulk paths."""
    spokes = [
        Spoke(
            f"vpn-{i}",
            f"site-{i}",
            f"Xã {i}",
            "down" if i % 200 == 0 else "up",
            "critical" if i % 100 == 50 else "ok",
        )
        for i in range(1400)
    ]
    svg = str(draw("hub", "ok", spokes))
    assert svg.count("<line ") == 7 and svg.count('<line class="tunnel down"') == 7
    assert svg.count('<circle class="spoke ') == 7 + 14  # the down tunnels' spokes and the sites with alerts
    assert "<title>1393 tunnels up</title>" in svg
    assert "<title>1379 sites without alerts (named in the tiles)</title>" in svg
    assert 'data-site="site-50"' in svg and 'data-site="site-51"' not in svg
    assert len(svg) < 60_000


def test_names_are_escaped_in_the_drawing() -> None:
    svg = str(draw("hub", "ok", [Spoke("vpn-<x>", "s&1", "<b>Sở</b>", "up", "ok")]))
    assert "<b>" not in svg and "&lt;b&gt;Sở&lt;/b&gt;" in svg and "vpn-&lt;x&gt;" in svg


# ---- through a real Prometheus and a real Alertmanager ------------------------------------------


@pytest.fixture(scope="module")
def ruled_prometheus(
    example_inventory: Inventory, exposition: tuple[Exposition, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real Prometheus evaluating the province's rendered inventory and recording rules (as in
    fast mode: every second) over what the test serves."""
    _, target = exposition
    data = tmp_path_factory.mktemp("province-prom")
    files = rule_files(example_inventory, RenderOptions(fast_alerts=True))
    paths = []
    for name in ("inventory.yml", "recording.yml"):
        (data / name).write_text(yaml.safe_dump(files[name], allow_unicode=True))
        paths.append(data / name)
    yield from run_prometheus(target, data, tuple(paths))


@pytest.fixture(scope="module")
def own_alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Alertmanager of this module's own: the tests assert sites stay green, which alerts other
    modules post to the shared one would spoil."""
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("province-am"))


def series(name: str, labels: dict[str, str], value: float) -> str:
    text = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{text}}} {value:g}"


def exporter_metrics(inv: Inventory, tunnel_down: str, temperature: float) -> str:
    """What infra-snmp-exporter serves for the province's routers and facilities (job/instance as
    Prometheus's snmp job sets them): every tunnel interface up but TUNNEL_DOWN's hub end, UPS
    ups-dc-1 on battery, env-dc-1's probe reading TEMPERATURE."""
    lines = []
    for host, ifname, link in tunnel_ends(inv):
        base = {"job": "snmp", "instance": host, **host_labels(inv, inv.hosts[host])}
        down = link == tunnel_down and host == (inv.wan_vpn.hub if inv.wan_vpn else "")
        lines.append(series("ifOperStatus", base | {"ifIndex": "7", "ifName": ifname}, 2 if down else 1))
    for host in ("ups-dc-1", "ups-dc-2"):
        base = {"job": "snmp", "instance": host, **host_labels(inv, inv.hosts[host])}
        on_battery = host == "ups-dc-1"
        for state, value in (("onLine", not on_battery), ("onBattery", on_battery)):
            lines.append(series("upsBasicOutputStatus", base | {"upsBasicOutputStatus": state}, int(value)))
        lines.append(series("upsAdvBatteryRunTimeRemaining", base, 1952600))
    for host in ("env-dc-1", "env-dc-2"):
        base = {"job": "snmp", "instance": host, **host_labels(inv, inv.hosts[host])}
        probe = base | {"sensorProbeTempIndex": "7", "sensorProbeTempDescription": "Temp.Sensor 1"}
        lines.append(series("sensorProbeTempDegree", probe, temperature if host == "env-dc-1" else 22))
        lines.append(series("sensorProbeTempOnline", probe | {"sensorProbeTempOnline": "online"}, 1))
        humid = base | {"sensorProbeHumidityIndex": "0", "sensorProbeHumidityDescription": "Custom Descr 1"}
        lines.append(series("sensorProbeHumidityPercent", humid, 42))
        lines.append(series("sensorProbeHumidityOnline", humid | {"sensorProbeHumidityOnline": "online"}, 1))
    for host in ("pdu-dc-1", "pdu-dc-2"):
        base = {"job": "snmp", "instance": host, **host_labels(inv, inv.hosts[host])}
        phase = base | {"rPDU2PhaseStatusIndex": "1", "rPDU2PhaseStatusNumber": "1"}
        lines.append(series("rPDU2PhaseStatusCurrent", phase, 4.9))
        for state in ("lowLoad", "normal", "nearOverload", "overload"):
            lines.append(
                series(
                    "rPDU2PhaseStatusLoadState",
                    phase | {"rPDU2PhaseStatusLoadState": state},
                    int(state == "normal"),
                )
            )
    return "\n".join(lines) + "\n"


def test_the_page_through_real_prometheus_and_alertmanager(
    example_inventory: Inventory,
    exposition: tuple[Exposition, str],
    ruled_prometheus: str,
    own_alertmanager: str,
    tmp_path: Path,
) -> None:
    inv = example_inventory
    assert inv.wan_vpn is not None
    cut = inv.wan_vpn.tunnels[3]  # vpn-so-y-te
    metrics, _ = exposition
    metrics.set(exporter_metrics(inv, cut.id, temperature=34))
    with board_client(inv, ruled_prometheus, own_alertmanager, tmp_path) as client:

        def seen() -> dict[str, Any] | None:
            page = client.get("/api/province").json()
            tunnels = {t["link_id"]: t["state"] for t in page["wan"]["tunnels"]}
            return page if tunnels.get(cut.id) == "down" and list(tunnels.values()).count("up") > 0 else None

        page = wait_for(f"{cut.id} seen down through the recording rules", seen)
        assert page["problems"] == []
        states = {t["link_id"]: t["state"] for t in page["wan"]["tunnels"]}
        assert {s for k, s in states.items() if k != cut.id} == {"up"}
        down = next(t for t in page["wan"]["tunnels"] if t["link_id"] == cut.id)
        assert down["site"] == inv.hosts[cut.spoke].site and down["detail"].startswith(
            f"down at {inv.wan_vpn.hub} "
        )

        ups = {u["host"]: u for u in page["power"]["ups"]}
        assert ups["ups-dc-1"]["source"] == "battery" and ups["ups-dc-1"]["state"] == "critical"
        assert ups["ups-dc-2"]["source"] == "mains" and round(ups["ups-dc-2"]["runtime_minutes"]) == 325
        climate = {(c["host"], c["measure"]): c for c in page["cooling"]}
        hot = climate[("env-dc-1", "temperature")]
        assert (hot["value"], hot["band"], hot["state"], hot["sensor"]) == (
            34,
            "outside",
            "critical",
            "Temp.Sensor 1",
        )
        assert climate[("env-dc-2", "temperature")]["band"] == "recommended"
        assert climate[("env-dc-1", "humidity")]["band"] == "recommended"
        assert {(p["host"], p["load_state"], p["current_amps"]) for p in page["power"]["pdu_phases"]} == {
            ("pdu-dc-1", "normal", 4.9),
            ("pdu-dc-2", "normal", 4.9),
        }

        html = client.get("/province").text
        assert re.search(rf'<line class="tunnel down"[^>]*data-link="{cut.id}"', html)
        assert 'data-host="ups-dc-1" data-source="battery"' in html
        assert re.search(r'data-host="env-dc-1" data-measure="temperature" data-band="outside"', html)
        assert "outside the allowable band" in html and " style=" not in html


def test_an_inhibited_alert_does_not_colour_its_site(
    example_inventory: Inventory, own_alertmanager: str, tmp_path: Path
) -> None:
    """The hub-side OSPF alert of a cut tunnel carries the data centre's site; the link down
    inhibits it (equal link_id), so the data centre stays green while the spoke site is red."""
    inv = example_inventory
    assert inv.wan_vpn is not None
    cut = inv.wan_vpn.tunnels[5]
    spoke_site = inv.hosts[cut.spoke].site
    hub = inv.hosts[inv.wan_vpn.hub]
    post_alerts(
        own_alertmanager,
        [
            {
                "alertname": "InfraWanLinkDown",
                "severity": "critical",
                "site": spoke_site,
                "host": hub.name,
                "link_id": cut.id,
            },
            {
                "alertname": "InfraOspfNeighbourDown",
                "severity": "warning",
                "site": hub.site,
                "host": hub.name,
                "link_id": cut.id,
            },
        ],
    )

    def inhibited() -> bool:
        with urllib.request.urlopen(f"{own_alertmanager}/api/v2/alerts", timeout=5) as answer:
            alerts = json.load(answer)
        return any(
            a["labels"]["alertname"] == "InfraOspfNeighbourDown" and a["status"]["inhibitedBy"]
            for a in alerts
        )

    wait_for("the hub-side OSPF alert inhibited by the link down", inhibited)
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(inv, dead, own_alertmanager, tmp_path) as client:
        tiles = {t["site"]: t for t in client.get("/api/province").json()["sites"]}
    assert (tiles[spoke_site]["state"], tiles[spoke_site]["alerts"]) == ("critical", 1)
    assert (tiles[hub.site]["state"], tiles[hub.site]["alerts"]) == ("ok", 0)


def test_with_prometheus_down_the_tiles_stay_and_the_tunnels_are_grey(
    example_inventory: Inventory, own_alertmanager: str, tmp_path: Path
) -> None:
    inv = example_inventory
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(inv, dead, own_alertmanager, tmp_path) as client:
        api = client.get("/api/province").json()
        page = client.get("/province")
        live = client.get("/province", params={"part": "live"})
    assert [p for p in api["problems"] if p.startswith("Prometheus is not answering")] == api["problems"]
    assert len(api["problems"]) == 1  # one banner, not one per query
    assert {t["site"] for t in api["sites"]} == set(inv.sites)
    assert "unknown" not in {t["state"] for t in api["sites"]}  # Alertmanager answers: tiles keep colour
    assert {t["state"] for t in api["wan"]["tunnels"]} == {"unknown"}
    assert {u["state"] for u in api["power"]["ups"]} == {"unknown"}
    assert page.status_code == 200 and "Prometheus is not answering" in page.text
    assert page.text.count('<li class="tile ') == len(inv.sites)
    assert page.text.count('<line class="tunnel unknown"') == len(inv.wan_vpn.tunnels if inv.wan_vpn else ())
    assert "Prometheus is not answering" in live.text and "<html" not in live.text


def test_the_page_draws_the_example_province_labelled(example_inventory: Inventory) -> None:
    inv = example_inventory
    view = province_view(inv, Snapshot([]), up_samples(inv, down="vpn-xa-ta-nung"), [], [], [])
    svg = str(wan_drawing(view))
    assert svg.count('<text class="spoke-name"') == len(view.tunnels) == 20
    assert ">Xã Tà Nung</text>" in svg and 'class="tunnel down"' in svg
    assert view.tunnels_down[0].link_id == "vpn-xa-ta-nung"
