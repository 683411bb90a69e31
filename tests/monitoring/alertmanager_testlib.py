"""A real Alertmanager for tests: amtool, one on loopback, alerts posted, inhibition read back."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.daemons import serve_on_loopback
from tests.monitoring.conftest import need


def amtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("amtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def route_test(rendered_dir: Path, receiver: str, labels: list[str]) -> subprocess.CompletedProcess[str]:
    """`amtool config routes test` of the rendered alertmanager.yml: LABELS must reach RECEIVER."""
    return amtool(
        "config",
        "routes",
        "test",
        "--config.file=alertmanager.yml",
        f"--verify.receivers={receiver}",
        *labels,
        cwd=rendered_dir,
    )


def run_alertmanager(rendered_dir: Path, data: Path) -> Iterator[str]:
    """A real Alertmanager on the rendered alertmanager.yml, on loopback; yields its URL."""
    yield from serve_on_loopback(
        "Alertmanager",
        lambda port: [
            need("prometheus-alertmanager"),
            f"--config.file={rendered_dir / 'alertmanager.yml'}",
            f"--storage.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        data / "alertmanager.log",
    )


def post_alerts(url: str, alerts: list[dict[str, str]], starts_at: datetime | None = None) -> None:
    """Fire alerts at Alertmanager the way Prometheus does (labels must include alertname)."""
    when = (starts_at or datetime.now(UTC)).isoformat()
    body = json.dumps([{"labels": a, "startsAt": when} for a in alerts]).encode()
    req = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(req, timeout=5).close()


def states(url: str, alertname_prefix: str) -> dict[str, Any]:
    """host/alertname -> inhibitedBy list, for alerts whose `case` label matches."""
    with urllib.request.urlopen(
        f"{url}/api/v2/alerts?filter=case%3D%22{alertname_prefix}%22", timeout=5
    ) as r:
        alerts = json.load(r)
    return {
        f"{a['labels']['alertname']}/{a['labels'].get('host', '')}": a["status"]["inhibitedBy"]
        for a in alerts
    }


def settle(url: str, case: str, count: int) -> dict[str, Any]:
    for _ in range(50):
        got = states(url, case)
        if len(got) == count:
            time.sleep(0.3)  # inhibition is computed when alerts are read; let them all arrive
            return states(url, case)
        time.sleep(0.1)
    pytest.fail(f"alerts of case {case} never all arrived")


def alert(name: str, severity: str, host: str, site: str, **labels: str) -> dict[str, str]:
    return {"alertname": name, "severity": severity, "host": host, "site": site, **labels}


def inhibition(url: str, case: str, alerts: list[dict[str, str]]) -> dict[str, Any]:
    """Post ALERTS, labelled case=CASE; once all arrived, `alertname/host` -> what inhibits it
    ([] when nothing does: the alert is notified)."""
    post_alerts(url, [{"case": case} | a for a in alerts])
    return settle(url, case, len(alerts))
