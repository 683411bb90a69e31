"""The board's frame: pages answer from the inventory even with no source, the banner names the
source that is down, unknown things are 404s, headers forbid inline script and framing."""

from __future__ import annotations

import socket
from pathlib import Path

from infra.inventory import Inventory
from tests.monitoring.alertmanager_testlib import post_alerts
from tests.oncall.conftest import OUTSIDE_CLIENT, board_client, wait_for
from tests.ports import free_port

PAGES = ("/province", "/alerts", "/silences")


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # held by the allocator, never listened on


def test_pages_answer_with_a_banner_when_sources_are_down(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    host = next(iter(example_inventory.hosts))
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        assert client.get("/").headers["location"] == "/province"
        for path in (*PAGES, f"/device/{host}"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "Alertmanager is not answering" in page.text, path
            live = client.get(path, params={"part": "live"})
            assert live.status_code == 200 and "<html" not in live.text, path
            assert "Alertmanager is not answering" in live.text, path
        tiles = client.get("/api/province").json()["sites"]
        assert {t["site"] for t in tiles} == set(example_inventory.sites)
        assert {t["state"] for t in tiles} == {"unknown"}  # not green: nobody knows


def test_unknown_device_and_route_are_404(example_inventory: Inventory, tmp_path: Path) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        page = client.get("/device/no-such-router")
        assert page.status_code == 404 and "no-such-router" in page.text
        assert client.get("/api/device/no-such-router").json() == {
            "error": "no device named 'no-such-router' in the inventory"
        }
        assert client.get("/nowhere").status_code == 404


def test_headers_forbid_inline_script_and_framing(example_inventory: Inventory, tmp_path: Path) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path) as client:
        page = client.get("/province")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " style=" not in page.text
        assert client.get("/static/board.js").status_code == 200


def test_outside_the_management_network_reading_needs_a_login(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    with board_client(example_inventory, dead_url(), dead_url(), tmp_path, client=OUTSIDE_CLIENT) as client:
        page = client.get("/province")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert client.get("/api/alerts").status_code == 401
        assert client.get("/-/healthy").status_code == 200


def test_a_firing_alert_colours_its_site(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    site = next(n for n, s in example_inventory.sites.items() if s.agency)
    post_alerts(alertmanager, [{"alertname": "InfraSkeletonProbe", "severity": "critical", "site": site}])
    with board_client(example_inventory, dead_url(), alertmanager, tmp_path) as client:

        def tile() -> dict[str, object] | None:
            return next(
                (t for t in client.get("/api/province").json()["sites"] if t["site"] == site and t["alerts"]),
                None,
            )

        found = wait_for(f"the alert at {site}", tile)
        assert found["state"] == "critical"
        others = [t for t in client.get("/api/province").json()["sites"] if t["site"] != site]
        assert all(t["state"] != "unknown" for t in others)


def test_a_frozen_alertmanager_is_a_banner_not_a_hung_page(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    """Alertmanager's process stopped (SIGSTOP): the kernel still accepts the connection, nothing
    answers. The page answers after the source timeout with the banner."""
    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))  # the socket holds its own port: no race
    frozen.listen(16)  # connections complete in the kernel; nobody ever reads them
    try:
        url = f"http://127.0.0.1:{frozen.getsockname()[1]}"
        with board_client(example_inventory, dead_url(), url, tmp_path, source_timeout=0.5) as client:
            page = client.get("/province")
            assert page.status_code == 200
            assert "Alertmanager is not answering" in page.text and "no answer in time" in page.text
    finally:
        frozen.close()
