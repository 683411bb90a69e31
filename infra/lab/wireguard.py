"""WAN-VPN tunnels as WireGuard (wireguard-go, userspace): the lab owns the tunnel, the cable
between hub and spoke. Routing over it (OSPF on the wg interface, the BGP underlay through the
carrier PE that carries the outer packets) is what `infra deploy` pushes.

Only the spoke initiates (it knows the hub's endpoint and keeps the tunnel alive); the hub
answers and learns the spoke's endpoint from its packets, as a hub does for branches behind NAT.
When both ends had endpoints, OSPF hellos made both initiate at once: each consumed the other's
initiation, rejected the answer to its own, and the retry timers kept them in step - seen as a
tunnel with no handshake for minutes (2 of 20 tunnels in some deploys) while routing was fine.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from infra.lab.files import write
from infra.lab.paths import node_dir
from infra.lab.plan import LabPlan

KEEPALIVE = 5


def _key_pair(path: Path) -> str:
    """The interface's private key (created once, kept in the node's run dir); returns the public key."""
    if path.exists():
        key = X25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip()))
    else:
        key = X25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        write(path, base64.b64encode(raw).decode() + "\n", 0o600)
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def scripts(plan: LabPlan) -> dict[str, str]:
    """One idempotent shell script per router with tunnels (run inside the node)."""
    out: dict[str, list[str]] = defaultdict(list)
    create: dict[str, list[str]] = defaultdict(list)
    for t in plan.tunnels:
        hub_pub = _key_pair(node_dir(t.hub) / "run/lab/wg" / f"{t.hub_if}.key")
        spoke_pub = _key_pair(node_dir(t.spoke) / "run/lab/wg" / f"{t.spoke_if}.key")
        # only the spoke initiates: it has the hub's endpoint and keeps the tunnel alive
        initiate = f" endpoint {t.hub_endpoint}:{t.hub_port} persistent-keepalive {KEEPALIVE}"
        for node, ifname, addr, port, peer_pub, peer_opts in (
            (t.hub, t.hub_if, t.hub_addr, t.hub_port, spoke_pub, ""),
            (t.spoke, t.spoke_if, t.spoke_addr, t.spoke_port, hub_pub, initiate if t.hub_endpoint else ""),
        ):
            create[node].append(
                f"ip link show {ifname} >/dev/null 2>&1 || wireguard-go {ifname} >/dev/null &\n"
            )
            out[node].append(
                f"wg set {ifname} listen-port {port} private-key /run/lab/wg/{ifname}.key "
                f"peer {peer_pub} allowed-ips 0.0.0.0/0{peer_opts}\n"
                f"ip addr replace {addr} dev {ifname}\n"
                f"ip link set {ifname} up\n"
            )
    header = "set -e\nexport WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1\n"
    # the hub's wireguard-go processes start in parallel, then every interface is configured
    return {node: header + "".join(create[node]) + "wait\n" + "".join(parts) for node, parts in out.items()}
