"""alertmanager.yml checked by amtool, routing tested with `amtool config routes test`, and the
topology-aware inhibition tested against a real Alertmanager on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.monitoring.alertmanager_testlib import alert, amtool, inhibition, route_test, run_alertmanager


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
    r = route_test(rendered_dir, receiver, labels)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == receiver


def test_routes_detect_a_wrong_expectation(rendered_dir: Path) -> None:
    r = route_test(rendered_dir, "oncall-dc", ["severity=critical", "site=so-y-te"])
    assert r.returncode != 0


# ---- inhibition against a real Alertmanager ---------------------------------------------------


@pytest.fixture(scope="module")
def alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("am-data"))


def test_wan_link_down_inhibits_the_spoke_site_and_the_hub_side(alertmanager: str) -> None:
    spoke = {"link_id": "vpn-so-y-te", "cuts_off": "site"}
    got = inhibition(
        alertmanager,
        "wan",
        [
            alert(
                "InfraWanLinkDown", "critical", "wan-hub-1", "so-y-te",
                agency="Sở Y tế", hub_site="dc", peer_site="so-y-te", **spoke,
            ),
            alert("InfraWanEndpointUnreachable", "critical", "cpe-so-y-te", "so-y-te", **spoke),
            alert("InfraDeviceUnreachable", "critical", "cpe-so-y-te", "so-y-te"),
            alert("InfraDeviceUnreachable", "critical", "vc-so-y-te", "so-y-te"),
            alert("InfraOspfNeighbourDown", "warning", "wan-hub-1", "dc", link_id="vpn-so-y-te"),
            alert("InfraDeviceUnreachable", "critical", "cpe-so-giao-duc", "so-giao-duc"),
        ],
    )  # fmt: skip
    assert got["InfraWanLinkDown/wan-hub-1"] == []  # at the spoke's site, yet not silenced by it
    assert got["InfraWanEndpointUnreachable/cpe-so-y-te"] != []
    assert got["InfraDeviceUnreachable/cpe-so-y-te"] != []
    assert got["InfraDeviceUnreachable/vc-so-y-te"] != []
    assert got["InfraOspfNeighbourDown/wan-hub-1"] != []
    assert got["InfraDeviceUnreachable/cpe-so-giao-duc"] == []  # another site: still pages


def test_hub_down_inhibits_every_spoke_site_but_not_the_dc(alertmanager: str) -> None:
    got = inhibition(
        alertmanager,
        "hub",
        [
            alert("InfraDeviceUnreachable", "critical", "wan-hub-1", "dc"),
            alert("InfraDeviceUnreachable", "critical", "cpe-xa-lam-ha", "xa-lam-ha"),
            alert("InfraDeviceUnreachable", "critical", "dc-sw-1", "dc"),
        ],
    )
    assert got["InfraDeviceUnreachable/wan-hub-1"] == []
    assert got["InfraDeviceUnreachable/cpe-xa-lam-ha"] != []
    assert got["InfraDeviceUnreachable/dc-sw-1"] == []


def test_site_on_battery_does_not_page_per_device(alertmanager: str) -> None:
    got = inhibition(
        alertmanager,
        "power",
        [
            alert("InfraUpsOnBattery", "critical", "ups-dc-1", "dc"),
            alert("InfraServerDown", "critical", "srv-mail-1", "dc"),
            alert("InfraDeviceUnreachable", "critical", "dc-sw-2", "dc"),
            alert("InfraDcTemperatureOutsideAllowable", "critical", "env-dc-1", "dc"),
            alert("InfraServerDown", "critical", "srv-x", "campus"),
        ],
    )
    assert got["InfraUpsOnBattery/ups-dc-1"] == []
    assert got["InfraServerDown/srv-mail-1"] != []
    assert got["InfraDeviceUnreachable/dc-sw-2"] != []
    assert got["InfraDcTemperatureOutsideAllowable/env-dc-1"] == []  # the room heating up still pages
    assert got["InfraServerDown/srv-x"] == []  # another site
