"""Screenshots of the board's pages, 1280 px wide, taken by Chromium (`make screenshots`).

In the unit suite the pictures go to a temporary directory (the test proves they can be taken);
`make screenshots` sets INFRA_SCREENSHOTS_DIR=docs/oncall so the ones docs/oncall.md shows are
current. By default the board runs against a real Prometheus and a disposable real Alertmanager
holding a few alerts (a WAN link down at a department with what it explains, a UPS on battery,
a silence); with ONCALL_PROMETHEUS and ONCALL_ALERTMANAGER set (`make screenshots FROM=lab`, while
`infra monitoring up` runs) it shows the lab's own state instead and posts nothing.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.inventory import Inventory
from infra.monitoring.labels import host_labels
from tests.monitoring.alertmanager_testlib import post_alerts, run_alertmanager
from tests.oncall.browser import WIDTH, chromium, console_errors, png_size, screenshot, served_board
from tests.oncall.conftest import wait_for
from tests.oncall.test_browser import live_text

PAGES = ("province", "alerts", "device", "silences")


def example_alerts(inv: Inventory) -> list[dict[str, str]]:
    """A department cut off (its tunnel down, the hub's OSPF neighbour gone with it) and the data
    centre on battery: what an on-call engineer meets at 03:00."""
    tunnel = inv.wan_vpn.tunnels[0]
    spoke, hub = inv.hosts[tunnel.spoke], inv.hosts[inv.wan_vpn.hub]
    ups = next(h for h in inv.hosts.values() if str(h.role) == "ups")
    link = {"link_id": tunnel.id, "link_kind": "wan-vpn"}
    down = {"alertname": "InfraWanLinkDown", "severity": "critical", "cuts_off": "site"}
    return [
        {**down, **host_labels(inv, spoke), **link},
        {
            "alertname": "InfraOspfNeighbourDown",
            "severity": "warning",
            **host_labels(inv, hub),
            **link,
            "site": spoke.site,
        },
        {"alertname": "InfraUpsOnBattery", "severity": "critical", **host_labels(inv, ups)},
    ]


def post_silence(url: str, matchers: dict[str, str], author: str, comment: str) -> None:
    now = datetime.now(UTC)
    body = {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=4)).isoformat(),
        "createdBy": author,
        "comment": comment,
    }
    req = urllib.request.Request(
        f"{url}/api/v2/silences",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=5).close()


@pytest.fixture
def sources(
    request: pytest.FixtureRequest, tmp_path: Path, example_inventory: Inventory
) -> Iterator[tuple[str, str]]:
    """(Prometheus URL, Alertmanager URL): the lab's when named, else real fixtures with alerts."""
    given = os.environ.get("ONCALL_PROMETHEUS"), os.environ.get("ONCALL_ALERTMANAGER")
    if given[0] and given[1]:
        yield given[0], given[1]
        return
    prometheus: str = request.getfixturevalue("prometheus")
    (tmp_path / "am").mkdir()
    disposable = run_alertmanager(request.getfixturevalue("rendered_dir"), tmp_path / "am")
    url = next(disposable)
    try:
        post_alerts(url, example_alerts(example_inventory), datetime.now(UTC) - timedelta(minutes=7))
        ups = next(h for h in example_inventory.hosts.values() if str(h.role) == "ups")
        post_silence(
            url,
            {"alertname": "InfraUpsOnBattery", "host": ups.name},
            "truc-ban",
            "Mains work announced by the power company, 02:00-06:00",
        )
        yield prometheus, url
    finally:
        disposable.close()


def test_screenshots_of_each_page(
    sources: tuple[str, str], example_inventory: Inventory, tmp_path: Path
) -> None:
    out = Path(os.environ.get("INFRA_SCREENSHOTS_DIR") or tmp_path / "shots")
    paths = {
        "province": "/province",
        "alerts": "/alerts",
        "device": f"/device/{example_inventory.wan_vpn.tunnels[0].spoke}",
        "silences": "/silences",
    }
    posted = not os.environ.get("ONCALL_ALERTMANAGER")
    with served_board(*sources, tmp_path / "state", refresh=5) as board, chromium() as driver:
        for page in PAGES:
            driver.get(board.url + paths[page])
            if posted and page == "alerts":
                wait_for("the posted alerts", lambda: "InfraWanLinkDown" in live_text(driver), timeout=15)
            screenshot(driver, out / f"{page}.png")
            width, height = png_size(out / f"{page}.png")
            assert width == WIDTH and height >= 400, (page, width, height)
            assert console_errors(driver) == [], page
