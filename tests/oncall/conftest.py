"""Fixtures of the board's tests: a real Alertmanager (on the rendered alertmanager.yml), a real
Prometheus scraping metrics the test serves itself, and the board driven by Starlette's TestClient
from a management-network address."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from infra.inventory import Inventory
from infra.oncall.app import create_app
from infra.oncall.auth import access_settings
from infra.oncall.settings import BoardSettings
from infra.state import StatePaths
from tests.daemons import serve_on_loopback
from tests.monitoring.conftest import need
from tests.monitoring.test_alertmanager import run_alertmanager

MANAGEMENT_CLIENT = ("127.0.0.1", 50000)  # reads without login
OUTSIDE_CLIENT = ("192.0.2.10", 50000)  # TEST-NET-1: not a management address


@pytest.fixture(scope="session")
def alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager with the province's routes and inhibitions; yields its URL."""
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("oncall-am"))


def post_alerts(url: str, alerts: list[dict[str, str]], starts_at: datetime | None = None) -> None:
    """Fire alerts at Alertmanager the way Prometheus does (labels must include alertname)."""
    when = (starts_at or datetime.now(UTC)).isoformat()
    body = json.dumps([{"labels": a, "startsAt": when} for a in alerts]).encode()
    req = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(req, timeout=5).close()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll CHECK until it returns something truthy; fail naming WHAT after TIMEOUT."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class Exposition:
    """Metrics in Prometheus's text format that a test serves and changes; Prometheus scrapes them."""

    text: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, text: str) -> None:
        with self.lock:
            self.text = text


@pytest.fixture(scope="session")
def exposition() -> Iterator[tuple[Exposition, str]]:
    metrics = Exposition()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with metrics.lock:
                body = metrics.text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # the server holds its own port: no race
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield metrics, f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def prometheus(exposition: tuple[Exposition, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus scraping the test's exposition every second (its labels kept as served)."""
    _, target = exposition
    yield from run_prometheus(target, tmp_path_factory.mktemp("oncall-prom"))


def run_prometheus(target: str, data: Path, rule_files: tuple[Path, ...] = ()) -> Iterator[str]:
    """A real Prometheus in DATA scraping TARGET every second, evaluating RULE_FILES; yields its URL."""
    config = data / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        + (f"rule_files: [{', '.join(repr(str(f)) for f in rule_files)}]\n" if rule_files else "")
        + "scrape_configs:\n"
        f"  - job_name: fixture\n    honor_labels: true\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    yield from serve_on_loopback(
        "Prometheus",
        lambda port: [
            need("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={data / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        data / "prometheus.log",
    )


def board_client(
    inv: Inventory,
    prometheus_url: str,
    alertmanager_url: str,
    state: Path,
    client: tuple[str, int] = MANAGEMENT_CLIENT,
    **settings: Any,
) -> TestClient:
    app = create_app(
        BoardSettings(
            inventory=inv,
            prometheus_url=prometheus_url,
            alertmanager_url=alertmanager_url,
            state=StatePaths.from_env(state),
            snapshot_ttl=0.0,
            **{**access_settings(inv), **settings},  # the inventory's users and networks, unless given
        )
    )
    return TestClient(app, client=client, follow_redirects=False)
