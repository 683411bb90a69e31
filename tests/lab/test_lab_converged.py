"""With every router's rendered intent applied (`up --converged`), the province routes end to end
over the lab's real parts: campus VLANs through the core to the DC, spokes through WireGuard."""

from __future__ import annotations

import time

import pytest

from tests.fixtures_lab import LabHandle
from tests.lab.helpers import in_node

pytestmark = pytest.mark.lab


def _eventually(node: str, *argv: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while True:
        proc = in_node(node, *argv)
        if proc.returncode == 0 or time.monotonic() > deadline:
            return proc.stdout if proc.returncode == 0 else ""
        time.sleep(1)


def test_a_campus_unit_reaches_a_dc_server_through_the_core(converged_lab: LabHandle) -> None:
    server = converged_lab.inv.hosts["srv-mail-1"].service_address
    assert server is not None
    assert _eventually("unit-110-1", "ping", "-c", "1", "-W", "1", str(server.ip)), "no route campus -> DC"


def test_a_spoke_reaches_the_core_through_its_wireguard_tunnel(converged_lab: LabHandle) -> None:
    core = converged_lab.inv.hosts["dc-core-1"].loopback
    assert core is not None
    assert _eventually("cpe-so-noi-vu", "ping", "-c", "1", "-W", "1", str(core.ip)), "no route spoke -> core"
    route = in_node("cpe-so-noi-vu", "ip", "route", "get", str(core.ip)).stdout
    assert " dev wg0 " in route, route
