"""What `vc check` asks beside the codec: Prometheus (its queries evaluated by the real promtool,
its failures as "unknown"), TCP reachability, and the lab hub's mark counters."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from infra.inventory import Inventory
from infra.vc.lab_marks import HubCounters, counter_ruleset, parse_counters
from infra.vc.probes import LOAD_QUERY, UP_QUERY, MarkCounts, Prometheus, Unknown, tcp_reachable


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port bound (so nobody else takes it) but not listening: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_prometheus_down_is_unknown_and_asked_once(
    refusing_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    prom = Prometheus(f"http://127.0.0.1:{refusing_port}", timeout=2)
    asked: list[str] = []
    real = prom._query
    monkeypatch.setattr(prom, "_query", lambda q: asked.append(q) or real(q))
    with pytest.raises(Unknown, match=rf"Prometheus at http://127.0.0.1:{refusing_port} is unreachable"):
        prom.load_bps("vpn-xa-da-huoai")
    with pytest.raises(Unknown, match="unreachable"):
        prom.load_bps("vpn-xa-lam-ha")
    assert prom.link_up("vpn-xa-lam-ha") is None
    assert len(asked) == 1


class _Api(BaseHTTPRequestHandler):
    answers: dict[str, list[dict[str, object]]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)["query"][0]
        self.seen.append(query)
        result = next((v for k, v in self.answers.items() if k in query), [])
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Api]]]:
    """Prometheus's HTTP API answering canned vectors (the queries themselves run in promtool below)."""
    _Api.answers, _Api.seen = {}, []
    server = HTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Api
    finally:
        server.shutdown()
        server.server_close()


def test_prometheus_answers_are_read_and_cached(api: tuple[str, type[_Api]]) -> None:
    url, handler = api
    handler.answers = {
        'link_id="vpn-xa-da-huoai"}': [{"metric": {}, "value": [1765000000, "2500000"]}],
        'infra:wan_link_up{link_id="vpn-xa-lam-ha"}': [{"metric": {}, "value": [1765000000, "0"]}],
    }
    prom = Prometheus(url)
    assert prom.load_bps("vpn-xa-da-huoai") == 2.5e6
    assert prom.load_bps("vpn-xa-da-huoai") == 2.5e6
    assert handler.seen == [LOAD_QUERY.format(link="vpn-xa-da-huoai")]
    assert prom.link_up("vpn-xa-lam-ha") is False
    with pytest.raises(Unknown, match="has no interface rate for WAN link vpn-xa-di-linh"):
        prom.load_bps("vpn-xa-di-linh")


