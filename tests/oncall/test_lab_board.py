"""The board end to end in the lab, in a real browser: the monitoring stack watches the converged
lab; a department's WAN tunnel is cut inside the hub's namespace. Without a reload, the board turns
the department's tile red with InfraWanLinkDown as the root cause and the site's other alerts folded
under it; an operator logs in and silences the root cause from its Silence link, and Alertmanager
lists the silence with that operator as author; the silence is expired from the board; the tunnel
is restored and the tile turns green."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.lab.sh import run_in
from infra.monitoring.stack import Stack
from tests.conftest import LAB_SECRETS, ONCALL_PASSWORDS
from tests.monitoring import test_lab_e2e as e2e
from tests.monitoring.test_lab_e2e import HUB, LINK, SPOKE_SITE, TUNNEL_IF, api, prom, wait_for
from tests.oncall.browser import browser_missing, chromium, console_errors

pytestmark = pytest.mark.lab

# the monitoring stack on loopback, as tests/monitoring/test_lab_e2e.py starts it (fixtures)
stack = e2e.stack
webhook = e2e.webhook
OPERATOR = ("truc-ban", ONCALL_PASSWORDS[0])
MARKER = "window.__labBoardMarker"  # set once; a reload or navigation drops it


@pytest.fixture(scope="module")
def board_url(stack: Stack) -> str:
    return stack.urls["board"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if why := browser_missing():
        pytest.fail(f"{why}: run scripts/setup.sh")
    with chromium() as driver:
        yield driver


def tile_state(browser: Any, site: str) -> str:
    found = browser.find_elements("css selector", f'li.tile[data-site="{site}"]')
    return " ".join(found[0].get_attribute("class").split()[1:]) if found else ""


def still_same_page(browser: Any) -> bool:
    return bool(browser.execute_script(f"return {MARKER} === true"))


def open_live(browser: Any, url: str) -> None:
    browser.get(url)
    browser.execute_script(f"{MARKER} = true")


def am_silences(stack: Stack) -> list[dict[str, Any]]:
    return [
        s for s in api(f"{stack.urls['alertmanager']}/api/v2/silences") if s["status"]["state"] == "active"
    ]


def test_a_cut_tunnel_on_the_board(stack: Stack, board_url: str, browser: Any, tmp_path: Path) -> None:
    wait_for(
        f"the tunnel {LINK} up and nothing of {SPOKE_SITE} firing",
        lambda: (
            prom(stack, f'min(infra:wan_link_up{{link_id="{LINK}"}}) == 1')
            and e2e.am_alerts(stack, site=SPOKE_SITE) == []
        ),
        timeout=180,
    )
    open_live(browser, board_url + "/province")
    wait_for(f"{SPOKE_SITE} green on the board", lambda: tile_state(browser, SPOKE_SITE) == "ok", timeout=30)
    run_in(HUB, ["ip", "link", "set", TUNNEL_IF, "down"])
    try:
        wait_for(
            f"{SPOKE_SITE} red on the board without a reload",
            lambda: tile_state(browser, SPOKE_SITE) == "critical",
            timeout=60,
        )
        assert still_same_page(browser), "the province page reloaded instead of updating live"
        assert console_errors(browser) == []

        # the root cause on top, the site's other alerts folded beneath it
        open_live(browser, board_url + "/alerts?site=" + urllib.parse.quote(SPOKE_SITE))
        root = f'li.group[data-alert="InfraWanLinkDown"][data-site="{SPOKE_SITE}"]'

        def folded() -> int:
            groups = browser.find_elements("css selector", root)
            return int(groups[0].get_attribute("data-folded")) if groups else -1

        wait_for(
            "InfraWanLinkDown as the root with the site's alerts folded under it", lambda: folded() > 0, 120
        )
        groups = browser.find_elements("css selector", "li.group")
        assert groups[0].get_attribute("data-alert") == "InfraWanLinkDown"
        folded_names = {
            e.get_attribute("data-alert")
            for e in browser.find_elements("css selector", f"{root} li.alert.folded")
        }
        assert folded_names and "InfraWanLinkDown" not in folded_names
        assert still_same_page(browser)

        # one click from the root alert to a silence, as an operator
        browser.find_element("css selector", f"{root} > .actions a.silence").click()
        browser.find_element("css selector", "section.new-silence a[href^='/login']").click()
        browser.find_element("name", "username").send_keys(OPERATOR[0])
        browser.find_element("name", "password").send_keys(OPERATOR[1])
        browser.find_element("css selector", "form.login button[type=submit]").click()
        wait_for("the silence form", lambda: browser.find_elements("css selector", "form.silence"), 15)
        matchers = browser.find_element("name", "matchers").get_attribute("value")
        assert 'alertname="InfraWanLinkDown"' in matchers and f'site="{SPOKE_SITE}"' in matchers
        browser.find_element("name", "comment").send_keys("lab: carrier works on the tunnel")
        duration = browser.find_element("name", "duration")
        duration.clear()
        duration.send_keys("1h")
        browser.find_element("css selector", "form.silence button[type=submit]").click()
        made = wait_for(
            "the silence at Alertmanager",
            lambda: [s for s in am_silences(stack) if s["comment"] == "lab: carrier works on the tunnel"],
            15,
        )
        assert made[0]["createdBy"] == OPERATOR[0]
        assert console_errors(browser) == []

        # expired from the board, the site is red again (the silence had hidden the root cause)
        browser.get(board_url + "/silences")
        browser.find_element(
            "css selector", f'tr[data-silence="{made[0]["id"]}"] button[type=submit]'
        ).click()
        wait_for(
            "the silence expired", lambda: not [s for s in am_silences(stack) if s["id"] == made[0]["id"]], 15
        )
        open_live(browser, board_url + "/province")
        wait_for(f"{SPOKE_SITE} red again", lambda: tile_state(browser, SPOKE_SITE) == "critical", 60)
    finally:
        run_in(HUB, ["ip", "link", "set", TUNNEL_IF, "up"])
    wait_for(
        f"{SPOKE_SITE} green again without a reload",
        lambda: tile_state(browser, SPOKE_SITE) == "ok",
        timeout=180,
    )
    assert still_same_page(browser)
    page = browser.page_source
    assert not [s for s in LAB_SECRETS if s in page]
    assert console_errors(browser) == []
