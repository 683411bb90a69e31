"""`infra monitoring up --shards 2` for real, without the lab: two shard Prometheus servers and the
global one (as `infra monitoring render --shards` writes them), real Alertmanager and exporters.

The devices are stand-ins we serve on loopback: one tiny /metrics HTTP server per server of the
example province, written into the node job's file_sd targets with the inventory's labels. Which
shard scrapes which device is Prometheus's own hashmod; the test reads it back from each shard,
then makes one device per shard fail its scrape so that each shard raises `InfraServerDown`."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra.inventory import Inventory
from infra.monitoring import RenderOptions
from infra.monitoring.stack import Ports, Stack, StackError, start_stack, stop_stack
from infra.monitoring.targets import node_targets
from tests.daemons import serve_metrics
from tests.ports import port_in_use, with_fresh_ports

SHARDS = 2


@dataclass
class FakeDevices:
    """One loopback HTTP server per host answering /metrics, or 503 while the host is in `failing`."""

    servers: dict[str, ThreadingHTTPServer] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)

    def add(self, host: str) -> str:
        def exposition() -> str | None:
            if host in self.failing:
                return None
            return f'# TYPE fake_device gauge\nfake_device{{name="{host}"}} 1\nnode_load1 0.42\n'

        server = serve_metrics(exposition)
        self.servers[host] = server
        return f"127.0.0.1:{server.server_address[1]}"

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


def api(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]


def query(base: str, promql: str) -> list[dict[str, Any]]:
    return api(f"{base}/api/v1/query?query={urllib.parse.quote(promql)}")["result"]  # type: ignore[no-any-return]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what}")


def shard_targets(stack: Stack, i: int) -> set[tuple[str, str]]:
    """(job, instance) of every active target of shard I."""
    active = api(f"{stack.urls[f'prometheus-shard-{i}']}/api/v1/targets?state=active")["activeTargets"]
    return {(t["labels"]["job"], t["labels"]["instance"]) for t in active}


@pytest.fixture
def devices() -> Iterator[FakeDevices]:
    fake = FakeDevices()
    yield fake
    fake.close()


@pytest.fixture
def sharded_stack(example_inventory: Inventory, tmp_path: Path, devices: FakeDevices) -> Iterator[Stack]:
    def start(p: list[int]) -> Stack:
        ports = Ports(*p[:6], shards=tuple(p[6:]))
        return start_stack(
            example_inventory,
            tmp_path,
            ports,
            fast_alerts=True,
            scrape_interval="1s",
            lab_stand_ins=False,
            with_targets=False,  # no device address is ever scraped: only our loopback stand-ins
            shards=SHARDS,
        )

    stack = with_fresh_ports(6 + SHARDS, start, lambda e: isinstance(e, StackError) and port_in_use(str(e)))
    try:
        groups = node_targets(example_inventory, RenderOptions())
        for g in groups:
            g["targets"] = [devices.add(g["labels"]["host"])]
        staged = tmp_path / "targets" / ".node.json.new"
        staged.write_text(json.dumps(groups))
        staged.rename(tmp_path / "targets" / "node.json")  # file_sd sees one complete file
        yield stack
    finally:
        stop_stack(tmp_path)


def test_two_shards_split_the_devices_and_the_global_view_sees_every_up_and_alert(
    sharded_stack: Stack, devices: FakeDevices
) -> None:
    stack = sharded_stack
    assert [n for n in stack.pids if n.startswith("prometheus")] == [
        "prometheus-shard-0",
        "prometheus-shard-1",
        "prometheus",
    ]
    assert len({stack.urls[n] for n in stack.prometheus_names}) == SHARDS + 1  # own port each
    for name in stack.prometheus_names:
        assert (stack.out / "data" / name).is_dir() and (stack.out / "run" / f"{name}.pid").is_file()
    hosts = set(devices.servers)
    assert len(hosts) >= 4

    # every target is scraped by exactly one shard
    def split() -> list[set[tuple[str, str]]] | None:
        per_shard = [shard_targets(stack, i) for i in range(SHARDS)]
        node = {inst for targets in per_shard for job, inst in targets if job == "node"}
        exporters = [t for targets in per_shard for t in targets if t[0] == "exporters"]
        return per_shard if node == hosts and exporters else None

    per_shard = wait_for("both shards to discover every stand-in device", split)
    assert per_shard[0] & per_shard[1] == set(), "a target scraped by both shards"
    exporters = [i for i in range(SHARDS) if any(job == "exporters" for job, _ in per_shard[i])]
    assert len(exporters) == 1, "the exporters are scraped by one shard, not by each"
    on_shard = [sorted(inst for job, inst in per_shard[i] if job == "node") for i in range(SHARDS)]
    assert all(on_shard), f"hashmod left a shard without devices: {on_shard}"

    # one device per shard stops answering: each shard pages it
    down = {i: on_shard[i][0] for i in range(SHARDS)}
    devices.failing |= set(down.values())

    def alertmanager_has_each_shards_alert() -> bool:
        with urllib.request.urlopen(f"{stack.urls['alertmanager']}/api/v2/alerts", timeout=10) as r:
            alerts = json.load(r)
        got = {
            (a["labels"].get("shard"), a["labels"].get("host"))
            for a in alerts
            if a["labels"]["alertname"] == "InfraServerDown"
        }
        return all((str(i), host) in got for i, host in down.items())

    wait_for("InfraServerDown from each shard in Alertmanager", alertmanager_has_each_shards_alert)

    global_url = stack.urls["prometheus"]

    def firing(base: str, shard: int | None = None) -> set[tuple[str, str]]:
        where = f',shard="{shard}"' if shard is not None else ""
        series = query(base, f'ALERTS{{alertstate="firing"{where}}}')
        return {(s["metric"]["alertname"], s["metric"].get("host", "")) for s in series}

    def global_matches_shards() -> bool:
        """The global view has each shard's firing alerts and every target's `up`, labelled with the
        shard that produced them (the shards' external label)."""
        for i in range(SHARDS):
            shard_url = stack.urls[f"prometheus-shard-{i}"]
            if firing(global_url, i) != firing(shard_url) or ("InfraServerDown", down[i]) not in firing(
                shard_url
            ):
                return False
            ups = query(global_url, f'up{{shard="{i}"}}')
            if {(s["metric"]["job"], s["metric"]["instance"]) for s in ups} != per_shard[i]:
                return False
        return True

    wait_for("the global view to federate every up and alert of both shards", global_matches_shards)
    ups = query(global_url, 'up{job="node"}')
    assert {s["metric"]["instance"] for s in ups} == hosts
    assert {s["metric"]["instance"]: s["value"][1] for s in ups if s["value"][1] == "0"} == {
        h: "0" for h in down.values()
    }
    # the global view evaluates no alerts of its own: every ALERTS series it has came from a shard
    assert all(s["metric"].get("shard") in {"0", "1"} for s in query(global_url, "ALERTS"))

    # The board reads the global instance, which federates aggregates only: a device's raw series
    # (here node_load1) come from its own shard, whichever that is.
    assert query(global_url, "node_load1") == []
    board = stack.urls["board"]
    for i in range(SHARDS):
        host = next(h for h in hosts if h != down[i] and any(h == inst for inst in on_shard[i]))
        server = wait_for(
            f"the board's device page of {host} (shard {i}) with its load",
            lambda host=host: (
                (
                    facts := json.load(urllib.request.urlopen(f"{board}/api/device/{host}", timeout=10))[
                        "server"
                    ]
                )
                and facts["load1"] is not None
                and facts
            ),
        )
        assert server["load1"] == 0.42
