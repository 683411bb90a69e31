"""What the FRR templates render is exactly what a real FRR 8.4 shows once it is applied.

Every network device of the example province is rendered for FRR (with real secrets), loaded
with `vtysh -f` into a fresh scratch FRR (`scratch-render-*` namespace, removed afterwards), and
its `show running-config`, normalised as docs/render.md describes, must equal the rendering.
Applying the same configuration a second time must change nothing.
"""

from __future__ import annotations

import difflib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY
from tests.render.frr_scratch import PREFIX, available, normalise, scratch_frr

pytestmark = pytest.mark.lab

_INV = load_inventory(INVENTORY)
DEVICES = [h.name for h in _INV.hosts.values() if h.is_network_device]
# One device of each (role, production platform): these are also applied a second time.
SHAPES = {(h.role, h.platform): h.name for h in reversed(list(_INV.hosts.values())) if h.is_network_device}
REAPPLY = set(SHAPES.values())
PARALLEL = 4  # scratch routers at once (~35 MB each); the machine has 2 cores


@dataclass(frozen=True)
class Applied:
    intended: str
    complaints: str
    running: str
    complaints_again: str | None
    running_again: str | None


def _apply(inv: Inventory, host: str) -> Applied:
    intended = render_host(inv, host, Platform.FRR)
    interfaces = sorted({i.lab_name for i in inv.interfaces[host]})
    with scratch_frr(host, interfaces, host) as router:
        complaints = router.apply(intended)
        running = normalise(router.running())
        complaints_again = running_again = None
        if host in REAPPLY:
            complaints_again = router.apply(intended)
            running_again = normalise(router.running())
    return Applied(intended, complaints, running, complaints_again, running_again)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    why = available()
    if why:
        pytest.skip(why)
    return load_inventory(INVENTORY)


@pytest.fixture(scope="module")
def applied(inv: Inventory) -> dict[str, Applied]:
    for name in DEVICES:  # resolve secrets once, before the threads
        render_host(inv, name, Platform.FRR)
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip(DEVICES, pool.map(lambda h: _apply(inv, h), DEVICES), strict=True))


@pytest.mark.parametrize("host", DEVICES)
def test_frr_shows_exactly_what_was_rendered(inv: Inventory, applied: dict[str, Applied], host: str) -> None:
    result = applied[host]
    assert result.complaints == "", f"FRR rejected lines of {host}: {inv.secrets.mask(result.complaints)}"
    if result.running != result.intended:
        diff = difflib.unified_diff(
            inv.secrets.mask(result.intended).splitlines(),
            inv.secrets.mask(result.running).splitlines(),
            "rendered",
            "running",
            lineterm="",
        )
        pytest.fail(f"{host}: FRR shows another configuration:\n" + "\n".join(diff))
    if host in REAPPLY:
        assert result.complaints_again == ""
        assert result.running_again == result.running, f"{host}: applying twice changed the configuration"


def test_the_comparison_can_fail(inv: Inventory) -> None:
    """A line FRR hides (banner) or spells differently must show up as a difference."""
    host = "cpe-so-xay-dung"
    intended = render_host(inv, host, Platform.FRR)
    wrong = intended.replace(
        "log timestamp precision 3\n", "log timestamp precision 3\nbanner motd line hello\n"
    )
    wrong = wrong.replace(
        " ip ospf dead-interval 4\n", " ip ospf dead-interval 4\n ip ospf hello-interval 1\n", 1
    )
    with scratch_frr(host, sorted({i.lab_name for i in inv.interfaces[host]}), "canfail") as router:
        assert router.apply(wrong) == ""
        running = normalise(router.running())
    assert running == intended != wrong


def test_no_scratch_namespace_is_left_behind(inv: Inventory, applied: dict[str, Applied]) -> None:
    with scratch_frr("leak-check", ["eth1"], "leak"):
        pass
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert PREFIX not in names, names
