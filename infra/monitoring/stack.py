"""Run the rendered monitoring on this machine: Prometheus, Alertmanager, the blackbox exporter
and infra-snmp-exporter on loopback, plus (for a lab province that is up) the lab's stand-ins:
a WAN prober (blackbox exporter) inside the hub's namespace, since tunnel addresses are only
reachable from there, and a node exporter in each server namespace that has none.

Every process runs in its own session with a pid file under OUT/run/, logs in OUT/logs/, data in
OUT/data/; `stop_stack(OUT)` ends exactly those pids. Secrets reach the SNMP exporter through its
environment only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from infra.inventory import Inventory, Role
from infra.monitoring.exporter_config import snmp_exporter_environment
from infra.monitoring.options import RenderOptions
from infra.monitoring.render import render_monitoring, write_monitoring
from infra.monitoring.vc import SIP_PROBE_FILE, sip_probe_config
from infra.safety import LabNotUp, require_lab_route

WAN_PROBER_PORT = 9115
NODE_EXPORTER_PORT = 9100


class StackError(Exception):
    """The stack could not start (missing tool, busy port, process died): the message says which."""


@dataclass(frozen=True)
class Ports:
    prometheus: int = 19090
    alertmanager: int = 19093
    blackbox: int = 19115
    snmp_exporter: int = 19116
    sip_probe: int = 19117  # infra-sip-probe, started when the inventory has a VC system


@dataclass
class Stack:
    out: Path
    ports: Ports
    urls: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StackError(f"{name} is not installed (scripts/setup.sh installs it)")
    return path


def _exporter_command() -> list[str]:
    script = Path(sys.executable).with_name("infra-snmp-exporter")
    return [str(script)] if script.exists() else [sys.executable, "-m", "exporters.snmp.main"]


def _sip_probe_command() -> list[str]:
    script = Path(sys.executable).with_name("infra-sip-probe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "exporters.sip.main"]


def _bundled_exporter_modules() -> list[str]:
    modules = resources.files("exporters.snmp") / "modules"
    return sorted(str(p) for p in Path(str(modules)).glob("*.yml"))


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _spawn(stack: Stack, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    logs = stack.out / "logs"
    run = stack.out / "run"
    logs.mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    (run / f"{name}.pid").write_text(str(proc.pid))
    stack.pids[name] = proc.pid


def _wait_ready(stack: Stack, name: str, url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        pid = stack.pids.get(name)
        if pid is not None and not _alive(pid):
            break
        time.sleep(0.2)
    log = stack.out / "logs" / f"{name}.log"
    tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
    raise StackError(f"{name} did not become ready at {url}: " + " | ".join(tail))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0): look at its state
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def _lab_stand_ins(inv: Inventory, stack: Stack) -> str | None:
    """WAN prober in the hub's namespace and node exporters in server namespaces (lab only).
    Returns the WAN prober's HOST:PORT, or None when the lab is not up."""
    from infra.lab.netns import lab_namespaces
    from infra.lab.paths import netns_name
    from infra.lab.sh import ns_argv

    namespaces = set(lab_namespaces())
    if not inv.province.lab or inv.wan_vpn is None or netns_name(inv.wan_vpn.hub) not in namespaces:
        return None
    hub = inv.hosts[inv.wan_vpn.hub]
    prober = f"{hub.mgmt_address}:{WAN_PROBER_PORT}"
    if not _listening(str(hub.mgmt_address), WAN_PROBER_PORT):
        _spawn(
            stack,
            "wan-prober",
            [
                *ns_argv(hub.name, mount=False),
                _tool("prometheus-blackbox-exporter"),
                f"--config.file={stack.out / 'blackbox.yml'}",
                f"--web.listen-address={prober}",
            ],
        )
    for h in inv.by_role(Role.SERVER):
        if netns_name(h.name) in namespaces and not _listening(str(h.mgmt_address), NODE_EXPORTER_PORT):
            _spawn(
                stack,
                f"node-exporter-{h.name}",
                [
                    *ns_argv(h.name, mount=False),
                    _tool("prometheus-node-exporter"),
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


def start_stack(
    inv: Inventory,
    out: Path,
    ports: Ports = Ports(),
    fast_alerts: bool = False,
    webhook_url: str | None = None,
    scrape_interval: str = "15s",
    lab_stand_ins: bool = True,
    with_targets: bool = True,
) -> Stack:
    """Render into OUT and start every process; returns URLs and pids. Raises StackError."""
    tools = {n: _tool(n) for n in ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter")}
    vc = sip_probe_config(inv) is not None
    busy = [
        p
        for p in (ports.prometheus, ports.alertmanager, ports.blackbox, ports.snmp_exporter)
        + ((ports.sip_probe,) if vc else ())
        if not _port_free(p)
    ]
    if busy:
        raise StackError(
            f"ports already in use on 127.0.0.1: {busy} (is a stack running? `infra monitoring down`)"
        )
    if with_targets:
        try:
            require_lab_route(inv)  # a lab province's addresses are only safe while blackholed
        except LabNotUp as exc:
            raise StackError(str(exc)) from None
    stack = Stack(out, ports)
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
    )
    write_monitoring(render_monitoring(inv, opts), out)
    if not with_targets:  # processes and configuration only: scrape nothing (tests without the lab)
        for f in (out / "targets").glob("*.json"):
            f.write_text("[]\n")
    env = os.environ | snmp_exporter_environment(inv)
    config_args = [
        f"--config.file={f}" for f in [*_bundled_exporter_modules(), str(out / "snmp-exporter.yml")]
    ]
    _spawn(
        stack,
        "snmp-exporter",
        [*_exporter_command(), *config_args, f"--web.listen-address={local}:{ports.snmp_exporter}"],
        env,
    )
    if vc:
        _spawn(
            stack,
            "sip-probe",
            [
                *_sip_probe_command(),
                f"--config.file={out / SIP_PROBE_FILE}",
                f"--web.listen-address={local}:{ports.sip_probe}",
            ],
        )
    _spawn(
        stack,
        "blackbox",
        [
            tools["prometheus-blackbox-exporter"],
            f"--config.file={out / 'blackbox.yml'}",
            f"--web.listen-address={local}:{ports.blackbox}",
        ],
    )
    _spawn(
        stack,
        "alertmanager",
        [
            tools["prometheus-alertmanager"],
            f"--config.file={out / 'alertmanager.yml'}",
            f"--storage.path={out / 'data' / 'alertmanager'}",
            f"--web.listen-address={local}:{ports.alertmanager}",
            "--cluster.listen-address=",
        ],
    )
    _spawn(
        stack,
        "prometheus",
        [
            tools["prometheus"],
            f"--config.file={out / 'prometheus.yml'}",
            f"--storage.tsdb.path={out / 'data' / 'prometheus'}",
            f"--web.listen-address={local}:{ports.prometheus}",
            "--web.enable-lifecycle",
        ],
    )
    stack.urls = {
        "prometheus": f"http://{local}:{ports.prometheus}",
        "alertmanager": f"http://{local}:{ports.alertmanager}",
        "blackbox": f"http://{local}:{ports.blackbox}",
        "snmp-exporter": f"http://{local}:{ports.snmp_exporter}",
    }
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
            ("prometheus", "/-/ready"),
        ):
            _wait_ready(stack, name, stack.urls[name] + path)
    except StackError:
        stop_stack(out)
        raise
    return stack


def stop_stack(out: Path, timeout: float = 10.0) -> list[str]:
    """Stop every process whose pid file is under OUT/run/ (TERM, then KILL). Returns their names."""
    run = out / "run"
    stopped = []
    for pidfile in sorted(run.glob("*.pid")) if run.is_dir() else []:
        pid = int(pidfile.read_text().strip() or 0)
        if pid > 0 and _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            stopped.append(pidfile.stem)
        pidfile.unlink()
    return stopped
