"""Test doubles for unit tests: an in-memory FRR-like device behind the real Driver contract.

The device applies configuration lines with hier_config's model (`configtree.apply`) and reports
OSPF/BGP neighbours from the inventory's intent as long as its config holds no `BREAK-OSPF`
line, so verification and rollback run through the real deploy code.
"""

from __future__ import annotations

import json
import threading
import time
from typing import ClassVar

from infra.deploy.verify import intended_neighbours
from infra.drivers import neighbours
from infra.drivers.base import ConnectionFailed, DeviceTarget, Driver
from infra.drivers.configtree import apply
from infra.inventory import Inventory
from infra.inventory.models import Host

BARE = "frr version 8.4.4\nfrr defaults traditional\nhostname bare\n!\nend\n"


class FakeNetwork:
    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.configs: dict[str, str] = {}
        self.down: set[str] = set()  # unreachable devices
        self.pushes: dict[str, list[tuple[str, ...]]] = {}
        self.saves: dict[str, int] = {}
        self.startup: dict[str, str] = {}  # saved configs (unset: what it runs is saved)
        self.lock = threading.Lock()
        self.push_delay = 0.0
        self.lost_after_push: set[str] = set()  # devices that drop off the network once pushed to

    def config(self, host: str) -> str:
        return self.configs.setdefault(host, BARE)

    def factory(self, target: DeviceTarget) -> Driver:
        return FakeDriver(target, self)


class FakeDriver(Driver):
    platform: ClassVar[str] = "frr"

    def __init__(self, target: DeviceTarget, net: FakeNetwork) -> None:
        super().__init__(target)
        self.net = net
        self.opened = False

    def open(self) -> None:
        if self.target.host in self.net.down:
            raise ConnectionFailed(f"{self.target.host}: unreachable: timed out")
        self.opened = True

    def close(self) -> None:
        self.opened = False

    def is_alive(self) -> bool:
        return self.opened and self.target.host not in self.net.down

    def _alive(self) -> None:
        if not self.is_alive():
            raise ConnectionFailed(f"{self.target.host}: session lost")

    def get_running_config(self) -> str:
        self._alive()
        with self.net.lock:
            return self.net.config(self.target.host)

    def show(self, command: str) -> str:
        self._alive()
        running = self.get_running_config()
        expected = intended_neighbours(self.net.inv, self.target.host)
        ok = "BREAK-OSPF" not in running
        if command.startswith("show ip ospf neighbor"):
            nbrs = {
                n.router_id: [{"state": "Full/-", "address": n.address, "ifaceName": n.lab_interface}]
                for n in expected
                if n.protocol == "ospf" and ok
            }
            return json.dumps({"neighbors": nbrs})
        if command.startswith("show bgp summary"):
            peers = {n.address: {"state": "Established"} for n in expected if n.protocol == "bgp"}
            return json.dumps({"ipv4Unicast": {"peers": peers}})
        return ""

    def neighbours_up(self) -> neighbours.Adjacencies:
        return neighbours.frr(self.show)  # it answers as FRR does

    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        self._alive()
        time.sleep(self.net.push_delay)
        with self.net.lock:
            host = self.target.host
            self.net.configs[host] = apply("frr", self.net.config(host), lines)
            self.net.pushes.setdefault(host, []).append(lines)
            if host in self.net.lost_after_push:
                self.net.down.add(host)

    def get_startup_config(self) -> str | None:
        self._alive()
        with self.net.lock:
            host = self.target.host
            return self.net.startup.get(host) or self.net.config(host)

    def save(self) -> None:
        self._alive()
        with self.net.lock:
            self.net.saves[self.target.host] = self.net.saves.get(self.target.host, 0) + 1
            self.net.startup[self.target.host] = self.net.config(self.target.host)


def fake_intent(inv: Inventory, host: Host) -> str:
    """A small FRR config from the inventory, with a secret in it (OSPF key, BGP password)."""
    ospf_key = inv.secret(inv.credentials.ospf_key).reveal()
    bgp_pw = inv.secret(inv.credentials.bgp_password).reveal()
    lines = [f"hostname {host.name}"]
    for i in inv.interfaces[host.name]:
        if i.kind in ("mgmt", "lan", "service"):
            continue
        lines += [f"interface {i.lab_name}", f" description {i.description}", f" ip address {i.address}"]
        if i.ospf_area is not None and i.kind != "loopback":
            lines += [" ip ospf network point-to-point", f" ip ospf message-digest-key 1 md5 {ospf_key}"]
    if inv.ospf_areas(host.name):
        lines.append("router ospf")
        if host.loopback:
            lines.append(f" ospf router-id {host.loopback.ip}")
        for i in inv.interfaces[host.name]:
            if i.ospf_area is not None and i.address is not None:
                lines.append(f" network {i.address.network} area {i.ospf_area}")
    if host.bgp_asn and inv.bgp_sessions[host.name]:
        lines.append(f"router bgp {host.bgp_asn}")
        for s in inv.bgp_sessions[host.name]:
            lines += [
                f" neighbor {s.peer_address} remote-as {s.remote_as}",
                f" neighbor {s.peer_address} password {bgp_pw}",
            ]
    return "\n".join(lines) + "\n"
