"""Fixtures of the board's tests: a real Alertmanager (on the rendered alertmanager.yml), a real
Prometheus scraping metrics the test serves itself, and the board driven by Starlette's TestClient
from a management-network address."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from infra.inventory import Inventory
from infra.oncall.app import create_app
from infra.oncall.auth import access_settings
from infra.oncall.settings import BoardSettings
from infra.state import StatePaths
from tests.daemons import serve_metrics, serve_on_loopback
from tests.monitoring.alertmanager_testlib import run_alertmanager
from tests.monitoring.conftest import need

MANAGEMENT_CLIENT = ("127.0.0.1", 50000)  # reads without login
OUTSIDE_CLIENT = ("192.0.2.10", 50000)  # TEST-NET-1: not a management address


@pytest.fixture(scope="session")
def alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager with the province's routes and inhibitions; yields its URL."""
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("oncall-am"))


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

    def text() -> str:
        with metrics.lock:
            return metrics.text

    server = serve_metrics(text)  # the server holds its own port: no race
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
