"""The board in a real browser (Debian's Chromium, headless): `infra oncall serve` runs for real
against a real Prometheus and Alertmanager; every page loads without a console error (a CSP
violation is one), and the live part follows Alertmanager without a reload."""

from __future__ import annotations

import ipaddress
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Match

from infra.inventory import Host, Inventory, Role
from infra.oncall.app import routes
from tests.conftest import LAB_SECRETS, ONCALL_PASSWORDS
from tests.monitoring.alertmanager_testlib import post_alerts, run_alertmanager
from tests.oncall.browser import (
    ServedBoard,
    browser_missing,
    browser_peers,
    chromium,
    console_errors,
    served_board,
)
from tests.oncall.conftest import wait_for
from tests.oncall.lab_board import BoardInBrowser

LIVE_WITHIN = 15.0  # seconds; the board promises 10 (issue 14, point 3)
MARKER = "window.__boardTestMarker"  # set by the test; a reload or navigation would drop it


def agency_router(inv: Inventory) -> Host:
    """A department's or commune's CPE router: the device an on-call engineer opens most."""
    return next(h for h in inv.hosts.values() if h.role == Role.CPE and inv.sites[h.site].agency)


def has_route(path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(r.matches(scope)[0] == Match.FULL for r in routes())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if why := browser_missing():
        pytest.fail(f"{why}: run scripts/setup.sh")  # a missing tool is a failure, not a skip
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def board(
    prometheus: str, alertmanager: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedBoard]:
    with served_board(prometheus, alertmanager, tmp_path_factory.mktemp("oncall-served")) as served:
        yield served


def live_text(driver: Any) -> str:
    script = "const l = document.getElementById('live'); return l ? l.innerText : '';"
    return str(driver.execute_script(script))


def open_marked(driver: Any, url: str) -> None:
    """Load URL and mark the window, so a later check proves the page was never reloaded."""
    driver.get(url)
    driver.execute_script(f"{MARKER} = 'loaded once';")


def still_marked(driver: Any) -> bool:
    got = driver.execute_script(f"return typeof {MARKER} === 'undefined' ? null : {MARKER};")
    return bool(got == "loaded once")


def test_selenium_manager_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both paths are given: Selenium never asks its manager (which would download a driver)."""
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def refuse(*args: object) -> dict[str, str]:
        raise AssertionError("Selenium Manager ran")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)
    if why := browser_missing():
        pytest.fail(f"{why}: run scripts/setup.sh")
    with chromium() as driver:
        assert driver.capabilities["browserName"] in ("chrome", "chromium")
        assert driver.execute_script("return navigator.webdriver") is True


def test_the_browser_talks_to_loopback_only(board: ServedBoard) -> None:
    """Background networking is off: while a page loads and refreshes itself, Chromium and
    chromedriver hold no socket to anything but loopback."""
    with chromium() as driver:
        driver.get(board.url + "/province")
        driver.execute_script(
            "window.__refreshed = 0;document.addEventListener('board:refreshed', () => window.__refreshed++);"
        )
        peers: set[str] = set()

        def refreshed_twice() -> bool:
            peers.update(browser_peers(driver))
            return bool(driver.execute_script("return window.__refreshed >= 2;"))

        wait_for("two live refreshes", refreshed_twice, timeout=LIVE_WITHIN)
        assert peers and all(ipaddress.ip_address(p).is_loopback for p in peers), peers


PAGES = {
    "province": "/province",
    "alerts": "/alerts",
    "device": "/device/{router}",
    "silences": "/silences",
    "login": "/login",
    "runbook": "/runbooks/InfraWanLinkDown",
}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_loads_without_console_errors(
    page: str, browser: Any, board: ServedBoard, example_inventory: Inventory
) -> None:
    path = PAGES[page].format(router=agency_router(example_inventory).name)
    assert has_route(path), f"{path}: the page is not in the route table"
    console_errors(browser)  # drain what earlier tests left
    browser.get(board.url + path)
    status = browser.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : null;"
    )
    assert status == 200, f"{path}: HTTP {status}"
    assert browser.find_element("css selector", "main") is not None
    assert console_errors(browser) == [], path
    source = browser.page_source
    assert "Traceback" not in source
    assert not [s for s in LAB_SECRETS if s in source], path


def test_a_posted_alert_appears_without_a_reload(
    browser: Any, board: ServedBoard, alertmanager: str, example_inventory: Inventory
) -> None:
    router = agency_router(example_inventory)
    name = f"InfraBrowserProbe{uuid.uuid4().hex[:8]}"
    for path in ("/alerts", f"/device/{router.name}"):
        open_marked(browser, board.url + path)
        alertname = f"{name}{path.count('/')}"
        assert alertname not in live_text(browser)
        post_alerts(
            alertmanager,
            [{"alertname": alertname, "severity": "warning", "site": router.site, "host": router.name}],
        )
        wait_for(f"{alertname} on {path}", lambda a=alertname: a in live_text(browser), timeout=LIVE_WITHIN)
        assert still_marked(browser), f"{path} was reloaded"
        assert console_errors(browser) == [], path


def test_a_dropped_alertmanager_shows_as_a_banner_live(
    browser: Any, prometheus: str, rendered_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "am").mkdir()
    disposable = run_alertmanager(rendered_dir, tmp_path / "am")
    url = next(disposable)
    try:
        with served_board(prometheus, url, tmp_path / "state") as served:
            open_marked(browser, served.url + "/province")
            assert "Alertmanager is not answering" not in live_text(browser)
            disposable.close()  # stops that Alertmanager
            wait_for(
                "the banner for the dropped Alertmanager",
                lambda: "Alertmanager is not answering" in live_text(browser),
                timeout=LIVE_WITHIN,
            )
            assert still_marked(browser), "the page was reloaded"
            assert browser.find_element("css selector", "#live [role=alert]").is_displayed()
            assert console_errors(browser) == []
    finally:
        disposable.close()


def test_an_operator_silences_an_alert_from_the_browser(
    browser: Any, board: ServedBoard, alertmanager: str
) -> None:
    """From the alert's Silence link, through the login, to Alertmanager's list with the operator
    as author; then expired from the Silences page. The same steps the lab end-to-end test takes
    (tests/vc/test_lab_vc.py), here without the lab."""
    name = f"InfraBrowserSilence{uuid.uuid4().hex[:8]}"
    post_alerts(alertmanager, [{"alertname": name, "severity": "critical", "site": "browser-test"}])
    page = BoardInBrowser(browser, board.url)
    page.open("/alerts")
    root = f'li.group[data-alert="{name}"]'
    wait_for("the alert on the page", lambda: browser.find_elements("css selector", root), LIVE_WITHIN)
    comment = f"browser test {name}"
    matchers = page.silence_from_alert(root, "truc-ban", ONCALL_PASSWORDS[0], comment)
    assert f'alertname="{name}"' in matchers

    def silences() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{alertmanager}/api/v2/silences", timeout=5) as r:
            found = json.load(r)
        return [s for s in found if s["comment"] == comment and s["status"]["state"] == "active"]

    made = wait_for("the silence at Alertmanager", silences, LIVE_WITHIN)
    assert made[0]["createdBy"] == "truc-ban"
    page.expire(made[0]["id"])
    wait_for("the silence expired", lambda: not silences(), LIVE_WITHIN)
    assert page.errors() == []
