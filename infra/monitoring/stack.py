"""Run the rendered monitoring on this machine: Prometheus, Alertmanager, the blackbox exporter
and infra-snmp-exporter on loopback, plus (for a lab province that is up) the lab's stand-ins:
a WAN prober (blackbox exporter) inside the hub's namespace, since tunnel addresses are only
reachable from there, and a node exporter in each server namespace that has none.

With `shards=N`, N shard Prometheus servers (hashmod on `host`, each evaluating the alerts of its
devices and sending them to the one Alertmanager) and the global one federating them, as
`infra monitoring render --shards` writes them; the board and `urls["prometheus"]` are the global
instance. The on-call board (`infra oncall serve`) reads it and Alertmanager.

Every process runs in its own session with a pid file under OUT/run/, logs in OUT/logs/, data in
OUT/data/; `stop_stack(OUT)` ends exactly those pids (infra/monitoring/processes.py). Secrets reach
the SNMP exporter through its environment only.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from infra.inventory import Inventory, Role
from infra.monitoring.exporter_config import snmp_exporter_environment
from infra.monitoring.options import RenderOptions
from infra.monitoring.processes import (
    StackError,
    listening,
    port_free,
    spawn,
    stop_processes,
    tool,
    wait_ready,
)
from infra.monitoring.render import render_monitoring, write_monitoring
from infra.monitoring.vc import SIP_PROBE_FILE, sip_probe_config
from infra.safety import LabNotUp, require_lab_route

__all__ = ["Ports", "Stack", "StackError", "start_stack", "stop_stack"]

WAN_PROBER_PORT = 9115
NODE_EXPORTER_PORT = 9100


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the stack. With N shards, shard i listens on `prometheus + 1 + i` (after
    the global instance: 19091, 19092 by default) unless `shards` names each port."""

    prometheus: int = 19090  # the only instance with one shard; the global view with several
    alertmanager: int = 19093
    blackbox: int = 19115
    snmp_exporter: int = 19116
    sip_probe: int = 19117  # infra-sip-probe, started when the inventory has a VC system
    oncall: int = 19180  # the on-call board, `infra oncall serve`
    shards: tuple[int, ...] = ()

    def shard(self, index: int) -> int:
        return self.shards[index] if self.shards else self.prometheus + 1 + index


@dataclass
class Stack:
    out: Path
    ports: Ports
    shards: int = 1
    urls: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.pids[name] = spawn(self.out, name, argv, env)

    def wait_ready(self, name: str, path: str) -> None:
        wait_ready(self.out, name, self.pids.get(name), self.urls[name] + path)

    @property
    def prometheus_names(self) -> list[str]:
        """Pid/URL names of the Prometheus servers: the shards first, then the global one."""
        shards = [f"prometheus-shard-{i}" for i in range(self.shards)] if self.shards > 1 else []
        return [*shards, "prometheus"]


def _exporter_command() -> list[str]:
    script = Path(sys.executable).with_name("infra-snmp-exporter")
    return [str(script)] if script.exists() else [sys.executable, "-m", "exporters.snmp.main"]


