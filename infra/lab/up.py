"""`infra lab up`: build (or repair) the province in network namespaces. Idempotent: what exists
and runs is left alone; what is missing is created and started."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import infra.lab.ovs as ovs
import infra.lab.router as router
import infra.lab.server as server
import infra.lab.snmpnode as snmpnode
import infra.lab.vcnode as vcnode
import infra.lab.wireguard as wireguard
from infra.inventory import Inventory
from infra.inventory.secrets import SecretUnavailable
from infra.lab.lock import exclusive, require_root
from infra.lab.netns import (
    add_namespaces,
    ensure_ns_files_dir,
    is_mountpoint,
    lab_namespaces,
    links_in,
    root_links,
)
from infra.lab.paths import (
    AUTHORIZED_KEYS,
    HOST_KEY,
    KEY_DIR,
    MGMT_BRIDGE,
    NODES,
    NS_FILES,
    REGISTRY,
    RUN_DIR,
    SSH_KEY,
    node_dir,
    root_ifname,
)
from infra.lab.plan import FACILITY, ROUTER, SERVER, UNIT, VC, LabPlan, Node, build_plan
from infra.lab.sh import LabError, ip_batch, ns_argv, run
from infra.lab.status import NodeStatus, lab_status

T = TypeVar("T")
log = logging.getLogger("infra.lab")
WORKERS = 16
DAEMON_WORKERS = 32  # daemon start-up mostly waits (sockets, forks), so more than the cores
AGENTX_DIR = Path("/var/agentx")


@dataclass
class UpReport:
    plan: LabPlan
    created: list[str] = field(default_factory=list)  # namespaces created by this run
    status: list[NodeStatus] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step


def parallel(fn: Callable[[T], object], items: Iterable[T], workers: int = WORKERS) -> list[object]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def ensure_keys() -> None:
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    KEY_DIR.chmod(0o755)  # sshd reads authorized_keys as the login user; the private key stays 0600
    for key in (SSH_KEY, HOST_KEY):
        if not key.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "infra-lab", "-f", str(key)])
    pub = SSH_KEY.with_suffix(".pub").read_text()
    if not AUTHORIZED_KEYS.exists() or AUTHORIZED_KEYS.read_text() != pub:
        AUTHORIZED_KEYS.write_text(pub)
    AUTHORIZED_KEYS.chmod(0o644)


def ensure_root_side(inv: Inventory, plan: LabPlan) -> None:
    """The unreachable route for the lab's whole address space first, then the management bridge."""
    run(["ip", "route", "replace", "unreachable", str(inv.pools.lab_space)])
    (RUN_DIR / "lab_space").write_text(f"{inv.pools.lab_space}\n")
    if MGMT_BRIDGE not in root_links():
        assert plan.mgmt_gateway is not None
        ip_batch(
            [
                f"link add {MGMT_BRIDGE} type bridge",
                f"addr replace {plan.mgmt_gateway} dev {MGMT_BRIDGE}",
                f"link set {MGMT_BRIDGE} up",
            ]
        )


@dataclass(frozen=True)
class PasswordHashes:
    admin: str  # routers' admin (device_password)
    codec: str | None  # VC endpoints' codec account (codec_password); None: no endpoint in the plan


def password_hashes(inv: Inventory, plan: LabPlan) -> PasswordHashes:
    """Checks the secrets the lab needs before anything is created (nothing half-built)."""
    c = inv.credentials
    try:
        for ref in (c.snmpv3_auth_password, c.snmpv3_priv_password):
            inv.secret(ref)
        admin = router._hash_password(inv.secret(c.device_password).reveal())
    except SecretUnavailable as exc:
        raise LabError(f"the lab needs the device and SNMPv3 secrets: {exc}") from None
    if not plan.of_kind(VC):
        return PasswordHashes(admin, None)
    if c.codec_password is None:
        raise LabError("the lab's VC endpoints need credentials.codec_password (group_vars/all)")
    try:
        return PasswordHashes(admin, router._hash_password(inv.secret(c.codec_password).reveal()))
    except SecretUnavailable as exc:
        raise LabError(f"the lab's VC endpoints need the codec secret: {exc}") from None


def write_node_files(inv: Inventory, plan: LabPlan, hashes: PasswordHashes) -> dict[str, dict[str, str]]:
    extras: dict[str, dict[str, str]] = {}
    for node in plan.nodes.values():
        node_dir(node.name).mkdir(parents=True, exist_ok=True, mode=0o700)
        if node.kind == ROUTER:
            router.write_router_files(inv, node, hashes.admin)
        elif node.kind == SERVER:
            server.write_server_files(node)
        elif node.kind in (VC, FACILITY):
            extras[node.name] = snmpnode.write_snmp_node_files(inv, node)
        if node.kind == VC:
            assert hashes.codec is not None
            vcnode.write_vc_files(inv, node, hashes.codec)
    return extras


