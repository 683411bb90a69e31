"""Nodes that only answer SNMP (and ICMP): VC endpoints (a real snmpd with its own system group)
and DC facility devices (snmpd with the snmprec plug-in serving a recording of a real device)."""

from __future__ import annotations

import os
from pathlib import Path

from infra.inventory import Inventory
from infra.lab.files import snmp_quote, write
from infra.lab.paths import SNMPREC_AGENT, node_dir, shared_dir
from infra.lab.plan import FACILITY, Node
from infra.lab.sh import LabError

SYSTEM = "1.3.6.1.2.1.1."
# snmpd's own modules to switch off when a recording serves that subtree (`-I -module`)
MODULES_BY_ROOT = {
    "1.3.6.1.2.1.2": ["interfaces", "ifTable"],
    "1.3.6.1.2.1.31": ["ifXTable"],
    "1.3.6.1.2.1.4": ["ip", "ipAddressTable", "ipCidrRouteTable", "inetCidrRouteTable"],
}


def recording_path(inv: Inventory, node: Node) -> Path:
    assert node.host is not None
    if not node.host.snmp_recording:
        raise LabError(f"{node.name}: facility device without snmp_recording in the inventory")
    path = shared_dir() / "snmprec" / node.host.snmp_recording
    if not path.is_file():
        raise LabError(f"{node.name}: recording {path} not found (set INFRA_SHARED)")
    return path


def read_records(path: Path) -> list[tuple[str, str, str]]:
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if not line or line.startswith("#") or line.count("|") < 2:
            continue
        oid, tag, value = line.split("|", 2)
        out.append((oid.strip("."), tag, value))
    return out


def recording_roots(records: list[tuple[str, str, str]]) -> list[str]:
    """Subtrees the plug-in answers: each mib-2 group and enterprise in the recording except
    `system`, which snmpd itself serves with the recorded sysDescr and sysObjectID."""
    roots: list[str] = []
    for oid, _, _ in records:
        parts = oid.split(".")
        if oid.startswith(SYSTEM) or len(parts) < 7:
            continue
        root = ".".join(parts[:7])
        if oid.startswith("1.3.6.1.2.1.31.1.1."):
            root = "1.3.6.1.2.1.31"
        if root not in roots:
            roots.append(root)
    return roots


def _system_value(records: list[tuple[str, str, str]], sub: str) -> str | None:
    return next((v for o, _, v in records if o == SYSTEM + sub + ".0"), None)


def snmpd_config(inv: Inventory, node: Node, records: list[tuple[str, str, str]] | None) -> str:
    c = inv.credentials
    auth = inv.secret(c.snmpv3_auth_password).reveal()
    priv = inv.secret(c.snmpv3_priv_password).reveal()
    assert node.mgmt is not None
    lines = [
        f"agentaddress udp:{node.mgmt.ip}:161",
        f"createUser {c.snmpv3_user} SHA {snmp_quote(auth)} AES {snmp_quote(priv)}",
        f"rouser {c.snmpv3_user} priv",
        f"sysName {node.name}",
        f"sysLocation {inv.baseline.snmp_location or node.site}",
        f"sysContact {inv.baseline.snmp_contact or 'noc'}",
    ]
    descr = node.host.model if node.host and node.host.model else None
    if records is not None:
        descr = _system_value(records, "1") or descr
        oid = _system_value(records, "2")
        if oid:
            lines.append(f"sysObjectID {oid.strip('.')}")
        lines.append(f"dlmod snmprec_agent {SNMPREC_AGENT}")
    if descr:
        lines.append(f"sysDescr {descr}")
    return "\n".join(lines) + "\n"


def write_snmp_node_files(inv: Inventory, node: Node, recording: Path | None = None) -> dict[str, str]:
    """Writes the node's snmpd.conf (and its copy of the recording); returns snmpd's environment
    additions and module switches as {"env:NAME": value, "disable": modules}."""
    d = node_dir(node.name)
    (d / "snmp").mkdir(parents=True, exist_ok=True)
    extra: dict[str, str] = {}
    records = None
    if node.kind == FACILITY:
        if not SNMPREC_AGENT.is_file():
            raise LabError(f"{SNMPREC_AGENT} is missing: run scripts/setup.sh to build the snmprec plug-in")
        src = recording or recording_path(inv, node)
        served = d / "served.snmprec"
        if recording is not None or not served.exists():
            write(served, src.read_text(errors="replace"), 0o644)
        records = read_records(served)
        roots = recording_roots(records)
        extra["env:SNMPREC_FILE"] = str(served)
        extra["env:SNMPREC_ROOTS"] = ",".join(roots)
        disabled = [m for r in roots for m in MODULES_BY_ROOT.get(r, [])]
        extra["disable"] = ",".join(disabled)
    write(d / "snmpd.conf", snmpd_config(inv, node, records), 0o600)
    return extra


def snmpd_argv(node: Node, extra: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    d = node_dir(node.name)
    env = {k[4:]: v for k, v in extra.items() if k.startswith("env:")}
    env |= {"SNMP_PERSISTENT_DIR": str(d / "snmp"), "MIBS": "", "PATH": os.environ.get("PATH", "")}
    argv = [
        "snmpd",
        "-C",
        "-c",
        str(d / "snmpd.conf"),
        "-p",
        str(d / "snmpd.pid"),
        "-Lf",
        str(d / "snmpd.log"),
    ]
    if extra.get("disable"):
        argv += ["-I", "-" + extra["disable"]]
    return argv, env
