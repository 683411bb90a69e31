"""A throwaway FRR 8.4 router in its own network + UTS namespace (`scratch-render-*`), to prove that
what the FRR templates render is exactly what FRR shows in `show running-config`.

Daemons use a private run directory (`--vty_socket`, `-z`, `-i`), so nothing touches /etc/frr or the
lab's routers. Everything started here is stopped by pid and the namespace deleted on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

FRR_BIN = Path("/usr/lib/frr")
DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
SNMP_DAEMONS = ("zebra", "ospfd", "bgpd")  # started with `-M snmp` like the lab's routers (agentx)
PREFIX = "scratch-render-"


def available() -> str | None:
    """Why a scratch FRR cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    missing = [d for d in DAEMONS if not (FRR_BIN / d).exists()]
    if missing or not shutil.which("vtysh"):
        return f"FRR is not installed ({', '.join(missing) or 'vtysh'} missing)"
    return None


def _run(*cmd: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, input=input, timeout=60)


class ScratchFrr:
    def __init__(self, netns: str, hostname: str, rundir: Path) -> None:
        self.netns, self.hostname, self.rundir = netns, hostname, rundir

    def vtysh(self, *args: str) -> str:
        inner = ["vtysh", "--vty_socket", str(self.rundir), *args]
        cmd = ["ip", "netns", "exec", self.netns, "unshare", "--uts", "sh", "-c",
               'hostname "$0"; exec "$@"', self.hostname, *inner]  # fmt: skip
        return _run(*cmd).stdout

    def apply(self, config: str) -> str:
        """Load a configuration file with `vtysh -f`; returns vtysh's complaints (empty when none)."""
        path = self.rundir / "candidate.conf"
        path.write_text(config, encoding="utf-8")
        inner = ["vtysh", "--vty_socket", str(self.rundir), "-f", str(path)]
        cmd = ["ip", "netns", "exec", self.netns, "unshare", "--uts", "sh", "-c",
               'hostname "$0"; exec "$@"', self.hostname, *inner]  # fmt: skip
        done = _run(*cmd, check=False)
        return (done.stdout + done.stderr).strip() if done.returncode else ""

    def running(self) -> str:
        return self.vtysh("-c", "show running-config")


def _start(netns: str, hostname: str, rundir: Path) -> ScratchFrr:
    for d in DAEMONS:
        daemon = [str(FRR_BIN / d), "-d", "-i", str(rundir / f"{d}.pid"), "--vty_socket", str(rundir),
                  "-P", "0", "-z", str(rundir / "zserv.api"), "-f", "/dev/null",
                  *(["-M", "snmp"] if d in SNMP_DAEMONS else [])]  # fmt: skip
        _run("ip", "netns", "exec", netns, "unshare", "--uts", "sh", "-c",
             'hostname "$0"; exec "$@"', hostname, *daemon)  # fmt: skip
    deadline = time.monotonic() + 20
    while not all((rundir / f"{d}.vty").exists() for d in DAEMONS):
        if time.monotonic() > deadline:
            raise RuntimeError(f"FRR daemons did not start in {netns}")
        time.sleep(0.05)
    return ScratchFrr(netns, hostname, rundir)


def _stop(netns: str, rundir: Path) -> None:
    for d in DAEMONS:
        pidfile = rundir / f"{d}.pid"
        if pidfile.exists():
            with suppress(ValueError, ProcessLookupError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _run("ip", "netns", "pids", netns, check=False).stdout.split():
            break
        time.sleep(0.1)
    for pid in _run("ip", "netns", "pids", netns, check=False).stdout.split():
        with suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    _run("ip", "netns", "del", netns, check=False)
    shutil.rmtree(rundir, ignore_errors=True)


def _new_netns(netns: str) -> Path:
    rundir = Path(tempfile.mkdtemp(prefix="scratch-render-"))
    shutil.chown(rundir, "frr", "frr")
    rundir.chmod(0o775)
    _run("ip", "netns", "add", netns)
    _run("ip", "-n", netns, "link", "set", "lo", "up")
    # igmp_max_memberships: ospfd joins AllSPFRouters once per OSPF interface; Linux allows 20 per
    # socket by default, fewer than the WAN hub's 22 (2 core links + 20 tunnels)
    _run("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
         "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
         "net.ipv4.igmp_max_memberships=512")  # fmt: skip
    return rundir


def _stub_interfaces(netns: str, names: list[str]) -> None:
    """Interfaces with nothing behind them: veth pairs whose both ends stay in the namespace."""
    for n, name in enumerate(i for i in names if i != "lo"):
        _run("ip", "-n", netns, "link", "add", name, "type", "veth", "peer", "name", f"peer{n}")
        _run("ip", "-n", netns, "link", "set", name, "up")
        _run("ip", "-n", netns, "link", "set", f"peer{n}", "up")  # else the veth has no carrier


@contextmanager
def scratch_frr(hostname: str, interfaces: list[str], tag: str = "") -> Iterator[ScratchFrr]:
    """One scratch router with the given (unconnected) interfaces."""
    netns = f"{PREFIX}{tag or os.getpid()}"
    rundir = _new_netns(netns)
    try:
        _stub_interfaces(netns, interfaces)
        yield _start(netns, hostname, rundir)
    finally:
        _stop(netns, rundir)


Cable = tuple[tuple[str, str], tuple[str, str]]  # (router, interface) at each end


@contextmanager
def scratch_network(
    routers: dict[str, list[str]], cables: list[Cable], tag: str
) -> Iterator[dict[str, ScratchFrr]]:
    """Several scratch routers; `cables` join interfaces of two routers, the others are stubs."""
    made: dict[str, tuple[str, Path]] = {}
    try:
        for i, name in enumerate(routers):
            netns = f"{PREFIX}{tag}-{i}"
            made[name] = (netns, _new_netns(netns))
        cabled = {end for cable in cables for end in cable}
        for (ra, ia), (rb, ib) in cables:
            (na, _), (nb, _) = made[ra], made[rb]
            _run(
                "ip",
                "link",
                "add",
                "scrrnd-a",
                "netns",
                na,
                "type",
                "veth",
                "peer",
                "name",
                "scrrnd-b",
                "netns",
                nb,
            )
            _run("ip", "-n", na, "link", "set", "scrrnd-a", "name", ia, "up")
            _run("ip", "-n", nb, "link", "set", "scrrnd-b", "name", ib, "up")
        for name, names in routers.items():
            _stub_interfaces(made[name][0], [i for i in names if (name, i) not in cabled])
        yield {name: _start(netns, name, rundir) for name, (netns, rundir) in made.items()}
    finally:
        for netns, rundir in made.values():
            _stop(netns, rundir)


def normalise(running: str) -> str:
    """`show running-config` without what FRR adds above the configuration (see docs/render.md)."""
    lines = running.splitlines()
    out: list[str] = []
    started = False
    for line in lines:
        if not started:
            if line.startswith("hostname "):
                started = True
            else:
                continue
        out.append(line)
    text = "\n".join(out)
    return text + "\n"
