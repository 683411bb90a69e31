"""What the FRR templates render is exactly what a real FRR 8.4 shows once it is applied.

Every network device of the example province is rendered for FRR (with real secrets), loaded
with `vtysh -f` into a fresh scratch FRR (`scratch-render-*` namespace, removed afterwards), and
its `show running-config`, normalised as docs/render.md describes, must equal the rendering.
"""

from __future__ import annotations

import difflib
import subprocess

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY
from tests.render.frr_scratch import PREFIX, available, normalise, scratch_frr

pytestmark = pytest.mark.lab

_INV = load_inventory(INVENTORY)
DEVICES = [h.name for h in _INV.hosts.values() if h.is_network_device]


@pytest.fixture(scope="module")
def inv() -> Inventory:
    why = available()
    if why:
        pytest.skip(why)
    return load_inventory(INVENTORY)


@pytest.mark.parametrize("host", DEVICES)
def test_frr_shows_exactly_what_was_rendered(inv: Inventory, host: str) -> None:
    intended = render_host(inv, host, Platform.FRR)
    interfaces = sorted({i.lab_name for i in inv.interfaces[host]})
    with scratch_frr(host, interfaces, "idem") as router:
        complaints = router.apply(intended)
        running = normalise(router.running())
        # applying the same configuration again changes nothing
        assert router.apply(intended) == ""
        again = normalise(router.running())
    assert complaints == "", f"FRR rejected lines of {host}: {inv.secrets.mask(complaints)}"
    if running != intended:
        diff = difflib.unified_diff(
            inv.secrets.mask(intended).splitlines(),
            inv.secrets.mask(running).splitlines(),
            "rendered",
            "running",
            lineterm="",
        )
        pytest.fail(f"{host}: FRR shows another configuration:\n" + "\n".join(diff))
    assert again == running


def test_no_scratch_namespace_is_left_behind(inv: Inventory) -> None:
    with scratch_frr("leak-check", ["eth1"], "leak"):
        pass
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert f"{PREFIX}leak" not in names and f"{PREFIX}idem" not in names
