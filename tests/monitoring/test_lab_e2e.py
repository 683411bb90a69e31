"""End to end in the lab: real Prometheus, Alertmanager, blackbox exporter and infra-snmp-exporter
on loopback, rendered from the inventory, against the converged lab. A WAN tunnel is cut inside
the hub's namespace: the WAN-down alert reaches a webhook through Alertmanager with the right
labels while the spoke site's alerts are inhibited; restored, it resolves. Then a UPS recording
switches to on-battery: the alert pages and a DC device going dark meanwhile does not."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra.lab.sh import run_in
from infra.lab.snmprec import serve_modified_recording
from infra.monitoring.stack import Ports, Stack, start_stack, stop_stack
from tests.conftest import LAB_SECRETS
from tests.fixtures_lab import LabHandle

pytestmark = pytest.mark.lab

HUB, TUNNEL_IF, LINK, SPOKE_SITE = "wan-hub-1", "wg4", "vpn-so-y-te", "so-y-te"
UPS_ON_BATTERY = "1.3.6.1.4.1.318.1.1.1.4.1.1.0=2:3"  # upsBasicOutputStatus = onBattery(3)


@dataclass
class Webhook:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)  # every alert of every notification

    def find(self, alertname: str, status: str, **labels: str) -> list[dict[str, Any]]:
        return [
            a
            for a in list(self.received)
            if a["labels"].get("alertname") == alertname
            and a["status"] == status
            and all(a["labels"].get(k) == v for k, v in labels.items())
        ]


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            hook.received.extend(body["alerts"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield hook
    server.shutdown()


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def stack(
    converged_lab: LabHandle, webhook: Webhook, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    out = tmp_path_factory.mktemp("monitoring-e2e")
    ports = Ports(*free_ports(4))
    s = start_stack(
        converged_lab.inv, out, ports, fast_alerts=True, webhook_url=webhook.url, scrape_interval="2s"
    )
    try:
        yield s
    finally:
        stop_stack(out)


def api(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 60.0, detail: Callable[[], Any] = str
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what} {detail()}")


def am_alerts(stack: Stack, **labels: str) -> list[dict[str, Any]]:
    flt = "&".join("filter=" + urllib.parse.quote(f'{k}="{v}"') for k, v in labels.items())
    return api(f"{stack.urls['alertmanager']}/api/v2/alerts?{flt}")  # type: ignore[no-any-return]


def test_every_target_is_up(stack: Stack, converged_lab: LabHandle) -> None:
    def down_targets() -> list[str]:
        targets = api(f"{stack.urls['prometheus']}/api/v1/targets?state=active")["data"]["activeTargets"]
        down = [
            f"{t['labels']['job']}/{t['labels'].get('instance')}: {t['lastError']}"
            for t in targets
            if t["health"] != "up"
        ]
        return down if len(targets) >= 100 else [f"only {len(targets)} targets"]

    wait_for("every scrape target up", lambda: not down_targets(), timeout=60, detail=down_targets)
    targets = api(f"{stack.urls['prometheus']}/api/v1/targets?state=active")["data"]["activeTargets"]
    jobs = {t["labels"]["job"] for t in targets}
    assert jobs == {"snmp", "icmp", "wan", "services", "node", "exporters"}
    snmp_hosts = {t["labels"]["host"] for t in targets if t["labels"]["job"] == "snmp"}
    assert len(snmp_hosts) == 44  # every router, switch, VC endpoint and facility device

    # every SNMP module answers (FRR's AgentX sub-agents may need a few seconds after convergence)
    def module_errors() -> list[str]:
        result = api(f"{stack.urls['prometheus']}/api/v1/query?query=snmp_scrape_error_info")["data"][
            "result"
        ]
        return [f"{r['metric']['host']}/{r['metric']['module']}: {r['metric']['error']}" for r in result]

    wait_for("no failing SNMP module", lambda: not module_errors(), timeout=60, detail=module_errors)


def test_wan_link_cut_pages_once_and_inhibits_the_spoke_site(stack: Stack, webhook: Webhook) -> None:
    wait_for("the tunnel's OSPF adjacency is full", lambda: am_alerts(stack, link_id=LINK) == [], timeout=30)
    run_in(HUB, ["ip", "link", "set", TUNNEL_IF, "down"])
    try:
        fired = wait_for(
            "InfraWanLinkDown at the webhook",
            lambda: webhook.find("InfraWanLinkDown", "firing", link_id=LINK),
            timeout=60,
        )
        labels = fired[0]["labels"]
        assert (labels["host"], labels["site"], labels["severity"]) == (HUB, "dc", "critical")
        assert (labels["peer_host"], labels["peer_site"], labels["ifName"]) == (
            "cpe-so-y-te",
            SPOKE_SITE,
            TUNNEL_IF,
        )
        assert labels["link_kind"] == "tunnel" and labels["role"] == "wan_hub"
        # the consequences fire in Prometheus and reach Alertmanager, which holds them back
        consequences = wait_for(
            "the spoke site's alerts in Alertmanager",
            lambda: (
                [a for a in am_alerts(stack, site=SPOKE_SITE) if a["status"]["state"] != "active"] or None
            ),
            timeout=60,
        )
        names = {a["labels"]["alertname"] for a in consequences}
        assert names & {"InfraWanEndpointUnreachable", "InfraOspfNeighbourDown"}
        time.sleep(8)  # a few more group intervals: nothing of the spoke site may reach on-call
        for a in am_alerts(stack, site=SPOKE_SITE):
            assert a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"], a["labels"]
        assert [a for a in webhook.received if a["labels"].get("site") == SPOKE_SITE] == []
    finally:
        run_in(HUB, ["ip", "link", "set", TUNNEL_IF, "up"])
    wait_for(
        "InfraWanLinkDown resolved at the webhook",
        lambda: webhook.find("InfraWanLinkDown", "resolved", link_id=LINK),
        timeout=60,
    )


def test_ups_on_battery_pages_and_silences_the_site(
    stack: Stack, webhook: Webhook, converged_lab: LabHandle
) -> None:
    inv = converged_lab.inv
    serve_modified_recording(inv, "ups-dc-1", [UPS_ON_BATTERY])
    try:
        fired = wait_for(
            "InfraUpsOnBattery at the webhook",
            lambda: webhook.find("InfraUpsOnBattery", "firing", host="ups-dc-1"),
            timeout=60,
        )
        labels = fired[0]["labels"]
        assert (labels["site"], labels["role"], labels["severity"]) == ("dc", "ups", "critical")
        assert labels["upsBasicOutputStatus"] == "onBattery"
        assert fired[0]["annotations"]["runbook_url"].endswith("docs/runbooks/InfraUpsOnBattery.md")
        # a DC device goes dark while the site is on battery: no page for it
        run_in("pdu-dc-2", ["ip", "link", "set", "mgmt0", "down"])
        try:
            wait_for(
                "InfraDeviceUnreachable pdu-dc-2 in Alertmanager, inhibited",
                lambda: [
                    a
                    for a in am_alerts(stack, alertname="InfraDeviceUnreachable", host="pdu-dc-2")
                    if a["status"]["inhibitedBy"]
                ],
                timeout=60,
            )
            time.sleep(5)
            assert webhook.find("InfraDeviceUnreachable", "firing", host="pdu-dc-2") == []
        finally:
            run_in("pdu-dc-2", ["ip", "link", "set", "mgmt0", "up"])
    finally:
        serve_modified_recording(inv, "ups-dc-1", [], reset=True)
    wait_for(
        "InfraUpsOnBattery resolved at the webhook",
        lambda: webhook.find("InfraUpsOnBattery", "resolved", host="ups-dc-1"),
        timeout=60,
    )


def test_no_secret_in_rendered_files_or_logs(stack: Stack) -> None:
    for path in Path(stack.out).rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".json", ".log"):
            text = path.read_text(errors="replace")
            for secret in LAB_SECRETS:
                assert secret not in text, f"{secret!r} in {path}"
