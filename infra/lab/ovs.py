"""Open vSwitch for the lab's VLANs: its own ovsdb-server and ovs-vswitchd (userspace datapath)
with their own run directory, one bridge per site with VLANs, one bridge per campus access switch
trunked to its site bridge, and access ports tagged with the VLAN."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from infra.lab.paths import OVS_DIR, root_ifname
from infra.lab.plan import LabPlan
from infra.lab.sh import LabError, run

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
DAEMONS = ("ovsdb-server", "ovs-vswitchd")


def env() -> dict[str, str]:
    d = str(OVS_DIR)
    return {**os.environ, "OVS_RUNDIR": d, "OVS_DBDIR": d, "OVS_LOGDIR": d, "OVS_SYSCONFDIR": d}


def pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def vsctl(*args: str) -> str:
    return run(["ovs-vsctl", f"--db=unix:{OVS_DIR / 'db.sock'}", "--timeout=20", *args], env=env()).stdout


def ensure_daemons() -> None:
    OVS_DIR.mkdir(parents=True, exist_ok=True)
    db = OVS_DIR / "conf.db"
    if not db.exists():
        run(["ovsdb-tool", "create", str(db), str(SCHEMA)], env=env())
    if not pid_alive(OVS_DIR / "ovsdb-server.pid"):
        run(
            [
                "ovsdb-server",
                str(db),
                f"--remote=punix:{OVS_DIR / 'db.sock'}",
                "--pidfile",
                "--detach",
                "--log-file",
            ],
            env=env(),
        )
        vsctl("--no-wait", "init")
    if not pid_alive(OVS_DIR / "ovs-vswitchd.pid"):
        run(["ovs-vswitchd", f"unix:{OVS_DIR / 'db.sock'}", "--pidfile", "--detach", "--log-file"], env=env())


def build(plan: LabPlan) -> None:
    """Bridges, trunks and access ports (root-side veth ends must exist already)."""
    if not plan.bridges:
        return
    ensure_daemons()
    args: list[str] = []
    for b in plan.bridges.values():
        args += ["--", "--may-exist", "add-br", b.name, "--", "set", "bridge", b.name]
        args += ["datapath_type=netdev", f"external-ids:infra-lab={b.key}"]
    for b in plan.bridges.values():
        if b.uplink_to and b.uplink_to in plan.bridges:
            up = plan.bridges[b.uplink_to]
            here, there = root_ifname("t", b.key, "down"), root_ifname("t", b.key, "up")
            args += ["--", "--may-exist", "add-port", b.name, here, "--", "set", "interface", here]
            args += ["type=patch", f"options:peer={there}"]
            args += ["--", "--may-exist", "add-port", up.name, there, "--", "set", "interface", there]
            args += ["type=patch", f"options:peer={here}"]
    for p in plan.ports:
        bridge = plan.bridges[p.bridge].name
        args += ["--", "--may-exist", "add-port", bridge, p.root_if, f"tag={p.vlan}"]
    vsctl(*args[1:])


def stop() -> None:
    for name in reversed(DAEMONS):
        pidfile = OVS_DIR / f"{name}.pid"
        if pid_alive(pidfile):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pidfile.read_text().strip()), 15)


def check_tools() -> None:
    if not SCHEMA.exists():
        raise LabError("Open vSwitch is not installed (run scripts/setup.sh)")
