"""What is running in the lab: each node, its daemons, and whether SSH and SNMP answer on its
management address (checked from the root namespace through the management bridge)."""

from __future__ import annotations

import os
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from infra.inventory import Inventory
from infra.lab.files import write
from infra.lab.lock import require_root
from infra.lab.netns import lab_namespaces
from infra.lab.paths import RUN_DIR, SNMP_CLIENT_DIR, netns_name, node_dir
from infra.lab.plan import FACILITY, ROUTER, SERVER, UNIT, VC, LabPlan, Node
from infra.lab.sh import run

SYSNAME = "1.3.6.1.2.1.1.5.0"


@dataclass
class NodeStatus:
    node: str
    kind: str
    mgmt: str
    present: bool
    daemons: dict[str, bool] = field(default_factory=dict)
    ssh: bool | None = None  # None: the node has no SSH
    snmp: bool | None = None

    @property
    def ready(self) -> bool:
        return self.present and self.ssh is not False and self.snmp is not False

    def as_row(self) -> dict[str, object]:
        d = asdict(self)
        d["daemons"] = " ".join(f"{k}{'' if v else '(down)'}" for k, v in self.daemons.items())
        for k in ("ssh", "snmp"):
            d[k] = "-" if d[k] is None else ("ok" if d[k] else "FAIL")
        d["present"] = "yes" if self.present else "no"
        return d


def snmp_client_env(inv: Inventory) -> dict[str, str]:
    """An snmp.conf with the lab's v3 credentials, so no secret is ever on a command line."""
    c = inv.credentials
    text = "\n".join(
        [
            "defVersion 3",
            f"defSecurityName {c.snmpv3_user}",
            "defSecurityLevel authPriv",
            "defAuthType SHA",
            "defPrivType AES",
            f"defAuthPassphrase {inv.secret(c.snmpv3_auth_password).reveal()}",
            f"defPrivPassphrase {inv.secret(c.snmpv3_priv_password).reveal()}",
            "",
        ]
    )
    write(SNMP_CLIENT_DIR / "snmp.conf", text, 0o600)
    return {**os.environ, "SNMPCONFPATH": str(SNMP_CLIENT_DIR), "MIBS": ""}


def ssh_answers(address: str, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def snmp_answers(address: str, env: dict[str, str], timeout: float = 1.0) -> bool:
    proc = run(
        ["snmpget", "-Oqv", "-r", "1", "-t", str(timeout), address, SYSNAME],
        check=False,
        env=env,
        timeout=10,
    )
    return proc.returncode == 0 and bool(proc.stdout.strip())


def _pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def daemon_pidfiles(node: Node) -> dict[str, Path]:
    d = node_dir(node.name)
    if node.kind == ROUTER:
        out = {n: d / "run/frr" / f"{n}.pid" for n in node.daemons if n not in ("sshd", "snmpd")}
        out["watchfrr"] = d / "run/frr/watchfrr.pid"
        out["sshd"] = d / "run/lab/sshd.pid"
        out["snmpd"] = d / "run/lab/snmpd.pid"
        return out
    if node.kind == SERVER:
        return {}  # the pid file is inside the server's private mounts: SSH answering is the check
    if node.kind == VC:
        files = {"sshd": d / "sshd.pid", "baresip": d / "codec/baresip.pid", "snmpd": d / "snmpd.pid"}
        return {n: files[n] for n in node.daemons if n in files}
    if node.kind == FACILITY:
        return {"snmpd": d / "snmpd.pid"}
    return {}


def node_status(node: Node, present: set[str], env: dict[str, str], probe: bool = True) -> NodeStatus:
    st = NodeStatus(
        node.name, node.kind, str(node.mgmt.ip) if node.mgmt else "", netns_name(node.name) in present
    )
    st.daemons = {name: _pid_alive(p) for name, p in daemon_pidfiles(node).items()}
    if node.kind == UNIT or not node.mgmt:
        return st
    addr = str(node.mgmt.ip)
    if node.kind in (ROUTER, SERVER, VC):
        st.ssh = st.present and probe and ssh_answers(addr)
    if node.kind in (ROUTER, VC, FACILITY):
        st.snmp = st.present and probe and snmp_answers(addr, env)
    return st


def lab_status(inv: Inventory, plan: LabPlan, probe: bool = True, workers: int = 16) -> list[NodeStatus]:
    require_root()
    present = set(lab_namespaces())
    if not present or not RUN_DIR.is_dir():
        probe = False  # nothing to ask, and nothing may be written when the lab is down
    env = snmp_client_env(inv) if probe else {}
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda n: node_status(n, present, env, probe), plan.nodes.values()))
