"""The same province on VMs: `lab/vagrant-topology.json`, generated from the inventory and read by
the `Vagrantfile` (Debian boxes with FRR, OpenSSH and snmpd for libvirt or VirtualBox users)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.inventory import Inventory
from infra.lab.plan import FACILITY, ROUTER, SERVER, UNIT, VC, build_plan

TOPOLOGY_FILE = Path("lab") / "vagrant-topology.json"
BOX = "debian/bookworm64"
MEMORY = {ROUTER: 512, SERVER: 1024, VC: 256, FACILITY: 256}


def topology(inv: Inventory) -> dict[str, Any]:
    plan = build_plan(inv)
    ifaces: dict[str, list[dict[str, str]]] = {n: [] for n in plan.nodes}
    for c in plan.cables:
        ifaces[c.a].append({"name": c.a_if, "network": c.link_id})
        ifaces[c.b].append({"name": c.b_if, "network": c.link_id})
    for p in plan.ports:
        if p.node in ifaces and plan.nodes[p.node].kind != UNIT:
            network = f"vlan{p.vlan}-{plan.bridges[p.bridge].site}"
            ifaces[p.node].append({"name": p.ifname, "network": network})
    nodes = []
    for node in plan.nodes.values():
        if node.kind == UNIT or node.mgmt is None:
            continue
        nodes.append(
            {
                "name": node.name,
                "kind": node.kind,
                "mgmt": str(node.mgmt.ip),
                "memory": MEMORY[node.kind],
                "packages": {
                    ROUTER: ["frr", "frr-snmp", "snmpd", "openssh-server"],
                    SERVER: ["openssh-server", "python3"],
                }.get(node.kind, ["snmpd"]),
                "links": ifaces[node.name],
            }
        )
    return {
        "generated_from": "inventory/ by `infra lab vagrant-topology`; do not edit",
        "box": BOX,
        "management_network": str(inv.pools.management),
        "nodes": nodes,
    }


def render(inv: Inventory) -> str:
    return json.dumps(topology(inv), indent=1, ensure_ascii=False) + "\n"


def write_topology(inv: Inventory, path: Path) -> bool:
    text = render(inv)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True