def create_mount_ns(node: Node) -> None:
    mnt, uts = NS_FILES / f"{node.name}.mnt", NS_FILES / f"{node.name}.uts"
    if is_mountpoint(mnt):
        return
    mnt.touch()
    uts.touch()
    scripts = {ROUTER: router.mount_script, SERVER: server.mount_script, VC: vcnode.mount_script}
    script = scripts[node.kind](node)
    argv = ["nsenter", f"--net=/run/netns/{node.netns}", "unshare", f"--uts={uts}", f"--mount={mnt}"]
    try:
        run([*argv, "--propagation", "private", "sh", "-c", script])
    except LabError:
        # unshare bound the namespaces to their files before the script failed: release them,
        # or the next `up` would take the half-mounted namespace for a finished one
        run(["umount", str(mnt), str(uts)], check=False)
        raise


def wire(plan: LabPlan, fresh: set[str]) -> None:
    """Root-side veths: management, cables between nodes, access ports into OVS, LAN bridges
    and their ports (a Linux bridge per agency LAN, no address in the root namespace)."""
    existing = root_links()
    inside = {n: (set() if n in fresh else links_in(plan.nodes[n].netns)) for n in plan.nodes}
    cmds: list[str] = []
    for node in plan.nodes.values():
        if node.mgmt is None:
            continue
        rif = root_ifname("m", node.name)
        if rif not in existing or "mgmt0" not in inside[node.name]:
            cmds += [f"link del {rif}"] if rif in existing else []
            cmds += [f"link add name {rif} type veth peer name mgmt0 netns {node.netns}"]
        cmds += [f"link set {rif} master {MGMT_BRIDGE} up"]
    for c in plan.cables:
        if c.a_if not in inside[c.a] or c.b_if not in inside[c.b]:
            cmds += [
                f"link add name {c.a_if} netns {plan.nodes[c.a].netns} type veth "
                f"peer name {c.b_if} netns {plan.nodes[c.b].netns}"
            ]
    for p in plan.ports:
        if p.root_if not in existing or p.ifname not in inside[p.node]:
            cmds += [f"link del {p.root_if}"] if p.root_if in existing else []
            cmds += [
                f"link add name {p.root_if} type veth peer name {p.ifname} netns {plan.nodes[p.node].netns}"
            ]
        cmds += [f"link set {p.root_if} up"]
    for lan in plan.lans.values():
        if lan.name not in existing:
            cmds += [f"link add name {lan.name} type bridge", f"link set {lan.name} addrgenmode none"]
        cmds += [f"link set {lan.name} up"]
    for lp in plan.lan_ports:
        if lp.root_if not in existing or lp.ifname not in inside[lp.node]:
            cmds += [f"link del {lp.root_if}"] if lp.root_if in existing else []
            netns = plan.nodes[lp.node].netns
            cmds += [f"link add name {lp.root_if} type veth peer name {lp.ifname} netns {netns}"]
        cmds += [f"link set {lp.root_if} master {plan.lans[lp.lan].name} up"]
    ip_batch(cmds)


def configure_node(plan: LabPlan, node: Node) -> None:
    """Addresses the lab owns (management, server/unit access) and links up, inside the node."""
    cmds = ["link set lo up"]
    if node.mgmt is not None:
        cmds += [f"addr replace {node.mgmt} dev mgmt0", "link set mgmt0 up"]
    for c in plan.cables:
        for n, ifname in ((c.a, c.a_if), (c.b, c.b_if)):
            if n == node.name:
                cmds.append(f"link set {ifname} up")
    ports = [p for p in plan.ports if p.node == node.name]
    for p in ports:
        cmds.append(f"link set {p.ifname} up")
    cmds += [f"link set {lp.ifname} up" for lp in plan.lan_ports if lp.node == node.name]
    if node.access is not None and node.kind in (SERVER, UNIT, VC):
        cmds.append(f"addr replace {node.access} dev eth1")
        if node.gateway:
            cmds.append(f"route replace default via {node.gateway} dev eth1")
    ip_batch(cmds, netns=node.netns)
    for p in ports:  # OVS's userspace datapath does not complete checksums: send them complete
        run(
            ["nsenter", f"--net=/run/netns/{node.netns}", "ethtool", "-K", p.ifname, "tx", "off"], check=False
        )


