"""The video-conference system end to end in the lab, through the `infra` command as an operator
runs it: the call controller converged by Ansible, every codec stand-in configured by `infra
deploy` from factory settings and verified (registered across the WAN-VPN), a hand change found
as drift and removed, `infra vc check` ready for every endpoint, and a cut tunnel failing exactly
that commune's endpoint with a message naming the WAN link.

The headroom check needs Prometheus: it runs in the last test, which starts the monitoring stack
on loopback (as tests/monitoring/test_lab_e2e.py does); the others skip it (`--skip headroom`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from infra.deploy import EXIT_FAILED, DeployOptions, deploy
from infra.drivers import driver_for
from infra.drivers.targets import target_for
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.lab.codec.schema import SETTINGS
from infra.lab.sh import ns_argv
from infra.monitoring.stack import Stack
from infra.render.intent import default_intent
from infra.state import StatePaths
from tests.conftest import INVENTORY, LAB_SECRETS, ONCALL_PASSWORDS
from tests.fixtures_lab import LabHandle
from tests.monitoring import test_lab_e2e as e2e
from tests.monitoring.test_lab_e2e import Webhook, api, wait_for
from tests.oncall.browser import browser_missing, chromium
from tests.oncall.lab_board import BoardInBrowser, site_filter

pytestmark = pytest.mark.lab

# the monitoring stack on loopback, as tests/monitoring/test_lab_e2e.py starts it (fixtures)
stack, webhook = e2e.stack, e2e.webhook

INFRA = str(Path(sys.executable).parent / "infra")
CUT_SITE = "xa-da-huoai"  # the commune whose tunnel is cut
CUT = f"vc-{CUT_SITE}"
HAND = "vc-xa-lam-ha"  # the codec changed by hand
ROLLED = "vc-xa-ta-nung"  # the codec whose push is rolled back


def factory_text() -> str:
    """Every setting the stand-in keeps at its factory value: a codec out of the box."""
    return "".join(
        f"xConfiguration {s.path}: " + (f'"{s.factory}"' if s.kind == "str" else s.factory) + "\n"
        for s in SETTINGS
    )


def push(inv: Inventory, host: Host, text: str) -> None:
    with driver_for("cisco_tp")(target_for(inv, host)) as d:
        d.load_candidate(text)
        change = d.compare()
        if not change.empty:
            d.commit(change)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**os.environ, "INFRA_STATE_DIR": str(tmp_path_factory.mktemp("vc-state"))}


def infra(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    argv = [INFRA, "--inventory", str(INVENTORY), *args]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    for secret in LAB_SECRETS:
        assert secret not in p.stdout + p.stderr
    return p


def hosts_of(p: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {h["host"]: h for h in json.loads(p.stdout)["hosts"]}


@pytest.fixture(scope="module")
def vc_lab(converged_lab: LabHandle, env: dict[str, str]) -> Iterator[LabHandle]:
    inv = converged_lab.inv
    p = infra(env, "--format", "json", "deploy", "--only", "servers", "--limit", "srv-vc-1")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    for h in inv.vc_endpoints:  # factory settings: what a codec arrives with
        push(inv, h, factory_text())
    yield converged_lab


def test_every_codec_is_configured_from_bare_and_verified(vc_lab: LabHandle, env: dict[str, str]) -> None:
    p = infra(env, "--format", "json", "deploy", "--only", "codecs", "--comment", "codecs from bare")
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-3000:]
    hosts = hosts_of(p)
    assert sorted(hosts) == sorted(h.name for h in vc_lab.inv.vc_endpoints)
    assert {h: r["status"] for h, r in hosts.items()} == {h: "changed" for h in hosts}


def test_a_second_deploy_changes_nothing(vc_lab: LabHandle, env: dict[str, str]) -> None:
    p = infra(env, "--format", "json", "deploy", "--only", "codecs")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert {r["message"] for r in hosts_of(p).values()} == {"no changes"}


def test_a_hand_change_is_drift_and_the_next_deploy_removes_it(
    vc_lab: LabHandle, env: dict[str, str]
) -> None:
    inv = vc_lab.inv
    with driver_for("cisco_tp")(target_for(inv, inv.hosts[HAND])) as d:  # a line typed on the codec's CLI
        d.show("xConfiguration Conference AutoAnswer Mode: On")
    audit = infra(env, "audit", "--limit", HAND)
    assert audit.returncode != 0, audit.stdout
    assert "AutoAnswer" in audit.stdout
    p = infra(env, "--format", "json", "deploy", "--only", "codecs", "--limit", HAND)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert hosts_of(p)[HAND]["status"] == "changed"
    assert infra(env, "audit", "--limit", HAND).returncode == 0


def test_a_codec_that_does_not_register_after_the_push_is_rolled_back(
    vc_lab: LabHandle, tmp_path: Path
) -> None:
    inv = vc_lab.inv
    host = inv.hosts[ROLLED]
    registrar = f"{inv.registrar_address}:{inv.vc.sips_port if inv.vc else 5061}"

    def lost_proxy(i: Inventory, h: Host) -> str:  # a call controller address nothing answers at
        return default_intent(i, h).replace(registrar, "10.94.20.99:5061")

    with driver_for("cisco_tp")(target_for(inv, host)) as d:
        before = d.get_running_config()
    opts = DeployOptions(converge_wait_s=10.0, restore_window_s=30.0, command="infra deploy (test)")
    report = deploy(inv, [host], opts, StatePaths.from_env(tmp_path), intent=lost_proxy)
    result = report.results.results[ROLLED]
    assert report.exit_code == EXIT_FAILED and result.status.value == "rolled_back", result.message
    assert "Registration" in result.message or "registered" in result.message, result.message
    with driver_for("cisco_tp")(target_for(inv, host)) as d:
        assert d.get_running_config() == before
        deadline = time.monotonic() + 120
        while d.status("SIP Registration 1 Status") != "Registered" and time.monotonic() < deadline:
            time.sleep(1)
        assert d.status("SIP Registration 1 Status") == "Registered"


def vc_check(
    env: dict[str, str], *args: str, prometheus: str | None = None
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Without a Prometheus URL, headroom is skipped (no monitoring stack in most of these tests)."""
    # at most 5 test calls at once: 20 through userspace WireGuard on 2 busy cores lost packets
    where = ["--prometheus-url", prometheus] if prometheus else ["--skip", "headroom"]
    p = infra(env, "--format", "json", "vc", "check", *where, "--max-calls", "5", *args, timeout=600)
    assert p.returncode in (0, 1), p.stdout[-3000:] + p.stderr[-3000:]
    return p.returncode, {e["endpoint"]: e for e in json.loads(p.stdout)["endpoints"]}


