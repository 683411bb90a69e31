"""The on-call board watched in a real browser during a lab end-to-end test (used by
tests/vc/test_lab_vc.py, whose cut of a commune's tunnel has the consequences a board must fold:
the lab's management network is out of band, so the commune's codec losing its registration at the
call controller is what the cut does to the site besides the link itself).

The live part of a page is replaced every second: every read and click runs in one script, never
through an element reference that the next refresh makes stale."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from tests.oncall.browser import console_errors

MARKER = "window.__labBoardMarker"  # set when a page is opened; a reload or navigation drops it


@dataclass
class BoardInBrowser:
    driver: Any
    url: str  # the board's base URL

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)
        self.js(f"{MARKER} = true")

    def same_page(self) -> bool:
        """True while the page opened last has not reloaded: it followed the sources live."""
        return bool(self.js(f"return {MARKER} === true"))

    def errors(self) -> list[str]:
        return console_errors(self.driver)

    def tile_state(self, site: str) -> str:
        """The class that colours SITE's tile on the Province page: ok, warning, critical, unknown."""
        return str(
            self.js(
                'const t = document.querySelector(`li.tile[data-site="${arguments[0]}"]`);'
                "return t ? Array.from(t.classList).filter((c) => c !== 'tile').join(' ') : '';",
                site,
            )
        )

    def groups(self) -> list[dict[str, Any]]:
        """The Alerts page's groups in order: root alert, site, and the alerts folded beneath."""
        return list(
            self.js(
                "return Array.from(document.querySelectorAll('li.group')).map((g) => ({"
                "alert: g.dataset.alert, site: g.dataset.site,"
                "folded: Array.from(g.querySelectorAll('li.alert.folded')).map((a) => a.dataset.alert)"
                "}));"
            )
        )

    def click(self, selector: str) -> None:
        self.js("document.querySelector(arguments[0]).click()", selector)

    def wait_for_element(self, selector: str, timeout: float = 30.0) -> Any:
        """The element once the page that holds it has loaded: a click that navigates returns
        before the next page is there, and the old page's elements are still found meanwhile."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
                lambda d: (found := d.find_elements("css selector", selector)) and found[0]
            )
        except TimeoutException:
            said = self.js("return document.body ? document.body.innerText : ''") or ""
            where = f"no {selector} within {timeout:.0f} s on {self.driver.current_url}"
            raise AssertionError(f"{where}; the page said: {said[:1500]!r}") from None

    def silence_from_alert(self, root_selector: str, user: str, password: str, comment: str) -> str:
        """One click on the root alert's Silence link, log in, submit the pre-filled form.
        Returns the matchers the form was filled with."""
        self.click(f"{root_selector} > .actions a.silence")
        self.wait_for_element("section.new-silence a[href^='/login']").click()
        self.wait_for_element("form.login input[name=username]").send_keys(user)
        self.driver.find_element("css selector", "form.login input[name=password]").send_keys(password)
        self.driver.find_element("css selector", "form.login button[type=submit]").click()
        matchers = str(self.wait_for_element("form.silence textarea[name=matchers]").get_attribute("value"))
        self.driver.find_element("css selector", "form.silence input[name=comment]").send_keys(comment)
        duration = self.driver.find_element("css selector", "form.silence input[name=duration]")
        duration.clear()
        duration.send_keys("1h")
        self.driver.find_element("css selector", "form.silence button[type=submit]").click()
        self.wait_for_element("p.notice")  # "Silence ... created." on the page it lands on
        return matchers

    def expire(self, silence_id: str) -> None:
        self.open("/silences")
        self.wait_for_element(f'tr[data-silence="{silence_id}"]')
        self.click(f'tr[data-silence="{silence_id}"] button[type=submit]')


def site_filter(site: str) -> str:
    return "/alerts?site=" + urllib.parse.quote(site)
