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

from tests.monitoring.test_alertmanager import amtool, post, run_alertmanager, settle

VC_ROUTES = [
    (["severity=warning", "site=xa-da-huoai", "alertname=InfraVcEndpointNotRegistered"], "tickets"),
    (["severity=critical", "site=xa-da-huoai", "alertname=InfraVcReadinessFailing"], "oncall-wan"),
    (["severity=critical", "site=dc", "alertname=InfraVcCallControllerDown"], "oncall-dc"),
    (["severity=critical", "site=dc", "alertname=InfraVcRegistrationsDropping"], "oncall-dc"),
]


@pytest.mark.parametrize(("labels", "receiver"), VC_ROUTES, ids=[r[0][-1].split("=")[1] for r in VC_ROUTES])
def test_vc_routes(rendered_dir: Path, labels: list[str], receiver: str) -> None:
    r = amtool(
        "config", "routes", "test", "--config.file=alertmanager.yml",
        f"--verify.receivers={receiver}", *labels, cwd=rendered_dir,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def am(rendered_dir: Path, tmp_path: Path) -> Iterator[str]:
    yield from run_alertmanager(rendered_dir, tmp_path)


def endpoint_alert(name: str, severity: str, endpoint: str, site: str, **extra: str) -> dict[str, str]:
    return {
        "alertname": name,
        "severity": severity,
        "host": endpoint,
        "endpoint": endpoint,
        "site": site,
        "role": "vc_endpoint",
        "link_id": f"vpn-{site}",
        **extra,
    }


CONTROLLER = {"host": "srv-vc-1", "site": "dc", "role": "server", "platform": "linux"}


def test_a_commune_behind_a_down_tunnel_is_not_paged_for_its_endpoint(am: str) -> None:
    case = {"case": "vc-wan"}
    post(
        am,
        [
            case
            | {
                "alertname": "InfraWanLinkDown",
                "severity": "critical",
                "host": "wan-hub-1",
                "site": "xa-da-huoai",
                "agency": "Xã Đạ Huoai",
                "hub_site": "dc",
                "cuts_off": "site",
                "link_id": "vpn-xa-da-huoai",
                "peer_site": "xa-da-huoai",
            },
            case | endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-xa-da-huoai", "xa-da-huoai"),
            case
            | endpoint_alert(
                "InfraVcReadinessFailing",
                "critical",
                "vc-xa-da-huoai",
                "xa-da-huoai",
                meeting="giao-ban-ubnd",
            ),
            case | endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-da-huoai", "xa-da-huoai"),
            # another commune, its tunnel up: still paged
            case | endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    got = settle(am, "vc-wan", 5)
    assert got["InfraWanLinkDown/wan-hub-1"] == []
    assert got["InfraVcEndpointNotRegistered/vc-xa-da-huoai"] != []
    assert got["InfraVcReadinessFailing/vc-xa-da-huoai"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-da-huoai"] != []
    assert got["InfraVcEndpointNotRegistered/vc-xa-lam-ha"] == []


def test_the_call_controller_down_is_the_only_vc_page(am: str) -> None:
    case = {"case": "vc-controller"}
    post(
        am,
        [
            case | CONTROLLER | {"alertname": "InfraVcCallControllerDown", "severity": "critical"},
            case | CONTROLLER | {"alertname": "InfraVcRegistrationsDropping", "severity": "critical"},
            case | CONTROLLER | {"alertname": "InfraVcRegistrationProbeFailing", "severity": "warning"},
            case | endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-noi-vu", "so-noi-vu"),
            case
            | endpoint_alert(
                "InfraVcReadinessFailing",
                "critical",
                "vc-xa-da-huoai",
                "xa-da-huoai",
                meeting="giao-ban-ubnd",
            ),
            # the relay is a fault of its own
            case | CONTROLLER | {"alertname": "InfraVcMediaRelayDown", "severity": "critical"},
        ],
    )
    got = settle(am, "vc-controller", 6)
    assert got["InfraVcCallControllerDown/srv-vc-1"] == []
    assert got["InfraVcMediaRelayDown/srv-vc-1"] == []
    assert got["InfraVcRegistrationsDropping/srv-vc-1"] != []
    assert got["InfraVcRegistrationProbeFailing/srv-vc-1"] != []
    assert got["InfraVcEndpointNotRegistered/vc-so-noi-vu"] != []
    assert got["InfraVcReadinessFailing/vc-xa-da-huoai"] != []


def test_registrations_dropping_and_readiness_explain_endpoint_alerts(am: str) -> None:
    case = {"case": "vc-drop"}
    post(
        am,
        [
            case | CONTROLLER | {"alertname": "InfraVcRegistrationsDropping", "severity": "critical"},
            case | endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-noi-vu", "so-noi-vu"),
            case
            | endpoint_alert(
                "InfraVcReadinessFailing", "critical", "vc-so-y-te", "so-y-te", meeting="giao-ban-ubnd"
            ),
            # a media ticket is not explained by registrations
            case | endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    got = settle(am, "vc-drop", 4)
    assert got["InfraVcRegistrationsDropping/srv-vc-1"] == []
    assert got["InfraVcEndpointNotRegistered/vc-so-noi-vu"] != []
    assert got["InfraVcReadinessFailing/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] == []


def test_a_failed_readiness_check_explains_the_same_endpoints_tickets(am: str) -> None:
    case = {"case": "vc-ready"}
    post(
        am,
        [
            case
            | endpoint_alert(
                "InfraVcReadinessFailing", "critical", "vc-so-y-te", "so-y-te", meeting="giao-ban-ubnd"
            ),
            case | endpoint_alert("InfraVcEndpointNotRegistered", "warning", "vc-so-y-te", "so-y-te"),
            case | endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-so-y-te", "so-y-te"),
            case | endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    got = settle(am, "vc-ready", 4)
    assert got["InfraVcReadinessFailing/vc-so-y-te"] == []
    assert got["InfraVcEndpointNotRegistered/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-so-y-te"] != []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] == []


def test_server_down_explains_its_vc_alerts_and_an_unreachable_codec_its_own(am: str) -> None:
    case = {"case": "vc-server"}
    post(
        am,
        [
            case | CONTROLLER | {"alertname": "InfraServerDown", "severity": "critical"},
            case | CONTROLLER | {"alertname": "InfraVcCallControllerDown", "severity": "critical"},
            case | CONTROLLER | {"alertname": "InfraVcMediaRelayDown", "severity": "critical"},
            case
            | {
                "alertname": "InfraDeviceUnreachable",
                "severity": "critical",
                "host": "vc-xa-lam-ha",
                "site": "xa-lam-ha",
            },
            case | endpoint_alert("InfraVcMediaQualityLow", "warning", "vc-xa-lam-ha", "xa-lam-ha"),
        ],
    )
    got = settle(am, "vc-server", 5)
    assert got["InfraServerDown/srv-vc-1"] == []
    assert got["InfraVcCallControllerDown/srv-vc-1"] != []
    assert got["InfraVcMediaRelayDown/srv-vc-1"] != []
    assert got["InfraDeviceUnreachable/vc-xa-lam-ha"] == []
    assert got["InfraVcMediaQualityLow/vc-xa-lam-ha"] != []
