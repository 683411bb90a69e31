"""In the lab: `infra monitoring up --shards 2` against the converged lab puts every device's `up` on
the global instance, each target scraped by exactly one of the two shards."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.monitoring.stack import Ports, Stack, StackError, start_stack, stop_stack
from tests.fixtures_lab import LabHandle
from tests.ports import port_in_use, with_fresh_ports

pytestmark = pytest.mark.lab

SHARDS = 2


def api(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]


def wait_for(what: str, check: Callable[[], Any], timeout: float, detail: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what}: {detail()}")


def test_two_shards_put_every_devices_up_on_the_global_view(converged_lab: LabHandle, tmp_path: Path) -> None:
    inv = converged_lab.inv

    def start(p: list[int]) -> Stack:
        ports = Ports(*p[:6], shards=tuple(p[6:]))
        return start_stack(inv, tmp_path, ports, scrape_interval="2s", shards=SHARDS, board=False)

    stack = with_fresh_ports(6 + SHARDS, start, lambda e: isinstance(e, StackError) and port_in_use(str(e)))
    try:
        global_url = stack.urls["prometheus"]

        def hosts_on_global() -> set[str]:
            q = urllib.parse.quote('up{host!=""}')
            return {s["metric"]["host"] for s in api(f"{global_url}/api/v1/query?query={q}")["result"]}

        wait_for(
            "every device's up on the global instance",
            lambda: hosts_on_global() == set(inv.hosts),
            timeout=120,
            detail=lambda: sorted(set(inv.hosts) - hosts_on_global()),
        )
        per_shard = []
        for i in range(SHARDS):
            url = stack.urls[f"prometheus-shard-{i}"]
            active = api(f"{url}/api/v1/targets?state=active")["activeTargets"]
            per_shard.append({(t["labels"]["job"], t["labels"]["instance"]) for t in active})
        assert per_shard[0] & per_shard[1] == set(), "a target scraped by both shards"
        assert all(per_shard), "a shard with nothing to scrape"
        hosts_per_shard = [
            {s["metric"]["host"] for s in api(f"{global_url}/api/v1/query?query=up%7Bshard%3D%22{i}%22%7D")[
                "result"] if "host" in s["metric"]}
            for i in range(SHARDS)
        ]  # fmt: skip
        assert hosts_per_shard[0] & hosts_per_shard[1] == set(), "one device's series on two shards"
        assert hosts_per_shard[0] | hosts_per_shard[1] == set(inv.hosts)
    finally:
        stop_stack(tmp_path)
