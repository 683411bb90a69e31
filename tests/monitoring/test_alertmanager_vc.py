"""Video conference in Alertmanager: routes (`amtool config routes test`) and inhibition against a
real Alertmanager, one per test, since inhibition rules without `equal` would reach across tests.

The lab end-to-end check (cut a commune's tunnel: its endpoint's registration alert is never
notified, the link alert is the site's page) reads the same labels: the endpoint's alerts carry
`host` = the endpoint, `site` = its site, `link_id` = its site's tunnel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.monitoring.alertmanager_testlib import alert, inhibition, route_test, run_alertmanager

VC_ROUTES = [
    (["severity=warning", "site=xa-da-huoai", "alertname=InfraVcEndpointNotRegistered"], "tickets"),
    (["severity=critical", "site=xa-da-huoai", "alertname=InfraVcReadinessFailing"], "oncall-wan"),
    (["severity=critical", "site=dc", "alertname=InfraVcCallControllerDown"], "oncall-dc"),
    (["severity=critical", "site=dc", "alertname=InfraVcRegistrationsDropping"], "oncall-dc"),
]


@pytest.mark.parametrize(("labels", "receiver"), VC_ROUTES, ids=[r[0][-1].split("=")[1] for r in VC_ROUTES])
def test_vc_routes(rendered_dir: Path, labels: list[str], receiver: str) -> None:
    r = route_test(rendered_dir, receiver, labels)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def am(rendered_dir: Path, tmp_path: Path) -> Iterator[str]:
    yield from run_alertmanager(rendered_dir, tmp_path)


def endpoint_alert(name: str, severity: str, endpoint: str, site: str, **extra: str) -> dict[str, str]:
    return alert(
        name, severity, endpoint, site, endpoint=endpoint, role="vc_endpoint", link_id=f"vpn-{site}", **extra
    )


def controller_alert(name: str, severity: str) -> dict[str, str]:
    return alert(name, severity, "srv-vc-1", "dc", role="server", platform="linux")


MEETING = {"meeting": "giao-ban-ubnd"}


def test_a_commune_behind_a_down_tunnel_is_not_paged_for_its_endpoint(am: str) -> None:
    wan_link_down = alert(
        "InfraWanLinkDown", "critical", "wan-hub-1", "xa-da-huoai", agency="Xã Đạ Huoai", hub_site="dc",
        cuts_off="site", link_id="vpn-xa-da-huoai", peer_site="xa-da-huoai",
    )  # fmt: skip
    got = inhibition(
        am,
        "vc-wan",
        [
            wan_link_down,
            endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-xa-da-huoai", "xa-da-huoai"),
            endpoint_alert("InfraVcReadinessFailing", "critical", "vc-xa-da-huoai", "xa-da-huoai", **MEETING),
            endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-da-huoai", "xa-da-huoai"),
            # another commune, its tunnel up: still paged
            endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    assert got["InfraWanLinkDown/wan-hub-1"] == []
    assert got["InfraVcEndpointNotRegistered/vc-xa-da-huoai"] != []
    assert got["InfraVcReadinessFailing/vc-xa-da-huoai"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-da-huoai"] != []
    assert got["InfraVcEndpointNotRegistered/vc-xa-lam-ha"] == []


def test_the_call_controller_down_is_the_only_vc_page(am: str) -> None:
    got = inhibition(
        am,
        "vc-controller",
        [
            controller_alert("InfraVcCallControllerDown", "critical"),
            controller_alert("InfraVcRegistrationsDropping", "critical"),
            controller_alert("InfraVcRegistrationProbeFailing", "warning"),
            endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-noi-vu", "so-noi-vu"),
            endpoint_alert("InfraVcReadinessFailing", "critical", "vc-xa-da-huoai", "xa-da-huoai", **MEETING),
            # the relay is a fault of its own
            controller_alert("InfraVcMediaRelayDown", "critical"),
        ],
    )
    assert got["InfraVcCallControllerDown/srv-vc-1"] == []
    assert got["InfraVcMediaRelayDown/srv-vc-1"] == []
    assert got["InfraVcRegistrationsDropping/srv-vc-1"] != []
    assert got["InfraVcRegistrationProbeFailing/srv-vc-1"] != []
    assert got["InfraVcEndpointNotRegistered/vc-so-noi-vu"] != []
    assert got["InfraVcReadinessFailing/vc-xa-da-huoai"] != []


def test_registrations_dropping_and_readiness_explain_endpoint_alerts(am: str) -> None:
    got = inhibition(
        am,
        "vc-drop",
        [
            controller_alert("InfraVcRegistrationsDropping", "critical"),
            endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-noi-vu", "so-noi-vu"),
            endpoint_alert("InfraVcReadinessFailing", "critical", "vc-so-y-te", "so-y-te", **MEETING),
            # a media ticket is not explained by registrations
            endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    assert got["InfraVcRegistrationsDropping/srv-vc-1"] == []
    assert got["InfraVcEndpointNotRegistered/vc-so-noi-vu"] != []
    assert got["InfraVcReadinessFailing/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] == []


def test_a_failed_readiness_check_explains_the_same_endpoints_tickets(am: str) -> None:
    got = inhibition(
        am,
        "vc-ready",
        [
            endpoint_alert("InfraVcReadinessFailing", "critical", "vc-so-y-te", "so-y-te", **MEETING),
            endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-y-te", "so-y-te"),
            endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-so-y-te", "so-y-te"),
            endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    assert got["InfraVcReadinessFailing/vc-so-y-te"] == []
    assert got["InfraVcEndpointNotRegistered/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] == []


def test_server_down_explains_its_vc_alerts_and_an_unreachable_codec_its_own(am: str) -> None:
    got = inhibition(
        am,
        "vc-server",
        [
            controller_alert("InfraServerDown", "critical"),
            controller_alert("InfraVcCallControllerDown", "critical"),
            controller_alert("InfraVcMediaRelayDown", "critical"),
            alert("InfraDeviceUnreachable", "critical", "vc-xa-lam-ha", "xa-lam-ha"),
            endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    assert got["InfraServerDown/srv-vc-1"] == []
    assert got["InfraVcCallControllerDown/srv-vc-1"] != []
    assert got["InfraVcMediaRelayDown/srv-vc-1"] != []
    assert got["InfraDeviceUnreachable/vc-xa-lam-ha"] == []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] != []