def test_every_endpoint_registers_across_the_wan_and_is_ready(vc_lab: LabHandle, env: dict[str, str]) -> None:
    rc, endpoints = vc_check(env)
    assert sorted(endpoints) == sorted(h.name for h in vc_lab.inv.vc_endpoints)
    assert {e: r["message"] for e, r in endpoints.items() if not r["ready"]} == {}
    assert rc == 0


def hub_tunnel(inv: Inventory, site: str) -> str:
    link = inv.wan_link_of(site)
    assert link is not None
    return f"wg{inv.tunnel_numbers[link]}"


def test_a_cut_tunnel_fails_exactly_that_sites_endpoint_naming_the_link(
    vc_lab: LabHandle, env: dict[str, str]
) -> None:
    inv = vc_lab.inv
    hub = inv.wan_vpn.hub if inv.wan_vpn else ""
    wg = hub_tunnel(inv, CUT_SITE)
    others = "vc-xa-lac-duong,vc-so-noi-vu"
    subprocess.run([*ns_argv(hub, mount=False), "ip", "link", "set", wg, "down"], check=True, timeout=30)
    try:
        rc, endpoints = vc_check(env, "--limit", f"{CUT},{others}")
        assert rc == 1
        assert [e for e, r in endpoints.items() if not r["ready"]] == [CUT]
        assert f"WAN link vpn-{CUT_SITE}" in endpoints[CUT]["message"], endpoints[CUT]["message"]
    finally:
        subprocess.run([*ns_argv(hub, mount=False), "ip", "link", "set", wg, "up"], check=True, timeout=30)
    # restored: the codec registers again (baresip backs off after failures: up to a few minutes)
    deadline = time.monotonic() + 300
    while True:
        rc, endpoints = vc_check(env, "--limit", CUT)
        if rc == 0 or time.monotonic() > deadline:
            break
        time.sleep(10)
    assert rc == 0, endpoints[CUT]["message"]


ALERTED_SITE = "xa-cat-tien"  # the commune whose cut is watched by the monitoring stack
ALERTED = f"vc-{ALERTED_SITE}"


@pytest.fixture(scope="module")
def board(stack: Stack) -> Iterator[BoardInBrowser]:
    """The stack's on-call board in headless Chromium."""
    if why := browser_missing():
        pytest.fail(f"{why}: run scripts/setup.sh")  # a missing tool is a failure, not a skip
    with chromium() as driver:
        yield BoardInBrowser(driver, stack.urls["board"])


