"""alertmanager.yml checked by amtool, routing tested with `amtool config routes test`, and the
topology-aware inhibition tested against a real Alertmanager on loopback."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.daemons import serve_on_loopback
from tests.monitoring.conftest import need


def amtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("amtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_check_config(rendered_dir: Path) -> None:
    r = amtool("check-config", "alertmanager.yml", cwd=rendered_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


ROUTES = [
    # (labels, expected receiver)
    (["severity=critical", "site=dc", "alertname=InfraUpsOnBattery"], "oncall-dc"),
    (["severity=critical", "site=campus", "alertname=InfraDeviceUnreachable"], "oncall-dc"),
    (["severity=critical", "site=so-y-te", "alertname=InfraWanEndpointUnreachable"], "oncall-wan"),
    # a tunnel's link alert carries the spoke's site, even from the hub's end: the WAN on-call
    (
        ["severity=critical", "site=so-y-te", "hub_site=dc", "host=wan-hub-1", "alertname=InfraWanLinkDown"],
        "oncall-wan",
    ),
    # the hub's own carrier access serves the whole WAN: the DC on-call
    (["severity=critical", "site=dc", "hub_site=dc", "alertname=InfraWanLinkDown"], "oncall-dc"),
    (["severity=critical", "site=xa-lam-ha", "alertname=InfraDeviceUnreachable"], "oncall-wan"),
    (["severity=warning", "site=dc", "alertname=InfraServerDiskFilling"], "tickets"),
    (["severity=warning", "site=so-y-te", "alertname=InfraOspfNeighbourDown"], "tickets"),
    (["severity=info", "site=dc", "alertname=Whatever"], "blackhole"),
]


@pytest.mark.parametrize(
    ("labels", "receiver"), ROUTES, ids=[f"{r[1]}:{r[0][1]}:{r[0][-1].split('=')[1]}" for r in ROUTES]
)
def test_routes(rendered_dir: Path, labels: list[str], receiver: str) -> None:
    r = amtool(
        "config",
        "routes",
        "test",
        "--config.file=alertmanager.yml",
        f"--verify.receivers={receiver}",
        *labels,
        cwd=rendered_dir,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == receiver


def test_routes_detect_a_wrong_expectation(rendered_dir: Path) -> None:
    r = amtool(
        "config",
        "routes",
        "test",
        "--config.file=alertmanager.yml",
        "--verify.receivers=oncall-dc",
        "severity=critical",
        "site=so-y-te",
        cwd=rendered_dir,
    )
    assert r.returncode != 0


# ---- inhibition against a real Alertmanager ---------------------------------------------------


@pytest.fixture(scope="module")
def alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("am-data"))


def run_alertmanager(rendered_dir: Path, data: Path) -> Iterator[str]:
    """A real Alertmanager on the rendered alertmanager.yml, on loopback; yields its URL."""
    yield from serve_on_loopback(
        "Alertmanager",
        lambda port: [
            need("prometheus-alertmanager"),
            f"--config.file={rendered_dir / 'alertmanager.yml'}",
            f"--storage.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        data / "alertmanager.log",
    )


def post(url: str, alerts: list[dict[str, str]]) -> None:
    now = datetime.now(UTC).isoformat()
    body = json.dumps([{"labels": a, "startsAt": now} for a in alerts]).encode()
    req = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(req, timeout=5)


def states(url: str, alertname_prefix: str) -> dict[str, Any]:
    """host/alertname -> inhibitedBy list, for alerts whose `case` label matches."""
    with urllib.request.urlopen(
        f"{url}/api/v2/alerts?filter=case%3D%22{alertname_prefix}%22", timeout=5
    ) as r:
        alerts = json.load(r)
    return {
        f"{a['labels']['alertname']}/{a['labels'].get('host', '')}": a["status"]["inhibitedBy"]
        for a in alerts
    }


def settle(url: str, case: str, count: int) -> dict[str, Any]:
    for _ in range(50):
        got = states(url, case)
        if len(got) == count:
            time.sleep(0.3)  # inhibition is computed when alerts are read; let them all arrive
            return states(url, case)
        time.sleep(0.1)
    pytest.fail(f"alerts of case {case} never all arrived")


def test_wan_link_down_inhibits_the_spoke_site_and_the_hub_side(alertmanager: str) -> None:
    case = {"case": "wan"}
    post(
        alertmanager,
        [
            case
            | {
                "alertname": "InfraWanLinkDown",
                "severity": "critical",
                "host": "wan-hub-1",
                "site": "so-y-te",
                "agency": "Sở Y tế",
                "hub_site": "dc",
                "cuts_off": "site",
                "link_id": "vpn-so-y-te",
                "peer_site": "so-y-te",
            },
            case
            | {
                "alertname": "InfraWanEndpointUnreachable",
                "severity": "critical",
                "host": "cpe-so-y-te",
                "site": "so-y-te",
                "link_id": "vpn-so-y-te",
                "cuts_off": "site",
            },
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "cpe-so-y-te",
                "site": "so-y-te",
            },
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "vc-so-y-te",
                "site": "so-y-te",
            },
            case
            | {
                "alertname": "InfraOspfNeighbourDown",
                "severity": "warning",
                "host": "wan-hub-1",
                "site": "dc",
                "link_id": "vpn-so-y-te",
            },
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "cpe-so-giao-duc",
                "site": "so-giao-duc",
            },
        ],
    )
    got = settle(alertmanager, "wan", 6)
    assert got["InfraWanLinkDown/wan-hub-1"] == []  # at the spoke's site, yet not silenced by it
    assert got["InfraWanEndpointUnreachable/cpe-so-y-te"] != []
    assert got["InfraDeviceUnreachable/cpe-so-y-te"] != []
    assert got["InfraDeviceUnreachable/vc-so-y-te"] != []
    assert got["InfraOspfNeighbourDown/wan-hub-1"] != []
    assert got["InfraDeviceUnreachable/cpe-so-giao-duc"] == []  # another site: still pages


def test_hub_down_inhibits_every_spoke_site_but_not_the_dc(alertmanager: str) -> None:
    case = {"case": "hub"}
    post(
        alertmanager,
        [
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "wan-hub-1",
                "site": "dc",
            },
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "cpe-xa-lam-ha",
                "site": "xa-lam-ha",
            },
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "dc-sw-1",
                "site": "dc",
            },
        ],
    )
    got = settle(alertmanager, "hub", 3)
    assert got["InfraDeviceUnreachable/wan-hub-1"] == []
    assert got["InfraDeviceUnreachable/cpe-xa-lam-ha"] != []
    assert got["InfraDeviceUnreachable/dc-sw-1"] == []


def test_site_on_battery_does_not_page_per_device(alertmanager: str) -> None:
    case = {"case": "power"}
    post(
        alertmanager,
        [
            case
            | {"alertname": "InfraUpsOnBattery", "severity": "critical", "host": "ups-dc-1", "site": "dc"},
            case
            | {"alertname": "InfraServerDown", "severity": "critical", "host": "srv-mail-1", "site": "dc"},
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "dc-sw-2",
                "site": "dc",
            },
            case
            | {
                "alertname": "InfraDcTemperatureOutsideAllowable",
                "severity": "critical",
                "host": "env-dc-1",
                "site": "dc",
            },
            case
            | {"alertname": "InfraServerDown", "severity": "critical", "host": "srv-x", "site": "campus"},
        ],
    )
    got = settle(alertmanager, "power", 5)
    assert got["InfraUpsOnBattery/ups-dc-1"] == []
    assert got["InfraServerDown/srv-mail-1"] != []
    assert got["InfraDeviceUnreachable/dc-sw-2"] != []
    assert got["InfraDcTemperatureOutsideAllowable/env-dc-1"] == []  # the room heating up still pages
    assert got["InfraServerDown/srv-x"] == []  # another site