def test_the_queries_mean_what_they_say_in_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/setup.sh installs it)")
    link = 'link_id="vpn-xa-da-huoai"'
    hub = 'host="wan-hub-1",ifName="wg12"'
    cpe = 'host="cpe-xa-da-huoai",ifName="wg0"'
    rules = {"groups": [{"name": "vc", "rules": [
        {"record": "vc:load", "expr": LOAD_QUERY.format(link="vpn-xa-da-huoai")},
        {"record": "vc:up", "expr": UP_QUERY.format(link="vpn-xa-da-huoai")},
    ]}]}  # fmt: skip
    series = [
        (f"infra:interface_in_bps:rate5m{{{hub}}}", "3000000"),
        (f"infra:interface_out_bps:rate5m{{{hub}}}", "1000000"),
        (f"infra:interface_in_bps:rate5m{{{cpe}}}", "1000000"),
        (f"infra:interface_out_bps:rate5m{{{cpe}}}", "4000000"),
        ('infra:interface_out_bps:rate5m{host="wan-hub-1",ifName="wg13"}', "9000000"),  # another link
        (f'infra_wan_link_info{{{hub},{link},site="xa-da-huoai"}}', "1"),
        (f'infra_wan_link_info{{{cpe},{link},site="xa-da-huoai"}}', "1"),
        ('infra_wan_link_info{host="wan-hub-1",ifName="wg13",link_id="vpn-xa-lam-ha"}', "1"),
        (f"infra:wan_link_up{{{hub},{link}}}", "1"),
        (f"infra:wan_link_up{{{cpe},{link}}}", "0"),
    ]
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": s, "values": f"{v}x3"} for s, v in series],
            "promql_expr_test": [
                {"expr": "vc:load", "eval_time": "2m", "exp_samples": [{"labels": "vc:load", "value": 4e6}]},
                {"expr": "vc:up", "eval_time": "2m", "exp_samples": [{"labels": "vc:up", "value": 0}]},
            ],
        }],
    }  # fmt: skip
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    r = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_tcp_reachable(refusing_port: int) -> None:
    assert tcp_reachable("127.0.0.1", refusing_port, timeout=2) == (
        f"TCP {refusing_port} refused (the codec's SSH service is off)"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert tcp_reachable("127.0.0.1", s.getsockname()[1], timeout=2) is None


def test_the_hub_counter_table_and_its_reading() -> None:
    text = counter_ruleset({"vpn-xa-da-huoai": "wg12"})
    assert "counter vpn_xa_da_huoai_af41 {}" in text
    assert 'iifname "wg12" ip dscp ef counter name "vpn_xa_da_huoai_ef"' in text
    nft = shutil.which("nft")
    if nft is not None:  # the real nft parses it (check mode: nothing is loaded)
        r = subprocess.run([nft, "-c", "-f", "-"], input=text, capture_output=True, text=True)
        assert r.returncode == 0 or "Operation not permitted" in r.stderr, r.stderr
    listing = {
        "nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"counter": {"family": "inet", "name": "vpn_xa_da_huoai_af41", "table": "infra_vc_marks",
                         "handle": 1, "packets": 420, "bytes": 500000}},
            {"counter": {"family": "inet", "name": "vpn_xa_da_huoai_ef", "table": "infra_vc_marks",
                         "handle": 2, "packets": 300, "bytes": 60000}},
        ]
    }  # fmt: skip
    assert parse_counters(json.dumps(listing)) == {"vpn_xa_da_huoai_af41": 420, "vpn_xa_da_huoai_ef": 300}
    assert MarkCounts(420, 300) - MarkCounts(400, 250) == MarkCounts(20, 50)


def test_hub_counters_read_the_sites_tunnel_in_the_hubs_namespace(
    example_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], str | None]] = []
    listing = {"nftables": [{"counter": {"name": "vpn_xa_da_huoai_af41", "packets": 420}},
                            {"counter": {"name": "vpn_xa_da_huoai_ef", "packets": 300}}]}  # fmt: skip

    def run(argv: Sequence[str], stdin: str | None) -> tuple[int, str]:
        calls.append((list(argv), stdin))
        command = " ".join(argv[argv.index("--") + 1 :])
        if command.startswith("nft list table"):
            return 1, ""  # not there yet: loaded once
        if command.startswith("nft -j list counters"):
            return 0, json.dumps(listing)
        return 0, ""

    monkeypatch.setattr("os.geteuid", lambda: 0)
    hub = HubCounters(example_inventory, run)
    assert hub.observe_marks("xa-da-huoai") == MarkCounts(420, 300)
    assert hub.observe_marks("xa-da-huoai") == MarkCounts(420, 300)
    assert hub.observe_marks("dc") is None  # no tunnel of its own
    assert [c[0][:2] for c in calls] == [["nsenter", "--net=/run/netns/lv-wan-hub-1"]] * len(calls)
    loads = [stdin for argv, stdin in calls if "-f" in argv]
    assert len(loads) == 1 and loads[0] is not None
    tunnel = hub.tunnels["vpn-xa-da-huoai"]
    assert f'iifname "{tunnel}" ip dscp af41 counter name "vpn_xa_da_huoai_af41"' in loads[0]
    assert hub.link_up("vpn-xa-da-huoai") is True
    assert calls[-1][0][-1] == hub.spokes["vpn-xa-da-huoai"]


def test_hub_counters_observe_nothing_without_root(
    example_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    hub = HubCounters(example_inventory, lambda argv, stdin: (0, ""))
    assert hub.observe_marks("xa-da-huoai") is None and hub.link_up("vpn-xa-da-huoai") is None
