"""One deploy of everything runs in three phases: the network, then the servers (the call
controller among them), then the codecs, whose verification needs a registration across both."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from infra.deploy import DeployOptions, deploy
from infra.drivers.base import DeviceTarget, Driver
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.results import Result, RunResult
from infra.state import StatePaths
from tests.deploy.fakes import FakeNetwork, fake_intent


def test_codecs_are_deployed_after_the_servers_after_the_network(inv: Inventory, tmp_path: Path) -> None:
    net = FakeNetwork(inv)
    order: list[str] = []

    def factory(target: DeviceTarget) -> Driver:
        order.append(target.host)
        return net.factory(target)

    def servers(inv: Inventory, hosts: Sequence[Host], check: bool, diff: bool) -> RunResult:
        order.append("servers:" + ",".join(h.name for h in hosts))
        out = RunResult()
        for h in hosts:
            out.add(Result(h.name, changed=True, message="converged"))
        return out

    hosts = inv.select("vc-so-noi-vu,srv-vc-1,cpe-so-noi-vu")
    opts = DeployOptions(converge_wait_s=0.2, restore_window_s=0.0, settle_s=0.0, command="infra deploy")
    report = deploy(
        inv, hosts, opts, StatePaths.from_env(tmp_path), intent=fake_intent, factory=factory, servers=servers
    )
    firsts = list(dict.fromkeys(order))
    assert firsts.index("cpe-so-noi-vu") < firsts.index("servers:srv-vc-1") < firsts.index("vc-so-noi-vu")
    assert set(report.results.results) == {"vc-so-noi-vu", "srv-vc-1", "cpe-so-noi-vu"}