def _sip_probe_command() -> list[str]:
    script = Path(sys.executable).with_name("infra-sip-probe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "exporters.sip.main"]


def _infra_command() -> list[str]:
    script = Path(sys.executable).with_name("infra")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from infra.cli import main; main()"]


def _bundled_exporter_modules() -> list[str]:
    modules = resources.files("exporters.snmp") / "modules"
    return sorted(str(p) for p in Path(str(modules)).glob("*.yml"))


def _lab_stand_ins(inv: Inventory, stack: Stack) -> str | None:
    """WAN prober in the hub's namespace and node exporters in server namespaces (lab only).
    Returns the WAN prober's HOST:PORT, or None when the lab is not up."""
    from infra.lab import netns_argv

    if not inv.province.lab or inv.wan_vpn is None:
        return None
    servers = inv.by_role(Role.SERVER)
    enter = netns_argv([inv.wan_vpn.hub, *(h.name for h in servers)])
    if inv.wan_vpn.hub not in enter:
        return None
    hub = inv.hosts[inv.wan_vpn.hub]
    prober = f"{hub.mgmt_address}:{WAN_PROBER_PORT}"
    if not listening(str(hub.mgmt_address), WAN_PROBER_PORT):
        stack.spawn(
            "wan-prober",
            [
                *enter[hub.name],
                tool("prometheus-blackbox-exporter"),
                f"--config.file={stack.out / 'blackbox.yml'}",
                f"--web.listen-address={prober}",
            ],
        )
    for h in servers:
        if h.name in enter and not listening(str(h.mgmt_address), NODE_EXPORTER_PORT):
            stack.spawn(
                f"node-exporter-{h.name}",
                [
                    *enter[h.name],
                    tool("prometheus-node-exporter"),
                    f"--web.listen-address={h.mgmt_address}:{NODE_EXPORTER_PORT}",
                    "--collector.disable-defaults",
                    "--collector.filesystem",
                    "--collector.timex",
                    "--collector.cpu",
                    "--collector.meminfo",
                    "--collector.loadavg",
                    "--collector.textfile",
                    f"--collector.textfile.directory={stack.out / 'textfile'}",
                ],
            )
    return prober


def _check_ports(ports: Ports, shards: int, vc: bool, board: bool) -> None:
    named = {"Prometheus": ports.prometheus, "Alertmanager": ports.alertmanager}
    named |= {"blackbox exporter": ports.blackbox, "infra-snmp-exporter": ports.snmp_exporter}
    named |= {"infra-sip-probe": ports.sip_probe} if vc else {}
    named |= {"the board": ports.oncall} if board else {}
    if shards > 1:
        if ports.shards and len(ports.shards) != shards:
            raise StackError(f"{shards} shards but {len(ports.shards)} shard ports: {list(ports.shards)}")
        named |= {f"Prometheus shard {i}": ports.shard(i) for i in range(shards)}
    by_port: dict[int, list[str]] = {}
    for what, port in named.items():
        by_port.setdefault(port, []).append(what)
    twice = {p: names for p, names in by_port.items() if len(names) > 1}
    if twice:
        clash = "; ".join(f"{p}: {' and '.join(n)}" for p, n in sorted(twice.items()))
        raise StackError(
            f"one port for two processes ({clash}); shard i listens on the Prometheus port + 1 + i: "
            "move Prometheus (--prometheus-port) or the other process"
        )
    busy = sorted(p for p in by_port if not port_free(p))
    if busy:
        raise StackError(
            f"ports already in use on 127.0.0.1: {busy} (is a stack running? `infra monitoring down`)"
        )


def _start_prometheus(stack: Stack, prometheus: str) -> None:
    """One Prometheus, or N shards (each evaluating its alerts next to its data) and the global one
    federating them; every instance has its own port, data directory and pid file."""
    out, local = stack.out, "127.0.0.1"
    configs = [(f"prometheus-shard-{i}", stack.ports.shard(i)) for i in range(stack.shards)]
    if stack.shards == 1:
        configs = [("prometheus", stack.ports.prometheus)]
    else:
        configs.append(("prometheus-global", stack.ports.prometheus))
    for config, port in configs:
        name = "prometheus" if config == "prometheus-global" else config
        stack.spawn(
            name,
            [
                prometheus,
                f"--config.file={out / (config + '.yml')}",
                f"--storage.tsdb.path={out / 'data' / name}",
                f"--web.listen-address={local}:{port}",
                "--web.enable-lifecycle",
            ],
        )
        stack.urls[name] = f"http://{local}:{port}"


def _start_board(stack: Stack, inv: Inventory) -> None:
    """`infra oncall serve` on the stack's inventory, reading the global Prometheus (and, for a
    device's raw series, the shards); the state directory (journal, backups) comes from the
    environment (INFRA_STATE_DIR)."""
    address = f"127.0.0.1:{stack.ports.oncall}"
    shards = [f"--shard-prometheus=http://127.0.0.1:{stack.ports.shard(i)}" for i in range(stack.shards)]
    stack.spawn(
        "board",
        [
            *_infra_command(),
            "--inventory",
            str(inv.path),
            "oncall",
            "serve",
            "--listen",
            address,
            "--prometheus",
            stack.urls["prometheus"],
            "--alertmanager",
            stack.urls["alertmanager"],
            *(shards if stack.shards > 1 else []),
        ],
    )
    stack.urls["board"] = f"http://{address}"


def start_stack(
    inv: Inventory,
    out: Path,
    ports: Ports = Ports(),
    fast_alerts: bool = False,
    webhook_url: str | None = None,
    scrape_interval: str = "15s",
    lab_stand_ins: bool = True,
    with_targets: bool = True,
    shards: int = 1,
    board: bool = True,
) -> Stack:
    """Render into OUT and start every process; returns URLs and pids. Raises StackError."""
    tools = {n: tool(n) for n in ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter")}
    vc = sip_probe_config(inv) is not None
    _check_ports(ports, shards, vc, board)
    if with_targets:
        try:
            require_lab_route(inv)  # a lab province's addresses are only safe while blackholed
        except LabNotUp as exc:
            raise StackError(str(exc)) from None
    stack = Stack(out, ports, shards)
    out.mkdir(parents=True, exist_ok=True)
    (out / "textfile").mkdir(exist_ok=True)
    local = "127.0.0.1"
    base = RenderOptions(blackbox_exporter=f"{local}:{ports.blackbox}")
    write_monitoring(render_monitoring(inv, base), out)  # blackbox.yml for the stand-ins first
    wan_prober = _lab_stand_ins(inv, stack) if lab_stand_ins else None
    opts = RenderOptions(
        snmp_exporter=f"{local}:{ports.snmp_exporter}",
        blackbox_exporter=f"{local}:{ports.blackbox}",
        sip_probe=f"{local}:{ports.sip_probe}",
        wan_prober=wan_prober,
        alertmanager=f"{local}:{ports.alertmanager}",
        scrape_interval=scrape_interval,
        evaluation_interval=scrape_interval,
        webhook_url=webhook_url or base.webhook_url,
        fast_alerts=fast_alerts,
        runbook_base=str(Path(__file__).resolve().parents[2] / "docs" / "runbooks"),
        shards=shards,
        shard_host=local,
        shard_ports=tuple(ports.shard(i) for i in range(shards)) if shards > 1 else (),
    )
    write_monitoring(render_monitoring(inv, opts), out)
    if not with_targets:  # processes and configuration only: scrape nothing (tests without the lab)
        for f in (out / "targets").glob("*.json"):
            f.write_text("[]\n")
    env = os.environ | snmp_exporter_environment(inv)
    config_args = [
        f"--config.file={f}" for f in [*_bundled_exporter_modules(), str(out / "snmp-exporter.yml")]
    ]
    stack.spawn(
        "snmp-exporter",
        [*_exporter_command(), *config_args, f"--web.listen-address={local}:{ports.snmp_exporter}"],
        env,
    )
    if vc:
        stack.spawn(
            "sip-probe",
            [
                *_sip_probe_command(),
                f"--config.file={out / SIP_PROBE_FILE}",
                f"--web.listen-address={local}:{ports.sip_probe}",
            ],
        )
    stack.spawn(
        "blackbox",
        [
            tools["prometheus-blackbox-exporter"],
            f"--config.file={out / 'blackbox.yml'}",
            f"--web.listen-address={local}:{ports.blackbox}",
        ],
    )
    stack.spawn(
        "alertmanager",
        [
            tools["prometheus-alertmanager"],
            f"--config.file={out / 'alertmanager.yml'}",
            f"--storage.path={out / 'data' / 'alertmanager'}",
            f"--web.listen-address={local}:{ports.alertmanager}",
            "--cluster.listen-address=",
        ],
    )
    stack.urls |= {
        "alertmanager": f"http://{local}:{ports.alertmanager}",
        "blackbox": f"http://{local}:{ports.blackbox}",
        "snmp-exporter": f"http://{local}:{ports.snmp_exporter}",
    }
    _start_prometheus(stack, tools["prometheus"])
    if board:
        _start_board(stack, inv)
    if wan_prober:
        stack.urls["wan-prober"] = f"http://{wan_prober}"
    if vc:
        stack.urls["sip-probe"] = f"http://{local}:{ports.sip_probe}"
    try:
        for name, path in (
            *((("sip-probe", "/-/healthy"),) if vc else ()),
            ("snmp-exporter", "/-/healthy"),
            ("blackbox", "/-/healthy"),
            ("alertmanager", "/-/ready"),
            *((name, "/-/ready") for name in stack.prometheus_names),
            *((("board", "/-/healthy"),) if board else ()),
        ):
            stack.wait_ready(name, path)
    except StackError:
        stop_stack(out)
        raise
    return stack


def stop_stack(out: Path, timeout: float = 10.0) -> list[str]:
    """Stop every process whose pid file is under OUT/run/ (TERM, then KILL). Returns their names."""
    return stop_processes(out, timeout)