def see_the_cut_on_the_board(board: BoardInBrowser, stack: Stack) -> None:
    """The Alerts page puts the link on top with the codec's lost registration folded under it;
    an operator silences the link from its Silence link (Alertmanager lists the silence with the
    operator as author) and expires it again from the board."""
    board.open(site_filter(ALERTED_SITE))
    root = f'li.group[data-alert="InfraWanLinkDown"][data-site="{ALERTED_SITE}"]'

    def link_with_the_codec_folded() -> list[dict[str, Any]]:
        return [
            g
            for g in board.groups()
            if (g["alert"], g["site"]) == ("InfraWanLinkDown", ALERTED_SITE)
            and "InfraVcEndpointNotRegistered" in g["folded"]
        ]

    wait_for(
        "the link as root cause with the codec's registration folded under it",
        link_with_the_codec_folded,
        timeout=180,
        detail=board.groups,
    )
    assert board.groups()[0]["alert"] == "InfraWanLinkDown", board.groups()
    assert board.same_page(), "the alerts page reloaded instead of following Alertmanager"
    comment = f"lab: carrier works on {ALERTED_SITE}"
    matchers = board.silence_from_alert(root, "truc-ban", ONCALL_PASSWORDS[0], comment)
    assert 'alertname="InfraWanLinkDown"' in matchers and f'site="{ALERTED_SITE}"' in matchers

    def silences() -> list[dict[str, Any]]:
        found = api(f"{stack.urls['alertmanager']}/api/v2/silences")
        return [s for s in found if s["comment"] == comment and s["status"]["state"] == "active"]

    made = wait_for("the silence at Alertmanager", silences, timeout=15)
    assert made[0]["createdBy"] == "truc-ban"
    board.expire(made[0]["id"])
    wait_for("the silence expired from the board", lambda: not silences(), timeout=15)
    assert board.errors() == []


def test_a_cut_commune_pages_its_link_not_its_codec_and_comes_back_ready(
    vc_lab: LabHandle,
    env: dict[str, str],
    stack: Stack,
    webhook: Webhook,
    board: BoardInBrowser,
) -> None:
    """Prometheus, Alertmanager and infra-sip-probe on loopback watch the lab (fast alerts): the
    cut pages the WAN link; the codec's registration expires at the call controller and is
    never paged on its own; restored, the codec registers again and `vc check` is green.

    The on-call board follows it in a real browser, without a reload: the commune's tile red
    within a minute, the link on top of its alerts with the codec folded under it, a silence made
    from the browser by a logged-in operator, and the tile green again once everything is back."""
    inv = vc_lab.inv
    hub = inv.wan_vpn.hub if inv.wan_vpn else ""
    wg, link = hub_tunnel(inv, ALERTED_SITE), f"vpn-{ALERTED_SITE}"
    query = urllib.parse.quote(f'infra_vc_registered{{endpoint="{ALERTED}"}}')

    def registered() -> float | None:
        found = api(f"{stack.urls['prometheus']}/api/v1/query?query={query}")["data"]["result"]
        return float(found[0]["value"][1]) if found else None

    wait_for(
        "the probe sees the codec registered", lambda: registered() == 1.0, timeout=180, detail=registered
    )
    board.open("/province")
    tile = partial(board.tile_state, ALERTED_SITE)
    wait_for(f"{ALERTED_SITE} green on the board", lambda: tile() == "ok", timeout=120, detail=tile)
    mark = len(webhook.since(0))
    subprocess.run([*ns_argv(hub, mount=False), "ip", "link", "set", wg, "down"], check=True, timeout=30)
    try:
        # the on-call board, without a reload: the commune red within a minute
        wait_for(f"{ALERTED_SITE} red on the board", lambda: tile() == "critical", timeout=60, detail=tile)
        assert board.same_page(), "the province page reloaded instead of following Alertmanager"
        wait_for(
            f"{link} paged",
            lambda: webhook.find("InfraWanLinkDown", "firing", since=mark, link_id=link),
            timeout=240,
        )
        # the codec's registration (60 s) runs out at the call controller: the probe says so
        wait_for("the registration expired", lambda: registered() == 0.0, timeout=300, detail=registered)
        see_the_cut_on_the_board(board, stack)
        board.open("/province")  # watched live until the commune is green again
    finally:
        subprocess.run([*ns_argv(hub, mount=False), "ip", "link", "set", wg, "up"], check=True, timeout=30)
    # baresip backs off after failed registrations: its next try can be minutes away
    wait_for("the codec registered again", lambda: registered() == 1.0, timeout=420, detail=registered)
    wait_for(f"{ALERTED_SITE} green again on the board", lambda: tile() == "ok", timeout=120, detail=tile)
    assert board.same_page(), "the province page reloaded instead of following Alertmanager"
    assert board.errors() == []
    assert not [s for s in LAB_SECRETS if s in board.driver.page_source]

    # green again, every check including the WAN link's headroom from this Prometheus (within a
    # registration period: a codec that just came back may re-register late on a loaded machine)
    def green_again() -> tuple[int, dict[str, dict[str, Any]]] | None:
        got = vc_check(env, "--limit", ALERTED, prometheus=stack.urls["prometheus"])
        return got if got[0] == 0 else None

    rc, endpoints = wait_for(
        "vc check green again",
        green_again,
        timeout=180,
        detail=lambda: vc_check(env, "--limit", ALERTED, prometheus=stack.urls["prometheus"])[1][ALERTED][
            "message"
        ],
    )
    assert rc == 0, endpoints[ALERTED]["message"]
    assert [c["outcome"] for c in endpoints[ALERTED]["checks"] if c["name"] == "headroom"] == ["pass"]
    paged = {
        a["labels"]["alertname"]
        for n in webhook.since(mark)
        for a in n["alerts"]
        if ALERTED in (a["labels"].get("host"), a["labels"].get("endpoint"))
    }
    assert paged == set(), f"alerts the cut explains reached on-call for {ALERTED}: {paged}"
