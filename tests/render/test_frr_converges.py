"""The rendered FRR intent routes: a slice of the province (DC switch, core, WAN hub, carrier PE and
a commune CPE) built from scratch FRR routers and cabled as the inventory says converges: OSPF with
MD5 over p2p links and the WAN-VPN tunnel, eBGP with TCP-MD5 to the carrier, and the commune's LAN
reaches the DC server subnet. The WireGuard tunnel is stood in for by a direct cable with the
tunnel's interface names (the lab runs real WireGuard)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY
from tests.render.frr_scratch import ScratchFrr, available, scratch_network

pytestmark = pytest.mark.lab

SLICE = ["dc-sw-1", "dc-core-1", "wan-hub-1", "tslcd-pe-1", "cpe-xa-ta-nung"]
COMMUNE = "cpe-xa-ta-nung"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    why = available()
    if why:
        pytest.skip(why)
    return load_inventory(INVENTORY)


def _cables(inv: Inventory) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    cables = []
    for host in SLICE:
        for i in inv.interfaces[host]:
            if i.peer_host in SLICE and i.peer_interface and host < i.peer_host:
                peer_if = next(p for p in inv.interfaces[i.peer_host] if p.name == i.peer_interface)
                cables.append(((host, i.lab_name), (i.peer_host, peer_if.lab_name)))
    return cables


def _wait(router: ScratchFrr, command: str, ok: object, timeout: float = 40) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        data = json.loads(router.vtysh("-c", command) or "{}")
        if callable(ok) and ok(data):
            return data  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            pytest.fail(f"{router.hostname}: `{command}` never satisfied: {data}")
        time.sleep(0.5)


def test_a_commune_reaches_the_data_centre(inv: Inventory) -> None:
    routers = {h: sorted({i.lab_name for i in inv.interfaces[h]}) for h in SLICE}
    cables = _cables(inv)
    assert (("cpe-xa-ta-nung", "wg0"), ("wan-hub-1", "wg20")) in cables or (
        ("wan-hub-1", "wg20"),
        ("cpe-xa-ta-nung", "wg0"),
    ) in cables
    with scratch_network(routers, cables, "conv") as net:
        for host, router in net.items():
            assert router.apply(render_host(inv, host, Platform.FRR)) == "", host
        cpe, hub, pe = net[COMMUNE], net["wan-hub-1"], net["tslcd-pe-1"]
        # eBGP (with TCP-MD5) between the CPE and the carrier PE, and between the hub and the PE
        for router in (cpe, hub):
            _wait(
                router,
                "show bgp ipv4 unicast summary json",
                lambda d: (
                    all(p.get("state") == "Established" for p in d.get("peers", {}).values())
                    and bool(d.get("peers"))
                ),
            )
        # the carrier carries the hub's loopback (the tunnel endpoint) to the CPE
        hub_lo = f"{inv.hosts['wan-hub-1'].loopback.ip}/32"  # type: ignore[union-attr]
        _wait(cpe, f"show ip route {hub_lo} json", lambda d: d.get(hub_lo, [{}])[0].get("protocol") == "bgp")
        # OSPF (MD5, point-to-point) over the tunnel to the hub, then to the DC server subnet
        # (the CPE's LAN is `lan0`, a stub interface here, announced as the LAN /24)
        _wait(cpe, "show ip ospf neighbor json", lambda d: len(d.get("neighbors", {})) == 1)
        servers = "10.94.10.0/24"
        _wait(
            cpe, f"show ip route {servers} json", lambda d: d.get(servers, [{}])[0].get("protocol") == "ospf"
        )
        lan_ip = str(inv.hosts[COMMUNE].lan.network_address + 1)  # type: ignore[union-attr]
        ping = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                cpe.netns,
                "ping",
                # one reply within 15 s: the return path (the DC switch learning the commune's
                # LAN over OSPF) may converge a moment after the CPE's own routes
                "-c",
                "1",
                "-w",
                "15",
                "-I",
                lan_ip,
                "10.94.10.1",
            ],
            capture_output=True,
            text=True,
        )
        assert ping.returncode == 0, ping.stdout + ping.stderr
        # the carrier PE learns every agency loopback by BGP and runs no OSPF
        assert "router ospf" not in pe.running()