def start_daemons(node: Node, extras: dict[str, dict[str, str]]) -> None:
    if node.kind == ROUTER:
        run([*ns_argv(node.name), "sh", "-c", router.ensure_script(node)], timeout=120)
    elif node.kind == SERVER:
        run([*ns_argv(node.name), "sh", "-c", server.ensure_script(node)])
    elif node.kind in (VC, FACILITY):
        pidfile = node_dir(node.name) / "snmpd.pid"
        from infra.lab.status import _pid_alive

        if not _pid_alive(pidfile):
            argv, env = snmpnode.snmpd_argv(node, extras.get(node.name, {}))
            run([*ns_argv(node.name, mount=node.own_mounts), *argv], env=env)
        if node.kind == VC:
            run([*ns_argv(node.name), "sh", "-c", vcnode.ensure_script(node)])


def start_tunnels(plan: LabPlan) -> None:
    scripts = wireguard.scripts(plan)
    parallel(lambda item: run([*ns_argv(item[0]), "sh", "-c", item[1]]), scripts.items())


def write_registry(plan: LabPlan) -> None:
    old = json.loads(REGISTRY.read_text()) if REGISTRY.exists() else {}
    nodes = sorted(set(old.get("nodes", [])) | set(plan.nodes))
    REGISTRY.write_text(json.dumps({"nodes": nodes, "bridges": [b.name for b in plan.bridges.values()]}))


def wait_ready(inv: Inventory, plan: LabPlan, timeout: float) -> list[NodeStatus]:
    deadline = time.monotonic() + timeout
    status = lab_status(inv, plan)
    while not all(s.ready for s in status) and time.monotonic() < deadline:
        time.sleep(0.5)
        pending = {s.node for s in status if not s.ready}
        sub = LabPlan(nodes={n: plan.nodes[n] for n in pending})
        fresh = {s.node: s for s in lab_status(inv, sub)}
        status = [fresh.get(s.node, s) for s in status]
    return status


def lab_up(inv: Inventory, limit: str | None = None, wait: float = 60.0) -> UpReport:
    require_root()
    if not inv.province.lab:
        raise LabError(f"province {inv.province.code} is not a lab province (set `province.lab: true`)")
    ovs.check_tools()
    plan = build_plan(inv, limit)
    if not plan.nodes:
        raise LabError(f"--limit {limit!r} selects no host")
    hashes = password_hashes(inv, plan)
    t0 = time.monotonic()
    report = UpReport(plan)
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        report.phases[name] = round(now - mark, 2)
        mark = now

    with exclusive():
        RUN_DIR.mkdir(mode=0o700, exist_ok=True)
        NODES.mkdir(exist_ok=True)
        AGENTX_DIR.mkdir(exist_ok=True)
        ensure_root_side(inv, plan)
        ensure_keys()
        have = set(lab_namespaces())
        missing = [n.netns for n in plan.nodes.values() if n.netns not in have]
        report.problems += add_namespaces(missing)
        fresh = {n.name for n in plan.nodes.values() if n.netns in missing}
        report.created = sorted(fresh)
        phase("namespaces")
        extras = write_node_files(inv, plan, hashes)
        write_registry(plan)
        phase("files")
        ensure_ns_files_dir()
        parallel(create_mount_ns, [n for n in plan.nodes.values() if n.own_mounts])
        phase("mounts")
        wire(plan, fresh)
        phase("links")
        ovs.build(plan)
        phase("ovs")
        parallel(lambda n: configure_node(plan, n), plan.nodes.values())
        phase("addresses")
        parallel(lambda n: start_daemons(n, extras), plan.nodes.values(), workers=DAEMON_WORKERS)
        phase("daemons")
        start_tunnels(plan)
        phase("tunnels")
    if wait > 0:
        report.status = wait_ready(inv, plan, wait)
        phase("wait")
    log.info("lab up phases: %s", report.phases)
    report.seconds = time.monotonic() - t0
    return report


def apply_converged(inv: Inventory, plan: LabPlan) -> None:
    """Apply each router's rendered intent directly through vtysh (demos and monitoring tests);
    `infra deploy` is the real path."""
    try:
        from infra.render import render_host
    except ImportError:
        raise LabError(
            "--converged needs the renderer (infra.render.render_host), which is not available yet"
        ) from None
    from infra.inventory import Platform

    def apply(node: Node) -> None:
        text = render_host(inv, node.name, Platform.FRR)
        write_to = node_dir(node.name) / "etc-frr" / "intended.conf"
        write_to.write_text(text)
        proc = run([*ns_argv(node.name), "vtysh", "-f", "/etc/frr/intended.conf"], check=False)
        write_to.unlink()
        if proc.returncode != 0:
            raise LabError(f"{node.name}: applying the rendered intent failed: {proc.stdout[-300:]}")
        run([*ns_argv(node.name), "vtysh", "-c", "write memory"], check=False)

    parallel(apply, [n for n in plan.nodes.values() if n.kind == ROUTER])
